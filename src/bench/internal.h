/* ge_bench internals shared by the parser (parse.c, json.c), the result
 * set (set.c) and the statistics (stats.c, utest.c, gomath.c). */
#ifndef GE_BENCH_INTERNAL_H
#define GE_BENCH_INTERNAL_H
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/hashidx.h"
#include "core/intern.h"
#include "core/vec.h"
#include "goescape/bench.h"

#define GE_BENCH_MAX_WARNINGS 20

typedef struct ge_bench_rowrec {
  uint32_t input, config, name, unit; /* intern ids */
  uint32_t hash;
  size_t count, first; /* values; first: offset in the flat array */
} ge_bench_rowrec;

typedef struct ge_bench_val {
  uint32_t row;
  double v;
} ge_bench_val;

typedef struct ge_bench_meta {
  uint32_t unit, key, value; /* tidied unit */
} ge_bench_meta;

typedef struct ge_bench_kv {
  uint32_t key, value;
} ge_bench_kv;

/* A value of the result line being read, and its unit. */
typedef struct ge_bench_field {
  double v;
  const char *unit;
  size_t len;
} ge_bench_field;

/* Text lines of -json Output, held until their newline arrives. */
typedef struct ge_bench_pending {
  uint32_t key; /* intern id of "Package\0Test" */
  GE_VEC(char) text;
  uint64_t line; /* the JSON line that started it */
} ge_bench_pending;

typedef struct ge_bench_cellrec {
  uint32_t config, name, unit, hash;
  size_t count, first;
} ge_bench_cellrec;

struct ge_bench {
  ge_limits lim;
  int strict;
  ge_intern strs;
  ge_arena arena; /* warnings */
  GE_VEC(uint32_t) inputs;
  GE_VEC(ge_bench_rowrec) rows;
  ge_hashidx rowix;
  GE_VEC(ge_bench_val) vals;
  double *flat; /* values by row, rebuilt when stale */
  size_t flat_n;
  GE_VEC(ge_bench_meta) meta;
  /* benchstat's cells (ge_bench_cells), rebuilt when stale */
  GE_VEC(ge_bench_cellrec) cells;
  ge_bench_cell *cell_out;
  double *cell_vals;
  size_t cells_n; /* values when built */
  int cells_built;
  const char *warnings[GE_BENCH_MAX_WARNINGS];
  size_t nwarn;
  uint64_t lines, results, skipped;
  /* per-input parse state */
  const char *name;
  uint32_t input;
  uint64_t line;
  GE_VEC(ge_bench_kv) cfg;
  uint32_t cfg_id;
  int cfg_dirty;
  GE_VEC(char) scratch;
  GE_VEC(ge_bench_field) fields;
  GE_VEC(ge_bench_pending) pending;
  uint64_t json_events; /* test2json events read from this input */
};

/* One text line of the benchmark format (no newline). */
ge_err ge_bench_line(ge_bench *b, const char *s, size_t n, ge_error *err);
/* One line that is a test2json event: its Output is fed as text. */
ge_err ge_bench_json_line(ge_bench *b, const char *s, size_t n, ge_error *err);
/* Flushes held -json output at the end of an input. */
ge_err ge_bench_json_flush(ge_bench *b, ge_error *err);
/* A skipped line: counted, its message kept; an error under strict. */
ge_err ge_bench_skip(ge_bench *b, ge_error *err, const char *fmt, ...) GE_PRINTF(3, 4);
ge_err ge_bench_add_value(ge_bench *b, uint32_t name, uint32_t unit, double v, ge_error *err);

double ge_go_log(double x);
double ge_go_choose(int n, int k);
#endif
