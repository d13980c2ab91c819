/* goescape — ge_binary API (see goescape.h for errors and limits).
 *
 * A ge_binary is a Go ELF executable, read into memory the handle owns (not
 * mapped: a file rebuilt in place cannot raise SIGBUS; see core/mapfile.h):
 * its loaded non-executable sections at open, machine code, symbols and
 * DWARF on first use, while the file is still the one opened. Opening reads the ELF
 * headers, finds pclntab (by section name, or by validated scanning when the
 * sections are renamed, merged or missing) and the buildinfo blob; functions,
 * symbols and DWARF are decoded lazily, on the first call that needs them.
 * Strings returned in ge_strview fields point into the handle's copy of the
 * file or into its arena: valid until ge_binary_free. A handle is not thread-safe.
 *
 * pclntab formats: Go 1.2–1.15 (magic 0xfffffffb), 1.16–1.17 (0xfffffffa),
 * 1.18–1.19 (0xfffffff0), 1.20+ (0xfffffff1, including 1.26+ where the
 * header's textStart is 0 and moduledata lives in .go.module).
 */
#ifndef GOESCAPE_BINARY_H
#define GOESCAPE_BINARY_H
#include "../goescape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_binary ge_binary;

/* One frame of a PC: inlined frames first (innermost), physical function last. */
typedef struct ge_frame {
  ge_strview func;  /* function name */
  ge_strview file;  /* source file ("?" never: empty when unknown) */
  uint32_t line;    /* 0 when unknown */
  uint8_t inlined;  /* 1: this frame is inlined into the next one */
  uint64_t entry;   /* entry PC of the physical function holding the PC */
} ge_frame;

typedef struct ge_func_info {
  ge_strview name, file; /* file of the entry PC */
  uint64_t entry, end;   /* [entry, end) */
  uint32_t start_line;   /* the func keyword line (Go 1.20+), else the entry PC's line */
} ge_func_info;

typedef struct ge_module {
  ge_strview path, version, sum;
  ge_strview rpath, rversion, rsum; /* replacement (`=>` line); empty when none */
} ge_module;

typedef struct ge_setting {
  ge_strview key, value;
} ge_setting;

typedef struct ge_binary_info {
  ge_strview go_version;     /* from buildinfo; empty when the blob is missing */
  ge_strview main_path;      /* "path" line of the module info */
  ge_module main;            /* "mod" line */
  size_t ndeps, nsettings;
  int pclntab_version;       /* 12 (1.2–1.15), 116, 118, 120 (1.20+); 0: none */
  ge_strview pclntab_where;  /* section name, or "scan" when found by scanning */
  uint64_t pclntab_addr;     /* virtual address of the table */
  uint64_t text_start;       /* text base used for 1.18+ entry offsets */
  size_t nfuncs;
  int ptrsize;               /* 4 or 8 */
  uint16_t machine;          /* ELF e_machine */
  uint8_t stripped;          /* no .symtab */
  uint8_t pie;               /* ET_DYN */
  uint8_t has_dwarf;         /* .debug_info or .zdebug_info present */
  uint8_t has_sections;      /* section headers present */
  uint8_t has_inline;        /* the inline tree can be read */
} ge_binary_info;

/* Opens and maps path. lim may be NULL (defaults). On failure returns the
 * error and sets *out to NULL. */
GE_API ge_err ge_binary_open(const char *path, const ge_limits *lim, ge_binary **out,
                             ge_error *err);
/* The same over memory owned by the caller (kept alive until ge_binary_free). */
GE_API ge_err ge_binary_open_mem(const void *data, size_t size, const char *name,
                                 const ge_limits *lim, ge_binary **out, ge_error *err);
GE_API void ge_binary_free(ge_binary *b);

GE_API void ge_binary_info_get(const ge_binary *b, ge_binary_info *out);
/* Dependency i (0-based) and build setting i; GE_ERR_ARG when out of range. */
GE_API ge_err ge_binary_dep(const ge_binary *b, size_t i, ge_module *out);
GE_API ge_err ge_binary_setting(const ge_binary *b, size_t i, ge_setting *out);

