/* goescape.core: the ge_gctrace part of the binding.
 *   core.gctrace_open(path | {paths}, limits?, strict?) -> trace table | nil, err, code
 *   core.gctrace_parse(text, name?, limits?, strict?)   -> trace table | nil, err, code
 * The result is a plain table (no handle: a GC log is one record per cycle,
 * small next to what it describes), built from the C arrays under
 * ge_lua_run and the C set freed whatever happens:
 *   {inputs = {...}, runs, lines, skipped, malformed, warnings = {...},
 *    cycles = {{n, run, input, line, t, cpu_percent, form, forced, leak_check,
 *               clock = {ns...}, cpu = {ns...}, pause, heap_before,
 *               heap_after, heap_live, goal, stacks, globals, procs,
 *               sweep_term, mark, mark_term, ...}},
 *    scav = {{line, run, input, after_gc, kind, forced, reset, work,
 *             work_bg, work_eager, freed, released, util, inuse, idle, sys,
 *             consumed}}}
 * Fields a line does not have are absent (nil). */
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "goescape/memory.h"

static void setnum(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

/* A count or a size: an integer where Lua has them (5.4), a number past
 * what one holds. */
static void setcount(lua_State *L, const char *k, uint64_t v) {
  if (v <= (uint64_t)INT64_MAX) ge_pushint(L, (long long)v);
  else lua_pushnumber(L, (double)v);
  lua_setfield(L, -2, k);
}

static void setsize(lua_State *L, const char *k, uint64_t v) {
  if (v != GE_GC_ABSENT) setcount(L, k, v);
}

static void list(lua_State *L, const char *k, const double *v, size_t n) {
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, k);
}

static const char *const CLOCK3[] = {"sweep_term", "mark", "mark_term"};
static const char *const CLOCK5[] = {"sweep_term", "scan", "sync", "mark", "mark_term"};

/* The cpu part's named fields, where its groups have a known shape:
 * a+b/c/d+e (1.6+) and a+b+c+d/e/f+g (1.5). */
static void cpu_names(lua_State *L, const ge_gc_cycle *c) {
  const uint8_t *g = c->cpu_group_len;
  const double *v = c->cpu_ns;
  size_t mark; /* index of the assist/background/idle group's first value */
  if (c->cpu_groups == 3 && g[0] == 1 && g[1] == 3 && g[2] == 1) mark = 1;
  else if (c->cpu_groups == 5 && g[0] == 1 && g[1] == 1 && g[2] == 1 && g[3] == 3 && g[4] == 1) {
    mark = 3;
    setnum(L, "cpu_scan", v[1]);
    setnum(L, "cpu_sync", v[2]);
  } else {
    return;
  }
  setnum(L, "cpu_sweep_term", v[0]);
  setnum(L, "cpu_assist", v[mark]);
  setnum(L, "cpu_background", v[mark + 1]);
  setnum(L, "cpu_idle", v[mark + 2]);
  setnum(L, "cpu_mark_term", v[mark + 3]);
}

static void push_cycle(lua_State *L, const ge_gc_cycle *c) {
  lua_createtable(L, 0, 24);
  setcount(L, "n", c->n);
  ge_setint(L, "run", c->run + 1);
  ge_setint(L, "input", c->input + 1);
  setcount(L, "line", c->line);
  if (c->t_ns >= 0) setcount(L, "t", (uint64_t)c->t_ns);
  if (c->cpu_pct >= 0) ge_setint(L, "cpu_percent", c->cpu_pct);
  ge_setint(L, "form", c->form);
  ge_setbool(L, "forced", c->forced);
  if (c->leak_check) ge_setbool(L, "leak_check", 1);
  list(L, "clock", c->clock_ns, c->nclock);
  list(L, "cpu", c->cpu_ns, c->ncpu);
  if (c->form == GE_GC_FORM_GO15 && c->nclock == 5)
    for (int i = 0; i < 5; i++) setnum(L, CLOCK5[i], c->clock_ns[i]);
  else if (c->form != GE_GC_FORM_GO14 && c->nclock == 3)
    for (int i = 0; i < 3; i++) setnum(L, CLOCK3[i], c->clock_ns[i]);
  cpu_names(L, c);
  setnum(L, "pause", c->stw_ns);
  setsize(L, "heap_before", c->heap0);
  setsize(L, "heap_after", c->heap1);
  if (c->form != GE_GC_FORM_GO14) setsize(L, "heap_live", c->heap2);
  setsize(L, "goal", c->goal);
  setsize(L, "stacks", c->stacks);
  setsize(L, "globals", c->globals);
  ge_setint(L, "procs", c->procs);
}

