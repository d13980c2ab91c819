/* ELF32/ELF64 headers, either byte order: section and program headers, address
 * translation, and RELATIVE relocations (to read pointers of PIE binaries).
 * Every offset and size from the file is checked against the map; headers
 * that lie about sizes are errors, not reads out of bounds. */
#include <stdatomic.h>
#include <stdlib.h>

#include "goescape/binary.h"
#include "internal.h"

#define SHT_NOBITS_ 8
#define SHT_RELA_ 4
#define PT_LOAD_ 1

static int in_map(const ge_binary *b, uint64_t off, uint64_t n) {
  return off <= b->map.size && n <= b->map.size - off;
}

/* Reads [off, off+n) of the file in (a no-op for binaries in memory). */
static ge_err load(const ge_binary *b, uint64_t off, uint64_t n, ge_error *err) {
  if (ge_map_get(&b->map, off, n, err)) return GE_OK;
  return ge_map_changed(&b->map) ? GE_ERR_IO : GE_ERR_FORMAT;
}

/* Everything a lookup may read (the loaded, non-executable sections) is read
 * at open, so lookups on several threads never wait for the file, and a
 * binary changed after open still answers from the bytes it was opened with.
 * Machine code (ge_binary_call_target), the symbol table and DWARF wait for
 * first use, where a change is an error. */
static ge_err preload(ge_binary *b, ge_error *err) {
  ge_err rc = GE_OK;
  if (!b->nsects) {
    for (size_t i = 0; i < b->nsegs && !rc; i++) rc = load(b, b->segs[i].off, b->segs[i].filesz, err);
    return rc;
  }
  for (size_t i = 0; i < b->nsects && !rc; i++) {
    const ge_sect *s = &b->sects[i];
    if (s->type == SHT_NOBITS_ || !(s->flags & 2) || (s->flags & 4) || !in_map(b, s->off, s->size))
      continue;
    rc = load(b, s->off, s->size, err);
  }
  return rc;
}

