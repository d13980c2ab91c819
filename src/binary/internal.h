/* ge_binary internals shared by elf.c, the pclntab files (pcln.h),
 * buildinfo.c, symtab.c, dwarf.c and binary.c. Every read of the mapped
 * file goes through the bounds-checked helpers here. */
#ifndef GE_BINARY_INTERNAL_H
#define GE_BINARY_INTERNAL_H
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/mapfile.h"
#include "goescape.h"
#include "goescape/binary.h"

typedef struct ge_sect {
  const char *name;  /* NUL-terminated inside .shstrtab (checked) */
  uint32_t type;
  uint64_t flags, addr, off, size;
} ge_sect;

typedef struct ge_seg {
  uint32_t type, flags;
  uint64_t off, filesz, vaddr, memsz;
} ge_seg;

/* One pclntab, decoded header only. Offsets are relative to `tab`. */
typedef struct ge_pcln {
  const uint8_t *tab;  /* start of the table in the map */
  size_t size;         /* bytes available from tab (section size or map end) */
  uint64_t va;
  int ver;             /* 12, 116, 118, 120 */
  uint32_t quantum, ptrsize;
  uint64_t nfunc, nfiles;
  uint64_t textstart;
  size_t funcnametab, cutab, filetab, pctab, pclntab, functab; /* offsets */
  size_t functab_ent;  /* bytes per functab entry (2 words or 2 u32) */
  int pcdata_inl, funcdata_inl;
  unsigned inl_recsize; /* bytes per inline tree record (Go 1.12+) */
  uint64_t gofunc;     /* 1.18+: moduledata.gofunc; 0 when unknown */
  int have_gofunc;
} ge_pcln;

/* ge_pcv.state: runs left to decode, none left, corrupt, no table at all. */
enum { GE_PCV_MORE, GE_PCV_END, GE_PCV_BAD, GE_PCV_NONE };

/* A pcvalue table decoded incrementally: runs [ends[k-1], ends[k]) hold
 * vals[k] (ends[-1] is the entry). Decoding stops at the first run past the
 * PC asked for and resumes from there, so each table of a function is read
 * once however many PCs of that function are asked for, in any order. */
typedef struct ge_pcv {
  const uint8_t *p, *end; /* next undecoded byte, table end */
  uint64_t pc;            /* end of the last decoded run */
  int32_t v;
  uint8_t first;          /* no pair decoded yet (a 0 delta does not end it) */
  uint8_t state;          /* GE_PCV_MORE, _END (no more runs), _BAD, _NONE */
  size_t n, cap, hint;    /* runs, capacity, last run answered */
  uint64_t *ends;
  int32_t *vals;
} ge_pcv;

/* A _func header located in the table. */
typedef struct ge_fnhdr {
  const uint8_t *p;        /* _func header */
  size_t avail;            /* bytes from p to the table end */
  uint64_t entry, end, va; /* [entry, end); va of p (≤1.17 funcdata alignment) */
} ge_fnhdr;

/* The function of the last lookup, with its decoded tables. */
typedef struct ge_fncache {
  size_t i;                /* function index; SIZE_MAX when empty */
  ge_fnhdr f;
  ge_strview name;
  uint64_t tree;           /* inline tree address, 0 when none */
  unsigned recsz;          /* bytes per inline record */
  int old;                 /* Go 1.9–1.11 inline records */
  uint32_t cuoff;          /* cuOffset (1.16+) */
  int32_t fileno;          /* the last file number asked for, and its name */
  ge_strview file_name;
  ge_pcv file, line, inl;
  /* Inline tree records met in this function (gen == the load's): a
   * record's function and its parent's position and index depend on the
   * record alone, so each is decoded once, not at every PC inlined there. */
  uint32_t gen;
  struct ge_inlseen {
    uint32_t gen;
    int32_t ix, parent_ix;
    uint32_t parent_line;
    ge_strview func, parent_file;
  } seen[64];
} ge_fncache;

typedef struct ge_modrec {
  ge_strview path, version, sum, rpath, rversion, rsum;
} ge_modrec;

