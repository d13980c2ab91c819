/* goescape.core: the ge_binary part of the binding.
 *   core.binary_open(path [, limits]) -> binary | nil, err, code
 *   binary:info() binary:lookup(pc) binary:lookup_many(list) binary:funcs()
 *   binary:func(name) binary:symbols() binary:dwarf() binary:close()
 *   binary:symbolize_text(text, json[, file]) -> output | true | nil, err (the CLI's bulk path)
 * Bad data returns nil, msg, code; misuse (wrong types, closed handle) raises.
 * No malloc'd memory is held in C locals across a call that may raise; the
 * methods that build tables from the binary's strings run protected with
 * the binary in use (ge_lua_run), so a finalizer cannot close it, nor
 * replace its batch frames or its DWARF, under them. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binding.h"
#include "core/bigmem.h"
#include "lualib.h" /* LUA_FILEHANDLE (Lua 5.1, LuaJIT) */
#include "lbinary.h"
#include "binary/pcparse.h"
#include "binary/symtext.h"

typedef struct lbin {
  ge_handle h;       /* h.ptr: the ge_binary */
  uint32_t threads; /* limits.max_threads at open: symbolize_text's formatting */
  uint64_t max_read; /* limits.max_inflated_bytes at open: bytes read from a stream */
} lbin;

#define MAXFRAMES 256

static const ge_handle_class BIN_CLASS = {GE_BINARY_MT, "binary", "attempt to use a closed binary"};

/* The binary at 1, open and not in use by a method in progress. Methods
 * call it again once their arguments are read (that can allocate, and so
 * run a finalizer that closes the binary), right before the C object is
 * used. */
static lbin *check(lua_State *L) { return (lbin *)ge_lua_checkhandle(L, 1, &BIN_CLASS); }

static void pushsv(lua_State *L, ge_strview v) { lua_pushlstring(L, v.ptr, v.len); }

static void setsv(lua_State *L, const char *k, ge_strview v) {
  pushsv(L, v);
  lua_setfield(L, -2, k);
}

static void setint(lua_State *L, const char *k, long long v) {
  ge_pushint(L, v);
  lua_setfield(L, -2, k);
}

static void setbool(lua_State *L, const char *k, int v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  ge_limits lim;
  ge_lua_limits(L, 2, &lim);
  lbin *u = lua_newuserdata(L, sizeof *u);
  u->h.ptr = NULL;
  u->h.busy = NULL;
  u->threads = lim.max_threads;
  u->max_read = lim.max_inflated_bytes;
  luaL_getmetatable(L, GE_BINARY_MT);
  lua_setmetatable(L, -2);
  ge_error err;
  ge_binary *b;
  ge_err rc = ge_binary_open(path, &lim, &b, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  u->h.ptr = b;
  return 1;
}

static void free_binary(void *b) { ge_binary_free(b); }

static int l_close(lua_State *L) { return ge_lua_closehandle(L, &BIN_CLASS, free_binary); }

static int l_tostring(lua_State *L) {
  lbin *u = luaL_checkudata(L, 1, GE_BINARY_MT);
  lua_pushfstring(L, "goescape.binary (%p)%s", (void *)u, u->h.ptr ? "" : " closed");
  return 1;
}

static void push_module(lua_State *L, const ge_module *m) {
  lua_createtable(L, 0, 4);
  setsv(L, "path", m->path);
  setsv(L, "version", m->version);
  setsv(L, "sum", m->sum);
  if (m->rpath.len) {
    lua_createtable(L, 0, 3);
    setsv(L, "path", m->rpath);
    setsv(L, "version", m->rversion);
    setsv(L, "sum", m->rsum);
    lua_setfield(L, -2, "replace");
  }
}

static const char *pcln_name(int v) {
  switch (v) {
  case 12: return "1.2";
  case 116: return "1.16";
  case 118: return "1.18";
  case 120: return "1.20";
  }
  return NULL;
}

static int info_work(lua_State *L, void *ctx) {
  ge_binary *b = ctx;
  ge_binary_info in;
  ge_binary_info_get(b, &in);
  lua_createtable(L, 0, 20);
  if (in.go_version.len) setsv(L, "go_version", in.go_version);
  if (in.main_path.len) setsv(L, "main_path", in.main_path);
  if (in.main.path.len) {
    push_module(L, &in.main);
    lua_setfield(L, -2, "module");
  }
  lua_createtable(L, (int)in.ndeps, 0);
  for (size_t i = 0; i < in.ndeps; i++) {
    ge_module m;
    ge_binary_dep(b, i, &m);
    push_module(L, &m);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "deps");
  lua_createtable(L, 0, (int)in.nsettings);
  for (size_t i = 0; i < in.nsettings; i++) {
    ge_setting s;
    ge_binary_setting(b, i, &s);
    pushsv(L, s.key);
    pushsv(L, s.value);
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "settings");
  const char *pv = pcln_name(in.pclntab_version);
  if (pv) {
    lua_pushstring(L, pv);
    lua_setfield(L, -2, "pclntab_version");
  }
  setsv(L, "pclntab_where", in.pclntab_where);
  setint(L, "pclntab_addr", (long long)in.pclntab_addr);
  setint(L, "text_start", (long long)in.text_start);
  setint(L, "nfuncs", (long long)in.nfuncs);
  setint(L, "ptrsize", in.ptrsize);
  setint(L, "machine", in.machine);
  setbool(L, "stripped", in.stripped);
  setbool(L, "pie", in.pie);
  setbool(L, "dwarf", in.has_dwarf);
  setbool(L, "sections", in.has_sections);
  setbool(L, "inline", in.has_inline);
  return 1;
}

static int l_info(lua_State *L) {
  lbin *u = check(L);
  return ge_lua_call(L, &u->h, "info", 0, info_work, u->h.ptr);
}

static void push_frames(lua_State *L, const ge_frame *fr, size_t n) {
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    setsv(L, "func", fr[i].func);
    setsv(L, "file", fr[i].file);
    setint(L, "line", fr[i].line);
    setbool(L, "inlined", fr[i].inlined);
    lua_rawseti(L, -2, (int)i + 1);
  }
}

