/* Opening a trace: the header, then the input one generation at a time
 * (Go 1.22-1.25: a generation ends where a batch of the next one starts;
 * Go 1.26+: at its EndOfGeneration byte), each generation decoded in full
 * once (tables, CPU samples, sync batch, every event) to check it and count
 * it; what is kept is an index of the generations and the counts.
 *
 * A regular file is read through its descriptor into a window that holds
 * the current generation only, so memory follows the largest generation and
 * not the file: traces run to gigabytes while a generation is a second of
 * the program. The core's whole-file reader (core/mapfile.h) serves stdin
 * and other streams, which cannot be read twice. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "trace/internal.h"

#define WINDOW_CHUNK (4u << 20)

int ge_tr_batch_parse(const unsigned char *p, const unsigned char *end, unsigned minor,
                      ge_tr_batch *b, const char **why) {
  const unsigned char *q = p;
  if (q >= end) return -1;
  b->exp = -1;
  if (*q == EV_EXPBATCH && minor >= 23) {
    if (++q >= end) return -1;
    b->exp = *q;
    if (b->exp == 0) {
      *why = "experimental batch of experiment 0";
      return -2;
    }
  } else if (*q != EV_BATCH) {
    *why = "not the start of a batch";
    return -2;
  }
  q++;
  uint64_t *f[4] = {&b->gen, &b->m, &b->time, &b->len};
  for (int i = 0; i < 4; i++) {
    int rc = ge_tr_uvarint(&q, end, f[i]);
    if (rc) {
      *why = "batch header number over 64 bits";
      return rc;
    }
  }
  if (b->gen == 0) {
    *why = "batch of generation 0";
    return -2;
  }
  if (b->len > MAX_BATCH_SIZE) {
    *why = "batch longer than 64 KiB";
    return -2;
  }
  b->hdr = (uint32_t)(q - p);
  return 0;
}

const unsigned char *ge_tr_read(const ge_trace *t, uint64_t off, size_t n, unsigned char *buf,
                                ge_error *err) {
  if (off > t->size || n > t->size - off) {
    ge_fail(err, GE_ERR_IO, "%s: read past the end (byte %llu)", t->name, (unsigned long long)off);
    return NULL;
  }
  if (t->mem) return t->mem + off;
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(t->fd, buf + got, n - got, (off_t)(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      ge_fail(err, GE_ERR_IO, "%s: %s at byte %llu", t->name,
              r < 0 ? strerror(errno) : "the file got shorter", (unsigned long long)(off + got));
      return NULL;
    }
    got += (size_t)r;
  }
  return buf;
}

/* ------------------------------------------------------------- window */

typedef struct window {
  ge_trace *t;
  unsigned char *buf;
  size_t cap, len;
  uint64_t base; /* buf holds [base, base + len) of the input */
} window;

/* [off, off + n) of the input, or less at its end: *avail bytes from off.
 * off must not be before the window's base. */
static const unsigned char *win_get(window *w, uint64_t off, size_t n, size_t *avail,
                                    ge_error *err) {
  ge_trace *t = w->t;
  uint64_t want = off + n > t->size ? t->size : off + n;
  *avail = (size_t)(want - off);
  if (t->mem) return t->mem + off;
  if (want > w->base + w->len) {
    uint64_t to = want - w->base;
    if (to < w->len + WINDOW_CHUNK) to = w->len + WINDOW_CHUNK;
    if (to > t->size - w->base) to = t->size - w->base;
    if (to > w->cap) {
      size_t ncap = w->cap ? w->cap : WINDOW_CHUNK;
      while (ncap < to) ncap *= 2;
      unsigned char *nb = realloc(w->buf, ncap);
      if (!nb) {
        ge_fail(err, GE_ERR_NOMEM, "%s: out of memory for a generation of %llu bytes", t->name,
                (unsigned long long)to);
        return NULL;
      }
      w->buf = nb;
      w->cap = ncap;
    }
    if (!ge_tr_read(t, w->base + w->len, (size_t)to - w->len, w->buf + w->len, err)) return NULL;
    w->len = (size_t)to;
  }
  return w->buf + (off - w->base);
}

