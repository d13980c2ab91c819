/* pclntab: the Go runtime's PC → function/file/line table, every format.
 *
 *   ver  magic       Go          functab entries         _func header
 *   12   0xfffffffb  1.2–1.15    {entry, funcoff} words  entry word + 8 x u32
 *   116  0xfffffffa  1.16–1.17   {entry, funcoff} words  entry word + 9 x u32
 *   118  0xfffffff0  1.18–1.19   {entryoff, funcoff} u32 10 x u32
 *   120  0xfffffff1  1.20+       {entryoff, funcoff} u32 11 x u32 (startLine)
 *
 * Inlined frames come from FUNCDATA_InlTree + PCDATA_InlTreeIndex (table
 * `inl_layout`). The walk is the runtime's: the index at pc names the
 * innermost inlined call; its parentPc leads to the caller's instruction,
 * whose index names the next one, until the index is -1 (the physical
 * function). Sources: Go's runtime/symtab.go, internal/abi/symtab.go,
 * debug/gosym/pclntab.go. Nothing here trusts the table: every offset is
 * checked, every pcvalue walk ends at the table's end, and the inline walk is
 * bounded by ge_limits.max_inline_depth. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/bigmem.h"
#include "goescape/binary.h"
#include "internal.h"

/* Per-format layout of the _func header and the inline tree. */
typedef struct pcln_layout {
  int ver;
  uint32_t magic;
  int entry_is_word;  /* _func.entry and functab entries are pointers (≤1.17) */
  unsigned nfields;   /* u32 fields after the entry, before the byte quad */
  int pcdata_inl, funcdata_inl;
  unsigned inl_size;  /* bytes per inline tree record */
} pcln_layout;

static const pcln_layout layouts[] = {
    {12, 0xfffffffbu, 1, 7, 2, 4, 20},  /* 1.13–1.15; ≤1.12 adjusted at open */
    {116, 0xfffffffau, 1, 8, 2, 3, 20},
    {118, 0xfffffff0u, 0, 8, 2, 3, 20},
    {120, 0xfffffff1u, 0, 9, 2, 3, 16},
};

static const pcln_layout *layout_of(int ver) {
  for (size_t i = 0; i < sizeof layouts / sizeof *layouts; i++)
    if (layouts[i].ver == ver) return &layouts[i];
  return NULL;
}

static int ver_of_magic(uint32_t m) {
  for (size_t i = 0; i < sizeof layouts / sizeof *layouts; i++)
    if (layouts[i].magic == m) return layouts[i].ver;
  return 0;
}

/* Fills pc from the header at p (n bytes). Returns 1 when it looks valid. */
static int pcln_header(const ge_binary *b, const uint8_t *p, size_t n, ge_pcln *t) {
  if (n < 64) return 0;
  int ver = ver_of_magic(ge_rd32(b, p));
  if (!ver || p[4] || p[5]) return 0;
  unsigned q = p[6], ps = p[7];
  if ((q != 1 && q != 2 && q != 4) || (ps != 4 && ps != 8)) return 0;
  memset(t, 0, sizeof *t);
  t->tab = p;
  t->size = n;
  t->ver = ver;
  t->quantum = q;
  t->ptrsize = ps;
  t->nfunc = ge_rdword(b, p + 8, ps);
  if (t->nfunc == 0 || t->nfunc > n) return 0;
  const pcln_layout *L = layout_of(ver);
  t->pcdata_inl = L->pcdata_inl;
  t->funcdata_inl = L->funcdata_inl;
  if (ver == 12) {
    t->functab = 8 + ps;
    t->functab_ent = 2 * ps;
    uint64_t ftend = t->functab + (t->nfunc * 2 + 1) * ps;
    if (ftend + 4 > n) return 0;
    t->filetab = ge_rd32(b, p + ftend);
    if (t->filetab + 4 > n) return 0;
    t->nfiles = ge_rd32(b, p + t->filetab);
    t->pclntab = 0;
    t->funcnametab = 0;
    t->pctab = 0;
  } else {
    const uint8_t *h = p + 8;
    t->nfiles = ge_rdword(b, h + ps, ps);
    h += 2 * ps;
    if (ver >= 118) {
      t->textstart = ge_rdword(b, h, ps);
      h += ps;
    }
    uint64_t o[5];
    for (int i = 0; i < 5; i++) {
      o[i] = ge_rdword(b, h + (size_t)i * ps, ps);
      if (o[i] >= n) return 0;
    }
    t->funcnametab = o[0];
    t->cutab = o[1];
    t->filetab = o[2];
    t->pctab = o[3];
    t->pclntab = o[4];
    t->functab = o[4];
    t->functab_ent = ver >= 118 ? 8 : 2 * ps;
    if (t->nfunc > (n - t->functab) / t->functab_ent) return 0;
    if (t->functab + (t->nfunc + 1) * t->functab_ent > n) return 0;
  }
  /* The first two entries must be ordered and point inside the table. */
  const uint8_t *f = p + t->functab;
  uint64_t e0, e1, fo0;
  if (ver >= 118) {
    e0 = ge_rd32(b, f);
    fo0 = ge_rd32(b, f + 4);
    e1 = ge_rd32(b, f + 8);
  } else {
    e0 = ge_rdword(b, f, ps);
    fo0 = ge_rdword(b, f + ps, ps);
    e1 = ge_rdword(b, f + 2 * ps, ps);
  }
  if (e1 < e0 || fo0 >= n - t->pclntab) return 0;
  return 1;
}

int ge_pcln_probe(const ge_binary *b, const uint8_t *p, size_t n) {
  ge_pcln t;
  return pcln_header(b, p, n, &t);
}

