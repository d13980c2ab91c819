/* libFuzzer harness: text escape logs (whole-buffer parse, record and flow
 * access, grouping) and the same bytes through the streaming reader.
 * Seeds: fuzz/corpus/escape_text/ (slices of real -m, -m=2, -m=3 logs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "goescape.h"

static int on_record(void *ud, const ge_log *log, size_t i) {
  ge_diag d;
  if (ge_log_get(log, i, &d) == GE_OK)
    for (uint32_t k = 0; k < d.nflow; k++) {
      ge_flow_step st;
      ge_log_flow(log, i, k, &st);
      *(size_t *)ud += st.expr.len + st.dst.len;
    }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ge_limits lim;
  ge_limits_default(&lim);
  lim.max_flow_steps = 1000;
  ge_log *log = ge_log_new(&lim);
  if (!log) return 0;
  ge_error err;
  if (ge_log_add_buffer(log, "fuzz", (const char *)data, size, &err) == GE_OK) {
    size_t sum = 0;
    for (size_t i = 0; i < ge_log_count(log); i++) on_record(&sum, log, i);
    ge_group_row *rows;
    size_t n;
    ge_log_filter f = {"escape", NULL, "x.go", NULL};
    if (ge_log_group(log, &f, GE_BY_SUBJECT, &rows, &n, &err) == GE_OK) free(rows);
    if (ge_log_group(log, NULL, GE_BY_LINE, &rows, &n, &err) == GE_OK) free(rows);
  }
  ge_log_free(log);
  /* The streaming reader over a pipe. */
  int fds[2];
  if (size < 60000 && pipe(fds) == 0) {
    ssize_t w = write(fds[1], data, size);
    (void)w;
    close(fds[1]);
    size_t sum = 0;
    ge_log_stream_fd(fds[0], "fuzz", &lim, on_record, &sum, NULL, &err);
    close(fds[0]);
  }
  return 0;
}