ge_err ge_elf_parse(ge_binary *b, ge_error *err) {
  ge_err rc;
  const uint8_t *d = b->map.data;
  size_t sz = b->map.size;
  if ((rc = load(b, 0, sz < 64 ? sz : 64, err))) return rc;
  if (sz < 16 || memcmp(d, "\177ELF", 4) != 0)
    return ge_fail(err, GE_ERR_FORMAT, "not an ELF file");
  if (d[4] != 1 && d[4] != 2) return ge_fail(err, GE_ERR_FORMAT, "bad ELF class %u", d[4]);
  if (d[5] != 1 && d[5] != 2) return ge_fail(err, GE_ERR_FORMAT, "bad ELF data encoding %u", d[5]);
  b->is64 = d[4] == 2;
  b->be = d[5] == 2;
  size_t ehsz = b->is64 ? 64 : 52;
  if (sz < ehsz) return ge_fail(err, GE_ERR_FORMAT, "truncated ELF header (%zu bytes)", sz);
  b->etype = ge_rd16(b, d + 16);
  b->machine = ge_rd16(b, d + 18);
  uint64_t phoff, shoff;
  unsigned phentsize, phnum, shentsize, shnum, shstrndx;
  if (b->is64) {
    phoff = ge_rd64(b, d + 32);
    shoff = ge_rd64(b, d + 40);
    phentsize = ge_rd16(b, d + 54);
    phnum = ge_rd16(b, d + 56);
    shentsize = ge_rd16(b, d + 58);
    shnum = ge_rd16(b, d + 60);
    shstrndx = ge_rd16(b, d + 62);
  } else {
    phoff = ge_rd32(b, d + 28);
    shoff = ge_rd32(b, d + 32);
    phentsize = ge_rd16(b, d + 42);
    phnum = ge_rd16(b, d + 44);
    shentsize = ge_rd16(b, d + 46);
    shnum = ge_rd16(b, d + 48);
    shstrndx = ge_rd16(b, d + 50);
  }
  /* Program headers. */
  unsigned need_ph = b->is64 ? 56 : 32, need_sh = b->is64 ? 64 : 40;
  if (phnum) {
    if (phentsize < need_ph || !in_map(b, phoff, (uint64_t)phnum * phentsize))
      return ge_fail(err, GE_ERR_FORMAT,
                     "program headers out of the file (offset %llu, %u x %u bytes, file %zu)",
                     (unsigned long long)phoff, phnum, phentsize, sz);
    if ((rc = load(b, phoff, (uint64_t)phnum * phentsize, err))) return rc;
    b->segs = calloc(phnum, sizeof *b->segs);
    if (!b->segs) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    for (unsigned i = 0; i < phnum; i++) {
      const uint8_t *p = d + phoff + (uint64_t)i * phentsize;
      ge_seg *s = &b->segs[b->nsegs];
      s->type = ge_rd32(b, p);
      if (b->is64) {
        s->flags = ge_rd32(b, p + 4);
        s->off = ge_rd64(b, p + 8);
        s->vaddr = ge_rd64(b, p + 16);
        s->filesz = ge_rd64(b, p + 32);
        s->memsz = ge_rd64(b, p + 40);
      } else {
        s->off = ge_rd32(b, p + 4);
        s->vaddr = ge_rd32(b, p + 8);
        s->filesz = ge_rd32(b, p + 16);
        s->memsz = ge_rd32(b, p + 20);
        s->flags = ge_rd32(b, p + 24);
      }
      if (s->type != PT_LOAD_) continue;
      /* A segment claiming more file bytes than exist is clamped: truncated
       * binaries still answer for what they hold. */
      if (s->off > sz) s->off = sz, s->filesz = 0;
      if (s->filesz > sz - s->off) s->filesz = sz - s->off;
      if (s->vaddr + s->filesz < s->vaddr) continue;
      b->nsegs++;
    }
  }
  /* Section headers (may be absent). */
  if (shnum && shoff) {
    if (shentsize < need_sh || !in_map(b, shoff, (uint64_t)shnum * shentsize))
      return ge_fail(err, GE_ERR_FORMAT,
                     "section headers out of the file (offset %llu, %u x %u bytes, file %zu)",
                     (unsigned long long)shoff, shnum, shentsize, sz);
    if ((rc = load(b, shoff, (uint64_t)shnum * shentsize, err))) return rc;
    if (shstrndx >= shnum)
      return ge_fail(err, GE_ERR_FORMAT, "section name table index %u out of range", shstrndx);
    b->sects = calloc(shnum, sizeof *b->sects);
    if (!b->sects) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    const uint8_t *sp = d + shoff + (uint64_t)shstrndx * shentsize;
    uint64_t stroff = b->is64 ? ge_rd64(b, sp + 24) : ge_rd32(b, sp + 16);
    uint64_t strsz = b->is64 ? ge_rd64(b, sp + 32) : ge_rd32(b, sp + 20);
    if (!in_map(b, stroff, strsz))
      return ge_fail(err, GE_ERR_FORMAT,
                     "section name table (section %u) out of the file (offset %llu, %llu bytes, "
                     "file %zu)",
                     shstrndx, (unsigned long long)stroff, (unsigned long long)strsz, sz);
    if ((rc = load(b, stroff, strsz, err))) return rc;
    for (unsigned i = 0; i < shnum; i++) {
      const uint8_t *p = d + shoff + (uint64_t)i * shentsize;
      ge_sect *s = &b->sects[i];
      uint32_t nameoff = ge_rd32(b, p);
      s->type = ge_rd32(b, p + 4);
      if (b->is64) {
        s->flags = ge_rd64(b, p + 8);
        s->addr = ge_rd64(b, p + 16);
        s->off = ge_rd64(b, p + 24);
        s->size = ge_rd64(b, p + 32);
      } else {
        s->flags = ge_rd32(b, p + 8);
        s->addr = ge_rd32(b, p + 12);
        s->off = ge_rd32(b, p + 16);
        s->size = ge_rd32(b, p + 20);
      }
      ge_strview nm = ge_cstr(d + stroff, strsz, nameoff);
      s->name = nm.len ? nm.ptr : "";
    }
    b->nsects = shnum;
  }
  return preload(b, err);
}

