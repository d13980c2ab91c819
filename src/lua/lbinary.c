/* goescape.core: the ge_binary part of the binding. */
#include "binding.h"

void ge_lua_open_binary(lua_State *L) { (void)L; }