/* Forgets the bytes before off (a finished generation). */
static void win_drop(window *w, uint64_t off) {
  if (w->t->mem || off <= w->base) return;
  size_t k = (size_t)(off - w->base);
  if (k > w->len) k = w->len;
  memmove(w->buf, w->buf + k, w->len - k);
  w->len -= k;
  w->base = off;
}

/* ------------------------------------------------ one generation's check */

typedef struct gbatch {
  ge_tr_batch b;
  uint64_t off; /* of the header, from the generation's start */
} gbatch;

typedef struct scan {
  ge_trace *t;
  window w;
  gbatch *batches;
  size_t nbatches, capbatches;
  ge_tr_map goroutines;
  /* the goroutine ids noted last, direct-mapped: most events name one of a
   * few running goroutines, and the hash set is the scan's costliest step */
  uint64_t recent[256];
  /* GC cycles: the runtime numbers GCBegin, GCActive and GCEnd from one
   * counter, so a cycle is a GCBegin, plus the one that was running when
   * the trace started (an Active or End numbered below every Begin) */
  uint64_t gc_begins, gc_min_begin, gc_min_other;
  uint64_t counts[GE_TRACE_NTYPES];
  ge_error *err;
} scan;

static ge_err bad(scan *s, uint64_t off, const char *what) {
  return ge_fail(s->err, GE_ERR_FORMAT, "%s: byte %llu: %s", s->t->name, (unsigned long long)off,
                 what);
}

static ge_err note_id(scan *s, ge_tr_map *set, uint64_t id) {
  if (id == 0 || id == GE_TRACE_NONE) return GE_OK;
  uint64_t *slot = &s->recent[id & 255];
  if (*slot == id) return GE_OK;
  *slot = id;
  if (ge_tr_map_put(set, id, 0) == UINT32_MAX)
    return ge_fail(s->err, GE_ERR_NOMEM, "%s: out of memory", s->t->name);
  return GE_OK;
}

/* The table batches: strings, stacks, CPU samples. */
static ge_err check_table(scan *s, const unsigned char *p, const unsigned char *end, uint64_t off,
                          unsigned entry, int64_t *lo, int64_t *hi, double nspt) {
  const unsigned char *start = p;
  p++;
  while (p < end) {
    if (*p != entry) return bad(s, off + (uint64_t)(p - start), "unexpected entry in a table batch");
    p++;
    uint64_t v[5];
    unsigned n = entry == EV_CPUSAMPLE ? 5 : 2;
    for (unsigned i = 0; i < n; i++)
      if (ge_tr_uvarint(&p, end, &v[i])) return bad(s, off + (uint64_t)(p - start), "bad number in a table");
    if (entry == EV_STRING) {
      if (v[1] > MAX_STRING_SIZE) return bad(s, off, "string longer than 1024 bytes");
      if (v[1] > (uint64_t)(end - p)) return bad(s, off, "string past the end of its batch");
      p += v[1];
    } else if (entry == EV_STACK) {
      if (v[1] > MAX_FRAMES) return bad(s, off, "stack of more than 128 frames");
      for (uint64_t k = 0; k < v[1] * 4; k++) {
        uint64_t x;
        if (ge_tr_uvarint(&p, end, &x)) return bad(s, off + (uint64_t)(p - start), "bad stack frame");
      }
    } else {
      int64_t t = ge_tr_ns(v[0], nspt);
      if (t < *lo) *lo = t;
      if (t > *hi) *hi = t;
      if (note_id(s, &s->goroutines, v[3])) return s->err->code;
    }
    s->counts[entry]++;
  }
  return GE_OK;
}

