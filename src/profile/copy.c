/* A deep copy of a profile: what a non-mutating operation (the Lua face's
 * symbolize) changes, while the original stays as it was. Strings are
 * interned again in id order; the table holds each string once, so every id
 * stays the same and the records are copied as they are. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model.h"

static int dup(void **dst, size_t *cap, const void *src, size_t n, size_t elem) {
  *dst = NULL;
  *cap = 0;
  if (!n) return 0;
  *dst = malloc(n * elem); /* n * elem is the size of an array that exists */
  if (!*dst) return -1;
  memcpy(*dst, src, n * elem);
  *cap = n;
  return 0;
}

#define DUP(f) dup((void **)&c->f.v, &c->f.cap, p->f.v, p->f.n, sizeof *p->f.v)

ge_err ge_profile_copy(const ge_profile *p, ge_profile **out, ge_error *err) {
  *out = NULL;
  ge_profile *c = ge_prof_new(&p->lim);
  if (!c) return ge_fail(err, GE_ERR_NOMEM, "copy: out of memory");
  ge_intern str = c->str;
  /* every field (scalars and lengths), then each array replaced by its own
   * copy: all of them first set apart from p's, so that a failure frees
   * only c's memory */
  *c = *p;
  c->str = str;
  int bad = DUP(st) | DUP(maps) | DUP(funcs) | DUP(locs) | DUP(lines) | DUP(s_loff) |
            DUP(s_locs) | DUP(s_lab) | DUP(labels) | DUP(values) | DUP(comments);
  for (size_t i = 1; i < p->str.n && !bad; i++) {
    const ge_intern_entry *e = ge_intern_get(&p->str, (uint32_t)i);
    bad = ge_intern_add(&c->str, e->ptr, e->len) != i;
  }
  if (bad) {
    ge_profile_free(c);
    return ge_fail(err, GE_ERR_NOMEM, "copy: out of memory");
  }
  *out = c;
  return GE_OK;
}