struct ge_binary {
  ge_map map;
  int own_map;
  ge_limits lim;
  char *name;
  ge_arena arena;
  /* ELF */
  int is64, be;
  uint16_t etype, machine;
  ge_sect *sects;
  size_t nsects;
  ge_seg *segs;
  size_t nsegs;
  /* .rela.dyn (NULL when absent or not in the file); for PIE, the index of
   * its RELATIVE entries (elf.c), shared with the handle's copies */
  const ge_sect *rela;
  struct ge_relindex *relix;
  /* pclntab */
  ge_pcln pcln;
  const char *pcln_where;
  ge_fncache fc;        /* lookups: the last function */
  int ft_sorted;        /* functab entries ascending: 1 yes, -1 no, 0 unchecked */
  void *sortbuf;        /* lookup_many: sort keys or (pc, index) pairs, two halves */
  size_t sortcap;       /* bytes */
  ge_frame *bframes;    /* lookup_many: the frames of every PC */
  size_t bframes_cap;
  struct ge_namelen *names; /* lookups: lengths of names met (lookup.c) */
  uint64_t md_va;      /* moduledata address, 0 when not found */
  /* buildinfo */
  ge_strview go_version, main_path;
  ge_modrec mainmod;
  ge_modrec *deps;
  size_t ndeps;
  ge_strview *settings; /* key,value pairs */
  size_t nsettings;
  /* symbols (lazy) */
  int syms_loaded;
  struct ge_symbol *syms;
  size_t nsyms;
  uint32_t *sym_by_name; /* indices sorted by name */
  /* DWARF (lazy) */
  int dwarf_loaded;
  char *dwarf_units;    /* the unit filter of the load: names joined by '\n', NULL = all */
  ge_err dwarf_rc;      /* remembered failure (no DWARF, corrupt) */
  char dwarf_msg[GE_ERRMSG_MAX];
  struct ge_dwarf_data *dw;
  int dwarf_want_frames; /* the next load reads variables' frame locations */
  int dwarf_frames;      /* the load held in dw has them */
};

/* ---- byte readers (the caller has checked bounds) */
static inline uint16_t ge_rd16(const ge_binary *b, const uint8_t *p) {
  return b->be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}
static inline uint32_t ge_rd32(const ge_binary *b, const uint8_t *p) {
  return b->be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static inline uint64_t ge_rd64(const ge_binary *b, const uint8_t *p) {
  uint64_t lo = ge_rd32(b, p), hi = ge_rd32(b, p + 4);
  return b->be ? lo << 32 | hi : hi << 32 | lo;
}
static inline uint64_t ge_rdword(const ge_binary *b, const uint8_t *p, unsigned sz) {
  return sz == 8 ? ge_rd64(b, p) : ge_rd32(b, p);
}

/* elf.c */
ge_err ge_elf_parse(ge_binary *b, ge_error *err);
const ge_sect *ge_elf_section(const ge_binary *b, const char *name);
/* Pointer to [va, va+n) in the file, or NULL when not file-backed. */
const uint8_t *ge_elf_va(const ge_binary *b, uint64_t va, uint64_t n);
/* File bytes of a section (NULL for NOBITS or out-of-file). */
const uint8_t *ge_elf_sect_data(const ge_binary *b, const ge_sect *s);
const uint8_t *ge_elf_seg_data(const ge_binary *b, const ge_seg *g);
/* The error for a read refused because the file changed since open. */
ge_err ge_changed(const ge_binary *b, ge_error *err);
/* Finds .rela.dyn and, for PIE, sets up the index of its RELATIVE entries. */
ge_err ge_elf_relocs(ge_binary *b, ge_error *err);
void ge_elf_relocs_free(ge_binary *b);
/* Reads a pointer-sized word at va, applying a RELATIVE relocation when the
 * file holds 0 there (PIE). Returns 0 when unreadable. */
int ge_elf_read_ptr(const ge_binary *b, uint64_t va, unsigned ptrsize, uint64_t *out);
/* Finds the address of a RELATIVE relocation whose addend is `target`, at or
 * after index *cursor of .rela.dyn; returns 0 when none is left. */
int ge_elf_find_rela_addend(const ge_binary *b, uint64_t target, size_t *cursor,
                            uint64_t *where);

/* pclntab.c */
ge_err ge_pcln_find(ge_binary *b, ge_error *err);
void ge_pcln_free(ge_binary *b);
/* lookup.c */
ge_err ge_pcln_lookup(ge_binary *b, uint64_t pc, ge_frame *fr, size_t max, size_t *n,
                      ge_error *err);
ge_err ge_pcln_func(ge_binary *b, size_t i, ge_func_info *out, ge_error *err);
/* batch.c */
ge_err ge_pcln_lookup_many(ge_binary *b, const uint64_t *pcs, size_t npcs, size_t max,
                           ge_pcframes *res, const ge_frame **frames, ge_error *err);

/* buildinfo.c */
ge_err ge_buildinfo_read(ge_binary *b, ge_error *err);

/* symtab.c */
ge_err ge_symtab_load(ge_binary *b, ge_error *err);
void ge_symtab_free(ge_binary *b);

/* dwarf.c */
void ge_dwarf_free(ge_binary *b);

/* A NUL-terminated string at off inside [base, base+size); empty view if none. */
static inline ge_strview ge_cstr(const uint8_t *base, size_t size, uint64_t off) {
  ge_strview v = {"", 0};
  if (off >= size) return v;
  const char *s = (const char *)base + off;
  const char *e = memchr(s, 0, size - off);
  if (!e) return v;
  v.ptr = s;
  v.len = (size_t)(e - s);
  return v;
}
#endif
