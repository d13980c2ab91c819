/* Filtering and grouping of escape records. Filter names are resolved once
 * to sets of interned ids (and kinds), so the per-record test is a few
 * array lookups, not string compares. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/hashidx.h"
#include "log.h"

typedef struct compiled {
  uint8_t kinds[GE_K__COUNT];
  uint8_t *files, *pkgs, *funcs; /* by interned id; NULL = any */
  int any_kind;
  int none; /* a filter value never seen: nothing can match */
} compiled;

/* `name` equals s, or s ends with "/" + name (a path-suffix match). */
static int path_match(const char *s, size_t n, const char *name, size_t m) {
  if (n == m) return memcmp(s, name, n) == 0;
  if (n > m && memcmp(s + n - m, name, m) == 0 && (name[0] == '/' || s[n - m - 1] == '/'))
    return 1;
  /* "./x.go" as printed for the package directory matches "x.go" */
  return 0;
}

/* A function name as the filter gives it: exact, or, when the filter has no
 * brackets, the record's name without its type arguments or shapes
 * ("Gen[go.shape.int]", "(*Pool[go.shape.*uint8]).Get" match "Gen",
 * "(*Pool).Get"), as a user names a generic function. */
static int func_match(const char *s, size_t n, const char *name, size_t m) {
  if (n == m && memcmp(s, name, m) == 0) return 1;
  if (memchr(name, '[', m) || !memchr(s, '[', n)) return 0;
  size_t j = 0;
  int depth = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '[') {
      depth++;
      continue;
    }
    if (s[i] == ']') {
      if (depth > 0) depth--;
      continue;
    }
    if (depth) continue;
    if (j >= m || s[i] != name[j]) return 0;
    j++;
  }
  return j == m;
}

int ge_log_filter_match(const ge_log_filter *f, const ge_diag *d) {
  if (f->kind && strcmp(f->kind, ge_kind_name(d->kind)) != 0 &&
      strcmp(f->kind, ge_kind_family(d->kind)) != 0)
    return 0;
  if (f->package && !(d->package.len == strlen(f->package) &&
                      memcmp(d->package.ptr, f->package, d->package.len) == 0))
    return 0;
  if (f->func && !func_match(d->func.ptr, d->func.len, f->func, strlen(f->func))) return 0;
  if (f->file && !path_match(d->file.ptr, d->file.len, f->file, strlen(f->file))) return 0;
  if (f->files) {
    size_t k = 0;
    while (k < f->nfiles && !path_match(d->file.ptr, d->file.len, f->files[k], strlen(f->files[k])))
      k++;
    if (k == f->nfiles) return 0;
  }
  return 1;
}

/* The ids of the interned strings that match any of `names`: exactly
 * (mode 0), as a path suffix (1) or as a function name (2). */
static uint8_t *id_set_any(const ge_log *log, const char *const *names, size_t nnames,
                           int suffix, int *none) {
  size_t n = log->strings.n;
  uint8_t *set = calloc(n ? n : 1, 1);
  if (!set) return NULL;
  int any = 0;
  for (size_t id = 0; id < n; id++) {
    const ge_intern_entry *e = ge_intern_get(&log->strings, (uint32_t)id);
    for (size_t k = 0; k < nnames; k++) {
      size_t m = strlen(names[k]);
      int ok = suffix == 1 ? path_match(e->ptr, e->len, names[k], m)
               : suffix == 2 ? func_match(e->ptr, e->len, names[k], m)
                             : (e->len == m && memcmp(e->ptr, names[k], m) == 0);
      if (ok) {
        set[id] = 1, any = 1;
        break;
      }
    }
  }
  if (!any) *none = 1;
  return set;
}

static uint8_t *id_set(const ge_log *log, const char *name, int suffix, int *none) {
  return id_set_any(log, &name, 1, suffix, none);
}

static void compiled_free(compiled *c) {
  free(c->files);
  free(c->pkgs);
  free(c->funcs);
}

