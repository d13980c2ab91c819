/* goescape.core: the ge_heapdump part of the binding.
 *   core.heapdump_open(path, limits?)         -> dump | nil, err, code
 *   core.heapdump_parse(bytes, name?, limits?) -> dump | nil, err, code
 *   dump:info() dump:each_object() dump:object(addr) dump:roots()
 *   dump:goroutines() dump:_top(n) dump:path(addr) dump:_dominated(addr|nil, n)
 *   dump:close()
 * The analyses (dominators, paths) run on the first method that needs
 * them. Addresses are numbers (exact below 2^53, which heap addresses are). */
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>

#include "binding.h"
#include "goescape/heapdump.h"

#define HD_MT "goescape.heapdump"

static const ge_handle_class HD_CLASS = {HD_MT, "heap dump", "goescape: the heap dump is closed"};

static void free_dump(void *p) { ge_heapdump_free(p); }

typedef struct hctx {
  ge_heapdump *d;
  uint64_t addr;
  int64_t obj;
  size_t n;
  uint32_t *buf; /* a userdata at the stack's top when used */
} hctx;

static int finish_open(lua_State *L, ge_err rc, ge_heapdump *d, ge_error *err) {
  if (rc) return ge_pushfail(L, err->msg, ge_err_name(err->code));
  ge_handle *h = lua_touserdata(L, -1);
  h->ptr = d;
  return 1;
}

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ge_limits lim;
  ge_lua_limits(L, 2, &lim);
  ge_lua_newhandle(L, HD_MT); /* made first: nothing can raise between the parse and h->ptr */
  ge_error err;
  ge_heapdump *d;
  ge_err rc = ge_heapdump_open(path, &lim, &d, &err);
  return finish_open(L, rc, d, &err);
}

static int l_parse(lua_State *L) {
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "<string>");
  ge_limits lim;
  ge_lua_limits(L, 3, &lim);
  ge_lua_newhandle(L, HD_MT);
  ge_error err;
  ge_heapdump *d;
  ge_err rc = ge_heapdump_parse(name, data, len, &lim, &d, &err);
  return finish_open(L, rc, d, &err);
}

static ge_handle *check(lua_State *L) { return ge_lua_checkhandle(L, 1, &HD_CLASS); }

static uint64_t checkaddr(lua_State *L, int idx) {
  lua_Number n = luaL_checknumber(L, idx);
  if (!(n >= 0 && n < 18446744073709551616.0)) luaL_argerror(L, idx, "an address expected");
  return (uint64_t)n;
}

/* Runs the analyses; on failure leaves nil, err, code and returns 3. */
static int analyze(lua_State *L, ge_heapdump *d) {
  ge_error err;
  if (ge_heapdump_analyze(d, &err)) return ge_pushfail(L, err.msg, ge_err_name(err.code));
  return 0;
}

static int info_work(lua_State *L, void *ctx) {
  ge_heapdump *d = ((hctx *)ctx)->d;
  ge_heapdump_info in;
  ge_heapdump_info_get(d, &in);
  lua_createtable(L, 0, 16);
  ge_setbool(L, "big_endian", in.big_endian);
  ge_setint(L, "ptr_size", in.ptr_size);
  ge_setint(L, "arena_start", (long long)in.arena_start);
  ge_setint(L, "arena_end", (long long)in.arena_end);
  ge_setint(L, "ncpu", (long long)in.ncpu);
  ge_setsv(L, "goarch", in.goarch);
  ge_setsv(L, "go_version", in.go_version);
  ge_setint(L, "objects", (long long)in.objects);
  ge_setint(L, "pointers", (long long)in.pointers);
  ge_setint(L, "heap_bytes", (long long)in.heap_bytes);
  ge_setint(L, "roots", (long long)in.roots);
  ge_setint(L, "goroutines", (long long)ge_heapdump_ngoroutines(d));
  ge_setint(L, "data_address", (long long)in.data_addr);
  ge_setint(L, "data_size", (long long)in.data_size);
  ge_setint(L, "bss_address", (long long)in.bss_addr);
  ge_setint(L, "bss_size", (long long)in.bss_size);
  lua_createtable(L, 0, GE_HD_NKINDS);
  for (int k = 0; k < GE_HD_NKINDS; k++) ge_setint(L, ge_heapdump_kind_name(k), (long long)in.records[k]);
  lua_setfield(L, -2, "records");
  if (in.has_memstats) {
    lua_createtable(L, 0, GE_HD_NMEMSTATS);
    for (int k = 0; k < GE_HD_NMEMSTATS; k++)
      ge_setint(L, ge_heapdump_memstats_name(k), (long long)in.memstats[k]);
    lua_setfield(L, -2, "memstats");
  }
  return 1;
}

