/* goescape.core: the ge_bench part of the binding.
 *   core.bench_open(path | {paths}, limits?, strict?)  -> set | nil, err, code
 *   core.bench_parse(text, name?, limits?, strict?)   -> set | nil, err, code
 *   set:info() set:row(i) set:rows() set:each() set:cells() set:unit_meta(unit, key)
 *   set:close()
 *   core.bench_summary(values, confidence, exact?)    -> {center, lo, hi, ...}
 *   core.bench_utest(x, y)                            -> p, exact | 1, false, "all samples are equal"
 *   core.bench_geomean(values)                        -> number | nil
 *   core.bench_tidy(unit)                             -> tidied unit, factor
 *   core.bench_fmt("%+.2f", x)                        -> C's (Go's) rounding of x
 * A row is {file, input, config = {key = value}, config_keys = {...}, name,
 * unit, values = {...}}. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "goescape/bench.h"

#define BENCH_MT "goescape.bench"

static const ge_handle_class BENCH_CLASS = {BENCH_MT, "benchmark set",
                                            "goescape: the benchmark set is closed"};

static ge_handle *checkset(lua_State *L, int idx) {
  return ge_lua_checkhandle(L, idx, &BENCH_CLASS);
}

static void free_set(void *p) { ge_bench_free(p); }

/* Makes the set at the top of the stack (its handle owns it at once, so
 * that an error on the way leaves nothing to free). */
static ge_bench *newset(lua_State *L, int limidx, int strictidx, ge_error *err) {
  ge_limits lim;
  ge_lua_limits(L, limidx, &lim);
  int strict = lua_toboolean(L, strictidx);
  ge_handle *h = ge_lua_newhandle(L, BENCH_MT);
  ge_bench *b;
  if (ge_bench_new(&lim, strict, &b, err)) return NULL;
  h->ptr = b;
  return b;
}

static int fail_closing(lua_State *L, ge_error *err) {
  ge_handle *h = lua_touserdata(L, -1);
  if (h && h->ptr) {
    ge_bench_free(h->ptr);
    h->ptr = NULL;
  }
  return ge_pushfail(L, err->msg, ge_err_name(err->code));
}

static int l_open(lua_State *L) {
  int many = lua_istable(L, 1);
  if (!many) luaL_checkstring(L, 1);
  ge_error err;
  ge_bench *b = newset(L, 2, 3, &err);
  if (!b) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  int n = many ? (int)ge_rawlen(L, 1) : 1;
  for (int i = 1; i <= n; i++) {
    const char *path;
    if (many) {
      lua_rawgeti(L, 1, i);
      if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "bench.open: paths[%d]: string expected", i);
      path = lua_tostring(L, -1);
      lua_pop(L, 1); /* the table keeps it alive */
    } else {
      path = lua_tostring(L, 1);
    }
    if (ge_bench_add_file(b, path, &err)) return fail_closing(L, &err);
  }
  return 1;
}

static int l_parse(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "<string>");
  ge_error err;
  ge_bench *b = newset(L, 3, 4, &err);
  if (!b) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  if (ge_bench_add_bytes(b, name, data, len, &err)) return fail_closing(L, &err);
  return 1;
}

/* Every method that reads the set while it makes Lua values runs that part
 * under ge_lua_call: an allocation can run a finalizer that closes the set
 * (or a hook that does). */
typedef struct bctx {
  ge_bench *b;
  size_t i;
  const char *unit, *key;
  size_t n;
} bctx;

static int info_work(lua_State *L, void *ctx) {
  ge_bench *b = ((bctx *)ctx)->b;
  ge_bench_info in;
  ge_bench_info_get(b, &in);
  lua_createtable(L, 0, 7);
  ge_setint(L, "lines", (long long)in.lines);
  ge_setint(L, "results", (long long)in.results);
  ge_setint(L, "rows", (long long)in.rows);
  ge_setint(L, "skipped", (long long)in.skipped);
  lua_createtable(L, (int)in.inputs, 0);
  for (uint32_t i = 0; i < in.inputs; i++) {
    ge_strview s = ge_bench_input_name(b, i);
    lua_pushlstring(L, s.ptr, s.len);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "inputs");
  lua_newtable(L);
  const char *w;
  for (size_t i = 0; (w = ge_bench_warning(b, i)) != NULL; i++) {
    lua_pushstring(L, w);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "warnings");
  return 1;
}

