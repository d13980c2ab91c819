/* goescape.core: the ge_log part of the binding.
 *   core.log_open(path | {paths...}, limits?)  -> log | nil, err, code
 *   core.log_parse(text, name?, limits?)       -> log | nil, err, code
 *   core.log_stream(path | "-", fn, limits?, filter?) -> stats | nil, err, code
 *   log:count(filter?) log:get(i) log:iter(filter?) log:group(by, filter?)
 *   log:stats() log:close()
 * (log_stream is in lescape_stream.c.) Records are plain tables (see
 * ge_lescape_push_record); filters are tables with
 * optional kind / package / file / func fields. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binding.h"
#include "lescape.h"
#include "core/vec.h"

#define LOG_MT "goescape.log"

static const ge_handle_class LOG_CLASS = {LOG_MT, "log", "goescape: the log is closed"};

/* The open log at idx (its ge_handle's ptr), not in use by a method. */
static ge_log *checklog(lua_State *L, int idx) {
  return ge_lua_checkhandle(L, idx, &LOG_CLASS)->ptr;
}

static ge_handle *loghandle(lua_State *L, int idx) { return ge_lua_checkhandle(L, idx, &LOG_CLASS); }

static void setstr(lua_State *L, const char *key, ge_strview v) {
  if (!v.len) return;
  lua_pushlstring(L, v.ptr, v.len);
  lua_setfield(L, -2, key);
}
static void setint(lua_State *L, const char *key, int64_t v) {
  if (v < 0) return;
  ge_pushint(L, (long long)v);
  lua_setfield(L, -2, key);
}

/* Pushes the record as a table: kind, file, line, col, package, func,
 * subject, message, target, cost, budget, level, derefs, size, flow. */
void ge_lescape_push_record(lua_State *L, const ge_log *log, size_t i) {
  ge_diag d;
  ge_log_get(log, i, &d);
  lua_createtable(L, 0, 12);
  lua_pushstring(L, ge_kind_name(d.kind));
  lua_setfield(L, -2, "kind");
  setstr(L, "file", d.file);
  ge_pushint(L, d.line);
  lua_setfield(L, -2, "line");
  ge_pushint(L, d.col);
  lua_setfield(L, -2, "col");
  setstr(L, "package", d.package);
  setstr(L, "func", d.func);
  setstr(L, "subject", d.subject);
  lua_pushlstring(L, d.message.ptr, d.message.len);
  lua_setfield(L, -2, "message");
  setstr(L, "target", d.target);
  setint(L, "cost", d.cost);
  setint(L, "budget", d.budget);
  setint(L, "level", d.level);
  setint(L, "derefs", d.derefs);
  setint(L, "size", ge_log_size_attr(log, i));
  ge_pushint(L, (long long)i + 1);
  lua_setfield(L, -2, "index");
  ge_pushint(L, (long long)d.input_line);
  lua_setfield(L, -2, "input_line");
  const char *src = ge_log_source_name(log, d.source);
  if (src) {
    lua_pushstring(L, src);
    lua_setfield(L, -2, "source");
  }
  if (d.nflow) {
    lua_createtable(L, (int)d.nflow, 0);
    for (uint32_t k = 0; k < d.nflow; k++) {
      ge_flow_step st;
      ge_log_flow(log, i, k, &st);
      lua_createtable(L, 0, 8);
      static const char *types[] = {"note", "flow", "from", "note"};
      lua_pushstring(L, types[st.type < 4 ? st.type : 0]);
      lua_setfield(L, -2, "type");
      setstr(L, "dst", st.dst);
      setstr(L, "src", st.src);
      setstr(L, "expr", st.expr);
      setstr(L, "reason", st.reason);
      setstr(L, "file", st.file);
      setstr(L, "callee", st.callee);
      if (st.line) {
        ge_pushint(L, st.line);
        lua_setfield(L, -2, "line");
      }
      if (st.col) {
        ge_pushint(L, st.col);
        lua_setfield(L, -2, "col");
      }
      lua_rawseti(L, -2, (int)k + 1);
    }
    lua_setfield(L, -2, "flow");
  }
}

/* The filter's strings stay on the stack for the whole call: read raw (no
 * __index metamethod runs, so none can raise or build strings that a
 * collection frees), and never popped, so a caller that changes the table
 * during the call (a stream callback) cannot free what the C side points
 * at. A list of files (filter.file = {...}) is gathered into a userdata left
 * on the stack with the list. */
