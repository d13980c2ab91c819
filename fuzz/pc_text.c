/* libFuzzer: the PC lines `goescape symbolize` reads (src/binary/pcparse.c),
 * parsed on one thread and on two, which must agree: the same count, the
 * same PCs, or the same bad line. fuzz/run.sh builds the core with a
 * 64-byte threshold (GE_PCPARSE_MT_MIN) so that most inputs take the
 * two-thread split; the arrays are exactly
 * ge_pcparse_room() long, so ASan sees any write past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binary/pcparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t room = ge_pcparse_room(size);
  uint64_t *one = malloc(room * sizeof *one), *two = malloc(room * sizeof *two);
  if (!one || !two) abort();
  ptrdiff_t a = ge_pcparse((const char *)data, size, one, 1);
  ptrdiff_t b = ge_pcparse((const char *)data, size, two, 2);
  if (a != b) abort();
  if (a > 0 && memcmp(one, two, (size_t)a * sizeof *one) != 0) abort();
  free(one);
  free(two);
  return 0;
}
