/* goescape.core: the ge_trace part of the binding.
 *   core.trace_open(path | "-", limits?)        -> trace | nil, err, code
 *   core.trace_parse(bytes, name?, limits?)     -> trace | nil, err, code
 *   core.trace_types()                          -> {{name=, event=, args={...}}...}
 *   t:info() t:counts() t:gens() t:iter(filter?) t:count(filter?) t:close()
 *   (t:heap(), t:gc(), t:goroutines(): ltrace_model.c)
 * An iterator step yields one event table: type, time, gen, g, p, m (absent
 * when none), args by wire name (string ids resolved, named without their
 * "_string" suffix; stacks other than the event's own as frame lists), and
 * stack, the event's own stack as a frame list ({func=, file=, line=, pc=},
 * innermost first; the events of a generation that have the same stack
 * share its list). */
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "goescape/trace.h"

#define TRACE_MT "goescape.trace"
#define ITER_MT "goescape.trace.iter"
#define KEYS_KEY "goescape.trace.keys"

/* The strings an event table is made of, interned once (the registry's
 * KEYS_KEY list): a step then pushes each key by index instead of hashing
 * it again, which is most of the cost of a small table. */
enum { K_TYPE = 1, K_TIME, K_GEN, K_G, K_P, K_M, K_ARGS, K_STACK, K_FUNC, K_FILE, K_LINE, K_PC,
       K_TYPENAME = 100, K_ARGNAME = 400 };
#define K_ARG(type, i) (K_ARGNAME + (int)(type) * GE_TRACE_MAXARGS + (int)(i))

static const ge_handle_class TRACE_CLASS = {TRACE_MT, "trace", "goescape: the trace is closed"};

static ge_handle *checktrace(lua_State *L, int idx) {
  return ge_lua_checkhandle(L, idx, &TRACE_CLASS);
}

static void free_trace(void *p) { ge_trace_free(p); }

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ge_limits lim;
  ge_lua_limits(L, 2, &lim);
  ge_handle *h = ge_lua_newhandle(L, TRACE_MT);
  ge_error err;
  ge_trace *t;
  if (ge_trace_open(path, &lim, &t, &err)) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  h->ptr = t;
  return 1;
}

static int l_parse(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "<string>");
  ge_limits lim;
  ge_lua_limits(L, 3, &lim);
  ge_handle *h = ge_lua_newhandle(L, TRACE_MT);
  ge_error err;
  ge_trace *t;
  if (ge_trace_parse(name, data, len, &lim, &t, &err))
    return ge_pushfail(L, err.msg, ge_err_name(err.code));
  h->ptr = t;
  return 1;
}

/* The tables of info, counts and gens are made under ge_lua_call: an
 * allocation can run a finalizer that closes the trace whose memory they
 * are read from. */
static int info_work(lua_State *L, void *ctx) {
  const ge_trace *t = ctx;
  ge_trace_info in;
  ge_trace_info_get(t, &in);
  lua_createtable(L, 0, 14);
  lua_pushfstring(L, "1.%d", (int)in.go_minor);
  lua_setfield(L, -2, "go_version");
  ge_setint(L, "generations", in.generations);
  ge_setint(L, "goroutines", in.goroutines);
  ge_setint(L, "gc_cycles", in.gc_cycles);
  ge_setint(L, "events", in.events);
  ge_setint(L, "bytes", in.bytes);
  ge_setint(L, "max_generation_bytes", in.max_generation_bytes);
  ge_setint(L, "lost_bytes", in.lost_bytes);
  ge_setint(L, "start", (uint64_t)in.start_ns);
  ge_setint(L, "end", (uint64_t)in.end_ns);
  if (in.warning) {
    lua_pushstring(L, in.warning);
    lua_setfield(L, -2, "warning");
  }
  return 1;
}

static int m_info(lua_State *L) {
  ge_handle *h = checktrace(L, 1);
  return ge_lua_call(L, h, "info", 1, info_work, h->ptr);
}

