/* goescape.core: heap dump methods that aggregate in C.
 *   dump:_sites(n, all) -> rows {func, file, line, first, objects, bytes,
 *     live_objects, live_bytes, retained, top = {address...}}, largest
 *     retained first; at most n (0: every row); sites with objects in the
 *     dump only (a bucket's objects may all be freed), without `all` only
 *     those with a live object
 *   dump:_root_retained() -> {{root = i, retained, objects}...}: the roots
 *     (d:roots() indexes, from 1) that hold objects alone
 * Both return nil, err, code when the analyses fail. */
#include <stdlib.h>

#include "binding.h"
#include "goescape/heapdump.h"

#define HD_MT "goescape.heapdump"

static const ge_handle_class HD_CLASS = {HD_MT, "heap dump", "goescape: the heap dump is closed"};

typedef struct sctx {
  ge_heapdump *d;
  ge_heapdump_group *g;
  size_t ng, n;
  int all;
  uint64_t *retained, *objects;
} sctx;

static int sites_work(lua_State *L, void *ctx) {
  sctx *c = ctx;
  lua_createtable(L, c->n && c->n < 10000 ? (int)c->n : 0, 0);
  int k = 0;
  for (size_t i = 0; i < c->ng && (c->n == 0 || (size_t)k < c->n); i++) {
    const ge_heapdump_group *g = &c->g[i];
    if (g->objects == 0 || (!c->all && g->live_objects == 0)) continue;
    lua_createtable(L, 0, 9);
    ge_setsv(L, "func", g->site.func);
    ge_setsv(L, "file", g->site.file);
    ge_setint(L, "line", (long long)g->site.line);
    ge_setbool(L, "first", g->first);
    ge_setint(L, "objects", (long long)g->objects);
    ge_setint(L, "bytes", (long long)g->bytes);
    ge_setint(L, "live_objects", (long long)g->live_objects);
    ge_setint(L, "live_bytes", (long long)g->live_bytes);
    ge_setint(L, "retained", (long long)g->retained);
    lua_createtable(L, (int)g->ntop, 0);
    for (size_t t = 0; t < g->ntop; t++) {
      ge_heapdump_object o;
      ge_heapdump_object_get(c->d, g->top[t], &o);
      ge_pushint(L, (long long)o.addr);
      lua_rawseti(L, -2, (int)t + 1);
    }
    lua_setfield(L, -2, "top");
    lua_rawseti(L, -2, ++k);
  }
  return 1;
}

static int m_sites(lua_State *L) {
  lua_Integer n = luaL_optinteger(L, 2, 20);
  if (n < 0 || n > 1000000) luaL_argerror(L, 2, "a count in [0, 1000000] expected");
  int all = lua_toboolean(L, 3);
  lua_settop(L, 1);
  ge_handle *h = ge_lua_checkhandle(L, 1, &HD_CLASS);
  ge_error err;
  sctx c = {h->ptr, NULL, 0, (size_t)n, all, NULL, NULL};
  if (ge_heapdump_sites(c.d, &c.g, &c.ng, &err)) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  int r = ge_lua_run(L, h, "sites", 1, sites_work, &c);
  free(c.g);
  if (r < 0) return lua_error(L);
  return r;
}

static int roots_work(lua_State *L, void *ctx) {
  sctx *c = ctx;
  size_t nr = ge_heapdump_nroots(c->d);
  lua_newtable(L);
  int k = 0;
  for (size_t i = 0; i < nr; i++) {
    if (!c->objects[i]) continue;
    lua_createtable(L, 0, 3);
    ge_setint(L, "root", (long long)i + 1);
    ge_setint(L, "retained", (long long)c->retained[i]);
    ge_setint(L, "objects", (long long)c->objects[i]);
    lua_rawseti(L, -2, ++k);
  }
  return 1;
}

static int m_root_retained(lua_State *L) {
  lua_settop(L, 1);
  ge_handle *h = ge_lua_checkhandle(L, 1, &HD_CLASS);
  size_t nr = ge_heapdump_nroots(h->ptr);
  /* userdata: collected whatever happens */
  uint64_t *a = lua_newuserdata(L, (nr ? nr : 1) * 2 * sizeof *a);
  ge_error err;
  sctx c = {h->ptr, NULL, 0, 0, 0, a, a + nr};
  if (ge_heapdump_root_retained(c.d, c.retained, c.objects, &err))
    return ge_pushfail(L, err.msg, ge_err_name(err.code));
  return ge_lua_call(L, h, "root_retained", 2, roots_work, &c);
}

void ge_lua_open_heapdump_sites(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"_sites", m_sites}, {"_root_retained", m_root_retained}, {NULL, NULL}};
  luaL_getmetatable(L, HD_MT);
  lua_getfield(L, -1, "__index");
  ge_lua_funcs(L, methods);
  lua_pop(L, 2);
}
