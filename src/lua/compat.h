/* Lua 5.1 / LuaJIT 2.1 / 5.2–5.4 differences used by the binding. Every
 * polyfill is static and renamed (ge_ prefix), so that it never clashes with
 * a symbol the interpreter exports (luasystem's LUAJIT_VERSION trap). */
#ifndef GE_LUA_COMPAT_H
#define GE_LUA_COMPAT_H
#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#if LUA_VERSION_NUM >= 502
#define ge_rawlen(L, i) lua_rawlen(L, i)
#define ge_setfuncs(L, l, nup) luaL_setfuncs(L, l, nup)
#define ge_testudata(L, i, t) luaL_testudata(L, i, t)
#else
#define ge_rawlen(L, i) lua_objlen(L, i)
static inline void ge_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name; l++) {
    for (int i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
static inline void *ge_testudata(lua_State *L, int ud, const char *tname) {
  void *p = lua_touserdata(L, ud);
  if (p && lua_getmetatable(L, ud)) {
    luaL_getmetatable(L, tname);
    if (!lua_rawequal(L, -1, -2)) p = NULL;
    lua_pop(L, 2);
    return p;
  }
  return NULL;
}
#endif

/* Integers: 5.3+ has a native integer subtype; 5.1/LuaJIT use doubles, which
 * hold byte counts and addresses up to 2^53 exactly. */
static inline void ge_pushint(lua_State *L, long long v) {
#if LUA_VERSION_NUM >= 503
  lua_pushinteger(L, (lua_Integer)v);
#else
  lua_pushnumber(L, (lua_Number)v);
#endif
}

/* Pushes nil, message, code name: the binding's answer for bad input. A
 * limit error (the core names the limit, "max_...") also says how to raise
 * it from Lua; the command rewrites that into its environment variable. */
static inline int ge_pushfail(lua_State *L, const char *msg, const char *code) {
  lua_pushnil(L);
  const char *name = strcmp(code, "limit") == 0 ? strstr(msg, "max_") : NULL;
  if (name) {
    size_t n = 4;
    while ((name[n] >= 'a' && name[n] <= 'z') || name[n] == '_') n++;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, msg);
    luaL_addstring(&b, "; raise it with {limits = {");
    luaL_addlstring(&b, name, n);
    luaL_addstring(&b, " = N}}");
    luaL_pushresult(&b);
  } else {
    lua_pushstring(L, msg);
  }
  lua_pushstring(L, code);
  return 3;
}
#endif