static uint64_t checkpc(lua_State *L, int idx) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    const char *s = lua_tostring(L, idx);
    char *end;
    unsigned long long v = strtoull(s, &end, 16);
    if (end == s || *end) luaL_argerror(L, idx, "hex address expected");
    return v;
  }
  lua_Number n = luaL_checknumber(L, idx);
  if (!(n >= 0) || n >= 1.8446744073709552e19) luaL_argerror(L, idx, "address out of range");
  return (uint64_t)n;
}

typedef struct pc_ctx {
  ge_binary *b;
  uint64_t pc;
} pc_ctx;

/* One lookup; pushes frames, or nil, msg, code. */
static int lookup_work(lua_State *L, void *ctx) {
  const pc_ctx *c = ctx;
  ge_frame fr[MAXFRAMES];
  size_t n;
  ge_error err;
  ge_err rc = ge_binary_lookup(c->b, c->pc, fr, MAXFRAMES, &n, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  push_frames(L, fr, n);
  return 1;
}

static int l_lookup(lua_State *L) {
  check(L);
  uint64_t pc = checkpc(L, 2);
  lbin *u = check(L);
  pc_ctx c = {u->h.ptr, pc};
  return ge_lua_call(L, &u->h, "lookup", 0, lookup_work, &c);
}

/* call_target(pc) -> the address a direct call before pc + 1 calls, or nil. */
static int l_call_target(lua_State *L) {
  check(L);
  uint64_t pc = checkpc(L, 2);
  ge_binary *b = check(L)->h.ptr;
  uint64_t t;
  ge_error e;
  ge_err rc = ge_binary_call_target(b, pc, &t, &e);
  if (rc == GE_ERR_NOTFOUND) return 0;
  if (rc) return ge_pushfail(L, e.msg, ge_err_name(rc));
  ge_pushint(L, (long long)t);
  return 1;
}

/* lookup_many(list) -> list of frame lists[, first error]; an entry whose
 * tables are corrupt is an empty list, and the message of the first such
 * entry (in list order) the second result. Answered in address order by
 * ge_binary_lookup_many: the same frames as one lookup per entry. */
typedef struct many_ctx {
  ge_binary *b;
  const uint64_t *pcs;
  ge_pcframes *res;
  size_t n;
} many_ctx;

/* The batch's frames belong to the binary until its next batch: the binary
 * is in use while they are read. */
static int many_work(lua_State *L, void *ctx) {
  const many_ctx *c = ctx;
  const ge_frame *fr;
  ge_error err;
  ge_err rc = ge_binary_lookup_many(c->b, c->pcs, c->n, MAXFRAMES, c->res, &fr, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  lua_pushnil(L);                    /* 1: first error message */
  lua_createtable(L, (int)c->n, 0);  /* 2: result */
  for (size_t i = 0; i < c->n; i++) {
    if (c->res[i].rc == GE_OK) {
      push_frames(L, fr + c->res[i].first, c->res[i].n);
    } else {
      if (lua_isnil(L, 1)) {
        ge_frame one[MAXFRAMES];
        size_t k;
        ge_binary_lookup(c->b, c->pcs[i], one, MAXFRAMES, &k, &err);
        lua_pushstring(L, err.msg);
        lua_replace(L, 1);
      }
      lua_newtable(L);
    }
    lua_rawseti(L, 2, (int)i + 1);
  }
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 1);
  return 2;
}

static int l_lookup_many(lua_State *L) {
  check(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  size_t n = ge_rawlen(L, 2);
  if (n > (size_t)INT_MAX / sizeof(ge_pcframes)) luaL_argerror(L, 2, "list too long");
  uint64_t *pcs = lua_newuserdata(L, n ? n * sizeof *pcs : 1);              /* 3 */
  ge_pcframes *res = lua_newuserdata(L, n ? n * sizeof *res : 1);           /* 4 */
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 2, (int)i + 1);
    pcs[i] = checkpc(L, -1);
    lua_pop(L, 1);
  }
  lbin *u = check(L);
  many_ctx c = {u->h.ptr, pcs, res, n};
  return ge_lua_call(L, &u->h, "lookup_many", 0, many_work, &c);
}