const ge_sect *ge_elf_section(const ge_binary *b, const char *name) {
  for (size_t i = 0; i < b->nsects; i++)
    if (strcmp(b->sects[i].name, name) == 0) return &b->sects[i];
  return NULL;
}

const uint8_t *ge_elf_sect_data(const ge_binary *b, const ge_sect *s) {
  if (!s || s->type == SHT_NOBITS_ || !in_map(b, s->off, s->size)) return NULL;
  return ge_map_get(&b->map, s->off, s->size, NULL);
}

ge_err ge_changed(const ge_binary *b, ge_error *err) {
  return ge_fail(err, GE_ERR_IO, "%s: changed while open (rebuilt or rewritten in place); open it again",
                 b->name);
}

const uint8_t *ge_elf_seg_data(const ge_binary *b, const ge_seg *g) {
  return ge_map_get(&b->map, g->off, g->filesz, NULL);
}

const uint8_t *ge_elf_va(const ge_binary *b, uint64_t va, uint64_t n) {
  for (size_t i = 0; i < b->nsegs; i++) {
    const ge_seg *s = &b->segs[i];
    if (va >= s->vaddr && va - s->vaddr <= s->filesz && n <= s->filesz - (va - s->vaddr))
      return ge_map_get(&b->map, s->off + (va - s->vaddr), n, NULL);
  }
  if (b->nsegs) return NULL;
  /* No program headers: fall back to allocated sections. */
  for (size_t i = 0; i < b->nsects; i++) {
    const ge_sect *s = &b->sects[i];
    if (!(s->flags & 2) || s->type == SHT_NOBITS_ || !in_map(b, s->off, s->size)) continue;
    if (va >= s->addr && va - s->addr <= s->size && n <= s->size - (va - s->addr))
      return ge_map_get(&b->map, s->off + (va - s->addr), n, NULL);
  }
  return NULL;
}

static int rela_is_relative(const ge_binary *b, const uint8_t *r, uint64_t *off, uint64_t *add) {
  uint64_t info;
  if (b->is64) {
    *off = ge_rd64(b, r);
    info = ge_rd64(b, r + 8) & 0xffffffffu;
    *add = ge_rd64(b, r + 16);
  } else {
    *off = ge_rd32(b, r);
    info = ge_rd32(b, r + 4) & 0xff;
    *add = ge_rd32(b, r + 8);
  }
  /* R_X86_64_RELATIVE 8, R_AARCH64_RELATIVE 1027, R_386_RELATIVE 8,
   * R_PPC64_RELATIVE 22, R_RISCV_RELATIVE 3, R_390_RELATIVE 12. */
  return info == 8 || info == 1027 || info == 22 || info == 3 || info == 12;
}

/* A RELATIVE relocation: the word at `off` holds the load base plus `add`. */
typedef struct relative {
  uint64_t off, add;
} relative;

/* A PIE's RELATIVE relocations by offset, one per offset: the first in table
 * order, the one a pointer read applies. Built by the first pointer read that
 * needs a relocation, not at open: most binaries hold the values in the file
 * as well and never need it. Shared by the handle's copies, which lookups use
 * on other threads: one builds it while the others scan the table. */
enum { REL_UNBUILT, REL_BUILDING, REL_READY, REL_FAILED };
struct ge_relindex {
  atomic_int state;
  int be; /* the ELF's byte order (buildinfo reads through a copy in its own) */
  relative *rel;
  size_t n;
};

ge_err ge_elf_relocs(ge_binary *b, ge_error *err) {
  const ge_sect *s = ge_elf_section(b, ".rela.dyn");
  if (!ge_elf_sect_data(b, s) || s->type != SHT_RELA_) return GE_OK;
  b->rela = s;
  /* Only PIE pointer reads consult relocations. */
  if (b->etype != 3) return GE_OK;
  b->relix = calloc(1, sizeof *b->relix);
  if (!b->relix) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  atomic_init(&b->relix->state, REL_UNBUILT);
  b->relix->be = b->be;
  return GE_OK;
}

void ge_elf_relocs_free(ge_binary *b) {
  if (!b->relix) return;
  free(b->relix->rel);
  free(b->relix);
  b->relix = NULL;
}

