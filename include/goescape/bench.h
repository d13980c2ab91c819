/* goescape — ge_bench API: Go benchmark results (the format of
 * golang.org/design/14313-benchmark-format, as `go test -bench` prints it,
 * bare or wrapped in `go test -json` events) and the statistics benchstat
 * (golang.org/x/perf/cmd/benchstat) computes over them.
 *
 * A ge_bench is a set of results read from one or more inputs. Results are
 * grouped into rows: one row per (input, configuration, full name, unit),
 * holding the values of every result line of that group in input order. The
 * configuration is the `key: value` lines in force when the result was read
 * (benchstat's ".config"), the full name is the name without "Benchmark"
 * (with its /key=value parts and -N suffix), the unit is the unit as written
 * ("ns/op"; ge_bench_tidy gives benchstat's "sec/op").
 *
 * Lines benchstat would skip with a message (a result line with a bad
 * number, a bad Unit line, conflicting unit metadata) are skipped and
 * counted; the first few messages are kept ("file:line: ..."), and with
 * `strict` the first one is an error instead. */
#ifndef GOESCAPE_BENCH_H
#define GOESCAPE_BENCH_H
#include "../goescape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_bench ge_bench;

GE_API ge_err ge_bench_new(const ge_limits *lim, int strict, ge_bench **out, ge_error *err);
GE_API void ge_bench_free(ge_bench *b);
/* Adds one input: a file ("-" is stdin), or bytes in memory (copied as they
 * are read; `name` stands for them in messages and rows). Each input starts
 * with an empty configuration, as benchfmt's reader does per file. */
GE_API ge_err ge_bench_add_file(ge_bench *b, const char *path, ge_error *err);
GE_API ge_err ge_bench_add_bytes(ge_bench *b, const char *name, const void *data, size_t len,
                                 ge_error *err);

typedef struct ge_bench_info {
  uint32_t inputs;
  uint64_t lines;    /* text lines read (lines of Output text for -json input) */
  uint64_t results;  /* result lines kept */
  uint64_t rows;
  uint64_t skipped;  /* malformed lines skipped (see ge_bench_warning) */
} ge_bench_info;
GE_API void ge_bench_info_get(const ge_bench *b, ge_bench_info *out);
/* The i-th kept message about a skipped line, NULL past the last. */
GE_API const char *ge_bench_warning(const ge_bench *b, size_t i);
GE_API ge_strview ge_bench_input_name(const ge_bench *b, uint32_t input);

typedef struct ge_bench_row {
  uint32_t input;
  ge_strview config; /* "key\tvalue\n" per key, in first-set order */
  ge_strview name;   /* full name without "Benchmark" */
  ge_strview unit;
  const double *values; /* count values, input order */
  size_t count;
  uint32_t config_id, name_id, unit_id; /* equal strings, equal ids */
} ge_bench_row;
/* Row i (first-seen order): 1 when filled, 0 past the end, -1 out of memory
 * (the values of every row are laid out together on first use). */
GE_API int ge_bench_row_get(ge_bench *b, size_t i, ge_bench_row *out);

/* benchstat's cells of the set: the values of every input grouped by
 * (configuration, full name, tidied unit), in the order benchstat first
 * sees them (result line by result line), each value tidied. A value that
 * tidying leaves unchanged (0 ns/op) keeps its unit as written, as benchfmt
 * keeps it. Owned by the set, valid until it reads another input. */
typedef struct ge_bench_cell {
  ge_strview config, name, unit;
  const double *values;
  size_t count;
} ge_bench_cell;
GE_API ge_err ge_bench_cells(ge_bench *b, const ge_bench_cell **out, size_t *n, ge_error *err);

/* Unit metadata from `Unit UNIT key=value` lines, by tidied unit. */
GE_API ge_strview ge_bench_unit_meta(const ge_bench *b, const char *tidied_unit, size_t len,
                                     const char *key);

/* benchunit.Tidy: "ns/op" -> "sec/op" x 1e-9, "MB/s" -> "B/s" x 1e6, and
 * every "ns" / "MB" token of a numerator likewise. Writes the tidied unit
 * (room for 2 * len + 1 bytes: "ns" grows to "sec"; NUL-terminated) to out and returns the factor. */
GE_API double ge_bench_tidy(const char *unit, size_t len, char *out);

/* ---- statistics (benchmath's AssumeNothing / AssumeExact) ---- */

typedef struct ge_bench_summary {
  double center, lo, hi; /* lo/hi may be -inf/+inf */
  double confidence;     /* what the interval achieves */
  int lo_order, hi_order; /* 1-based order statistics; 0 / n+1: unbounded */
  int warn_samples;      /* the interval is unbounded: need >= this many */
  int exact_spread;      /* assume=exact with values that differ */
} ge_bench_summary;

/* sorted: n values in ascending order (ge_bench_sort). conf in (0, 1). */
GE_API void ge_bench_sort(double *v, size_t n);
GE_API void ge_bench_median_ci(const double *sorted, size_t n, double conf,
                               ge_bench_summary *out);
GE_API void ge_bench_exact_summary(const double *sorted, size_t n, ge_bench_summary *out);

/* The two-sided Mann-Whitney U test of sorted samples x (n1) and y (n2).
 * Returns 0 with *p set, or 1 when benchstat's test fails with "all
 * samples are equal" (it then reports p = 1), 2 for an empty sample. */
GE_API int ge_bench_utest(const double *x, size_t n1, const double *y, size_t n2, double *p,
                          int *exact);
/* stats.GeoMean: NaN when xs is empty or any x <= 0. */
GE_API double ge_bench_geomean(const double *xs, size_t n);

#ifdef __cplusplus
}
#endif
#endif
