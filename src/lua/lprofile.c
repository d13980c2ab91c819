/* goescape.core: the ge_profile part of the binding.
 *   core.profile_open(path, limits?)            -> prof | nil, err, code
 *   core.profile_parse(bytes, name?, limits?)   -> prof | nil, err, code
 *   core.profile_merge({prof...}, scales?, labels?) -> prof | nil, err, code
 *   prof:info() prof:samples() prof:locations() prof:functions() prof:mappings()
 *   prof:top(query) -> rows, total     prof:folded(query) -> string
 *   prof:flame(query, min) -> tree, nodes, dropped
 *   prof:diff(base) prof:encode(gzip?) prof:write(path) prof:symbolize(fn)
 *   prof:close()
 * A query is {sample=name|index(0-based), by="function"|"line"|"file"|"stack",
 * focus=, ignore=, hide=, show=, tag_focus=, tag_ignore=} (tags as pprof's
 * -tagfocus: "[key=]range-or-regexps").
 * A new profile is held by a "box" userdata until its own userdata holds it;
 * a method's malloc'd results are held by its context and freed after its
 * protected work (ge_lua_run), whatever happened: a Lua error (out of
 * memory, a finalizer's error) never leaks them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"

#define PROF_MT "goescape.profile"
#define BOX_MT "goescape.profile.box"

static const ge_handle_class PROF_CLASS = {PROF_MT, "profile", "goescape: the profile is closed"};

typedef struct box {
  void *ptr;
  void (*fn)(void *);
} box;

static int box_gc(lua_State *L) {
  box *b = luaL_checkudata(L, 1, BOX_MT);
  if (b->ptr) b->fn(b->ptr);
  b->ptr = NULL;
  return 0;
}

/* Pushes an empty box; fill ptr/fn right after the C call that allocates. */
static box *newbox(lua_State *L) {
  box *b = lua_newuserdata(L, sizeof *b);
  b->ptr = NULL;
  b->fn = free;
  luaL_getmetatable(L, BOX_MT);
  lua_setmetatable(L, -2);
  return b;
}

/* The open profile at idx, not in use by a method in progress: a resolver
 * that used (or closed) the profile it is resolving would see it half-built,
 * or free it under the C code; so would a finalizer run by an allocation. */
static ge_handle *checkprof(lua_State *L, int idx) { return ge_lua_checkhandle(L, idx, &PROF_CLASS); }

/* A method's malloc'd result, freed after its work (done or failed). */
typedef struct held {
  void *ptr;
  void (*fn)(void *);
} held;

static int release(lua_State *L, held *r, int n) {
  if (r->ptr) r->fn(r->ptr);
  r->ptr = NULL;
  return n < 0 ? lua_error(L) : n;
}

static int fail(lua_State *L, const ge_error *e) {
  return ge_pushfail(L, e->msg, ge_err_name(e->code));
}

static void free_prof(void *p) { ge_profile_free(p); }

/* Wraps a profile held in box b as a profile userdata (the box is emptied). */
static int push_prof(lua_State *L, box *b) {
  ge_handle *u = lua_newuserdata(L, sizeof *u);
  u->ptr = NULL;
  u->busy = NULL;
  luaL_getmetatable(L, PROF_MT);
  lua_setmetatable(L, -2);
  u->ptr = b->ptr;
  b->ptr = NULL;
  return 1;
}

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ge_limits lim;
  ge_lua_limits(L, 2, &lim);
  box *b = newbox(L);
  b->fn = free_prof;
  ge_error e;
  ge_profile *p;
  if (ge_profile_open(path, &lim, &p, &e)) return fail(L, &e);
  b->ptr = p;
  return push_prof(L, b);
}

static int l_parse(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *name = luaL_optstring(L, 2, "profile");
  ge_limits lim;
  ge_lua_limits(L, 3, &lim);
  box *b = newbox(L);
  b->fn = free_prof;
  ge_error e;
  ge_profile *p;
  if (ge_profile_parse(name, s, n, &lim, &p, &e)) return fail(L, &e);
  b->ptr = p;
  return push_prof(L, b);
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
  box *b = newbox(L);
  b->fn = free_prof;
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, 1, i + 1);
    ge_handle *u = ge_testudata(L, -1, PROF_MT);
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
  ge_profile *out;
  if (ge_profile_merge(ps, (size_t)n, scales, labels, &out, &e)) return fail(L, &e);
  b->ptr = out;
  return push_prof(L, b);
}

