/* libFuzzer: the DWARF reader (libdwarf under our walk) over arbitrary
 * bytes opened as a binary; inputs without a pclntab stop at open. Seeds are
 * sliced Go binaries keeping .debug_* sections (see doc/binary.md). */
#include <stdint.h>

#include "goescape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ge_binary *b;
  ge_error err;
  if (ge_binary_open_mem(data, size, "fuzz", NULL, &b, &err) != GE_OK) return 0;
  ge_dwarf_stats st;
  if (ge_binary_dwarf_load(b, &st, &err) == GE_OK) {
    ge_dwarf_var v;
    for (size_t i = 0; i < st.nvariables && i < 1000; i++) ge_binary_dwarf_var(b, i, &v);
    ge_dwarf_member m;
    size_t n = ge_binary_dwarf_nmembers(b);
    for (size_t i = 0; i < n && i < 1000; i++) ge_binary_dwarf_member(b, i, &m);
  }
  if (ge_binary_dwarf_load_frames(b, NULL, 0, &st, &err) == GE_OK) {
    ge_dwarf_frameloc f;
    size_t n = ge_binary_dwarf_nframelocs(b);
    for (size_t i = 0; i < n && i < 1000; i++) ge_binary_dwarf_frameloc(b, i, &f);
  }
  ge_binary_free(b);
  return 0;
}
