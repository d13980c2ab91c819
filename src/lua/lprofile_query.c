/* goescape.core: the profile methods that answer a query.
 *   prof:top(query) -> rows, total, report_total
 *   prof:folded(query) -> string
 *   prof:flame(query, min) -> tree, nodes, dropped
 * A query is {sample=name|index(0-based), by="function"|"line"|"file"|"stack",
 * focus=, ignore=, hide=, show=, tagfocus=, tagignore=}: the option names of
 * the Lua side and of the command (tags as pprof's -tagfocus:
 * "[key=]range-or-regexps"). */
#include <stdio.h>
#include <string.h>

#include "lprofile.h"

/* A query's field, read raw (no __index metamethod runs: it could close the
 * profile, or build a string that a collection frees) and left on the
 * stack, which keeps the string for the whole call whatever the caller then
 * does to the table. */
static const char *optfield(lua_State *L, int t, const char *k) {
  lua_pushstring(L, k);
  lua_rawget(L, t);
  if (lua_isnil(L, -1)) return NULL;
  if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "query.%s: string expected", k);
  return lua_tostring(L, -1);
}

typedef struct query {
  ge_prof_query q;
  const char *sample; /* name or index as text (num), NULL: the default */
  char num[32];
} query;

/* Reads the query table at idx into qq; raises on misuse. The sample type
 * is resolved by prepare_query, against the profile checked again. */
static void read_query(lua_State *L, int idx, query *qq) {
  ge_prof_query *q = &qq->q;
  memset(qq, 0, sizeof *qq);
  q->by = GE_PROF_BY_FUNCTION;
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushliteral(L, "sample");
  lua_rawget(L, idx);
  if (lua_type(L, -1) == LUA_TNUMBER) {
    lua_Number n = lua_tonumber(L, -1);
    if (!(n >= 0 && n <= 65535) || n != (lua_Number)(int)n)
      luaL_error(L, "query.sample: index out of range");
    snprintf(qq->num, sizeof qq->num, "%d", (int)n);
    qq->sample = qq->num;
  } else if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "query.sample: string expected");
    qq->sample = lua_tostring(L, -1); /* stays on the stack */
  }
  const char *by = optfield(L, idx, "by");
  if (by) {
    if (!strcmp(by, "function") || !strcmp(by, "functions")) q->by = GE_PROF_BY_FUNCTION;
    else if (!strcmp(by, "line") || !strcmp(by, "lines")) q->by = GE_PROF_BY_LINE;
    else if (!strcmp(by, "file") || !strcmp(by, "files")) q->by = GE_PROF_BY_FILE;
    else if (!strcmp(by, "stack")) q->by = GE_PROF_BY_STACK;
    else luaL_error(L, "query.by: function, line, file or stack expected, got '%s'", by);
  }
  q->focus = optfield(L, idx, "focus");
  q->ignore = optfield(L, idx, "ignore");
  q->hide = optfield(L, idx, "hide");
  q->show = optfield(L, idx, "show");
  q->tag_focus = optfield(L, idx, "tagfocus");
  q->tag_ignore = optfield(L, idx, "tagignore");
}

/* The profile at 1 checked, the query at 2 read, the profile checked again
 * (reading allocated) and the sample resolved: the handle, or NULL with
 * nil, err, code pushed (*nres = 3) for an unknown sample type. */
static ge_handle *prepare_query(lua_State *L, query *qq, int *nres) {
  ge_lprof_check(L, 1);
  read_query(L, 2, qq);
  ge_handle *h = ge_lprof_check(L, 1);
  ge_error e;
  *nres = 0;
  if (ge_profile_sample_index(h->ptr, qq->sample, &qq->q.sample, &e)) {
    *nres = ge_lprof_fail(L, &e);
    return NULL;
  }
  return h;
}

typedef struct query_ctx {
  ge_profile *p;
  const ge_prof_query *q;
  double min; /* flame */
  ge_lprof_held r;
} query_ctx;

static void free_top(void *t) { ge_prof_top_free(t); }

