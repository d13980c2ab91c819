/* goescape.core: a binary's PCs and functions.
 *   binary:lookup(pc) -> frames | nil, err, code
 *   binary:lookup_many(list) -> a frame list per PC (a failed one empty, with
 *                               error and code); nil, err, code only when
 *                               the batch fails as a whole (out of memory)
 *   binary:call_target(pc) -> address | nil | nil, err, code
 *   binary:funcs() -> every function | nil, err, code
 *   binary:each_func() -> iterator over the same, one function per step
 *   binary:func(name) -> function | nil
 * A PC is a number or a hex string. A frame is {func, file, line, inlined};
 * a function {name, file, line, entry, end}. */
#include <limits.h>
#include <stdlib.h>

#include "lbinary_parts.h"

static void push_frames(lua_State *L, const ge_frame *fr, size_t n) {
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    ge_setsv(L, "func", fr[i].func);
    ge_setsv(L, "file", fr[i].file);
    ge_setint(L, "line", fr[i].line);
    ge_setbool(L, "inlined", fr[i].inlined);
    lua_rawseti(L, -2, (int)i + 1);
  }
}

static uint64_t checkpc(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    const char *s = lua_tostring(L, idx);
    char *end;
    unsigned long long v = strtoull(s, &end, 16);
    if (end == s || *end) luaL_argerror(L, idx, "hex address expected");
    return v;
  }
  lua_Number n = luaL_checknumber(L, idx);
  if (!(n >= 0) || n >= 1.8446744073709552e19) luaL_argerror(L, idx, "address out of range");
  return (uint64_t)n;
}

typedef struct pc_ctx {
  ge_binary *b;
  uint64_t pc;
} pc_ctx;

