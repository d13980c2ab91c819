/* goescape.core: t:timeline(from, to, buckets) (positional; trace.lua's
 * t:timeline{...} checks the options), one walk in C (src/trace/timeline.c):
 *   {from=, to=, buckets=,
 *    heap = {{i=, time=, ["end"]=, first=, min=, max=, last=, n=}...},  -- buckets with samples
 *    goal = {...},                                                 -- the same, HeapGoal
 *    goroutines = {{time=, ["end"]=, running=, runnable=, running_max=, runnable_max=}...},
 *    gc = {cycles = {{seq=, start=, ["end"]=}...}, stw = {{kind=, start=, ["end"]=, g=}...}},
 *    regions = {...}, logs = {...}, counts = {regions=, logs=}}   -- see notes()
 * i: the bucket (1-based); a bucket's time is its first ns, its end the next one's time (the last
 * bucket's end, `to`, is in it). */
#include "binding.h"
#include "goescape/trace.h"

static const ge_handle_class TRACE_CLASS = {"goescape.trace", "trace",
                                            "goescape: the trace is closed"};

typedef struct tctx {
  ge_trace_timeline *tl;
  int64_t from, to;
} tctx;

static void bounds(lua_State *L, const int64_t *edges, size_t i) {
  ge_setint(L, "time", (long long)edges[i]);
  ge_setint(L, "end", (long long)edges[i + 1]);
}

static void levels(lua_State *L, const int64_t *edges, const ge_trace_tl_level *lv, size_t n) {
  size_t k = 0;
  lua_newtable(L);
  for (size_t i = 0; i < n; i++) {
    if (!lv[i].n) continue;
    lua_createtable(L, 0, 8);
    ge_setint(L, "i", (long long)i + 1);
    bounds(L, edges, i);
    ge_setint(L, "first", (long long)lv[i].first);
    ge_setint(L, "min", (long long)lv[i].min);
    ge_setint(L, "max", (long long)lv[i].max);
    ge_setint(L, "last", (long long)lv[i].last);
    ge_setint(L, "n", (long long)lv[i].n);
    lua_rawseti(L, -2, (int)++k);
  }
}

static void span_fields(lua_State *L, const ge_trace_tl_span *s) {
  ge_setint(L, "n", (long long)s->n);
  if (s->n == 1 && s->g != GE_TRACE_NONE) ge_setint(L, "g", (long long)s->g);
  if (s->n == 1) ge_setint(L, "task", (long long)s->task);
}

/* regions = {{name=, busy=, spans = {{start=, ["end"]=, n=, busy=, g=, task=,
 * open_start=, open_end=}...}}...}, logs = {{time=, ["end"]=, n=, key=,
 * value=, g=, task=}...} */
static void notes(lua_State *L, const ge_trace_timeline *tl) {
  size_t nn = ge_trace_timeline_names(tl);
  lua_createtable(L, nn > 10000000 ? 0 : (int)nn, 0);
  for (size_t i = 0; i < nn; i++) {
    const ge_trace_tl_span *s;
    size_t ns = ge_trace_timeline_regions(tl, i, &s);
    int64_t busy = 0;
    lua_createtable(L, 0, 3);
    ge_setsv(L, "name", ge_trace_timeline_name(tl, i));
    lua_createtable(L, ns > 10000000 ? 0 : (int)ns, 0);
    for (size_t k = 0; k < ns; k++) {
      lua_createtable(L, 0, 8);
      ge_setint(L, "start", (long long)s[k].start);
      ge_setint(L, "end", (long long)s[k].end);
      ge_setint(L, "busy", (long long)s[k].busy);
      span_fields(L, &s[k]);
      if (s[k].open_start) ge_setbool(L, "open_start", 1);
      if (s[k].open_end) ge_setbool(L, "open_end", 1);
      busy += s[k].busy;
      lua_rawseti(L, -2, (int)k + 1);
    }
    lua_setfield(L, -2, "spans");
    ge_setint(L, "busy", (long long)busy);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "regions");
  const ge_trace_tl_span *s;
  size_t nl = ge_trace_timeline_logs(tl, &s);
  lua_createtable(L, nl > 10000000 ? 0 : (int)nl, 0);
  for (size_t k = 0; k < nl; k++) {
    lua_createtable(L, 0, 7);
    ge_setint(L, "time", (long long)s[k].start);
    ge_setint(L, "end", (long long)s[k].end);
    ge_setsv(L, "key", ge_trace_timeline_text(tl, s[k].name));
    ge_setsv(L, "value", ge_trace_timeline_text(tl, s[k].value));
    span_fields(L, &s[k]);
    lua_rawseti(L, -2, (int)k + 1);
  }
  lua_setfield(L, -2, "logs");
  uint64_t nr, nlog;
  ge_trace_timeline_counts(tl, &nr, &nlog);
  lua_createtable(L, 0, 2);
  ge_setint(L, "regions", (long long)nr);
  ge_setint(L, "logs", (long long)nlog);
  lua_setfield(L, -2, "counts");
}

