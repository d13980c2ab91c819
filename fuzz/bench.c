/* libFuzzer harness: ge_bench over arbitrary bytes, read as two inputs (the
 * bytes before and after the middle; strict mode from the first byte), then
 * every row with its strings and values read, its unit tidied and its unit
 * metadata looked up, each row summarized (median interval and exact
 * summary) and U-tested against the next row, and the geomean of the
 * centers; then benchstat's cells of the set.
 * Seeds: fuzz/corpus/bench/ (real go test -bench runs, text and -json, and
 * the format corners of spec/fixtures/bench/data). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "goescape/bench.h"

static void touch(ge_strview s) {
  if (s.len) (void)(volatile char)s.ptr[s.len - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ge_limits lim;
  ge_limits_default(&lim);
  lim.max_records = 100000;
  ge_error err;
  ge_bench *b;
  if (ge_bench_new(&lim, size && (data[0] & 1), &b, &err)) return 0;
  size_t half = size / 2;
  if (ge_bench_add_bytes(b, "a", data, half, &err) ||
      ge_bench_add_bytes(b, "b", data + half, size - half, &err)) {
    ge_bench_free(b);
    return 0;
  }
  ge_bench_info in;
  ge_bench_info_get(b, &in);
  for (size_t i = 0; ge_bench_warning(b, i); i++) (void)(volatile char)ge_bench_warning(b, i)[0];
  double centers[64];
  size_t nc = 0;
  double *prev = NULL;
  size_t prevn = 0;
  ge_bench_row r;
  for (size_t i = 0; i < in.rows && i < 200 && ge_bench_row_get(b, i, &r) == 1; i++) {
    touch(r.config), touch(r.name), touch(r.unit), touch(ge_bench_input_name(b, r.input));
    char tidied[2 * 256 + 1];
    if (r.unit.len <= 256) {
      ge_bench_tidy(r.unit.ptr, r.unit.len, tidied);
      touch(ge_bench_unit_meta(b, tidied, strlen(tidied), "assume"));
    }
    size_t n = r.count < 200 ? r.count : 200;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) break;
    memcpy(v, r.values, n * sizeof *v);
    ge_bench_sort(v, n);
    ge_bench_summary s;
    if (n) {
      ge_bench_median_ci(v, n, 0.95, &s);
      if (nc < 64) centers[nc++] = s.center;
      ge_bench_exact_summary(v, n, &s);
    }
    if (prev) {
      double p;
      int exact;
      ge_bench_utest(prev, prevn, v, n, &p, &exact);
    }
    free(prev);
    prev = v, prevn = n;
  }
  free(prev);
  (void)(volatile double)ge_bench_geomean(centers, nc);
  const ge_bench_cell *cells;
  size_t ncells;
  if (ge_bench_cells(b, &cells, &ncells, &err) == GE_OK)
    for (size_t i = 0; i < ncells; i++) {
      touch(cells[i].config), touch(cells[i].name), touch(cells[i].unit);
      if (cells[i].count) (void)(volatile double)cells[i].values[cells[i].count - 1];
    }
  ge_bench_free(b);
  return 0;
}
