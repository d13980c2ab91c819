/* goescape.core: binary:symbolize_text, the `symbolize` command's bulk path.
 *   binary:symbolize_text(text | file, json[, file]) -> output | count | nil, err, code
 * Lines of hex PCs are parsed (pcparse.c), answered as one lookup_many
 * batch and formatted in C (symtext.c). The memory a call needs (the
 * input, the batch's arrays, the output text) is owned by userdata whose
 * __gc frees it, so that an error raised midway leaks nothing. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bigmem.h"
#include "lbinary_parts.h"
#include "lualib.h" /* LUA_FILEHANDLE (Lua 5.1, LuaJIT) */
#include "binary/pcparse.h"
#include "binary/symtext.h"


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
typedef struct mapping {
  void *p;
  size_t len;
} mapping;

int lbin_mapping_gc(lua_State *L) {
  mapping *m = luaL_checkudata(L, 1, LBIN_MAPPING_MT);
  if (m->p) munmap(m->p, m->len); /* a file's or ge_big_alloc's mapping */
  m->p = NULL;
  return 0;
}

/* Pushes an empty owner; its mapping is set once made. */
static mapping *push_owner(lua_State *L) {
  mapping *m = lua_newuserdata(L, sizeof *m);
  m->p = NULL;
  m->len = 0;
  luaL_getmetatable(L, LBIN_MAPPING_MT);
  lua_setmetatable(L, -2);
  return m;
}

/* Pushes a mapping of size bytes owned by a userdata (core/bigmem.h: huge
 * pages for the batch's arrays); NULL when out of memory (pushed anyway). */
static void *push_big(lua_State *L, size_t size) {
  mapping *m = push_owner(L);
  m->p = ge_big_alloc(size ? size : 1);
  m->len = ge_big_size(size ? size : 1); /* what lbin_mapping_gc unmaps */
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
typedef struct heldtext {
  char *p;
  size_t cap;
} heldtext;

/* symbolize_text(text | file, json[, file]) -> output | count | nil, err, code. One
 * answer per input line, in input order:
 *   text: "0xPC\tFUNC FILE:LINE[ (inlined)]\t..." ("0xPC\t??" when unknown)
 *   json: {"pc":"0x..","frames":[{"func":..,"file":..,"line":..,"inlined":..}]}
 * The input is a string or a file (io library object) read to its end. With
 * an output file the answers are written to it and the result is their
 * number (the PCs answered); otherwise they are returned as one string. A
 * line that is not a hex PC gives nil, "line N: not a hex address: ...",
 * "format". The work sees the arguments
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
    lua_pushstring(L, ge_err_name(GE_ERR_FORMAT));
    return 3;
  }
  size_t nlines = (size_t)got;
  ge_pcframes *res = push_big(L, nlines * sizeof *res); /* 7 */
  if (!res) return ge_pushfail(L, "symbolize: out of memory", "nomem");
  const ge_frame *frames;
  ge_error err;
  ge_err rc = ge_binary_lookup_many(b, pcs, nlines, LBIN_MAXFRAMES, res, &frames, &err);
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  ge_symtext_in in = {pcs, res, frames, nlines, json, u->threads};
  if (!lua_isnoneornil(L, 4)) {
    /* fetched after the last allocation: nothing can close it now */
    FILE *f = tofile(L, 4);
    int wr = ge_symtext_write(&in, f);
    if (wr == GE_SYMTEXT_NOMEM) return ge_pushfail(L, "symbolize: out of memory", "nomem");
    if (wr != GE_SYMTEXT_OK || fflush(f)) return ge_pushfail(L, "symbolize: write error", "io");
    ge_pushint(L, (long long)nlines);
    return 1;
  }
  /* The text is held by a userdata whose __gc frees it, in case pushing
   * the string raises. */
  heldtext *h = lua_newuserdata(L, sizeof *h); /* 8 */
  h->p = NULL;
  luaL_getmetatable(L, LBIN_HELDTEXT_MT);
  lua_setmetatable(L, -2);
  size_t total = 0;
  if (!(h->p = ge_symtext_string(&in, &total, &h->cap)))
    return ge_pushfail(L, "symbolize: out of memory", "nomem");
  lua_pushlstring(L, h->p, total);
  ge_symtext_string_free(h->p, h->cap);
  h->p = NULL;
  return 1;
}

int lbin_symbolize_text(lua_State *L) {
  lbin_check(L, 1);
  lua_settop(L, 4);
  if (!lua_isnil(L, 4)) tofile(L, 4);
  if (lua_type(L, 2) != LUA_TSTRING) tofile(L, 2);
  lbin *u = lbin_check(L, 1);
  return ge_lua_call(L, &u->h, "symbolize_text", 4, symtext_work, u);
}

int lbin_heldtext_gc(lua_State *L) {
  heldtext *h = luaL_checkudata(L, 1, LBIN_HELDTEXT_MT);
  if (h->p) ge_symtext_string_free(h->p, h->cap);
  h->p = NULL;
  return 0;
}
