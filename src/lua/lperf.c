/* goescape.core: the ge_perf part of the binding.
 *   core.perf_open(path, limits?)          -> perf | nil, err, code
 *   core.perf_parse(text, name?, limits?)  -> perf | nil, err, code
 *   perf:info()  perf:_sample(i, event?) -> sample, next | nil
 *   perf:_symbolize(binary, bin_name, dso?) -> true | nil, err, code
 *   perf:_pprof(event?, allocs?)          -> profile handle | nil, err, code
 *   perf:close()
 * lua/goescape/perf.lua puts the documented face on these. */
#include <string.h>

#include "binding.h"
#include "goescape/heapmap.h"
#include "goescape/perf.h"
#include "goescape/profile.h"
#include "lbinary.h"
#include "lprofile.h"

#define PERF_MT "goescape.perf"

static const ge_handle_class PERF_CLASS = {PERF_MT, "perf script",
                                           "goescape: the perf script is closed"};

static ge_handle *checkperf(lua_State *L, int idx) { return ge_lua_checkhandle(L, idx, &PERF_CLASS); }

#define HEAPMAP_MT "goescape.heapmap"
static const ge_handle_class HEAPMAP_CLASS = {HEAPMAP_MT, "heap map", "goescape: the heap map is closed"};

/* The heap map argument at idx (a handle t:_heapmap() made), or NULL for nil. */
static const ge_heapmap *optheapmap(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return NULL;
  return ge_lua_checkhandle(L, idx, &HEAPMAP_CLASS)->ptr;
}

static void free_perf(void *p) { ge_perf_free(p); }

/* An address: exact as an integer up to INT64_MAX on 5.3+ and to 2^53
 * elsewhere (kernel addresses above are rounded on LuaJIT and 5.1). */
static void push_addr(lua_State *L, uint64_t v) {
  if (v <= (uint64_t)INT64_MAX) ge_pushint(L, (long long)v);
  else lua_pushnumber(L, (lua_Number)v);
}

static void set_addr(lua_State *L, const char *k, uint64_t v) {
  push_addr(L, v);
  lua_setfield(L, -2, k);
}

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ge_limits lim;
  ge_lua_limits(L, 2, &lim);
  unsigned flags = lua_toboolean(L, 3) ? GE_PERF_AGGREGATE : 0;
  const ge_heapmap *heap = optheapmap(L, 4);
  ge_handle *h = ge_lua_newhandle(L, PERF_MT);
  ge_error err;
  ge_perf *p;
  if (ge_perf_open(path, &lim, flags, heap, &p, &err)) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  h->ptr = p;
  return 1;
}

static int l_parse(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "<string>");
  ge_limits lim;
  ge_lua_limits(L, 3, &lim);
  unsigned flags = lua_toboolean(L, 4) ? GE_PERF_AGGREGATE : 0;
  const ge_heapmap *heap = optheapmap(L, 5);
  ge_handle *h = ge_lua_newhandle(L, PERF_MT);
  ge_error err;
  ge_perf *p;
  if (ge_perf_open_mem(data, len, name, &lim, flags, heap, &p, &err))
    return ge_pushfail(L, err.msg, ge_err_name(err.code));
  h->ptr = p;
  return 1;
}

static const char *form_name(ge_perf_addr_form f) {
  switch (f) {
  case GE_PERF_ADDR_OFFSET: return "offset";
  case GE_PERF_ADDR_VADDR: return "address";
  case GE_PERF_ADDR_BIASED: return "biased";
  default: return "unknown";
  }
}

typedef struct pctx {
  ge_perf *p;
  size_t i;
  long ev;
} pctx;