static void push_func(lua_State *L, const ge_func_info *f) {
  lua_createtable(L, 0, 5);
  setsv(L, "name", f->name);
  setsv(L, "file", f->file);
  setint(L, "entry", (long long)f->entry);
  setint(L, "end", (long long)f->end);
  setint(L, "line", f->start_line);
}

static int funcs_work(lua_State *L, void *ctx) {
  ge_binary *b = ctx;
  ge_binary_info in;
  ge_binary_info_get(b, &in);
  lua_createtable(L, (int)in.nfuncs, 0);
  for (size_t i = 0; i < in.nfuncs; i++) {
    ge_func_info f;
    ge_error err;
    ge_err rc = ge_binary_func(b, i, &f, &err);
    if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
    push_func(L, &f);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int l_funcs(lua_State *L) {
  lbin *u = check(L);
  return ge_lua_call(L, &u->h, "funcs", 0, funcs_work, u->h.ptr);
}

typedef struct name_ctx {
  ge_binary *b;
  const char *name;
  size_t len;
} name_ctx;

static int func_work(lua_State *L, void *ctx) {
  const name_ctx *c = ctx;
  ge_func_info f;
  ge_error err;
  ge_err rc = ge_binary_func_by_name(c->b, c->name, c->len, &f, &err);
  if (rc == GE_ERR_NOTFOUND) return 0;
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  push_func(L, &f);
  return 1;
}

static int l_func(lua_State *L) {
  check(L);
  size_t len;
  const char *name = luaL_checklstring(L, 2, &len);
  lbin *u = check(L);
  name_ctx c = {u->h.ptr, name, len};
  return ge_lua_call(L, &u->h, "func", 0, func_work, &c);
}

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
    setsv(L, "name", s.name);
    setint(L, "value", (long long)s.value);
    setint(L, "size", (long long)s.size);
    setint(L, "type", s.type);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int l_symbols(lua_State *L) {
  lbin *u = check(L);
  return ge_lua_call(L, &u->h, "symbols", 0, symbols_work, u->h.ptr);
}

typedef struct dwarf_ctx {
  ge_binary *b;
  const char *const *units;
  size_t nunits;
} dwarf_ctx;

/* The load replaces what an earlier one loaded: the binary is in use while
 * the tables are built from it. */
static int dwarf_work(lua_State *L, void *ctx) {
  const dwarf_ctx *dc = ctx;
  ge_binary *b = dc->b;
  ge_dwarf_stats st;
  ge_error err;
  ge_err rc = ge_binary_dwarf_load_units(b, dc->units, dc->nunits, &st, &err);
  if (rc == GE_ERR_NOTFOUND) return 0;
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  lua_createtable(L, 0, 6);
  setint(L, "version", st.max_version);
  lua_createtable(L, (int)st.ncus, 0);
  for (size_t i = 0; i < st.ncus; i++) {
    ge_dwarf_cu c;
    ge_binary_dwarf_cu(b, i, &c);
    lua_createtable(L, 0, 7);
    setsv(L, "name", c.name);
    setsv(L, "producer", c.producer);
    setsv(L, "flags", c.flags);
    setint(L, "version", c.version);
    setint(L, "subprograms", c.nsubprograms);
    setint(L, "inlined", c.ninlined);
    setint(L, "variables", c.nvariables);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "units");
  lua_createtable(L, (int)st.nvariables, 0);
  for (size_t i = 0; i < st.nvariables; i++) {
    ge_dwarf_var v;
    ge_binary_dwarf_var(b, i, &v);
    lua_createtable(L, 0, 7);
    setsv(L, "name", v.name);
    setsv(L, "type", v.type);
    if (v.func.len) setsv(L, "func", v.func);
    if (v.file.len) setsv(L, "file", v.file);
    if (v.line) setint(L, "line", v.line);
    if (v.size != UINT64_MAX) setint(L, "size", (long long)v.size);
    if (v.param) setbool(L, "param", 1);
    if (v.heap) setbool(L, "heap", 1);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "variables");
  lua_createtable(L, (int)st.ninlined, 0);
  for (size_t i = 0; i < st.ninlined; i++) {
    ge_dwarf_inline v;
    ge_binary_dwarf_inline(b, i, &v);
    lua_createtable(L, 0, 7);
    setsv(L, "func", v.func);
    setsv(L, "caller", v.caller);
    setsv(L, "call_file", v.call_file);
    setint(L, "call_line", v.call_line);
    setint(L, "depth", v.depth);
    setint(L, "low_pc", (long long)v.low_pc);
    setint(L, "high_pc", (long long)v.high_pc);
    lua_rawseti(L, -2, (int)i + 1);
  }
  lua_setfield(L, -2, "inlined");
  return 1;
}

/* b:dwarf([{units = {"pkg/path", ...}}]): every unit, or only those. */
static int l_dwarf(lua_State *L) {
  check(L);
  const char *units[256];
  size_t nunits = 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_pushliteral(L, "units"); /* read raw, as every option table the binding reads */
    lua_rawget(L, 2);
    if (!lua_isnil(L, -1)) {
      luaL_checktype(L, -1, LUA_TTABLE);
      int list = lua_gettop(L);
      size_t n = ge_rawlen(L, list);
      if (n > sizeof units / sizeof units[0]) return luaL_error(L, "dwarf: at most 256 units");
      /* The strings are kept by a table of ours on the stack, not by the
       * caller's: Lua code can run before the load (a finalizer, when the
       * protected call grows the stack) and change the caller's table. */
      lua_createtable(L, (int)n, 0);
      for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, list, (int)i);
        if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "dwarf: units must be strings");
        units[nunits++] = lua_tostring(L, -1);
        lua_rawseti(L, list + 1, (int)i);
      }
      if (nunits == 0) return luaL_error(L, "dwarf: units is empty");
    }
  }
  lbin *u = check(L);
  dwarf_ctx c = {u->h.ptr, units, nunits};
  return ge_lua_call(L, &u->h, "dwarf", 0, dwarf_work, &c);
}

