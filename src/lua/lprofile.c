/* goescape.core: the ge_profile part of the binding. */
#include "binding.h"

void ge_lua_open_profile(lua_State *L) { (void)L; }