static int m_info(lua_State *L) {
  ge_handle *h = checkset(L, 1);
  bctx c = {h->ptr, 0, NULL, NULL, 0};
  return ge_lua_call(L, h, "info", 1, info_work, &c);
}

/* t.config = {key = value}, t.config_keys = {key...} of a configuration
 * string ("key\tvalue\n"...), for the table on top of the stack. */
static void set_config(lua_State *L, ge_strview config) {
  lua_newtable(L); /* config */
  lua_newtable(L); /* config_keys */
  int nk = 0;
  for (size_t p = 0; p < config.len;) {
    const char *s = config.ptr + p;
    const char *tab = memchr(s, '\t', config.len - p);
    const char *nl = memchr(s, '\n', config.len - p);
    if (!tab || !nl) break;
    lua_pushlstring(L, s, (size_t)(tab - s));
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, ++nk);
    lua_pushlstring(L, tab + 1, (size_t)(nl - tab - 1));
    lua_rawset(L, -4);
    p = (size_t)(nl - config.ptr) + 1;
  }
  lua_setfield(L, -3, "config_keys");
  lua_setfield(L, -2, "config");
}

static void set_values(lua_State *L, const double *v, size_t n) {
  lua_createtable(L, n > 1000000 ? 0 : (int)n, 0);
  for (size_t k = 0; k < n; k++) {
    lua_pushnumber(L, v[k]);
    lua_rawseti(L, -2, (int)k + 1);
  }
  lua_setfield(L, -2, "values");
}

/* Pushes row i, or nothing (returns 0) past the end. */
static int push_row(lua_State *L, ge_bench *b, size_t i) {
  ge_bench_row r;
  int got = ge_bench_row_get(b, i, &r);
  if (got < 0) return luaL_error(L, "goescape: out of memory");
  if (!got) return 0;
  lua_createtable(L, 0, 8);
  ge_setint(L, "input", r.input + 1);
  ge_setsv(L, "file", ge_bench_input_name(b, r.input));
  ge_setsv(L, "name", r.name);
  ge_setsv(L, "unit", r.unit);
  ge_setint(L, "config_id", r.config_id);
  set_config(L, r.config);
  set_values(L, r.values, r.count);
  return 1;
}

static int row_work(lua_State *L, void *ctx) {
  const bctx *c = ctx;
  if (!push_row(L, c->b, c->i)) lua_pushnil(L);
  return 1;
}

static int m_row(lua_State *L) {
  lua_Integer i = luaL_checkinteger(L, 2);
  ge_handle *h = checkset(L, 1);
  if (i < 1) {
    lua_pushnil(L);
    return 1;
  }
  bctx c = {h->ptr, (size_t)(i - 1), NULL, NULL, 0};
  return ge_lua_call(L, h, "row", 2, row_work, &c);
}