static void push_scav(lua_State *L, const ge_scav_line *s) {
  lua_createtable(L, 0, 16);
  setcount(L, "line", s->line);
  ge_setint(L, "run", s->run + 1);
  ge_setint(L, "input", s->input + 1);
  if (s->after_n) setcount(L, "after_gc", s->after_n);
  lua_pushstring(L, s->kind == GE_SCAV_SCVG ? "scvg" : "scav");
  lua_setfield(L, -2, "kind");
  ge_setbool(L, "forced", s->forced);
  if (s->reset) ge_setbool(L, "reset", 1);
  setsize(L, "work", s->work);
  setsize(L, "work_bg", s->work_bg);
  setsize(L, "work_eager", s->work_eager);
  uint64_t freed = 0;
  int any = 0;
  const uint64_t parts[] = {s->work, s->work_bg, s->work_eager};
  for (int i = 0; i < 3; i++) {
    if (parts[i] == GE_GC_ABSENT) continue;
    any = 1;
    freed = parts[i] > UINT64_MAX - 1 - freed ? UINT64_MAX - 1 : freed + parts[i];
  }
  if (any) setcount(L, "freed", freed);
  setsize(L, "released", s->released);
  if (s->util_pct >= 0) ge_setint(L, "util", s->util_pct);
  setsize(L, "inuse", s->inuse);
  setsize(L, "idle", s->idle);
  setsize(L, "sys", s->sys);
  setsize(L, "consumed", s->consumed);
}

static int push_work(lua_State *L, void *ctx) {
  const ge_gctrace *g = ctx;
  ge_gctrace_info in;
  ge_gctrace_info_get(g, &in);
  lua_createtable(L, 0, 10);
  ge_setint(L, "runs", in.runs);
  setcount(L, "lines", in.lines);
  setcount(L, "skipped", in.skipped);
  setcount(L, "malformed", in.malformed);
  lua_createtable(L, (int)in.inputs, 0);
  for (uint32_t i = 0; i < in.inputs; i++) {
    ge_strview s = ge_gctrace_input_name(g, i);
    lua_pushlstring(L, s.ptr, s.len);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "inputs");
  lua_newtable(L);
  const char *w;
  for (size_t i = 0; (w = ge_gctrace_warning(g, i)) != NULL; i++) {
    lua_pushstring(L, w);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "warnings");
  size_t n;
  const ge_gc_cycle *c = ge_gctrace_cycles(g, &n);
  lua_createtable(L, n > 1000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    push_cycle(L, &c[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "cycles");
  const ge_scav_line *s = ge_gctrace_scavs(g, &n);
  lua_createtable(L, n > 1000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    push_scav(L, &s[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "scav");
  return 1;
}

/* Pushes the table of g and frees g, raising again an error on the way. */
static int finish(lua_State *L, ge_gctrace *g, int nargs) {
  int n = ge_lua_run(L, NULL, "gctrace", nargs, push_work, g);
  ge_gctrace_free(g);
  return n < 0 ? lua_error(L) : n;
}

static int fail(lua_State *L, ge_gctrace *g, ge_error *err) {
  ge_gctrace_free(g);
  return ge_pushfail(L, err->msg, ge_err_name(err->code));
}

static ge_gctrace *newset(lua_State *L, int limidx, int strictidx, ge_error *err) {
  ge_limits lim;
  ge_lua_limits(L, limidx, &lim);
  ge_gctrace *g;
  if (ge_gctrace_new(&lim, lua_toboolean(L, strictidx), &g, err)) return NULL;
  return g;
}

static int l_open(lua_State *L) {
  int many = lua_istable(L, 1);
  if (!many) luaL_checkstring(L, 1);
  int n = many ? (int)ge_rawlen(L, 1) : 1;
  for (int i = 1; many && i <= n; i++) {
    lua_rawgeti(L, 1, i);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "gctrace_open: paths[%d]: string expected", i);
    lua_pop(L, 1);
  }
  ge_error err;
  ge_gctrace *g = newset(L, 2, 3, &err);
  if (!g) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  /* nothing below allocates Lua memory until finish: g cannot leak */
  for (int i = 1; i <= n; i++) {
    const char *path;
    if (many) {
      lua_rawgeti(L, 1, i);
      path = lua_tostring(L, -1);
      lua_pop(L, 1); /* the table keeps it alive */
    } else {
      path = lua_tostring(L, 1);
    }
    if (ge_gctrace_add_file(g, path, &err)) return fail(L, g, &err);
  }
  return finish(L, g, 0);
}

static int l_parse(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "<string>");
  ge_error err;
  ge_gctrace *g = newset(L, 3, 4, &err);
  if (!g) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  if (ge_gctrace_add_bytes(g, name, data, len, &err)) return fail(L, g, &err);
  return finish(L, g, 0);
}

void ge_lua_open_memory(lua_State *L) {
  static const luaL_Reg fns[] = {{"gctrace_open", l_open}, {"gctrace_parse", l_parse}, {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
