/* goescape.core: heap dump methods that aggregate in C.
 *   dump:_sites(n, all) -> rows {func, file, line, first, objects, bytes,
 *     live_objects, live_bytes, retained, top = {address...}}, largest
 *     retained first; at most n (0: every row); sites with objects in the
 *     dump only (a bucket's objects may all be freed), without `all` only
 *     those with a live object
 *   dump:_root_retained() -> {{root = i, retained, objects}...}: the roots
 *     (d:roots() indexes, from 1) that hold objects alone
 *   dump:_domtree(per, max) -> {{address, size, retained, parent, children}...},
 *     ntop: the top of the dominator tree breadth first (parent: the
 *     index of the parent row, 0 for a child of the super-root; children:
 *     how many it has in all), ntop: the super-root's children
 * They return nil, err, code when the analyses fail. */
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

typedef struct tctx {
  ge_heapdump *d;
  ge_heapdump_domnode *nodes;
  size_t n;
} tctx;

static int domtree_work(lua_State *L, void *ctx) {
  tctx *c = ctx;
  lua_createtable(L, c->n < 100000 ? (int)c->n : 0, 0);
  for (size_t i = 0; i < c->n; i++) {
    const ge_heapdump_domnode *x = &c->nodes[i];
    ge_heapdump_object o;
    ge_heapdump_retention r;
    ge_heapdump_object_get(c->d, x->obj, &o);
    ge_heapdump_retention_get(c->d, x->obj, &r);
    lua_createtable(L, 0, 5);
    ge_setint(L, "address", (long long)o.addr);
    ge_setint(L, "size", (long long)o.size);
    ge_setint(L, "retained", (long long)r.retained);
    ge_setint(L, "parent", (long long)(x->parent + 1));
    ge_setint(L, "children", (long long)x->nkids);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_domtree(lua_State *L) {
  lua_Integer per = luaL_checkinteger(L, 2), max = luaL_checkinteger(L, 3);
  if (per < 0 || per > 100000) luaL_argerror(L, 2, "a count in [0, 100000] expected");
  if (max < 0 || max > 1000000) luaL_argerror(L, 3, "a count in [0, 1000000] expected");
  lua_settop(L, 1);
  ge_handle *h = ge_lua_checkhandle(L, 1, &HD_CLASS);
  ge_heapdump_domnode *nodes = lua_newuserdata(L, (max ? (size_t)max : 1) * sizeof *nodes);
  tctx c = {h->ptr, nodes, 0};
  uint64_t ntop;
  ge_error err;
  if (ge_heapdump_domtree(c.d, (size_t)per, (size_t)max, nodes, &c.n, &ntop, &err))
    return ge_pushfail(L, err.msg, ge_err_name(err.code));
  int r = ge_lua_call(L, h, "domtree", 2, domtree_work, &c);
  ge_pushint(L, (long long)ntop);
  return r + 1;
}

typedef struct actx {
  const ge_heapdump_site *s;
  size_t n;
} actx;

static int alloc_work(lua_State *L, void *ctx) {
  actx *c = ctx;
  lua_createtable(L, c->n < 1000 ? (int)c->n : 0, 0);
  for (size_t i = 0; i < c->n; i++) {
    lua_createtable(L, 0, 3);
    ge_setsv(L, "func", c->s[i].func);
    ge_setsv(L, "file", c->s[i].file);
    ge_setint(L, "line", (long long)c->s[i].line);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* dump:_alloc(addr) -> the alloc stack of the object at addr, or nil:
 * d:object's `alloc` without the rest (its refs can be many). */
static int m_alloc(lua_State *L) {
  lua_Number a = luaL_checknumber(L, 2);
  if (!(a >= 0 && a < 18446744073709551616.0)) luaL_argerror(L, 2, "an address expected");
  lua_settop(L, 1);
  ge_handle *h = ge_lua_checkhandle(L, 1, &HD_CLASS);
  int64_t obj = ge_heapdump_find(h->ptr, (uint64_t)a);
  actx c = {NULL, 0};
  if (obj < 0 || !ge_heapdump_alloc_site(h->ptr, (uint32_t)obj, &c.s, &c.n)) {
    lua_pushnil(L);
    return 1;
  }
  return ge_lua_call(L, h, "alloc", 1, alloc_work, &c);
}

void ge_lua_open_heapdump_sites(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"_sites", m_sites}, {"_root_retained", m_root_retained}, {"_domtree", m_domtree},
      {"_alloc", m_alloc},  {NULL, NULL}};
  luaL_getmetatable(L, HD_MT);
  lua_getfield(L, -1, "__index");
  ge_lua_funcs(L, methods);
  lua_pop(L, 2);
}
