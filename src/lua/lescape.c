/* goescape.core: the ge_log part of the binding. */
#include "binding.h"

void ge_lua_open_escape(lua_State *L) { (void)L; }
