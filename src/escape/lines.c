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

static size_t slot_of(const char *b, size_t bn, uint32_t line, size_t nslots) {
  uint64_t h = ge_hash(b, bn) ^ ((uint64_t)line * 0x9e3779b97f4a7c15ull);
  h ^= h >> 29;
  return (size_t)(h & (nslots - 1));
}

static int build(ge_log *log) {
  ge_line_index *ix = &log->lines;
  size_t n = log->recs.n;
  size_t ns = 1024;
  while (ns < n * 2) ns *= 2;
  uint32_t *heads = calloc(ns, sizeof *heads);
  uint32_t *next = calloc(n ? n : 1, sizeof *next);
  if (!heads || !next) {
    free(heads);
    free(next);
    return -1;
  }
  /* Insert backwards so that chains come out in log order. */
  for (size_t i = n; i-- > 0;) {
    const ge_rec *r = &log->recs.v[i];
    const ge_intern_entry *f = ge_intern_get(&log->strings, r->file);
    size_t bn;
    const char *b = base_of(f->ptr, f->len, &bn);
    size_t s = slot_of(b, bn, r->line, ns);
    next[i] = heads[s];
    heads[s] = (uint32_t)i + 1;
  }
  free(ix->heads);
  free(ix->next);
  ix->heads = heads;
  ix->next = next;
  ix->nslots = ns;
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
  if (log->lines.nrecs != log->recs.n || !log->lines.heads)
    if (build(log)) return ge_fail(err, GE_ERR_NOMEM, "out of memory indexing lines");
  size_t fn = strlen(file), bn;
  const char *b = base_of(file, fn, &bn);
  size_t s = slot_of(b, bn, line, log->lines.nslots);
  for (uint32_t i = log->lines.heads[s]; i; i = log->lines.next[i - 1]) {
    const ge_rec *r = &log->recs.v[i - 1];
    if (r->line != line) continue;
    const ge_intern_entry *rf = ge_intern_get(&log->strings, r->file);
    size_t rbn;
    const char *rb = base_of(rf->ptr, rf->len, &rbn);
    if (rbn != bn || memcmp(rb, b, bn) != 0) continue;
    if (compatible(log, r, file, fn, pkg) && cb(ud, i - 1)) break;
  }
  return GE_OK;
}
