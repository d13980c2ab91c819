/* The text of `goescape symbolize`: one line per PC of a batch lookup, in
 * input order.
 *   text: "0xPC\tFUNC FILE:LINE[ (inlined)]\t..." ("0xPC\t??" when unknown)
 *   json: {"pc":"0x..","frames":[{"func":..,"file":..,"line":..,"inlined":..}]} */
#ifndef GE_BINARY_SYMTEXT_H
#define GE_BINARY_SYMTEXT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "goescape/binary.h"

typedef struct ge_symtext_in {
  const uint64_t *pcs;
  const ge_pcframes *res;
  const ge_frame *frames;
  size_t n;
  int json;
  unsigned threads; /* most threads to format with (limits.max_threads) */
} ge_symtext_in;

enum { GE_SYMTEXT_OK = 0, GE_SYMTEXT_NOMEM = -1, GE_SYMTEXT_IOERR = -2 };

/* Writes the lines to f, in order. Large batches are formatted in chunks
 * by up to in->threads threads of the pool (core/threads.h) into a few
 * reused chunk buffers, so the text never needs fresh memory of its size.
 * Returns GE_SYMTEXT_*. */
int ge_symtext_write(const ge_symtext_in *in, FILE *f);

/* The lines as one buffer of *len bytes, or NULL when out of memory. One
 * thread. The caller frees it with ge_symtext_string_free(p, *cap). */
char *ge_symtext_string(const ge_symtext_in *in, size_t *len, size_t *cap);
void ge_symtext_string_free(char *p, size_t cap);
#endif
