/* ge_profile lifecycle and accessors: open/parse pick the decoder (gzip is
 * detected by magic; legacy text by its header line; profile.proto else). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mapfile.h"
#include "core/gzip.h"
#include "model.h"

_Static_assert(sizeof(pline) == sizeof(ge_prof_line) &&
                   offsetof(pline, line) == offsetof(ge_prof_line, line) &&
                   offsetof(pline, column) == offsetof(ge_prof_line, column),
               "pline and ge_prof_line must share a layout");

ge_profile *ge_prof_new(const ge_limits *lim) {
  ge_profile *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  ge_intern_init(&p->str);
  if (!p->str.ents) {
    free(p);
    return NULL;
  }
  if (lim) p->lim = *lim;
  else ge_limits_default(&p->lim);
  p->format = "proto";
  return p;
}

int ge_prof_begin_samples(ge_profile *p) {
  uint32_t *a = GE_VEC_PUSH_SLOT(p->s_loff);
  if (!a) return -1;
  *a = 0;
  uint32_t *b = GE_VEC_PUSH_SLOT(p->s_lab);
  if (!b) return -1;
  *b = 0;
  return 0;
}

int ge_prof_end_sample(ge_profile *p) {
  uint32_t *a = GE_VEC_PUSH_SLOT(p->s_loff);
  if (!a) return -1;
  *a = (uint32_t)p->s_locs.n;
  uint32_t *b = GE_VEC_PUSH_SLOT(p->s_lab);
  if (!b) return -1;
  *b = (uint32_t)p->labels.n;
  p->nsamples++;
  return 0;
}

void ge_profile_free(ge_profile *p) {
  if (!p) return;
  ge_intern_free(&p->str);
  GE_VEC_FREE(p->st);
  GE_VEC_FREE(p->maps);
  GE_VEC_FREE(p->funcs);
  GE_VEC_FREE(p->locs);
  GE_VEC_FREE(p->lines);
  GE_VEC_FREE(p->s_loff);
  GE_VEC_FREE(p->s_locs);
  GE_VEC_FREE(p->s_lab);
  GE_VEC_FREE(p->labels);
  GE_VEC_FREE(p->values);
  GE_VEC_FREE(p->comments);
  free(p);
}

ge_err ge_profile_parse(const char *name, const void *data, size_t len, const ge_limits *lim,
                        ge_profile **out, ge_error *err) {
  *out = NULL;
  if (!name) name = "profile";
  if (!data && len) return ge_fail(err, GE_ERR_ARG, "%s: no data", name);
  ge_profile *p = ge_prof_new(lim);
  if (!p) return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
  const unsigned char *b = data;
  unsigned char *inflated = NULL;
  size_t n = len;
  ge_err rc = GE_OK;
  if (len == 0) {
    rc = ge_fail(err, GE_ERR_FORMAT, "empty input");
  } else if (ge_is_gzip(b, len)) {
    rc = ge_gunzip(b, len, p->lim.max_inflated_bytes, &inflated, &n, err);
    b = inflated;
    if (!rc && n == 0) rc = ge_fail(err, GE_ERR_FORMAT, "empty input after gzip");
  }
  if (!rc) {
    if (ge_prof_is_legacy(b, n)) rc = ge_prof_decode_legacy(p, b, n, err);
    else rc = ge_prof_decode_proto(p, b, n, err);
  }
  free(inflated);
  if (!rc) rc = ge_prof_prune(p, err);
  if (rc) {
    ge_error_prefix(err, name);
    ge_profile_free(p);
    return rc;
  }
  *out = p;
  return GE_OK;
}

/* The first bytes of a regular file, before it is read whole: neither gzip
 * nor legacy text, and a first protobuf key of field number 0 (zeros: a
 * sparse file), the file is refused as the decoder would refuse it at
 * offset 0, without reading the rest. Returns 0, or -1 with err set. */
static int sniff_start(const char *path, ge_error *err) {
  unsigned char head[64];
  size_t n = ge_read_head(path, head, sizeof head);
  if (n == 0 || ge_is_gzip(head, n) || ge_prof_is_legacy(head, n)) return 0;
  uint64_t key = 0;
  for (size_t i = 0; i < n && i < 10; i++) {
    key |= (uint64_t)(head[i] & 0x7f) << (7 * i);
    if (!(head[i] & 0x80)) break;
  }
  if (key >> 3 != 0) return 0;
  ge_fail(err, GE_ERR_FORMAT, "%s: profile.proto: field number 0 at offset 0", path);
  return -1;
}

ge_err ge_profile_open(const char *path, const ge_limits *lim, ge_profile **out,
                       ge_error *err) {
  *out = NULL;
  ge_limits dl;
  if (!lim) {
    ge_limits_default(&dl);
    lim = &dl;
  }
  if (sniff_start(path, err)) return GE_ERR_FORMAT;
  ge_map m;
  ge_err rc = ge_map_open_whole(path, &m, lim, err);
  if (rc) return rc;
  rc = ge_profile_parse(path, m.data, m.size, lim, out, err);
  ge_map_close(&m);
  return rc;
}

