/* Go frames of perf samples, symbolized through the binary's own tables.
 *
 * perf's hex column is not one thing: call-graph lines of perf <= 6.3 print
 * the DSO file offset, later ones and the sample line's ip print the
 * address, which for a PIE is the run-time one. So the column is not
 * trusted alone: every frame perf named (sym+off) votes for the constant
 * that takes its hex to the binary's link address of sym+off, per class of
 * frame (call graph, sample ip); the majority wins. Without names (a
 * stripped binary) the column is read as a file offset when it falls in an
 * executable segment's file range and not in its address range, else as an
 * address. */
#include <stdlib.h>
#include <string.h>

#include "core/hashidx.h"
#include "goescape/binary.h"
#include "internal.h"

#define MAX_SEGS 32

typedef struct symctx {
  ge_perf *p;
  ge_binary *b;
  ge_load_segment segs[MAX_SEGS];
  size_t nsegs;
  uint64_t *symaddr; /* by intern id: 0 not looked up, 1 not found, else addr + 2 */
  uint8_t *isbin;    /* by dso index */
} symctx;

static ge_err nomem(ge_error *err) { return ge_fail(err, GE_ERR_NOMEM, "perf symbolize: out of memory"); }

static const char *base_name(const char *s, size_t n, size_t *bn) {
  size_t i = n;
  while (i && s[i - 1] != '/') i--;
  *bn = n - i;
  return s + i;
}

/* The link address of symbol `id` (1: unknown). */
static uint64_t sym_addr(symctx *c, uint32_t id) {
  if (c->symaddr[id]) return c->symaddr[id];
  ge_strview s = ge_perf_sv(c->p, id);
  ge_symbol sy;
  ge_func_info fi;
  ge_error e;
  uint64_t a = 1;
  if (ge_binary_symbol_by_name(c->b, s.ptr, s.len, &sy, &e) == GE_OK && sy.value)
    a = sy.value + 2;
  else if (ge_binary_func_by_name(c->b, s.ptr, s.len, &fi, &e) == GE_OK)
    a = fi.entry + 2;
  return c->symaddr[id] = a;
}

/* Boyer-Moore majority of the deltas hex - link address of one class. */
typedef struct vote {
  uint64_t cand, weight, n;
} vote;

static void vote_add(vote *v, uint64_t d) {
  v->n++;
  if (!v->weight) v->cand = d, v->weight = 1;
  else if (v->cand == d) v->weight++;
  else v->weight--;
}

static int in_exec_off(const symctx *c, uint64_t x) {
  for (size_t i = 0; i < c->nsegs; i++)
    if ((c->segs[i].flags & 1) && x >= c->segs[i].offset && x - c->segs[i].offset < c->segs[i].filesz)
      return 1;
  return 0;
}

static int in_exec_vaddr(const symctx *c, uint64_t x) {
  for (size_t i = 0; i < c->nsegs; i++)
    if ((c->segs[i].flags & 1) && x >= c->segs[i].vaddr && x - c->segs[i].vaddr < c->segs[i].memsz)
      return 1;
  return 0;
}

static uint64_t off_to_vaddr(const symctx *c, uint64_t x) {
  for (size_t i = 0; i < c->nsegs; i++)
    if (x >= c->segs[i].offset && x - c->segs[i].offset < c->segs[i].filesz)
      return x - c->segs[i].offset + c->segs[i].vaddr;
  return 0;
}

/* The form of one class and its delta, from its votes, or from where its
 * unnamed hex values fall. */
static ge_perf_addr_form decide(const symctx *c, int chain, const vote *v, uint64_t *delta) {
  const ge_perf *p = c->p;
  *delta = 0;
  if (v->n) {
    /* confirm the candidate */
    uint64_t agree = 0, off_agree = 0;
    for (size_t i = 0; i < p->frames.n; i++) {
      const pf_frame *f = &p->frames.v[i];
      if (!!(f->flags & PF_CHAIN) != chain || !c->isbin[p->dso_of.v[f->dso] - 1]) continue;
      if (f->sym == p->unknown_id) continue;
      uint64_t a = c->symaddr[f->sym];
      if (a < 2) continue;
      uint64_t link = a - 2 + f->off;
      agree += f->ip - link == v->cand;
      off_agree += off_to_vaddr(c, f->ip) == link;
    }
    if (off_agree * 2 > v->n) return GE_PERF_ADDR_OFFSET;
    if (agree * 2 > v->n) {
      *delta = v->cand;
      return v->cand ? GE_PERF_ADDR_BIASED : GE_PERF_ADDR_VADDR;
    }
  }
  uint64_t as_off = 0, as_va = 0, any = 0;
  for (size_t i = 0; i < p->frames.n; i++) {
    const pf_frame *f = &p->frames.v[i];
    if (!!(f->flags & PF_CHAIN) != chain || !c->isbin[p->dso_of.v[f->dso] - 1]) continue;
    any++;
    int o = in_exec_off(c, f->ip), a = in_exec_vaddr(c, f->ip);
    as_off += o && !a;
    as_va += a;
  }
  if (!any) return GE_PERF_ADDR_UNKNOWN;
  return as_off > as_va ? GE_PERF_ADDR_OFFSET : GE_PERF_ADDR_VADDR;
}

