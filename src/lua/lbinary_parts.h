/* What the parts of the goescape.binary binding share (lbinary.c registers
 * the methods the others define): the userdata, its check and the table
 * builders. Other files use lbinary.h. */
#ifndef GE_LUA_LBINARY_PARTS_H
#define GE_LUA_LBINARY_PARTS_H
#include <stdint.h>

#include "lbinary.h"

typedef struct lbin {
  ge_handle h;       /* h.ptr: the ge_binary */
  uint32_t threads;  /* limits.max_threads at open: symbolize_text's formatting */
  uint64_t max_read; /* limits.max_inflated_bytes at open: bytes read from a stream */
  char path[];       /* as opened: what tostring names */
} lbin;

/* Frames asked of one PC at most (ge_binary_lookup's max). */
#define LBIN_MAXFRAMES 256

/* The binary at idx, open and not in use by a method in progress. Methods
 * call it again once their arguments are read (that can allocate, and so
 * run a finalizer that closes the binary), right before the C object is
 * used; an iterator calls it at each step. */
static inline lbin *lbin_check(lua_State *L, int idx) {
  return (lbin *)ge_lua_checkhandle(L, idx, &ge_lua_binary_class);
}

/* The methods, by part. */
int lbin_lookup(lua_State *L);          /* lbinary_lookup.c */
int lbin_lookup_many(lua_State *L);
int lbin_call_target(lua_State *L);
int lbin_funcs(lua_State *L);
int lbin_each_func(lua_State *L);
int lbin_func(lua_State *L);
int lbin_symbols(lua_State *L);         /* lbinary_dwarf.c */
int lbin_dwarf(lua_State *L);
int lbin_each_variable(lua_State *L);
int lbin_struct_members(lua_State *L);
int lbin_frame_vars(lua_State *L);
int lbin_symbolize_text(lua_State *L);  /* lbinary_symtext.c */

/* The owners of symbolize_text's memory (lbinary_symtext.c), and their
 * finalizers. */
#define LBIN_MAPPING_MT "goescape.mapping"
#define LBIN_HELDTEXT_MT "goescape.heldtext"
int lbin_mapping_gc(lua_State *L);
int lbin_heldtext_gc(lua_State *L);
#endif
