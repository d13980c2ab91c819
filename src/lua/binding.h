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
void ge_lua_open_trace(lua_State *L);
void ge_lua_open_trace_model(lua_State *L); /* t:heap(), t:gc(), t:goroutines() */
void ge_lua_open_trace_annot(lua_State *L); /* t:tasks(), t:regions(), t:logs(), t:growth() */
void ge_lua_open_trace_timeline(lua_State *L); /* t:timeline() */
void ge_lua_open_trace_allocfree(lua_State *L); /* t:lifetimes() */
void ge_lua_open_trace_pprof(lua_State *L); /* t:_pprof() */

/* A trace stack's frames as a new list of {func, file, line, pc} tables
 * on top of the stack (the model's and the annotations' stacks). */
struct ge_trace_frame;
void ge_lua_push_trace_frames(lua_State *L, const struct ge_trace_frame *fr, size_t n);
/* t:gc()'s table of a trace model: {cycles, stw, totals} (also the
 * timeline's gc). */
struct ge_trace_model;
void ge_lua_push_trace_gc(lua_State *L, const struct ge_trace_model *m);
void ge_lua_open_bench(lua_State *L);
void ge_lua_open_net(lua_State *L); /* core.net_get */
void ge_lua_open_memory(lua_State *L); /* core.gctrace_open, core.gctrace_parse */
void ge_lua_open_perf(lua_State *L);
void ge_lua_open_heapdump(lua_State *L);
void ge_lua_open_heapdump_sites(lua_State *L); /* after ge_lua_open_heapdump: adds to its methods */

/* Field setters for the table on top of the stack: t[k] = v. A string
 * view with no bytes may have a NULL ptr: it is the empty string. */
static inline void ge_setsv(lua_State *L, const char *k, ge_strview v) {
  lua_pushlstring(L, v.ptr ? v.ptr : "", v.len);
  lua_setfield(L, -2, k);
}
static inline void ge_setint(lua_State *L, const char *k, long long v) {
  ge_pushint(L, v);
  lua_setfield(L, -2, k);
}
static inline void ge_setbool(lua_State *L, const char *k, int v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}

/* Every handle userdata (log, profile, binary) starts with this. */
typedef struct ge_handle {
  void *ptr;        /* the C object; NULL once closed */
  const char *busy; /* the method of this handle in progress, or NULL */
} ge_handle;

/* What the messages about a kind of handle say. */
typedef struct ge_handle_class {
  const char *tname;  /* its metatable's name */
  const char *what;   /* "log", "profile", "binary" */
  const char *closed; /* the error for a closed handle */
} ge_handle_class;

/* The handle at idx, open and not in use by a method in progress; raises
 * otherwise. Reading arguments can run a finalizer (any allocation can), and
 * a finalizer can close a handle: methods check their handle again, with
 * this, once every argument is read and before the C object is used. */
ge_handle *ge_lua_checkhandle(lua_State *L, int idx, const ge_handle_class *k);

/* A new handle of the metatable named mt at the top of the stack, owning
 * nothing yet: openers make it before they parse, so that nothing can raise
 * between the parse and storing the object. */
ge_handle *ge_lua_newhandle(lua_State *L, const char *mt);

/* close and __gc: frees the C object with free_fn, unless a method of the
 * handle is in progress (a callback or a finalizer that closes its own
 * handle gets an error, the method goes on with its object). */
int ge_lua_closehandle(lua_State *L, const ge_handle_class *k, void (*free_fn)(void *));

/* The part of a binding function that runs while Lua code can raise (an
 * allocation: out of memory, or an error from a finalizer that it runs;
 * a callback) and while C state is held: work(L, ctx) runs under lua_pcall,
 * seeing the values at stack indices 1..nargs at the same indices. With h,
 * the handle is marked in use by `name` for the duration, so that neither a
 * callback nor a finalizer can close it or use it under the C code; the mark
 * is cleared whatever happens. Returns the number of results work left on
 * the stack, or -1 with the error value on top: the caller frees what ctx
 * holds, then raises it again (lua_error). Every function of the binding
 * has the trampoline that runs work as its upvalue 1 (ge_lua_class,
 * ge_lua_funcs), and so does the trampoline itself, for nested calls.
 * Needs nargs + 2 free stack slots: a caller inside a C callback reserves
 * them before the C call, since growing the stack can raise. */
typedef int (*ge_lua_work)(lua_State *L, void *ctx);
int ge_lua_run(lua_State *L, ge_handle *h, const char *name, int nargs, ge_lua_work work, void *ctx);

/* ge_lua_run, raising the error again at once (nothing to free). */
int ge_lua_call(lua_State *L, ge_handle *h, const char *name, int nargs, ge_lua_work work, void *ctx);

/* Registration: like luaL_setfuncs into the table on top of the stack, each
 * function with the trampoline as upvalue 1; ge_lua_class also creates the
 * metatable tname (methods in __index). */
void ge_lua_funcs(lua_State *L, const luaL_Reg *fns);
void ge_lua_class(lua_State *L, const char *tname, const luaL_Reg *methods, const luaL_Reg *meta);

/* Iterators over a handle's records by position (each_sample, each_func,
 * each_variable): ge_lua_iterator pushes a closure of step whose upvalues
 * are (1) the trampoline, for the steps' ge_lua_call, (2) the handle at
 * stack index 1, (3) the next position, first, and (4..) the nextra values
 * on top of the stack, which it pops. A step calls ge_lua_iter_next first:
 * it gives the handle, open and not in use (raises otherwise: a step after
 * close is misuse), and the position to answer, and saves the one after it;
 * the step returns 0 results when the position is past the end. */
void ge_lua_iterator(lua_State *L, lua_CFunction step, double first, int nextra);
ge_handle *ge_lua_iter_next(lua_State *L, const ge_handle_class *k, double *pos);

/* Reads an optional limits table at index idx ({max_line_bytes=..., ...})
 * over the defaults; raises on a field of the wrong type. */
void ge_lua_limits(lua_State *L, int idx, ge_limits *lim);
#endif