/* ------------------------------------------------- bulk text symbolization */

/* The C stream of a Lua file object (io library), raising when closed. */
static FILE *tofile(lua_State *L, int idx) {
#if LUA_VERSION_NUM >= 502
  luaL_Stream *s = luaL_checkudata(L, idx, LUA_FILEHANDLE);
  if (!s->closef) luaL_argerror(L, idx, "attempt to use a closed file");
  return s->f;
#else
  FILE **f = luaL_checkudata(L, idx, LUA_FILEHANDLE);
  if (!*f) luaL_argerror(L, idx, "attempt to use a closed file");
  return *f;
#endif
}

/* Mappings owned by a userdata (unmapped by its __gc): an input file's
 * bytes, or a batch's arrays. An input is mapped when it is a regular file
 * (from its current position), else read to its end into a growing
 * userdata. */
#define GE_MAPPING_MT "goescape.mapping"
typedef struct mapping {
  void *p;
  size_t len;
} mapping;

static int mapping_gc(lua_State *L) {
  mapping *m = luaL_checkudata(L, 1, GE_MAPPING_MT);
  if (m->p) munmap(m->p, m->len); /* a file's or ge_big_alloc's mapping */
  m->p = NULL;
  return 0;
}

/* Pushes an empty owner; its mapping is set once made. */
static mapping *push_owner(lua_State *L) {
  mapping *m = lua_newuserdata(L, sizeof *m);
  m->p = NULL;
  m->len = 0;
  luaL_getmetatable(L, GE_MAPPING_MT);
  lua_setmetatable(L, -2);
  return m;
}