/* {events = {name = n}, tables = {name = n}}: every type that occurs. */
static int counts_work(lua_State *L, void *ctx) {
  const ge_trace *t = ctx;
  lua_createtable(L, 0, 2);
  lua_newtable(L);
  lua_newtable(L);
  for (unsigned k = 0; k < GE_TRACE_NTYPES; k++) {
    uint64_t n = ge_trace_count(t, k);
    if (!n) continue;
    ge_pushint(L, (long long)n);
    lua_setfield(L, ge_trace_type_is_event(k) ? -3 : -2, ge_trace_type_name(k));
  }
  lua_setfield(L, -3, "tables");
  lua_setfield(L, -2, "events");
  return 1;
}

static int m_counts(lua_State *L) {
  ge_handle *h = checktrace(L, 1);
  return ge_lua_call(L, h, "counts", 1, counts_work, h->ptr);
}

static int gens_work(lua_State *L, void *ctx) {
  const ge_trace *t = ctx;
  size_t n = ge_trace_ngens(t);
  lua_createtable(L, n > 1000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    ge_trace_gen g;
    ge_trace_generation(t, i, &g);
    lua_createtable(L, 0, 7);
    ge_setint(L, "gen", g.gen);
    ge_setint(L, "offset", g.offset);
    ge_setint(L, "size", g.size);
    ge_setint(L, "freq", g.freq);
    ge_setint(L, "events", g.events);
    ge_setint(L, "start", (uint64_t)g.start_ns);
    ge_setint(L, "end", (uint64_t)g.end_ns);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_generations(lua_State *L) {
  ge_handle *h = checktrace(L, 1);
  return ge_lua_call(L, h, "gens", 1, gens_work, h->ptr);
}

void ge_lua_push_trace_frames(lua_State *L, const ge_trace_frame *fr, size_t n) {
  lua_createtable(L, n > 128 ? 128 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    ge_setsv(L, "func", fr[i].func);
    ge_setsv(L, "file", fr[i].file);
    ge_setint(L, "line", (long long)fr[i].line);
    ge_setint(L, "pc", (long long)fr[i].pc);
    lua_rawseti(L, -2, (int)i + 1);
  }
}

/* ------------------------------------------------------------ iterator */

typedef struct iterbox {
  ge_trace_iter *it;
  uint64_t gen; /* the generation whose stacks the cache holds */
} iterbox;

static int iter_gc(lua_State *L) {
  iterbox *b = luaL_checkudata(L, 1, ITER_MT);
  ge_trace_iter_free(b->it);
  b->it = NULL;
  return 0;
}

/* t[key] = the value on top (pops it); the key table is at index 3. */
static void setk(lua_State *L, int t, int k) {
  lua_rawgeti(L, 3, k);
  lua_insert(L, -2);
  lua_rawset(L, t < 0 ? t - 1 : t);
}

static void setkint(lua_State *L, int k, uint64_t v) {
  ge_pushint(L, (long long)v);
  setk(L, -2, k);
}

/* The frame list of a stack, from the cache at index 2 (the current
 * generation's stacks by id): events share it, as they share the stack.
 * Most events of a generation name a few hundred stacks. */
static void push_frames(lua_State *L, const ge_trace_iter *it, uint64_t id) {
  lua_pushnumber(L, (lua_Number)id);
  lua_rawget(L, 2);
  if (!lua_isnil(L, -1)) return;
  lua_pop(L, 1);
  ge_trace_frame fr[128];
  size_t n = ge_trace_iter_stack(it, id, fr, 128);
  if (n > 128) n = 128;
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    lua_pushlstring(L, fr[i].func.ptr, fr[i].func.len);
    setk(L, -2, K_FUNC);
    lua_pushlstring(L, fr[i].file.ptr, fr[i].file.len);
    setk(L, -2, K_FILE);
    setkint(L, K_LINE, fr[i].line);
    setkint(L, K_PC, fr[i].pc);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_pushnumber(L, (lua_Number)id);
  lua_pushvalue(L, -2);
  lua_rawset(L, 2);
}

typedef struct step_ctx {
  const ge_trace_iter *it;
  const ge_trace_event *ev;
} step_ctx;

/* Builds the event's table (allocations: run protected, the trace in use);
 * at 1 the trace, 2 the stack cache, 3 the keys. */
static int step_work(lua_State *L, void *ctx) {
  const step_ctx *c = ctx;
  const ge_trace_event *ev = c->ev;
  lua_createtable(L, 0, 8);
  lua_rawgeti(L, 3, K_TYPENAME + ev->type);
  setk(L, -2, K_TYPE);
  ge_pushint(L, (long long)ev->time);
  setk(L, -2, K_TIME);
  setkint(L, K_GEN, ev->gen);
  if (ev->g != GE_TRACE_NONE) setkint(L, K_G, ev->g);
  if (ev->p != GE_TRACE_NONE) setkint(L, K_P, ev->p);
  if (ev->m != GE_TRACE_NONE) setkint(L, K_M, ev->m);
  lua_createtable(L, 0, ev->nargs);
  for (unsigned i = 0; i < ev->nargs; i++) {
    ge_trace_arg_kind kind;
    const char *name = ge_trace_arg_name(ev->type, i, &kind);
    if (kind == GE_TRACE_ARG_STRING) {
      ge_strview sv = {"", 0};
      ge_trace_iter_string(c->it, ev->args[i], &sv);
      lua_pushlstring(L, sv.ptr, sv.len);
      setk(L, -2, K_ARG(ev->type, i));
    } else if (kind == GE_TRACE_ARG_STACK) {
      if (!ev->args[i]) continue;
      push_frames(L, c->it, ev->args[i]);
      if (strcmp(name, "stack") == 0) setk(L, -3, K_STACK);
      else setk(L, -2, K_ARG(ev->type, i));
    } else {
      setkint(L, K_ARG(ev->type, i), ev->args[i]);
    }
  }
  setk(L, -2, K_ARGS);
  return 1;
}

/* Upvalues: the trampoline, the trace, the iterator's box, the stack
 * cache of the box's generation, the keys. */
static int iter_next(lua_State *L) {
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(2));
  ge_handle *h = checktrace(L, 1);
  iterbox *b = ge_testudata(L, lua_upvalueindex(3), ITER_MT);
  if (!b || !b->it) return 0;
  ge_trace_event ev;
  ge_error err;
  int rc = ge_trace_iter_next(b->it, &ev, &err);
  if (rc < 0) return luaL_error(L, "%s", err.msg);
  if (rc == 0) {
    ge_trace_iter_free(b->it);
    b->it = NULL;
    return 0;
  }
  if (ev.gen != b->gen || !lua_istable(L, lua_upvalueindex(4))) {
    lua_newtable(L);
    lua_replace(L, lua_upvalueindex(4));
    b->gen = ev.gen;
  }
  lua_pushvalue(L, lua_upvalueindex(4));
  lua_pushvalue(L, lua_upvalueindex(5));
  step_ctx c = {b->it, &ev};
  return ge_lua_call(L, h, "an iterator", 3, step_work, &c);
}

static int64_t filter_time(lua_State *L, int idx, const char *k, int *set) {
  lua_getfield(L, idx, k);
  int64_t v = 0;
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1)) luaL_error(L, "filter.%s: number (nanoseconds) expected", k);
    lua_Number n = lua_tonumber(L, -1);
    v = n >= 9.2e18 ? INT64_MAX : n <= -9.2e18 ? INT64_MIN : (int64_t)n;
    *set = 1;
  }
  lua_pop(L, 1);
  return v;
}