static int m_info(lua_State *L) {
  ge_handle *h = check(L);
  hctx c = {h->ptr, 0, 0, 0, NULL};
  return ge_lua_call(L, h, "info", 1, info_work, &c);
}

static void push_sites(lua_State *L, const ge_heapdump_site *s, size_t n) {
  lua_createtable(L, n > 1000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 3);
    ge_setsv(L, "func", s[i].func);
    ge_setsv(L, "file", s[i].file);
    ge_setint(L, "line", (long long)s[i].line);
    lua_rawseti(L, -2, (int)i + 1);
  }
}

/* {address, size, pointers} and, once analyzed, retained, idom, depth. */
static void push_object(lua_State *L, ge_heapdump *d, uint32_t i, int full) {
  ge_heapdump_object o;
  ge_heapdump_object_get(d, i, &o);
  lua_createtable(L, 0, 8);
  ge_setint(L, "address", (long long)o.addr);
  ge_setint(L, "size", (long long)o.size);
  ge_setint(L, "pointers", (long long)o.nedges);
  if (!full) return;
  ge_heapdump_retention r;
  ge_heapdump_retention_get(d, i, &r);
  ge_setbool(L, "reachable", r.idom != -2);
  if (r.idom != -2) {
    ge_setint(L, "retained", (long long)r.retained);
    ge_setint(L, "depth", r.depth);
  }
  if (r.idom >= 0) {
    ge_heapdump_object p;
    ge_heapdump_object_get(d, (size_t)r.idom, &p);
    ge_setint(L, "idom", (long long)p.addr);
  }
  lua_createtable(L, o.nedges > 1000 ? 0 : (int)o.nedges, 0);
  for (uint64_t k = 0; k < o.nedges; k++) {
    uint32_t t;
    uint64_t field;
    ge_heapdump_edge(d, o.first_edge + k, &t, &field);
    ge_heapdump_object p;
    ge_heapdump_object_get(d, t, &p);
    lua_createtable(L, 0, 2);
    ge_setint(L, "address", (long long)p.addr);
    ge_setint(L, "field", (long long)field);
    lua_rawseti(L, -2, (int)k + 1);
  }
  lua_setfield(L, -2, "refs");
  const ge_heapdump_site *s;
  size_t n;
  if (ge_heapdump_alloc_site(d, i, &s, &n)) {
    push_sites(L, s, n);
    lua_setfield(L, -2, "alloc");
  }
}

static int object_work(lua_State *L, void *ctx) {
  hctx *c = ctx;
  push_object(L, c->d, (uint32_t)c->obj, 1);
  return 1;
}

static int notfound(lua_State *L, uint64_t addr) {
  char msg[64];
  snprintf(msg, sizeof msg, "no object holds address 0x%" PRIx64, addr);
  lua_pushstring(L, msg);
  return ge_pushfail(L, lua_tostring(L, -1), "notfound");
}

static int m_object(lua_State *L) {
  uint64_t a = checkaddr(L, 2);
  ge_handle *h = check(L);
  if (analyze(L, h->ptr)) return 3;
  hctx c = {h->ptr, a, ge_heapdump_find(h->ptr, a), 0, NULL};
  if (c.obj < 0) return notfound(L, a);
  return ge_lua_call(L, h, "object", 2, object_work, &c);
}

