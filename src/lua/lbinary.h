/* The goescape.binary userdata, for the other parts of the binding (a
 * profile symbolized against a binary in C). */
#ifndef GE_LUA_LBINARY_H
#define GE_LUA_LBINARY_H
#include "binding.h"

#define GE_BINARY_MT "goescape.binary"

/* What the messages about a binary say (ge_lua_checkhandle, ge_lua_run). */
extern const ge_handle_class ge_lua_binary_class;

/* The ge_binary of the binary at idx; raises when idx is not a binary, or a
 * closed one, or one a method is using. The userdata starts with a
 * ge_handle: a caller that runs Lua code (an allocation can) while it uses
 * the binary marks it in use through ge_lua_run with that handle. */
ge_binary *ge_lua_checkbinary(lua_State *L, int idx);
#endif
