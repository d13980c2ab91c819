/* Reading `perf script` text from a descriptor in chunks, so that memory
 * holds the records and two chunks, not the whole text (it runs to
 * gigabytes). A second thread reads the next chunk and finds its blocks
 * (scan.c) while the parser (read.c) reads the one before: the kernel's
 * copy, finding line ends and comparing repeated blocks are as much work
 * as parsing. With one thread (or none to be had) the same steps
 * alternate.
 *
 * A chunk's tail that the parser cannot read yet (the last line, until
 * the first byte after it is in) starts the next chunk. The reader works
 * out where the parser will stop from the bytes alone, and the parser
 * checks it: it stops at the start of the first line that has no newline
 * or whose newline is the chunk's last byte (read.c's rule). */
#define _GNU_SOURCE /* memrchr */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

enum { CHUNK = 8 << 20 };

typedef struct chunk {
  char *v;
  size_t n, cap;
  size_t stop; /* where the parser will stop */
  int final;   /* the input ends with it */
  int full;    /* filled (or failed), not yet parsed: under mu */
  ge_err err;  /* the reader failed on it (errno eno for GE_ERR_IO) */
  int eno;
  pf_hints hints;
} chunk;

typedef struct feed {
  ge_perf *p;
  int fd, is_pipe;
  chunk c[2];
  pf_scan sc;
  uint64_t total;
  int quit; /* the parser is done: under mu */
  pthread_mutex_t mu;
  pthread_cond_t cv;
} feed;

static size_t stop_of(const char *s, size_t n, int final) {
  if (final) return n;
  const char *z = n ? memrchr(s, '\n', n) : NULL;
  if (!z) return 0;
  if ((size_t)(z - s) + 1 < n) return (size_t)(z - s) + 1;
  const char *z2 = z > s ? memrchr(s, '\n', (size_t)(z - s)) : NULL;
  return z2 ? (size_t)(z2 - s) + 1 : 0;
}

/* Fills chunk c: the tail of chunk `prev` (NULL: none) left unparsed,
 * then the descriptor's bytes up to a chunk's size; then finds its blocks.
 * A failure is left in c->err. */
static void fill(feed *f, chunk *c, const chunk *prev) {
  size_t carry = prev ? prev->n - prev->stop : 0;
  c->n = 0;
  c->final = 0;
  c->err = GE_OK;
  if (c->cap < carry + CHUNK) { /* the carry is a line, at most max_line_bytes */
    char *nv = realloc(c->v, carry + CHUNK);
    if (!nv) {
      c->err = GE_ERR_NOMEM;
      return;
    }
    c->v = nv, c->cap = carry + CHUNK;
  }
  if (carry) memcpy(c->v, prev->v + prev->stop, carry);
  c->n = carry;
  while (c->n < c->cap) {
    ssize_t r = read(f->fd, c->v + c->n, c->cap - c->n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      c->err = GE_ERR_IO, c->eno = errno;
      return;
    }
    if (r == 0) {
      c->final = 1;
      break;
    }
    c->n += (size_t)r;
    f->total += (uint64_t)r;
    if (f->is_pipe && f->p->lim.max_inflated_bytes && f->total > f->p->lim.max_inflated_bytes) {
      c->err = GE_ERR_LIMIT;
      return;
    }
  }
  c->stop = stop_of(c->v, c->n, c->final);
  if (pf_scan_chunk(&f->sc, c->v, c->n, c->final, &c->hints)) c->err = GE_ERR_NOMEM;
}

static void *reader(void *arg) {
  feed *f = arg;
  const chunk *prev = NULL;
  for (unsigned i = 0;; i ^= 1) {
    chunk *c = &f->c[i];
    pthread_mutex_lock(&f->mu);
    while (c->full && !f->quit) pthread_cond_wait(&f->cv, &f->mu);
    int quit = f->quit;
    pthread_mutex_unlock(&f->mu);
    if (quit) break;
    fill(f, c, prev);
    pthread_mutex_lock(&f->mu);
    c->full = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (c->err || c->final) break;
    prev = c;
  }
  return NULL;
}

/* Parses chunk c (or reports the reader's failure on it); 1 when it was
 * the last, or failed (*e set). */
static int parse(feed *f, const chunk *c, ge_err *e, ge_error *err) {
  ge_perf *p = f->p;
  switch (c->err) {
  case GE_OK: break;
  case GE_ERR_IO: *e = ge_fail(err, GE_ERR_IO, "%s: %s", p->name, strerror(c->eno)); return 1;
  case GE_ERR_LIMIT:
    *e = ge_fail(err, GE_ERR_LIMIT, "%s: more than %llu bytes read (limit max_inflated_bytes = %llu)",
                 p->name, (unsigned long long)p->lim.max_inflated_bytes,
                 (unsigned long long)p->lim.max_inflated_bytes);
    return 1;
  default: *e = ge_fail(err, GE_ERR_NOMEM, "perf: out of memory"); return 1;
  }
  size_t used;
  *e = ge_perf_read(p, c->v, c->n, c->final, &c->hints, &used, err);
  if (!*e && used != c->stop)
    *e = ge_fail(err, GE_ERR_FORMAT, "%s: line %llu: the reader and the parser split a chunk apart",
                 p->name, (unsigned long long)p->lines);
  return *e || c->final;
}

/* The reader on its own thread; -1 when none could be started. */
static int run_threaded(feed *f, ge_err *e, ge_error *err) {
  pthread_t th;
  if (pthread_mutex_init(&f->mu, NULL)) return -1;
  if (pthread_cond_init(&f->cv, NULL)) {
    pthread_mutex_destroy(&f->mu);
    return -1;
  }
  if (pthread_create(&th, NULL, reader, f)) {
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    return -1;
  }
  for (unsigned i = 0;; i ^= 1) {
    chunk *c = &f->c[i];
    pthread_mutex_lock(&f->mu);
    while (!c->full) pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
    int last = parse(f, c, e, err);
    pthread_mutex_lock(&f->mu);
    c->full = 0;
    if (last) f->quit = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (last) break;
  }
  pthread_join(th, NULL);
  pthread_cond_destroy(&f->cv);
  pthread_mutex_destroy(&f->mu);
  return 0;
}

static ge_err run_serial(feed *f, ge_error *err) {
  const chunk *prev = NULL;
  ge_err e;
  for (unsigned i = 0;; i ^= 1) {
    chunk *c = &f->c[i];
    fill(f, c, prev);
    if (parse(f, c, &e, err)) return e;
    prev = c;
  }
}

ge_err ge_perf_feed(ge_perf *p, int fd, int is_pipe, ge_error *err) {
  feed f;
  memset(&f, 0, sizeof f);
  f.p = p, f.fd = fd, f.is_pipe = is_pipe;
  f.sc.max_line_bytes = p->lim.max_line_bytes;
  ge_err e = GE_OK;
  if (p->lim.max_threads < 2 || run_threaded(&f, &e, err)) e = run_serial(&f, err);
  for (int i = 0; i < 2; i++) {
    free(f.c[i].v);
    GE_VEC_FREE(f.c[i].hints);
  }
  pf_scan_free(&f.sc);
  return e;
}
