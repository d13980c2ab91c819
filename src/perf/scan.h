/* The call-graph blocks of a `perf script` text, found and numbered ahead
 * of the parser (scan.c): a block is the tab-indented lines under a sample
 * line, up to the blank line; blocks of equal text get equal ids. The
 * parser (read.c) then takes a repeated block's chain without reading its
 * lines. Finding, hashing and comparing blocks is pure text work, so the
 * reader can run it on one chunk while the parser reads the one before
 * (perf.c): the text repeats a few thousand stacks over and over. */
#ifndef GE_PERF_SCAN_H
#define GE_PERF_SCAN_H
#include <stddef.h>
#include <stdint.h>

#include "core/hashidx.h"
#include "core/vec.h"

typedef struct pf_hint {
  uint64_t off; /* where the block starts in its chunk */
  uint32_t len; /* its bytes, up to the blank line after it */
  uint32_t id;  /* equal texts, equal ids (dense from 0) */
} pf_hint;

typedef GE_VEC(pf_hint) pf_hints;

typedef struct pf_sblock {
  uint64_t text; /* offset in texts */
  uint32_t len, hash;
} pf_sblock;

typedef struct pf_scan {
  GE_VEC(pf_sblock) blocks; /* by id */
  ge_hashidx ix;
  GE_VEC(char) texts;
  size_t max_line_bytes;
} pf_scan;

/* Replaces *out with the hints of the blocks of s[0, n) that end (a blank
 * line) within it; final: n is the input's end, where a block may end
 * without one. Blocks past the texts' cap (64 MiB in all) get no hint: the
 * parser reads them line by line. Returns 0, -1 when out of memory. */
int pf_scan_chunk(pf_scan *sc, const char *s, size_t n, int final, pf_hints *out);
void pf_scan_free(pf_scan *sc);
#endif
