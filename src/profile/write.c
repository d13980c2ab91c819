/* profile.proto encoder: the string table is the profile's interned strings
 * in id order (id 0 is ""), so string references need no remapping. Ids of
 * locations, functions and mappings are written as stored when non-zero and
 * unique-by-construction, else as index + 1. Repeated scalars are packed
 * (as Go's runtime writes them); zero scalars are omitted (proto3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/gzip.h"
#include "core/outfile.h"
#include "model.h"

typedef struct wbuf {
  unsigned char *v;
  size_t n, cap;
  int oom;
} wbuf;

static void w_reserve(wbuf *b, size_t need) {
  if (b->oom) return;
  if (ge_vec_reserve((void **)&b->v, &b->cap, b->n, need, 1)) b->oom = 1;
}

static void w_varint(wbuf *b, uint64_t v) {
  w_reserve(b, 10);
  if (b->oom) return;
  while (v >= 0x80) {
    b->v[b->n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  b->v[b->n++] = (unsigned char)v;
}

static void w_key(wbuf *b, unsigned f, unsigned wt) { w_varint(b, (uint64_t)f << 3 | wt); }

static void w_uint(wbuf *b, unsigned f, uint64_t v) {
  if (!v) return;
  w_key(b, f, 0);
  w_varint(b, v);
}

static void w_bytes(wbuf *b, unsigned f, const void *p, size_t n) {
  w_key(b, f, 2);
  w_varint(b, n);
  w_reserve(b, n);
  if (b->oom) return;
  if (n) memcpy(b->v + b->n, p, n);
  b->n += n;
}

/* Appends field f holding the sub-message in s, then empties s. */
static void w_sub(wbuf *b, unsigned f, wbuf *s) {
  if (s->oom) b->oom = 1;
  w_bytes(b, f, s->v, s->n);
  s->n = 0;
}

static void w_vt(wbuf *b, unsigned f, pvt t, wbuf *s) {
  w_uint(s, 1, t.type);
  w_uint(s, 2, t.unit);
  w_sub(b, f, s);
}

static int ids_ok(const void *recs, size_t n, size_t stride) {
  /* stored ids usable when non-zero and strictly increasing */
  uint64_t prev = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t id = *(const uint64_t *)((const char *)recs + i * stride);
    if (id <= prev) return 0;
    prev = id;
  }
  return 1;
}

