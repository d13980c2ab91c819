/* A set of benchmark results: inputs read line by line into rows of
 * values, one row per (input, configuration, name, unit). */
#include <stdlib.h>
#include <string.h>

#include "core/mapfile.h"
#include "internal.h"

ge_err ge_bench_new(const ge_limits *lim, int strict, ge_bench **out, ge_error *err) {
  *out = NULL;
  ge_bench *b = calloc(1, sizeof *b);
  if (!b) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  if (lim) b->lim = *lim;
  else ge_limits_default(&b->lim);
  b->strict = strict;
  ge_intern_init(&b->strs);
  ge_arena_init(&b->arena, 4096);
  *out = b;
  return GE_OK;
}

void ge_bench_free(ge_bench *b) {
  if (!b) return;
  ge_intern_free(&b->strs);
  ge_arena_free(&b->arena);
  GE_VEC_FREE(b->inputs);
  GE_VEC_FREE(b->rows);
  ge_hashidx_free(&b->rowix);
  GE_VEC_FREE(b->vals);
  free(b->flat);
  GE_VEC_FREE(b->meta);
  GE_VEC_FREE(b->cells);
  free(b->cell_out);
  free(b->cell_vals);
  GE_VEC_FREE(b->cfg);
  GE_VEC_FREE(b->scratch);
  GE_VEC_FREE(b->fields);
  for (size_t i = 0; i < b->pending.n; i++) GE_VEC_FREE(b->pending.v[i].text);
  GE_VEC_FREE(b->pending);
  free(b);
}

/* The current configuration as one interned string, "key\tvalue\n" per
 * key: rows compare configurations by id. */
