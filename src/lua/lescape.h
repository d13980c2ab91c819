/* The parts of the ge_log binding (lescape.c, lescape_stream.c). */
#ifndef GE_LUA_LESCAPE_H
#define GE_LUA_LESCAPE_H
#include "binding.h"

/* Pushes record i of log as a table (see lescape.c). */
void ge_lescape_push_record(lua_State *L, const ge_log *log, size_t i);
/* Reads the filter table at idx into f; its strings stay on the stack. */
void ge_lescape_read_filter(lua_State *L, int idx, ge_log_filter *f);
/* Pushes parse statistics as a table. */
void ge_lescape_push_stats(lua_State *L, const ge_log_stats *st);
/* core.log_stream */
int ge_lescape_log_stream(lua_State *L);
#endif
