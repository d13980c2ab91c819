/* goescape.core: the trace's annotation methods (ge_trace_annot: one walk
 * in C, then tables):
 *   t:tasks()   -> {{id=, name=, parent=, start=, ["end"]=, g=, end_g=,
 *                   duration=, stack=}...}
 *   t:regions() -> {{task=, name=, g=, start=, ["end"]=, duration=, depth=,
 *                   exited=, growth=, freed=, samples=, stack=}...}
 *   t:logs()    -> {{time=, g=, task=, key=, value=, stack=}...}
 *   t:allocs()  -> {{time=, g=, task=, region=, source=, func=, file=, line=,
 *                   allocator=, stack=}...}: the allocations seen with a
 *                   stack (source "assist": a mark assist, "cpu": a CPU
 *                   sample inside mallocgc); func, file and line are the
 *                   allocating frame's, allocator the runtime function it
 *                   called (absent when the frame is the runtime's own)
 *   t:_growth_allocs(by) -> t:growth(by), t:allocs() from one walk
 *   t:growth(by) (by: "goroutine", "region" or "task"; lua/goescape/trace.lua
 *               checks t:growth{by = ...}) -> rows, growth descending:
 *               {g= | region=, task=, task_name= | task=, name=; growth=,
 *               freed=, samples=, first=, last=, unattributed=}
 * Absent fields are unknown (a region begun before the trace has no start;
 * a task not ended has no end). Stacks are frame lists shared between the
 * rows of one call that have the same stack. */
#include <string.h>

#include "binding.h"
#include "core/goname.h"
#include "goescape/trace_annot.h"

static const ge_handle_class TRACE_CLASS = {"goescape.trace", "trace",
                                            "goescape: the trace is closed"};

typedef struct actx {
  ge_trace_annot *a;
  ge_trace_by by;
} actx;

static void setns(lua_State *L, const char *k, int64_t v) { ge_setint(L, k, (long long)v); }

static void setid(lua_State *L, const char *k, uint64_t v) {
  if (v != GE_TRACE_NONE) ge_setint(L, k, (long long)v);
}

/* t.stack = the frame list of annot stack s, shared through the cache at
 * index 1; nothing for stack 0. */
static void setstack(lua_State *L, const ge_trace_annot *a, const char *k, uint32_t s) {
  if (!s) return;
  lua_rawgeti(L, 1, (int)s);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    ge_trace_frame fr[128];
    size_t n = ge_trace_annot_stack(a, s, fr, 128);
    ge_lua_push_trace_frames(L, fr, n > 128 ? 128 : n);
    lua_pushvalue(L, -1);
    lua_rawseti(L, 1, (int)s);
  }
  lua_setfield(L, -2, k);
}

static void setrange(lua_State *L, int64_t start, int has_start, int64_t end, int has_end) {
  if (has_start) setns(L, "start", start);
  if (has_end) setns(L, "end", end);
  if (has_start && has_end) setns(L, "duration", end - start);
}

