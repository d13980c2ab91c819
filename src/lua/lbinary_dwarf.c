/* goescape.core: a binary's ELF symbols and DWARF.
 *   binary:symbols() -> {name, value, size, type}... | nil, err, code
 *   binary:dwarf([{units = {"pkg/path", ...}}]) -> {version, units,
 *       variables, inlined} | nil (no DWARF) | nil, err, code
 *   binary:each_variable([{units = ...}]) -> iterator over dwarf()'s
 *       variables, one per step | nil, err, code
 *   binary:struct_members([{units = ...}]) -> {[struct] = {{name, offset,
 *       type}...}} | nil (no DWARF) | nil, err, code
 * A DWARF load replaces what an earlier one with other units loaded
 * (ge_binary_dwarf_load_units): every table is built with the binary in
 * use, and an iterator loads its units again when another set came
 * between two of its steps. */
#include "lbinary_parts.h"

static int symbols_work(lua_State *L, void *ctx) {
  ge_binary *b = ctx;
  size_t n;
  ge_error err;
  ge_err rc = ge_binary_symbols(b, &n, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    ge_symbol s;
    ge_binary_symbol(b, i, &s);
    lua_createtable(L, 0, 4);
    ge_setsv(L, "name", s.name);
    ge_setint(L, "value", (long long)s.value);
    ge_setint(L, "size", (long long)s.size);
    ge_setint(L, "type", s.type);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

int lbin_symbols(lua_State *L) {
  lbin *u = lbin_check(L, 1);
  return ge_lua_call(L, &u->h, "symbols", 0, symbols_work, u->h.ptr);
}

#define MAXUNITS 256

/* Reads the units of the options table at idx (or none) into units, and
 * pushes the table of ours that keeps their strings (nil when no units are
 * asked for): Lua code can run before the load (a finalizer, when the
 * protected call grows the stack) and change the caller's table. The
 * options are read raw, as every option table the binding reads. */
static size_t read_units(lua_State *L, int idx, const char *units[MAXUNITS], const char *what) {
  size_t nunits = 0;
  if (lua_isnoneornil(L, idx)) {
    lua_pushnil(L);
    return 0;
  }
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushliteral(L, "units");
  lua_rawget(L, idx);
  if (lua_isnil(L, -1)) return 0;
  luaL_checktype(L, -1, LUA_TTABLE);
  int list = lua_gettop(L);
  size_t n = ge_rawlen(L, list);
  if (n > MAXUNITS) luaL_error(L, "%s: at most %d units", what, MAXUNITS);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 1; i <= n; i++) {
    lua_rawgeti(L, list, (int)i);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: units must be strings", what);
    units[nunits++] = lua_tostring(L, -1);
    lua_rawseti(L, list + 1, (int)i);
  }
  if (nunits == 0) luaL_error(L, "%s: units is empty", what);
  lua_replace(L, list);
  return nunits;
}

static void push_var(lua_State *L, const ge_dwarf_var *v) {
  lua_createtable(L, 0, 7);
  ge_setsv(L, "name", v->name);
  ge_setsv(L, "type", v->type);
  if (v->func.len) ge_setsv(L, "func", v->func);
  if (v->file.len) ge_setsv(L, "file", v->file);
  if (v->line) ge_setint(L, "line", v->line);
  if (v->size != UINT64_MAX) ge_setint(L, "size", (long long)v->size);
  if (v->param) ge_setbool(L, "param", 1);
  if (v->heap) ge_setbool(L, "heap", 1);
}

typedef struct dwarf_ctx {
  ge_binary *b;
  const char *const *units;
  size_t nunits;
} dwarf_ctx;

static int dwarf_work(lua_State *L, void *ctx) {
  const dwarf_ctx *dc = ctx;
  ge_binary *b = dc->b;
  ge_dwarf_stats st;
  ge_error err;
  ge_err rc = ge_binary_dwarf_load_units(b, dc->units, dc->nunits, &st, &err);
  if (rc == GE_ERR_NOTFOUND) return 0;
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  lua_createtable(L, 0, 6);
  ge_setint(L, "version", st.max_version);
  lua_createtable(L, (int)st.ncus, 0);
  for (size_t i = 0; i < st.ncus; i++) {
    ge_dwarf_cu c;
    ge_binary_dwarf_cu(b, i, &c);
    lua_createtable(L, 0, 7);
    ge_setsv(L, "name", c.name);
    ge_setsv(L, "producer", c.producer);
    ge_setsv(L, "flags", c.flags);
    ge_setint(L, "version", c.version);
    ge_setint(L, "subprograms", c.nsubprograms);
    ge_setint(L, "inlined", c.ninlined);
    ge_setint(L, "variables", c.nvariables);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "units");
  lua_createtable(L, (int)st.nvariables, 0);
  for (size_t i = 0; i < st.nvariables; i++) {
    ge_dwarf_var v;
    ge_binary_dwarf_var(b, i, &v);
    push_var(L, &v);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "variables");
  lua_createtable(L, (int)st.ninlined, 0);
  for (size_t i = 0; i < st.ninlined; i++) {
    ge_dwarf_inline v;
    ge_binary_dwarf_inline(b, i, &v);
    lua_createtable(L, 0, 7);
    ge_setsv(L, "func", v.func);
    ge_setsv(L, "caller", v.caller);
    ge_setsv(L, "call_file", v.call_file);
    ge_setint(L, "call_line", v.call_line);
    ge_setint(L, "depth", v.depth);
    ge_setint(L, "low_pc", (long long)v.low_pc);
    ge_setint(L, "high_pc", (long long)v.high_pc);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "inlined");
  return 1;
}

/* b:dwarf([{units = {"pkg/path", ...}}]): every unit, or only those. */
int lbin_dwarf(lua_State *L) {
  lbin_check(L, 1);
  lua_settop(L, 2);
  const char *units[MAXUNITS];
  size_t nunits = read_units(L, 2, units, "dwarf");
  lbin *u = lbin_check(L, 1);
  dwarf_ctx c = {u->h.ptr, units, nunits};
  return ge_lua_call(L, &u->h, "dwarf", 0, dwarf_work, &c);
}

typedef struct var_ctx {
  ge_binary *b;
  size_t i;
} var_ctx;

static int var_at_work(lua_State *L, void *ctx) {
  const var_ctx *c = ctx;
  ge_dwarf_var v;
  ge_binary_dwarf_var(c->b, c->i, &v);
  push_var(L, &v);
  return 1;
}

/* Iterator: the units (our table, or nil) are upvalue 4; the position is
 * -1 when the binary has no DWARF. */
static int each_var_next(lua_State *L) {
  double pos;
  lbin *u = (lbin *)ge_lua_iter_next(L, &ge_lua_binary_class, &pos);
  if (!(pos >= 0)) return 0;
  const char *units[MAXUNITS];
  size_t nunits = 0;
  if (lua_istable(L, lua_upvalueindex(4))) { /* our own list: strings, at most MAXUNITS */
    size_t n = ge_rawlen(L, lua_upvalueindex(4));
    for (size_t i = 1; i <= n && nunits < MAXUNITS; i++) {
      lua_rawgeti(L, lua_upvalueindex(4), (int)i);
      /* kept by the upvalue; reading it allocates nothing */
      if (lua_type(L, -1) == LUA_TSTRING) units[nunits++] = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
  }
  ge_dwarf_stats st;
  ge_error err;
  /* the units this iterator walks, loaded again if others came since */
  if (ge_binary_dwarf_load_units(u->h.ptr, units, nunits, &st, &err))
    return luaL_error(L, "each_variable: %s", err.msg);
  if (!(pos < (double)st.nvariables)) return 0;
  var_ctx c = {u->h.ptr, (size_t)pos};
  return ge_lua_call(L, &u->h, "each_variable", 0, var_at_work, &c);
}

/* each_variable([{units = ...}]) -> an iterator over the variables dwarf()
 * lists, one table per step (nothing when the binary has no DWARF); nil,
 * err, code when the DWARF is corrupt. The load happens here, so that its
 * failure is an answer, not an error in the middle of a loop. */
int lbin_each_variable(lua_State *L) {
  lbin_check(L, 1);
  lua_settop(L, 2);
  const char *units[MAXUNITS];
  size_t nunits = read_units(L, 2, units, "each_variable"); /* 3 */
  lbin *u = lbin_check(L, 1);
  ge_dwarf_stats st;
  ge_error err;
  ge_err rc = ge_binary_dwarf_load_units(u->h.ptr, units, nunits, &st, &err);
  if (rc && rc != GE_ERR_NOTFOUND) return ge_pushfail(L, err.msg, ge_err_name(rc));
  ge_lua_iterator(L, each_var_next, rc ? -1 : 0, 1); /* the units at 3 */
  return 1;
}

/* b:struct_members([{units = ...}]) -> {[struct name] = {{name, offset,
 * type}...}} of the loaded units (Go: every type is in the "runtime"
 * unit); nil when the binary has no DWARF. */
static int members_work(lua_State *L, void *ctx) {
  const dwarf_ctx *c = ctx;
  ge_binary *b = c->b;
  ge_dwarf_stats st;
  ge_error err;
  ge_err rc = ge_binary_dwarf_load_units(b, c->units, c->nunits, &st, &err);
  if (rc == GE_ERR_NOTFOUND) return 0;
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  size_t n = ge_binary_dwarf_nmembers(b);
  lua_newtable(L);
  for (size_t i = 0; i < n; i++) {
    ge_dwarf_member m;
    ge_binary_dwarf_member(b, i, &m);
    lua_pushlstring(L, m.owner.ptr, m.owner.len);
    lua_rawget(L, -2);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushlstring(L, m.owner.ptr, m.owner.len);
      lua_pushvalue(L, -2);
      lua_rawset(L, -4);
    }
    lua_createtable(L, 0, 3);
    ge_setsv(L, "name", m.name);
    ge_setsv(L, "type", m.type);
    if (m.offset != UINT64_MAX) ge_setint(L, "offset", (long long)m.offset);
    lua_rawseti(L, -2, (int)ge_rawlen(L, -2) + 1);
    lua_pop(L, 1);
  }
  return 1;
}

int lbin_struct_members(lua_State *L) {
  lbin_check(L, 1);
  lua_settop(L, 2);
  const char *units[MAXUNITS];
  size_t nunits = read_units(L, 2, units, "struct_members");
  lbin *u = lbin_check(L, 1);
  dwarf_ctx c = {u->h.ptr, units, nunits};
  return ge_lua_call(L, &u->h, "struct_members", 0, members_work, &c);
}

/* b:frame_vars([{units = ..., funcs = {name...}}]) -> {[func] = {{name,
 * type, size, param, heap, cfa_offset, offset, bytes, low_pc, high_pc}...}}:
 * where the variables of the loaded units' functions (only those named in
 * funcs, when given) sit in their frames: bytes [offset, offset + bytes) of
 * the variable at cfa_offset from the frame's CFA, for PCs in [low_pc,
 * high_pc) (no range: everywhere). nil when the binary has no DWARF. The
 * funcs set is argument 4. */
static int frame_vars_work(lua_State *L, void *ctx) {
  const dwarf_ctx *c = ctx;
  ge_binary *b = c->b;
  ge_dwarf_stats st;
  ge_error err;
  ge_err rc = ge_binary_dwarf_load_frames(b, c->units, c->nunits, &st, &err);
  if (rc == GE_ERR_NOTFOUND) return 0;
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  int filter = lua_istable(L, 4);
  size_t n = ge_binary_dwarf_nframelocs(b);
  lua_newtable(L);
  for (size_t i = 0; i < n; i++) {
    ge_dwarf_frameloc f;
    ge_dwarf_var v;
    ge_binary_dwarf_frameloc(b, i, &f);
    if (ge_binary_dwarf_var(b, f.var, &v) || !v.func.len) continue;
    lua_pushlstring(L, v.func.ptr, v.func.len);
    if (filter) {
      lua_pushvalue(L, -1);
      lua_rawget(L, 4);
      int want = lua_toboolean(L, -1);
      lua_pop(L, 1);
      if (!want) {
        lua_pop(L, 1);
        continue;
      }
    }
    lua_pushvalue(L, -1);
    lua_rawget(L, -3);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushvalue(L, -2);
      lua_pushvalue(L, -2);
      lua_rawset(L, -5);
    }
    lua_remove(L, -2);
    lua_createtable(L, 0, 10);
    ge_setsv(L, "name", v.name);
    ge_setsv(L, "type", v.type);
    if (v.size != UINT64_MAX) ge_setint(L, "size", (long long)v.size);
    if (v.param) ge_setbool(L, "param", 1);
    if (v.heap) ge_setbool(L, "heap", 1);
    ge_setint(L, "cfa_offset", (long long)f.cfa_offset);
    ge_setint(L, "offset", (long long)f.offset);
    ge_setint(L, "bytes", (long long)f.size);
    if (!(f.low_pc == 0 && f.high_pc == UINT64_MAX)) {
      ge_setint(L, "low_pc", (long long)f.low_pc);
      ge_setint(L, "high_pc", (long long)f.high_pc);
    }
    lua_rawseti(L, -2, (int)ge_rawlen(L, -2) + 1);
    lua_pop(L, 1);
  }
  return 1;
}

int lbin_frame_vars(lua_State *L) {
  lbin_check(L, 1);
  lua_settop(L, 2);
  const char *units[MAXUNITS];
  size_t nunits = read_units(L, 2, units, "frame_vars"); /* 3 */
  lua_pushnil(L);                                        /* 4: the funcs, as a set of ours */
  if (lua_istable(L, 2)) {
    lua_pushliteral(L, "funcs");
    lua_rawget(L, 2);
    if (!lua_isnil(L, -1)) {
      luaL_checktype(L, -1, LUA_TTABLE);
      int list = lua_gettop(L);
      lua_newtable(L);
      size_t n = ge_rawlen(L, list);
      for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, list, (int)i);
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "frame_vars: funcs must be strings");
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
      }
      lua_replace(L, 4);
    }
    lua_settop(L, 4);
  }
  lbin *u = lbin_check(L, 1);
  dwarf_ctx c = {u->h.ptr, units, nunits};
  return ge_lua_call(L, &u->h, "frame_vars", 4, frame_vars_work, &c);
}
