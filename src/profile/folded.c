/* Folded stacks ("root;caller;leaf value" lines, as flame graph tools read
 * them): the by-stack rows of the top report, sorted by stack. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/vec.h"
#include "top.h"

typedef GE_VEC(char) strbuf;

static int sb_reserve(strbuf *b, size_t need) {
  return ge_vec_reserve((void **)&b->v, &b->cap, b->n, need, 1);
}

ge_err ge_profile_folded(const ge_profile *p, const ge_prof_query *q, char **buf, size_t *len,
                         ge_error *err) {
  *buf = NULL;
  *len = 0;
  ge_prof_query qq = *q;
  qq.by = GE_PROF_BY_STACK;
  ge_prof_top *t;
  ge_err rc = ge_profile_top(p, &qq, &t, err);
  if (rc) return rc;
  ge_prof_top_sort_by_name(t);
  strbuf b = {NULL, 0, 0};
  int oom = 0;
  for (size_t i = 0; i < ge_prof_top_count(t); i++) {
    const ge_prof_row *r = ge_prof_top_row(t, i);
    if ((oom = sb_reserve(&b, r->name.len + 32))) break;
    memcpy(b.v + b.n, r->name.ptr, r->name.len);
    b.n += r->name.len;
    b.n += (size_t)snprintf(b.v + b.n, 32, " %" PRId64 "\n", r->flat);
  }
  ge_prof_top_free(t);
  if (oom || sb_reserve(&b, 1)) {
    free(b.v);
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  b.v[b.n] = 0;
  *buf = b.v;
  *len = b.n;
  return GE_OK;
}