static int rows_work(lua_State *L, void *ctx) {
  ge_bench *b = ((bctx *)ctx)->b;
  ge_bench_info in;
  ge_bench_info_get(b, &in);
  lua_createtable(L, in.rows > 1000000 ? 0 : (int)in.rows, 0);
  for (size_t i = 0; i < in.rows; i++) {
    push_row(L, b, i);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_rows(lua_State *L) {
  ge_handle *h = checkset(L, 1);
  bctx c = {h->ptr, 0, NULL, NULL, 0};
  return ge_lua_call(L, h, "rows", 1, rows_work, &c);
}

static int step_work(lua_State *L, void *ctx) {
  const bctx *c = ctx;
  return push_row(L, c->b, c->i);
}

static int each_step(lua_State *L) {
  double pos;
  ge_handle *h = ge_lua_iter_next(L, &BENCH_CLASS, &pos);
  bctx c = {h->ptr, (size_t)pos, NULL, NULL, 0};
  return ge_lua_call(L, h, "an iterator", 0, step_work, &c);
}

static int m_each(lua_State *L) {
  checkset(L, 1);
  lua_settop(L, 1);
  ge_lua_iterator(L, each_step, 0, 0);
  return 1;
}

/* set:cells(): benchstat's cells ({config, config_keys, name, unit,
 * values}, values tidied; see ge_bench_cells). */
static int cells_work(lua_State *L, void *ctx) {
  ge_bench *b = ((bctx *)ctx)->b;
  const ge_bench_cell *c;
  size_t n;
  ge_error err;
  if (ge_bench_cells(b, &c, &n, &err)) return luaL_error(L, "goescape: %s", err.msg);
  lua_createtable(L, n > 1000000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 5);
    ge_setsv(L, "name", c[i].name);
    ge_setsv(L, "unit", c[i].unit);
    set_config(L, c[i].config);
    set_values(L, c[i].values, c[i].count);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_cells(lua_State *L) {
  ge_handle *h = checkset(L, 1);
  bctx c = {h->ptr, 0, NULL, NULL, 0};
  return ge_lua_call(L, h, "cells", 1, cells_work, &c);
}

static int meta_work(lua_State *L, void *ctx) {
  const bctx *c = ctx;
  ge_strview v = ge_bench_unit_meta(c->b, c->unit, c->n, c->key);
  if (v.ptr) lua_pushlstring(L, v.ptr, v.len);
  else lua_pushnil(L);
  return 1;
}

static int m_unit_meta(lua_State *L) {
  size_t n;
  const char *unit = luaL_checklstring(L, 2, &n);
  const char *key = luaL_checkstring(L, 3);
  ge_handle *h = checkset(L, 1);
  bctx c = {h->ptr, 0, unit, key, n};
  return ge_lua_call(L, h, "unit_meta", 3, meta_work, &c);
}

static int m_close(lua_State *L) { return ge_lua_closehandle(L, &BENCH_CLASS, free_set); }

static int m_tostring(lua_State *L) {
  ge_handle *u = luaL_checkudata(L, 1, BENCH_MT);
  if (!u->ptr) {
    lua_pushliteral(L, "goescape.bench (closed)");
    return 1;
  }
  ge_bench_info in;
  ge_bench_info_get(u->ptr, &in);
  lua_pushfstring(L, "goescape.bench (%d inputs, %d results, %d rows)", (int)in.inputs,
                  (int)in.results, (int)in.rows);
  return 1;
}

/* The numbers of the table at idx, sorted, in a userdata left on the
 * stack (collected with it: nothing to free if a later call raises). */
static double *sorted_numbers(lua_State *L, int idx, size_t *n) {
  luaL_checktype(L, idx, LUA_TTABLE);
  size_t len = ge_rawlen(L, idx);
  double *v = lua_newuserdata(L, (len ? len : 1) * sizeof *v);
  for (size_t i = 0; i < len; i++) {
    lua_rawgeti(L, idx, (int)i + 1);
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "values[%d]: number expected", (int)i + 1);
    v[i] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  ge_bench_sort(v, len);
  *n = len;
  return v;
}

static void setnum(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static int l_summary(lua_State *L) {
  double conf = luaL_optnumber(L, 2, 0.95);
  int exact = lua_toboolean(L, 3);
  if (!(conf > 0 && conf <= 1)) return luaL_argerror(L, 2, "confidence must be in (0, 1]");
  size_t n;
  double *v = sorted_numbers(L, 1, &n);
  if (n == 0) return luaL_argerror(L, 1, "no values");
  ge_bench_summary s;
  if (exact) ge_bench_exact_summary(v, n, &s);
  else ge_bench_median_ci(v, n, conf, &s);
  lua_createtable(L, 0, 8);
  setnum(L, "center", s.center);
  setnum(L, "lo", s.lo);
  setnum(L, "hi", s.hi);
  setnum(L, "confidence", s.confidence);
  ge_setint(L, "lo_order", s.lo_order);
  ge_setint(L, "hi_order", s.hi_order);
  ge_setint(L, "n", (long long)n);
  if (s.warn_samples) ge_setint(L, "need", s.warn_samples);
  if (s.exact_spread) ge_setbool(L, "spread", 1);
  return 1;
}

static int l_utest(lua_State *L) {
  size_t n1, n2;
  double *x = sorted_numbers(L, 1, &n1);
  double *y = sorted_numbers(L, 2, &n2);
  double p;
  int exact;
  int rc = ge_bench_utest(x, n1, y, n2, &p, &exact);
  if (rc < 0) return luaL_error(L, "goescape: out of memory");
  lua_pushnumber(L, p);
  lua_pushboolean(L, exact);
  if (rc == 1) lua_pushliteral(L, "all samples are equal");
  else if (rc == 2) lua_pushliteral(L, "sample is too small");
  else return 2;
  return 3;
}

static int l_geomean(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  size_t len = ge_rawlen(L, 1);
  double *v = lua_newuserdata(L, (len ? len : 1) * sizeof *v);
  for (size_t i = 0; i < len; i++) {
    lua_rawgeti(L, 1, (int)i + 1);
    v[i] = lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  double g = ge_bench_geomean(v, len);
  if (isnan(g)) lua_pushnil(L);
  else lua_pushnumber(L, g);
  return 1;
}

static int l_tidy(lua_State *L) {
  size_t n;
  const char *unit = luaL_checklstring(L, 1, &n);
  char *out = lua_newuserdata(L, 2 * n + 1);
  double f = ge_bench_tidy(unit, n, out);
  lua_pushstring(L, out);
  lua_pushnumber(L, f);
  return 2;
}

/* core.bench_fmt("%+.2f", x): C's fixed-point formatting, which rounds an
 * exact half to even as Go's strconv does (LuaJIT's own string.format
 * rounds it away from zero: 62.5 -> "63" where benchstat prints "62").
 * Only "%[+][0].Nf" is accepted. */
static int l_fmt(lua_State *L) {
  size_t n;
  const char *spec = luaL_checklstring(L, 1, &n);
  double x = luaL_checknumber(L, 2);
  size_t i = 0;
  int ok = n >= 4 && spec[i++] == '%';
  if (ok && spec[i] == '+') i++;
  if (ok && spec[i] == '0') i++;
  ok = ok && spec[i++] == '.';
  size_t d = i;
  while (ok && i < n && spec[i] >= '0' && spec[i] <= '9') i++;
  ok = ok && i > d && i - d <= 2 && i + 1 == n && spec[i] == 'f';
  if (!ok) return luaL_argerror(L, 1, "a format %[+][0].Nf expected");
  char buf[400];
  snprintf(buf, sizeof buf, spec, x);
  lua_pushstring(L, buf);
  return 1;
}

void ge_lua_open_bench(lua_State *L) {
  static const luaL_Reg methods[] = {{"info", m_info}, {"row", m_row},           {"rows", m_rows},
                                     {"each", m_each}, {"cells", m_cells}, {"unit_meta", m_unit_meta}, {"close", m_close},
                                     {NULL, NULL}};
  static const luaL_Reg meta[] = {
      {"__gc", m_close}, {"__close", m_close}, {"__tostring", m_tostring}, {NULL, NULL}};
  ge_lua_class(L, BENCH_MT, methods, meta);
  static const luaL_Reg fns[] = {{"bench_open", l_open},       {"bench_parse", l_parse},
                                 {"bench_summary", l_summary}, {"bench_utest", l_utest},
                                 {"bench_geomean", l_geomean}, {"bench_tidy", l_tidy},
                                 {"bench_fmt", l_fmt},
                                 {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