static int timeline_work(lua_State *L, void *ctx) {
  const tctx *c = ctx;
  const int64_t *edges;
  const ge_trace_tl_level *heap, *goal;
  const ge_trace_tl_gs *gs;
  size_t n = ge_trace_timeline_buckets(c->tl, &edges, &heap, &goal, &gs);
  lua_createtable(L, 0, 10);
  ge_setint(L, "from", (long long)c->from);
  ge_setint(L, "to", (long long)c->to);
  ge_setint(L, "buckets", (long long)n);
  levels(L, edges, heap, n);
  lua_setfield(L, -2, "heap");
  levels(L, edges, goal, n);
  lua_setfield(L, -2, "goal");
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 6);
    bounds(L, edges, i);
    ge_setint(L, "running", (long long)gs[i].running_ns);
    ge_setint(L, "runnable", (long long)gs[i].runnable_ns);
    ge_setint(L, "running_max", (long long)gs[i].running_max);
    ge_setint(L, "runnable_max", (long long)gs[i].runnable_max);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "goroutines");
  ge_lua_push_trace_gc(L, ge_trace_timeline_model(c->tl));
  lua_setfield(L, -2, "gc");
  notes(L, c->tl);
  return 1;
}

static int64_t checkns(lua_State *L, int idx, const char *what) {
  lua_Number v = luaL_checknumber(L, idx);
  if (!(v >= -9.2e18 && v <= 9.2e18)) luaL_error(L, "trace:timeline: %s: a time in ns expected", what);
  return (int64_t)v;
}

static int m_timeline(lua_State *L) {
  tctx c = {NULL, checkns(L, 2, "from"), checkns(L, 3, "to")};
  lua_Number nb = luaL_checknumber(L, 4);
  if (c.from > c.to) return luaL_error(L, "trace:timeline: from is after to");
  if (!(nb >= 1 && nb <= 1000000)) return luaL_error(L, "trace:timeline: buckets: 1 to 1000000");
  lua_settop(L, 1);
  ge_handle *h = ge_lua_checkhandle(L, 1, &TRACE_CLASS);
  ge_error err;
  if (ge_trace_timeline_new(h->ptr, c.from, c.to, (size_t)nb, &c.tl, &err))
    return luaL_error(L, "%s", err.msg);
  lua_settop(L, 0);
  int r = ge_lua_run(L, h, "timeline", 0, timeline_work, &c);
  ge_trace_timeline_free(c.tl);
  if (r < 0) return lua_error(L);
  return 1;
}

/* Adds t:timeline to the trace's method table. */
void ge_lua_open_trace_timeline(lua_State *L) {
  luaL_getmetatable(L, TRACE_CLASS.tname);
  lua_getfield(L, -1, "__index");
  static const luaL_Reg methods[] = {{"timeline", m_timeline}, {NULL, NULL}};
  ge_lua_funcs(L, methods);
  lua_pop(L, 2);
}