/* Every event of an event batch: known for the version, complete. */
static ge_err check_events(scan *s, const unsigned char *p, const unsigned char *end, uint64_t off,
                           const ge_tr_batch *b, double nspt, int64_t *lo, int64_t *hi) {
  const unsigned char *start = p;
  unsigned minor = s->t->minor;
  int64_t t = ge_tr_ns(b->time, nspt), first = INT64_MAX;
  while (p < end) {
    unsigned type = *p;
    if (!ge_tr_timed_ok(type, minor)) {
      char msg[96];
      snprintf(msg, sizeof msg, "event type %u is not an event of go 1.%u traces", type, minor);
      return bad(s, off + (uint64_t)(p - start), msg);
    }
    p++;
    uint64_t dt, a[GE_TRACE_MAXARGS];
    unsigned n = ge_trace_specs[type].nargs;
    if (ge_tr_uvarint(&p, end, &dt)) return bad(s, off + (uint64_t)(p - start), "event cut short");
    for (unsigned i = 0; i < n; i++)
      if (ge_tr_uvarint(&p, end, &a[i])) return bad(s, off + (uint64_t)(p - start), "event cut short");
    t = ge_tr_after(t, dt, nspt);
    if (first == INT64_MAX) first = t;
    s->counts[type]++;
    switch (type) {
    case EV_GOCREATE: case EV_GOCREATEBLOCKED: case EV_GOCREATESYSCALL: case EV_GOSTART:
    case EV_GOUNBLOCK: case EV_GOSTATUS: case EV_GOSTATUSSTACK: case EV_GOSWITCH:
    case EV_GOSWITCHDESTROY: case EV_GCMARKASSISTACTIVE:
      if (note_id(s, &s->goroutines, a[0])) return s->err->code;
      break;
    case EV_GCBEGIN:
      s->gc_begins++;
      if (a[0] < s->gc_min_begin) s->gc_min_begin = a[0];
      break;
    case EV_GCACTIVE: case EV_GCEND:
      if (a[0] < s->gc_min_other) s->gc_min_other = a[0];
      break;
    }
  }
  if (first != INT64_MAX) {
    if (first < *lo) *lo = first;
    if (t > *hi) *hi = t;
  }
  return GE_OK;
}

/* The sync batch: Frequency (and, Go 1.25+, ClockSnapshot). */
static ge_err check_sync(scan *s, const unsigned char *p, const unsigned char *end, uint64_t off,
                         const ge_tr_batch *b, uint64_t *freq) {
  const unsigned char *start = p;
  int clock = 0;
  if (s->t->minor >= 25) p++;
  while (p < end) {
    unsigned type = *p++;
    uint64_t v[4];
    unsigned n = type == EV_FREQUENCY ? 1 : type == EV_CLOCKSNAPSHOT && s->t->minor >= 25 ? 4 : 0;
    if (!n) return bad(s, off + (uint64_t)(p - 1 - start), "unexpected event in the sync batch");
    for (unsigned i = 0; i < n; i++)
      if (ge_tr_uvarint(&p, end, &v[i])) return bad(s, off, "sync batch cut short");
    if (type == EV_FREQUENCY) {
      if (*freq) return bad(s, off, "two frequencies in one generation");
      if (!v[0]) return bad(s, off, "frequency 0");
      *freq = v[0];
    } else {
      if (clock++) return bad(s, off, "two clock snapshots in one generation");
    }
    s->counts[type]++;
  }
  (void)b;
  return GE_OK;
}

static int is_sync(const unsigned char *d, size_t len, unsigned minor) {
  return len && ((minor < 25 && d[0] == EV_FREQUENCY) || (minor >= 25 && d[0] == EV_SYNC));
}

