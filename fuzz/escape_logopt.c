/* libFuzzer harness: logopt JSON (-gcflags=-json=0,DIR) files. The header
 * line is prepended when missing so that the fuzzer reaches the
 * diagnostics. Seeds: fuzz/corpus/escape_logopt/ (real logopt files). */
#include <stdlib.h>
#include <string.h>

#include "goescape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char hdr[] = "{\"version\":0,\"package\":\"p\",\"file\":\"/x.go\"}\n";
  int has = size >= 10 && memcmp(data, "{\"version\"", 10) == 0;
  size_t n = size + (has ? 0 : sizeof hdr - 1);
  char *buf = malloc(n ? n : 1);
  if (!buf) return 0;
  if (!has) memcpy(buf, hdr, sizeof hdr - 1);
  memcpy(buf + (has ? 0 : sizeof hdr - 1), data, size);
  ge_log *log = ge_log_new(NULL);
  ge_error err;
  if (log && ge_log_add_buffer(log, "fuzz.json", buf, n, &err) == GE_OK) {
    for (size_t i = 0; i < ge_log_count(log); i++) {
      ge_diag d;
      ge_log_get(log, i, &d);
      for (uint32_t k = 0; k < d.nflow; k++) {
        ge_flow_step st;
        ge_log_flow(log, i, k, &st);
      }
    }
  }
  ge_log_free(log);
  free(buf);
  return 0;
}