/* Scans [p, p+n) for a valid header at 4-byte alignment relative to va. */
static int scan_for(ge_binary *b, const uint8_t *p, size_t n, uint64_t va) {
  size_t start = (size_t)((4 - (va & 3)) & 3);
  for (size_t i = start; i + 64 <= n; i += 4) {
    if (p[i + 4] || p[i + 5] || p[i + 3] != (b->be ? 0xfb : 0xff)) continue;
    if (!ver_of_magic(ge_rd32(b, p + i))) continue;
    if (pcln_header(b, p + i, n - i, &b->pcln)) {
      b->pcln.va = va + i;
      return 1;
    }
  }
  return 0;
}

/* moduledata: a structure whose first word points at pclntab and whose second
 * (1.16+: funcnametab.ptr) points at pclntab+funcnameOffset. */
static int md_check(ge_binary *b, uint64_t md) {
  ge_pcln *t = &b->pcln;
  uint64_t w0, w1;
  if (!ge_elf_read_ptr(b, md, t->ptrsize, &w0) || w0 != t->va) return 0;
  if (!ge_elf_read_ptr(b, md + t->ptrsize, t->ptrsize, &w1)) return 0;
  return w1 == t->va + t->funcnametab;
}

static void find_moduledata(ge_binary *b) {
  ge_pcln *t = &b->pcln;
  unsigned ps = t->ptrsize;
  const ge_sect *s = ge_elf_section(b, ".go.module");
  if (s && md_check(b, s->addr)) {
    b->md_va = s->addr;
    return;
  }
  /* Scan the data sections (or writable segments) for the pclntab address. */
  static const char *names[] = {".noptrdata", ".data", ".data.rel.ro", ".go.module"};
  for (size_t k = 0; k < 4 + b->nsegs; k++) {
    uint64_t va, n;
    const uint8_t *p;
    if (k < 4) {
      s = ge_elf_section(b, names[k]);
      if (!s || !(p = ge_elf_sect_data(b, s))) continue;
      va = s->addr;
      n = s->size;
    } else {
      if (b->nsects) break;
      const ge_seg *g = &b->segs[k - 4];
      if (!(g->flags & 2)) continue;
      if (!(p = ge_elf_seg_data(b, g))) continue;
      va = g->vaddr;
      n = g->filesz;
    }
    for (uint64_t i = (ps - (va % ps)) % ps; i + 2 * ps <= n; i += ps) {
      if (ge_rdword(b, p + i, ps) == t->va && md_check(b, va + i)) {
        b->md_va = va + i;
        return;
      }
    }
  }
  /* PIE: the words are 0 in the file, the relocations hold the values. */
  size_t cur = 0;
  uint64_t where;
  while (ge_elf_find_rela_addend(b, t->va, &cur, &where)) {
    if (md_check(b, where)) {
      b->md_va = where;
      return;
    }
  }
}

static uint64_t md_word(ge_binary *b, unsigned idx) {
  uint64_t v = 0;
  if (!ge_elf_read_ptr(b, b->md_va + (uint64_t)idx * b->pcln.ptrsize, b->pcln.ptrsize, &v))
    return 0;
  return v;
}

static void setup_text_and_gofunc(ge_binary *b) {
  ge_pcln *t = &b->pcln;
  if (t->ver < 118) return;
  find_moduledata(b);
  if (b->md_va) {
    uint64_t text = md_word(b, 22);
    if (text) t->textstart = text;
    uint64_t gofunc;
    if (t->ver == 118) {
      gofunc = md_word(b, 38);
    } else {
      /* 1.20–1.26: types@37, etypes@38, rodata@39, gofunc@40;
       * 1.27+: types@37, typedesclen@38, etypes@39, ..., gofunc@43. */
      uint64_t w37 = md_word(b, 37), w38 = md_word(b, 38);
      gofunc = w38 >= w37 ? md_word(b, 40) : md_word(b, 43);
    }
    if (gofunc && ge_elf_va(b, gofunc, 1)) {
      t->gofunc = gofunc;
      t->have_gofunc = 1;
    }
  }
  if (!t->textstart) {
    const ge_sect *s = ge_elf_section(b, ".text");
    if (s) t->textstart = s->addr;
  }
}

ge_err ge_pcln_find(ge_binary *b, ge_error *err) {
  static const char *names[] = {".gopclntab", ".data.rel.ro.gopclntab"};
  for (int i = 0; i < 2; i++) {
    const ge_sect *s = ge_elf_section(b, names[i]);
    const uint8_t *p = ge_elf_sect_data(b, s);
    if (p && pcln_header(b, p, s->size, &b->pcln)) {
      b->pcln.va = s->addr;
      b->pcln_where = names[i];
      goto found;
    }
  }
  /* Renamed or merged (external PIE: .data.rel.ro), or no section headers. */
  for (size_t i = 0; i < b->nsects; i++) {
    const ge_sect *s = &b->sects[i];
    const uint8_t *p;
    if (!(s->flags & 2) || (s->flags & 4) || !(p = ge_elf_sect_data(b, s))) continue;
    if (scan_for(b, p, s->size, s->addr)) {
      b->pcln_where = "scan";
      goto found;
    }
  }
  if (!b->nsects) {
    for (int pass = 0; pass < 2; pass++)
      for (size_t i = 0; i < b->nsegs; i++) {
        const ge_seg *g = &b->segs[i];
        if ((pass == 0) == ((g->flags & 1) != 0)) continue; /* non-exec first */
        const uint8_t *p = ge_elf_seg_data(b, g);
        if (p && scan_for(b, p, g->filesz, g->vaddr)) {
          b->pcln_where = "scan";
          goto found;
        }
      }
  }
  return ge_fail(err, GE_ERR_FORMAT, "no pclntab found (not a Go binary?)");
found:;
  ge_pcln *t = &b->pcln;
  if (t->ver == 12 && b->go_version.len == 0) {
    /* No buildinfo: Go ≤ 1.12, whose inline indexes were 1 and 2. */
    t->pcdata_inl = 1;
    t->funcdata_inl = 2;
  }
  setup_text_and_gofunc(b);
  return GE_OK;
}

/* ------------------------------------------------------------- decoding */

typedef ge_fnhdr fn;