static int info_work(lua_State *L, void *ctx) {
  const ge_perf *p = ((pctx *)ctx)->p;
  ge_perf_info in;
  ge_perf_info_get(p, &in);
  lua_createtable(L, 0, 10);
  ge_setint(L, "lines", (long long)in.lines);
  ge_setint(L, "samples", (long long)in.samples);
  ge_setint(L, "records", (long long)in.records);
  ge_setbool(L, "aggregated", in.aggregated);
  ge_setint(L, "frames", (long long)in.frames);
  ge_setbool(L, "callchain", in.has_callchain);
  lua_pushstring(L, form_name(in.chain_form));
  lua_setfield(L, -2, "chain_addresses");
  lua_pushstring(L, form_name(in.ip_form));
  lua_setfield(L, -2, "ip_addresses");
  lua_createtable(L, (int)in.nevents, 0);
  for (size_t i = 0; i < in.nevents; i++) {
    ge_perf_event e;
    ge_perf_event_get(p, i, &e);
    lua_createtable(L, 0, 6);
    ge_setsv(L, "name", e.name);
    ge_setint(L, "samples", (long long)e.samples);
    ge_setint(L, "period", (long long)e.period);
    ge_setbool(L, "addr", e.has_addr);
    ge_setbool(L, "data_src", e.has_data_src);
    ge_setbool(L, "weight", e.has_weight);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "events");
  lua_createtable(L, (int)in.ndsos, 0);
  for (size_t i = 0; i < in.ndsos; i++) {
    ge_perf_dso d;
    ge_perf_dso_get(p, i, &d);
    lua_createtable(L, 0, 3);
    ge_setsv(L, "name", d.name);
    ge_setint(L, "frames", (long long)d.frames);
    ge_setint(L, "samples", (long long)d.samples);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "dsos");
  lua_createtable(L, 0, 4);
  ge_setint(L, "frames", (long long)in.bin_frames);
  ge_setint(L, "resolved", (long long)in.bin_resolved);
  ge_setint(L, "samples", (long long)in.bin_samples);
  ge_setint(L, "samples_resolved", (long long)in.bin_samples_resolved);
  lua_setfield(L, -2, "binary");
  if (in.heap.samples) {
    lua_createtable(L, 0, 4);
    ge_setint(L, "samples", (long long)in.heap.samples);
    ge_setint(L, "outside", (long long)in.heap.outside);
    ge_setint(L, "behind", (long long)in.heap.behind);
    ge_setint(L, "full", (long long)in.heap.full);
    lua_setfield(L, -2, "heap_map");
  }
  return 1;
}

static int m_info(lua_State *L) {
  ge_handle *h = checkperf(L, 1);
  pctx c = {h->ptr, 0, -1};
  return ge_lua_call(L, h, "info", 1, info_work, &c);
}

static void push_frame(lua_State *L, const ge_perf *p, size_t i) {
  ge_perf_frame f;
  ge_perf_frame_get(p, i, &f);
  lua_createtable(L, 0, 7);
  set_addr(L, "ip", f.ip);
  ge_setsv(L, "sym", f.sym);
  set_addr(L, "off", f.symoff);
  ge_setsv(L, "dso", f.dso);
  if (f.vaddr) set_addr(L, "vaddr", f.vaddr);
  if (f.inlined) ge_setbool(L, "inlined", 1);
  if (f.ngo) {
    lua_createtable(L, (int)f.ngo, 0);
    for (size_t k = 0; k < f.ngo; k++) {
      ge_perf_goframe g;
      ge_perf_goframe_get(p, f.first_go + k, &g);
      lua_createtable(L, 0, 4);
      ge_setsv(L, "func", g.func);
      ge_setsv(L, "file", g.file);
      ge_setint(L, "line", g.line);
      ge_setbool(L, "inlined", g.inlined);
      lua_rawseti(L, -2, (int)k + 1);
    }
    lua_setfield(L, -2, "go");
  }
}

static int sample_work(lua_State *L, void *ctx) {
  const pctx *c = ctx;
  const ge_perf *p = c->p;
  ge_perf_info in;
  ge_perf_info_get(p, &in);
  ge_perf_sample s;
  size_t i = c->i;
  for (; i < in.records; i++) {
    ge_perf_sample_get(p, i, &s);
    if (c->ev < 0 || s.event == (uint32_t)c->ev) break;
  }
  if (i >= in.records) return 0;
  ge_perf_event e;
  ge_perf_event_get(p, s.event, &e);
  lua_createtable(L, 0, 16);
  ge_setsv(L, "comm", s.comm);
  ge_setsv(L, "event", e.name);
  ge_setint(L, "pid", s.pid);
  ge_setint(L, "tid", s.tid);
  if (s.flags & GE_PERF_HAS_CPU) ge_setint(L, "cpu", s.cpu);
  if (s.flags & GE_PERF_HAS_TIME) ge_setint(L, "time", (long long)s.time_ns);
  ge_setint(L, "period", (long long)s.period);
  if (s.count != 1) ge_setint(L, "count", (long long)s.count);
  if (s.flags & GE_PERF_HAS_ADDR) {
    set_addr(L, "addr", s.addr);
    if (s.addr_sym.len) ge_setsv(L, "addr_sym", s.addr_sym);
    if (s.addr_dso.len) ge_setsv(L, "addr_dso", s.addr_dso);
    set_addr(L, "addr_off", s.addr_off);
    lua_pushstring(L, ge_perf_data_class_name(s.data_class));
    lua_setfield(L, -2, "data");
  }
  if (s.flags & GE_PERF_HAS_DATA_SRC) set_addr(L, "data_src", s.data_src);
  if (s.flags & GE_PERF_HAS_WEIGHT) ge_setint(L, "weight", (long long)s.weight);
  if (s.trace.len) ge_setsv(L, "trace", s.trace);
  lua_createtable(L, (int)s.nframes, 0);
  for (size_t k = 0; k < s.nframes; k++) {
    push_frame(L, p, s.first_frame + k);
    lua_rawseti(L, -2, (int)k + 1);
  }
  lua_setfield(L, -2, "frames");
  ge_pushint(L, (long long)i + 1);
  return 2;
}

