/* What the pclntab files share with each other (binary.c sees only the
 * ge_pcln_* entry points in internal.h):
 *   pclntab.c  finding the table, its header, functab and _func accessors
 *   pcvalue.c  pcvalue tables: one value, or decoded incrementally (ge_pcv)
 *   lookup.c   one PC: its function, file:line and inlined frames
 *   pcsort.c   a batch's PCs in address order
 *   batch.c    a batch of PCs answered in segments, on several threads
 * The accessors read the same fields as Go's debug/gosym (funcTab, funcData);
 * the inline ones check nothing: the caller has checked the index or the
 * header. */
#ifndef GE_BINARY_PCLN_H
#define GE_BINARY_PCLN_H
#include "internal.h"

static inline ge_err ge_pcln_nomem(ge_error *err) {
  return ge_fail(err, GE_ERR_NOMEM, "out of memory");
}

/* ---- functab: nfunc + 1 entries, the last one the end of the last function */

static inline const uint8_t *ge_functab_at(const ge_pcln *t, size_t i) {
  return t->tab + t->functab + i * t->functab_ent;
}

/* The entry address of function i (i <= nfunc). */
static inline uint64_t ge_functab_entry(const ge_binary *b, size_t i) {
  const ge_pcln *t = &b->pcln;
  const uint8_t *f = ge_functab_at(t, i);
  return t->ver >= 118 ? t->textstart + ge_rd32(b, f) : ge_rdword(b, f, t->ptrsize);
}

/* The offset of function i's _func header (from pclntab, or the table's
 * start in the 1.2 layout). */
static inline uint64_t ge_functab_funcoff(const ge_binary *b, size_t i) {
  const ge_pcln *t = &b->pcln;
  const uint8_t *f = ge_functab_at(t, i);
  return t->ver >= 118 ? ge_rd32(b, f + 4) : ge_rdword(b, f + t->ptrsize, t->ptrsize);
}

/* The function whose [entry, next entry) holds pc, SIZE_MAX when none. */
size_t ge_functab_find(const ge_binary *b, uint64_t pc);

/* Whether functab entries never decrease: then the function holding a pc is
 * the only i with entry(i) <= pc < entry(i+1), and the cached function (or
 * the next one) can answer without a search, with the search's result.
 * Checked once (ge_functab_check_sorted) and remembered in b->ft_sorted. */
int ge_functab_check_sorted(ge_binary *b);
static inline int ge_functab_sorted(ge_binary *b) {
  return b->ft_sorted ? b->ft_sorted > 0 : ge_functab_check_sorted(b);
}

/* ---- _func header of function i */

/* Locates function i's header (i < nfunc); fails when it lies outside the table. */
ge_err ge_func_header(ge_binary *b, size_t i, ge_fnhdr *out, ge_error *err);

/* The _func header's u32 fields, numbered from the one after the entry. */
enum ge_func_field {
  GE_FUNC_NAMEOFF = 1,
  GE_FUNC_PCFILE = 5,
  GE_FUNC_PCLN = 6,
  GE_FUNC_NPCDATA = 7,
  GE_FUNC_CUOFFSET = 8,       /* 1.16+: the function's first entry in cutab */
  GE_FUNC_NFUNCDATA_WORD = 8, /* 1.2 layout: nfuncdata (an int32) up to Go 1.11,
                                 then the bytes funcID, flag, pad, nfuncdata */
  GE_FUNC_STARTLINE = 9       /* 1.20+: the line of the func keyword */
};
static inline uint32_t ge_func_field(const ge_binary *b, const ge_fnhdr *f,
                                     enum ge_func_field n) {
  unsigned entry_size = b->pcln.ver >= 118 ? 4 : b->pcln.ptrsize;
  return ge_rd32(b, f->p + entry_size + ((unsigned)n - 1) * 4);
}
/* The pctab offset of pcdata table k: 1 and *off, 0 when the function has
 * no table k, -1 when its slot lies past the table's end. */
int ge_func_pcdata(const ge_binary *b, const ge_fnhdr *f, unsigned k, uint32_t *off);
/* The address of funcdata k, 0 when none. */
uint64_t ge_func_funcdata(ge_binary *b, const ge_fnhdr *f, unsigned k);

/* ---- pcvalue.c: tables of (value delta, pc delta) varint pairs */

/* The value at target of the table at pctab offset off: 1 and *val, 0 when
 * there is none (*val = -1), -1 when corrupt. */
int ge_pcvalue(const ge_pcln *t, uint32_t off, uint64_t entry, uint64_t target, int32_t *val);
/* Sets d up to decode the table at off of the function at entry (bad: the
 * table is known corrupt). Offset 0 means "no table", except with literal0,
 * where it is the table at pctab's first byte. */
void ge_pcv_reset(const ge_pcln *t, ge_pcv *d, int bad, uint32_t off, uint64_t entry,
                  int literal0);
/* ge_pcvalue through the runs decoded so far, decoding more when needed:
 * 1 and *val, 0 when there is no value, -1 when corrupt before target, -2
 * when out of memory. */
int ge_pcv_query(const ge_pcln *t, ge_pcv *d, uint64_t target, int32_t *val);
void ge_pcv_free(ge_pcv *d);

/* ---- lookup.c */

/* What a batch lookup remembers of the PC before: its function, inline
 * index and innermost file:line decide its whole chain, so a PC with the
 * same four shares the frames already written (in address order many do,
 * e.g. two instructions of one statement). */
typedef struct ge_pcmemo {
  int ok, hit, fresh; /* fresh: set by the lookup just made */
  size_t fi;
  int32_t ix;
  const char *file;
  uint32_t line;
} ge_pcmemo;

/* ge_pcln_lookup, with m (NULL for none): when pc's chain is m's, sets
 * m->hit and writes no frame; else remembers pc's in m (m->fresh). */
ge_err ge_pcln_lookup_memo(ge_binary *b, uint64_t pc, ge_frame *out, size_t max, size_t *n,
                           ge_error *err, ge_pcmemo *m);
/* A copy of b for another thread: the rest of a handle is only read by
 * lookups; the lookup caches are its own, empty. NULL when out of memory. */
ge_binary *ge_lookup_copy(const ge_binary *b);
/* Frees the lookup caches: the last function's decoded tables, name lengths. */
void ge_lookup_cache_free(ge_binary *b);

/* ---- pcsort.c */

struct ge_pcsort {
  uint64_t pc;
  uint64_t i;
};

/* A batch's PCs in address order: packed keys ((pc - base) << ibits |
 * position) when they fit in 64 bits (8 bytes a PC, not 16), else (pc,
 * position) pairs. */
typedef struct ge_pcorder {
  const struct ge_pcsort *pairs;
  const uint64_t *keys;
  uint64_t base, imask;
  unsigned ibits;
} ge_pcorder;

static inline uint64_t ge_order_pc(const ge_pcorder *o, size_t k) {
  return o->keys ? o->base + (o->keys[k] >> o->ibits) : o->pairs[k].pc;
}

static inline size_t ge_order_pos(const ge_pcorder *o, size_t k) {
  return o->keys ? (size_t)(o->keys[k] & o->imask) : (size_t)o->pairs[k].i;
}

/* Sorts pcs[0..npcs) (npcs > 0) into o, in b->sortbuf. */
ge_err ge_sort_pcs(ge_binary *b, const uint64_t *pcs, size_t npcs, ge_pcorder *o,
                   ge_error *err);

/* ---- batch.c */

/* Frees the batch buffers: the sort's and the frames'. */
void ge_batch_free(ge_binary *b);
#endif