static uint64_t ft_entry(const ge_binary *b, size_t i) {
  const ge_pcln *t = &b->pcln;
  const uint8_t *f = t->tab + t->functab + i * t->functab_ent;
  return t->ver >= 118 ? t->textstart + ge_rd32(b, f) : ge_rdword(b, f, t->ptrsize);
}

static uint64_t ft_funcoff(const ge_binary *b, size_t i) {
  const ge_pcln *t = &b->pcln;
  const uint8_t *f = t->tab + t->functab + i * t->functab_ent;
  return t->ver >= 118 ? ge_rd32(b, f + 4) : ge_rdword(b, f + t->ptrsize, t->ptrsize);
}

static unsigned hdr_size(const ge_pcln *t) {
  const pcln_layout *L = layout_of(t->ver);
  return (L->entry_is_word ? t->ptrsize : 4) + L->nfields * 4 + 4;
}

/* u32 field n (1 = nameoff, 3 = deferreturn, 5 = pcfile, 6 = pcln, 7 = npcdata,
 * 8 = cuOffset, 9 = startLine) of the _func header. */
static uint32_t field(const ge_binary *b, const fn *f, unsigned n) {
  const ge_pcln *t = &b->pcln;
  unsigned es = t->ver >= 118 ? 4 : t->ptrsize;
  return ge_rd32(b, f->p + es + (n - 1) * 4);
}

static ge_err get_fn(ge_binary *b, size_t i, fn *out, ge_error *err) {
  const ge_pcln *t = &b->pcln;
  uint64_t off = ft_funcoff(b, i);
  size_t base = t->ver == 12 ? 0 : t->pclntab;
  if (off >= t->size - base || t->size - base - off < hdr_size(t) + 4)
    return ge_fail(err, GE_ERR_FORMAT, "pclntab: function %zu header at offset %llu out of table",
                   i, (unsigned long long)off);
  out->p = t->tab + base + off;
  out->avail = t->size - base - off;
  out->va = t->va + base + off;
  out->entry = ft_entry(b, i);
  out->end = ft_entry(b, i + 1);
  return GE_OK;
}

static inline int uvarint(const uint8_t **pp, const uint8_t *end, uint32_t *v) {
  const uint8_t *p = *pp;
  if (p < end && *p < 0x80) { /* most deltas fit in one byte */
    *v = *p;
    *pp = p + 1;
    return 1;
  }
  uint32_t r = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    if (p >= end) return 0;
    uint8_t c = *p++;
    r |= (uint32_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *v = r;
      *pp = p;
      return 1;
    }
  }
  return 0;
}

/* The value of the pcvalue table at pctab offset `off` for target pc. Returns
 * 1 and *val, 0 when there is no value (-1 semantics), -1 when corrupt. */
static int pcvalue(const ge_binary *b, uint32_t off, uint64_t entry, uint64_t target,
                   int32_t *val) {
  const ge_pcln *t = &b->pcln;
  *val = -1;
  if (off == 0) return 0;
  size_t base = t->ver == 12 ? 0 : t->pctab;
  if (off >= t->size - base) return -1;
  const uint8_t *p = t->tab + base + off, *end = t->tab + t->size;
  int32_t v = -1;
  uint64_t pc = entry;
  for (int first = 1;; first = 0) {
    uint32_t uv, pd;
    if (!uvarint(&p, end, &uv)) return -1;
    if (uv == 0 && !first) return 0;
    int32_t d = (uv & 1) ? -(int32_t)(uv >> 1) - 1 : (int32_t)(uv >> 1);
    v = (int32_t)((uint32_t)v + (uint32_t)d);
    if (!uvarint(&p, end, &pd)) return -1;
    pc += (uint64_t)pd * t->quantum;
    if (target < pc) {
      *val = v;
      return 1;
    }
  }
}

/* ---- incremental pcvalue decoding (ge_pcv) */

enum { PCV_MORE, PCV_END, PCV_BAD, PCV_NONE };

/* Offset 0 means "no table", except with literal0, where it is the table
 * at pctab's first byte (see fc_load). */
static void pcv_reset(const ge_binary *b, ge_pcv *d, int bad, uint32_t off, uint64_t entry,
                      int literal0) {
  const ge_pcln *t = &b->pcln;
  size_t base = t->ver == 12 ? 0 : t->pctab;
  d->n = d->hint = 0;
  d->pc = entry;
  d->v = -1;
  d->first = 1;
  if (bad || off >= t->size - base) {
    d->state = PCV_BAD;
  } else if (off == 0 && !literal0) {
    d->state = PCV_NONE;
  } else {
    d->state = PCV_MORE;
    d->p = t->tab + base + off;
    d->end = t->tab + t->size;
  }
}

static int pcv_grow(ge_pcv *d) {
  size_t cap = d->cap ? d->cap * 2 : 256;
  uint64_t *e = realloc(d->ends, cap * sizeof *e);
  if (!e) return -1;
  d->ends = e;
  int32_t *v = realloc(d->vals, cap * sizeof *v);
  if (!v) return -1;
  d->vals = v;
  d->cap = cap;
  return 0;
}

static void pcv_free(ge_pcv *d) {
  free(d->ends);
  free(d->vals);
}

/* pcvalue() through the decoded runs: 1 and *val, 0 when there is no value,
 * -1 when corrupt before target, -2 when out of memory. Runs of zero length
 * are not kept (no pc can fall in them); a pc that wraps is corrupt. */