static int step_work(lua_State *L, void *ctx) {
  hctx *c = ctx;
  ge_heapdump_object o;
  if (!ge_heapdump_object_get(c->d, c->n, &o)) return 0;
  push_object(L, c->d, (uint32_t)c->n, 0);
  return 1;
}

static int each_step(lua_State *L) {
  double pos;
  ge_handle *h = ge_lua_iter_next(L, &HD_CLASS, &pos);
  hctx c = {h->ptr, 0, 0, (size_t)pos, NULL};
  return ge_lua_call(L, h, "an iterator", 0, step_work, &c);
}

static int m_each_object(lua_State *L) {
  check(L);
  lua_settop(L, 1);
  ge_lua_iterator(L, each_step, 0, 0);
  return 1;
}

/* A root as the first step of a path: what holds the pointer. */
static void push_root(lua_State *L, ge_heapdump *d, size_t i) {
  ge_heapdump_root r;
  ge_heapdump_root_get(d, i, &r);
  ge_heapdump_object o;
  ge_heapdump_object_get(d, r.target, &o);
  lua_createtable(L, 0, 8);
  lua_pushstring(L, ge_heapdump_root_kind_name(r.kind));
  lua_setfield(L, -2, "root");
  ge_setint(L, "slot", (long long)r.slot);
  ge_setint(L, "pointer", (long long)r.pointer);
  ge_setint(L, "target", (long long)o.addr);
  /* A small slice of a big array points inside it: say where. */
  if (r.pointer != o.addr) ge_setint(L, "target_offset", (long long)(r.pointer - o.addr));
  if (r.kind == GE_HD_ROOT_DATA || r.kind == GE_HD_ROOT_BSS || r.kind == GE_HD_ROOT_STACK)
    ge_setint(L, "offset", (long long)r.offset);
  if (r.name.len) ge_setsv(L, "name", r.name);
  if (r.nafter) { /* the words after the pointer: a slice's len and cap */
    lua_createtable(L, (int)r.nafter, 0);
    for (uint32_t k = 0; k < r.nafter; k++) {
      lua_pushinteger(L, (lua_Integer)r.after[k]);
      lua_rawseti(L, -2, (int)k + 1);
    }
    lua_setfield(L, -2, "after");
  }
  if (r.goroutine >= 0) {
    ge_heapdump_goroutine g;
    ge_heapdump_goroutine_get(d, (size_t)r.goroutine, &g);
    ge_setint(L, "goroutine", (long long)g.id);
  }
  if (r.frame >= 0) {
    ge_heapdump_frame f;
    ge_heapdump_frame_get(d, (size_t)r.frame, &f);
    ge_setsv(L, "func", f.func);
    ge_setint(L, "frame_depth", (long long)f.depth);
    ge_setint(L, "pc", (long long)f.pc);
  }
}

