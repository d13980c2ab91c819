/* goescape.core: the ge_binary handle, and the registration of its methods.
 *   core.binary_open(path [, limits]) -> binary | nil, err, code
 *   binary:info() -> {go_version, main_path, module, deps, settings, ...}
 *   binary:close() (also __gc, __close), tostring(binary)
 * The methods of the other parts:
 *   lbinary_lookup.c   lookup(pc), lookup_many(list), call_target(pc),
 *                      funcs(), each_func(), func(name)
 *   lbinary_dwarf.c    symbols(), dwarf([opts]), each_variable([opts])
 *   lbinary_symtext.c  symbolize_text(text, json[, file]) (the CLI's bulk path)
 * lua/goescape/binary.lua adds Lua methods to the same table.
 * Bad data returns nil, msg, code; misuse (wrong types, closed handle) raises.
 * No malloc'd memory is held in C locals across a call that may raise; the
 * methods that build tables from the binary's strings run protected with
 * the binary in use (ge_lua_run), so a finalizer cannot close it, nor
 * replace its batch frames or its DWARF, under them. */
#include <string.h>

#include "lbinary_parts.h"

const ge_handle_class ge_lua_binary_class = {GE_BINARY_MT, "binary", "attempt to use a closed binary"};

ge_binary *ge_lua_checkbinary(lua_State *L, int idx) { return lbin_check(L, idx)->h.ptr; }

static int l_open(lua_State *L) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  ge_limits lim;
  ge_lua_limits(L, 2, &lim);
  lbin *u = lua_newuserdata(L, sizeof *u + len + 1);
  u->h.ptr = NULL;
  u->h.busy = NULL;
  u->threads = lim.max_threads;
  u->max_read = lim.max_inflated_bytes;
  memcpy(u->path, path, len + 1);
  luaL_getmetatable(L, GE_BINARY_MT);
  lua_setmetatable(L, -2);
  ge_error err;
  ge_binary *b;
  ge_err rc = ge_binary_open(u->path, &lim, &b, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  u->h.ptr = b;
  return 1;
}

static void free_binary(void *b) { ge_binary_free(b); }

static int l_close(lua_State *L) { return ge_lua_closehandle(L, &ge_lua_binary_class, free_binary); }

/* "goescape.binary PATH (go1.26.1)", "... (unknown Go)" or "... (closed)". */
static int l_tostring(lua_State *L) {
  lbin *u = luaL_checkudata(L, 1, GE_BINARY_MT);
  const char *v = "closed";
  char buf[64]; /* a copy: pushing can run a finalizer that closes the binary */
  if (u->h.ptr) {
    ge_binary_info in;
    ge_binary_info_get(u->h.ptr, &in);
    size_t n = in.go_version.len < sizeof buf - 1 ? in.go_version.len : sizeof buf - 1;
    v = "unknown Go";
    if (n) { /* (an empty view's pointer may be NULL) */
      memcpy(buf, in.go_version.ptr, n);
      buf[n] = 0;
      v = buf;
    }
  }
  lua_pushfstring(L, "goescape.binary %s (%s)", u->path, v);
  return 1;
}

static void push_module(lua_State *L, const ge_module *m) {
  lua_createtable(L, 0, 4);
  ge_setsv(L, "path", m->path);
  ge_setsv(L, "version", m->version);
  ge_setsv(L, "sum", m->sum);
  if (m->rpath.len) {
    lua_createtable(L, 0, 3);
    ge_setsv(L, "path", m->rpath);
    ge_setsv(L, "version", m->rversion);
    ge_setsv(L, "sum", m->rsum);
    lua_setfield(L, -2, "replace");
  }
}

static const char *pcln_name(int v) {
  switch (v) {
  case 12: return "1.2";
  case 116: return "1.16";
  case 118: return "1.18";
  case 120: return "1.20";
  }
  return NULL;
}

static int info_work(lua_State *L, void *ctx) {
  ge_binary *b = ctx;
  ge_binary_info in;
  ge_binary_info_get(b, &in);
  lua_createtable(L, 0, 20);
  if (in.go_version.len) ge_setsv(L, "go_version", in.go_version);
  if (in.main_path.len) ge_setsv(L, "main_path", in.main_path);
  if (in.main.path.len) {
    push_module(L, &in.main);
    lua_setfield(L, -2, "module");
  }
  lua_createtable(L, (int)in.ndeps, 0);
  for (size_t i = 0; i < in.ndeps; i++) {
    ge_module m;
    ge_binary_dep(b, i, &m);
    push_module(L, &m);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "deps");
  lua_createtable(L, 0, (int)in.nsettings);
  for (size_t i = 0; i < in.nsettings; i++) {
    ge_setting s;
    ge_binary_setting(b, i, &s);
    lua_pushlstring(L, s.key.ptr, s.key.len);
    lua_pushlstring(L, s.value.ptr, s.value.len);
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "settings");
  const char *pv = pcln_name(in.pclntab_version);
  if (pv) {
    lua_pushstring(L, pv);
    lua_setfield(L, -2, "pclntab_version");
  }
  ge_setsv(L, "pclntab_where", in.pclntab_where);
  ge_setint(L, "pclntab_addr", (long long)in.pclntab_addr);
  ge_setint(L, "text_start", (long long)in.text_start);
  ge_setint(L, "nfuncs", (long long)in.nfuncs);
  ge_setint(L, "ptrsize", in.ptrsize);
  ge_setint(L, "machine", in.machine);
  ge_setbool(L, "stripped", in.stripped);
  ge_setbool(L, "pie", in.pie);
  ge_setbool(L, "dwarf", in.has_dwarf);
  ge_setbool(L, "sections", in.has_sections);
  ge_setbool(L, "inline", in.has_inline);
  return 1;
}

static int l_info(lua_State *L) {
  lbin *u = lbin_check(L, 1);
  return ge_lua_call(L, &u->h, "info", 0, info_work, u->h.ptr);
}

void ge_lua_open_binary(lua_State *L) {
  static const luaL_Reg methods[] = {{"info", l_info},
                                     {"lookup", lbin_lookup},
                                     {"lookup_many", lbin_lookup_many},
                                     {"call_target", lbin_call_target},
                                     {"funcs", lbin_funcs},
                                     {"each_func", lbin_each_func},
                                     {"func", lbin_func},
                                     {"symbols", lbin_symbols},
                                     {"dwarf", lbin_dwarf},
                                     {"each_variable", lbin_each_variable},
                                     {"struct_members", lbin_struct_members},
                                     {"frame_vars", lbin_frame_vars},
                                     {"symbolize_text", lbin_symbolize_text},
                                     {"close", l_close},
                                     {NULL, NULL}};
  static const luaL_Reg meta[] = {
      {"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
  ge_lua_class(L, GE_BINARY_MT, methods, meta);
  static const luaL_Reg none[] = {{NULL, NULL}};
  static const luaL_Reg mapping_meta[] = {{"__gc", lbin_mapping_gc}, {NULL, NULL}};
  ge_lua_class(L, LBIN_MAPPING_MT, none, mapping_meta);
  static const luaL_Reg heldtext_meta[] = {{"__gc", lbin_heldtext_gc}, {NULL, NULL}};
  ge_lua_class(L, LBIN_HELDTEXT_MT, none, heldtext_meta);
  static const luaL_Reg fns[] = {{"binary_open", l_open}, {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