static int pcv_query(const ge_binary *b, ge_pcv *d, uint64_t target, int32_t *val) {
  *val = -1;
  if (d->state == PCV_NONE) return 0;
  if (d->n && target < d->ends[d->n - 1]) {
    size_t k = d->hint;
    if (!(target < d->ends[k] && (k == 0 || d->ends[k - 1] <= target))) {
      size_t lo = 0, hi = d->n - 1; /* the first run ending after target */
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->ends[mid] > target) hi = mid;
        else lo = mid + 1;
      }
      k = lo;
    }
    d->hint = k;
    *val = d->vals[k];
    return 1;
  }
  if (d->state != PCV_MORE) return d->state == PCV_END ? 0 : -1;
  /* The decoding loop keeps its state in locals (registers), written back
   * once: through d-> every step stored and reloaded the whole state. */
  const uint64_t q = b->pcln.quantum;
  const uint8_t *p = d->p, *end = d->end;
  uint64_t pc = d->pc;
  int32_t v = d->v;
  int first = d->first, state = PCV_MORE, found = 0;
  size_t n = d->n;
  for (;;) {
    uint32_t uv, pd;
    if (p + 1 < end && !((p[0] | p[1]) & 0x80)) { /* both varints one byte: most pairs */
      uv = p[0];
      pd = p[1];
      p += 2;
      if (uv == 0 && !first) {
        state = PCV_END;
        break;
      }
    } else {
      if (!uvarint(&p, end, &uv)) {
        state = PCV_BAD;
        break;
      }
      if (uv == 0 && !first) { /* the terminator may be the table's last byte */
        state = PCV_END;
        break;
      }
      if (!uvarint(&p, end, &pd)) {
        state = PCV_BAD;
        break;
      }
    }
    first = 0;
    int32_t dv = (uv & 1) ? -(int32_t)(uv >> 1) - 1 : (int32_t)(uv >> 1);
    v = (int32_t)((uint32_t)v + (uint32_t)dv);
    if (!pd) continue;
    uint64_t npc = pc + (uint64_t)pd * q;
    if (npc < pc) {
      state = PCV_BAD;
      break;
    }
    pc = npc;
    if (n == d->cap) {
      d->n = n;
      if (pcv_grow(d) < 0) {
        d->p = p, d->pc = pc, d->v = v, d->first = (uint8_t)first;
        return -2;
      }
    }
    d->ends[n] = npc;
    d->vals[n] = v;
    n++;
    if (target < npc) {
      found = 1;
      break;
    }
  }
  d->p = p;
  d->pc = pc;
  d->v = v;
  d->first = (uint8_t)first;
  d->n = n;
  d->state = (uint8_t)state;
  if (found) {
    d->hint = n - 1;
    *val = v;
    return 1;
  }
  return d->state == PCV_END ? 0 : -1;
}

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

/* Address of funcdata k of f, 0 when none. */
static uint64_t funcdata(ge_binary *b, const fn *f, unsigned k) {
  const ge_pcln *t = &b->pcln;
  unsigned hs = hdr_size(t);
  uint32_t npcdata = field(b, f, 7);
  unsigned nfd;
  if (t->ver == 12) {
    uint32_t q = field(b, f, 8);
    if ((q >> 24) == 0 && q < 256 && b->go_version.len == 0)
      nfd = q; /* Go ≤ 1.11: nfuncdata is an int32 */
    else
      nfd = q >> 24;
  } else {
    nfd = f->p[hs - 1];
  }
  if (k >= nfd) return 0;
  uint64_t off = (uint64_t)hs + 4 * (uint64_t)npcdata;
  if (t->ver >= 118) {
    if (off + 4 * (uint64_t)(k + 1) > f->avail || !t->have_gofunc) return 0;
    uint32_t o = ge_rd32(b, f->p + off + 4 * k);
    return o == UINT32_MAX ? 0 : t->gofunc + o;
  }
  if (t->ptrsize == 8 && ((f->va + off) & 4)) off += 4;
  if (off + (uint64_t)t->ptrsize * (k + 1) > f->avail) return 0;
  uint64_t v = 0;
  uint64_t va = f->va + off + (uint64_t)t->ptrsize * k;
  const uint8_t *p = f->p + off + (uint64_t)t->ptrsize * k;
  v = ge_rdword(b, p, t->ptrsize);
  if (!v) ge_elf_read_ptr(b, va, t->ptrsize, &v);
  return v;
}

static size_t find_func(const ge_binary *b, uint64_t pc) {
  const ge_pcln *t = &b->pcln;
  size_t n = (size_t)t->nfunc;
  if (pc < ft_entry(b, 0) || pc >= ft_entry(b, n)) return SIZE_MAX;
  size_t lo = 0, hi = n; /* entry(lo) <= pc < entry(hi) */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (ft_entry(b, mid) <= pc) lo = mid;
    else hi = mid;
  }
  return lo;
}

/* Whether functab entries never decrease: then the function holding a pc is
 * the only i with entry(i) <= pc < entry(i+1), and the cached function (or
 * the next one) can answer without a search, with the search's result. */
static int functab_sorted(ge_binary *b) {
  if (!b->ft_sorted) {
    size_t n = (size_t)b->pcln.nfunc;
    uint64_t prev = ft_entry(b, 0);
    b->ft_sorted = 1;
    for (size_t i = 1; i <= n; i++) {
      uint64_t e = ft_entry(b, i);
      if (e < prev) {
        b->ft_sorted = -1;
        break;
      }
      prev = e;
    }
  }
  return b->ft_sorted > 0;
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
  ge_err rc = get_fn(b, i, &c->f, err);
  if (rc) return rc;
  const fn *f = &c->f;
  c->name = funcname(b, field(b, f, 1));
  c->tree = t->funcdata_inl >= 0 ? funcdata(b, f, (unsigned)t->funcdata_inl) : 0;
  c->old = t->ver == 12 && b->go_version.len == 0 && (field(b, f, 8) >> 24) == 0;
  c->recsz = c->old ? 16 : layout_of(t->ver)->inl_size;
  c->cuoff = t->ver == 12 ? 0 : field(b, f, 8);
  c->fileno = -1;
  c->file_name = filename(b, c->cuoff, -1);
  /* Functions the external linker brought in (cgo's _cgo_<hash>_Cfunc_*
   * wrappers) have file and line offsets 0. The runtime reads that as "no
   * table"; go tool addr2line (debug/gosym) decodes the table at offset 0
   * of pctab and prints its file and line: answer as addr2line does, in the
   * layouts (1.16+) where pctab is a table of its own. */
  int literal0 = t->ver != 12;
  pcv_reset(b, &c->file, 0, field(b, f, 5), f->entry, literal0);
  pcv_reset(b, &c->line, 0, field(b, f, 6), f->entry, literal0);
  uint32_t npcdata = field(b, f, 7);
  uint64_t at = hdr_size(t) + 4 * (uint64_t)t->pcdata_inl;
  if ((uint32_t)t->pcdata_inl >= npcdata) pcv_reset(b, &c->inl, 0, 0, f->entry, 0);
  else if (at + 4 > f->avail) pcv_reset(b, &c->inl, 1, 0, f->entry, 0);
  else pcv_reset(b, &c->inl, 0, ge_rd32(b, f->p + at), f->entry, 0);
  c->i = i;
  return GE_OK;
}

