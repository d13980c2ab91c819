/* goescape.core: the trace's model methods (ge_trace_model: one walk in C,
 * then tables):
 *   t:heap()        -> {{type=, time=, heap_alloc=, heap_goal=, g=}...}
 *   t:gc()          -> {cycles = {{seq=, start=, ["end"]=, duration=}...},
 *                       stw = {{kind=, start=, ["end"]=, duration=, g=}...},
 *                       totals = {cycles=, gc_ns=, stw=, stw_ns=, stw_max_ns=}}
 *   t:each_goroutine() -> iterator: {id=, creator=, created=, ended=, first=,
 *                        state=, running=, runnable=, syscall=, waiting=,
 *                        blocked=, blocked_by = {reason = ns}, func=,
 *                        stack={frames}} per step
 * Absent fields are unknown (a cycle running when the trace began has no
 * start; a goroutine that existed before it has no created). */
#include "binding.h"
#include "goescape/trace.h"

#define MODEL_MT "goescape.trace.model"

static const ge_handle_class TRACE_CLASS = {"goescape.trace", "trace",
                                            "goescape: the trace is closed"};

typedef struct mctx {
  ge_trace_model *m;
} mctx;

static void setns(lua_State *L, const char *k, int64_t v) { ge_setint(L, k, (long long)v); }

static void setg(lua_State *L, const char *k, uint64_t g) {
  if (g != GE_TRACE_NONE) ge_setint(L, k, (long long)g);
}

static int heap_work(lua_State *L, void *ctx) {
  const ge_trace_heap_sample *s;
  size_t n = ge_trace_model_heap(((mctx *)ctx)->m, &s);
  lua_createtable(L, n > 10000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 5);
    lua_pushstring(L, s[i].is_goal ? "HeapGoal" : "HeapAlloc");
    lua_setfield(L, -2, "type");
    setns(L, "time", s[i].time);
    setg(L, "heap_alloc", s[i].heap_alloc);
    setg(L, "heap_goal", s[i].heap_goal);
    setg(L, "g", s[i].g);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

void ge_lua_push_trace_gc(lua_State *L, const ge_trace_model *m) {
  lua_createtable(L, 0, 3);
  const ge_trace_gc_cycle *c;
  size_t n = ge_trace_model_gc(m, &c);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    ge_setint(L, "seq", (long long)c[i].seq);
    if (c[i].has_start) setns(L, "start", c[i].start);
    if (c[i].has_end) setns(L, "end", c[i].end);
    if (c[i].has_start && c[i].has_end) setns(L, "duration", c[i].end - c[i].start);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "cycles");
  const ge_trace_stw *s;
  n = ge_trace_model_stw(m, &s);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 5);
    ge_setsv(L, "kind", ge_trace_model_string(m, s[i].kind));
    setns(L, "start", s[i].start);
    if (s[i].has_end) {
      setns(L, "end", s[i].end);
      setns(L, "duration", s[i].end - s[i].start);
    }
    setg(L, "g", s[i].g);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "stw");
  ge_trace_gc_totals tot;
  ge_trace_model_gc_totals(m, &tot);
  lua_createtable(L, 0, 5);
  ge_setint(L, "cycles", (long long)tot.cycles);
  setns(L, "gc_ns", tot.gc_ns);
  ge_setint(L, "stw", (long long)tot.stw);
  setns(L, "stw_ns", tot.stw_ns);
  setns(L, "stw_max_ns", tot.stw_max_ns);
  lua_setfield(L, -2, "totals");
}

static int gc_work(lua_State *L, void *ctx) {
  ge_lua_push_trace_gc(L, ((mctx *)ctx)->m);
  return 1;
}

/* The frame list of model stack s, shared through the cache at index 1. */
static void push_stack(lua_State *L, ge_trace_model *m, uint32_t s) {
  lua_rawgeti(L, 1, (int)s);
  if (!lua_isnil(L, -1)) return;
  lua_pop(L, 1);
  ge_trace_frame fr[128];
  size_t n = ge_trace_model_stack(m, s, fr, 128);
  ge_lua_push_trace_frames(L, fr, n > 128 ? 128 : n);
  lua_pushvalue(L, -1);
  lua_rawseti(L, 1, (int)s);
}

static const char *const STATES[] = {"unknown", "runnable", "running", "syscall", "waiting", "dead"};

typedef struct gctx {
  ge_trace_model *m;
  size_t i;
} gctx;