static int roots_work(lua_State *L, void *ctx) {
  hctx *c = ctx;
  size_t n = ge_heapdump_nroots(c->d);
  lua_createtable(L, n > 100000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    push_root(L, c->d, i);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_roots(lua_State *L) {
  ge_handle *h = check(L);
  hctx c = {h->ptr, 0, 0, 0, NULL};
  return ge_lua_call(L, h, "roots", 1, roots_work, &c);
}

static int goroutines_work(lua_State *L, void *ctx) {
  hctx *c = ctx;
  size_t n = ge_heapdump_ngoroutines(c->d);
  lua_createtable(L, n > 100000 ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    ge_heapdump_goroutine g;
    ge_heapdump_goroutine_get(c->d, i, &g);
    lua_createtable(L, 0, 8);
    ge_setint(L, "id", (long long)g.id);
    ge_setint(L, "address", (long long)g.addr);
    ge_setint(L, "status", (long long)g.status);
    ge_setbool(L, "system", g.system);
    ge_setsv(L, "wait_reason", g.wait_reason);
    ge_setint(L, "gopc", (long long)g.gopc);
    lua_createtable(L, (int)(g.nframes > 1000 ? 0 : g.nframes), 0);
    for (size_t k = 0; k < g.nframes; k++) {
      ge_heapdump_frame f;
      ge_heapdump_frame_get(c->d, g.first_frame + k, &f);
      lua_createtable(L, 0, 5);
      ge_setsv(L, "func", f.func);
      ge_setint(L, "pc", (long long)f.pc);
      ge_setint(L, "sp", (long long)f.sp);
      ge_setint(L, "size", (long long)f.size);
      ge_setint(L, "depth", (long long)f.depth);
      lua_rawseti(L, -2, (int)k + 1);
    }
    lua_setfield(L, -2, "frames");
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_goroutines(lua_State *L) {
  ge_handle *h = check(L);
  hctx c = {h->ptr, 0, 0, 0, NULL};
  return ge_lua_call(L, h, "goroutines", 1, goroutines_work, &c);
}

/* The path to object c->obj: {root step, {address, size, field?}...}, or
 * false when no root reaches it. */
static void push_path(lua_State *L, ge_heapdump *d, uint32_t obj) {
  size_t root, len = ge_heapdump_path(d, obj, &root, NULL, NULL, 0);
  if (!len) {
    lua_pushboolean(L, 0);
    return;
  }
  /* One block: the objects, then (8-byte aligned) the fields. */
  size_t head = (len * sizeof(uint32_t) + 7) & ~(size_t)7;
  uint32_t *objs = lua_newuserdata(L, head + len * sizeof(uint64_t));
  uint64_t *fields = (uint64_t *)(void *)((char *)objs + head);
  ge_heapdump_path(d, obj, &root, objs, fields, len);
  lua_createtable(L, (int)(len + 1 > 100000 ? 0 : len + 1), 0);
  push_root(L, d, root);
  lua_rawseti(L, -2, 1);
  for (size_t i = 0; i < len; i++) {
    ge_heapdump_object o;
    ge_heapdump_object_get(d, objs[i], &o);
    lua_createtable(L, 0, 3);
    ge_setint(L, "address", (long long)o.addr);
    ge_setint(L, "size", (long long)o.size);
    if (i) ge_setint(L, "field", (long long)fields[i]);
    lua_rawseti(L, -2, (int)i + 2);
  }
  lua_remove(L, -2);
}

static int path_work(lua_State *L, void *ctx) {
  hctx *c = ctx;
  push_path(L, c->d, (uint32_t)c->obj);
  if (lua_toboolean(L, -1)) return 1;
  lua_pop(L, 1);
  lua_pushnil(L);
  lua_pushliteral(L, "no root reaches the object");
  lua_pushliteral(L, "notfound");
  return 3;
}

static int m_path(lua_State *L) {
  uint64_t a = checkaddr(L, 2);
  ge_handle *h = check(L);
  if (analyze(L, h->ptr)) return 3;
  hctx c = {h->ptr, a, ge_heapdump_find(h->ptr, a), 0, NULL};
  if (c.obj < 0) return notfound(L, a);
  return ge_lua_call(L, h, "path", 2, path_work, &c);
}

/* Rows {address, size, retained, idom?, path?} for the objects of c->buf. */
static void push_rows(lua_State *L, ge_heapdump *d, const uint32_t *objs, size_t n, int paths) {
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    ge_heapdump_object o;
    ge_heapdump_retention r;
    ge_heapdump_object_get(d, objs[i], &o);
    ge_heapdump_retention_get(d, objs[i], &r);
    lua_createtable(L, 0, 6);
    ge_setint(L, "address", (long long)o.addr);
    ge_setint(L, "size", (long long)o.size);
    ge_setint(L, "retained", (long long)r.retained);
    ge_setint(L, "pointers", (long long)o.nedges);
    if (paths) {
      push_path(L, d, objs[i]);
      lua_setfield(L, -2, "path");
      const ge_heapdump_site *s;
      size_t ns;
      if (ge_heapdump_alloc_site(d, objs[i], &s, &ns)) {
        push_sites(L, s, ns);
        lua_setfield(L, -2, "alloc");
      }
    }
    lua_rawseti(L, -2, (int)i + 1);
  }
}

static int top_work(lua_State *L, void *ctx) {
  hctx *c = ctx;
  size_t got = ge_heapdump_top(c->d, c->n, c->buf);
  push_rows(L, c->d, c->buf, got, 1);
  return 1;
}

static size_t checkcount(lua_State *L, int idx) {
  lua_Integer n = luaL_checkinteger(L, idx);
  if (n < 0 || n > 1000000) luaL_argerror(L, idx, "a count in [0, 1000000] expected");
  return (size_t)n;
}

static int m_top(lua_State *L) {
  size_t n = checkcount(L, 2);
  lua_settop(L, 2);
  uint32_t *buf = lua_newuserdata(L, (n ? n : 1) * sizeof *buf);
  lua_replace(L, 2); /* the count is read: its slot keeps the buffer alive */
  ge_handle *h = check(L);
  if (analyze(L, h->ptr)) return 3;
  hctx c = {h->ptr, 0, 0, n, buf};
  return ge_lua_call(L, h, "retainers", 2, top_work, &c);
}

static int dominated_work(lua_State *L, void *ctx) {
  hctx *c = ctx;
  size_t all = ge_heapdump_dominated(c->d, c->obj, c->buf, c->n);
  push_rows(L, c->d, c->buf, all < c->n ? all : c->n, 0);
  ge_pushint(L, (long long)all);
  return 2;
}

static int m_dominated(lua_State *L) {
  int top = lua_isnoneornil(L, 2);
  uint64_t a = top ? 0 : checkaddr(L, 2);
  size_t n = checkcount(L, 3);
  lua_settop(L, 3);
  uint32_t *buf = lua_newuserdata(L, (n ? n : 1) * sizeof *buf);
  lua_replace(L, 3);
  ge_handle *h = check(L);
  if (analyze(L, h->ptr)) return 3;
  hctx c = {h->ptr, a, top ? -1 : ge_heapdump_find(h->ptr, a), n, buf};
  if (!top && c.obj < 0) return notfound(L, a);
  return ge_lua_call(L, h, "dominators", 3, dominated_work, &c);
}

static int m_reachable(lua_State *L) {
  ge_handle *h = check(L);
  if (analyze(L, h->ptr)) return 3;
  uint64_t bytes, n = ge_heapdump_reachable(h->ptr, &bytes);
  lua_createtable(L, 0, 2);
  ge_setint(L, "objects", (long long)n);
  ge_setint(L, "bytes", (long long)bytes);
  return 1;
}

static int m_close(lua_State *L) { return ge_lua_closehandle(L, &HD_CLASS, free_dump); }

static int m_tostring(lua_State *L) {
  ge_handle *u = luaL_checkudata(L, 1, HD_MT);
  if (!u->ptr) {
    lua_pushliteral(L, "goescape.heapdump (closed)");
    return 1;
  }
  ge_heapdump_info in;
  ge_heapdump_info_get(u->ptr, &in);
  lua_pushfstring(L, "goescape.heapdump (%d objects, %d pointers, %d roots)", (int)in.objects,
                  (int)in.pointers, (int)in.roots);
  return 1;
}

void ge_lua_open_heapdump(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"info", m_info},       {"object", m_object},         {"each_object", m_each_object},
      {"roots", m_roots},     {"goroutines", m_goroutines}, {"path", m_path},
      {"_top", m_top},        {"_dominated", m_dominated},  {"_reachable", m_reachable},
      {"close", m_close},     {NULL, NULL}};
  static const luaL_Reg meta[] = {
      {"__gc", m_close}, {"__close", m_close}, {"__tostring", m_tostring}, {NULL, NULL}};
  ge_lua_class(L, HD_MT, methods, meta);
  static const luaL_Reg fns[] = {
      {"heapdump_open", l_open}, {"heapdump_parse", l_parse}, {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