static int m_diff(lua_State *L) {
  checkprof(L, 1);
  checkprof(L, 2);
  lua_settop(L, 2);
  box *b = newbox(L);
  b->fn = free_prof;
  /* checked again after the allocation; the diff itself runs no Lua */
  ge_handle *a = checkprof(L, 1), *base = checkprof(L, 2);
  ge_error e;
  ge_profile *out;
  if (ge_profile_diff(a->ptr, base->ptr, &out, &e)) return fail(L, &e);
  b->ptr = out;
  return push_prof(L, b);
}

static void setsv(lua_State *L, const char *k, ge_strview v) {
  lua_pushlstring(L, v.ptr ? v.ptr : "", v.len);
  lua_setfield(L, -2, k);
}

static void setnum(lua_State *L, const char *k, long long v) {
  ge_pushint(L, v);
  lua_setfield(L, -2, k);
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
    setsv(L, "type", t);
    setsv(L, "unit", un);
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
  setnum(L, "default_sample", (long long)in.default_sample + 1);
  setnum(L, "nsamples", (long long)in.nsamples);
  setnum(L, "nlocations", (long long)in.nlocations);
  setnum(L, "nfunctions", (long long)in.nfunctions);
  setnum(L, "nmappings", (long long)in.nmappings);
  setnum(L, "time_nanos", in.time_nanos);
  setnum(L, "duration_nanos", in.duration_nanos);
  setnum(L, "period", in.period);
  setsv(L, "period_type", in.period_type);
  setsv(L, "period_unit", in.period_unit);
  setsv(L, "drop_frames", in.drop_frames);
  setsv(L, "keep_frames", in.keep_frames);
  lua_pushstring(L, in.format);
  lua_setfield(L, -2, "format");
  return 1;
}

static int m_info(lua_State *L) {
  ge_handle *h = checkprof(L, 1);
  return ge_lua_call(L, h, "info", 0, info_work, h->ptr);
}

/* samples() -> { {values={...}, locations={id...}, labels={k=v}, num_labels={k={v...}},
 *                 num_units={k={u...}}} ... } (location ids as in the profile) */
