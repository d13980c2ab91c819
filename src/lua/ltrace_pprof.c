/* goescape.core: t:_pprof(kind, period) -> the profile.proto bytes (not
 * gzipped) of `go tool trace -pprof=kind` (src/trace/pprof.c), or nil, err,
 * code; lua/goescape/trace.lua makes them a profile handle (t:pprof). */
#include <stdlib.h>

#include "binding.h"
#include "goescape/trace.h"

static const ge_handle_class TRACE_CLASS = {"goescape.trace", "trace",
                                            "goescape: the trace is closed"};

typedef struct pctx {
  const unsigned char *buf;
  size_t len;
} pctx;

static int push_work(lua_State *L, void *ctx) {
  const pctx *c = ctx;
  lua_pushlstring(L, (const char *)c->buf, c->len);
  return 1;
}

static int m_pprof(lua_State *L) {
  const char *name = luaL_checkstring(L, 2);
  lua_Number period = luaL_optnumber(L, 3, 0);
  int kind = ge_trace_pprof_kind(name);
  if (kind < 0) return luaL_error(L, "trace:pprof: unknown profile type '%s'", name);
  if (!(period >= 0 && period <= 9.2e18)) return luaL_error(L, "trace:pprof: bad period");
  ge_handle *h = ge_lua_checkhandle(L, 1, &TRACE_CLASS);
  ge_error err;
  ge_profile *p;
  if (ge_trace_pprof(h->ptr, (unsigned)kind, (int64_t)period, &p, &err))
    return ge_pushfail(L, err.msg, ge_err_name(err.code));
  unsigned char *buf;
  size_t len;
  ge_err rc = ge_profile_encode(p, 0, &buf, &len, &err);
  ge_profile_free(p);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  lua_settop(L, 0);
  pctx c = {buf, len};
  int r = ge_lua_run(L, h, "pprof", 0, push_work, &c);
  free(buf);
  if (r < 0) return lua_error(L);
  return r;
}

/* Adds the method to the trace's method table. */
void ge_lua_open_trace_pprof(lua_State *L) {
  luaL_getmetatable(L, TRACE_CLASS.tname);
  lua_getfield(L, -1, "__index");
  static const luaL_Reg methods[] = {{"_pprof", m_pprof}, {NULL, NULL}};
  ge_lua_funcs(L, methods);
  lua_pop(L, 2);
}