static void filter_type(lua_State *L, const char *name, uint8_t *types) {
  int id = ge_trace_type_id(name);
  if (id < 0) luaL_error(L, "filter.type: unknown event type '%s'", name);
  if (!ge_trace_type_is_event((unsigned)id))
    luaL_error(L, "filter.type: '%s' is a batch or table marker, not an event", name);
  types[id] = 1;
}

/* Reads the filter at idx ({type = name | {names}, g = id, from = ns,
 * to = ns}) into f; its type set is a userdata left on the stack. */
static void read_filter(lua_State *L, int idx, ge_trace_filter *f) {
  memset(f, 0, sizeof *f);
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_getfield(L, idx, "type");
  if (!lua_isnil(L, -1)) {
    uint8_t *types = lua_newuserdata(L, GE_TRACE_NTYPES); /* kept on the stack */
    memset(types, 0, GE_TRACE_NTYPES);
    if (lua_type(L, -2) == LUA_TSTRING) {
      filter_type(L, lua_tostring(L, -2), types);
    } else if (lua_istable(L, -2)) {
      size_t n = ge_rawlen(L, -2);
      for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, -2, (int)i);
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "filter.type: names expected");
        filter_type(L, lua_tostring(L, -1), types);
        lua_pop(L, 1);
      }
    } else {
      luaL_error(L, "filter.type: a name or a list of names expected");
    }
    f->types = types;
  }
  lua_getfield(L, idx, "g");
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1)) luaL_error(L, "filter.g: number expected");
    lua_Number n = lua_tonumber(L, -1);
    if (!(n >= 0)) luaL_error(L, "filter.g: a goroutine id expected");
    f->g = n >= 1.8e19 ? UINT64_MAX : (uint64_t)n;
    f->by_g = 1;
  }
  lua_pop(L, 1);
  f->from = filter_time(L, idx, "from", &f->by_from);
  f->to = filter_time(L, idx, "to", &f->by_to);
}