static int samples_work(lua_State *L, void *ctx) {
  ge_profile *p = ctx;
  ge_prof_info in;
  ge_profile_info(p, &in);
  lua_createtable(L, in.nsamples > INT32_MAX ? 0 : (int)in.nsamples, 0);
  for (size_t i = 0; i < in.nsamples; i++) {
    ge_prof_sample s;
    ge_profile_sample(p, i, &s);
    lua_createtable(L, 0, 4);
    lua_createtable(L, (int)in.nsample_types, 0);
    for (size_t k = 0; k < in.nsample_types; k++) {
      ge_pushint(L, s.values[k]);
      lua_rawseti(L, -2, (int)k + 1);
    }
    lua_setfield(L, -2, "values");
    lua_createtable(L, (int)s.nlocations, 0);
    for (uint32_t k = 0; k < s.nlocations; k++) {
      ge_prof_location loc;
      ge_profile_location(p, s.locations[k], &loc);
      ge_pushint(L, (long long)loc.id);
      lua_rawseti(L, -2, (int)k + 1);
    }
    lua_setfield(L, -2, "locations");
    if (s.nlabels) {
      lua_newtable(L); /* labels */
      lua_newtable(L); /* num_labels */
      lua_newtable(L); /* num_units */
      for (uint32_t k = 0; k < s.nlabels; k++) {
        ge_prof_label lb;
        ge_profile_label(p, s.label_start + k, &lb);
        if (!lb.is_num) {
          lua_pushlstring(L, lb.key.ptr, lb.key.len);
          lua_pushlstring(L, lb.str.ptr, lb.str.len);
          lua_rawset(L, -5);
          continue;
        }
        for (int t = 0; t < 2; t++) {
          lua_pushlstring(L, lb.key.ptr, lb.key.len);
          lua_rawget(L, t ? -2 : -3);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushlstring(L, lb.key.ptr, lb.key.len);
            lua_pushvalue(L, -2);
            lua_rawset(L, t ? -4 : -5);
          }
          if (t) lua_pushlstring(L, lb.num_unit.ptr, lb.num_unit.len);
          else ge_pushint(L, lb.num);
          lua_rawseti(L, -2, (int)ge_rawlen(L, -2) + 1);
          lua_pop(L, 1);
        }
      }
      lua_setfield(L, -4, "num_units");
      lua_setfield(L, -3, "num_labels");
      lua_setfield(L, -2, "labels");
    }
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_samples(lua_State *L) {
  ge_handle *h = checkprof(L, 1);
  return ge_lua_call(L, h, "samples", 0, samples_work, h->ptr);
}

static int functions_work(lua_State *L, void *ctx) {
  ge_profile *p = ctx;
  ge_prof_info in;
  ge_profile_info(p, &in);
  lua_createtable(L, (int)in.nfunctions, 0);
  for (size_t i = 0; i < in.nfunctions; i++) {
    ge_prof_function f;
    ge_profile_function(p, (uint32_t)i, &f);
    lua_createtable(L, 0, 5);
    setnum(L, "id", (long long)f.id);
    setsv(L, "name", f.name);
    setsv(L, "system_name", f.system_name);
    setsv(L, "filename", f.filename);
    setnum(L, "start_line", f.start_line);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_functions(lua_State *L) {
  ge_handle *h = checkprof(L, 1);
  return ge_lua_call(L, h, "functions", 0, functions_work, h->ptr);
}

static int mappings_work(lua_State *L, void *ctx) {
  ge_profile *p = ctx;
  ge_prof_info in;
  ge_profile_info(p, &in);
  lua_createtable(L, (int)in.nmappings, 0);
  for (size_t i = 0; i < in.nmappings; i++) {
    ge_prof_mapping m;
    ge_profile_mapping(p, (uint32_t)i, &m);
    lua_createtable(L, 0, 10);
    setnum(L, "id", (long long)m.id);
    setnum(L, "memory_start", (long long)m.memory_start);
    setnum(L, "memory_limit", (long long)m.memory_limit);
    setnum(L, "file_offset", (long long)m.file_offset);
    setsv(L, "filename", m.filename);
    setsv(L, "build_id", m.build_id);
    lua_pushboolean(L, m.has_functions);
    lua_setfield(L, -2, "has_functions");
    lua_pushboolean(L, m.has_filenames);
    lua_setfield(L, -2, "has_filenames");
    lua_pushboolean(L, m.has_line_numbers);
    lua_setfield(L, -2, "has_line_numbers");
    lua_pushboolean(L, m.has_inline_frames);
    lua_setfield(L, -2, "has_inline_frames");
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_mappings(lua_State *L) {
  ge_handle *h = checkprof(L, 1);
  return ge_lua_call(L, h, "mappings", 0, mappings_work, h->ptr);
}

/* locations() -> { {id=, address=, mapping=id, folded=, lines={ {func=, file=,
 * line=, column=, function_id=} } } } */
static int locations_work(lua_State *L, void *ctx) {
  ge_profile *p = ctx;
  ge_prof_info in;
  ge_profile_info(p, &in);
  lua_createtable(L, (int)in.nlocations, 0);
  for (size_t i = 0; i < in.nlocations; i++) {
    ge_prof_location l;
    ge_profile_location(p, (uint32_t)i, &l);
    lua_createtable(L, 0, 5);
    setnum(L, "id", (long long)l.id);
    setnum(L, "address", (long long)l.address);
    if (l.mapping != GE_NONE) {
      ge_prof_mapping m;
      ge_profile_mapping(p, l.mapping, &m);
      setnum(L, "mapping", (long long)m.id);
    }
    lua_pushboolean(L, l.is_folded);
    lua_setfield(L, -2, "is_folded");
    lua_createtable(L, (int)l.nlines, 0);
    for (uint32_t k = 0; k < l.nlines; k++) {
      lua_createtable(L, 0, 5);
      if (l.lines[k].function != GE_NONE) {
        ge_prof_function f;
        ge_profile_function(p, l.lines[k].function, &f);
        setsv(L, "func", f.name);
        setsv(L, "file", f.filename);
        setnum(L, "function_id", (long long)f.id);
      }
      setnum(L, "line", l.lines[k].line);
      if (l.lines[k].column) setnum(L, "column", l.lines[k].column);
      lua_rawseti(L, -2, (int)k + 1);
    }
    lua_setfield(L, -2, "lines");
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int m_locations(lua_State *L) {
  ge_handle *h = checkprof(L, 1);
  return ge_lua_call(L, h, "locations", 0, locations_work, h->ptr);
}

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
 * is resolved by resolve_query, against the profile checked again. */
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
  q->tag_focus = optfield(L, idx, "tag_focus");
  q->tag_ignore = optfield(L, idx, "tag_ignore");
}

/* 0, or pushes nil, err, code and returns 3 for an unknown sample type. */
static int resolve_query(lua_State *L, const ge_profile *p, query *qq) {
  ge_error e;
  if (ge_profile_sample_index(p, qq->sample, &qq->q.sample, &e)) return fail(L, &e);
  return 0;
}

/* The profile at 1 checked, the query at 2 read, the profile checked again
 * (reading allocated) and the sample resolved: the handle, or NULL with
 * nil, err, code pushed (*nres = 3). */
static ge_handle *prepare_query(lua_State *L, query *qq, int *nres) {
  checkprof(L, 1);
  read_query(L, 2, qq);
  ge_handle *h = checkprof(L, 1);
  *nres = resolve_query(L, h->ptr, qq);
  return *nres ? NULL : h;
}

typedef struct query_ctx {
  ge_profile *p;
  const ge_prof_query *q;
  double min; /* flame */
  int gz;     /* encode */
  held r;
} query_ctx;

static void free_top(void *t) { ge_prof_top_free(t); }

static int top_work(lua_State *L, void *ctx) {
  query_ctx *c = ctx;
  ge_error e;
  ge_prof_top *t;
  if (ge_profile_top(c->p, c->q, &t, &e)) return fail(L, &e);
  c->r = (held){t, free_top};
  size_t n = ge_prof_top_count(t);
  lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0);
  for (size_t i = 0; i < n && i < INT32_MAX; i++) {
    const ge_prof_row *row = ge_prof_top_row(t, i);
    lua_createtable(L, 0, 6);
    setsv(L, "name", row->name);
    if (c->q->by != GE_PROF_BY_FILE && row->func.len) setsv(L, "func", row->func);
    if (row->file.len) setsv(L, "file", row->file);
    if (row->line) setnum(L, "line", row->line);
    if (row->objfile.len) setsv(L, "objfile", row->objfile);
    setnum(L, "flat", row->flat);
    setnum(L, "cum", row->cum);
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

/* A method that answers one query (top, folded): its options read, then
 * the work done protected with the profile in use. */
static int query_method(lua_State *L, const char *name, ge_lua_work work) {
  lua_settop(L, 2);
  query qq;
  int nres;
  ge_handle *h = prepare_query(L, &qq, &nres);
  if (!h) return nres;
  query_ctx c = {h->ptr, &qq.q, 0, 0, {NULL, NULL}};
  return release(L, &c.r, ge_lua_run(L, h, name, 0, work, &c));
}

static int m_top(lua_State *L) { return query_method(L, "top", top_work); }

static int folded_work(lua_State *L, void *ctx) {
  query_ctx *c = ctx;
  ge_error e;
  char *buf;
  size_t len;
  if (ge_profile_folded(c->p, c->q, &buf, &len, &e)) return fail(L, &e);
  c->r = (held){buf, free};
  lua_pushlstring(L, buf, len);
  return 1;
}

static int m_folded(lua_State *L) { return query_method(L, "folded", folded_work); }

static void free_flame(void *f) { ge_prof_flame_free(f); }

/* flame(query, min) -> root, nodes, dropped: nested {name=, value=, self=,
 * children=} tables (children absent on leaves; the root's name is ""). */
static int flame_work(lua_State *L, void *ctx) {
  query_ctx *c = ctx;
  ge_error e;
  ge_prof_flame *f;
  if (ge_profile_flame(c->p, c->q, c->min, &f, &e)) return fail(L, &e);
  c->r = (held){f, free_flame};
  size_t n = ge_prof_flame_count(f);
  if (n > INT32_MAX) return luaL_error(L, "flame: too many nodes");
  /* children come after their parent: build from the last node backwards,
   * each table kept in `all` until its parent takes it */
  lua_createtable(L, (int)n, 0);
  int all = lua_gettop(L);
  for (size_t i = n; i-- > 0;) {
    const ge_prof_fnode *nd = ge_prof_flame_node(f, i);
    lua_createtable(L, 0, 4);
    setsv(L, "name", nd->name);
    setnum(L, "value", nd->value);
    setnum(L, "self", nd->self);
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

static int m_flame(lua_State *L) {
  lua_settop(L, 3);
  double min = luaL_optnumber(L, 3, 0.001);
  if (!(min >= 0 && min < 1)) return luaL_argerror(L, 3, "a fraction in [0, 1) expected");
  query qq;
  int nres;
  ge_handle *h = prepare_query(L, &qq, &nres);
  if (!h) return nres;
  query_ctx c = {h->ptr, &qq.q, min, 0, {NULL, NULL}};
  return release(L, &c.r, ge_lua_run(L, h, "flame", 0, flame_work, &c));
}

static int encode_work(lua_State *L, void *ctx) {
  query_ctx *c = ctx;
  ge_error e;
  unsigned char *buf;
  size_t len;
  if (ge_profile_encode(c->p, c->gz, &buf, &len, &e)) return fail(L, &e);
  c->r = (held){buf, free};
  lua_pushlstring(L, (const char *)buf, len);
  return 1;
}

static int m_encode(lua_State *L) {
  int gz = lua_isnoneornil(L, 2) ? 1 : lua_toboolean(L, 2);
  ge_handle *h = checkprof(L, 1);
  query_ctx c = {h->ptr, NULL, 0, gz, {NULL, NULL}};
  return release(L, &c.r, ge_lua_run(L, h, "encode", 0, encode_work, &c));
}

static int m_write(lua_State *L) {
  checkprof(L, 1);
  const char *path = luaL_checkstring(L, 2);
  ge_handle *h = checkprof(L, 1); /* again, after the argument's conversion */
  ge_error e;
  if (ge_profile_write(h->ptr, path, &e)) return fail(L, &e);
  lua_pushboolean(L, 1);
  return 1;
}

/* symbolize(fn): fn(address) -> nil | { {func=, file=, line=, inlined=}, ... }
 * innermost first. The profile is in use for the whole walk; each call of
 * the resolver runs protected, and its error aborts the walk. */
typedef struct symctx {
  lua_State *L;
  int base; /* the profile and fn, forwarded to each resolver call */
  int failed;
} symctx;

typedef struct resolve_ctx {
  uint64_t addr;
  ge_sym_frame *fr;
  int max, n;
} resolve_ctx;

/* A resolver's frame field, read raw: no __index metamethod runs inside
 * the C walk (it could raise past C's buffers, or build a string that a
 * collection frees). The keys are pushed once, before the answer is read:
 * the reading allocates nothing, so no collection (nor finalizer) runs
 * until the C side has copied the strings, which stay referenced by the
 * frame tables of the answer. */
enum { K_FUNC = 1, K_FUNCTION, K_FILE, K_LINE, K_INLINED, NKEYS };

static void rawfield(lua_State *L, int t, int key) {
  lua_pushvalue(L, key);
  lua_rawget(L, t);
}

static const char *fieldstr(lua_State *L, int t, int k1, int k2, size_t *n) {
  rawfield(L, t, k1);
  if (lua_type(L, -1) != LUA_TSTRING && k2) {
    lua_pop(L, 1);
    rawfield(L, t, k2);
  }
  const char *s = NULL;
  *n = 0;
  if (lua_type(L, -1) == LUA_TSTRING) s = lua_tolstring(L, -1, n);
  lua_pop(L, 1);
  return s;
}

/* One resolver call and the reading of its answer, which is left as the
 * result: on the stack until the next address. Sees the profile and the
 * resolver at 1 and 2; the keys go to 3.. (K_* + 2). */
static int resolve_work(lua_State *L, void *ctx) {
  resolve_ctx *r = ctx;
  static const char *const keys[] = {"func", "function", "file", "line", "inlined"};
  for (int k = 0; k < NKEYS - 1; k++) lua_pushstring(L, keys[k]);
  lua_pushvalue(L, 2);
  ge_pushint(L, (long long)r->addr);
  lua_call(L, 1, 1);
  if (lua_type(L, -1) != LUA_TTABLE) return 0;
  int t = lua_gettop(L), n = 0;
  int len = (int)ge_rawlen(L, t);
  for (int i = 1; i <= len && n < r->max; i++) {
    lua_rawgeti(L, t, i);
    if (lua_type(L, -1) == LUA_TTABLE) {
      int f = lua_gettop(L);
      ge_sym_frame *x = &r->fr[n];
      x->func = fieldstr(L, f, 2 + K_FUNC, 2 + K_FUNCTION, &x->func_len);
      x->file = fieldstr(L, f, 2 + K_FILE, 0, &x->file_len);
      rawfield(L, f, 2 + K_LINE);
      {
        lua_Number ln = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
        x->line = ln >= 1 && ln <= 4294967295.0 ? (uint32_t)ln : 0; /* NaN and junk: no line */
      }
      lua_pop(L, 1);
      rawfield(L, f, 2 + K_INLINED);
      x->inlined = lua_toboolean(L, -1);
      lua_pop(L, 1);
      if (!x->func) x->func = "", x->func_len = 0;
      if (!x->file) x->file = "", x->file_len = 0;
      n++;
    }
    lua_pop(L, 1);
  }
  r->n = n;
  return 1;
}

static int sym_cb(void *ud, uint64_t addr, ge_sym_frame *fr, int max) {
  symctx *c = ud;
  lua_settop(c->L, c->base); /* drops the previous answer */
  resolve_ctx r = {addr, fr, max, 0};
  /* the room was reserved before the walk: nothing here raises past it */
  if (ge_lua_run(c->L, NULL, NULL, c->base, resolve_work, &r) < 0) {
    c->failed = 1; /* the error stays on top */
    return -1;
  }
  return r.n;
}

static int symbolize_work(lua_State *L, void *ctx) {
  symctx c = {L, lua_gettop(L), 0};
  luaL_checkstack(L, c.base + 8, "goescape");
  ge_error e;
  ge_err rc = ge_profile_symbolize(ctx, sym_cb, &c, &e);
  if (c.failed) return lua_error(L); /* the resolver's error, raised again */
  lua_settop(L, c.base);
  if (rc) return fail(L, &e);
  lua_pushboolean(L, 1);
  return 1;
}

static int m_symbolize(lua_State *L) {
  checkprof(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  ge_handle *h = checkprof(L, 1);
  return ge_lua_call(L, h, "symbolize", 2, symbolize_work, h->ptr);
}

static int m_close(lua_State *L) { return ge_lua_closehandle(L, &PROF_CLASS, free_prof); }

static int m_tostring(lua_State *L) {
  ge_handle *u = luaL_checkudata(L, 1, PROF_MT);
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
      {"info", m_info},       {"samples", m_samples},     {"locations", m_locations},
      {"functions", m_functions}, {"mappings", m_mappings}, {"top", m_top},
      {"folded", m_folded},   {"flame", m_flame},         {"diff", m_diff},           {"encode", m_encode},
      {"write", m_write},     {"symbolize", m_symbolize}, {"close", m_close},
      {NULL, NULL}};
  static const luaL_Reg meta[] = {
      {"__gc", m_close}, {"__close", m_close}, {"__tostring", m_tostring}, {NULL, NULL}};
  ge_lua_class(L, PROF_MT, methods, meta);
  static const luaL_Reg boxmeta[] = {{"__gc", box_gc}, {NULL, NULL}};
  static const luaL_Reg none[] = {{NULL, NULL}};
  ge_lua_class(L, BOX_MT, none, boxmeta);
  static const luaL_Reg fns[] = {
      {"profile_open", l_open}, {"profile_parse", l_parse}, {"profile_merge", l_merge},
      {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