/* One goroutine's table; the stack cache at index 1. */
static int goroutine_work(lua_State *L, void *ctx) {
  const gctx *c = ctx;
  ge_trace_model *m = c->m;
  const ge_trace_goroutine *all;
  ge_trace_model_goroutines(m, &all);
  const ge_trace_goroutine *g = &all[c->i];
  lua_createtable(L, 0, 16);
  ge_setint(L, "id", (long long)g->id);
  setg(L, "creator", g->creator);
  if (g->has_created) setns(L, "created", g->created);
  if (g->has_ended) setns(L, "ended", g->ended);
  setns(L, "first", g->first);
  lua_pushstring(L, STATES[g->state <= GE_TRACE_G_DEAD ? g->state : 0]);
  lua_setfield(L, -2, "state");
  setns(L, "running", g->running);
  setns(L, "runnable", g->runnable);
  setns(L, "syscall", g->syscall);
  setns(L, "waiting", g->waiting);
  setns(L, "blocked", g->blocked);
  ge_trace_blocked b[64];
  size_t nb = ge_trace_model_blocked(m, g, b, 64);
  if (nb > 64) nb = 64; /* reasons are the runtime's waitReason strings: a few dozen */
  lua_createtable(L, 0, (int)nb);
  for (size_t k = 0; k < nb; k++) {
    ge_strview r = ge_trace_model_string(m, b[k].reason);
    lua_pushlstring(L, r.ptr, r.len);
    ge_pushint(L, (long long)b[k].ns);
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "blocked_by");
  if (g->entry) {
    ge_trace_frame fr;
    if (ge_trace_model_stack(m, g->entry, &fr, 1)) ge_setsv(L, "func", fr.func);
  }
  if (g->stack) {
    push_stack(L, m, g->stack);
    lua_setfield(L, -2, "stack");
  }
  return 1;
}

/* Upvalues after ge_lua_iterator's: the model's box, the stack cache. */
static int each_goroutine_next(lua_State *L) {
  double pos;
  ge_handle *h = ge_lua_iter_next(L, &TRACE_CLASS, &pos);
  ge_trace_model **box = lua_touserdata(L, lua_upvalueindex(4));
  const ge_trace_goroutine *g;
  size_t n = *box ? ge_trace_model_goroutines(*box, &g) : 0;
  if (!(pos >= 0 && pos < (double)n)) return 0;
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(5));
  gctx c = {*box, (size_t)pos};
  return ge_lua_call(L, h, "each_goroutine", 1, goroutine_work, &c);
}

static int model_free(lua_State *L) {
  ge_trace_model **box = luaL_checkudata(L, 1, MODEL_MT);
  ge_trace_model_free(*box);
  *box = NULL;
  return 0;
}

/* t:each_goroutine(): the goroutines are computed in one walk, first; the
 * iterator holds them (not the trace's events) and makes one table a step. */
static int m_each_goroutine(lua_State *L) {
  lua_settop(L, 1);
  ge_lua_checkhandle(L, 1, &TRACE_CLASS);
  ge_trace_model **box = lua_newuserdata(L, sizeof *box);
  *box = NULL;
  luaL_getmetatable(L, MODEL_MT);
  lua_setmetatable(L, -2);
  lua_newtable(L);
  ge_handle *h = ge_lua_checkhandle(L, 1, &TRACE_CLASS);
  ge_error err;
  if (ge_trace_model_new(h->ptr, GE_TRACE_MODEL_GOROUTINES, box, &err))
    return luaL_error(L, "%s", err.msg);
  ge_lua_iterator(L, each_goroutine_next, 0, 2);
  return 1;
}

/* Builds the model for `what`, then its tables by work (protected: the
 * model is freed whatever happens). */
static int model_method(lua_State *L, unsigned what, const char *name, ge_lua_work work) {
  lua_settop(L, 1);
  ge_handle *h = ge_lua_checkhandle(L, 1, &TRACE_CLASS);
  mctx c = {NULL};
  ge_error err;
  if (ge_trace_model_new(h->ptr, what, &c.m, &err)) return luaL_error(L, "%s", err.msg);
  lua_settop(L, 0);
  int r = ge_lua_run(L, h, name, 0, work, &c);
  ge_trace_model_free(c.m);
  if (r < 0) return lua_error(L);
  return 1;
}

static int m_heap(lua_State *L) { return model_method(L, GE_TRACE_MODEL_HEAP, "heap", heap_work); }
static int m_gc(lua_State *L) { return model_method(L, GE_TRACE_MODEL_GC, "gc", gc_work); }

/* Adds the methods to the trace's method table. */
void ge_lua_open_trace_model(lua_State *L) {
  luaL_getmetatable(L, TRACE_CLASS.tname);
  lua_getfield(L, -1, "__index");
  static const luaL_Reg methods[] = {
      {"heap", m_heap}, {"gc", m_gc}, {"each_goroutine", m_each_goroutine}, {NULL, NULL}};
  ge_lua_funcs(L, methods);
  lua_pop(L, 2);
  static const luaL_Reg meta[] = {{"__gc", model_free}, {NULL, NULL}};
  static const luaL_Reg none[] = {{NULL, NULL}};
  ge_lua_class(L, MODEL_MT, none, meta);
}