static int top_work(lua_State *L, void *ctx) {
  query_ctx *c = ctx;
  ge_error e;
  ge_prof_top *t;
  if (ge_profile_top(c->p, c->q, &t, &e)) return ge_lprof_fail(L, &e);
  c->r = (ge_lprof_held){t, free_top};
  size_t n = ge_prof_top_count(t);
  lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0);
  for (size_t i = 0; i < n && i < INT32_MAX; i++) {
    const ge_prof_row *row = ge_prof_top_row(t, i);
    lua_createtable(L, 0, 6);
    ge_setsv(L, "name", row->name);
    if (c->q->by != GE_PROF_BY_FILE && row->func.len) ge_setsv(L, "func", row->func);
    if (row->file.len) ge_setsv(L, "file", row->file);
    if (row->line) ge_setint(L, "line", row->line);
    if (row->objfile.len) ge_setsv(L, "objfile", row->objfile);
    ge_setint(L, "flat", row->flat);
    ge_setint(L, "cum", row->cum);
    if (row->inl) {
      lua_pushstring(L, row->inl == 1 ? "inline" : "partial-inline");
      lua_setfield(L, -2, "inline");
    }
    lua_rawseti(L, -2, (int)i + 1);
  }
  ge_pushint(L, ge_prof_top_total(t));
  ge_pushint(L, ge_prof_top_report_total(t));
  return 3;
}

/* A method that answers one query: its options read, then the work done
 * protected with the profile in use. */
static int query_method(lua_State *L, const char *name, ge_lua_work work, double min) {
  query qq;
  int nres;
  ge_handle *h = prepare_query(L, &qq, &nres);
  if (!h) return nres;
  query_ctx c = {h->ptr, &qq.q, min, {NULL, NULL}};
  return ge_lprof_release(L, &c.r, ge_lua_run(L, h, name, 0, work, &c));
}

int ge_lprof_top(lua_State *L) {
  lua_settop(L, 2);
  return query_method(L, "top", top_work, 0);
}

static int folded_work(lua_State *L, void *ctx) {
  query_ctx *c = ctx;
  ge_error e;
  char *buf;
  size_t len;
  if (ge_profile_folded(c->p, c->q, &buf, &len, &e)) return ge_lprof_fail(L, &e);
  c->r = (ge_lprof_held){buf, free};
  lua_pushlstring(L, buf, len);
  return 1;
}

int ge_lprof_folded(lua_State *L) {
  lua_settop(L, 2);
  return query_method(L, "folded", folded_work, 0);
}

static void free_flame(void *f) { ge_prof_flame_free(f); }

/* flame(query, min) -> root, nodes, dropped: nested {name=, value=, self=,
 * children=} tables (children absent on leaves; the root's name is ""). */
static int flame_work(lua_State *L, void *ctx) {
  query_ctx *c = ctx;
  ge_error e;
  ge_prof_flame *f;
  if (ge_profile_flame(c->p, c->q, c->min, &f, &e)) return ge_lprof_fail(L, &e);
  c->r = (ge_lprof_held){f, free_flame};
  size_t n = ge_prof_flame_count(f);
  if (n > INT32_MAX) return luaL_error(L, "flame: too many nodes");
  /* children come after their parent: build from the last node backwards,
   * each table kept in `all` until its parent takes it */
  lua_createtable(L, (int)n, 0);
  int all = lua_gettop(L);
  for (size_t i = n; i-- > 0;) {
    const ge_prof_fnode *nd = ge_prof_flame_node(f, i);
    lua_createtable(L, 0, 4);
    ge_setsv(L, "name", nd->name);
    ge_setint(L, "value", nd->value);
    ge_setint(L, "self", nd->self);
    if (nd->nchildren) {
      lua_createtable(L, (int)nd->nchildren, 0);
      for (uint32_t k = 0; k < nd->nchildren; k++) {
        lua_rawgeti(L, all, (int)(nd->first + k) + 1);
        lua_rawseti(L, -2, (int)k + 1);
        lua_pushnil(L);
        lua_rawseti(L, all, (int)(nd->first + k) + 1);
      }
      lua_setfield(L, -2, "children");
    }
    lua_rawseti(L, all, (int)i + 1);
  }
  lua_rawgeti(L, all, 1);
  ge_pushint(L, (long long)n - 1);
  ge_pushint(L, (long long)ge_prof_flame_dropped(f));
  return 3;
}

int ge_lprof_flame(lua_State *L) {
  lua_settop(L, 3);
  double min = luaL_optnumber(L, 3, 0.001);
  if (!(min >= 0 && min < 1)) return luaL_argerror(L, 3, "a fraction in [0, 1) expected");
  return query_method(L, "flame", flame_work, min);
}
