/* Joining escape records with source lines from other inputs (profiles,
 * binaries). The compiler prints paths relative to the package directory
 * ("./x.go"), relative to the working directory ("lib/x.go"), absolute, or
 * module-relative under -trimpath; profiles and DWARF print absolute,
 * GOROOT or -trimpath paths. Basename and line are common to all forms, so
 * records are indexed by them and candidates are checked for compatible
 * paths (see goescape.h). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "log.h"

static const char *base_of(const char *p, size_t n, size_t *bn) {
  size_t i = n;
  while (i > 0 && p[i - 1] != '/' && p[i - 1] != '\\') i--;
  *bn = n - i;
  return p + i;
}

/* The hash of (basename, line), from the basename's hash hb. */
static uint32_t key_hash(uint32_t hb, uint32_t line) {
  return (uint32_t)ge_mix64((uint64_t)hb << 32 | line);
}

static uint32_t stored_hash(const void *ctx, uint32_t k) { return ((const ge_line_index *)ctx)->hash[k]; }

/* The slot of key (b, line, hash h) in the index: *key is its key, or
 * GE_HASHIDX_NONE when the probe ended at an empty slot. `file`, when not
 * UINT32_MAX, is the interned path b is the basename of: a key of the same
 * path matches without comparing bytes. */
static size_t find_key(const ge_log *log, uint32_t file, const char *b, size_t bn, uint32_t line,
                       uint32_t h, uint32_t *key) {
  const ge_line_index *ix = &log->lines;
  size_t j = ge_hashidx_first(&ix->ix, h);
  uint32_t k;
  for (; (k = ge_hashidx_at(&ix->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&ix->ix, j)) {
    if (ix->hash[k] != h) continue;
    const ge_rec *r = &log->recs.v[ix->head[k] - 1];
    if (r->line != line) continue;
    if (r->file == file) break;
    const ge_intern_entry *f = ge_intern_get(&log->strings, r->file);
    size_t kn;
    const char *kb = base_of(f->ptr, f->len, &kn);
    if (kn == bn && memcmp(kb, b, bn) == 0) break;
  }
  *key = k;
  return j;
}

/* Indexes the records by (basename, line), each key with its records in
 * log order. */
static int build(ge_log *log) {
  ge_line_index *ix = &log->lines;
  size_t n = log->recs.n;
  ge_hashidx_free(&ix->ix);
  free(ix->head);
  free(ix->hash);
  free(ix->next);
  ix->head = malloc((n ? n : 1) * sizeof *ix->head);
  ix->hash = malloc((n ? n : 1) * sizeof *ix->hash);
  ix->next = calloc(n ? n : 1, sizeof *ix->next);
  ix->nrecs = 0;
  if (!ix->head || !ix->hash || !ix->next) return -1;
  uint32_t nkeys = 0, last_file = UINT32_MAX, hb = 0;
  const char *b = NULL;
  size_t bn = 0;
  /* Inserted backwards so that each record goes first in its key's list. */
  for (size_t i = n; i-- > 0;) {
    const ge_rec *r = &log->recs.v[i];
    if (r->file != last_file) { /* records come in runs of one file */
      const ge_intern_entry *f = ge_intern_get(&log->strings, r->file);
      b = base_of(f->ptr, f->len, &bn);
      hb = ge_hash(b, bn);
      last_file = r->file;
    }
    uint32_t h = key_hash(hb, r->line), k;
    if (ge_hashidx_reserve(&ix->ix, nkeys, stored_hash, ix)) return -1;
    size_t j = find_key(log, r->file, b, bn, r->line, h, &k);
    if (k == GE_HASHIDX_NONE) {
      k = nkeys++;
      ix->head[k] = 0;
      ix->hash[k] = h;
      ge_hashidx_set(&ix->ix, j, k);
    }
    ix->next[i] = ix->head[k];
    ix->head[k] = (uint32_t)i + 1;
  }
  ix->nrecs = n;
  return 0;
}

static int ends_with_path(const char *s, size_t n, const char *suf, size_t m) {
  if (m == 0 || m > n) return 0;
  if (memcmp(s + n - m, suf, m) != 0) return 0;
  return m == n || s[n - m - 1] == '/';
}

static int compatible(const ge_log *log, const ge_rec *r, const char *file, size_t fn,
                      const char *pkg) {
  const ge_intern_entry *rf = ge_intern_get(&log->strings, r->file);
  const char *rp = rf->ptr;
  size_t rn = rf->len;
  if (rn == fn && memcmp(rp, file, fn) == 0) return 1;
  if (rn >= 2 && rp[0] == '.' && rp[1] == '/') {
    rp += 2;
    rn -= 2;
  }
  if (rp[0] != '/' && ends_with_path(file, fn, rp, rn)) return 1;
  const ge_intern_entry *rk = ge_intern_get(&log->strings, r->pkg);
  size_t bn;
  (void)base_of(rf->ptr, rf->len, &bn);
  if (rk->len) {
    /* "pkg/path/x.go" as -trimpath profiles print it */
    if (fn >= rk->len + 1 + bn && ends_with_path(file, fn - bn - 1, rk->ptr, rk->len) &&
        file[fn - bn - 1] == '/')
      return 1;
    if (pkg && strlen(pkg) == rk->len && memcmp(pkg, rk->ptr, rk->len) == 0) return 1;
  }
  /* Symbols of main packages say "main"; the log's header says the import
   * path. A relative path in the log is all we can check. */
  if (pkg && strcmp(pkg, "main") == 0 && rf->ptr[0] != '/') return 1;
  return 0;
}

ge_err ge_log_at_line(ge_log *log, const char *file, uint32_t line, const char *pkg,
                      int (*cb)(void *ud, size_t index), void *ud, ge_error *err) {
  if (!log || !file || !cb) return ge_fail(err, GE_ERR_ARG, "ge_log_at_line: bad arguments");
  if (log->lines.nrecs != log->recs.n || !log->lines.next)
    if (build(log)) return ge_fail(err, GE_ERR_NOMEM, "out of memory indexing lines");
  size_t fn = strlen(file), bn;
  const char *b = base_of(file, fn, &bn);
  uint32_t k;
  find_key(log, UINT32_MAX, b, bn, line, key_hash(ge_hash(b, bn), line), &k);
  if (k == GE_HASHIDX_NONE) return GE_OK;
  for (uint32_t i = log->lines.head[k]; i; i = log->lines.next[i - 1])
    if (compatible(log, &log->recs.v[i - 1], file, fn, pkg) && cb(ud, i - 1)) break;
  return GE_OK;
}
