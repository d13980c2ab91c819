#include "symtext.h"
#include "core/textsafe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/bigmem.h"
#include "core/threads.h"

/* Lines a chunk holds: ~0.5 MB of text, enough that handing chunks over
 * costs nothing next to formatting them, few enough that the buffers stay
 * in cache-sized pieces and the threads start together. */
#ifndef GE_SYMTEXT_CHUNK_LINES
#define GE_SYMTEXT_CHUNK_LINES 4096
#endif
/* One thread writes its lines to the file through a buffer this large. */
#define DIRECT_BUF ((size_t)64 << 10)

/* Where lines go: a buffer written to a file when full (direct), or one
 * that grows, in huge pages (core/bigmem.h: a worker's 0.5 MB chunk in 4 KB
 * pages is 128 faults, the 24 MB text of 200k PCs as a string ~6000). */
typedef struct out {
  char *buf;
  size_t n, cap;
  FILE *f; /* direct: a full buffer is written to f; else buf grows */
  int ioerr;
} out;

#define GROW_MIN ((size_t)2 << 20)

/* Makes need bytes free at o->buf + o->n: 0, or -1 when out of memory. */
static int out_room(out *o, size_t need) {
  if (o->f) {
    if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n) o->ioerr = 1;
    o->n = 0;
    if (need <= o->cap) return 0;
  }
  size_t cap = o->cap ? o->cap : GROW_MIN;
  while (cap - o->n < need) {
    if (cap > SIZE_MAX / 4) return -1;
    cap *= 2;
  }
  char *nb;
  if (o->f) {
    if (!(nb = realloc(o->buf, cap))) return -1;
  } else { /* only the bytes written are copied */
    if (!(nb = ge_big_alloc(cap))) return -1;
    if (o->n) memcpy(nb, o->buf, o->n);
    ge_big_free(o->buf, o->cap);
  }
  o->buf = nb;
  o->cap = cap;
  return 0;
}

static void out_free(out *o) {
  if (o->f) free(o->buf);
  else ge_big_free(o->buf, o->cap);
  o->buf = NULL;
}

static inline char *reserve(out *o, size_t need) {
  if (o->cap - o->n < need && out_room(o, need) < 0) return NULL;
  return o->buf + o->n;
}

static inline char *w_hex(char *w, uint64_t v) {
  unsigned nd = 1;
  for (uint64_t x = v >> 4; x; x >>= 4) nd++;
  *w++ = '0';
  *w++ = 'x';
  for (unsigned i = nd; i-- > 0; v >>= 4) w[i] = "0123456789abcdef"[v & 15];
  return w + nd;
}

static inline char *w_dec(char *w, uint32_t v) {
  char tmp[10];
  size_t i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  memcpy(w, tmp + i, sizeof tmp - i);
  return w + (sizeof tmp - i);
}

static inline char *w_str(char *w, const char *s, size_t len) {
  memcpy(w, s, len);
  return w + len;
}

static char *w_u00(char *w, unsigned c) {
  static const char hexd[] = "0123456789abcdef";
  w = w_str(w, "\\u00", 4);
  *w++ = hexd[(c >> 4) & 15];
  *w++ = hexd[c & 15];
  return w;
}

/* A string from a binary (function and file names, untrusted) as text or as
 * JSON; room for 6 bytes an input byte plus the quotes. Text: control
 * characters (C0, DEL, C1) print as \u00XX so none reaches a terminal.
 * JSON: quotes and backslashes escaped, control characters as \u00XX, and
 * bytes that are not UTF-8 as the Latin-1 character \u00XX, so every line
 * is valid JSON. ASCII names take the first test only. */
static char *w_safe_str(char *w, ge_strview v, int json) {
  const unsigned char *s = (const unsigned char *)v.ptr;
  size_t from = 0;
  for (size_t i = 0; i < v.len; i++) {
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7F && (!json || (c != '"' && c != '\\'))) continue;
    if (c >= 0x80) {
      size_t k = ge_utf8_len(s + i, v.len - i);
      /* a valid sequence passes, but not a C1 control (U+0080..U+009F) */
      if (k && !(k == 2 && c == 0xC2 && s[i + 1] <= 0x9F)) {
        i += k - 1;
        continue;
      }
      w = w_str(w, v.ptr + from, i - from);
      if (k == 2) { /* C1 */
        w = w_u00(w, s[i + 1]);
        i++;
      } else {
        w = w_u00(w, c); /* a stray byte, as its Latin-1 character */
      }
      from = i + 1;
      continue;
    }
    w = w_str(w, v.ptr + from, i - from);
    from = i + 1;
    if (json && (c == '"' || c == '\\')) {
      *w++ = '\\';
      *w++ = (char)c;
    } else {
      w = w_u00(w, c);
    }
  }
  return w_str(w, v.ptr + from, v.len - from);
}

static char *w_json_str(char *w, ge_strview v) {
  *w++ = '"';
  w = w_safe_str(w, v, 1);
  *w++ = '"';
  return w;
}

