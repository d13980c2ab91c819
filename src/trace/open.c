/* ge_trace's entry points: the header check, open from a path or memory,
 * and the accessors of what the first pass found (read.c). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "trace/internal.h"

/* ------------------------------------------------------------- header */

/* The Go releases that write a pre-1.22 header. */
static const char *old_writers(unsigned minor) {
  switch (minor) {
  case 11: return "Go 1.11 to 1.18";
  case 19: return "Go 1.19 and 1.20";
  case 21: return "Go 1.21";
  default: return NULL;
  }
}

ge_err ge_tr_check_header(ge_trace *t, const unsigned char *h, size_t n, ge_error *err) {
  unsigned minor = 0, i = 5, digits = 0;
  if (n < 5 || memcmp(h, "go 1.", 5) != 0)
    return ge_fail(err, GE_ERR_FORMAT, "%s: not a Go execution trace (no 'go 1.N trace' header)",
                   t->name);
  while (i < n && i < 9 && h[i] >= '0' && h[i] <= '9') minor = minor * 10 + (h[i++] - '0'), digits++;
  if (!digits || n < i + 6 || memcmp(h + i, " trace", 6) != 0)
    return ge_fail(err, GE_ERR_FORMAT, "%s: not a Go execution trace (no 'go 1.N trace' header)",
                   t->name);
  t->minor = minor;
  if (minor < 22) {
    const char *w = old_writers(minor);
    char who[40];
    if (!w) snprintf(who, sizeof who, "Go 1.%u", minor), w = who;
    return ge_fail(err, GE_ERR_FORMAT,
                   "%s: a go 1.%u trace (written by %s): that trace format, older than Go 1.22's, "
                   "is unsupported; goescape reads the traces of Go 1.22 and later",
                   t->name, minor, w);
  }
  if (minor == 24)
    return ge_fail(err, GE_ERR_FORMAT,
                   "%s: a go 1.24 trace header, which no Go release writes (Go 1.24 writes go 1.23 "
                   "traces)", t->name);
  if (minor > 26)
    return ge_fail(err, GE_ERR_FORMAT,
                   "%s: a go 1.%u trace: newer than the formats goescape reads (go 1.22 to 1.26 "
                   "headers, written by Go 1.22 to 1.27)", t->name, minor);
  if (n < 16 || h[i + 6] || h[i + 7] || h[i + 8])
    return ge_fail(err, GE_ERR_FORMAT, "%s: a trace header that is not 16 bytes", t->name);
  return GE_OK;
}

/* --------------------------------------------------------------- open */

static ge_trace *trace_new(const char *name, const ge_limits *lim) {
  ge_trace *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->fd = -1;
  t->name = strdup(name);
  if (!t->name) {
    free(t);
    return NULL;
  }
  if (lim) t->lim = *lim;
  else ge_limits_default(&t->lim);
  return t;
}

ge_err ge_trace_open(const char *path, const ge_limits *lim, ge_trace **out, ge_error *err) {
  *out = NULL;
  if (!path) return ge_fail(err, GE_ERR_ARG, "ge_trace_open: no path");
  ge_trace *t = trace_new(strcmp(path, "-") == 0 ? "<stdin>" : path, lim);
  if (!t) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  /* Refuse a file that is not a trace (or an old one) by its first bytes,
   * before reading any of the rest. */
  unsigned char head[16];
  size_t hn = ge_read_head(path, head, sizeof head);
  if (hn && ge_tr_check_header(t, head, hn, err)) {
    ge_trace_free(t);
    return err->code;
  }
  int fd = strcmp(path, "-") == 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    t->fd = fd;
    t->id = ge_fileid_of(&st);
    t->size = (uint64_t)st.st_size;
  } else {
    if (fd >= 0) close(fd);
    if (ge_map_open_whole(path, &t->map, &t->lim, err)) {
      ge_trace_free(t);
      return err->code;
    }
    t->mem = t->map.data;
    t->size = t->map.size;
  }
  if (ge_tr_decode(t, err)) {
    ge_trace_free(t);
    return err->code;
  }
  *out = t;
  return GE_OK;
}

ge_err ge_trace_parse(const char *name, const void *data, size_t len, const ge_limits *lim,
                      ge_trace **out, ge_error *err) {
  *out = NULL;
  ge_trace *t = trace_new(name ? name : "<trace>", lim);
  if (!t) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  t->copy = malloc(len ? len : 1);
  if (!t->copy) {
    ge_trace_free(t);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  if (len) memcpy(t->copy, data, len);
  t->mem = t->copy;
  t->size = len;
  if (ge_tr_decode(t, err)) {
    ge_trace_free(t);
    return err->code;
  }
  *out = t;
  return GE_OK;
}

void ge_trace_free(ge_trace *t) {
  if (!t) return;
  if (t->fd >= 0) close(t->fd);
  if (t->map.data) ge_map_close(&t->map);
  free(t->copy);
  free(t->gens);
  free(t->warning);
  free(t->name);
  free(t);
}

void ge_trace_info_get(const ge_trace *t, ge_trace_info *out) {
  memset(out, 0, sizeof *out);
  out->go_minor = t->minor;
  out->generations = t->ngens;
  out->goroutines = t->goroutines;
  out->gc_cycles = t->gc_cycles;
  out->events = t->events;
  out->bytes = t->size;
  out->max_generation_bytes = t->max_gen_bytes;
  out->lost_bytes = t->lost_bytes;
  out->start_ns = t->start_ns;
  out->end_ns = t->end_ns;
  out->warning = t->warning;
}

uint64_t ge_trace_count(const ge_trace *t, unsigned type) {
  return type < GE_TRACE_NTYPES ? t->counts[type] : 0;
}

size_t ge_trace_ngens(const ge_trace *t) { return t->ngens; }

ge_err ge_trace_generation(const ge_trace *t, size_t i, ge_trace_gen *out) {
  if (i >= t->ngens) return GE_ERR_ARG;
  const ge_tr_gen *g = &t->gens[i];
  *out = (ge_trace_gen){g->gen, g->offset, g->size, g->freq, g->events, g->start_ns, g->end_ns};
  return GE_OK;
}
