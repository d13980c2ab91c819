/* goescape.core: heap object lifetimes of an AllocFree trace
 * (ge_trace_lifetimes: one walk in C, then tables):
 *   t:lifetimes() -> {{type=, addr=, size=, ptr_bytes=, allocs=, bytes=,
 *                      frees=, existing=, live=, live_bytes=, lifetimes=,
 *                      survived = {[0]=n, [1]=n, [2]=n, [3]=n (3 or more)},
 *                      median_ns=, p90_ns=}...,
 *                     totals = {allocs=, frees=, free_events=, existing=, live=, ...}}
 *                   | nil, err, code ("notfound": not recorded with
 *                     GODEBUG=traceallocfree=1)
 * median_ns and p90_ns are absent for a type none of whose objects were
 * seen both allocated and freed.
 *   t:_heapmap() -> heap map handle (goescape.heapmap, lperf.c) of the
 *                   trace's spans and goroutine stacks | nil, err, code */
#include "binding.h"
#include "goescape/heapmap.h"
#include "goescape/trace_allocfree.h"

static const ge_handle_class TRACE_CLASS = {"goescape.trace", "trace",
                                            "goescape: the trace is closed"};

static void setu(lua_State *L, const char *k, uint64_t v) { ge_setint(L, k, (long long)v); }

static void push_row(lua_State *L, const ge_trace_lt_type *r) {
  lua_createtable(L, 0, 16);
  ge_setsv(L, "type", r->name);
  setu(L, "addr", r->addr);
  setu(L, "size", r->size);
  setu(L, "ptr_bytes", r->ptr_bytes);
  setu(L, "allocs", r->allocs);
  setu(L, "bytes", r->bytes);
  setu(L, "frees", r->frees);
  setu(L, "existing", r->existing);
  setu(L, "live", r->live);
  setu(L, "live_bytes", r->live_bytes);
  setu(L, "lifetimes", r->lifetimes);
  lua_createtable(L, GE_TRACE_SURVIVED, 1);
  for (int i = 0; i < GE_TRACE_SURVIVED; i++) {
    ge_pushint(L, (long long)r->survived[i]);
    lua_rawseti(L, -2, i);
  }
  lua_setfield(L, -2, "survived");
  if (r->lifetimes) {
    ge_setint(L, "median_ns", r->median_ns);
    ge_setint(L, "p90_ns", r->p90_ns);
  }
}

static int lifetimes_work(lua_State *L, void *ctx) {
  const ge_trace_lifetimes *l = ctx;
  const ge_trace_lt_type *rows;
  size_t n = ge_trace_lifetimes_types(l, &rows);
  lua_createtable(L, n > 10000000 ? 0 : (int)n, 1);
  for (size_t i = 0; i < n; i++) {
    push_row(L, &rows[i]);
    lua_rawseti(L, -2, (int)i + 1);
  }
  ge_trace_lt_totals t;
  ge_trace_lifetimes_totals(l, &t);
  lua_createtable(L, 0, 20);
  setu(L, "allocs", t.allocs);
  setu(L, "frees", t.frees);
  setu(L, "free_events", t.free_events);
  setu(L, "existing", t.existing);
  setu(L, "live", t.live);
  setu(L, "unknown_frees", t.unknown_frees);
  setu(L, "unknown_types", t.unknown_types);
  setu(L, "gc_cycles", t.gc_cycles);
  setu(L, "types", t.types);
  setu(L, "spans", t.spans);
  setu(L, "span_allocs", t.span_allocs);
  setu(L, "span_frees", t.span_frees);
  setu(L, "stacks", t.stacks);
  setu(L, "stack_allocs", t.stack_allocs);
  setu(L, "stack_frees", t.stack_frees);
  if (t.has_info) {
    setu(L, "min_heap_addr", t.min_heap_addr);
    setu(L, "page_size", t.page_size);
    setu(L, "heap_align", t.heap_align);
    setu(L, "fixed_stack", t.fixed_stack);
  }
  lua_setfield(L, -2, "totals");
  return 1;
}

static int m_lifetimes(lua_State *L) {
  lua_settop(L, 1);
  ge_handle *h = ge_lua_checkhandle(L, 1, &TRACE_CLASS);
  ge_trace_lifetimes *l;
  ge_error err;
  if (ge_trace_lifetimes_new(h->ptr, &l, &err)) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  lua_settop(L, 0);
  int r = ge_lua_run(L, h, "lifetimes", 0, lifetimes_work, l);
  ge_trace_lifetimes_free(l);
  if (r < 0) return lua_error(L);
  return 1;
}

static int m_heapmap(lua_State *L) {
  lua_settop(L, 1);
  ge_handle *h = ge_lua_checkhandle(L, 1, &TRACE_CLASS);
  ge_handle *m = ge_lua_newhandle(L, "goescape.heapmap");
  ge_trace_lifetimes *l;
  ge_error err;
  if (ge_trace_lifetimes_new(h->ptr, &l, &err)) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  const ge_heapmap_region *r;
  size_t n = ge_trace_lifetimes_regions(l, &r);
  ge_trace_lt_totals tot;
  ge_trace_lifetimes_totals(l, &tot);
  ge_trace_info in;
  ge_trace_info_get(h->ptr, &in);
  if (!tot.has_info) {
    ge_trace_lifetimes_free(l);
    return ge_pushfail(L, "no AllocFree info batch (it is in a trace's first generation; a flight "
                          "recorder's capture lacks it): the spans cannot be placed", "notfound");
  }
  ge_err rc = ge_heapmap_new(r, n, in.start_ns, in.end_ns, tot.page_size, tot.fixed_stack,
                             (ge_heapmap **)&m->ptr, &err);
  ge_trace_lifetimes_free(l);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  return 1;
}

/* Adds t:lifetimes() and t:_heapmap() to the trace's method table. */
void ge_lua_open_trace_allocfree(lua_State *L) {
  luaL_getmetatable(L, TRACE_CLASS.tname);
  lua_getfield(L, -1, "__index");
  static const luaL_Reg methods[] = {{"lifetimes", m_lifetimes}, {"_heapmap", m_heapmap}, {NULL, NULL}};
  ge_lua_funcs(L, methods);
  lua_pop(L, 2);
}
