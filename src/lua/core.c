/* goescape.core: the C module. Each part registers its functions here. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "core/outfile.h"
#include "core/textsafe.h"

#define GE_VERSION "0.1.0"

static int l_kinds(lua_State *L) {
  lua_newtable(L);
  for (int k = 0; k < GE_K__COUNT; k++) {
    lua_pushstring(L, ge_kind_name((ge_kind)k));
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

static int l_kind_family(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  ge_kind k = ge_kind_from_name(s, n);
  if (k == GE_K__COUNT) return luaL_argerror(L, 1, "unknown diagnostic kind");
  lua_pushstring(L, ge_kind_family(k));
  return 1;
}

static int l_limits(lua_State *L) {
  ge_limits lim;
  ge_lua_limits(L, 1, &lim);
  lua_newtable(L);
  ge_pushint(L, (long long)lim.max_line_bytes);
  lua_setfield(L, -2, "max_line_bytes");
  ge_pushint(L, (long long)lim.max_inflated_bytes);
  lua_setfield(L, -2, "max_inflated_bytes");
  ge_pushint(L, (long long)lim.max_records);
  lua_setfield(L, -2, "max_records");
  ge_pushint(L, lim.max_profile_ratio);
  lua_setfield(L, -2, "max_profile_ratio");
  ge_pushint(L, lim.max_flow_steps);
  lua_setfield(L, -2, "max_flow_steps");
  ge_pushint(L, lim.max_inline_depth);
  lua_setfield(L, -2, "max_inline_depth");
  ge_pushint(L, lim.max_dir_files);
  lua_setfield(L, -2, "max_dir_files");
  ge_pushint(L, lim.max_threads);
  lua_setfield(L, -2, "max_threads");
  ge_pushint(L, (long long)lim.max_fetch_bytes);
  lua_setfield(L, -2, "max_fetch_bytes");
  return 1;
}

static uint64_t limit_field(lua_State *L, int idx, const char *name, uint64_t def) {
  lua_getfield(L, idx, name);
  uint64_t v = def;
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1)) luaL_error(L, "limits.%s: number expected", name);
    lua_Number n = lua_tonumber(L, -1);
    if (!(n >= 1)) luaL_error(L, "limits.%s: must be a positive number", name);
    v = n >= 1.8e19 ? UINT64_MAX : (uint64_t)n;
  }
  lua_pop(L, 1);
  return v;
}

#define DEFAULT_LIMITS_KEY "goescape.default_limits"

/* core.set_default_limits(t | nil): the limits used when a call passes none
 * (the command sets them from GOESCAPE_LIMITS). Kept in the registry: per
 * Lua state, not global. */
static int l_set_default_limits(lua_State *L) {
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    ge_limits check;
    ge_lua_limits(L, 1, &check); /* raises on a bad field now, not later */
  }
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, DEFAULT_LIMITS_KEY);
  return 0;
}

void ge_lua_limits(lua_State *L, int idx, ge_limits *lim) {
  ge_limits_default(lim);
  if (lua_isnoneornil(L, idx)) {
    lua_getfield(L, LUA_REGISTRYINDEX, DEFAULT_LIMITS_KEY);
    if (lua_istable(L, -1)) {
      ge_lua_limits(L, lua_gettop(L), lim);
    }
    lua_pop(L, 1);
    return;
  }
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  luaL_checktype(L, idx, LUA_TTABLE);
  lim->max_line_bytes = limit_field(L, idx, "max_line_bytes", lim->max_line_bytes);
  lim->max_inflated_bytes =
      limit_field(L, idx, "max_inflated_bytes", lim->max_inflated_bytes);
  lim->max_records = limit_field(L, idx, "max_records", lim->max_records);
  uint64_t v = limit_field(L, idx, "max_profile_ratio", lim->max_profile_ratio);
  lim->max_profile_ratio = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  v = limit_field(L, idx, "max_flow_steps", lim->max_flow_steps);
  lim->max_flow_steps = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  v = limit_field(L, idx, "max_inline_depth", lim->max_inline_depth);
  lim->max_inline_depth = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  v = limit_field(L, idx, "max_dir_files", lim->max_dir_files);
  lim->max_dir_files = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  v = limit_field(L, idx, "max_threads", lim->max_threads);
  lim->max_threads = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
  lim->max_fetch_bytes = limit_field(L, idx, "max_fetch_bytes", lim->max_fetch_bytes);
}

/* write_file(path, string) -> true | nil, err, code: the whole file, checked
 * and renamed into place (core/outfile.h). */