void ge_lescape_read_filter(lua_State *L, int idx, ge_log_filter *f) {
  memset(f, 0, sizeof *f);
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  static const char *keys[] = {"kind", "package", "func"};
  const char **dst[] = {&f->kind, &f->package, &f->func};
  for (int k = 0; k < 3; k++) {
    lua_pushstring(L, keys[k]);
    lua_rawget(L, idx);
    if (!lua_isnil(L, -1)) {
      if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "filter.%s: string expected", keys[k]);
      *dst[k] = lua_tostring(L, -1);
    }
  }
  lua_pushliteral(L, "file");
  lua_rawget(L, idx);
  if (lua_istable(L, -1)) {
    int list = lua_gettop(L);
    size_t n = ge_rawlen(L, list);
    const char **names = lua_newuserdata(L, (n ? n : 1) * sizeof *names);
    lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0); /* anchors a copy of the list */
    int keep = lua_gettop(L);
    for (size_t i = 0; i < n; i++) {
      lua_rawgeti(L, list, (int)i + 1);
      if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "filter.file: strings expected");
      names[i] = lua_tostring(L, -1);
      lua_rawseti(L, keep, (int)i + 1);
    }
    f->files = names;
    f->nfiles = n;
    return;
  }
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "filter.file: string or list expected");
    f->file = lua_tostring(L, -1);
  }
}

static int l_log_open(lua_State *L) {
  ge_limits lim;
  ge_lua_limits(L, 2, &lim);
  int is_list = lua_istable(L, 1);
  if (!is_list) luaL_checkstring(L, 1);
  lua_settop(L, 2);
  ge_handle *l = lua_newuserdata(L, sizeof *l); /* 3: owns the log from the start */
  l->ptr = NULL;
  l->busy = NULL;
  luaL_getmetatable(L, LOG_MT);
  lua_setmetatable(L, -2);
  l->ptr = ge_log_new(&lim);
  if (!l->ptr) return luaL_error(L, "out of memory");
  size_t n = is_list ? ge_rawlen(L, 1) : 1;
  if (n == 0) return luaL_argerror(L, 1, "no input paths");
  if (n > INT_MAX) return luaL_argerror(L, 1, "too many paths");
  for (size_t i = 1; i <= n; i++) {
    lua_settop(L, 3);
    const char *path;
    if (is_list) {
      lua_rawgeti(L, 1, (int)i);
      /* a number is converted on the stack, where it stays during the add */
      path = lua_tostring(L, -1);
      if (!path) return luaL_argerror(L, 1, "paths must be strings");
    } else {
      path = lua_tostring(L, 1);
    }
    ge_error err;
    if (ge_log_add_path(l->ptr, path, &err)) {
      ge_log_free(l->ptr);
      l->ptr = NULL;
      return ge_pushfail(L, err.msg, ge_err_name(err.code));
    }
  }
  lua_settop(L, 3);
  return 1;
}

static int l_log_parse(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "<string>");
  ge_limits lim;
  ge_lua_limits(L, 3, &lim);
  ge_handle *l = lua_newuserdata(L, sizeof *l);
  l->ptr = NULL;
  l->busy = NULL;
  luaL_getmetatable(L, LOG_MT);
  lua_setmetatable(L, -2);
  l->ptr = ge_log_new(&lim);
  if (!l->ptr) return luaL_error(L, "out of memory");
  ge_error err;
  if (ge_log_add_buffer(l->ptr, name, text, len, &err)) {
    ge_log_free(l->ptr);
    l->ptr = NULL;
    return ge_pushfail(L, err.msg, ge_err_name(err.code));
  }
  return 1;
}

void ge_lescape_push_stats(lua_State *L, const ge_log_stats *st) {
  lua_createtable(L, 0, 7);
  ge_pushint(L, (long long)st->lines);
  lua_setfield(L, -2, "lines");
  ge_pushint(L, (long long)st->records);
  lua_setfield(L, -2, "records");
  ge_pushint(L, (long long)st->skipped);
  lua_setfield(L, -2, "skipped");
  ge_pushint(L, (long long)st->merged);
  lua_setfield(L, -2, "merged");
  ge_pushint(L, (long long)st->flow_steps);
  lua_setfield(L, -2, "flow_steps");
  ge_pushint(L, (long long)st->bytes);
  lua_setfield(L, -2, "bytes");
  ge_pushint(L, st->sources);
  lua_setfield(L, -2, "sources");
  ge_pushint(L, st->skipped_files);
  lua_setfield(L, -2, "skipped_files");
}

static int count_one(void *ud, size_t i) {
  (void)i;
  ++*(size_t *)ud;
  return 0;
}