/* perf:_sample(i, event): the first sample at index >= i (0-based) of event
 * (0-based; -1 any), and the index after it; nothing past the end. */
static int m_sample(lua_State *L) {
  lua_Number i = luaL_checknumber(L, 2);
  lua_Number ev = luaL_optnumber(L, 3, -1);
  ge_handle *h = checkperf(L, 1);
  if (!(i >= 0 && i < 1e15)) return luaL_argerror(L, 2, "bad index");
  if (!(ev >= -1 && ev < 1e9)) return luaL_argerror(L, 3, "bad event");
  pctx c = {h->ptr, (size_t)i, (long)ev};
  lua_settop(L, 0);
  return ge_lua_call(L, h, "each", 0, sample_work, &c);
}

static int m_symbolize(lua_State *L) {
  const char *name = luaL_checkstring(L, 3);
  const char *dso = luaL_optstring(L, 4, NULL);
  ge_handle *h = checkperf(L, 1);
  ge_binary *b = ge_lua_checkbinary(L, 2);
  ge_error err;
  /* no Lua runs from here to the end: neither handle can go */
  if (ge_perf_symbolize(h->ptr, b, name, dso, &err))
    return ge_pushfail(L, err.msg, ge_err_name(err.code));
  lua_pushboolean(L, 1);
  return 1;
}

/* perf:_pprof(events, true): an allocation profile of the events listed
 * (0-based indices) */
static int pprof_allocs(lua_State *L) {
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  ge_lprof_box *b = ge_lprof_newbox(L);
  ge_perf_info in;
  ge_perf_info_get(checkperf(L, 1)->ptr, &in);
  uint8_t *mask = lua_newuserdata(L, in.nevents ? in.nevents : 1);
  ge_handle *h = checkperf(L, 1); /* after the allocation: no pointer into it is held across one */
  memset(mask, 0, in.nevents ? in.nevents : 1);
  size_t n = ge_rawlen(L, 2);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, 2, (int)i);
    lua_Number e = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (!(e >= 0 && e < (lua_Number)in.nevents)) return luaL_argerror(L, 2, "bad event");
    mask[(size_t)e] = 1;
  }
  ge_error err;
  if (ge_perf_pprof_allocs(h->ptr, mask, &b->ptr, &err)) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  lua_pop(L, 1); /* the mask */
  return ge_lprof_push(L, b);
}

static int m_pprof(lua_State *L) {
  if (lua_toboolean(L, 3)) return pprof_allocs(L);
  lua_Number ev = luaL_optnumber(L, 2, -1);
  if (!(ev >= -1 && ev < 1e9)) return luaL_argerror(L, 2, "bad event");
  lua_Number dc = luaL_optnumber(L, 4, 0);
  if (!(dc >= 0 && dc <= GE_PERF_DATA_OFFHEAP)) return luaL_argerror(L, 4, "bad data class");
  lua_settop(L, 4);
  ge_lprof_box *b = ge_lprof_newbox(L);
  ge_handle *h = checkperf(L, 1);
  ge_error err;
  int dclass = (int)lua_tonumber(L, 4);
  ge_err rc = dclass > 0 ? ge_perf_pprof_data(h->ptr, (int)ev, (ge_perf_data_class)dclass, &b->ptr, &err)
              : ge_perf_pprof(h->ptr, (int)ev, &b->ptr, &err);
  if (rc)
    return ge_pushfail(L, err.msg, ge_err_name(err.code));
  return ge_lprof_push(L, b);
}

/* perf:_data(event): {classes = {name = {samples, period}}, globals =
 * {["sym\0dso"] = {sym, dso, samples, period}}} of the samples with a data
 * address (event -1: all). */