/* t:iter(filter?) -> iterator */
static int m_iter(lua_State *L) {
  ge_trace_filter f;
  read_filter(L, 2, &f);
  ge_handle *h = checktrace(L, 1);
  iterbox *b = lua_newuserdata(L, sizeof *b);
  b->it = NULL;
  b->gen = 0;
  luaL_getmetatable(L, ITER_MT);
  lua_setmetatable(L, -2);
  int box = lua_gettop(L);
  ge_error err;
  if (ge_trace_iter_new(h->ptr, &f, &b->it, &err)) return luaL_error(L, "%s", err.msg);
  lua_pushvalue(L, lua_upvalueindex(1)); /* the trampoline */
  lua_pushvalue(L, 1);
  lua_pushvalue(L, box);
  lua_pushnil(L);
  lua_getfield(L, LUA_REGISTRYINDEX, KEYS_KEY);
  lua_pushcclosure(L, iter_next, 5);
  return 1;
}

/* t:count(filter?) -> the number of events that pass, walked in C (the
 * full decode, with goroutine attribution, without a table per event). */
static int m_count(lua_State *L) {
  ge_trace_filter f;
  read_filter(L, 2, &f);
  ge_handle *h = checktrace(L, 1);
  iterbox *b = lua_newuserdata(L, sizeof *b); /* frees the iterator on an error */
  b->it = NULL;
  luaL_getmetatable(L, ITER_MT);
  lua_setmetatable(L, -2);
  ge_error err;
  if (ge_trace_iter_new(h->ptr, &f, &b->it, &err)) return luaL_error(L, "%s", err.msg);
  ge_trace_event ev;
  uint64_t n = 0;
  int rc;
  while ((rc = ge_trace_iter_next(b->it, &ev, &err)) == 1) n++;
  ge_trace_iter_free(b->it);
  b->it = NULL;
  if (rc < 0) return luaL_error(L, "%s", err.msg);
  ge_pushint(L, (long long)n);
  return 1;
}