static int l_count(lua_State *L) {
  checklog(L, 1);
  ge_log_filter f;
  ge_lescape_read_filter(L, 2, &f);
  /* the filter's reading allocated: the log is checked again, then used by
   * C code alone */
  ge_log *log = checklog(L, 1);
  if (!f.kind && !f.package && !f.file && !f.func && !f.files) {
    ge_pushint(L, (long long)ge_log_count(log));
    return 1;
  }
  size_t n = 0;
  ge_error err;
  if (ge_log_select(log, &f, count_one, &n, &err)) return luaL_error(L, "%s", err.msg);
  ge_pushint(L, (long long)n);
  return 1;
}

static int l_len(lua_State *L) {
  ge_pushint(L, (long long)ge_log_count(checklog(L, 1)));
  return 1;
}

typedef struct get_ctx {
  const ge_log *log;
  size_t i;
} get_ctx;

static int get_work(lua_State *L, void *ctx) {
  const get_ctx *c = ctx;
  ge_lescape_push_record(L, c->log, c->i);
  return 1;
}

static int l_get(lua_State *L) {
  checklog(L, 1);
  lua_Number i = luaL_checknumber(L, 2);
  lua_settop(L, 2);
  ge_handle *h = loghandle(L, 1);
  /* NaN fails both comparisons: checked before any cast */
  if (!(i >= 1 && i <= (lua_Number)ge_log_count(h->ptr)) || i != (lua_Number)(size_t)i) {
    lua_pushnil(L);
    return 1;
  }
  get_ctx c = {h->ptr, (size_t)i - 1};
  return ge_lua_call(L, h, "get", 0, get_work, &c);
}

/* Indices of selected records, gathered by C callbacks (no Lua runs). */
typedef struct idxbuf {
  size_t *v;
  size_t n, cap;
  int oom;
} idxbuf;
static int collect(void *ud, size_t i) {
  idxbuf *b = ud;
  if (ge_vec_reserve((void **)&b->v, &b->cap, b->n, 1, sizeof *b->v)) {
    b->oom = 1;
    return 1;
  }
  b->v[b->n++] = i;
  return 0;
}

/* Iterator: upvalues (trampoline, log, indices (a userdata of size_t), pos). */
static int iter_next(lua_State *L) {
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(2));
  ge_handle *h = loghandle(L, 1);
  const size_t *ix = lua_touserdata(L, lua_upvalueindex(3));
  size_t len = ix ? ge_rawlen(L, lua_upvalueindex(3)) / sizeof(size_t) : 0;
  lua_Number pos = lua_tonumber(L, lua_upvalueindex(4));
  if (!(pos >= 0 && pos < (lua_Number)len)) return 0; /* the end (or upvalues changed by debug) */
  size_t k = (size_t)pos;
  if (ix[k] >= ge_log_count(h->ptr)) return 0;
  get_ctx c = {h->ptr, ix[k]};
  int n = ge_lua_call(L, h, "an iterator", 0, get_work, &c);
  lua_pushnumber(L, (lua_Number)(k + 1));
  lua_replace(L, lua_upvalueindex(4));
  return n;
}

typedef struct iter_ctx {
  const ge_log *log;
  const ge_log_filter *f;
  idxbuf b;
} iter_ctx;

static int iter_work(lua_State *L, void *ctx) {
  iter_ctx *c = ctx;
  ge_error err;
  ge_err rc = ge_log_select(c->log, c->f, collect, &c->b, &err);
  if (c->b.oom) return luaL_error(L, "out of memory");
  if (rc) return luaL_error(L, "%s", err.msg);
  lua_pushvalue(L, lua_upvalueindex(1)); /* the trampoline: ge_lua_run's upvalue 1 */
  lua_pushvalue(L, 1);
  size_t bytes = c->b.n * sizeof(size_t);
  void *ix = lua_newuserdata(L, bytes ? bytes : 1);
  if (bytes) memcpy(ix, c->b.v, bytes);
  lua_pushnumber(L, 0);
  lua_pushcclosure(L, iter_next, 4);
  return 1;
}

static int l_iter(lua_State *L) {
  checklog(L, 1);
  lua_settop(L, 2);
  ge_log_filter f;
  ge_lescape_read_filter(L, 2, &f);
  ge_handle *h = loghandle(L, 1);
  iter_ctx c = {h->ptr, &f, {0}};
  int n = ge_lua_run(L, h, "iter", 1, iter_work, &c);
  free(c.b.v);
  return n < 0 ? lua_error(L) : n;
}

typedef struct at_ctx {
  ge_log *log;
  const char *file, *pkg;
  uint32_t line;
  idxbuf b;
} at_ctx;