static ge_err compile(const ge_log *log, const ge_log_filter *f, compiled *c, ge_error *err) {
  memset(c, 0, sizeof *c);
  c->any_kind = 1;
  if (!f) return GE_OK;
  if (f->kind) {
    c->any_kind = 0;
    size_t n = strlen(f->kind);
    ge_kind k = ge_kind_from_name(f->kind, n);
    if (k != GE_K__COUNT) {
      c->kinds[k] = 1;
    } else if (!strcmp(f->kind, "escape") || !strcmp(f->kind, "inline") || !strcmp(f->kind, "other")) {
      for (int i = 0; i < GE_K__COUNT; i++)
        if (!strcmp(ge_kind_family((ge_kind)i), f->kind)) c->kinds[i] = 1;
    } else {
      return ge_fail(err, GE_ERR_ARG, "unknown diagnostic kind '%s'", f->kind);
    }
  }
  if (f->file && f->files) return ge_fail(err, GE_ERR_ARG, "filter: file and files together");
  if ((f->file && !(c->files = id_set(log, f->file, 1, &c->none))) ||
      (f->files && !(c->files = id_set_any(log, f->files, f->nfiles, 1, &c->none))) ||
      (f->package && !(c->pkgs = id_set(log, f->package, 0, &c->none))) ||
      (f->func && !(c->funcs = id_set(log, f->func, 2, &c->none)))) {
    compiled_free(c);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  return GE_OK;
}

static int match(const compiled *c, const ge_rec *r) {
  if (!c->any_kind && !c->kinds[r->kind]) return 0;
  if (c->files && !c->files[r->file]) return 0;
  if (c->pkgs && !c->pkgs[r->pkg]) return 0;
  if (c->funcs && !c->funcs[r->func]) return 0;
  return 1;
}

ge_err ge_log_select(const ge_log *log, const ge_log_filter *f,
                     int (*cb)(void *ud, size_t index), void *ud, ge_error *err) {
  if (!log || !cb) return ge_fail(err, GE_ERR_ARG, "ge_log_select: bad arguments");
  compiled c;
  ge_err rc = compile(log, f, &c, err);
  if (rc) return rc;
  if (!c.none)
    for (size_t i = 0; i < log->recs.n; i++)
      if (match(&c, &log->recs.v[i]) && cb(ud, i)) break;
  compiled_free(&c);
  return GE_OK;
}

/* Group keys: an interned id (kind, package, file, func), a subject string
 * (interned on the fly), or a (file id, line) pair. */
typedef struct gkey {
  uint64_t key;
  uint64_t count;
} gkey;

static uint32_t gkey_hash(uint64_t key) { return (uint32_t)ge_mix64(key); }
static uint32_t gkey_hash_at(const void *ctx, uint32_t i) {
  return gkey_hash(((const gkey *)ctx)[i].key);
}

static int cmp_rows(const void *a, const void *b) {
  const ge_group_row *x = a, *y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
  int c = n ? memcmp(x->key.ptr, y->key.ptr, n) : 0;
  if (c) return c;
  if (x->key.len != y->key.len) return x->key.len < y->key.len ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line;
}

ge_err ge_log_group(const ge_log *log, const ge_log_filter *f, ge_group_by by,
                    ge_group_row **rows, size_t *nrows, ge_error *err) {
  if (!log || !rows || !nrows) return ge_fail(err, GE_ERR_ARG, "ge_log_group: bad arguments");
  *rows = NULL;
  *nrows = 0;
  compiled c;
  ge_err rc = compile(log, f, &c, err);
  if (rc) return rc;
  ge_intern subjects; /* ids for grouping by subject; keys point at log bytes */
  ge_intern_init(&subjects);
  GE_VEC(ge_strview) subj_view = {0};
  /* the rows, one per key, found through the core's hash index */
  GE_VEC(gkey) keys = {0};
  ge_hashidx ix = {0};
  for (size_t i = 0; i < log->recs.n && !c.none; i++) {
    const ge_rec *r = &log->recs.v[i];
    if (!match(&c, r)) continue;
    uint64_t key;
    switch (by) {
    case GE_BY_KIND: key = r->kind; break;
    case GE_BY_PACKAGE: key = r->pkg; break;
    case GE_BY_FILE: key = r->file; break;
    case GE_BY_FUNC: key = r->func; break;
    case GE_BY_LINE: key = ((uint64_t)r->file << 32) | r->line; break;
    case GE_BY_SUBJECT: {
      const char *sp = log->sources.v[r->source].text + r->subject.off;
      uint32_t id = ge_intern_add(&subjects, sp, r->subject.len);
      if (id == UINT32_MAX) goto oom;
      while (subj_view.n <= id) {
        ge_strview *v = GE_VEC_PUSH_SLOT(subj_view);
        if (!v) goto oom;
        *v = (ge_strview){sp, r->subject.len};
      }
      key = id;
      break;
    }
    default:
      GE_VEC_FREE(keys);
      ge_hashidx_free(&ix);
      GE_VEC_FREE(subj_view);
      ge_intern_free(&subjects);
      compiled_free(&c);
      return ge_fail(err, GE_ERR_ARG, "unknown group key %d", (int)by);
    }
    uint32_t h = gkey_hash(key);
    size_t j = ge_hashidx_first(&ix, h);
    uint32_t at;
    while ((at = ge_hashidx_at(&ix, j)) != GE_HASHIDX_NONE && keys.v[at].key != key)
      j = ge_hashidx_next(&ix, j);
    if (at == GE_HASHIDX_NONE) {
      if (ge_hashidx_reserve(&ix, keys.n, gkey_hash_at, keys.v)) goto oom;
      j = ge_hashidx_first(&ix, h);
      while (ge_hashidx_at(&ix, j) != GE_HASHIDX_NONE) j = ge_hashidx_next(&ix, j);
      gkey *g = GE_VEC_PUSH_SLOT(keys);
      if (!g) goto oom;
      *g = (gkey){key, 0};
      at = (uint32_t)(keys.n - 1);
      ge_hashidx_set(&ix, j, at);
    }
    keys.v[at].count++;
  }
  ge_group_row *out = malloc((keys.n ? keys.n : 1) * sizeof *out);
  if (!out) goto oom;
  size_t k = 0;
  for (size_t s = 0; s < keys.n; s++) {
    ge_group_row *row = &out[k++];
    row->count = keys.v[s].count;
    row->line = 0;
    uint64_t key = keys.v[s].key;
    if (by == GE_BY_KIND) {
      const char *nm = ge_kind_name((ge_kind)key);
      row->key = (ge_strview){nm, strlen(nm)};
    } else if (by == GE_BY_SUBJECT) {
      row->key = subj_view.v[key];
    } else {
      uint32_t id = by == GE_BY_LINE ? (uint32_t)(key >> 32) : (uint32_t)key;
      const ge_intern_entry *e = ge_intern_get(&log->strings, id);
      row->key = (ge_strview){e->ptr, e->len};
      if (by == GE_BY_LINE) row->line = (uint32_t)key;
    }
  }
  qsort(out, k, sizeof *out, cmp_rows);
  GE_VEC_FREE(keys);
  ge_hashidx_free(&ix);
  GE_VEC_FREE(subj_view);
  ge_intern_free(&subjects);
  compiled_free(&c);
  *rows = out;
  *nrows = k;
  return GE_OK;
oom:
  GE_VEC_FREE(keys);
  ge_hashidx_free(&ix);
  GE_VEC_FREE(subj_view);
  ge_intern_free(&subjects);
  compiled_free(&c);
  return ge_fail(err, GE_ERR_NOMEM, "out of memory while grouping");
}
