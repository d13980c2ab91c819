/* core.log_stream(path | "-", fn, limits?, filter?) -> stats | nil, err,
 * code: a text log read in bounded memory, each record that passes the
 * filter handed to fn as it is parsed (lescape.c holds the log handle). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "binding.h"
#include "lescape.h"

typedef struct stream_ud {
  lua_State *L;
  int failed; /* the callback raised: its error is on the stack */
  ge_log_filter f;
} stream_ud;

typedef struct stream_rec {
  const ge_log *log;
  size_t i;
} stream_rec;

/* fn(record) -> its first result; protected (ge_lua_run): the record's
 * pushes can raise as well as fn, and the stream's C state must be freed. */
static int stream_call(lua_State *L, void *ctx) {
  const stream_rec *r = ctx;
  lua_pushvalue(L, 2);
  ge_lescape_push_record(L, r->log, r->i);
  lua_call(L, 1, 1);
  return 1;
}

static int stream_cb(void *ud, const ge_log *log, size_t i) {
  stream_ud *s = ud;
  ge_diag d;
  ge_log_get(log, i, &d);
  if (!ge_log_filter_match(&s->f, &d)) return 0;
  /* the stack room ge_lua_run needs was reserved before the stream began:
   * nothing here raises past the stream's buffers */
  stream_rec r = {log, i};
  if (ge_lua_run(s->L, NULL, NULL, 2, stream_call, &r) < 0) {
    s->failed = 1;
    return 1;
  }
  /* returning false stops the stream */
  int stop = lua_type(s->L, -1) == LUA_TBOOLEAN && !lua_toboolean(s->L, -1);
  lua_pop(s->L, 1);
  return stop;
}

/* Streams a text log through fn(record); fn returning false stops early.
 * The file descriptor is opened here and closed before any error is raised. */
int ge_lescape_log_stream(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  ge_limits lim;
  ge_lua_limits(L, 3, &lim);
  stream_ud s = {L, 0, {0}};
  ge_lescape_read_filter(L, 4, &s.f);
  if (s.f.kind && ge_kind_from_name(s.f.kind, strlen(s.f.kind)) == GE_K__COUNT &&
      strcmp(s.f.kind, "escape") && strcmp(s.f.kind, "inline") && strcmp(s.f.kind, "other"))
    return luaL_error(L, "unknown diagnostic kind '%s'", s.f.kind);
  /* room for ge_lua_run in the callback (2 values and 2 forwarded) */
  luaL_checkstack(L, 8, "goescape");
  int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: cannot open", path);
    lua_pushstring(L, "io");
    return 3;
  }
  ge_log_stats st;
  memset(&st, 0, sizeof st);
  ge_error err;
  ge_err rc = ge_log_stream_fd(fd, strcmp(path, "-") ? path : "<stdin>", &lim, stream_cb, &s,
                               &st, &err);
  if (fd != 0) close(fd);
  if (s.failed) return lua_error(L); /* the callback's error, re-raised */
  if (rc) return ge_pushfail(L, err.msg, ge_err_name(rc));
  ge_lescape_push_stats(L, &st);
  return 1;
}