static int l_write_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t n;
  const char *data = luaL_checklstring(L, 2, &n);
  ge_error err;
  ge_err rc = ge_write_file(path, data, n, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  lua_pushboolean(L, 1);
  return 1;
}

/* realpath(path) -> the absolute path with symlinks resolved, or nil. Into
 * a buffer on the C stack: pushing the string can raise (out of memory), and
 * a malloc'd answer would then leak. */
static int l_realpath(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char r[PATH_MAX];
  if (!realpath(path, r)) return 0;
  lua_pushstring(L, r);
  return 1;
}

static void add_u00(luaL_Buffer *b, unsigned c) {
  static const char hexd[] = "0123456789abcdef";
  char e[6] = {'\\', 'u', '0', '0', hexd[(c >> 4) & 15], hexd[c & 15]};
  luaL_addlstring(b, e, 6);
}

/* The byte at s[i] (a hit of the scan), written fixed into b; returns how
 * many input bytes it stood for. */
typedef size_t (*fix_fn)(luaL_Buffer *b, const unsigned char *s, size_t i);

/* s itself when find() finds nothing in it, else a copy with every hit
 * fixed by fix(): the clean case allocates nothing and scans at memory
 * speed (every line the command prints goes through one of these). */
static int rewrite(lua_State *L, size_t (*find)(const unsigned char *, size_t), fix_fn fix) {
  size_t n;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
  size_t i = find(s, n);
  if (i == n) {
    lua_settop(L, 1);
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t from = 0;
  while (i < n) {
    luaL_addlstring(&b, (const char *)s + from, i - from);
    from = i + fix(&b, s, i);
    i = from + find(s + from, n - from);
  }
  luaL_addlstring(&b, (const char *)s + from, n - from);
  luaL_pushresult(&b);
  return 1;
}

/* A control character (C0 but tab and newline, DEL, C1 as its two UTF-8
 * bytes) as \u00XX. */
static size_t fix_control(luaL_Buffer *b, const unsigned char *s, size_t i) {
  if (s[i] == 0xC2) {
    add_u00(b, s[i + 1]);
    return 2;
  }
  add_u00(b, s[i]);
  return 1;
}

/* A byte outside any valid UTF-8 sequence as the Latin-1 character it
 * would be ("caf\xe9" -> "caf\u00e9" in UTF-8). */
static size_t fix_latin1(luaL_Buffer *b, const unsigned char *s, size_t i) {
  char two[2] = {(char)(0xC0 | (s[i] >> 6)), (char)(0x80 | (s[i] & 0x3F))};
  luaL_addlstring(b, two, 2);
  return 1;
}

/* escape_controls(s) -> s, or a copy with each control character as \u00XX. */
static int l_escape_controls(lua_State *L) { return rewrite(L, ge_find_control, fix_control); }

/* utf8_latin1(s) -> s when it is valid UTF-8, else a copy in which each
 * stray byte is its Latin-1 character: JSON and XML outputs stay valid. */
static int l_utf8_latin1(lua_State *L) { return rewrite(L, ge_find_bad_utf8, fix_latin1); }

/* ------------------------------------------------ handles and protected work */

ge_handle *ge_lua_newhandle(lua_State *L, const char *mt) {
  ge_handle *h = lua_newuserdata(L, sizeof *h);
  h->ptr = NULL;
  h->busy = NULL;
  luaL_getmetatable(L, mt);
  lua_setmetatable(L, -2);
  return h;
}

ge_handle *ge_lua_checkhandle(lua_State *L, int idx, const ge_handle_class *k) {
  ge_handle *h = luaL_checkudata(L, idx, k->tname);
  /* (an iterator's upvalue index is no argument number to name) */
  if (!h->ptr) luaL_error(L, "%s", k->closed);
  if (h->busy)
    luaL_error(L, "goescape: the %s is in use by %s (use it after it returns)", k->what, h->busy);
  return h;
}

int ge_lua_closehandle(lua_State *L, const ge_handle_class *k, void (*free_fn)(void *)) {
  ge_handle *h = luaL_checkudata(L, 1, k->tname);
  if (h->busy)
    return luaL_error(L, "goescape: the %s is in use by %s (close it after it returns)", k->what,
                      h->busy);
  void *p = h->ptr;
  h->ptr = NULL;
  if (p) free_fn(p);
  return 0;
}

typedef struct tcall {
  ge_lua_work work;
  void *ctx;
} tcall;

/* Runs the work of ge_lua_run, whose call it is: its first argument is the
 * light userdata that ge_lua_run passes. Lua code reaches this function only
 * through the debug library (an upvalue), which can break any invariant. */
static int trampoline(lua_State *L) {
  if (lua_type(L, 1) != LUA_TLIGHTUSERDATA) return luaL_error(L, "goescape: internal function");
  const tcall *c = lua_touserdata(L, 1);
  lua_remove(L, 1);
  return c->work(L, c->ctx);
}

int ge_lua_run(lua_State *L, ge_handle *h, const char *name, int nargs, ge_lua_work work,
               void *ctx) {
  tcall c = {work, ctx};
  int base = lua_gettop(L);
  luaL_checkstack(L, nargs + 2, "goescape");
  /* neither push allocates: nothing runs between the caller's check of h
   * and the mark */
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushlightuserdata(L, &c);
  for (int i = 1; i <= nargs; i++) lua_pushvalue(L, i);
  const char *prev = NULL;
  if (h) {
    prev = h->busy;
    h->busy = name;
  }
  int rc = lua_pcall(L, nargs + 1, LUA_MULTRET, 0);
  if (h) h->busy = prev;
  return rc ? -1 : lua_gettop(L) - base;
}

int ge_lua_call(lua_State *L, ge_handle *h, const char *name, int nargs, ge_lua_work work,
                void *ctx) {
  int n = ge_lua_run(L, h, name, nargs, work, ctx);
  return n < 0 ? lua_error(L) : n;
}

/* The trampoline, with itself as upvalue 1 (a work that calls ge_lua_run
 * runs inside it). */
static void push_trampoline(lua_State *L) {
  lua_pushnil(L);
  lua_pushcclosure(L, trampoline, 1);
  lua_pushvalue(L, -1);
  lua_setupvalue(L, -2, 1);
}

void ge_lua_iterator(lua_State *L, lua_CFunction step, double first, int nextra) {
  luaL_checkstack(L, 3 + nextra, "goescape"); /* the extras are pushed again */
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushnumber(L, first);
  /* the upvalues in order: trampoline, handle, position, then the extras */
  for (int i = 0; i < nextra; i++) lua_pushvalue(L, -(nextra + 3));
  for (int i = 0; i < nextra; i++) lua_remove(L, -(nextra + 4));
  lua_pushcclosure(L, step, 3 + nextra);
}

ge_handle *ge_lua_iter_next(lua_State *L, const ge_handle_class *k, double *pos) {
  ge_handle *h = ge_lua_checkhandle(L, lua_upvalueindex(2), k);
  double at = lua_tonumber(L, lua_upvalueindex(3));
  *pos = at;
  if (at >= 0) {
    lua_pushnumber(L, at + 1); /* a number: no allocation, no finalizer */
    lua_replace(L, lua_upvalueindex(3));
  }
  return h;
}

void ge_lua_funcs(lua_State *L, const luaL_Reg *fns) {
  push_trampoline(L);
  ge_setfuncs(L, fns, 1);
}

void ge_lua_class(lua_State *L, const char *tname, const luaL_Reg *methods, const luaL_Reg *meta) {
  luaL_newmetatable(L, tname);
  ge_lua_funcs(L, meta);
  lua_newtable(L);
  ge_lua_funcs(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, tname);
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
}

/* metatable(tname) -> the metatable of a goescape handle type: the Lua
 * module of the kind adds its methods to it (lua/goescape/handle.lua). Only
 * the names this binding registers are given out. */
static int l_metatable(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  if (strncmp(name, "goescape.", 9) != 0)
    return luaL_argerror(L, 1, "a goescape handle type expected");
  luaL_getmetatable(L, name);
  if (!lua_istable(L, -1)) return luaL_argerror(L, 1, "no such goescape handle type");
  return 1;
}

void ge_lua_open_common(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"kinds", l_kinds},   {"kind_family", l_kind_family},
      {"limits", l_limits}, {"set_default_limits", l_set_default_limits},
      {"write_file", l_write_file}, {"realpath", l_realpath},
      {"metatable", l_metatable},
      {"escape_controls", l_escape_controls}, {"utf8_latin1", l_utf8_latin1},
      {NULL, NULL}};
  ge_lua_funcs(L, fns);
  lua_pushliteral(L, GE_VERSION);
  lua_setfield(L, -2, "version");
}

GE_API int luaopen_goescape_core(lua_State *L) {
  lua_newtable(L);
  ge_lua_open_common(L);
  ge_lua_open_escape(L);
  ge_lua_open_profile(L);
  ge_lua_open_binary(L);
  ge_lua_open_trace(L);
  ge_lua_open_bench(L);
  ge_lua_open_net(L);
  ge_lua_open_memory(L);
  ge_lua_open_perf(L);
  ge_lua_open_heapdump(L);
  ge_lua_open_heapdump_sites(L);
  return 1;
}
