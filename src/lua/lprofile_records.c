/* goescape.core: a profile's records as Lua tables.
 *   prof:samples()   -> { {values={...}, locations={id...}, labels={k=v},
 *                         num_labels={k={v...}}, num_units={k={u...}}} ... }
 *   prof:locations() -> { {id=, address=, mapping=id, is_folded=, lines={ {func=,
 *                         file=, line=, column=, function_id=} } } ... }
 *   prof:functions() prof:mappings()
 *   prof:each_sample() prof:each_location(): iterators over the same records,
 *   one table per step, for a caller that only walks them (no list built).
 * Location ids and mapping ids are the profile's. Every record is built
 * with the profile in use (ge_lua_run): a finalizer run by an allocation
 * cannot close it under the C code. */
#include "lprofile.h"

/* Pushes sample i (nst values per sample). */
static void push_sample(lua_State *L, const ge_profile *p, size_t i, size_t nst) {
  ge_prof_sample s;
  ge_profile_sample(p, i, &s);
  lua_createtable(L, 0, 4);
  lua_createtable(L, (int)nst, 0);
  for (size_t k = 0; k < nst; k++) {
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
  if (!s.nlabels) return;
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
    /* t = 0: the value into num_labels[key]; t = 1: the unit into num_units[key] */
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

/* Pushes location i. */
static void push_location(lua_State *L, const ge_profile *p, uint32_t i) {
  ge_prof_location l;
  ge_profile_location(p, i, &l);
  lua_createtable(L, 0, 5);
  ge_setint(L, "id", (long long)l.id);
  ge_setint(L, "address", (long long)l.address);
  if (l.mapping != GE_NONE) {
    ge_prof_mapping m;
    ge_profile_mapping(p, l.mapping, &m);
    ge_setint(L, "mapping", (long long)m.id);
  }
  lua_pushboolean(L, l.is_folded);
  lua_setfield(L, -2, "is_folded");
  lua_createtable(L, (int)l.nlines, 0);
  for (uint32_t k = 0; k < l.nlines; k++) {
    lua_createtable(L, 0, 5);
    if (l.lines[k].function != GE_NONE) {
      ge_prof_function f;
      ge_profile_function(p, l.lines[k].function, &f);
      ge_setsv(L, "func", f.name);
      ge_setsv(L, "file", f.filename);
      ge_setint(L, "function_id", (long long)f.id);
    }
    ge_setint(L, "line", l.lines[k].line);
    if (l.lines[k].column) ge_setint(L, "column", l.lines[k].column);
    lua_rawseti(L, -2, (int)k + 1);
  }
  lua_setfield(L, -2, "lines");
}

static int samples_work(lua_State *L, void *ctx) {
  const ge_profile *p = ctx;
  ge_prof_info in;
  ge_profile_info(p, &in);
  lua_createtable(L, in.nsamples > INT32_MAX ? 0 : (int)in.nsamples, 0);
  for (size_t i = 0; i < in.nsamples; i++) {
    push_sample(L, p, i, in.nsample_types);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

int ge_lprof_samples(lua_State *L) {
  ge_handle *h = ge_lprof_check(L, 1);
  return ge_lua_call(L, h, "samples", 0, samples_work, h->ptr);
}

static int locations_work(lua_State *L, void *ctx) {
  const ge_profile *p = ctx;
  ge_prof_info in;
  ge_profile_info(p, &in);
  lua_createtable(L, (int)in.nlocations, 0);
  for (size_t i = 0; i < in.nlocations; i++) {
    push_location(L, p, (uint32_t)i);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

int ge_lprof_locations(lua_State *L) {
  ge_handle *h = ge_lprof_check(L, 1);
  return ge_lua_call(L, h, "locations", 0, locations_work, h->ptr);
}

static int functions_work(lua_State *L, void *ctx) {
  const ge_profile *p = ctx;
  ge_prof_info in;
  ge_profile_info(p, &in);
  lua_createtable(L, (int)in.nfunctions, 0);
  for (size_t i = 0; i < in.nfunctions; i++) {
    ge_prof_function f;
    ge_profile_function(p, (uint32_t)i, &f);
    lua_createtable(L, 0, 5);
    ge_setint(L, "id", (long long)f.id);
    ge_setsv(L, "name", f.name);
    ge_setsv(L, "system_name", f.system_name);
    ge_setsv(L, "filename", f.filename);
    ge_setint(L, "start_line", f.start_line);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

int ge_lprof_functions(lua_State *L) {
  ge_handle *h = ge_lprof_check(L, 1);
  return ge_lua_call(L, h, "functions", 0, functions_work, h->ptr);
}

static int mappings_work(lua_State *L, void *ctx) {
  const ge_profile *p = ctx;
  ge_prof_info in;
  ge_profile_info(p, &in);
  lua_createtable(L, (int)in.nmappings, 0);
  for (size_t i = 0; i < in.nmappings; i++) {
    ge_prof_mapping m;
    ge_profile_mapping(p, (uint32_t)i, &m);
    lua_createtable(L, 0, 10);
    ge_setint(L, "id", (long long)m.id);
    ge_setint(L, "memory_start", (long long)m.memory_start);
    ge_setint(L, "memory_limit", (long long)m.memory_limit);
    ge_setint(L, "file_offset", (long long)m.file_offset);
    ge_setsv(L, "filename", m.filename);
    ge_setsv(L, "build_id", m.build_id);
    ge_setbool(L, "has_functions", m.has_functions);
    ge_setbool(L, "has_filenames", m.has_filenames);
    ge_setbool(L, "has_line_numbers", m.has_line_numbers);
    ge_setbool(L, "has_inline_frames", m.has_inline_frames);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

int ge_lprof_mappings(lua_State *L) {
  ge_handle *h = ge_lprof_check(L, 1);
  return ge_lua_call(L, h, "mappings", 0, mappings_work, h->ptr);
}

/* ------------------------------------------------------------ iterators */

/* An iterator is a closure over (1) the trampoline every binding function
 * has, (2) the profile, (3) the next 0-based index. Each step checks the
 * profile again: closed meanwhile (or in use by a method in progress), it
 * raises. */
typedef struct step_ctx {
  const ge_profile *p;
  size_t i;
  int sample; /* 1: samples, 0: locations */
} step_ctx;

static int step_work(lua_State *L, void *ctx) {
  const step_ctx *c = ctx;
  if (c->sample) {
    ge_prof_info in;
    ge_profile_info(c->p, &in);
    push_sample(L, c->p, c->i, in.nsample_types);
  } else {
    push_location(L, c->p, (uint32_t)c->i);
  }
  return 1;
}

static int step(lua_State *L, int sample) {
  double at;
  ge_handle *h = ge_lua_iter_next(L, &ge_lprof_class, &at);
  ge_prof_info in;
  ge_profile_info(h->ptr, &in);
  if (!(at >= 0 && at < (double)(sample ? in.nsamples : in.nlocations))) return 0;
  step_ctx c = {h->ptr, (size_t)at, sample};
  return ge_lua_call(L, h, sample ? "each_sample" : "each_location", 0, step_work, &c);
}

static int sample_step(lua_State *L) { return step(L, 1); }
static int location_step(lua_State *L) { return step(L, 0); }

static int iterator(lua_State *L, lua_CFunction fn) {
  ge_lprof_check(L, 1);
  lua_settop(L, 1);
  ge_lua_iterator(L, fn, 0, 0);
  return 1;
}

int ge_lprof_each_sample(lua_State *L) { return iterator(L, sample_step); }
int ge_lprof_each_location(lua_State *L) { return iterator(L, location_step); }