static ge_err config_id(ge_bench *b, ge_error *err) {
  size_t need = 0;
  for (size_t i = 0; i < b->cfg.n; i++)
    need += ge_intern_get(&b->strs, b->cfg.v[i].key)->len +
            ge_intern_get(&b->strs, b->cfg.v[i].value)->len + 2;
  if (ge_vec_reserve((void **)&b->scratch.v, &b->scratch.cap, 0, need + 1, 1))
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  size_t o = 0;
  for (size_t i = 0; i < b->cfg.n; i++) {
    const ge_intern_entry *k = ge_intern_get(&b->strs, b->cfg.v[i].key);
    const ge_intern_entry *v = ge_intern_get(&b->strs, b->cfg.v[i].value);
    memcpy(b->scratch.v + o, k->ptr, k->len);
    o += k->len;
    b->scratch.v[o++] = '\t';
    memcpy(b->scratch.v + o, v->ptr, v->len);
    o += v->len;
    b->scratch.v[o++] = '\n';
  }
  uint32_t id = ge_intern_add(&b->strs, b->scratch.v, o);
  if (id == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  b->cfg_id = id;
  b->cfg_dirty = 0;
  return GE_OK;
}

static uint32_t row_hash(uint32_t input, uint32_t config, uint32_t name, uint32_t unit) {
  uint64_t h = ge_mix64(input);
  h = ge_mix64(h ^ config);
  h = ge_mix64(h ^ name);
  h = ge_mix64(h ^ unit);
  return (uint32_t)h;
}

static uint32_t rowrec_hash(const void *ctx, uint32_t i) {
  return ((const ge_bench *)ctx)->rows.v[i].hash;
}

ge_err ge_bench_add_value(ge_bench *b, uint32_t name, uint32_t unit, double v, ge_error *err) {
  if (b->cfg_dirty) {
    ge_err e = config_id(b, err);
    if (e) return e;
  }
  if (b->vals.n >= b->lim.max_records)
    return ge_fail(err, GE_ERR_LIMIT, "%s: line %llu: more than %llu values (limit max_records = %llu)",
                   b->name, (unsigned long long)b->line, (unsigned long long)b->lim.max_records,
                   (unsigned long long)b->lim.max_records);
  uint32_t h = row_hash(b->input, b->cfg_id, name, unit);
  if (ge_hashidx_reserve(&b->rowix, b->rows.n, rowrec_hash, b))
    return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  size_t j = ge_hashidx_first(&b->rowix, h);
  uint32_t i;
  for (; (i = ge_hashidx_at(&b->rowix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&b->rowix, j)) {
    const ge_bench_rowrec *r = &b->rows.v[i];
    if (r->hash == h && r->input == b->input && r->config == b->cfg_id && r->name == name &&
        r->unit == unit)
      break;
  }
  if (i == GE_HASHIDX_NONE) {
    if (b->rows.n >= UINT32_MAX - 1) return ge_fail(err, GE_ERR_LIMIT, "too many rows");
    ge_bench_rowrec *r = GE_VEC_PUSH_SLOT(b->rows);
    if (!r) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    *r = (ge_bench_rowrec){b->input, b->cfg_id, name, unit, h, 0, 0};
    i = (uint32_t)(b->rows.n - 1);
    ge_hashidx_set(&b->rowix, j, i);
  }
  b->rows.v[i].count++;
  ge_bench_val *val = GE_VEC_PUSH_SLOT(b->vals);
  if (!val) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  val->row = i, val->v = v;
  return GE_OK;
}

static ge_err read_input(ge_bench *b, const char *name, const char *data, size_t len,
                         ge_error *err) {
  uint32_t nid = ge_intern_add(&b->strs, name, strlen(name));
  uint32_t *in = nid == UINT32_MAX ? NULL : GE_VEC_PUSH_SLOT(b->inputs);
  if (!in) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  *in = nid;
  b->name = ge_intern_get(&b->strs, nid)->ptr;
  b->input = (uint32_t)(b->inputs.n - 1);
  b->line = 0;
  b->cfg.n = 0;
  b->cfg_dirty = 1;
  b->json_events = 0;
  size_t pos = 0;
  while (pos < len) {
    const char *s = data + pos;
    const char *nl = memchr(s, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - s) : len - pos;
    pos += n + (nl != NULL);
    b->line++;
    if (memchr(s, 0, n))
      return ge_fail(err, GE_ERR_FORMAT, "%s: line %llu: a NUL byte: not benchmark text", b->name,
                     (unsigned long long)b->line);
    ge_err e;
    if (n >= 2 && s[0] == '{' && s[1] == '"') {
      if (n > b->lim.max_line_bytes)
        return ge_fail(err, GE_ERR_LIMIT,
                       "%s: line %llu: %zu bytes long (limit max_line_bytes = %llu)", b->name,
                       (unsigned long long)b->line, n, (unsigned long long)b->lim.max_line_bytes);
      e = ge_bench_json_line(b, s, n, err);
    } else {
      e = ge_bench_line(b, s, n, err);
    }
    if (e) return e;
  }
  b->line++;
  return ge_bench_json_flush(b, err);
}

ge_err ge_bench_add_bytes(ge_bench *b, const char *name, const void *data, size_t len,
                          ge_error *err) {
  return read_input(b, name, data, len, err);
}

ge_err ge_bench_add_file(ge_bench *b, const char *path, ge_error *err) {
  ge_map m;
  ge_err e = ge_map_open_whole(path, &m, &b->lim, err);
  if (e) return e;
  e = read_input(b, strcmp(path, "-") == 0 ? "<stdin>" : path, (const char *)m.data, m.size, err);
  ge_map_close(&m);
  return e;
}

void ge_bench_info_get(const ge_bench *b, ge_bench_info *out) {
  out->inputs = (uint32_t)b->inputs.n;
  out->lines = b->lines;
  out->results = b->results;
  out->rows = b->rows.n;
  out->skipped = b->skipped;
}

const char *ge_bench_warning(const ge_bench *b, size_t i) {
  return i < b->nwarn ? b->warnings[i] : NULL;
}

ge_strview ge_bench_input_name(const ge_bench *b, uint32_t input) {
  if (input >= b->inputs.n) return (ge_strview){NULL, 0};
  const ge_intern_entry *e = ge_intern_get(&b->strs, b->inputs.v[input]);
  return (ge_strview){e->ptr, e->len};
}

/* Values by row, in one array: a counting sort of the values by row. */
static int flatten(ge_bench *b) {
  if (b->flat && b->flat_n == b->vals.n) return 0;
  free(b->flat);
  b->flat = malloc((b->vals.n ? b->vals.n : 1) * sizeof *b->flat);
  if (!b->flat) return -1;
  size_t off = 0;
  for (size_t i = 0; i < b->rows.n; i++) {
    b->rows.v[i].first = off;
    off += b->rows.v[i].count;
  }
  size_t *fill = calloc(b->rows.n ? b->rows.n : 1, sizeof *fill);
  if (!fill) return -1;
  for (size_t i = 0; i < b->vals.n; i++) {
    uint32_t r = b->vals.v[i].row;
    b->flat[b->rows.v[r].first + fill[r]++] = b->vals.v[i].v;
  }
  free(fill);
  b->flat_n = b->vals.n;
  return 0;
}

static ge_strview sv(const ge_bench *b, uint32_t id) {
  const ge_intern_entry *e = ge_intern_get(&b->strs, id);
  return (ge_strview){e->ptr, e->len};
}

int ge_bench_row_get(ge_bench *b, size_t i, ge_bench_row *out) {
  if (i >= b->rows.n) return 0;
  if (flatten(b)) return -1;
  const ge_bench_rowrec *r = &b->rows.v[i];
  out->input = r->input;
  out->config = sv(b, r->config);
  out->name = sv(b, r->name);
  out->unit = sv(b, r->unit);
  out->values = b->flat + r->first;
  out->count = r->count;
  out->config_id = r->config, out->name_id = r->name, out->unit_id = r->unit;
  return 1;
}

ge_strview ge_bench_unit_meta(const ge_bench *b, const char *unit, size_t len, const char *key) {
  uint32_t u = ge_intern_find(&b->strs, unit, len);
  uint32_t k = ge_intern_find(&b->strs, key, strlen(key));
  if (u != UINT32_MAX && k != UINT32_MAX)
    for (size_t i = 0; i < b->meta.n; i++)
      if (b->meta.v[i].unit == u && b->meta.v[i].key == k) return sv(b, b->meta.v[i].value);
  return (ge_strview){NULL, 0};
}

/* benchunit.Tidy: tokens split at '*', '/', '-' and spaces; a '/' starts
 * the denominator, a '*' ends it; numerator "ns" and "MB" are rescaled. */
double ge_bench_tidy(const char *unit, size_t len, char *out) {
  if (len == 5 && !memcmp(unit, "ns/op", 5)) {
    memcpy(out, "sec/op", 7);
    return 1e-9;
  }
  if (len == 4 && !memcmp(unit, "MB/s", 4)) {
    memcpy(out, "B/s", 4);
    return 1e6;
  }
  double factor = 1;
  size_t o = 0;
  int denom = 0;
  for (size_t i = 0; i < len;) {
    char c = unit[i];
    if (c == '*' || c == '/' || c == '-' || c == ' ' || c == '\t') {
      if (c == '*') denom = 0;
      if (c == '/') denom = 1;
      out[o++] = c, i++;
      continue;
    }
    size_t s = i;
    while (i < len && !(unit[i] == '*' || unit[i] == '/' || unit[i] == '-' || unit[i] == ' ' ||
                        unit[i] == '\t'))
      i++;
    size_t n = i - s;
    if (!denom && n == 2 && !memcmp(unit + s, "ns", 2)) {
      memcpy(out + o, "sec", 3), o += 3;
      factor /= 1e9;
    } else if (!denom && n == 2 && !memcmp(unit + s, "MB", 2)) {
      out[o++] = 'B';
      factor *= 1e6;
    } else {
      memcpy(out + o, unit + s, n), o += n;
    }
  }
  out[o] = 0;
  return factor;
}
