/* libFuzzer: ge_binary_open_mem over arbitrary bytes (ELF headers, section
 * and segment tables, pclntab discovery), then lookups of the first PCs of
 * a few functions and of arbitrary PCs taken from the input, one by one and
 * through ge_binary_lookup_many on three threads, which must give the same
 * answers (the batch's sort, segments, memo and caches against the plain
 * lookup). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goescape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ge_limits lim;
  ge_limits_default(&lim);
  lim.max_inline_depth = 64;
  lim.max_threads = 3; /* three segments: built with GE_LOOKUP_MT_MIN=16 */
  ge_binary *b;
  ge_error err;
  if (ge_binary_open_mem(data, size, "fuzz", &lim, &b, &err) != GE_OK) return 0;
  ge_binary_info in;
  ge_binary_info_get(b, &in);
  ge_frame fr[64];
  size_t n;
  for (size_t i = 0; i < in.nfuncs && i < 64; i++) {
    ge_func_info f;
    if (ge_binary_func(b, i, &f, &err) != GE_OK) continue;
    ge_binary_lookup(b, f.entry, fr, 64, &n, &err);
    ge_binary_lookup(b, f.entry + (f.end - f.entry) / 2, fr, 64, &n, &err);
    uint64_t t;
    (void)ge_binary_call_target(b, f.entry + (f.end - f.entry) / 2, &t, &err);
  }
  for (size_t off = 0; off + 8 <= size && off < 512; off += 8) {
    uint64_t pc;
    memcpy(&pc, data + off, 8);
    ge_binary_lookup(b, pc, fr, 64, &n, &err);
    uint64_t target;
    (void)ge_binary_call_target(b, pc, &target, &err);
  }
  /* The batch path over the same PCs (unsorted, with repeats). */
  uint64_t pcs[96];
  size_t np = 0;
  for (size_t off = 0; off + 8 <= size && np < 64; off += 8) memcpy(&pcs[np++], data + off, 8);
  for (size_t i = 0; i < in.nfuncs && np < 96; i += 3) {
    ge_func_info f;
    if (ge_binary_func(b, i, &f, &err) == GE_OK) pcs[np++] = f.entry + (f.end - f.entry) / 3;
  }
  ge_pcframes res[96];
  const ge_frame *all;
  if (ge_binary_lookup_many(b, pcs, np, 64, res, &all, &err) == GE_OK) {
    for (size_t i = 0; i < np; i++) {
      ge_err rc = ge_binary_lookup(b, pcs[i], fr, 64, &n, &err);
      if (rc != res[i].rc) abort();
      if (rc != GE_OK) continue;
      if (n != res[i].n) abort();
      for (size_t k = 0; k < n; k++) {
        const ge_frame *x = &all[res[i].first + k], *y = &fr[k];
        if (x->line != y->line || x->inlined != y->inlined || x->entry != y->entry ||
            x->func.len != y->func.len || x->file.len != y->file.len ||
            memcmp(x->func.ptr, y->func.ptr, x->func.len) != 0 ||
            memcmp(x->file.ptr, y->file.ptr, x->file.len) != 0)
          abort();
      }
    }
  }
  size_t ns;
  ge_binary_symbols(b, &ns, &err);
  ge_binary_free(b);
  return 0;
}