/* log:at_line(file, line, pkg?) -> {index...}: records about that line. */
static int at_work(lua_State *L, void *ctx) {
  at_ctx *c = ctx;
  ge_error err;
  ge_err rc = ge_log_at_line(c->log, c->file, c->line, c->pkg, collect, &c->b, &err);
  if (c->b.oom) return luaL_error(L, "out of memory");
  if (rc) return luaL_error(L, "%s", err.msg);
  lua_createtable(L, c->b.n > INT_MAX ? 0 : (int)c->b.n, 0);
  for (size_t i = 0; i < c->b.n && i < INT_MAX; i++) {
    ge_pushint(L, (long long)c->b.v[i] + 1);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int l_at_line(lua_State *L) {
  checklog(L, 1);
  const char *file = luaL_checkstring(L, 2);
  lua_Number line = luaL_checknumber(L, 3);
  const char *pkg = luaL_optstring(L, 4, NULL);
  lua_settop(L, 4);
  if (!(line >= 1 && line <= 4294967295.0)) {
    checklog(L, 1);
    lua_newtable(L);
    return 1;
  }
  ge_handle *h = loghandle(L, 1);
  at_ctx c = {h->ptr, file, pkg, (uint32_t)line, {0}};
  int n = ge_lua_run(L, h, "at_line", 0, at_work, &c);
  free(c.b.v);
  return n < 0 ? lua_error(L) : n;
}

static const struct {
  const char *name;
  ge_group_by by;
} group_keys[] = {{"kind", GE_BY_KIND},       {"package", GE_BY_PACKAGE}, {"file", GE_BY_FILE},
                  {"func", GE_BY_FUNC},       {"subject", GE_BY_SUBJECT}, {"line", GE_BY_LINE}};

typedef struct group_ctx {
  const ge_log *log;
  const ge_log_filter *f;
  int k;
  ge_group_row *rows;
} group_ctx;

static int group_work(lua_State *L, void *ctx) {
  group_ctx *c = ctx;
  size_t n = 0;
  ge_error err;
  ge_group_by by = group_keys[c->k].by;
  if (ge_log_group(c->log, c->f, by, &c->rows, &n, &err)) return luaL_error(L, "%s", err.msg);
  if (n > INT_MAX) return luaL_error(L, "group: too many rows");
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    const ge_group_row *r = &c->rows[i];
    lua_createtable(L, 0, 3);
    lua_pushlstring(L, r->key.ptr ? r->key.ptr : "", r->key.len);
    lua_setfield(L, -2, by == GE_BY_LINE ? "file" : "key");
    if (by == GE_BY_LINE) {
      ge_pushint(L, r->line);
      lua_setfield(L, -2, "line");
    }
    ge_pushint(L, (long long)r->count);
    lua_setfield(L, -2, "count");
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int l_group(lua_State *L) {
  checklog(L, 1);
  const char *by = luaL_checkstring(L, 2);
  int k = -1;
  for (int i = 0; i < (int)(sizeof group_keys / sizeof group_keys[0]); i++)
    if (!strcmp(by, group_keys[i].name)) k = i;
  if (k < 0) return luaL_argerror(L, 2, "group by kind, package, file, func, subject or line");
  lua_settop(L, 3);
  ge_log_filter f;
  ge_lescape_read_filter(L, 3, &f);
  ge_handle *h = loghandle(L, 1);
  group_ctx c = {h->ptr, &f, k, NULL};
  int n = ge_lua_run(L, h, "group", 0, group_work, &c);
  free(c.rows);
  return n < 0 ? lua_error(L) : n;
}

static int l_stats(lua_State *L) {
  ge_log_stats st;
  ge_log_stats_get(checklog(L, 1), &st); /* a copy: the pushes read no log */
  ge_lescape_push_stats(L, &st);
  return 1;
}

static void free_log(void *p) { ge_log_free(p); }

static int l_close(lua_State *L) { return ge_lua_closehandle(L, &LOG_CLASS, free_log); }

static int l_tostring(lua_State *L) {
  ge_handle *l = luaL_checkudata(L, 1, LOG_MT);
  if (!l->ptr)
    lua_pushliteral(L, "goescape.log (closed)");
  else
    lua_pushfstring(L, "goescape.log (%d records)", (int)ge_log_count(l->ptr));
  return 1;
}

void ge_lua_open_escape(lua_State *L) {
  static const luaL_Reg methods[] = {{"count", l_count}, {"get", l_get},   {"iter", l_iter},
                                     {"group", l_group}, {"stats", l_stats}, {"close", l_close},
                                     {"len", l_len},     {"at_line", l_at_line}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", l_close},
                                  {"__close", l_close},
                                  {"__len", l_len},
                                  {"__tostring", l_tostring},
                                  {NULL, NULL}};
  ge_lua_class(L, LOG_MT, methods, meta);
  static const luaL_Reg fns[] = {{"log_open", l_log_open},
                                 {"log_parse", l_log_parse},
                                 {"log_stream", ge_lescape_log_stream},
                                 {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