static uint64_t link_of(const symctx *c, ge_perf_addr_form form, uint64_t delta, uint64_t ip) {
  switch (form) {
  case GE_PERF_ADDR_OFFSET: return off_to_vaddr(c, ip);
  case GE_PERF_ADDR_VADDR: return ip;
  case GE_PERF_ADDR_BIASED: return ip - delta;
  default: return 0;
  }
}

typedef struct pcset {
  GE_VEC(uint64_t) pcs;
  ge_hashidx ix;
} pcset;

static uint32_t pc_hash(const void *ctx, uint32_t i) {
  return (uint32_t)ge_mix64(((const pcset *)ctx)->pcs.v[i]);
}

/* The index of pc in the set, added when new; UINT32_MAX out of memory. */
static uint32_t pc_index(pcset *s, uint64_t pc) {
  if (ge_hashidx_reserve(&s->ix, s->pcs.n, pc_hash, s)) return UINT32_MAX;
  size_t j = ge_hashidx_first(&s->ix, (uint32_t)ge_mix64(pc));
  uint32_t i;
  for (; (i = ge_hashidx_at(&s->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&s->ix, j))
    if (s->pcs.v[i] == pc) return i;
  uint64_t *slot = GE_VEC_PUSH_SLOT(s->pcs);
  if (!slot) return UINT32_MAX;
  *slot = pc;
  ge_hashidx_set(&s->ix, j, (uint32_t)s->pcs.n - 1);
  return (uint32_t)s->pcs.n - 1;
}

static ge_err resolve(symctx *c, uint32_t *frame_pc, ge_error *err) {
  ge_perf *p = c->p;
  pcset set;
  memset(&set, 0, sizeof set);
  ge_err rc = GE_OK;
  for (size_t i = 0; i < p->frames.n; i++) frame_pc[i] = UINT32_MAX;
  for (size_t si = 0; si < p->samples.n && !rc; si++) {
    const pf_sample *s = &p->samples.v[si];
    for (uint32_t k = 0; k < s->nframes && !rc; k++) {
      size_t i = (size_t)s->first_frame + k;
      const pf_frame *f = &p->frames.v[i];
      /* samples share chains: a frame is placed once */
      if (!f->vaddr || frame_pc[i] != UINT32_MAX) continue;
      /* a caller's frame is a return address: its call is the byte
       * before; the first user frame of a chain (the leaf, or the one
       * under kernel frames) is where the thread was */
      uint64_t pc = f->vaddr;
      uint32_t q = k; /* perf's inline frames share the ip of the frame after them */
      while (q > 0 && (p->frames.v[i - (k - q) - 1].flags & PF_INLINED)) q--;
      if (q > 0 && (f->flags & PF_CHAIN) && p->frames.v[i - (k - q) - 1].ip >> 63 == 0) pc--;
      if ((frame_pc[i] = pc_index(&set, pc)) == UINT32_MAX) rc = nomem(err);
    }
  }
  uint32_t depth = p->lim.max_inline_depth ? p->lim.max_inline_depth : 1;
  size_t maxf = depth > 4096 ? 4096 : depth;
  ge_pcframes *res = rc ? NULL : malloc((set.pcs.n ? set.pcs.n : 1) * sizeof *res);
  uint32_t(*span)[2] = rc ? NULL : malloc((set.pcs.n ? set.pcs.n : 1) * sizeof *span);
  if (!rc && (!res || !span)) rc = nomem(err);
  const ge_frame *fr = NULL;
  if (!rc && set.pcs.n) rc = ge_binary_lookup_many(c->b, set.pcs.v, set.pcs.n, maxf, res, &fr, err);
  for (size_t k = 0; k < set.pcs.n && !rc; k++) {
    span[k][0] = (uint32_t)p->gos.n, span[k][1] = 0;
    if (res[k].rc != GE_OK) continue;
    for (uint32_t q = 0; q < res[k].n && !rc; q++) {
      const ge_frame *g = &fr[res[k].first + q];
      pf_go *o = GE_VEC_PUSH_SLOT(p->gos);
      if (!o) {
        rc = nomem(err);
        break;
      }
      o->func = ge_perf_str(p, g->func.ptr, g->func.len);
      o->file = ge_perf_str(p, g->file.ptr, g->file.len);
      o->line = g->line;
      o->inlined = g->inlined;
      if (o->func == UINT32_MAX || o->file == UINT32_MAX) rc = nomem(err);
      span[k][1]++;
    }
  }
  for (size_t i = 0; i < p->frames.n && !rc; i++) {
    if (frame_pc[i] == UINT32_MAX) continue;
    pf_frame *f = &p->frames.v[i];
    f->first_go = span[frame_pc[i]][0];
    f->ngo = span[frame_pc[i]][1];
  }
  free(res);
  free(span);
  GE_VEC_FREE(set.pcs);
  ge_hashidx_free(&set.ix);
  return rc;
}

static void count(ge_perf *p, const uint8_t *isbin) {
  p->bin_frames = p->bin_resolved = p->bin_samples = p->bin_samples_resolved = 0;
  for (size_t i = 0; i < p->samples.n; i++) {
    const pf_sample *s = &p->samples.v[i];
    int seen = 0;
    for (uint32_t k = 0; k < s->nframes; k++) {
      const pf_frame *f = &p->frames.v[s->first_frame + k];
      if (!isbin[p->dso_of.v[f->dso] - 1]) continue;
      int ok = f->ngo && p->gos.v[f->first_go + f->ngo - 1].line;
      p->bin_frames++;
      p->bin_resolved += ok;
      if (!seen) {
        seen = 1;
        p->bin_samples++;
        p->bin_samples_resolved += ok;
      }
    }
  }
}

ge_err ge_perf_symbolize(ge_perf *p, ge_binary *b, const char *bin_name, const char *dso_path,
                         ge_error *err) {
  if (!b) return ge_fail(err, GE_ERR_ARG, "perf symbolize: no binary");
  symctx c;
  memset(&c, 0, sizeof c);
  c.p = p, c.b = b;
  while (c.nsegs < MAX_SEGS && ge_binary_load_segment(b, c.nsegs, &c.segs[c.nsegs]) == GE_OK) c.nsegs++;
  p->gos.n = 0;
  for (size_t i = 0; i < p->frames.n; i++) p->frames.v[i].vaddr = 0, p->frames.v[i].ngo = 0;
  c.symaddr = calloc(p->strs.n ? p->strs.n : 1, sizeof *c.symaddr);
  c.isbin = calloc(p->dsos.n ? p->dsos.n : 1, 1);
  uint32_t *frame_pc = malloc((p->frames.n ? p->frames.n : 1) * sizeof *frame_pc);
  ge_err rc = GE_OK;
  if (!c.symaddr || !c.isbin || !frame_pc) rc = nomem(err);
  size_t bn = 0;
  const char *bb = bin_name ? base_name(bin_name, strlen(bin_name), &bn) : NULL;
  for (size_t i = 0; i < p->dsos.n && !rc; i++) {
    ge_strview d = ge_perf_sv(p, p->dso_ids.v[i]);
    if (dso_path) {
      c.isbin[i] = strlen(dso_path) == d.len && memcmp(dso_path, d.ptr, d.len) == 0;
    } else if (bb) {
      size_t dn;
      const char *db = base_name(d.ptr, d.len, &dn);
      c.isbin[i] = dn == bn && memcmp(db, bb, bn) == 0;
    }
  }
  vote v[2];
  memset(v, 0, sizeof v);
  for (size_t i = 0; i < p->frames.n && !rc; i++) {
    const pf_frame *f = &p->frames.v[i];
    if (!c.isbin[p->dso_of.v[f->dso] - 1] || f->sym == p->unknown_id) continue;
    uint64_t a = sym_addr(&c, f->sym);
    if (a >= 2) vote_add(&v[!!(f->flags & PF_CHAIN)], f->ip - (a - 2 + f->off));
  }
  uint64_t delta[2] = {0, 0};
  ge_perf_addr_form form[2] = {GE_PERF_ADDR_UNKNOWN, GE_PERF_ADDR_UNKNOWN};
  for (int k = 0; k < 2 && !rc; k++) form[k] = decide(&c, k, &v[k], &delta[k]);
  p->ip_form = form[0], p->chain_form = form[1];
  for (size_t i = 0; i < p->frames.n && !rc; i++) {
    pf_frame *f = &p->frames.v[i];
    if (!c.isbin[p->dso_of.v[f->dso] - 1] || (f->flags & PF_CALLER)) continue;
    int k = !!(f->flags & PF_CHAIN);
    f->vaddr = link_of(&c, form[k], delta[k], f->ip);
  }
  /* a return address an entry probe read is a run-time address: the
   * probe's frame before it relates run time to link time (PIE's bias) */
  for (size_t i = 1; i < p->frames.n && !rc; i++) {
    pf_frame *f = &p->frames.v[i];
    if (!(f->flags & PF_CALLER) || !f[-1].vaddr) continue;
    uint64_t bias = f->off - f[-1].vaddr;
    f->vaddr = f->ip - bias;
  }
  if (!rc) rc = resolve(&c, frame_pc, err);
  if (!rc) count(p, c.isbin);
  free(c.symaddr);
  free(c.isbin);
  free(frame_pc);
  return rc;
}
