/* A set of gctrace/scavtrace inputs: every line read with ge_gctrace_line,
 * GC cycles and scavenger lines kept in two grown arrays, runs told apart by
 * the cycle number starting again (several programs' stderr in one log). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/mapfile.h"
#include "core/vec.h"
#include "goescape/memory.h"

#define MAX_WARNINGS 20

struct ge_gctrace {
  ge_limits lim;
  int strict;
  ge_arena arena; /* input names, warnings */
  GE_VEC(const char *) inputs;
  GE_VEC(ge_gc_cycle) cycles;
  GE_VEC(ge_scav_line) scavs;
  const char *warnings[MAX_WARNINGS];
  size_t nwarn;
  uint64_t lines, skipped, malformed;
  uint32_t run;     /* the current run; runs = run + 1 once a line was kept */
  uint64_t last_n;  /* the last GC number of the current run, 0: none yet */
  int run_used;     /* a record of the current run was kept */
};

ge_err ge_gctrace_new(const ge_limits *lim, int strict, ge_gctrace **out, ge_error *err) {
  *out = NULL;
  ge_gctrace *g = calloc(1, sizeof *g);
  if (!g) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  if (lim) g->lim = *lim;
  else ge_limits_default(&g->lim);
  g->strict = strict;
  ge_arena_init(&g->arena, 4096);
  *out = g;
  return GE_OK;
}

void ge_gctrace_free(ge_gctrace *g) {
  if (!g) return;
  ge_arena_free(&g->arena);
  GE_VEC_FREE(g->inputs);
  GE_VEC_FREE(g->cycles);
  GE_VEC_FREE(g->scavs);
  free(g);
}

static ge_err malformed(ge_gctrace *g, const char *name, uint64_t line, const char *why,
                        ge_error *err) {
  if (g->strict)
    return ge_fail(err, GE_ERR_FORMAT, "%s: line %llu: expected %s", name,
                   (unsigned long long)line, why);
  g->malformed++;
  if (g->nwarn < MAX_WARNINGS) {
    char msg[600];
    int n = snprintf(msg, sizeof msg, "%s: line %llu: expected %s", name, (unsigned long long)line,
                     why);
    if (n < 0) return GE_OK;
    size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    const char *w = ge_arena_strndup(&g->arena, msg, len);
    if (!w) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    g->warnings[g->nwarn++] = w;
  }
  return GE_OK;
}

static ge_err read_input(ge_gctrace *g, const char *name, const char *data, size_t len,
                         ge_error *err) {
  const char *nm = ge_arena_strndup(&g->arena, name, strlen(name));
  const char **slot = nm ? GE_VEC_PUSH_SLOT(g->inputs) : NULL;
  if (!slot) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  *slot = nm;
  uint32_t input = (uint32_t)(g->inputs.n - 1);
  /* each input is its own program's stderr */
  if (g->run_used) g->run++, g->run_used = 0;
  g->last_n = 0;
  uint64_t line = 0;
  size_t pos = 0;
  while (pos < len) {
    const char *s = data + pos;
    const char *nl = memchr(s, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - s) : len - pos;
    pos += n + (nl != NULL);
    line++;
    g->lines++;
    if (n > g->lim.max_line_bytes)
      return ge_fail(err, GE_ERR_LIMIT, "%s: line %llu: %zu bytes long (limit max_line_bytes = %llu)",
                     nm, (unsigned long long)line, n, (unsigned long long)g->lim.max_line_bytes);
    if (memchr(s, 0, n))
      return ge_fail(err, GE_ERR_FORMAT, "%s: line %llu: a NUL byte: not a GODEBUG=gctrace log",
                     nm, (unsigned long long)line);
    ge_gc_cycle c;
    ge_scav_line sc;
    const char *why;
    int kind = ge_gctrace_line(s, n, &c, &sc, &why);
    if (kind == 0) {
      g->skipped++;
      continue;
    }
    if (kind < 0) {
      ge_err e = malformed(g, nm, line, why, err);
      if (e) return e;
      continue;
    }
    if (g->cycles.n + g->scavs.n >= g->lim.max_records)
      return ge_fail(err, GE_ERR_LIMIT, "%s: line %llu: more than %llu records (limit max_records = %llu)",
                     nm, (unsigned long long)line, (unsigned long long)g->lim.max_records,
                     (unsigned long long)g->lim.max_records);
    if (kind == 1) {
      if (g->run_used && g->last_n && c.n <= g->last_n) g->run++;
      c.line = line, c.input = input, c.run = g->run;
      g->last_n = c.n;
      ge_gc_cycle *slotc = GE_VEC_PUSH_SLOT(g->cycles);
      if (!slotc) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
      *slotc = c;
    } else {
      sc.line = line, sc.input = input, sc.run = g->run, sc.after_n = g->last_n;
      ge_scav_line *slots = GE_VEC_PUSH_SLOT(g->scavs);
      if (!slots) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
      *slots = sc;
    }
    g->run_used = 1;
  }
  return GE_OK;
}

ge_err ge_gctrace_add_bytes(ge_gctrace *g, const char *name, const void *data, size_t len,
                            ge_error *err) {
  return read_input(g, name, data, len, err);
}

ge_err ge_gctrace_add_file(ge_gctrace *g, const char *path, ge_error *err) {
  ge_map m;
  ge_err e = ge_map_open_whole(path, &m, &g->lim, err);
  if (e) return e;
  e = read_input(g, strcmp(path, "-") == 0 ? "<stdin>" : path, (const char *)m.data, m.size, err);
  ge_map_close(&m);
  return e;
}

void ge_gctrace_info_get(const ge_gctrace *g, ge_gctrace_info *out) {
  out->inputs = (uint32_t)g->inputs.n;
  out->runs = g->run + (g->run_used ? 1 : 0);
  out->lines = g->lines;
  out->cycles = g->cycles.n;
  out->scavs = g->scavs.n;
  out->skipped = g->skipped;
  out->malformed = g->malformed;
}

const ge_gc_cycle *ge_gctrace_cycles(const ge_gctrace *g, size_t *n) {
  *n = g->cycles.n;
  return g->cycles.v;
}

const ge_scav_line *ge_gctrace_scavs(const ge_gctrace *g, size_t *n) {
  *n = g->scavs.n;
  return g->scavs.v;
}

const char *ge_gctrace_warning(const ge_gctrace *g, size_t i) {
  return i < g->nwarn ? g->warnings[i] : NULL;
}

ge_strview ge_gctrace_input_name(const ge_gctrace *g, uint32_t input) {
  if (input >= g->inputs.n) return (ge_strview){NULL, 0};
  return (ge_strview){g->inputs.v[input], strlen(g->inputs.v[input])};
}