static int json_line(out *o, uint64_t pc, const ge_frame *fr, size_t n) {
  char *w = reserve(o, 40);
  if (!w) return -1;
  w = w_str(w, "{\"pc\":\"", 7);
  w = w_hex(w, pc);
  w = w_str(w, "\",\"frames\":[", 12);
  o->n = (size_t)(w - o->buf);
  for (size_t k = 0; k < n; k++) {
    const ge_frame *x = &fr[k];
    if (x->func.len > (SIZE_MAX - 80) / 12 || x->file.len > (SIZE_MAX - 80) / 12) return -1;
    if (!(w = reserve(o, 6 * (x->func.len + x->file.len) + 80))) return -1;
    w = w_str(w, k ? ",{\"func\":" : "{\"func\":", k ? 9 : 8);
    w = w_json_str(w, x->func);
    w = w_str(w, ",\"file\":", 8);
    w = w_json_str(w, x->file);
    w = w_str(w, ",\"line\":", 8);
    w = w_dec(w, x->line);
    w = x->inlined ? w_str(w, ",\"inlined\":true}", 16) : w_str(w, ",\"inlined\":false}", 17);
    o->n = (size_t)(w - o->buf);
  }
  if (!(w = reserve(o, 3))) return -1;
  o->n = (size_t)(w_str(w, "]}\n", 3) - o->buf);
  return 0;
}

static int text_line(out *o, uint64_t pc, const ge_frame *fr, size_t n) {
  char *w = reserve(o, 22);
  if (!w) return -1;
  w = w_hex(w, pc);
  if (!n) w = w_str(w, "\t??", 3);
  o->n = (size_t)(w - o->buf);
  for (size_t k = 0; k < n; k++) {
    const ge_frame *x = &fr[k];
    /* tab, func, space, file, colon, line (10), " (inlined)"; names may
     * grow 6x when escaped */
    if (x->func.len > SIZE_MAX / 16 || x->file.len > SIZE_MAX / 16) return -1;
    if (!(w = reserve(o, 6 * (x->func.len + x->file.len) + 24))) return -1;
    *w++ = '\t';
    w = w_safe_str(w, x->func, 0);
    *w++ = ' ';
    w = w_safe_str(w, x->file, 0);
    *w++ = ':';
    w = w_dec(w, x->line);
    if (x->inlined) w = w_str(w, " (inlined)", 10);
    o->n = (size_t)(w - o->buf);
  }
  if (!(w = reserve(o, 1))) return -1;
  *w = '\n';
  o->n++;
  return 0;
}

/* Lines [from, to) into o: 0, or -1 when out of memory. */
static int lines(out *o, const ge_symtext_in *in, size_t from, size_t to) {
  const ge_pcframes *res = in->res;
  const ge_frame *frames = in->frames;
  for (size_t i = from; i < to; i++) {
#ifdef __GNUC__
    /* Frames were stored in address order and are read in input order:
     * fetch ahead to hide the cache misses. */
    if (i + 8 < to) __builtin_prefetch(frames + res[i + 8].first);
    if (i + 4 < to && !res[i + 4].rc && res[i + 4].n) {
      const ge_frame *x = frames + res[i + 4].first;
      __builtin_prefetch(x->func.ptr);
      __builtin_prefetch(x->file.ptr);
    }
#endif
    const ge_frame *fr = frames + res[i].first;
    size_t n = res[i].rc ? 0 : res[i].n;
    if ((in->json ? json_line : text_line)(o, in->pcs[i], fr, n) < 0) return -1;
  }
  return 0;
}

/* ---- several threads: the pool's threads take chunks in turn, each
 * formatting its chunk into a ring of buffers, one a thread and one more,
 * so that a thread that finished its chunk can start the next while the
 * chunk before is written; chunk k waits for its buffer until chunk
 * k - nbuf is written. Chunks go to the file in order: the chunk next in
 * line, when no one is writing, is formatted straight to the file; else
 * the thread that completes the chunk next in line writes it and every
 * completed one after it. */

typedef struct ring {
  const ge_symtext_in *in;
  FILE *f;
  size_t nchunks, nbuf;
  unsigned nthreads;
  size_t next;  /* the next chunk to write */
  int writing;  /* a thread is writing chunks */
  int stop;     /* out of memory or a write error: the rest is skipped */
  int nomem, ioerr;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  out buf[GE_POOL_MAXTHREADS + 1];
  out direct[GE_POOL_MAXTHREADS]; /* per thread */
  uint8_t ready[GE_POOL_MAXTHREADS + 1]; /* holds its chunk, not yet written */
} ring;

static size_t chunk_from(const ring *r, size_t k) {
  size_t at = k * GE_SYMTEXT_CHUNK_LINES;
  return at < r->in->n ? at : r->in->n;
}

/* Writes the completed chunks next in line; r->mu held (released while
 * writing). */