/* The generation in [start, end) of the input, its batches in s->batches. */
static ge_err finish_gen(scan *s, uint64_t start, uint64_t end, int marker) {
  ge_trace *t = s->t;
  /* the iterator keeps 32-bit offsets into a generation */
  if (end - start >= UINT32_MAX) return bad(s, start, "a generation of 4 GiB or more");
  size_t avail;
  const unsigned char *g = win_get(&s->w, start, (size_t)(end - start), &avail, s->err);
  if (!g) return s->err->code;
  uint64_t freq = 0;
  uint64_t before[GE_TRACE_NTYPES];
  memcpy(before, s->counts, sizeof before);
  for (size_t i = 0; i < s->nbatches; i++) {
    gbatch *gb = &s->batches[i];
    const unsigned char *d = g + gb->off + gb->b.hdr;
    if (gb->b.exp < 0 && is_sync(d, (size_t)gb->b.len, t->minor)) {
      if (check_sync(s, d, d + gb->b.len, start + gb->off + gb->b.hdr, &gb->b, &freq)) return s->err->code;
      if (t->minor >= 25) s->counts[EV_SYNC]++;
    }
  }
  if (!freq) return bad(s, start, "generation without a frequency");
  double nspt = 1.0 / ((double)freq / 1e9);
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (size_t i = 0; i < s->nbatches; i++) {
    gbatch *gb = &s->batches[i];
    const unsigned char *d = g + gb->off + gb->b.hdr, *de = d + gb->b.len;
    uint64_t doff = start + gb->off + gb->b.hdr;
    ge_err rc = GE_OK;
    if (gb->b.exp >= 0) {
      s->counts[EV_EXPBATCH]++;
      continue;
    }
    s->counts[EV_BATCH]++;
    if (is_sync(d, (size_t)gb->b.len, t->minor)) {
      int64_t bt = ge_tr_ns(gb->b.time, nspt);
      if (bt < lo) lo = bt;
      if (bt > hi) hi = bt;
      continue;
    }
    unsigned kind = gb->b.len ? d[0] : 0;
    if (kind == EV_STRINGS) rc = check_table(s, d, de, doff, EV_STRING, &lo, &hi, nspt);
    else if (kind == EV_STACKS) rc = check_table(s, d, de, doff, EV_STACK, &lo, &hi, nspt);
    else if (kind == EV_CPUSAMPLES) rc = check_table(s, d, de, doff, EV_CPUSAMPLE, &lo, &hi, nspt);
    else rc = check_events(s, d, de, doff, &gb->b, nspt, &lo, &hi);
    if (rc) return rc;
    if (kind == EV_STRINGS || kind == EV_STACKS || kind == EV_CPUSAMPLES) s->counts[kind]++;
  }
  if (marker) s->counts[EV_ENDOFGEN]++;
  if (t->ngens == t->capgens) {
    size_t nc = t->capgens ? t->capgens * 2 : 16;
    ge_tr_gen *ng = realloc(t->gens, nc * sizeof *ng);
    if (!ng) return ge_fail(s->err, GE_ERR_NOMEM, "%s: out of memory", t->name);
    t->gens = ng;
    t->capgens = nc;
  }
  ge_tr_gen *gi = &t->gens[t->ngens++];
  memset(gi, 0, sizeof *gi);
  gi->gen = s->batches[0].b.gen;
  gi->offset = start;
  gi->size = end - start;
  gi->freq = freq;
  gi->nspt = nspt;
  for (unsigned k = 0; k < GE_TRACE_NTYPES; k++)
    if (ge_trace_type_is_event(k)) gi->events += s->counts[k] - before[k];
  gi->start_ns = lo == INT64_MAX ? 0 : lo;
  gi->end_ns = hi == INT64_MIN ? 0 : hi;
  if (gi->size > t->max_gen_bytes) t->max_gen_bytes = gi->size;
  s->nbatches = 0;
  return GE_OK;
}

static ge_err cut_off(scan *s, uint64_t at, int active, uint64_t gstart, uint64_t gen) {
  ge_trace *t = s->t;
  uint64_t from = active ? gstart : at;
  t->lost_bytes = t->size - from;
  char msg[256], which[48] = "a generation";
  if (gen) snprintf(which, sizeof which, "generation %llu", (unsigned long long)gen);
  snprintf(msg, sizeof msg,
           "the trace is cut off at byte %llu: %s is incomplete, its %llu bytes "
           "(from byte %llu) are not decoded",
           (unsigned long long)t->size, which, (unsigned long long)t->lost_bytes,
           (unsigned long long)from);
  t->warning = strdup(msg);
  return t->warning ? GE_OK : ge_fail(s->err, GE_ERR_NOMEM, "out of memory");
}