/* PC → frames, innermost first, the physical function last. An unknown PC is
 * GE_OK with *nframes = 0. Corrupt tables at that PC give GE_ERR_FORMAT; an
 * inline chain deeper than ge_limits.max_inline_depth (or than max) gives
 * GE_ERR_LIMIT. For a return address (a caller frame of a stack) pass pc-1. */
GE_API ge_err ge_binary_lookup(ge_binary *b, uint64_t pc, ge_frame *frames, size_t max,
                               size_t *nframes, ge_error *err);

/* The frames of many PCs: ge_binary_lookup for each, answered in address order
 * (each function found once, its tables decoded once), identical results.
 * res[i] describes pcs[i]: (*frames)[first .. first+n), and rc, the code
 * ge_binary_lookup(pcs[i], max) would return (n = 0 unless GE_OK; call it
 * for the message). *frames belongs to b: valid until the next
 * ge_binary_lookup_many or ge_binary_free. Fails only for GE_ERR_NOMEM and
 * GE_ERR_ARG (max = 0, or more than UINT32_MAX frames in all). */
typedef struct ge_pcframes {
  uint32_t first, n;
  ge_err rc;
} ge_pcframes;
GE_API ge_err ge_binary_lookup_many(ge_binary *b, const uint64_t *pcs, size_t npcs, size_t max,
                                    ge_pcframes *res, const ge_frame **frames, ge_error *err);

/* Function i in table (entry) order; GE_ERR_ARG when i >= nfuncs. */
GE_API ge_err ge_binary_func(ge_binary *b, size_t i, ge_func_info *out, ge_error *err);
/* First function named exactly name; GE_ERR_NOTFOUND when none. */
GE_API ge_err ge_binary_func_by_name(ge_binary *b, const char *name, size_t len,
                                     ge_func_info *out, ge_error *err);

/* ELF symbols (.symtab), loaded on first use. */
typedef struct ge_symbol {
  ge_strview name;
  uint64_t value, size;
  uint8_t type;  /* STT_* */
  uint8_t bind;  /* STB_* */
} ge_symbol;
GE_API ge_err ge_binary_symbols(ge_binary *b, size_t *count, ge_error *err);
GE_API ge_err ge_binary_symbol(ge_binary *b, size_t i, ge_symbol *out);
/* Looks a symbol up by exact name; GE_ERR_NOTFOUND when absent. */
GE_API ge_err ge_binary_symbol_by_name(ge_binary *b, const char *name, size_t len,
                                       ge_symbol *out, ge_error *err);

/* The target of the direct call whose return address is pc + 1 (a profile
 * location's address) on amd64 and arm64: GE_OK and *target;
 * GE_ERR_NOTFOUND when the instruction there is not a direct call or not in
 * the file; GE_ERR_IO when the machine code was not read yet and the file
 * has changed since open. */
GE_API ge_err ge_binary_call_target(const ge_binary *b, uint64_t pc, uint64_t *target,
                                    ge_error *err);

/* ------------------------------------------------------------------ DWARF */
/* Loaded on first use with libdwarf (both compressed forms; DWARF 4 and 5).
 * GE_ERR_NOTFOUND when the binary has no DWARF. */
typedef struct ge_dwarf_cu {
  ge_strview name, producer, flags; /* flags: the producer's text after "; " */
  uint16_t version;                 /* DWARF version of the unit */
  uint32_t nsubprograms, ninlined, nvariables;
} ge_dwarf_cu;

typedef struct ge_dwarf_var {
  ge_strview name, type, func; /* func: enclosing subprogram, empty for globals */
  ge_strview file;
  uint32_t line;
  uint64_t size;      /* byte size of the type; UINT64_MAX when unknown. For a
                         variable moved to heap (DWARF name "&x", pointer
                         type) name is "x" and size is the heap object's size */
  uint8_t param;      /* formal parameter */
  uint8_t heap;       /* moved to heap */
} ge_dwarf_var;

