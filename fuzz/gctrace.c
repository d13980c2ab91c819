/* libFuzzer harness: ge_gctrace over arbitrary bytes, read as two inputs
 * (the bytes before and after the middle; strict mode from the first
 * byte), then every cycle, scavenger line, warning and input name read;
 * and ge_gctrace_line on the whole input as one line.
 * Seeds: fuzz/corpus/gctrace/ (real GODEBUG=gctrace=1,scavtrace=1 logs of
 * Go 1.19 and 1.26 and the older line forms of spec/fixtures/memory/data). */
#include <string.h>

#include "goescape/memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ge_limits lim;
  ge_limits_default(&lim);
  lim.max_records = 100000;
  ge_error err;
  ge_gctrace *g;
  if (ge_gctrace_new(&lim, size && (data[0] & 1), &g, &err)) return 0;
  size_t half = size / 2;
  if (ge_gctrace_add_bytes(g, "a", data, half, &err) == GE_OK &&
      ge_gctrace_add_bytes(g, "b", data + half, size - half, &err) == GE_OK) {
    ge_gctrace_info in;
    ge_gctrace_info_get(g, &in);
    size_t n;
    const ge_gc_cycle *c = ge_gctrace_cycles(g, &n);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
      for (uint8_t k = 0; k < c[i].nclock; k++) sum += c[i].clock_ns[k];
      for (uint8_t k = 0; k < c[i].ncpu; k++) sum += c[i].cpu_ns[k];
      sum += c[i].stw_ns + (double)c[i].heap2 + (double)c[i].goal;
    }
    const ge_scav_line *s = ge_gctrace_scavs(g, &n);
    for (size_t i = 0; i < n; i++) sum += (double)s[i].released + (double)s[i].after_n;
    (void)(volatile double)sum;
    for (size_t i = 0; ge_gctrace_warning(g, i); i++) (void)(volatile char)ge_gctrace_warning(g, i)[0];
    for (uint32_t i = 0; i < in.inputs; i++) {
      ge_strview v = ge_gctrace_input_name(g, i);
      if (v.len) (void)(volatile char)v.ptr[v.len - 1];
    }
  }
  ge_gctrace_free(g);
  ge_gc_cycle c;
  ge_scav_line s;
  const char *why;
  (void)ge_gctrace_line((const char *)data, size, &c, &s, &why);
  return 0;
}
