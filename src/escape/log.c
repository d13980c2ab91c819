/* ge_log: inputs (files, directories, buffers), record access, filtering and
 * grouping over interned ids. */
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/gzip.h"

ge_log *ge_log_new(const ge_limits *lim) {
  ge_log *log = calloc(1, sizeof *log);
  if (!log) return NULL;
  if (lim)
    log->lim = *lim;
  else
    ge_limits_default(&log->lim);
  ge_intern_init(&log->strings);
  if (log->strings.n != 1) {
    ge_intern_free(&log->strings);
    free(log);
    return NULL;
  }
  return log;
}

void ge_log_free(ge_log *log) {
  if (!log) return;
  for (size_t i = 0; i < log->sources.n; i++) {
    ge_map_close(&log->sources.v[i].map);
    free(log->sources.v[i].name);
  }
  GE_VEC_FREE(log->sources);
  GE_VEC_FREE(log->recs);
  GE_VEC_FREE(log->steps);
  ge_intern_free(&log->strings);
  ge_hashidx_free(&log->lines.ix);
  free(log->lines.head);
  free(log->lines.hash);
  free(log->lines.next);
  free(log);
}

uint32_t ge_log_add_source(ge_log *log, const char *name, ge_map *m) {
  char *nm = strdup(name);
  if (!nm) return UINT32_MAX;
  ge_source *s = GE_VEC_PUSH_SLOT(log->sources);
  if (!s) {
    free(nm);
    return UINT32_MAX;
  }
  s->name = nm;
  s->map = *m;
  s->text = (const char *)m->data;
  memset(m, 0, sizeof *m);
  log->stats.sources++;
  return (uint32_t)(log->sources.n - 1);
}

/* NUL bytes in the first 4 KB: binary, not a log. Reported instead of
 * guessed, from the bytes in hand or from a file's first bytes. */
static ge_err nul_check(const char *name, const unsigned char *p, size_t n, ge_error *err) {
  const unsigned char *z = memchr(p, 0, n > 4096 ? 4096 : n);
  if (!z) return GE_OK;
  return ge_fail(err, GE_ERR_FORMAT, "%s: offset %zu: NUL byte: not a text log or logopt file",
                 name, (size_t)(z - p));
}

/* CI systems keep build logs gzipped (build.log.gz): inflated whole into
 * *out, bounded like any other input. */
static ge_err inflate_log(const ge_log *log, const char *name, const unsigned char *data,
                          size_t len, ge_map *out, ge_error *err) {
  unsigned char *text;
  size_t n;
  ge_error gerr;
  ge_err rc = ge_gunzip(data, len, log->lim.max_inflated_bytes, &text, &n, &gerr);
  if (rc) return ge_fail(err, rc, "%s: %s", name, gerr.msg);
  *out = (ge_map){text, n, 0, NULL};
  return GE_OK;
}

/* Parses a source by its content: logopt JSON or text. */
static ge_err parse_source(ge_log *log, uint32_t si, ge_error *err) {
  ge_source *s = &log->sources.v[si];
  ge_err rc = nul_check(s->name, (const unsigned char *)s->text, s->map.size, err);
  if (rc) return rc;
  if (ge_logopt_sniff(s->text, s->map.size)) return ge_logopt_parse(log, si, err);
  return ge_text_parse(log, si, err);
}

