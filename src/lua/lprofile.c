/* goescape.core: the ge_profile handle, and the registration of every
 * profile method (the methods themselves live by job in lprofile_*.c).
 *   core.profile_open(path, limits?)            -> prof | nil, err, code
 *   core.profile_parse(bytes, name?, limits?)   -> prof | nil, err, code
 *   core.profile_merge({prof...}, scales?, labels?) -> prof | nil, err, code
 *   prof:info() prof:diff(base) prof:encode(gzip?) prof:write(path) prof:close()
 *   prof:samples() prof:locations() prof:functions() prof:mappings()
 *   prof:each_sample() prof:each_location()            (lprofile_records.c)
 *   prof:top(query) prof:folded(query) prof:flame(query, min) (lprofile_query.c)
 *   prof:symbolize(fn | binary) -> new prof        (lprofile_symbolize.c)
 * A new profile is held by a box (lprofile.h) until its handle holds it; a
 * method's malloc'd results are held by its context and freed after its
 * protected work (ge_lua_run), whatever happened: a Lua error (out of
 * memory, a finalizer's error) never leaks them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lprofile.h"

#define BOX_MT "goescape.profile.box"

const ge_handle_class ge_lprof_class = {GE_PROFILE_MT, "profile", "goescape: the profile is closed"};

static int box_gc(lua_State *L) {
  ge_lprof_box *b = luaL_checkudata(L, 1, BOX_MT);
  if (b->ptr) ge_profile_free(b->ptr);
  b->ptr = NULL;
  return 0;
}

ge_lprof_box *ge_lprof_newbox(lua_State *L) {
  ge_lprof_box *b = lua_newuserdata(L, sizeof *b);
  b->ptr = NULL;
  luaL_getmetatable(L, BOX_MT);
  lua_setmetatable(L, -2);
  return b;
}

int ge_lprof_push(lua_State *L, ge_lprof_box *b) {
  ge_handle *u = lua_newuserdata(L, sizeof *u);
  u->ptr = NULL;
  u->busy = NULL;
  luaL_getmetatable(L, GE_PROFILE_MT);
  lua_setmetatable(L, -2);
  u->ptr = b->ptr;
  b->ptr = NULL;
  return 1;
}

static void free_prof(void *p) { ge_profile_free(p); }

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ge_limits lim;
  ge_lua_limits(L, 2, &lim);
  ge_lprof_box *b = ge_lprof_newbox(L);
  ge_error e;
  if (ge_profile_open(path, &lim, &b->ptr, &e)) return ge_lprof_fail(L, &e);
  return ge_lprof_push(L, b);
}

static int l_parse(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *name = luaL_optstring(L, 2, "profile");
  ge_limits lim;
  ge_lua_limits(L, 3, &lim);
  ge_lprof_box *b = ge_lprof_newbox(L);
  ge_error e;
  if (ge_profile_parse(name, s, n, &lim, &b->ptr, &e)) return ge_lprof_fail(L, &e);
  return ge_lprof_push(L, b);
}

static int l_merge(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int n = (int)ge_rawlen(L, 1);
  if (n < 1) return luaL_argerror(L, 1, "at least one profile expected");
  int has_scales = !lua_isnoneornil(L, 2), has_labels = !lua_isnoneornil(L, 3);
  if (has_scales) luaL_checktype(L, 2, LUA_TTABLE);
  if (has_labels) luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  /* Arrays as userdata: collected by Lua whatever happens. Everything is
   * allocated first: from the first profile read to the merge nothing
   * allocates, so no finalizer can close a profile or drop a label string
   * under the C code (they are read raw: no metamethod runs). */
  const ge_profile **ps = lua_newuserdata(L, (size_t)n * sizeof *ps);
  double *scales = lua_newuserdata(L, (size_t)n * sizeof *scales);
  const char **labels = lua_newuserdata(L, (size_t)n * sizeof *labels);
  ge_lprof_box *b = ge_lprof_newbox(L);
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, 1, i + 1);
    ge_handle *u = ge_testudata(L, -1, GE_PROFILE_MT);
    if (!u || !u->ptr) return luaL_argerror(L, 1, "an array of open profiles expected");
    if (u->busy) return luaL_argerror(L, 1, "a profile is in use by a method in progress");
    ps[i] = u->ptr;
    lua_pop(L, 1);
    scales[i] = 1;
    if (has_scales) {
      lua_rawgeti(L, 2, i + 1);
      if (!lua_isnil(L, -1)) {
        if (!lua_isnumber(L, -1)) return luaL_argerror(L, 2, "numbers expected");
        scales[i] = lua_tonumber(L, -1);
        if (!(scales[i] > -1e18 && scales[i] < 1e18)) return luaL_argerror(L, 2, "finite scales expected");
      }
      lua_pop(L, 1);
    }
    labels[i] = NULL;
    if (has_labels) {
      lua_rawgeti(L, 3, i + 1);
      if (lua_type(L, -1) == LUA_TSTRING) labels[i] = lua_tostring(L, -1); /* kept by table 3 */
      lua_pop(L, 1);
    }
  }
  ge_error e;
  if (ge_profile_merge(ps, (size_t)n, scales, labels, &b->ptr, &e)) return ge_lprof_fail(L, &e);
  return ge_lprof_push(L, b);
}