static int data_work(lua_State *L, void *ctx) {
  const pctx *c = ctx;
  const ge_perf *p = c->p;
  ge_perf_info in;
  ge_perf_info_get(p, &in);
  lua_createtable(L, 0, 2);
  lua_newtable(L); /* classes */
  lua_newtable(L); /* globals */
  for (size_t i = 0; i < in.records; i++) {
    ge_perf_sample s;
    ge_perf_sample_get(p, i, &s);
    if (!s.data_class || (c->ev >= 0 && s.event != (uint32_t)c->ev)) continue;
    const char *name = ge_perf_data_class_name(s.data_class);
    lua_getfield(L, -2, name);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_createtable(L, 0, 2);
      ge_setint(L, "samples", 0);
      ge_setint(L, "period", 0);
      lua_pushvalue(L, -1);
      lua_setfield(L, -4, name);
    }
    lua_getfield(L, -1, "samples");
    ge_pushint(L, (long long)lua_tonumber(L, -1) + (long long)s.count);
    lua_setfield(L, -3, "samples");
    lua_getfield(L, -2, "period");
    ge_pushint(L, (long long)lua_tonumber(L, -1) + (long long)s.period);
    lua_setfield(L, -4, "period");
    lua_pop(L, 3);
    if (s.data_class != GE_PERF_DATA_GLOBAL) continue;
    lua_pushlstring(L, s.addr_sym.ptr ? s.addr_sym.ptr : "", s.addr_sym.len);
    lua_pushliteral(L, "\0");
    lua_pushlstring(L, s.addr_dso.ptr ? s.addr_dso.ptr : "", s.addr_dso.len);
    lua_concat(L, 3);
    lua_pushvalue(L, -1);
    lua_gettable(L, -3);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_createtable(L, 0, 4);
      ge_setsv(L, "sym", s.addr_sym);
      ge_setsv(L, "dso", s.addr_dso);
      ge_setint(L, "samples", 0);
      ge_setint(L, "period", 0);
      lua_pushvalue(L, -2);
      lua_pushvalue(L, -2);
      lua_settable(L, -5);
    }
    lua_getfield(L, -1, "samples");
    ge_pushint(L, (long long)lua_tonumber(L, -1) + (long long)s.count);
    lua_setfield(L, -3, "samples");
    lua_getfield(L, -2, "period");
    ge_pushint(L, (long long)lua_tonumber(L, -1) + (long long)s.period);
    lua_setfield(L, -4, "period");
    lua_pop(L, 4);
  }
  lua_setfield(L, -3, "globals");
  lua_setfield(L, -2, "classes");
  return 1;
}

static int m_data(lua_State *L) {
  lua_Number ev = luaL_optnumber(L, 2, -1);
  ge_handle *h = checkperf(L, 1);
  if (!(ev >= -1 && ev < 1e9)) return luaL_argerror(L, 2, "bad event");
  pctx c = {h->ptr, 0, (long)ev};
  lua_settop(L, 0);
  return ge_lua_call(L, h, "data", 0, data_work, &c);
}

static int m_close(lua_State *L) { return ge_lua_closehandle(L, &PERF_CLASS, free_perf); }

static void free_heapmap(void *m) { ge_heapmap_free(m); }
static int m_heapmap_close(lua_State *L) { return ge_lua_closehandle(L, &HEAPMAP_CLASS, free_heapmap); }

/* heapmap:regions() -> {heap = n, stack = n, manual = n}: what the map holds. */
static int m_heapmap_regions(lua_State *L) {
  ge_handle *h = ge_lua_checkhandle(L, 1, &HEAPMAP_CLASS);
  const ge_heapmap_region *r;
  size_t n = ge_heapmap_regions(h->ptr, &r), by[4] = {0};
  for (size_t i = 0; i < n; i++) by[r[i].kind & 3]++;
  lua_createtable(L, 0, 3);
  ge_setint(L, "heap", (long long)by[GE_HEAPMAP_HEAP]);
  ge_setint(L, "stack", (long long)by[GE_HEAPMAP_STACK]);
  ge_setint(L, "manual", (long long)by[GE_HEAPMAP_MANUAL]);
  return 1;
}

static int m_tostring(lua_State *L) {
  ge_handle *u = luaL_checkudata(L, 1, PERF_MT);
  if (!u->ptr) {
    lua_pushliteral(L, "goescape.perf (closed)");
    return 1;
  }
  ge_perf_info in;
  ge_perf_info_get(u->ptr, &in);
  lua_pushfstring(L, "goescape.perf (%d samples, %d events)", (int)in.samples, (int)in.nevents);
  return 1;
}

void ge_lua_open_perf(lua_State *L) {
  static const luaL_Reg methods[] = {{"info", m_info},     {"_sample", m_sample},
                                     {"_symbolize", m_symbolize}, {"_pprof", m_pprof}, {"_data", m_data},
                                     {"close", m_close},   {NULL, NULL}};
  static const luaL_Reg meta[] = {
      {"__gc", m_close}, {"__close", m_close}, {"__tostring", m_tostring}, {NULL, NULL}};
  ge_lua_class(L, PERF_MT, methods, meta);
  static const luaL_Reg hm_methods[] = {{"regions", m_heapmap_regions}, {"close", m_heapmap_close}, {NULL, NULL}};
  static const luaL_Reg hm_meta[] = {{"__gc", m_heapmap_close}, {"__close", m_heapmap_close}, {NULL, NULL}};
  ge_lua_class(L, HEAPMAP_MT, hm_methods, hm_meta);
  static const luaL_Reg fns[] = {{"perf_open", l_open}, {"perf_parse", l_parse}, {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
