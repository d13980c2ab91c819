/* Symbolization hook: fills the lines of address-only locations (legacy
 * profiles, profiles of stripped programs) from a resolver, typically a
 * ge_binary lookup. Strings are copied into the profile; functions are
 * unified by (name, file) with the existing ones. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model.h"

typedef struct fkey {
  uint32_t name, file;
} fkey;

static uint32_t fhash(uint32_t a, uint32_t b) {
  uint64_t h = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ull;
  return (uint32_t)(h >> 29);
}

ge_err ge_profile_symbolize(ge_profile *p, ge_resolve_fn fn, void *ud, ge_error *err) {
  if (!fn) return ge_fail(err, GE_ERR_ARG, "symbolize: no resolver");
  /* clamped as unsigned: a depth past INT_MAX (limits are uint32) would
   * turn negative as an int, and so would the buffer's size */
  uint32_t depth = p->lim.max_inline_depth ? p->lim.max_inline_depth : 1;
  int maxf = depth > 4096 ? 4096 : (int)depth;
  ge_sym_frame *frames = malloc((size_t)maxf * sizeof *frames);
  size_t nslots = 1024;
  while (nslots < (p->funcs.n + 1) * 4) nslots *= 2;
  uint32_t *slots = calloc(nslots, sizeof *slots);
  ge_err rc = GE_OK;
  uint64_t next_id = 0;
  if (!frames || !slots) {
    rc = ge_fail(err, GE_ERR_NOMEM, "symbolize: out of memory");
    goto out;
  }
  for (size_t i = 0; i < p->funcs.n; i++) {
    if (p->funcs.v[i].id > next_id) next_id = p->funcs.v[i].id;
    size_t j = fhash(p->funcs.v[i].name, p->funcs.v[i].file) & (nslots - 1);
    while (slots[j]) j = (j + 1) & (nslots - 1);
    slots[j] = (uint32_t)i + 1;
  }
  for (size_t i = 0; i < p->locs.n && !rc; i++) {
    ploc *l = &p->locs.v[i];
    if (l->nlines || !l->address) continue;
    int n = fn(ud, l->address, frames, maxf);
    if (n < 0) {
      rc = ge_fail(err, GE_ERR_ARG, "symbolize: the resolver failed at address 0x%llx",
                   (unsigned long long)l->address);
      break;
    }
    if (n > maxf) n = maxf;
    uint32_t off = (uint32_t)p->lines.n;
    for (int k = 0; k < n; k++) {
      const ge_sym_frame *f = &frames[k];
      uint32_t nm = ge_intern_add(&p->str, f->func ? f->func : "", f->func ? f->func_len : 0);
      uint32_t fl = ge_intern_add(&p->str, f->file ? f->file : "", f->file ? f->file_len : 0);
      if (nm == UINT32_MAX || fl == UINT32_MAX) {
        rc = ge_fail(err, GE_ERR_NOMEM, "symbolize: out of memory");
        break;
      }
      if ((p->funcs.n + 1) * 2 > nslots) {
        size_t ns = nslots * 2;
        uint32_t *sl = calloc(ns, sizeof *sl);
        if (!sl) {
          rc = ge_fail(err, GE_ERR_NOMEM, "symbolize: out of memory");
          break;
        }
        for (size_t q = 0; q < p->funcs.n; q++) {
          size_t j = fhash(p->funcs.v[q].name, p->funcs.v[q].file) & (ns - 1);
          while (sl[j]) j = (j + 1) & (ns - 1);
          sl[j] = (uint32_t)q + 1;
        }
        free(slots);
        slots = sl;
        nslots = ns;
      }
      size_t j = fhash(nm, fl) & (nslots - 1);
      uint32_t fi = GE_NONE;
      while (slots[j]) {
        const pfunc *pf = &p->funcs.v[slots[j] - 1];
        if (pf->name == nm && pf->file == fl) {
          fi = slots[j] - 1;
          break;
        }
        j = (j + 1) & (nslots - 1);
      }
      if (fi == GE_NONE) {
        pfunc *nf = GE_VEC_PUSH_SLOT(p->funcs);
        if (!nf) {
          rc = ge_fail(err, GE_ERR_NOMEM, "symbolize: out of memory");
          break;
        }
        *nf = (pfunc){++next_id, nm, nm, fl, 0};
        fi = (uint32_t)p->funcs.n - 1;
        slots[j] = fi + 1;
      }
      pline *ln = GE_VEC_PUSH_SLOT(p->lines);
      if (!ln) {
        rc = ge_fail(err, GE_ERR_NOMEM, "symbolize: out of memory");
        break;
      }
      *ln = (pline){fi, f->line, 0};
    }
    if (rc) {
      p->lines.n = off;
      break;
    }
    l = &p->locs.v[i];
    l->line_off = off;
    l->nlines = (uint32_t)n;
    if (n && l->mapping != GE_NONE) {
      pmap *m = &p->maps.v[l->mapping];
      m->has_functions = m->has_filenames = m->has_line_numbers = 1;
      m->has_inline_frames = 1;
    }
  }
out:
  free(frames);
  free(slots);
  if (!rc) rc = ge_prof_prune(p, err);
  return rc;
}
