/* One PC's frames: the function holding it, its file:line, and the frames
 * of the calls inlined there, innermost first, the physical function last.
 *
 * Inlined frames come from FUNCDATA_InlTree + PCDATA_InlTreeIndex. The walk
 * is the runtime's: the index at pc names the innermost inlined call; its
 * parentPc leads to the caller's instruction, whose index names the next
 * one, until the index is -1 (the physical function). The walk is bounded
 * by ge_limits.max_inline_depth.
 *
 * A handle keeps the function of its last lookup (ge_fncache) with its
 * tables decoded so far, and the lengths of the names met, so that PCs of
 * one function, in any order, decode its tables once. */
#include <stdlib.h>

#include "pcln.h"

/* Names met by lookups, direct-mapped by address: a name's length is found
 * once (memchr), not at every PC that shows it. Every name ends before the
 * table's end, so its address alone decides its length. */
#define NAMELEN_BITS 13
struct ge_namelen {
  const char *p;
  size_t len;
};

static ge_strview cstr_cached(ge_binary *b, const uint8_t *base, size_t size, uint64_t off) {
  if (off >= size) return ge_cstr(base, size, off);
  const char *s = (const char *)base + off;
  struct ge_namelen *c = b->names;
  if (!c && !(c = b->names = calloc((size_t)1 << NAMELEN_BITS, sizeof *c)))
    return ge_cstr(base, size, off);
  c += ((uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15u) >> (64 - NAMELEN_BITS);
  if (c->p == s) return (ge_strview){s, c->len};
  ge_strview v = ge_cstr(base, size, off);
  if (v.ptr == s) {
    c->p = s;
    c->len = v.len;
  }
  return v;
}

static ge_strview funcname(ge_binary *b, uint64_t nameoff) {
  const ge_pcln *t = &b->pcln;
  size_t base = t->ver == 12 ? 0 : t->funcnametab;
  return cstr_cached(b, t->tab + base, t->size - base, nameoff);
}

/* File fileno of a function whose cuOffset is cuoff (1.16+). */
static ge_strview filename(ge_binary *b, uint32_t cuoff, int32_t fileno) {
  const ge_pcln *t = &b->pcln;
  ge_strview none = {"", 0};
  if (fileno < 0) return none;
  if (t->ver == 12) {
    if ((uint64_t)fileno >= t->nfiles) return none;
    uint64_t at = t->filetab + 4 * (uint64_t)fileno;
    if (at + 4 > t->size) return none;
    return cstr_cached(b, t->tab, t->size, ge_rd32(b, t->tab + at));
  }
  /* uint32 arithmetic, as debug/gosym (go tool addr2line) does: functions
   * without a unit (cgo's C code) have cuOffset ^0, which wraps around */
  uint64_t at = t->cutab + 4 * (uint64_t)(uint32_t)(cuoff + (uint32_t)fileno);
  if (at + 4 > t->size) return none;
  uint32_t o = ge_rd32(b, t->tab + at);
  if (o == UINT32_MAX) return none;
  return cstr_cached(b, t->tab + t->filetab, t->size - t->filetab, o);
}

/* Makes b->fc describe function i: header, name, inline tree, and its
 * pcfile, pcln and inline index tables reset for decoding. */
static ge_err fc_load(ge_binary *b, size_t i, ge_error *err) {
  const ge_pcln *t = &b->pcln;
  ge_fncache *c = &b->fc;
  c->i = SIZE_MAX;
  if (++c->gen == 0) { /* wrapped: forget every record seen */
    memset(c->seen, 0, sizeof c->seen);
    c->gen = 1;
  }
  ge_err rc = ge_func_header(b, i, &c->f, err);
  if (rc) return rc;
  const ge_fnhdr *f = &c->f;
  c->name = funcname(b, ge_func_field(b, f, GE_FUNC_NAMEOFF));
  c->tree = t->funcdata_inl >= 0 ? ge_func_funcdata(b, f, (unsigned)t->funcdata_inl) : 0;
  c->old = t->ver == 12 && b->go_version.len == 0 &&
           (ge_func_field(b, f, GE_FUNC_NFUNCDATA_WORD) >> 24) == 0;
  c->recsz = c->old ? 16 : t->inl_recsize;
  c->cuoff = t->ver == 12 ? 0 : ge_func_field(b, f, GE_FUNC_CUOFFSET);
  c->fileno = -1;
  c->file_name = filename(b, c->cuoff, -1);
  /* Functions the external linker brought in (cgo's _cgo_<hash>_Cfunc_*
   * wrappers) have file and line offsets 0. The runtime reads that as "no
   * table"; go tool addr2line (debug/gosym) decodes the table at offset 0
   * of pctab and prints its file and line: answer as addr2line does, in the
   * layouts (1.16+) where pctab is a table of its own. */
  int literal0 = t->ver != 12;
  ge_pcv_reset(t, &c->file, 0, ge_func_field(b, f, GE_FUNC_PCFILE), f->entry, literal0);
  ge_pcv_reset(t, &c->line, 0, ge_func_field(b, f, GE_FUNC_PCLN), f->entry, literal0);
  uint32_t inl_off;
  int has_inl = ge_func_pcdata(b, f, (unsigned)t->pcdata_inl, &inl_off);
  ge_pcv_reset(t, &c->inl, has_inl < 0, inl_off, f->entry, 0);
  c->i = i;
  return GE_OK;
}

/* File and line at pc: 0, -1 when corrupt, -2 when out of memory. */
static int pos_at(ge_binary *b, uint64_t pc, ge_frame *fr) {
  ge_fncache *c = &b->fc;
  int32_t fileno, line;
  int r1 = ge_pcv_query(&b->pcln, &c->file, pc, &fileno);
  int r2 = ge_pcv_query(&b->pcln, &c->line, pc, &line);
  if (r1 == -2 || r2 == -2) return -2;
  if (r1 < 0 || r2 < 0) return -1;
  if (fileno != c->fileno) {
    c->file_name = filename(b, c->cuoff, fileno);
    c->fileno = fileno;
  }
  fr->file = c->file_name;
  fr->line = line > 0 ? (uint32_t)line : 0;
  return 0;
}

/* The inline tree index at pc, -1 when the pc is not in inlined code. */
static int inl_index(ge_binary *b, uint64_t pc, int32_t *ix) {
  int r = ge_pcv_query(&b->pcln, &b->fc.inl, pc, ix);
  return r < 0 ? r : 0;
}

/* The inlined frames from inline tree record ix up, then the physical
 * function; inner holds the innermost file:line. */
static ge_err walk_inline(ge_binary *b, uint64_t tree, int32_t ix, const ge_frame *inner,
                          ge_frame *out, size_t max, size_t *n, ge_error *err) {
  ge_fncache *c = &b->fc;
  const ge_fnhdr *f = &c->f;
  ge_strview phys = c->name;
  int old = c->old, r;
  unsigned recsz = c->recsz;
  ge_frame fr = *inner;
  uint32_t depth = 0, lim = b->lim.max_inline_depth;
  while (tree && ix >= 0) {
    if (depth >= lim || *n + 1 >= max)
      return ge_fail(err, GE_ERR_LIMIT,
                     "inline chain of %.*s deeper than %u frames (limit max_inline_depth)",
                     (int)phys.len, phys.ptr, depth);
    fr.inlined = 1;
    fr.entry = f->entry;
    struct ge_inlseen *seen = &c->seen[(uint32_t)ix % (sizeof c->seen / sizeof *c->seen)];
    if (!old && seen->gen == c->gen && seen->ix == ix) { /* read from the file before */
      fr.func = seen->func;
      out[(*n)++] = fr;
      fr.file = seen->parent_file;
      fr.line = seen->parent_line;
      ix = seen->parent_ix;
      depth++;
      continue;
    }
    const uint8_t *rec = ge_elf_va(b, tree + (uint64_t)ix * recsz, recsz);
    if (!rec)
      return ge_fail(err, GE_ERR_FORMAT, "inline tree record %d of %.*s out of the file", ix,
                     (int)phys.len, phys.ptr);
    if (!old) { /* 1.20+: {funcID, pad, nameOff, parentPc}; 1.12–1.19: func_ @12, parentPc @16 */
      int v120 = recsz == 16;
      int32_t at = ix;
      fr.func = funcname(b, ge_rd32(b, rec + (v120 ? 4 : 12)));
      out[(*n)++] = fr;
      ge_strview func = fr.func;
      uint32_t ppc = ge_rd32(b, rec + (v120 ? 8 : 16));
      uint64_t cur = f->entry + ppc;
      r = cur >= f->end ? -1 : pos_at(b, cur, &fr);
      if (!r) r = inl_index(b, cur, &ix);
      if (r == -2) return ge_pcln_nomem(err);
      if (r < 0)
        return ge_fail(err, GE_ERR_FORMAT, "inline tree of %.*s: bad parent pc %u",
                       (int)phys.len, phys.ptr, ppc);
      *seen = (struct ge_inlseen){c->gen, at, ix, fr.line, func, fr.file};
    } else { /* 1.9–1.11: {parent, file, line, func} */
      fr.func = funcname(b, ge_rd32(b, rec + 12));
      out[(*n)++] = fr;
      fr.file = filename(b, c->cuoff, (int32_t)ge_rd32(b, rec + 4));
      int32_t line = (int32_t)ge_rd32(b, rec + 8);
      fr.line = line > 0 ? (uint32_t)line : 0;
      ix = (int32_t)ge_rd32(b, rec);
    }
    depth++;
  }
  if (*n >= max)
    return ge_fail(err, GE_ERR_LIMIT, "no room for the frames of %.*s", (int)phys.len,
                   phys.ptr);
  fr.func = phys;
  fr.inlined = 0;
  fr.entry = f->entry;
  out[(*n)++] = fr;
  return GE_OK;
}

ge_err ge_pcln_lookup_memo(ge_binary *b, uint64_t pc, ge_frame *out, size_t max, size_t *n,
                           ge_error *err, ge_pcmemo *m) {
  ge_pcln *t = &b->pcln;
  ge_fncache *c = &b->fc;
  *n = 0;
  if (!t->tab) return GE_OK;
  if (c->i == SIZE_MAX || pc < c->f.entry || pc >= c->f.end || !ge_functab_sorted(b)) {
    size_t i = SIZE_MAX;
    if (c->i != SIZE_MAX && c->i + 2 <= t->nfunc && pc >= c->f.end &&
        pc < ge_functab_entry(b, c->i + 2) && ge_functab_sorted(b))
      i = c->i + 1; /* the next function: PCs in address order */
    else
      i = ge_functab_find(b, pc);
    if (i == SIZE_MAX) return GE_OK;
    if (i != c->i) {
      ge_err rc = fc_load(b, i, err);
      if (rc) return rc;
    }
  }
  const ge_fnhdr *f = &c->f;
  if (pc >= f->end) return GE_OK;
  ge_strview phys = c->name;
  uint64_t tree = c->tree;
  int r;
  int32_t ix = -1;
  if (tree && (r = inl_index(b, pc, &ix)) < 0)
    return r == -2 ? ge_pcln_nomem(err)
                   : ge_fail(err, GE_ERR_FORMAT, "pclntab: corrupt inline index table of %.*s",
                             (int)phys.len, phys.ptr);
  ge_frame fr;
  memset(&fr, 0, sizeof fr);
  if ((r = pos_at(b, pc, &fr)) < 0)
    return r == -2 ? ge_pcln_nomem(err)
                   : ge_fail(err, GE_ERR_FORMAT, "pclntab: corrupt file/line table of %.*s",
                             (int)phys.len, phys.ptr);
  if (m) {
    if (m->ok && m->fi == c->i && m->ix == ix && m->file == fr.file.ptr && m->line == fr.line) {
      m->hit = 1;
      return GE_OK;
    }
    *m = (ge_pcmemo){1, 0, 1, c->i, ix, fr.file.ptr, fr.line};
  }
  ge_err rc = walk_inline(b, tree, ix, &fr, out, max, n, err);
  if (rc && m) m->ok = 0;
  return rc;
}

ge_err ge_pcln_lookup(ge_binary *b, uint64_t pc, ge_frame *out, size_t max, size_t *n,
                      ge_error *err) {
  return ge_pcln_lookup_memo(b, pc, out, max, n, err, NULL);
}

ge_err ge_pcln_func(ge_binary *b, size_t i, ge_func_info *out, ge_error *err) {
  ge_pcln *t = &b->pcln;
  if (!t->tab || i >= t->nfunc)
    return ge_fail(err, GE_ERR_ARG, "function index %zu out of range", i);
  ge_fnhdr f;
  ge_err rc = ge_func_header(b, i, &f, err);
  if (rc) return rc;
  out->name = funcname(b, ge_func_field(b, &f, GE_FUNC_NAMEOFF));
  out->entry = f.entry;
  out->end = f.end;
  int32_t fileno, line;
  if (ge_pcvalue(t, ge_func_field(b, &f, GE_FUNC_PCFILE), f.entry, f.entry, &fileno) < 0 ||
      ge_pcvalue(t, ge_func_field(b, &f, GE_FUNC_PCLN), f.entry, f.entry, &line) < 0)
    return ge_fail(err, GE_ERR_FORMAT, "pclntab: corrupt file/line table of %.*s",
                   (int)out->name.len, out->name.ptr);
  out->file = filename(b, t->ver == 12 ? 0 : ge_func_field(b, &f, GE_FUNC_CUOFFSET), fileno);
  if (t->ver >= 120) out->start_line = ge_func_field(b, &f, GE_FUNC_STARTLINE);
  else out->start_line = line > 0 ? (uint32_t)line : 0;
  return GE_OK;
}

ge_binary *ge_lookup_copy(const ge_binary *b) {
  ge_binary *c = malloc(sizeof *c);
  if (!c) return NULL;
  *c = *b;
  memset(&c->fc, 0, sizeof c->fc);
  c->fc.i = SIZE_MAX;
  c->names = NULL;
  return c;
}

void ge_lookup_cache_free(ge_binary *b) {
  ge_pcv_free(&b->fc.file);
  ge_pcv_free(&b->fc.line);
  ge_pcv_free(&b->fc.inl);
  free(b->names);
  b->names = NULL;
}