/* File and line at pc: 0, -1 when corrupt, -2 when out of memory. */
static int pos_at(ge_binary *b, uint64_t pc, ge_frame *fr) {
  ge_fncache *c = &b->fc;
  int32_t fileno, line;
  int r1 = pcv_query(b, &c->file, pc, &fileno);
  int r2 = pcv_query(b, &c->line, pc, &line);
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
  int r = pcv_query(b, &b->fc.inl, pc, ix);
  return r < 0 ? r : 0;
}

static ge_err nomem(ge_error *err) { return ge_fail(err, GE_ERR_NOMEM, "out of memory"); }

/* What a batch lookup remembers of the PC before: its function, inline
 * index and innermost file:line decide its whole chain, so a PC with the
 * same four shares the frames already written (in address order about four
 * PCs in ten do, e.g. two instructions of one statement). */
typedef struct pcmemo {
  int ok, hit, fresh; /* fresh: set by the lookup just made */
  size_t fi;
  int32_t ix;
  const char *file;
  uint32_t line;
} pcmemo;

static ge_err lookup_memo(ge_binary *b, uint64_t pc, ge_frame *out, size_t max, size_t *n,
                          ge_error *err, pcmemo *m);
static ge_err walk_inline(ge_binary *b, uint64_t tree, int32_t ix, const ge_frame *inner,
                          ge_frame *out, size_t max, size_t *n, ge_error *err);

ge_err ge_pcln_lookup(ge_binary *b, uint64_t pc, ge_frame *out, size_t max, size_t *n,
                      ge_error *err) {
  return lookup_memo(b, pc, out, max, n, err, NULL);
}

static ge_err lookup_memo(ge_binary *b, uint64_t pc, ge_frame *out, size_t max, size_t *n,
                          ge_error *err, pcmemo *m) {
  ge_pcln *t = &b->pcln;
  ge_fncache *c = &b->fc;
  *n = 0;
  if (!t->tab) return GE_OK;
  if (c->i == SIZE_MAX || pc < c->f.entry || pc >= c->f.end || !functab_sorted(b)) {
    size_t i = SIZE_MAX;
    if (c->i != SIZE_MAX && c->i + 2 <= t->nfunc && pc >= c->f.end &&
        pc < ft_entry(b, c->i + 2) && functab_sorted(b))
      i = c->i + 1; /* the next function: PCs in address order */
    else
      i = find_func(b, pc);
    if (i == SIZE_MAX) return GE_OK;
    if (i != c->i) {
      ge_err rc = fc_load(b, i, err);
      if (rc) return rc;
    }
  }
  const fn *f = &c->f;
  if (pc >= f->end) return GE_OK;
  ge_strview phys = c->name;
  uint64_t tree = c->tree;
  int r;
  int32_t ix = -1;
  if (tree && (r = inl_index(b, pc, &ix)) < 0)
    return r == -2 ? nomem(err)
                   : ge_fail(err, GE_ERR_FORMAT, "pclntab: corrupt inline index table of %.*s",
                             (int)phys.len, phys.ptr);
  ge_frame fr;
  memset(&fr, 0, sizeof fr);
  if ((r = pos_at(b, pc, &fr)) < 0)
    return r == -2 ? nomem(err)
                   : ge_fail(err, GE_ERR_FORMAT, "pclntab: corrupt file/line table of %.*s",
                             (int)phys.len, phys.ptr);
  if (m) {
    if (m->ok && m->fi == c->i && m->ix == ix && m->file == fr.file.ptr && m->line == fr.line) {
      m->hit = 1;
      return GE_OK;
    }
    *m = (pcmemo){1, 0, 1, c->i, ix, fr.file.ptr, fr.line};
  }
  ge_err rc = walk_inline(b, tree, ix, &fr, out, max, n, err);
  if (rc && m) m->ok = 0;
  return rc;
}

/* The inlined frames from inline tree record ix up, then the physical
 * function; inner holds the innermost file:line. */
