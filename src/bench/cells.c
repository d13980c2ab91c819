/* benchstat's cells of a set (benchtab's builder for one column): values
 * grouped by (configuration, name, tidied unit) across inputs, in the
 * order of the result lines. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint32_t cell_hash(const void *ctx, uint32_t i) {
  return ((const ge_bench *)ctx)->cells.v[i].hash;
}

static void drop(ge_bench *b) {
  b->cells.n = 0;
  free(b->cell_out), b->cell_out = NULL;
  free(b->cell_vals), b->cell_vals = NULL;
  b->cells_built = 0;
}

static ge_err build(ge_bench *b, ge_error *err) {
  drop(b);
  size_t nrows = b->rows.n, nv = b->vals.n;
  uint32_t *tidied = malloc((nrows ? nrows : 1) * sizeof *tidied);
  double *factor = malloc((nrows ? nrows : 1) * sizeof *factor);
  uint32_t *cell_of = malloc((nv ? nv : 1) * sizeof *cell_of);
  ge_hashidx ix = {0};
  ge_err e = GE_OK;
  if (!tidied || !factor || !cell_of) goto nomem;
  for (size_t r = 0; r < nrows; r++) {
    const ge_intern_entry *u = ge_intern_get(&b->strs, b->rows.v[r].unit);
    char *t = malloc(2 * u->len + 1);
    if (!t) goto nomem;
    factor[r] = ge_bench_tidy(u->ptr, u->len, t);
    tidied[r] = ge_intern_add(&b->strs, t, strlen(t));
    free(t);
    if (tidied[r] == UINT32_MAX) goto nomem;
  }
  for (size_t i = 0; i < nv; i++) {
    const ge_bench_val *v = &b->vals.v[i];
    const ge_bench_rowrec *r = &b->rows.v[v->row];
    double tv = v->v * factor[v->row];
    uint32_t unit = tv == v->v ? r->unit : tidied[v->row];
    uint64_t h64 = ge_mix64(r->config);
    h64 = ge_mix64(h64 ^ r->name);
    h64 = ge_mix64(h64 ^ unit);
    uint32_t h = (uint32_t)h64;
    if (ge_hashidx_reserve(&ix, b->cells.n, cell_hash, b)) goto nomem;
    size_t j = ge_hashidx_first(&ix, h);
    uint32_t c;
    for (; (c = ge_hashidx_at(&ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&ix, j)) {
      const ge_bench_cellrec *x = &b->cells.v[c];
      if (x->hash == h && x->config == r->config && x->name == r->name && x->unit == unit) break;
    }
    if (c == GE_HASHIDX_NONE) {
      ge_bench_cellrec *x = GE_VEC_PUSH_SLOT(b->cells);
      if (!x) goto nomem;
      *x = (ge_bench_cellrec){r->config, r->name, unit, h, 0, 0};
      c = (uint32_t)(b->cells.n - 1);
      ge_hashidx_set(&ix, j, c);
    }
    b->cells.v[c].count++;
    cell_of[i] = c;
  }
  b->cell_vals = malloc((nv ? nv : 1) * sizeof *b->cell_vals);
  b->cell_out = malloc((b->cells.n ? b->cells.n : 1) * sizeof *b->cell_out);
  if (!b->cell_vals || !b->cell_out) goto nomem;
  size_t off = 0;
  for (size_t c = 0; c < b->cells.n; c++) {
    b->cells.v[c].first = off;
    off += b->cells.v[c].count;
    b->cells.v[c].count = 0;
  }
  for (size_t i = 0; i < nv; i++) {
    ge_bench_cellrec *x = &b->cells.v[cell_of[i]];
    const ge_bench_val *v = &b->vals.v[i];
    b->cell_vals[x->first + x->count++] = v->v * factor[v->row];
  }
  for (size_t c = 0; c < b->cells.n; c++) {
    const ge_bench_cellrec *x = &b->cells.v[c];
    const ge_intern_entry *cf = ge_intern_get(&b->strs, x->config);
    const ge_intern_entry *nm = ge_intern_get(&b->strs, x->name);
    const ge_intern_entry *un = ge_intern_get(&b->strs, x->unit);
    b->cell_out[c] = (ge_bench_cell){{cf->ptr, cf->len}, {nm->ptr, nm->len}, {un->ptr, un->len},
                                     b->cell_vals + x->first, x->count};
  }
  b->cells_n = nv;
  b->cells_built = 1;
  goto out;
nomem:
  drop(b);
  e = ge_fail(err, GE_ERR_NOMEM, "out of memory");
out:
  free(tidied), free(factor), free(cell_of);
  ge_hashidx_free(&ix);
  return e;
}

ge_err ge_bench_cells(ge_bench *b, const ge_bench_cell **out, size_t *n, ge_error *err) {
  if (!b->cells_built || b->cells_n != b->vals.n) {
    ge_err e = build(b, err);
    if (e) return e;
  }
  *out = b->cell_out;
  *n = b->cells.n;
  return GE_OK;
}