/* One lookup; pushes frames, or nil, msg, code. */
static int lookup_work(lua_State *L, void *ctx) {
  const pc_ctx *c = ctx;
  ge_frame fr[LBIN_MAXFRAMES];
  size_t n;
  ge_error err;
  ge_err rc = ge_binary_lookup(c->b, c->pc, fr, LBIN_MAXFRAMES, &n, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  push_frames(L, fr, n);
  return 1;
}

int lbin_lookup(lua_State *L) {
  lbin_check(L, 1);
  uint64_t pc = checkpc(L, 2);
  lbin *u = lbin_check(L, 1);
  pc_ctx c = {u->h.ptr, pc};
  return ge_lua_call(L, &u->h, "lookup", 0, lookup_work, &c);
}

/* call_target(pc) -> the address a direct call before pc + 1 calls, or nil. */
int lbin_call_target(lua_State *L) {
  lbin_check(L, 1);
  uint64_t pc = checkpc(L, 2);
  ge_binary *b = lbin_check(L, 1)->h.ptr;
  uint64_t t;
  ge_error e;
  ge_err rc = ge_binary_call_target(b, pc, &t, &e);
  if (rc == GE_ERR_NOTFOUND) return 0;
  if (rc) return ge_pushfail(L, e.msg, ge_err_name(rc));
  ge_pushint(L, (long long)t);
  return 1;
}

/* lookup_many(list) -> a frame list per entry. An entry whose tables are
 * corrupt (or deeper than max_inline_depth) is an empty list with the
 * message and code of ge_binary_lookup for it (error, code): one failed PC
 * leaves the others answered. Answered in address order by
 * ge_binary_lookup_many: the same frames as one lookup per entry. */
typedef struct many_ctx {
  ge_binary *b;
  const uint64_t *pcs;
  ge_pcframes *res;
  size_t n;
} many_ctx;

/* The batch's frames belong to the binary until its next batch: the binary
 * is in use while they are read. */
static int many_work(lua_State *L, void *ctx) {
  const many_ctx *c = ctx;
  const ge_frame *fr;
  ge_error err;
  ge_err rc = ge_binary_lookup_many(c->b, c->pcs, c->n, LBIN_MAXFRAMES, c->res, &fr, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc)); /* the batch itself: out of memory */
  lua_createtable(L, (int)c->n, 0);
  for (size_t i = 0; i < c->n; i++) {
    if (c->res[i].rc == GE_OK) {
      push_frames(L, fr + c->res[i].first, c->res[i].n);
    } else {
      /* the batch keeps codes only: the message is the single lookup's */
      ge_frame one[LBIN_MAXFRAMES];
      size_t k;
      ge_binary_lookup(c->b, c->pcs[i], one, LBIN_MAXFRAMES, &k, &err);
      lua_createtable(L, 0, 2);
      ge_pushmsg(L, err.msg, ge_err_name(c->res[i].rc));
      lua_setfield(L, -2, "error");
      lua_pushstring(L, ge_err_name(c->res[i].rc));
      lua_setfield(L, -2, "code");
    }
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

int lbin_lookup_many(lua_State *L) {
  lbin_check(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  size_t n = ge_rawlen(L, 2);
  if (n > (size_t)INT_MAX / sizeof(ge_pcframes)) luaL_argerror(L, 2, "list too long");
  uint64_t *pcs = lua_newuserdata(L, n ? n * sizeof *pcs : 1);    /* 3 */
  ge_pcframes *res = lua_newuserdata(L, n ? n * sizeof *res : 1); /* 4 */
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (int)i + 1);
    pcs[i] = checkpc(L, -1);
    lua_pop(L, 1);
  }
  lbin *u = lbin_check(L, 1);
  many_ctx c = {u->h.ptr, pcs, res, n};
  return ge_lua_call(L, &u->h, "lookup_many", 0, many_work, &c);
}

static void push_func(lua_State *L, const ge_func_info *f) {
  lua_createtable(L, 0, 5);
  ge_setsv(L, "name", f->name);
  ge_setsv(L, "file", f->file);
  ge_setint(L, "entry", (long long)f->entry);
  ge_setint(L, "end", (long long)f->end);
  ge_setint(L, "line", f->start_line);
}

static int funcs_work(lua_State *L, void *ctx) {
  ge_binary *b = ctx;
  ge_binary_info in;
  ge_binary_info_get(b, &in);
  lua_createtable(L, (int)in.nfuncs, 0);
  for (size_t i = 0; i < in.nfuncs; i++) {
    ge_func_info f;
    ge_error err;
    ge_err rc = ge_binary_func(b, i, &f, &err);
    if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
    push_func(L, &f);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

int lbin_funcs(lua_State *L) {
  lbin *u = lbin_check(L, 1);
  return ge_lua_call(L, &u->h, "funcs", 0, funcs_work, u->h.ptr);
}

typedef struct at_ctx {
  ge_binary *b;
  size_t i;
} at_ctx;

/* Function i; a corrupt entry raises: an iterator has no other way to
 * fail, and a loop that went on would skip it silently. */
static int func_at_work(lua_State *L, void *ctx) {
  const at_ctx *c = ctx;
  ge_func_info f;
  ge_error err;
  if (ge_binary_func(c->b, c->i, &f, &err)) return luaL_error(L, "%s", err.msg);
  push_func(L, &f);
  return 1;
}

static int each_func_next(lua_State *L) {
  double pos;
  lbin *u = (lbin *)ge_lua_iter_next(L, &ge_lua_binary_class, &pos);
  ge_binary_info in;
  ge_binary_info_get(u->h.ptr, &in);
  if (!(pos >= 0 && pos < (double)in.nfuncs)) return 0;
  at_ctx c = {u->h.ptr, (size_t)pos};
  return ge_lua_call(L, &u->h, "each_func", 0, func_at_work, &c);
}

/* each_func() -> an iterator over funcs()'s functions, one table per step,
 * made when asked for: a walk over the functions of a large binary holds
 * one of them at a time. */
int lbin_each_func(lua_State *L) {
  lbin_check(L, 1);
  lua_settop(L, 1);
  ge_lua_iterator(L, each_func_next, 0, 0);
  return 1;
}

typedef struct name_ctx {
  ge_binary *b;
  const char *name;
  size_t len;
} name_ctx;

static int func_work(lua_State *L, void *ctx) {
  const name_ctx *c = ctx;
  ge_func_info f;
  ge_error err;
  ge_err rc = ge_binary_func_by_name(c->b, c->name, c->len, &f, &err);
  if (rc == GE_ERR_NOTFOUND) return 0;
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  push_func(L, &f);
  return 1;
}

int lbin_func(lua_State *L) {
  lbin_check(L, 1);
  size_t len;
  const char *name = luaL_checklstring(L, 2, &len);
  lbin *u = lbin_check(L, 1);
  name_ctx c = {u->h.ptr, name, len};
  return ge_lua_call(L, &u->h, "func", 0, func_work, &c);
}
