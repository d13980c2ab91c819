/* goescape.core: prof:symbolize(fn | binary) -> a new profile, or nil, err,
 * code. The receiver stays as it was: its copy gets the functions and lines
 * of its address-only locations.
 * - A binary handle (goescape.binary): every address is looked up in C, in
 *   one batch (ge_profile_symbolize_binary); no Lua runs.
 * - A function: fn(address) -> nil | { {func=, file=, line=, inlined=}, ... }
 *   innermost first, called once per address. The receiver is in use for
 *   the whole walk (the resolver can neither close nor use it); each call
 *   runs protected, and its error, raised again, aborts the walk. */
#include "lbinary.h"
#include "lprofile.h"

typedef struct symctx {
  lua_State *L;
  int base; /* the profile and fn, forwarded to each resolver call */
  int failed;
} symctx;

typedef struct resolve_ctx {
  uint64_t addr;
  ge_sym_frame *fr;
  int max, n;
} resolve_ctx;

/* A resolver's frame field, read raw: no __index metamethod runs inside
 * the C walk (it could raise past C's buffers, or build a string that a
 * collection frees). The keys are pushed once, before the answer is read:
 * the reading allocates nothing, so no collection (nor finalizer) runs
 * until the C side has copied the strings, which stay referenced by the
 * frame tables of the answer. */
enum { K_FUNC = 1, K_FUNCTION, K_FILE, K_LINE, K_INLINED, NKEYS };

static void rawfield(lua_State *L, int t, int key) {
  lua_pushvalue(L, key);
  lua_rawget(L, t);
}

static const char *fieldstr(lua_State *L, int t, int k1, int k2, size_t *n) {
  rawfield(L, t, k1);
  if (lua_type(L, -1) != LUA_TSTRING && k2) {
    lua_pop(L, 1);
    rawfield(L, t, k2);
  }
  const char *s = NULL;
  *n = 0;
  if (lua_type(L, -1) == LUA_TSTRING) s = lua_tolstring(L, -1, n);
  lua_pop(L, 1);
  return s;
}

/* One resolver call and the reading of its answer, which is left as the
 * result: on the stack until the next address. Sees the profile and the
 * resolver at 1 and 2; the keys go to 3.. (K_* + 2). */
static int resolve_work(lua_State *L, void *ctx) {
  resolve_ctx *r = ctx;
  static const char *const keys[] = {"func", "function", "file", "line", "inlined"};
  for (int k = 0; k < NKEYS - 1; k++) lua_pushstring(L, keys[k]);
  lua_pushvalue(L, 2);
  ge_pushint(L, (long long)r->addr);
  lua_call(L, 1, 1);
  if (lua_type(L, -1) != LUA_TTABLE) return 0;
  int t = lua_gettop(L), n = 0;
  int len = (int)ge_rawlen(L, t);
  for (int i = 1; i <= len && n < r->max; i++) {
    lua_rawgeti(L, t, i);
    if (lua_type(L, -1) == LUA_TTABLE) {
      int f = lua_gettop(L);
      ge_sym_frame *x = &r->fr[n];
      x->func = fieldstr(L, f, 2 + K_FUNC, 2 + K_FUNCTION, &x->func_len);
      x->file = fieldstr(L, f, 2 + K_FILE, 0, &x->file_len);
      rawfield(L, f, 2 + K_LINE);
      {
        lua_Number ln = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
        x->line = ln >= 1 && ln <= 4294967295.0 ? (uint32_t)ln : 0; /* NaN and junk: no line */
      }
      lua_pop(L, 1);
      rawfield(L, f, 2 + K_INLINED);
      x->inlined = lua_toboolean(L, -1);
      lua_pop(L, 1);
      if (!x->func) x->func = "", x->func_len = 0;
      if (!x->file) x->file = "", x->file_len = 0;
      n++;
    }
    lua_pop(L, 1);
  }
  r->n = n;
  return 1;
}

static int sym_cb(void *ud, uint64_t addr, ge_sym_frame *fr, int max) {
  symctx *c = ud;
  lua_settop(c->L, c->base); /* drops the previous answer */
  resolve_ctx r = {addr, fr, max, 0};
  /* the room was reserved before the walk: nothing here raises past it */
  if (ge_lua_run(c->L, NULL, NULL, c->base, resolve_work, &r) < 0) {
    c->failed = 1; /* the error stays on top */
    return -1;
  }
  return r.n;
}

/* Symbolizes the copy (ctx) through the resolver at 2: no result when it
 * worked, nil, err, code when not. */
static int symbolize_work(lua_State *L, void *ctx) {
  symctx c = {L, lua_gettop(L), 0};
  luaL_checkstack(L, c.base + 8, "goescape");
  ge_error e;
  ge_err rc = ge_profile_symbolize(ctx, sym_cb, &c, &e);
  if (c.failed) return lua_error(L); /* the resolver's error, raised again */
  lua_settop(L, c.base);
  return rc ? ge_lprof_fail(L, &e) : 0;
}

int ge_lprof_symbolize(lua_State *L) {
  ge_lprof_check(L, 1);
  lua_settop(L, 2);
  int bin = ge_testudata(L, 2, GE_BINARY_MT) != NULL;
  if (!bin && lua_type(L, 2) != LUA_TFUNCTION)
    return luaL_argerror(L, 2, "a function or a binary expected");
  ge_lprof_box *b = ge_lprof_newbox(L); /* 3 */
  /* both checked again after the allocation; from here to the C work
   * nothing allocates */
  ge_handle *h = ge_lprof_check(L, 1);
  ge_binary *bp = bin ? ge_lua_checkbinary(L, 2) : NULL;
  ge_error e;
  if (ge_profile_copy(h->ptr, &b->ptr, &e)) return ge_lprof_fail(L, &e);
  if (bp) {
    if (ge_profile_symbolize_binary(b->ptr, bp, &e)) return ge_lprof_fail(L, &e);
    return ge_lprof_push(L, b);
  }
  int n = ge_lua_call(L, h, "symbolize", 2, symbolize_work, b->ptr);
  if (n) return n; /* nil, err, code; the box frees the copy */
  return ge_lprof_push(L, b);
}
