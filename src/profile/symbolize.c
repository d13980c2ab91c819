/* Symbolization: fills the lines of address-only locations (legacy
 * profiles, profiles of stripped programs), from a resolver called once per
 * address (ge_profile_symbolize) or from a Go binary, answered in one batch
 * (ge_profile_symbolize_binary: the join of the profile and binary layers).
 * Strings are copied into the profile; functions are unified by (name, file)
 * with the existing ones. Both end with pprof's drop_frames pruning, which
 * pprof applies after symbolization. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model.h"

typedef struct symtab {
  ge_profile *p;
  ge_hashidx ix;    /* funcs by (name, file) */
  uint64_t next_id; /* the largest function id: new functions follow it */
  int maxf;         /* frames kept per location */
} symtab;

static uint32_t fhash(uint32_t name, uint32_t file) {
  return (uint32_t)ge_mix64((uint64_t)name << 32 | file);
}

static uint32_t func_hash(const void *ctx, uint32_t i) {
  const pfunc *f = &((const ge_profile *)ctx)->funcs.v[i];
  return fhash(f->name, f->file);
}

static ge_err nomem(ge_error *err) { return ge_fail(err, GE_ERR_NOMEM, "symbolize: out of memory"); }

static ge_err sym_begin(symtab *t, ge_profile *p, ge_error *err) {
  memset(t, 0, sizeof *t);
  t->p = p;
  /* clamped as unsigned: a depth past INT_MAX (limits are uint32) would
   * turn negative as an int, and so would a buffer's size */
  uint32_t depth = p->lim.max_inline_depth ? p->lim.max_inline_depth : 1;
  t->maxf = depth > 4096 ? 4096 : (int)depth;
  for (size_t i = 0; i < p->funcs.n; i++)
    if (p->funcs.v[i].id > t->next_id) t->next_id = p->funcs.v[i].id;
  /* the existing functions, in order: of two with one (name, file), the
   * first is the one found */
  return ge_hashidx_reserve(&t->ix, p->funcs.n, func_hash, p) ? nomem(err) : GE_OK;
}