/* Stable: of entries at the same offset, the first in table order stays
 * first. */
static void relative_sort(relative *a, relative *tmp, size_t n) {
  relative *src = a, *dst = tmp;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = n - lo > w ? lo + w : n, hi = n - mid > w ? mid + w : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = src[j].off < src[i].off ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    relative *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, n * sizeof *a);
}

/* Fills ix from .rela.dyn; 0 when out of memory. */
static int relindex_build(const ge_binary *b, struct ge_relindex *ix) {
  const uint8_t *p = ge_elf_sect_data(b, b->rela);
  size_t ent = b->is64 ? 24 : 12, nrela = p ? b->rela->size / ent : 0;
  if (!nrela) return 1;
  relative *rel = nrela <= SIZE_MAX / sizeof *rel ? malloc(nrela * sizeof *rel) : NULL;
  if (!rel) return 0;
  size_t n = 0;
  int sorted = 1;
  uint64_t prev = 0;
  for (size_t i = 0; i < nrela; i++) {
    if (!rela_is_relative(b, p + i * ent, &rel[n].off, &rel[n].add)) continue;
    if (n && rel[n].off < prev) sorted = 0;
    prev = rel[n++].off;
  }
  if (!sorted) {
    relative *tmp = malloc(n * sizeof *tmp);
    if (!tmp) {
      free(rel);
      return 0;
    }
    relative_sort(rel, tmp, n);
    free(tmp);
  }
  size_t m = 0; /* the later entries at an offset are never applied */
  for (size_t i = 0; i < n; i++)
    if (!m || rel[i].off != rel[m - 1].off) rel[m++] = rel[i];
  ix->rel = rel;
  ix->n = m;
  return 1;
}

/* The index, built now if no thread has started it; NULL while another
 * thread builds it, when it could not be built, or for a copy of the handle
 * in another byte order: then the caller scans the table. */
static const struct ge_relindex *relindex(const ge_binary *b) {
  struct ge_relindex *ix = b->relix;
  if (ix->be != b->be) return NULL;
  int st = atomic_load_explicit(&ix->state, memory_order_acquire);
  if (st == REL_UNBUILT) {
    int expect = REL_UNBUILT;
    if (atomic_compare_exchange_strong(&ix->state, &expect, REL_BUILDING)) {
      st = relindex_build(b, ix) ? REL_READY : REL_FAILED;
      atomic_store_explicit(&ix->state, st, memory_order_release);
    }
  }
  return st == REL_READY ? ix : NULL;
}

int ge_elf_read_ptr(const ge_binary *b, uint64_t va, unsigned ptrsize, uint64_t *out) {
  const uint8_t *p = ge_elf_va(b, va, ptrsize);
  if (!p) return 0;
  *out = ge_rdword(b, p, ptrsize);
  if (*out || b->etype != 3 || !b->relix) return 1;
  const struct ge_relindex *ix = relindex(b);
  if (ix) {
    size_t lo = 0, hi = ix->n; /* the first entry at or past va */
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (ix->rel[mid].off < va) lo = mid + 1;
      else hi = mid;
    }
    if (lo < ix->n && ix->rel[lo].off == va) *out = ix->rel[lo].add;
    return 1;
  }
  const uint8_t *r = ge_elf_sect_data(b, b->rela);
  size_t ent = b->is64 ? 24 : 12, n = r ? b->rela->size / ent : 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t off, add;
    if (rela_is_relative(b, r + i * ent, &off, &add) && off == va) {
      *out = add;
      return 1;
    }
  }
  return 1;
}

int ge_elf_find_rela_addend(const ge_binary *b, uint64_t target, size_t *cursor,
                            uint64_t *where) {
  const uint8_t *r = ge_elf_sect_data(b, b->rela);
  if (!r) return 0;
  size_t ent = b->is64 ? 24 : 12, n = b->rela->size / ent;
  for (size_t i = *cursor; i < n; i++) {
    uint64_t off, add;
    if (rela_is_relative(b, r + i * ent, &off, &add) && add == target) {
      *where = off;
      *cursor = i + 1;
      return 1;
    }
  }
  *cursor = n;
  return 0;
}