/* Pushes a mapping of size bytes owned by a userdata (core/bigmem.h: huge
 * pages for the batch's arrays); NULL when out of memory (pushed anyway). */
static void *push_big(lua_State *L, size_t size) {
  mapping *m = push_owner(L);
  m->p = ge_big_alloc(size ? size : 1);
  m->len = ge_big_size(size ? size : 1); /* what mapping_gc unmaps */
  return m->p;
}

/* The bytes of the file at idx (NULL and errno on a read error), pushing
 * one value; NULL with *len = SIZE_MAX when the stream passed max bytes.
 * Each allocation can run a finalizer that closes the file: its stream is
 * fetched again (tofile) after each one. */
static const char *read_input(lua_State *L, int idx, size_t *len, uint64_t max) {
  FILE *f = tofile(L, idx);
  struct stat st;
  off_t pos = ftello(f);
  if (pos >= 0 && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > pos &&
      (uint64_t)st.st_size <= SIZE_MAX) {
    /* Read, not mapped: a file truncated while mapped raises SIGBUS in the
     * host; one that shrinks while read here just ends sooner. */
    size_t want = (size_t)(st.st_size - pos), got = 0;
    if ((uint64_t)want > max) {
      *len = SIZE_MAX;
      return NULL;
    }
    char *p = push_big(L, want);
    f = tofile(L, idx);
    if (p) {
      while (got < want) {
        ssize_t r = pread(fileno(f), p + got, want - got, pos + (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return NULL;
        if (r == 0) break;
        got += (size_t)r;
      }
      fseeko(f, 0, SEEK_END); /* consumed, as a read to the end would leave it */
      *len = got;
      return p;
    }
    lua_pop(L, 1);
  }
  /* A pipe, /dev/zero or a FIFO: read in growing steps, never past the
   * limit every other stream has (max_inflated_bytes). */
  size_t cap = 1 << 20, n = 0;
  char *buf = lua_newuserdata(L, cap);
  for (;;) {
    f = tofile(L, idx);
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    if ((uint64_t)n >= max) {
      *len = SIZE_MAX;
      return NULL;
    }
    char *nb = lua_newuserdata(L, cap * 2);
    memcpy(nb, buf, n);
    lua_replace(L, -2);
    buf = nb;
    cap *= 2;
  }
  if (ferror(f)) return NULL;
  *len = n;
  return buf;
}

/* ge_symtext_string's text owned by a userdata (freed by its __gc). */
#define GE_HELDTEXT_MT "goescape.heldtext"
typedef struct heldtext {
  char *p;
  size_t cap;
} heldtext;

/* symbolize_text(text | file, json[, file]) -> output | true | nil, err. One
 * answer per input line, in input order:
 *   text: "0xPC\tFUNC FILE:LINE[ (inlined)]\t..." ("0xPC\t??" when unknown)
 *   json: {"pc":"0x..","frames":[{"func":..,"file":..,"line":..,"inlined":..}]}
 * The input is a string or a file (io library object) read to its end. With
 * an output file the answers are written to it and the result is true;
 * otherwise they are returned as one string. The work sees the arguments
 * at 1..4 and fetches the files' streams when it uses them. */
static int symtext_work(lua_State *L, void *ctx) {
  lbin *u = ctx;
  ge_binary *b = u->h.ptr;
  int json = lua_toboolean(L, 3);
  size_t len;
  const char *s;
  if (lua_type(L, 2) == LUA_TSTRING) {
    s = lua_tolstring(L, 2, &len);
    lua_pushnil(L); /* 5 */
  } else {
    s = read_input(L, 2, &len, u->max_read); /* 5 */
    if (!s && len == SIZE_MAX) {
      char msg[96];
      snprintf(msg, sizeof msg, "symbolize: input: more than %llu bytes (limit max_inflated_bytes)",
               (unsigned long long)u->max_read);
      return ge_pushfail(L, msg, "limit");
    }
    if (!s) return ge_pushfail(L, "symbolize: read error", "io");
  }
  size_t room = ge_pcparse_room(len);
  if (room > SIZE_MAX / sizeof(ge_pcframes) / 2) return luaL_error(L, "symbolize: input too large");
  uint64_t *pcs = push_big(L, room * sizeof *pcs); /* 6 */
  if (!pcs) return ge_pushfail(L, "symbolize: out of memory", "nomem");
  ptrdiff_t got = ge_pcparse(s, len, pcs);
  if (got < 0) {
    size_t bad = (size_t)(-got - 1), line = 0;
    const char *q = s, *end = s + len;
    for (; line < bad; line++) q = (const char *)memchr(q, '\n', (size_t)(end - q)) + 1;
    const char *e = memchr(q, '\n', (size_t)(end - q));
    size_t n = (size_t)((e ? e : end) - q);
    lua_pushnil(L);
    lua_pushfstring(L, "line %d: not a hex address: ", (int)(bad + 1));
    lua_pushlstring(L, q, n > 60 ? 60 : n);
    lua_concat(L, 2);
    return 2;
  }
  size_t nlines = (size_t)got;
  ge_pcframes *res = push_big(L, nlines * sizeof *res); /* 7 */
  if (!res) return ge_pushfail(L, "symbolize: out of memory", "nomem");
  const ge_frame *frames;
  ge_error err;
  ge_err rc = ge_binary_lookup_many(b, pcs, nlines, MAXFRAMES, res, &frames, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  ge_symtext_in in = {pcs, res, frames, nlines, json, u->threads};
  if (!lua_isnoneornil(L, 4)) {
    /* fetched after the last allocation: nothing can close it now */
    FILE *f = tofile(L, 4);
    int wr = ge_symtext_write(&in, f);
    if (wr == GE_SYMTEXT_NOMEM) return ge_pushfail(L, "symbolize: out of memory", "nomem");
    if (wr != GE_SYMTEXT_OK || fflush(f)) return ge_pushfail(L, "symbolize: write error", "io");
    lua_pushboolean(L, 1);
    return 1;
  }
  /* The text is held by a userdata whose __gc frees it, in case pushing
   * the string raises. */
  heldtext *h = lua_newuserdata(L, sizeof *h); /* 8 */
  h->p = NULL;
  luaL_getmetatable(L, GE_HELDTEXT_MT);
  lua_setmetatable(L, -2);
  size_t total = 0;
  if (!(h->p = ge_symtext_string(&in, &total, &h->cap)))
    return ge_pushfail(L, "symbolize: out of memory", "nomem");
  lua_pushlstring(L, h->p, total);
  ge_symtext_string_free(h->p, h->cap);
  h->p = NULL;
  return 1;
}

static int l_symbolize_text(lua_State *L) {
  check(L);
  lua_settop(L, 4);
  if (!lua_isnil(L, 4)) tofile(L, 4);
  if (lua_type(L, 2) != LUA_TSTRING) tofile(L, 2);
  lbin *u = check(L);
  return ge_lua_call(L, &u->h, "symbolize_text", 4, symtext_work, u);
}

static int heldtext_gc(lua_State *L) {
  heldtext *h = luaL_checkudata(L, 1, GE_HELDTEXT_MT);
  if (h->p) ge_symtext_string_free(h->p, h->cap);
  h->p = NULL;
  return 0;
}

void ge_lua_open_binary(lua_State *L) {
  static const luaL_Reg methods[] = {{"info", l_info},
                                     {"lookup", l_lookup},
                                     {"call_target", l_call_target},
                                     {"lookup_many", l_lookup_many},
                                     {"funcs", l_funcs},
                                     {"func", l_func},
                                     {"symbols", l_symbols},
                                     {"dwarf", l_dwarf},
                                     {"symbolize_text", l_symbolize_text},
                                     {"close", l_close},
                                     {NULL, NULL}};
  static const luaL_Reg meta[] = {
      {"__gc", l_close}, {"__close", l_close}, {"__tostring", l_tostring}, {NULL, NULL}};
  ge_lua_class(L, GE_BINARY_MT, methods, meta);
  static const luaL_Reg none[] = {{NULL, NULL}};
  static const luaL_Reg mapping_meta[] = {{"__gc", mapping_gc}, {NULL, NULL}};
  ge_lua_class(L, GE_MAPPING_MT, none, mapping_meta);
  static const luaL_Reg heldtext_meta[] = {{"__gc", heldtext_gc}, {NULL, NULL}};
  ge_lua_class(L, GE_HELDTEXT_MT, none, heldtext_meta);
  static const luaL_Reg fns[] = {{"binary_open", l_open}, {NULL, NULL}};
  ge_lua_funcs(L, fns);
}