static ge_err walk_inline(ge_binary *b, uint64_t tree, int32_t ix, const ge_frame *inner,
                          ge_frame *out, size_t max, size_t *n, ge_error *err) {
  ge_fncache *c = &b->fc;
  const fn *f = &c->f;
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
      if (r == -2) return nomem(err);
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

/* ---- many PCs: sorted by address, answered in one pass */

struct ge_pcsort {
  uint64_t pc;
  uint64_t i;
};

/* LSD radix sort of a[0..n) by pc, 8 bits a pass, skipping the bytes that
 * every pc shares; tmp has room for n. Returns the sorted copy (a or tmp). */
static struct ge_pcsort *radix_sort(struct ge_pcsort *a, struct ge_pcsort *tmp, size_t n) {
  size_t cnt[8][256];
  memset(cnt, 0, sizeof cnt);
  for (size_t k = 0; k < n; k++)
    for (unsigned by = 0; by < 8; by++) cnt[by][(a[k].pc >> (8 * by)) & 255]++;
  for (unsigned by = 0; by < 8; by++) {
    size_t *c = cnt[by];
    if (c[(a[0].pc >> (8 * by)) & 255] == n) continue;
    size_t sum = 0;
    for (unsigned v = 0; v < 256; v++) {
      size_t x = c[v];
      c[v] = sum;
      sum += x;
    }
    for (size_t k = 0; k < n; k++) tmp[c[(a[k].pc >> (8 * by)) & 255]++] = a[k];
    struct ge_pcsort *s = a;
    a = tmp;
    tmp = s;
  }
  return a;
}

/* How packed keys are sorted: by their bits [from, to), in as few passes
 * of at most 12 bits as cover them, the bits spread evenly (23 bits of PC
 * offset: two passes of 12 and 11 bits, where 11-bit digits took three). */
enum { KEY_MAXBITS = 12, KEY_RADIX = 1 << KEY_MAXBITS };
typedef struct keydigits {
  unsigned from, passes, bits;
  uint64_t mask;
} keydigits;

static keydigits key_digits(unsigned from, unsigned to) {
  keydigits d = {from, 0, 0, 0};
  unsigned span = to > from ? to - from : 0;
  d.passes = (span + KEY_MAXBITS - 1) / KEY_MAXBITS;
  d.bits = d.passes ? (span + d.passes - 1) / d.passes : 0;
  d.mask = ((uint64_t)1 << d.bits) - 1;
  return d;
}

/* LSD radix sort of packed keys; cnt holds, for each pass p, the count of
 * each digit value at cnt[p * KEY_RADIX] (counted while the keys were made:
 * one read of them, not one a pass). The bits below d->from are input
 * positions, already ascending: the sort is stable. tmp has room for n.
 * Returns the sorted copy (a or tmp). */
static uint64_t *radix_keys(uint64_t *a, uint64_t *tmp, size_t n, const keydigits *d,
                            size_t *cnt) {
  size_t r = (size_t)1 << d->bits;
  for (unsigned p = 0, sh = d->from; p < d->passes; p++, sh += d->bits) {
    size_t *c = cnt + (size_t)p * KEY_RADIX;
    if (c[(a[0] >> sh) & d->mask] == n) continue; /* every key has this digit */
    size_t sum = 0;
    for (size_t v = 0; v < r; v++) {
      size_t x = c[v];
      c[v] = sum;
      sum += x;
    }
    for (size_t k = 0; k < n; k++) tmp[c[(a[k] >> sh) & d->mask]++] = a[k];
    uint64_t *s = a;
    a = tmp;
    tmp = s;
  }
  return a;
}

/* The PCs in address order: packed keys ((pc - base) << ibits | position)
 * when they fit in 64 bits (8 bytes a PC, not 16), else (pc, position) pairs. */
typedef struct pcorder {
  const struct ge_pcsort *pairs;
  const uint64_t *keys;
  uint64_t base, imask;
  unsigned ibits;
} pcorder;

static inline uint64_t order_pc(const pcorder *o, size_t k) {
  return o->keys ? o->base + (o->keys[k] >> o->ibits) : o->pairs[k].pc;
}

static inline size_t order_pos(const pcorder *o, size_t k) {
  return o->keys ? (size_t)(o->keys[k] & o->imask) : (size_t)o->pairs[k].i;
}

static unsigned bits_of(uint64_t v) {
  unsigned n = 0;
  while (v) {
    n++;
    v >>= 1;
  }
  return n;
}

static ge_err sort_pcs(ge_binary *b, const uint64_t *pcs, size_t npcs, pcorder *o,
                       ge_error *err) {
  if (npcs > SIZE_MAX / (2 * sizeof(struct ge_pcsort))) return nomem(err);
  uint64_t lo = pcs[0], hi = pcs[0];
  for (size_t k = 1; k < npcs; k++) {
    if (pcs[k] < lo) lo = pcs[k];
    if (pcs[k] > hi) hi = pcs[k];
  }
  unsigned ibits = bits_of(npcs - 1), pbits = bits_of(hi - lo);
  int packed = ibits + pbits <= 64;
  size_t need = 2 * npcs * (packed ? sizeof(uint64_t) : sizeof(struct ge_pcsort));
  if (b->sortcap < need) { /* scratch: nothing to keep */
    ge_big_free(b->sortbuf, b->sortcap);
    b->sortbuf = ge_big_alloc(need);
    b->sortcap = b->sortbuf ? need : 0;
    if (!b->sortbuf) return nomem(err);
  }
  memset(o, 0, sizeof *o);
  if (packed) {
    uint64_t *a = b->sortbuf;
    keydigits d = key_digits(ibits, ibits + pbits);
    size_t *cnt = calloc((size_t)d.passes * KEY_RADIX + 1, sizeof *cnt);
    if (!cnt) return nomem(err);
    if (d.passes == 2) { /* the usual case (up to 24 bits of offsets), unrolled */
      for (size_t k = 0; k < npcs; k++) {
        uint64_t x = pcs[k] - lo;
        a[k] = x << ibits | k;
        cnt[x & d.mask]++;
        cnt[KEY_RADIX + ((x >> d.bits) & d.mask)]++;
      }
    } else {
      for (size_t k = 0; k < npcs; k++) {
        uint64_t x = pcs[k] - lo;
        a[k] = x << ibits | k;
        for (unsigned p = 0; p < d.passes; p++) cnt[p * KEY_RADIX + ((x >> (p * d.bits)) & d.mask)]++;
      }
    }
    o->keys = radix_keys(a, a + npcs, npcs, &d, cnt);
    free(cnt);
    o->base = lo;
    o->ibits = ibits;
    o->imask = ibits ? UINT64_MAX >> (64 - ibits) : 0;
  } else {
    struct ge_pcsort *a = b->sortbuf;
    for (size_t k = 0; k < npcs; k++) {
      a[k].pc = pcs[k];
      a[k].i = k;
    }
    o->pairs = radix_sort(a, a + npcs, npcs);
  }
  return GE_OK;
}

/* Answers sorted positions [from, to) of a batch into frames [used, cap) of
 * fr, stopping early (next < to) when fewer than `room` frames are left. A
 * job touches only its own positions' answers, its frame range and its
 * binary's lookup caches, so jobs on different handles (copies of one, each
 * with caches of its own) can run at once. */
typedef struct answer_job {
  ge_binary *b;
  const pcorder *o;
  ge_pcframes *res;
  ge_frame *fr;
  size_t from, to, next;
  size_t used, cap, room;
  ge_err rc; /* GE_ERR_NOMEM, or GE_ERR_ARG past UINT32_MAX frames */
} answer_job;

static void answer(answer_job *j) {
  const pcorder *o = j->o;
  ge_pcframes *res = j->res;
  uint64_t prev = 0;
  size_t prevpos = 0, memo_pos = 0; /* memo_pos: the PC the memo describes */
  pcmemo memo = {0};
  size_t k = j->from;
  j->rc = GE_OK;
  for (; k < j->to; k++) {
    uint64_t pc = order_pc(o, k);
    size_t pos = order_pos(o, k);
    ge_pcframes *r = &res[pos];
    if (k > j->from && pc == prev) {
      *r = res[prevpos];
      continue;
    }
    if (j->cap - j->used < j->room) break;
    prev = pc;
    size_t n = 0;
    ge_error e;
    r->rc = lookup_memo(j->b, pc, j->fr + j->used, j->room, &n, &e, &memo);
    prevpos = pos;
    if (memo.hit) { /* the chain of an earlier PC: its frames */
      memo.hit = 0;
      *r = res[memo_pos];
      continue;
    }
    if (memo.fresh) {
      memo.fresh = 0;
      memo_pos = pos;
    }
    if (r->rc == GE_ERR_NOMEM) {
      j->rc = GE_ERR_NOMEM;
      break;
    }
    if (r->rc) n = 0;
    if (j->used + n > UINT32_MAX) {
      j->rc = GE_ERR_ARG;
      break;
    }
    r->first = (uint32_t)j->used;
    r->n = (uint32_t)n;
    j->used += n;
  }
  j->next = k;
}

/* Batches of at least this many PCs are answered by several threads when
 * limits.max_threads allows (it defaults to the CPUs there are); smaller
 * ones (a stack, a profile's few thousand locations) stay on the caller's.
 * The fuzzers build with a tiny threshold, so that their batches take the
 * threaded path too. */
#ifndef GE_LOOKUP_MT_MIN
#define GE_LOOKUP_MT_MIN 20000
#endif
enum {
  LOOKUP_MAXTHREADS = 8,
  SEGS_PER_THREAD = 8, /* a thread that falls behind (a busy CPU) leaves its
                          segments to the others, so the last to finish
                          waits about one segment (1/16 of the work on two
                          threads); fixed halves were seen 4 ms apart */
  SEG_MIN_PCS = 64
};

/* The sorted position where a segment that should start at `at` starts:
 * the first PC past the function holding the PC before `at` (no
 * function's tables decoded twice), npcs when there is none. */
static size_t seg_start(ge_binary *b, const pcorder *o, size_t npcs, size_t at) {
  if (at == 0 || at >= npcs) return at ? npcs : 0;
  uint64_t pc = order_pc(o, at - 1);
  size_t i = find_func(b, pc);
  uint64_t end = i == SIZE_MAX ? pc + 1 : ft_entry(b, i + 1);
  if (end <= pc) return npcs;
  size_t lo = at, hi = npcs; /* the first position with a pc >= end */
  while (lo < hi) {
    size_t m = lo + (hi - lo) / 2;
    if (order_pc(o, m) < end) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/* Segments of the sorted PCs, taken in turn by whichever thread is free. */
typedef struct lookup_pool {
  answer_job *seg;
  size_t nseg;
  atomic_size_t next;
} lookup_pool;

typedef struct pool_thread {
  lookup_pool *pool;
  ge_binary *b; /* the caller's handle, or a copy with caches of its own */
  pthread_t th;
  int started;
} pool_thread;

static void pool_run(lookup_pool *p, ge_binary *b) {
  for (;;) {
    size_t s = atomic_fetch_add(&p->next, 1);
    if (s >= p->nseg) return;
    p->seg[s].b = b;
    answer(&p->seg[s]);
  }
}

static void *pool_thread_main(void *arg) {
  pool_thread *t = arg;
  pool_run(t->pool, t->b);
  return NULL;
}

/* The lookup caches: the last function's decoded tables, name lengths. */
static void lookup_cache_free(ge_binary *b) {
  pcv_free(&b->fc.file);
  pcv_free(&b->fc.line);
  pcv_free(&b->fc.inl);
  free(b->names);
  b->names = NULL;
}

/* A copy of b for another thread: the rest of a handle is only read by
 * lookups; the caches are its own, empty. */
static ge_binary *lookup_copy(const ge_binary *b) {
  ge_binary *c = malloc(sizeof *c);
  if (!c) return NULL;
  *c = *b;
  memset(&c->fc, 0, sizeof c->fc);
  c->fc.i = SIZE_MAX;
  c->names = NULL;
  return c;
}

/* The segments of a batch of npcs sorted PCs for nthreads threads, with
 * frames [0, cap) shared out in proportion to their PCs. Returns their
 * count (1 without threads or when the function table is not sorted). */
static size_t make_segments(ge_binary *b, const pcorder *o, size_t npcs, unsigned nthreads,
                            answer_job *seg, size_t maxseg, const answer_job *proto) {
  size_t want = 1;
  if (nthreads >= 2 && functab_sorted(b)) {
    want = (size_t)nthreads * SEGS_PER_THREAD;
    if (want > npcs / SEG_MIN_PCS) want = npcs / SEG_MIN_PCS;
    if (want < nthreads) want = nthreads;
    if (want > maxseg) want = maxseg;
  }
  size_t n = 0, from = 0;
  for (size_t s = 1; s <= want && from < npcs; s++) {
    size_t to = s == want ? npcs : seg_start(b, o, npcs, npcs * s / want);
    if (to <= from) continue;
    answer_job *j = &seg[n++];
    *j = *proto;
    j->from = j->next = from;
    j->to = to;
    j->used = (size_t)((double)proto->cap * ((double)from / (double)npcs));
    j->cap = to == npcs ? proto->cap : (size_t)((double)proto->cap * ((double)to / (double)npcs));
    from = to;
  }
  return n;
}

ge_err ge_pcln_lookup_many(ge_binary *b, const uint64_t *pcs, size_t npcs, size_t max,
                           ge_pcframes *res, const ge_frame **frames, ge_error *err) {
  *frames = b->bframes;
  if (!max) return ge_fail(err, GE_ERR_ARG, "lookup_many: no room for frames (max = 0)");
  if (!npcs) return GE_OK;
  pcorder o;
  ge_err src = sort_pcs(b, pcs, npcs, &o, err);
  if (src) return src;
  /* A lookup writes at most min(max, max_inline_depth + 1) frames. */
  size_t room = (size_t)b->lim.max_inline_depth + 1;
  if (max < room) room = max;
  /* Room for two frames a PC up front (pages are only touched when filled). */
  if (b->bframes_cap < 2 * npcs && npcs <= SIZE_MAX / 4 / sizeof(ge_frame)) {
    ge_big_free(b->bframes, b->bframes_cap * sizeof(ge_frame)); /* the last batch's */
    b->bframes = ge_big_alloc(2 * npcs * sizeof(ge_frame));
    b->bframes_cap = b->bframes ? 2 * npcs : 0;
    if (!b->bframes) return nomem(err);
  }
  unsigned nthreads = 1;
  if (npcs >= GE_LOOKUP_MT_MIN && b->lim.max_threads >= 2)
    nthreads = b->lim.max_threads < LOOKUP_MAXTHREADS ? b->lim.max_threads : LOOKUP_MAXTHREADS;
  answer_job seg[LOOKUP_MAXTHREADS * SEGS_PER_THREAD];
  answer_job proto = {b, &o, res, b->bframes, 0, npcs, 0, 0, b->bframes_cap, room, GE_OK};
  lookup_pool pool = {seg, 0, 0};
  pool.nseg = make_segments(b, &o, npcs, nthreads, seg, sizeof seg / sizeof *seg, &proto);
  atomic_init(&pool.next, 0);
  pool_thread th[LOOKUP_MAXTHREADS];
  size_t nth = pool.nseg > 1 ? nthreads : 1;
  for (size_t t = 1; t < nth; t++) {
    th[t].pool = &pool;
    th[t].b = lookup_copy(b);
    th[t].started = th[t].b && pthread_create(&th[t].th, NULL, pool_thread_main, &th[t]) == 0;
  }
  pool_run(&pool, b); /* on this thread too: whatever the others leave */
  for (size_t t = 1; t < nth; t++) {
    if (th[t].started) pthread_join(th[t].th, NULL);
    if (th[t].b) {
      lookup_cache_free(th[t].b);
      free(th[t].b);
    }
  }
  /* What a segment left for want of room: answered here, after the last
   * frame any segment wrote, growing the array. */
  size_t used = 0;
  for (size_t s = 0; s < pool.nseg; s++)
    if (seg[s].used > used) used = seg[s].used;
  for (size_t s = 0; s < pool.nseg; s++) {
    answer_job *j = &seg[s];
    while (!j->rc && j->next < j->to) {
      if (b->bframes_cap - used < room) {
        size_t cap = b->bframes_cap ? b->bframes_cap : 1024;
        while (cap - used < room) {
          if (cap > SIZE_MAX / 2 / sizeof(ge_frame)) return nomem(err);
          cap *= 2;
        }
        ge_frame *fr = ge_big_realloc(b->bframes, b->bframes_cap * sizeof *fr, cap * sizeof *fr);
        if (!fr) return nomem(err);
        b->bframes = fr;
        b->bframes_cap = cap;
      }
      answer_job rest = {b, &o, res, b->bframes, j->next, j->to, 0, used, b->bframes_cap, room,
                         GE_OK};
      answer(&rest);
      used = rest.used;
      j->next = rest.next;
      j->rc = rest.rc;
    }
    if (j->rc == GE_ERR_NOMEM) return nomem(err);
    if (j->rc) return ge_fail(err, GE_ERR_ARG, "lookup_many: more than %u frames", UINT32_MAX);
  }
  *frames = b->bframes;
  return GE_OK;
}

void ge_pcln_free(ge_binary *b) {
  lookup_cache_free(b);
  ge_big_free(b->sortbuf, b->sortcap);
  ge_big_free(b->bframes, b->bframes_cap * sizeof(ge_frame));
}

ge_err ge_pcln_func(ge_binary *b, size_t i, ge_func_info *out, ge_error *err) {
  ge_pcln *t = &b->pcln;
  if (!t->tab || i >= t->nfunc) return ge_fail(err, GE_ERR_ARG, "function index %zu out of range", i);
  fn f;
  ge_err rc = get_fn(b, i, &f, err);
  if (rc) return rc;
  out->name = funcname(b, field(b, &f, 1));
  out->entry = f.entry;
  out->end = f.end;
  int32_t fileno, line;
  if (pcvalue(b, field(b, &f, 5), f.entry, f.entry, &fileno) < 0 ||
      pcvalue(b, field(b, &f, 6), f.entry, f.entry, &line) < 0)
    return ge_fail(err, GE_ERR_FORMAT, "pclntab: corrupt file/line table of %.*s",
                   (int)out->name.len, out->name.ptr);
  out->file = filename(b, t->ver == 12 ? 0 : field(b, &f, 8), fileno);
  out->start_line = t->ver >= 120 ? field(b, &f, 9) : (line > 0 ? (uint32_t)line : 0);
  return GE_OK;
}