/* The function (name, file), found or added; GE_NONE when out of memory. */
static uint32_t sym_func(symtab *t, uint32_t nm, uint32_t fl) {
  ge_profile *p = t->p;
  if (ge_hashidx_reserve(&t->ix, p->funcs.n, func_hash, p)) return GE_NONE;
  size_t j = ge_hashidx_first(&t->ix, fhash(nm, fl));
  for (uint32_t i; (i = ge_hashidx_at(&t->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&t->ix, j)) {
    const pfunc *pf = &p->funcs.v[i];
    if (pf->name == nm && pf->file == fl) return i;
  }
  pfunc *nf = GE_VEC_PUSH_SLOT(p->funcs);
  if (!nf) return GE_NONE;
  *nf = (pfunc){++t->next_id, nm, nm, fl, 0};
  ge_hashidx_set(&t->ix, j, (uint32_t)p->funcs.n - 1);
  return (uint32_t)p->funcs.n - 1;
}

/* Gives location i the frames fr[0..n) (innermost first; at most maxf). */
static ge_err sym_set(symtab *t, size_t i, const ge_sym_frame *fr, int n, ge_error *err) {
  ge_profile *p = t->p;
  if (n > t->maxf) n = t->maxf;
  uint32_t off = (uint32_t)p->lines.n;
  for (int k = 0; k < n; k++) {
    const ge_sym_frame *f = &fr[k];
    uint32_t nm = ge_intern_add(&p->str, f->func ? f->func : "", f->func ? f->func_len : 0);
    uint32_t fl = ge_intern_add(&p->str, f->file ? f->file : "", f->file ? f->file_len : 0);
    uint32_t fi = nm == UINT32_MAX || fl == UINT32_MAX ? GE_NONE : sym_func(t, nm, fl);
    pline *ln = fi == GE_NONE ? NULL : GE_VEC_PUSH_SLOT(p->lines);
    if (!ln) {
      p->lines.n = off;
      return nomem(err);
    }
    *ln = (pline){fi, f->line, 0};
  }
  ploc *l = &p->locs.v[i];
  l->line_off = off;
  l->nlines = (uint32_t)n;
  if (n && l->mapping != GE_NONE) {
    pmap *m = &p->maps.v[l->mapping];
    m->has_functions = m->has_filenames = m->has_line_numbers = 1;
    m->has_inline_frames = 1;
  }
  return GE_OK;
}

static ge_err sym_end(symtab *t, ge_err rc, ge_error *err) {
  ge_hashidx_free(&t->ix);
  return rc ? rc : ge_prof_prune(t->p, err);
}

static int wants_lines(const ploc *l) { return !l->nlines && l->address; }

ge_err ge_profile_symbolize(ge_profile *p, ge_resolve_fn fn, void *ud, ge_error *err) {
  if (!fn) return ge_fail(err, GE_ERR_ARG, "symbolize: no resolver");
  symtab t;
  ge_err rc = sym_begin(&t, p, err);
  ge_sym_frame *frames = rc ? NULL : malloc((size_t)t.maxf * sizeof *frames);
  if (!rc && !frames) rc = nomem(err);
  for (size_t i = 0; i < p->locs.n && !rc; i++) {
    if (!wants_lines(&p->locs.v[i])) continue;
    uint64_t addr = p->locs.v[i].address;
    int n = fn(ud, addr, frames, t.maxf);
    if (n < 0)
      rc = ge_fail(err, GE_ERR_ARG, "symbolize: the resolver failed at address 0x%llx",
                   (unsigned long long)addr);
    else rc = sym_set(&t, i, frames, n, err);
  }
  free(frames);
  return sym_end(&t, rc, err);
}

ge_err ge_profile_symbolize_binary(ge_profile *p, ge_binary *b, ge_error *err) {
  if (!b) return ge_fail(err, GE_ERR_ARG, "symbolize: no binary");
  symtab t;
  ge_err rc = sym_begin(&t, p, err);
  if (rc) return sym_end(&t, rc, err);
  size_t n = 0;
  for (size_t i = 0; i < p->locs.n; i++) n += wants_lines(&p->locs.v[i]);
  uint64_t *pcs = malloc((n ? n : 1) * sizeof *pcs);
  uint32_t *at = malloc((n ? n : 1) * sizeof *at);
  ge_pcframes *res = malloc((n ? n : 1) * sizeof *res);
  ge_sym_frame *fr = malloc((size_t)t.maxf * sizeof *fr);
  if (!pcs || !at || !res || !fr) rc = nomem(err);
  size_t k = 0;
  for (size_t i = 0; i < p->locs.n && !rc; i++) {
    if (!wants_lines(&p->locs.v[i])) continue;
    pcs[k] = p->locs.v[i].address;
    at[k++] = (uint32_t)i;
  }
  /* one batch: each function's tables decoded once, PCs in address order;
   * a PC the binary cannot answer (unknown, corrupt tables, a chain deeper
   * than the limits) keeps its address, as a resolver's nil does */
  const ge_frame *frames = NULL;
  if (!rc && n) rc = ge_binary_lookup_many(b, pcs, n, (size_t)t.maxf, res, &frames, err);
  for (size_t j = 0; j < n && !rc; j++) {
    if (res[j].rc != GE_OK) continue;
    int nf = (int)res[j].n;
    for (int q = 0; q < nf; q++) {
      const ge_frame *g = &frames[res[j].first + (uint32_t)q];
      fr[q] = (ge_sym_frame){g->func.ptr, g->func.len, g->file.ptr, g->file.len, g->line, g->inlined};
    }
    rc = sym_set(&t, at[j], fr, nf, err);
  }
  free(pcs);
  free(at);
  free(res);
  free(fr);
  return sym_end(&t, rc, err);
}