ge_err ge_log_add_buffer(ge_log *log, const char *name, const char *data, size_t len,
                         ge_error *err) {
  if (!log || (!data && len)) return ge_fail(err, GE_ERR_ARG, "ge_log_add_buffer: bad arguments");
  if (!name) name = "<string>";
  ge_map m;
  if (ge_is_gzip((const unsigned char *)data, len)) {
    ge_err rc = inflate_log(log, name, (const unsigned char *)data, len, &m, err);
    if (rc) return rc;
  } else {
    char *copy = malloc(len ? len : 1);
    if (!copy) return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
    if (len) memcpy(copy, data, len);
    m = (ge_map){(const unsigned char *)copy, len, 0, NULL};
  }
  uint32_t si = ge_log_add_source(log, name, &m);
  if (si == UINT32_MAX) {
    ge_map_close(&m);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  return parse_source(log, si, err);
}

/* The first bytes of a regular file, before any bulk read: a file whose
 * start is neither gzip nor text is refused without reading the rest. Returns 0 or -1 with err set. */
static int sniff_start(const char *path, ge_error *err) {
  unsigned char head[4096];
  size_t n = ge_read_head(path, head, sizeof head);
  if (n == 0 || ge_is_gzip(head, n)) return 0;
  return nul_check(path, head, n, err) ? -1 : 0;
}

static ge_err add_file(ge_log *log, const char *path, ge_error *err) {
  if (sniff_start(path, err)) return GE_ERR_FORMAT;
  ge_map m;
  ge_err rc = ge_map_open_whole(path, &m, &log->lim, err);
  if (rc) return rc;
  const char *name = strcmp(path, "-") ? path : "<stdin>";
  if (ge_is_gzip(m.data, m.size)) {
    ge_map in = m;
    rc = inflate_log(log, name, in.data, in.size, &m, err);
    ge_map_close(&in);
    if (rc) return rc;
  }
  uint32_t si = ge_log_add_source(log, name, &m);
  if (si == UINT32_MAX) {
    ge_map_close(&m);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  return parse_source(log, si, err);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n >= m && strcmp(s + n - m, suf) == 0;
}

/* The directories a walk has entered, by device and inode: a symlink back
 * to an ancestor (or many links to one directory) is entered once, so a few
 * self-links cannot make the walk exponential. */
typedef struct walked {
  struct { dev_t dev; ino_t ino; } *v;
  size_t n, cap;
} walked;

/* 1 when the directory was entered before, 0 after recording it, -1 when
 * out of memory. */
static int walked_seen(walked *w, const struct stat *st) {
  for (size_t i = 0; i < w->n; i++)
    if (w->v[i].dev == st->st_dev && w->v[i].ino == st->st_ino) return 1;
  if (ge_vec_reserve((void **)&w->v, &w->cap, w->n, 1, sizeof *w->v)) return -1;
  w->v[w->n].dev = st->st_dev;
  w->v[w->n].ino = st->st_ino;
  w->n++;
  return 0;
}

/* A directory: logopt trees hold one directory per package and one .json per
 * source file; we also take *.log text logs. Other files are skipped (and
 * counted). Entries are read in sorted order so results do not depend on the
 * file system. */
static ge_err add_dir(ge_log *log, const char *path, int depth, uint32_t *nfiles,
                      walked *seen, ge_error *err) {
  if (depth > 64) return ge_fail(err, GE_ERR_LIMIT, "%s: directories nested deeper than 64", path);
  DIR *d = opendir(path);
  if (!d) return ge_fail(err, GE_ERR_IO, "%s: %s", path, strerror(errno));
  char **names = NULL;
  size_t n = 0, cap = 0;
  ge_err rc = GE_OK;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    if (ge_vec_reserve((void **)&names, &cap, n, 1, sizeof *names) ||
        !(names[n] = strdup(de->d_name))) {
      rc = ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", path);
      break;
    }
    n++;
  }
  closedir(d);
  if (!rc) qsort(names, n, sizeof *names, cmp_str);
  size_t plen = strlen(path);
  for (size_t i = 0; i < n && !rc; i++) {
    size_t len = plen + 1 + strlen(names[i]) + 1;
    char *full = malloc(len);
    if (!full) {
      rc = ge_fail(err, GE_ERR_NOMEM, "out of memory");
      break;
    }
    snprintf(full, len, "%s/%s", path, names[i]);
    struct stat st;
    if (stat(full, &st) != 0) {
      log->stats.skipped++;
    } else if (S_ISDIR(st.st_mode)) {
      int w = walked_seen(seen, &st);
      if (w < 0) rc = ge_fail(err, GE_ERR_NOMEM, "out of memory");
      else if (w == 0) rc = add_dir(log, full, depth + 1, nfiles, seen, err);
      else log->stats.skipped++;
    } else if (S_ISREG(st.st_mode) && (has_suffix(full, ".json") || has_suffix(full, ".log") ||
                                       has_suffix(full, ".log.gz"))) {
      if (++*nfiles > log->lim.max_dir_files) {
        rc = ge_fail(err, GE_ERR_LIMIT, "%s: more than %u files (limit max_dir_files)", path,
                     log->lim.max_dir_files);
      } else {
        size_t nrec = log->recs.n, nstep = log->steps.n, nsrc = log->sources.n;
        rc = add_file(log, full, err);
        if (rc == GE_ERR_FORMAT) {
          /* A file in the tree that is not a log: skip it, keep the rest. */
          log->recs.n = nrec;
          log->steps.n = nstep;
          while (log->sources.n > nsrc) {
            ge_source *s = &log->sources.v[--log->sources.n];
            ge_map_close(&s->map);
            free(s->name);
            log->stats.sources--;
          }
          log->stats.skipped_files++;
          rc = GE_OK;
        }
      }
    } else {
      log->stats.skipped_files++;
    }
    free(full);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

ge_err ge_log_add_path(ge_log *log, const char *path, ge_error *err) {
  if (!log || !path) return ge_fail(err, GE_ERR_ARG, "ge_log_add_path: bad arguments");
  struct stat st;
  if (strcmp(path, "-") != 0) {
    if (stat(path, &st) != 0) return ge_fail(err, GE_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
      uint32_t nfiles = 0;
      walked seen = {NULL, 0, 0};
      ge_err rc = walked_seen(&seen, &st) < 0 ? ge_fail(err, GE_ERR_NOMEM, "out of memory")
                                               : add_dir(log, path, 0, &nfiles, &seen, err);
      free(seen.v);
      return rc;
    }
  }
  return add_file(log, path, err);
}

size_t ge_log_count(const ge_log *log) { return log ? log->recs.n : 0; }

static ge_strview view(const ge_log *log, uint32_t source, ge_span sp) {
  return (ge_strview){log->sources.v[source].text + sp.off, sp.len};
}
static ge_strview interned(const ge_log *log, uint32_t id) {
  const ge_intern_entry *e = ge_intern_get(&log->strings, id);
  return (ge_strview){e->ptr, e->len};
}

ge_err ge_log_get(const ge_log *log, size_t i, ge_diag *o) {
  if (!log || i >= log->recs.n || !o) return GE_ERR_ARG;
  const ge_rec *r = &log->recs.v[i];
  o->kind = (ge_kind)r->kind;
  o->file = interned(log, r->file);
  o->line = r->line;
  o->col = r->col;
  o->package = interned(log, r->pkg);
  o->func = interned(log, r->func);
  o->subject = view(log, r->source, r->subject);
  o->message = view(log, r->source, r->msg);
  o->target = view(log, r->source, r->target);
  o->cost = o->budget = o->level = o->derefs = -1;
  switch (r->kind) {
  case GE_K_CAN_INLINE:
  case GE_K_CANNOT_INLINE:
  case GE_K_INLINING_CALL:
    o->cost = r->n1;
    o->budget = r->n2;
    break;
  case GE_K_LEAKING_PARAM_RESULT:
    o->level = r->n1;
    break;
  case GE_K_PARAM_LEAKS:
    o->derefs = r->n2;
    break;
  default:
    break;
  }
  o->nflow = r->nflow;
  o->source = r->source;
  o->input_line = r->input_line;
  return GE_OK;
}

/* Numbers the classifier found that ge_diag has no named field for
 * (closure width, stack copy bytes): exposed as "size". */
int64_t ge_log_size_attr(const ge_log *log, size_t i) {
  const ge_rec *r = &log->recs.v[i];
  if (r->kind == GE_K_CLOSURE_CAPTURE || r->kind == GE_K_STACK_COPY) return r->n1;
  return -1;
}

ge_err ge_log_flow(const ge_log *log, size_t i, uint32_t k, ge_flow_step *out) {
  if (!log || i >= log->recs.n || k >= log->recs.v[i].nflow || !out) return GE_ERR_ARG;
  const ge_rec *r = &log->recs.v[i];
  const char *text = log->sources.v[r->source].text;
  const ge_step *st = &log->steps.v[r->flow_first + k];
  ge_step_fields(text + st->off, st->len, (int)st->type, out);
  /* A "from" step carries the hop (dst <- src) of the "flow:" line above it. */
  if (st->type == GE_STEP_FROM && st->hop < k) {
    const ge_step *h = &log->steps.v[r->flow_first + st->hop];
    if (h->type == GE_STEP_FLOW) {
      ge_flow_step hop;
      ge_step_fields(text + h->off, h->len, (int)h->type, &hop);
      out->dst = hop.dst;
      out->src = hop.src;
    }
  }
  return GE_OK;
}

void ge_log_stats_get(const ge_log *log, ge_log_stats *out) {
  if (log) *out = log->stats;
}

const char *ge_log_source_name(const ge_log *log, uint32_t source) {
  return log && source < log->sources.n ? log->sources.v[source].name : NULL;
}
