/* The ge_profile part of the binding, shared by its files: lprofile.c (the
 * handle, open/parse/merge/diff/info/encode/write, the registration),
 * lprofile_query.c (top, folded, flame), lprofile_records.c (samples,
 * locations, functions, mappings and their iterators), lprofile_symbolize.c
 * (symbolize against a resolver or a binary). */
#ifndef GE_LUA_LPROFILE_H
#define GE_LUA_LPROFILE_H
#include <stdlib.h>

#include "binding.h"

#define GE_PROFILE_MT "goescape.profile"

extern const ge_handle_class ge_lprof_class;

/* The open profile at idx, not in use by a method in progress: a resolver
 * that used (or closed) the profile it is resolving would see it half-built,
 * or free it under the C code; so would a finalizer run by an allocation. */
static inline ge_handle *ge_lprof_check(lua_State *L, int idx) {
  return ge_lua_checkhandle(L, idx, &ge_lprof_class);
}

/* A new profile is held by a "box" userdata (freed by its __gc) from the C
 * call that makes it until its own handle holds it: a Lua error in between
 * (out of memory, a finalizer's error) never leaks it. */
typedef struct ge_lprof_box {
  ge_profile *ptr;
} ge_lprof_box;

/* Pushes an empty box; fill ptr right after the C call that allocates. */
ge_lprof_box *ge_lprof_newbox(lua_State *L);
/* Moves the box's profile into a new profile handle, pushed. Returns 1. */
int ge_lprof_push(lua_State *L, ge_lprof_box *b);

/* Pushes nil, message, code name for e; returns 3. */
static inline int ge_lprof_fail(lua_State *L, const ge_error *e) {
  return ge_pushfail(L, e->msg, ge_err_name(e->code));
}

/* A method's malloc'd result, freed after its protected work (done or
 * failed); release returns n, or raises the work's error again (n < 0). */
typedef struct ge_lprof_held {
  void *ptr;
  void (*fn)(void *);
} ge_lprof_held;

static inline int ge_lprof_release(lua_State *L, ge_lprof_held *r, int n) {
  if (r->ptr) r->fn(r->ptr);
  r->ptr = NULL;
  return n < 0 ? lua_error(L) : n;
}

/* The methods of the other files, registered by ge_lua_open_profile. */
int ge_lprof_top(lua_State *L);
int ge_lprof_folded(lua_State *L);
int ge_lprof_flame(lua_State *L);
int ge_lprof_samples(lua_State *L);
int ge_lprof_locations(lua_State *L);
int ge_lprof_functions(lua_State *L);
int ge_lprof_mappings(lua_State *L);
int ge_lprof_each_sample(lua_State *L);
int ge_lprof_each_location(lua_State *L);
int ge_lprof_symbolize(lua_State *L);
#endif