static int m_diff(lua_State *L) {
  ge_lprof_check(L, 1);
  ge_lprof_check(L, 2);
  lua_settop(L, 2);
  ge_lprof_box *b = ge_lprof_newbox(L);
  /* checked again after the allocation; the diff itself runs no Lua */
  ge_handle *a = ge_lprof_check(L, 1), *base = ge_lprof_check(L, 2);
  ge_error e;
  if (ge_profile_diff(a->ptr, base->ptr, &b->ptr, &e)) return ge_lprof_fail(L, &e);
  return ge_lprof_push(L, b);
}

static int info_work(lua_State *L, void *ctx) {
  ge_profile *p = ctx;
  ge_prof_info in;
  ge_profile_info(p, &in);
  lua_createtable(L, 0, 16);
  lua_createtable(L, (int)in.nsample_types, 0);
  for (size_t i = 0; i < in.nsample_types; i++) {
    ge_strview t, un;
    ge_profile_sample_type(p, i, &t, &un);
    lua_createtable(L, 0, 2);
    ge_setsv(L, "type", t);
    ge_setsv(L, "unit", un);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "sample_types");
  lua_createtable(L, (int)in.ncomments, 0);
  for (size_t i = 0; i < in.ncomments; i++) {
    ge_strview c;
    ge_profile_comment(p, i, &c);
    lua_pushlstring(L, c.ptr, c.len);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "comments");
  ge_setint(L, "default_sample", (long long)in.default_sample + 1);
  ge_setint(L, "nsamples", (long long)in.nsamples);
  ge_setint(L, "nlocations", (long long)in.nlocations);
  ge_setint(L, "nfunctions", (long long)in.nfunctions);
  ge_setint(L, "nmappings", (long long)in.nmappings);
  ge_setint(L, "time_nanos", in.time_nanos);
  ge_setint(L, "duration_nanos", in.duration_nanos);
  ge_setint(L, "period", in.period);
  ge_setsv(L, "period_type", in.period_type);
  ge_setsv(L, "period_unit", in.period_unit);
  ge_setsv(L, "drop_frames", in.drop_frames);
  ge_setsv(L, "keep_frames", in.keep_frames);
  lua_pushstring(L, in.format);
  lua_setfield(L, -2, "format");
  return 1;
}

static int m_info(lua_State *L) {
  ge_handle *h = ge_lprof_check(L, 1);
  return ge_lua_call(L, h, "info", 0, info_work, h->ptr);
}

typedef struct encode_ctx {
  ge_profile *p;
  int gz;
  ge_lprof_held r;
} encode_ctx;

static int encode_work(lua_State *L, void *ctx) {
  encode_ctx *c = ctx;
  ge_error e;
  unsigned char *buf;
  size_t len;
  if (ge_profile_encode(c->p, c->gz, &buf, &len, &e)) return ge_lprof_fail(L, &e);
  c->r = (ge_lprof_held){buf, free};
  lua_pushlstring(L, (const char *)buf, len);
  return 1;
}

static int m_encode(lua_State *L) {
  int gz = lua_isnoneornil(L, 2) ? 1 : lua_toboolean(L, 2);
  ge_handle *h = ge_lprof_check(L, 1);
  encode_ctx c = {h->ptr, gz, {NULL, NULL}};
  return ge_lprof_release(L, &c.r, ge_lua_run(L, h, "encode", 0, encode_work, &c));
}

static int m_write(lua_State *L) {
  ge_lprof_check(L, 1);
  const char *path = luaL_checkstring(L, 2);
  ge_handle *h = ge_lprof_check(L, 1); /* again, after the argument's conversion */
  ge_error e;
  if (ge_profile_write(h->ptr, path, &e)) return ge_lprof_fail(L, &e);
  lua_pushboolean(L, 1);
  return 1;
}

static int m_close(lua_State *L) { return ge_lua_closehandle(L, &ge_lprof_class, free_prof); }

static int m_tostring(lua_State *L) {
  ge_handle *u = luaL_checkudata(L, 1, GE_PROFILE_MT);
  if (!u->ptr) {
    lua_pushliteral(L, "goescape.profile (closed)");
    return 1;
  }
  ge_prof_info in;
  ge_profile_info(u->ptr, &in);
  lua_pushfstring(L, "goescape.profile (%d samples, %d locations)", (int)in.nsamples,
                  (int)in.nlocations);
  return 1;
}

void ge_lua_open_profile(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"info", m_info},
      {"samples", ge_lprof_samples},
      {"locations", ge_lprof_locations},
      {"functions", ge_lprof_functions},
      {"mappings", ge_lprof_mappings},
      {"each_sample", ge_lprof_each_sample},
      {"each_location", ge_lprof_each_location},
      {"top", ge_lprof_top},
      {"folded", ge_lprof_folded},
      {"flame", ge_lprof_flame},
      {"diff", m_diff},
      {"encode", m_encode},
      {"write", m_write},
      {"symbolize", ge_lprof_symbolize},
      {"close", m_close},
      {NULL, NULL}};
  static const luaL_Reg meta[] = {
      {"__gc", m_close}, {"__close", m_close}, {"__tostring", m_tostring}, {NULL, NULL}};
  ge_lua_class(L, GE_PROFILE_MT, methods, meta);
  static const luaL_Reg boxmeta[] = {{"__gc", box_gc}, {NULL, NULL}};
  static const luaL_Reg none[] = {{NULL, NULL}};
  ge_lua_class(L, BOX_MT, none, boxmeta);
  static const luaL_Reg fns[] = {
      {"profile_open", l_open}, {"profile_parse", l_parse}, {"profile_merge", l_merge},
      {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