void ge_profile_info(const ge_profile *p, ge_prof_info *o) {
  memset(o, 0, sizeof *o);
  o->nsample_types = p->st.n;
  o->nsamples = p->nsamples;
  o->nlocations = p->locs.n;
  o->nfunctions = p->funcs.n;
  o->nmappings = p->maps.n;
  o->ncomments = p->comments.n;
  o->time_nanos = p->time_nanos;
  o->duration_nanos = p->duration_nanos;
  o->period = p->period;
  o->period_type = ge_prof_str(p, p->period_type.type);
  o->period_unit = ge_prof_str(p, p->period_type.unit);
  o->drop_frames = ge_prof_str(p, p->drop_frames);
  o->keep_frames = ge_prof_str(p, p->keep_frames);
  o->format = p->format;
  o->default_sample = p->st.n ? p->st.n - 1 : 0;
  if (p->default_st)
    for (size_t i = 0; i < p->st.n; i++)
      if (p->st.v[i].type == p->default_st) {
        o->default_sample = i;
        break;
      }
}

ge_err ge_profile_sample_type(const ge_profile *p, size_t i, ge_strview *type,
                              ge_strview *unit) {
  if (i >= p->st.n) return GE_ERR_ARG;
  if (type) *type = ge_prof_str(p, p->st.v[i].type);
  if (unit) *unit = ge_prof_str(p, p->st.v[i].unit);
  return GE_OK;
}

ge_err ge_profile_comment(const ge_profile *p, size_t i, ge_strview *out) {
  if (i >= p->comments.n) return GE_ERR_ARG;
  *out = ge_prof_str(p, p->comments.v[i]);
  return GE_OK;
}

ge_err ge_profile_sample_index(const ge_profile *p, const char *name, size_t *index,
                               ge_error *err) {
  ge_prof_info info;
  ge_profile_info(p, &info);
  if (!name || !*name) {
    if (!p->st.n) return ge_fail(err, GE_ERR_NOTFOUND, "the profile has no sample types");
    *index = info.default_sample;
    return GE_OK;
  }
  size_t len = strlen(name);
  for (size_t i = 0; i < p->st.n; i++) {
    ge_strview t = ge_prof_str(p, p->st.v[i].type);
    if (t.len == len && memcmp(t.ptr, name, len) == 0) {
      *index = i;
      return GE_OK;
    }
  }
  char *end;
  unsigned long v = strtoul(name, &end, 10);
  if (*end == 0 && end != name && v < p->st.n) {
    *index = v;
    return GE_OK;
  }
  char have[256];
  size_t at = 0;
  have[0] = 0;
  for (size_t i = 0; i < p->st.n && at < sizeof have - 1; i++) {
    ge_strview t = ge_prof_str(p, p->st.v[i].type);
    int w = snprintf(have + at, sizeof have - at, "%s%.*s", i ? ", " : "", (int)t.len, t.ptr);
    if (w < 0) break;
    at += (size_t)w;
    if (at >= sizeof have) at = sizeof have - 1;
  }
  return ge_fail(err, GE_ERR_NOTFOUND, "sample type %s not found (have: %s)", name, have);
}

ge_err ge_profile_sample(const ge_profile *p, size_t i, ge_prof_sample *o) {
  if (i >= p->nsamples) return GE_ERR_ARG;
  o->values = p->values.v ? p->values.v + i * p->st.n : NULL;
  o->locations = p->s_locs.v ? p->s_locs.v + p->s_loff.v[i] : NULL;
  o->nlocations = p->s_loff.v[i + 1] - p->s_loff.v[i];
  o->label_start = p->s_lab.v[i];
  o->nlabels = p->s_lab.v[i + 1] - p->s_lab.v[i];
  return GE_OK;
}

ge_err ge_profile_label(const ge_profile *p, uint32_t i, ge_prof_label *o) {
  if (i >= p->labels.n) return GE_ERR_ARG;
  const plabel *l = &p->labels.v[i];
  o->key = ge_prof_str(p, l->key);
  o->str = ge_prof_str(p, l->str);
  o->num_unit = ge_prof_str(p, l->unit);
  o->num = l->num;
  o->is_num = l->is_num;
  return GE_OK;
}

ge_err ge_profile_location(const ge_profile *p, uint32_t i, ge_prof_location *o) {
  if (i >= p->locs.n) return GE_ERR_ARG;
  const ploc *l = &p->locs.v[i];
  o->id = l->id;
  o->address = l->address;
  o->mapping = l->mapping;
  o->lines = p->lines.v ? (const ge_prof_line *)(p->lines.v + l->line_off) : NULL;
  o->nlines = l->nlines;
  o->is_folded = l->folded;
  return GE_OK;
}

ge_err ge_profile_function(const ge_profile *p, uint32_t i, ge_prof_function *o) {
  if (i >= p->funcs.n) return GE_ERR_ARG;
  const pfunc *f = &p->funcs.v[i];
  o->id = f->id;
  o->name = ge_prof_str(p, f->name);
  o->system_name = ge_prof_str(p, f->sysname);
  o->filename = ge_prof_str(p, f->file);
  o->start_line = f->start_line;
  return GE_OK;
}

ge_err ge_profile_mapping(const ge_profile *p, uint32_t i, ge_prof_mapping *o) {
  if (i >= p->maps.n) return GE_ERR_ARG;
  const pmap *m = &p->maps.v[i];
  o->id = m->id;
  o->memory_start = m->start;
  o->memory_limit = m->limit;
  o->file_offset = m->offset;
  o->filename = ge_prof_str(p, m->file);
  o->build_id = ge_prof_str(p, m->build_id);
  o->has_functions = m->has_functions;
  o->has_filenames = m->has_filenames;
  o->has_line_numbers = m->has_line_numbers;
  o->has_inline_frames = m->has_inline_frames;
  return GE_OK;
}
