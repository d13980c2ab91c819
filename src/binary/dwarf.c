/* DWARF (placeholder until the libdwarf reader lands). */
#include "goescape/binary.h"
#include "internal.h"

void ge_dwarf_free(ge_binary *b) { (void)b; }

ge_err ge_binary_dwarf_load(ge_binary *b, ge_dwarf_stats *out, ge_error *err) {
  (void)b;
  (void)out;
  return ge_fail(err, GE_ERR_NOTFOUND, "DWARF reading not implemented");
}
ge_err ge_binary_dwarf_cu(const ge_binary *b, size_t i, ge_dwarf_cu *out) {
  (void)b; (void)i; (void)out;
  return GE_ERR_ARG;
}
ge_err ge_binary_dwarf_var(const ge_binary *b, size_t i, ge_dwarf_var *out) {
  (void)b; (void)i; (void)out;
  return GE_ERR_ARG;
}
ge_err ge_binary_dwarf_inline(const ge_binary *b, size_t i, ge_dwarf_inline *out) {
  (void)b; (void)i; (void)out;
  return GE_ERR_ARG;
}