static void write_ready(ring *r) {
  r->writing = 1;
  while (!r->stop && r->next < r->nchunks && r->ready[r->next % r->nbuf]) {
    out *o = &r->buf[r->next % r->nbuf];
    pthread_mutex_unlock(&r->mu);
    int bad = o->n && fwrite(o->buf, 1, o->n, r->f) != o->n;
    pthread_mutex_lock(&r->mu);
    if (bad) r->stop = r->ioerr = 1;
    r->ready[r->next % r->nbuf] = 0;
    r->next++;
    pthread_cond_broadcast(&r->cv);
  }
  r->writing = 0;
}

static void format_chunk(void *ctx, unsigned thread, size_t k) {
  ring *r = ctx;
  pthread_mutex_lock(&r->mu);
  while (!r->stop && r->next + r->nbuf <= k) pthread_cond_wait(&r->cv, &r->mu);
  int stop = r->stop;
  /* The chunk next in line, with no one writing, goes straight to the file
   * through the thread's small buffer, which stays in cache. */
  int direct = !stop && !r->writing && r->next == k;
  if (direct) r->writing = 1;
  pthread_mutex_unlock(&r->mu);
  if (stop) return;
  out *o = direct ? &r->direct[thread] : &r->buf[k % r->nbuf];
  if (!direct) o->n = 0;
  int fail = lines(o, r->in, chunk_from(r, k), chunk_from(r, k + 1)) < 0;
  if (direct && !fail) out_room(o, 0); /* with a file and no growth: only writes */
  pthread_mutex_lock(&r->mu);
  if (fail) {
    r->stop = r->nomem = 1;
    if (direct) r->writing = 0;
    pthread_cond_broadcast(&r->cv);
  } else if (direct) {
    if (o->ioerr) r->stop = r->ioerr = 1;
    r->next++;
    pthread_cond_broadcast(&r->cv);
    write_ready(r);
  } else {
    r->ready[k % r->nbuf] = 1;
    if (!r->writing) write_ready(r);
  }
  pthread_mutex_unlock(&r->mu);
}

static int write_threaded(ring *r) {
  if (pthread_mutex_init(&r->mu, NULL) != 0) return -1;
  if (pthread_cond_init(&r->cv, NULL) != 0) {
    pthread_mutex_destroy(&r->mu);
    return -1;
  }
  ge_pool_run(r->nthreads, r->nchunks, format_chunk, r);
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
  for (size_t b = 0; b < r->nbuf; b++) out_free(&r->buf[b]);
  if (r->nomem) return GE_SYMTEXT_NOMEM;
  return r->ioerr ? GE_SYMTEXT_IOERR : GE_SYMTEXT_OK;
}

int ge_symtext_write(const ge_symtext_in *in, FILE *f) {
  size_t nchunks = (in->n + GE_SYMTEXT_CHUNK_LINES - 1) / GE_SYMTEXT_CHUNK_LINES;
  /* A second thread only when each has a few chunks to do. */
  size_t nthreads = nchunks / 4;
  if (nthreads > in->threads) nthreads = in->threads;
  if (nthreads > GE_POOL_MAXTHREADS) nthreads = GE_POOL_MAXTHREADS;
  if (nthreads >= 2) {
    ring *r = calloc(1, sizeof *r);
    if (!r) return GE_SYMTEXT_NOMEM;
    r->in = in;
    r->f = f;
    r->nchunks = nchunks;
    r->nthreads = (unsigned)nthreads;
    r->nbuf = nthreads + 1;
    size_t t = 0;
    for (; t < nthreads; t++) {
      r->direct[t] = (out){malloc(DIRECT_BUF), 0, DIRECT_BUF, f, 0};
      if (!r->direct[t].buf) break;
    }
    int rc = t < nthreads ? GE_SYMTEXT_NOMEM : write_threaded(r); /* -1: no threads after all */
    for (t = 0; t < nthreads; t++) out_free(&r->direct[t]);
    free(r);
    if (rc != -1) return rc;
  }
  /* One thread: the lines go to the file through one small buffer. */
  out direct = {malloc(DIRECT_BUF), 0, DIRECT_BUF, f, 0};
  if (!direct.buf) return GE_SYMTEXT_NOMEM;
  int rc = lines(&direct, in, 0, in->n) < 0 ? GE_SYMTEXT_NOMEM : GE_SYMTEXT_OK;
  out_room(&direct, 0); /* with a file and no growth: only writes */
  out_free(&direct);
  if (rc == GE_SYMTEXT_OK && direct.ioerr) rc = GE_SYMTEXT_IOERR;
  return rc;
}

char *ge_symtext_string(const ge_symtext_in *in, size_t *len, size_t *cap) {
  out o = {NULL, 0, 0, NULL, 0};
  /* Room for typical lines up front (untouched pages cost nothing): growing
   * copies what was written. */
  size_t guess = in->json ? 400 : 160;
  if (in->n && in->n < SIZE_MAX / guess / 2 && (o.buf = ge_big_alloc(in->n * guess)))
    o.cap = in->n * guess;
  if (lines(&o, in, 0, in->n) < 0 || (!o.buf && out_room(&o, 1) < 0)) {
    out_free(&o);
    return NULL;
  }
  *len = o.n;
  *cap = o.cap;
  return o.buf;
}

void ge_symtext_string_free(char *p, size_t cap) { ge_big_free(p, cap); }