ge_err ge_profile_encode(const ge_profile *p, int gzip, unsigned char **out, size_t *outn,
                         ge_error *err) {
  *out = NULL;
  *outn = 0;
  wbuf b = {0}, s = {0}, s2 = {0};
  int loc_ids = ids_ok(p->locs.v, p->locs.n, sizeof(ploc));
  int fn_ids = ids_ok(p->funcs.v, p->funcs.n, sizeof(pfunc));
  int map_ids = ids_ok(p->maps.v, p->maps.n, sizeof(pmap));
#define LOCID(i) (loc_ids ? p->locs.v[i].id : (uint64_t)(i) + 1)
#define FNID(i) (fn_ids ? p->funcs.v[i].id : (uint64_t)(i) + 1)
#define MAPID(i) (map_ids ? p->maps.v[i].id : (uint64_t)(i) + 1)
  for (size_t i = 0; i < p->st.n; i++) w_vt(&b, 1, p->st.v[i], &s);
  size_t nst = p->st.n;
  for (size_t i = 0; i < p->nsamples && !b.oom; i++) {
    uint32_t lo = p->s_loff.v[i], hi = p->s_loff.v[i + 1];
    if (hi > lo) {
      for (uint32_t k = lo; k < hi; k++) w_varint(&s2, LOCID(p->s_locs.v[k]));
      w_sub(&s, 1, &s2);
    }
    for (size_t k = 0; k < nst; k++) w_varint(&s2, (uint64_t)p->values.v[i * nst + k]);
    w_sub(&s, 2, &s2);
    for (uint32_t k = p->s_lab.v[i]; k < p->s_lab.v[i + 1]; k++) {
      const plabel *lb = &p->labels.v[k];
      w_uint(&s2, 1, lb->key);
      w_uint(&s2, 2, lb->str);
      w_uint(&s2, 3, (uint64_t)lb->num);
      w_uint(&s2, 4, lb->unit);
      w_sub(&s, 3, &s2);
    }
    w_sub(&b, 2, &s);
  }
  for (size_t i = 0; i < p->maps.n; i++) {
    const pmap *m = &p->maps.v[i];
    w_uint(&s, 1, MAPID(i));
    w_uint(&s, 2, m->start);
    w_uint(&s, 3, m->limit);
    w_uint(&s, 4, m->offset);
    w_uint(&s, 5, m->file);
    w_uint(&s, 6, m->build_id);
    w_uint(&s, 7, m->has_functions);
    w_uint(&s, 8, m->has_filenames);
    w_uint(&s, 9, m->has_line_numbers);
    w_uint(&s, 10, m->has_inline_frames);
    w_sub(&b, 3, &s);
  }
  for (size_t i = 0; i < p->locs.n && !b.oom; i++) {
    const ploc *l = &p->locs.v[i];
    w_uint(&s, 1, LOCID(i));
    if (l->mapping != GE_NONE) w_uint(&s, 2, MAPID(l->mapping));
    w_uint(&s, 3, l->address);
    for (uint32_t k = 0; k < l->nlines; k++) {
      const pline *ln = &p->lines.v[l->line_off + k];
      if (ln->func != GE_NONE) w_uint(&s2, 1, FNID(ln->func));
      w_uint(&s2, 2, (uint64_t)ln->line);
      w_uint(&s2, 3, (uint64_t)ln->column);
      w_sub(&s, 4, &s2);
    }
    w_uint(&s, 5, l->folded);
    w_sub(&b, 4, &s);
  }
  for (size_t i = 0; i < p->funcs.n; i++) {
    const pfunc *f = &p->funcs.v[i];
    w_uint(&s, 1, FNID(i));
    w_uint(&s, 2, f->name);
    w_uint(&s, 3, f->sysname);
    w_uint(&s, 4, f->file);
    w_uint(&s, 5, (uint64_t)f->start_line);
    w_sub(&b, 5, &s);
  }
  for (size_t i = 0; i < p->str.n; i++) {
    const ge_intern_entry *e = ge_intern_get(&p->str, (uint32_t)i);
    w_bytes(&b, 6, e->ptr, e->len);
  }
  w_uint(&b, 7, p->drop_frames);
  w_uint(&b, 8, p->keep_frames);
  w_uint(&b, 9, (uint64_t)p->time_nanos);
  w_uint(&b, 10, (uint64_t)p->duration_nanos);
  if (p->period_type.type || p->period_type.unit) w_vt(&b, 11, p->period_type, &s);
  w_uint(&b, 12, (uint64_t)p->period);
  for (size_t i = 0; i < p->comments.n; i++) {
    w_key(&b, 13, 0);
    w_varint(&b, p->comments.v[i]);
  }
  w_uint(&b, 14, p->default_st);
  int oom = b.oom || s.oom || s2.oom;
  free(s.v);
  free(s2.v);
  if (oom) {
    free(b.v);
    return ge_fail(err, GE_ERR_NOMEM, "profile.proto: out of memory encoding");
  }
  if (!gzip) {
    *out = b.v;
    *outn = b.n;
    return GE_OK;
  }
  ge_err rc = ge_gzip(b.v, b.n, out, outn, err);
  free(b.v);
  return rc;
}

ge_err ge_profile_write(const ge_profile *p, const char *path, ge_error *err) {
  unsigned char *buf;
  size_t n;
  ge_err rc = ge_profile_encode(p, 1, &buf, &n, err);
  if (rc) return rc;
  rc = ge_write_file(path, buf, n, err);
  free(buf);
  return rc;
}
