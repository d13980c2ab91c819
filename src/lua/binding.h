/* Registration entry points of the binding's parts: each adds its functions
 * to the module table at the top of the stack (goescape.core). */
#ifndef GE_LUA_BINDING_H
#define GE_LUA_BINDING_H
#include "compat.h"
#include "goescape.h"

void ge_lua_open_common(lua_State *L);
void ge_lua_open_escape(lua_State *L);
void ge_lua_open_profile(lua_State *L);
void ge_lua_open_binary(lua_State *L);

/* Reads an optional limits table at index idx ({max_line_bytes=..., ...})
 * over the defaults; raises on a field of the wrong type. */
void ge_lua_limits(lua_State *L, int idx, ge_limits *lim);
#endif
