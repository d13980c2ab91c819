/* pclntab: the Go runtime's PC → function/file/line table, every format:
 * where it is, its header, and named accessors of its functab and _func
 * headers (pcln.h). Reading a PC's frames is lookup.c's.
 *
 *   ver  magic       Go          functab entries         _func header
 *   12   0xfffffffb  1.2–1.15    {entry, funcoff} words  entry word + 8 x u32
 *   116  0xfffffffa  1.16–1.17   {entry, funcoff} words  entry word + 9 x u32
 *   118  0xfffffff0  1.18–1.19   {entryoff, funcoff} u32 10 x u32
 *   120  0xfffffff1  1.20+       {entryoff, funcoff} u32 11 x u32 (startLine)
 *
 * Sources: Go's runtime/symtab.go, internal/abi/symtab.go,
 * debug/gosym/pclntab.go. Nothing here trusts the table: the header's
 * offsets are checked against its size, and so is each _func header. */
#include "pcln.h"

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

/* Fills t from the header at p (n bytes). Returns 1 when it looks valid. */
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
  t->inl_recsize = L->inl_size;
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

/* ------------------------------------------------------- _func headers */

/* Bytes of the _func header before its pcdata offsets. */
static unsigned hdr_size(const ge_pcln *t) {
  const pcln_layout *L = layout_of(t->ver);
  return (L->entry_is_word ? t->ptrsize : 4) + L->nfields * 4 + 4;
}

ge_err ge_func_header(ge_binary *b, size_t i, ge_fnhdr *out, ge_error *err) {
  const ge_pcln *t = &b->pcln;
  uint64_t off = ge_functab_funcoff(b, i);
  size_t base = t->ver == 12 ? 0 : t->pclntab;
  if (off >= t->size - base || t->size - base - off < hdr_size(t) + 4)
    return ge_fail(err, GE_ERR_FORMAT, "pclntab: function %zu header at offset %llu out of table",
                   i, (unsigned long long)off);
  out->p = t->tab + base + off;
  out->avail = t->size - base - off;
  out->va = t->va + base + off;
  out->entry = ge_functab_entry(b, i);
  out->end = ge_functab_entry(b, i + 1);
  return GE_OK;
}

int ge_func_pcdata(const ge_binary *b, const ge_fnhdr *f, unsigned k, uint32_t *off) {
  *off = 0;
  if (k >= ge_func_field(b, f, GE_FUNC_NPCDATA)) return 0;
  uint64_t at = hdr_size(&b->pcln) + 4 * (uint64_t)k;
  if (at + 4 > f->avail) return -1;
  *off = ge_rd32(b, f->p + at);
  return 1;
}

uint64_t ge_func_funcdata(ge_binary *b, const ge_fnhdr *f, unsigned k) {
  const ge_pcln *t = &b->pcln;
  unsigned hs = hdr_size(t);
  uint32_t npcdata = ge_func_field(b, f, GE_FUNC_NPCDATA);
  unsigned nfd;
  if (t->ver == 12) {
    uint32_t q = ge_func_field(b, f, GE_FUNC_NFUNCDATA_WORD);
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

/* ------------------------------------------------------------- functab */

size_t ge_functab_find(const ge_binary *b, uint64_t pc) {
  size_t n = (size_t)b->pcln.nfunc;
  if (pc < ge_functab_entry(b, 0) || pc >= ge_functab_entry(b, n)) return SIZE_MAX;
  size_t lo = 0, hi = n; /* entry(lo) <= pc < entry(hi) */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (ge_functab_entry(b, mid) <= pc) lo = mid;
    else hi = mid;
  }
  return lo;
}

int ge_functab_check_sorted(ge_binary *b) {
  if (!b->ft_sorted) {
    size_t n = (size_t)b->pcln.nfunc;
    uint64_t prev = ge_functab_entry(b, 0);
    b->ft_sorted = 1;
    for (size_t i = 1; i <= n; i++) {
      uint64_t e = ge_functab_entry(b, i);
      if (e < prev) {
        b->ft_sorted = -1;
        break;
      }
      prev = e;
    }
  }
  return b->ft_sorted > 0;
}

void ge_pcln_free(ge_binary *b) {
  ge_lookup_cache_free(b);
  ge_batch_free(b);
}
