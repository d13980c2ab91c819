/* The ge_binary userdata of goescape.core, for other parts of the binding
 * (profile:symbolize(b) glues to it). */
#ifndef GE_LUA_LBINARY_H
#define GE_LUA_LBINARY_H
#include "compat.h"
#include "goescape.h"

#define GE_BINARY_MT "goescape.binary"

/* The open ge_binary at idx: a goescape.binary userdata, or a table whose
 * field `handle` is one (the lua/goescape/binary.lua wrapper). NULL when the
 * value is neither or the binary was closed. Never raises. */
ge_binary *ge_lua_tobinary(lua_State *L, int idx);
#endif