/* {{name=, id=, event=, args={names}}...}: the event table. */
static int l_types(lua_State *L) {
  lua_newtable(L);
  int n = 0;
  for (unsigned k = 0; k < GE_TRACE_NTYPES; k++) {
    const char *name = ge_trace_type_name(k);
    if (!name) continue;
    lua_createtable(L, 0, 4);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "name");
    ge_setint(L, "id", k);
    lua_pushboolean(L, ge_trace_type_is_event(k));
    lua_setfield(L, -2, "event");
    unsigned na = ge_trace_type_nargs(k);
    lua_createtable(L, (int)na, 0);
    for (unsigned i = 0; i < na; i++) {
      lua_pushstring(L, ge_trace_arg_name(k, i, NULL));
      lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, "args");
    lua_rawseti(L, -2, ++n);
  }
  return 1;
}

static int m_close(lua_State *L) { return ge_lua_closehandle(L, &TRACE_CLASS, free_trace); }

static int m_tostring(lua_State *L) {
  ge_handle *u = luaL_checkudata(L, 1, TRACE_MT);
  if (!u->ptr) {
    lua_pushliteral(L, "goescape.trace (closed)");
    return 1;
  }
  ge_trace_info in;
  ge_trace_info_get(u->ptr, &in);
  lua_pushfstring(L, "goescape.trace (go 1.%d, %d generations, %d events)", (int)in.go_minor,
                  (int)in.generations, (int)in.events);
  return 1;
}

static void make_keys(lua_State *L) {
  static const char *fixed[] = {"type", "time", "gen", "g", "p", "m", "args", "stack",
                                "func", "file", "line", "pc"};
  lua_newtable(L);
  for (int i = 0; i < (int)(sizeof fixed / sizeof *fixed); i++) {
    lua_pushstring(L, fixed[i]);
    lua_rawseti(L, -2, i + 1);
  }
  for (unsigned k = 0; k < GE_TRACE_NTYPES; k++) {
    const char *name = ge_trace_type_name(k);
    if (!name) continue;
    lua_pushstring(L, name);
    lua_rawseti(L, -2, K_TYPENAME + (int)k);
    for (unsigned i = 0; i < ge_trace_type_nargs(k); i++) {
      ge_trace_arg_kind kind;
      const char *a = ge_trace_arg_name(k, i, &kind);
      /* a string argument is named without its "_string" suffix */
      lua_pushlstring(L, a, kind == GE_TRACE_ARG_STRING ? strlen(a) - 7 : strlen(a));
      lua_rawseti(L, -2, K_ARG(k, i));
    }
  }
  lua_setfield(L, LUA_REGISTRYINDEX, KEYS_KEY);
}

void ge_lua_open_trace(lua_State *L) {
  make_keys(L);
  static const luaL_Reg methods[] = {{"info", m_info},   {"counts", m_counts},
                                     {"gens", m_generations},
                                     {"iter", m_iter},   {"count", m_count},
                                     {"close", m_close},
                                     {NULL, NULL}};
  static const luaL_Reg meta[] = {
      {"__gc", m_close}, {"__close", m_close}, {"__tostring", m_tostring}, {NULL, NULL}};
  ge_lua_class(L, TRACE_MT, methods, meta);
  ge_lua_open_trace_model(L);
  ge_lua_open_trace_annot(L);
  ge_lua_open_trace_timeline(L);
  ge_lua_open_trace_allocfree(L);
  ge_lua_open_trace_pprof(L);
  static const luaL_Reg itermeta[] = {{"__gc", iter_gc}, {NULL, NULL}};
  static const luaL_Reg none[] = {{NULL, NULL}};
  ge_lua_class(L, ITER_MT, none, itermeta);
  static const luaL_Reg fns[] = {
      {"trace_open", l_open}, {"trace_parse", l_parse}, {"trace_types", l_types}, {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
