/* Streaming text logs: read a file descriptor in chunks and hand finished
 * records to a callback, keeping memory bounded.
 *
 * Records are handed over whenever no -m=2 header is still waiting for its
 * final diagnostic (those resolve at the end of each package, when the
 * compiler flushes its sorted diagnostics). After a hand-over the records,
 * steps and consumed input are dropped, and at package boundaries the string
 * table too, so memory is bounded by the largest package's output, not by the
 * log. Logopt JSON is per file and small; it is not streamed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/gzip.h"
#include "text.h"

/* Drops the first `dead` bytes of the buffer: every span still held (records
 * waiting for their -m=2 finals, their steps, the parser's prefix and file
 * cache) starts at or after it and moves down with the bytes. */
static void shift(ge_log *log, ge_text *t, char *buf, size_t *len, size_t *pos, size_t dead) {
  memmove(buf, buf + dead, *len - dead);
  *len -= dead;
  *pos -= dead;
  uint32_t d = (uint32_t)dead;
  for (size_t i = 0; i < log->recs.n; i++) {
    ge_rec *r = &log->recs.v[i];
    r->msg.off -= d; /* empty spans too sit inside their line */
    r->subject.off -= d;
    r->target.off -= d;
  }
  for (size_t i = 0; i < log->steps.n; i++) log->steps.v[i].off -= d;
  if (t->block >= 0) t->block_prefix_off -= d;
  t->last_file = UINT32_MAX;
}

static void flush(ge_log *log, ge_text *t, ge_stream_cb cb, void *ud, int *stop) {
  if (t->dead) {
    ge_text_compact(log, 0);
    t->dead = 0;
  }
  for (size_t i = 0; i < log->recs.n && !*stop; i++)
    if (cb(ud, log, i)) *stop = 1;
  log->recs.n = 0;
  log->steps.n = 0;
  if (t->pos.n == 0) {
    /* No function hints refer to interned ids: start the table afresh. */
    const ge_intern_entry *e = ge_intern_get(&log->strings, t->pkg);
    size_t n = e->len;
    char save[4096];
    if (n < sizeof save) {
      memcpy(save, e->ptr, n);
      ge_intern_free(&log->strings);
      ge_intern_init(&log->strings);
      t->pkg = ge_intern_add(&log->strings, save, n);
    }
  }
  t->last_file = UINT32_MAX;
}

ge_err ge_log_stream_fd(int fd, const char *name, const ge_limits *lim, ge_stream_cb cb,
                        void *ud, ge_log_stats *stats, ge_error *err) {
  if (!cb || !name) return ge_fail(err, GE_ERR_ARG, "ge_log_stream_fd: bad arguments");
  ge_log *log = ge_log_new(lim);
  if (!log) return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
  size_t cap = 1 << 20;
  char *buf = malloc(cap);
  ge_map m = {(const unsigned char *)buf, 0, 0, NULL};
  uint32_t si = buf ? ge_log_add_source(log, name, &m) : UINT32_MAX;
  if (si == UINT32_MAX) {
    free(buf);
    ge_log_free(log);
    return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
  }
  ge_source *src = &log->sources.v[si];
  ge_text t;
  ge_text_init(&t, log, si);
  size_t len = 0, pos = 0; /* bytes in buf; start of the first unparsed line */
  size_t dead = 0;          /* bytes before this are no longer referenced */
  uint64_t lineno = 0;
  ge_err rc = GE_OK;
  int eof = 0, stop = 0;
  while (!eof && !stop) {
    if (len == cap) {
      /* [pos, len) is one unfinished line: every complete one was parsed. */
      if (len - pos > log->lim.max_line_bytes) {
        rc = ge_fail(err, GE_ERR_LIMIT,
                     "%s: line %llu: longer than %llu bytes (limit max_line_bytes)", name,
                     (unsigned long long)lineno + 1,
                     (unsigned long long)log->lim.max_line_bytes);
        break;
      }
      if (cap >= UINT32_MAX / 2) {
        rc = ge_fail(err, GE_ERR_LIMIT,
                     "%s: line %llu: one package's -m=2 output exceeds 2 GiB", name,
                     (unsigned long long)lineno + 1);
        break;
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        rc = ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
        break;
      }
      buf = nb;
      cap *= 2;
      src->map.data = (const unsigned char *)buf;
      src->text = buf;
    }
    {
      ssize_t r = read(fd, buf + len, cap - len);
      if (r < 0) {
        if (errno == EINTR) continue;
        rc = ge_fail(err, GE_ERR_IO, "%s: read failed after %llu bytes: %s", name,
                     (unsigned long long)log->stats.bytes, strerror(errno));
        break;
      }
      if (r == 0) eof = 1;
      /* A gzipped log cannot be read line by line here: say so instead of
       * skipping its bytes as unrecognized lines. */
      if (log->stats.bytes == 0 && len == 0 && r >= 2 &&
          ge_is_gzip((const unsigned char *)buf, (size_t)r)) {
        rc = ge_fail(err, GE_ERR_FORMAT,
                     "%s: offset 0: gzip data: streaming reads plain text (open the log instead, "
                     "which inflates it, or pipe it through gzip -dc)", name);
        break;
      }
      len += (size_t)r;
      log->stats.bytes += (uint64_t)r;
    }
    src->map.size = len;
    for (;;) {
      const char *nl = memchr(buf + pos, '\n', len - pos);
      if (!nl && !(eof && pos < len)) break;
      size_t le = nl ? (size_t)(nl - buf) : len;
      lineno++;
      rc = ge_text_line(&t, (uint32_t)pos, (uint32_t)(le - pos), lineno, err);
      if (rc) {
        ge_error_prefix(err, name);
        break;
      }
      pos = nl ? le + 1 : len;
      if (t.npending == 0 && t.block < 0) {
        if (log->recs.n) flush(log, &t, cb, ud, &stop);
        dead = pos;
      }
      if (stop) break;
    }
    if (rc) break;
    if (dead > 0) {
      shift(log, &t, buf, &len, &pos, dead);
      dead = 0;
    }
  }
  if (!rc && !stop && log->recs.n) flush(log, &t, cb, ud, &stop);
  if (stats) ge_log_stats_get(log, stats);
  ge_text_free(&t);
  ge_log_free(log);
  return rc;
}
