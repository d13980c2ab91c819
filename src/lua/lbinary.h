/* goescape.core's ge_binary userdata, for the other parts of the binding. */
#ifndef GE_LUA_LBINARY_H
#define GE_LUA_LBINARY_H
#include "compat.h"
#include "goescape.h"

#define GE_BINARY_MT "goescape.binary"

/* The ge_binary of the binary handle at idx, open and not in use by a
 * method in progress (raises otherwise), or NULL when the value at idx is
 * not a binary handle. */
ge_binary *ge_lua_tobinary_arg(lua_State *L, int idx);

#endif