typedef struct ge_dwarf_inline {
  ge_strview func, caller; /* inlined function, function it was inlined into */
  ge_strview call_file;
  uint32_t call_line;
  uint32_t depth;          /* 1: inlined directly into a subprogram */
  uint64_t low_pc, high_pc;  /* first range; 0,0 when the unit lists ranges only */
} ge_dwarf_inline;

/* A field of a named struct type (Go: "main.node"; the runtime's unit
 * holds every type of the program): its name, byte offset and type name. */
typedef struct ge_dwarf_member {
  ge_strview owner, name, type;
  uint64_t offset;
} ge_dwarf_member;

/* Where a function's variable lives in its frame, over a range of PCs: the
 * bytes [offset, offset + size) of variable var (an index for
 * ge_binary_dwarf_var) sit at cfa_offset from the frame's canonical frame
 * address. Read from DW_AT_location expressions and location lists that
 * are frame-relative (DW_OP_call_frame_cfa [+ N], DW_OP_fbreg N with the
 * CFA as frame base), piece by piece; registers and other forms are left
 * out. A single expression holds everywhere: low_pc 0, high_pc
 * UINT64_MAX. */
typedef struct ge_dwarf_frameloc {
  uint32_t var;
  int64_t cfa_offset;
  uint64_t offset, size;
  uint64_t low_pc, high_pc;
} ge_dwarf_frameloc;

typedef struct ge_dwarf_stats {
  size_t ncus, nsubprograms, ninlined, nvariables;
  uint16_t max_version;
} ge_dwarf_stats;

GE_API ge_err ge_binary_dwarf_load(ge_binary *b, ge_dwarf_stats *out, ge_error *err);
/* The same, reading only the units named in units[0..nunits) (Go emits one
 * unit per package, named by its import path): a report about a few
 * packages of a large binary reads a few units. A later load with another
 * set (or all: nunits 0) replaces what is loaded. */
GE_API ge_err ge_binary_dwarf_load_units(ge_binary *b, const char *const *units, size_t nunits,
                                         ge_dwarf_stats *out, ge_error *err);
GE_API ge_err ge_binary_dwarf_cu(const ge_binary *b, size_t i, ge_dwarf_cu *out);
GE_API ge_err ge_binary_dwarf_var(const ge_binary *b, size_t i, ge_dwarf_var *out);
GE_API ge_err ge_binary_dwarf_inline(const ge_binary *b, size_t i, ge_dwarf_inline *out);
/* The struct members of the loaded units, in DWARF order (a struct's
 * members together); their count. */
GE_API size_t ge_binary_dwarf_nmembers(const ge_binary *b);
GE_API ge_err ge_binary_dwarf_member(const ge_binary *b, size_t i, ge_dwarf_member *out);
/* ge_binary_dwarf_load_units, reading the frame locations of the
 * functions' variables too (other loads leave them out: they cost time). */
GE_API ge_err ge_binary_dwarf_load_frames(ge_binary *b, const char *const *units, size_t nunits,
                                          ge_dwarf_stats *out, ge_error *err);
/* The frame locations of the loaded units' variables (none unless the load
 * was ge_binary_dwarf_load_frames), grouped by variable in
 * ge_binary_dwarf_var order; their count. */
GE_API size_t ge_binary_dwarf_nframelocs(const ge_binary *b);
GE_API ge_err ge_binary_dwarf_frameloc(const ge_binary *b, size_t i, ge_dwarf_frameloc *out);


/* PT_LOAD segment i (0-based) of the file: GE_ERR_ARG past the last. flags
 * are the ELF p_flags (PF_X = 1, PF_W = 2, PF_R = 4). */
typedef struct ge_load_segment {
  uint64_t vaddr, offset, filesz, memsz;
  uint32_t flags;
} ge_load_segment;
GE_API ge_err ge_binary_load_segment(const ge_binary *b, size_t i, ge_load_segment *out);

#ifdef __cplusplus
}
#endif
#endif