static int tasks_work(lua_State *L, void *ctx) {
  const ge_trace_annot *a = ((actx *)ctx)->a;
  const ge_trace_task *t;
  size_t n = ge_trace_annot_tasks(a, &t);
  lua_createtable(L, n > 10000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 9);
    ge_setint(L, "id", (long long)t[i].id);
    if (t[i].has_name) ge_setsv(L, "name", ge_trace_annot_string(a, t[i].name));
    setid(L, "parent", t[i].parent);
    setrange(L, t[i].start, t[i].has_start, t[i].end, t[i].has_end);
    if (t[i].has_start) setid(L, "g", t[i].g);
    if (t[i].has_end) setid(L, "end_g", t[i].end_g);
    setstack(L, a, "stack", t[i].stack);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* The heap fields of a growth row or a region. */
static void setheap(lua_State *L, const ge_trace_growth *h) {
  ge_setint(L, "growth", (long long)h->growth);
  ge_setint(L, "freed", (long long)h->freed);
  ge_setint(L, "samples", (long long)h->samples);
}

static int regions_work(lua_State *L, void *ctx) {
  const ge_trace_annot *a = ((actx *)ctx)->a;
  const ge_trace_region *r;
  size_t n = ge_trace_annot_regions(a, &r);
  lua_createtable(L, n > 10000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 12);
    ge_setint(L, "task", (long long)r[i].task);
    ge_setsv(L, "name", ge_trace_annot_string(a, r[i].name));
    setid(L, "g", r[i].g);
    setrange(L, r[i].start, r[i].has_start, r[i].end, r[i].has_end);
    ge_setint(L, "depth", (long long)r[i].depth);
    if (r[i].exited) ge_setbool(L, "exited", 1);
    setheap(L, &r[i].heap);
    setstack(L, a, "stack", r[i].stack);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int logs_work(lua_State *L, void *ctx) {
  const ge_trace_annot *a = ((actx *)ctx)->a;
  const ge_trace_log *l;
  size_t n = ge_trace_annot_logs(a, &l);
  lua_createtable(L, n > 10000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 6);
    setns(L, "time", l[i].time);
    setid(L, "g", l[i].g);
    ge_setint(L, "task", (long long)l[i].task);
    ge_setsv(L, "key", ge_trace_annot_string(a, l[i].key));
    ge_setsv(L, "value", ge_trace_annot_string(a, l[i].value));
    setstack(L, a, "stack", l[i].stack);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int allocs_work(lua_State *L, void *ctx) {
  const ge_trace_annot *a = ((actx *)ctx)->a;
  const ge_trace_alloc *al;
  size_t n = ge_trace_annot_allocs(a, &al);
  lua_createtable(L, n > 10000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 10);
    setns(L, "time", al[i].time);
    setid(L, "g", al[i].g);
    ge_setint(L, "task", (long long)al[i].task);
    if (al[i].in_region) ge_setsv(L, "region", ge_trace_annot_string(a, al[i].region));
    lua_pushstring(L, al[i].cpu ? "cpu" : "assist");
    lua_setfield(L, -2, "source");
    ge_trace_frame fr[128];
    size_t k = ge_trace_annot_stack(a, al[i].stack, fr, 128);
    if (k > 128) k = 128;
    if (al[i].site < k) {
      const ge_trace_frame *f = &fr[al[i].site];
      ge_setsv(L, "func", f->func);
      ge_setsv(L, "file", f->file);
      ge_setint(L, "line", (long long)f->line);
      if (al[i].site > 0 && !ge_is_runtime_func(f->func))
        ge_setsv(L, "allocator", fr[al[i].site - 1].func);
    }
    setstack(L, a, "stack", al[i].stack);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int growth_work(lua_State *L, void *ctx) {
  const actx *c = ctx;
  const ge_trace_growth *r;
  size_t n = ge_trace_annot_growth(c->a, c->by, &r);
  lua_createtable(L, n > 10000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 9);
    uint32_t name;
    if (r[i].unattributed) {
      ge_setbool(L, "unattributed", 1);
    } else if (c->by == GE_TRACE_BY_GOROUTINE) {
      setid(L, "g", r[i].g);
    } else {
      ge_setint(L, "task", (long long)r[i].task);
      if (c->by == GE_TRACE_BY_REGION) ge_setsv(L, "region", ge_trace_annot_string(c->a, r[i].name));
      if (ge_trace_annot_task_name(c->a, r[i].task, &name))
        ge_setsv(L, c->by == GE_TRACE_BY_REGION ? "task_name" : "name",
                 ge_trace_annot_string(c->a, name));
    }
    setheap(L, &r[i]);
    if (r[i].samples) {
      setns(L, "first", r[i].first);
      setns(L, "last", r[i].last);
    }
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* Walks the trace, then builds its tables by work (protected: the walk's
 * result is freed whatever happens). */
static int annot_method(lua_State *L, const char *name, ge_lua_work work, ge_trace_by by,
                        unsigned flags) {
  ge_handle *h = ge_lua_checkhandle(L, 1, &TRACE_CLASS);
  actx c = {NULL, by};
  ge_error err;
  if (ge_trace_annot_new(h->ptr, flags, &c.a, &err)) return luaL_error(L, "%s", err.msg);
  lua_settop(L, 0);
  lua_newtable(L); /* the stack cache */
  int r = ge_lua_run(L, h, name, 1, work, &c);
  ge_trace_annot_free(c.a);
  if (r < 0) return lua_error(L);
  return r;
}

static int m_tasks(lua_State *L) {
  lua_settop(L, 1);
  return annot_method(L, "tasks", tasks_work, GE_TRACE_BY_GOROUTINE, GE_TRACE_ANNOT_ALL);
}

static int m_regions(lua_State *L) {
  lua_settop(L, 1);
  return annot_method(L, "regions", regions_work, GE_TRACE_BY_GOROUTINE, GE_TRACE_ANNOT_ALL);
}

static int m_logs(lua_State *L) {
  lua_settop(L, 1);
  return annot_method(L, "logs", logs_work, GE_TRACE_BY_GOROUTINE, GE_TRACE_ANNOT_ALL);
}

static int m_allocs(lua_State *L) {
  lua_settop(L, 1);
  return annot_method(L, "allocs", allocs_work, GE_TRACE_BY_GOROUTINE, GE_TRACE_ANNOT_SUMS);
}

/* The growth rows and the allocations of one walk (ge.analysis.heapgrowth
 * needs both: one walk, not two). */
static int growth_allocs_work(lua_State *L, void *ctx) {
  growth_work(L, ctx);
  allocs_work(L, ctx);
  return 2;
}

static int growth_method(lua_State *L, const char *name, ge_lua_work work) {
  static const char *const BY[] = {"goroutine", "region", "task", NULL};
  lua_settop(L, 2);
  ge_lua_checkhandle(L, 1, &TRACE_CLASS);
  int by = luaL_checkoption(L, 2, "goroutine", BY);
  lua_settop(L, 1);
  return annot_method(L, name, work, (ge_trace_by)by, GE_TRACE_ANNOT_SUMS);
}

static int m_growth(lua_State *L) { return growth_method(L, "growth", growth_work); }

static int m_growth_allocs(lua_State *L) {
  return growth_method(L, "growth", growth_allocs_work);
}

/* Adds the methods to the trace's method table. */
void ge_lua_open_trace_annot(lua_State *L) {
  luaL_getmetatable(L, TRACE_CLASS.tname);
  lua_getfield(L, -1, "__index");
  static const luaL_Reg methods[] = {{"tasks", m_tasks},
                                     {"regions", m_regions},
                                     {"logs", m_logs},
                                     {"growth", m_growth},
                                     {"allocs", m_allocs},
                                     {"_growth_allocs", m_growth_allocs},
                                     {NULL, NULL}};
  ge_lua_funcs(L, methods);
  lua_pop(L, 2);
}
