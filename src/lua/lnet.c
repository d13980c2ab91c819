/* goescape.core: the ge_net part of the binding.
 *   core.net_get(url, connect_timeout_ms?, timeout_ms?, limits?, insecure?)
 *     -> body, {status, content_type, url, seconds, bytes} | nil, err, code
 *   core.net_disable(), core.net_disabled() -> bool
 *   core.net_sleep(seconds): waits (goescape watch's ticks; Lua has no sleep)
 *   core.net_clock() -> seconds of a monotonic clock (the ticks' schedule)
 * The fetch runs with no Lua value made; the answer is pushed under
 * ge_lua_run, so that a failed allocation there still frees it. */
#include <time.h>

#include "binding.h"
#include "goescape/net.h"

static int push_work(lua_State *L, void *ctx) {
  const ge_net_response *r = ctx;
  ge_strview b = ge_net_body(r);
  lua_pushlstring(L, b.ptr, b.len);
  lua_createtable(L, 0, 5);
  ge_setint(L, "status", ge_net_status(r));
  lua_pushstring(L, ge_net_content_type(r));
  lua_setfield(L, -2, "content_type");
  lua_pushstring(L, ge_net_url(r));
  lua_setfield(L, -2, "url");
  lua_pushnumber(L, ge_net_seconds(r));
  lua_setfield(L, -2, "seconds");
  ge_setint(L, "bytes", (long long)b.len);
  return 2;
}

static uint64_t opt_ms(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return 0;
  lua_Number n = luaL_checknumber(L, idx);
  if (!(n >= 1)) luaL_argerror(L, idx, "a timeout must be at least 1 ms");
  return n >= 1.8e19 ? UINT64_MAX : (uint64_t)n;
}

/* The switch is kept in the registry: per Lua state (the fuzzer's state
 * never reaches the network), not a process-wide global. */
#define NET_DISABLED_KEY "goescape.net_disabled"

static int net_is_disabled(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, NET_DISABLED_KEY);
  int off = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return off;
}

static int l_net_disable(lua_State *L) {
  lua_pushboolean(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, NET_DISABLED_KEY);
  return 0;
}

static int l_net_disabled(lua_State *L) {
  lua_pushboolean(L, net_is_disabled(L));
  return 1;
}

static int l_net_get(lua_State *L) {
  const char *url = luaL_checkstring(L, 1);
  if (net_is_disabled(L)) {
    lua_pushfstring(L, "%s: network access is disabled (ge.net.disable)", url);
    return ge_pushfail(L, lua_tostring(L, -1), "io");
  }
  ge_net_request req = {url, opt_ms(L, 2), opt_ms(L, 3), 0, lua_toboolean(L, 5)};
  ge_limits lim;
  ge_lua_limits(L, 4, &lim);
  req.max_bytes = lim.max_fetch_bytes;
  lua_settop(L, 1); /* nothing between here and the push needs the rest */
  ge_error err;
  ge_net_response *r;
  if (ge_net_get(&req, &r, &err)) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  int n = ge_lua_run(L, NULL, "net_get", 0, push_work, r);
  ge_net_response_free(r);
  return n < 0 ? lua_error(L) : n;
}

/* A signal (Ctrl-C) ends the wait early: the interpreter's handler then
 * stops the command at its next step. */
static int l_net_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  if (!(s > 0)) return 0;
  if (s > 86400) s = 86400;
  struct timespec ts;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
  nanosleep(&ts, NULL);
  return 0;
}

static int l_net_clock(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

void ge_lua_open_net(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"net_get", l_net_get}, {"net_disable", l_net_disable}, {"net_disabled", l_net_disabled},
      {"net_sleep", l_net_sleep}, {"net_clock", l_net_clock}, {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