/* Walks the batches after the header; see the file's comment. */
static ge_err walk(scan *s) {
  ge_trace *t = s->t;
  uint64_t pos = 16, gstart = 0, cur = 0;
  int active = 0;
  for (;;) {
    if (pos >= t->size) {
      if (!active) return GE_OK;
      /* Before Go 1.26 nothing marks a generation's end: one that ends with
       * the file is taken as complete, as Go's reader does. */
      if (t->minor >= 26) return cut_off(s, pos, 1, gstart, cur);
      return finish_gen(s, gstart, pos, 0);
    }
    size_t avail;
    const unsigned char *p = win_get(&s->w, pos, 64, &avail, s->err);
    if (!p) return s->err->code;
    if (p[0] == EV_ENDOFGEN && t->minor >= 26) {
      if (!active) return bad(s, pos, "end of generation before any batch of it");
      if (finish_gen(s, gstart, pos + 1, 1)) return s->err->code;
      active = 0;
      win_drop(&s->w, ++pos);
      continue;
    }
    ge_tr_batch b = {0};
    const char *why = "";
    int rc = ge_tr_batch_parse(p, p + avail, t->minor, &b, &why);
    if (rc == -2) return bad(s, pos, why);
    int cut = rc == -1 || b.hdr > t->size - pos || b.len > t->size - pos - b.hdr;
    if (cut) {
      /* A batch of the next generation that is cut short ends this one
       * (before Go 1.26); any other cut loses the generation it is in. */
      if (active && t->minor < 26 && b.gen == cur + 1) {
        if (finish_gen(s, gstart, pos, 0)) return s->err->code;
        active = 0;
      }
      return cut_off(s, pos, active, gstart, active ? cur : b.gen);
    }
    if (active && b.gen != cur) {
      if (t->minor < 26 && b.gen == cur + 1) {
        if (finish_gen(s, gstart, pos, 0)) return s->err->code;
        active = 0;
        win_drop(&s->w, pos);
      } else {
        return bad(s, pos, t->minor >= 26 ? "batch of another generation before the end of this one"
                                          : "generations out of order");
      }
    }
    if (!active) {
      active = 1;
      cur = b.gen;
      gstart = pos;
    }
    if (s->nbatches == s->capbatches) {
      size_t nc = s->capbatches ? s->capbatches * 2 : 256;
      gbatch *nb = realloc(s->batches, nc * sizeof *nb);
      if (!nb) return ge_fail(s->err, GE_ERR_NOMEM, "%s: out of memory", t->name);
      s->batches = nb;
      s->capbatches = nc;
    }
    s->batches[s->nbatches++] = (gbatch){b, pos - gstart};
    pos += b.hdr + b.len;
  }
}

/* The first pass over t's input: the header, then every generation. */
ge_err ge_tr_decode(ge_trace *t, ge_error *err) {
  size_t n = t->size < 16 ? (size_t)t->size : 16;
  unsigned char head[16];
  const unsigned char *h = ge_tr_read(t, 0, n, head, err);
  if (!h) return err->code;
  if (ge_tr_check_header(t, h, n, err)) return err->code;
  scan s = {0};
  s.t = t;
  s.w.t = t;
  s.err = err;
  s.gc_min_begin = s.gc_min_other = UINT64_MAX;
  ge_err rc = walk(&s);
  if (!rc) {
    memcpy(t->counts, s.counts, sizeof t->counts);
    t->goroutines = s.goroutines.n;
    t->gc_cycles = s.gc_begins + (s.gc_min_other < s.gc_min_begin);
    for (unsigned k = 0; k < GE_TRACE_NTYPES; k++)
      if (ge_trace_type_is_event(k)) t->events += t->counts[k];
    int any = 0;
    for (size_t i = 0; i < t->ngens; i++) {
      if (!t->gens[i].events) continue;
      if (!any || t->gens[i].start_ns < t->start_ns) t->start_ns = t->gens[i].start_ns;
      if (!any || t->gens[i].end_ns > t->end_ns) t->end_ns = t->gens[i].end_ns;
      any = 1;
    }
  }
  free(s.w.buf);
  free(s.batches);
  ge_tr_map_free(&s.goroutines);
  return rc;
}
