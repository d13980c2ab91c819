/* Default resource limits. Documented in doc/limits.md; keep both in step. */
#include "goescape.h"

#include "threads.h"

void ge_limits_default(ge_limits *lim) {
  lim->max_line_bytes = 64ull << 20;
  lim->max_inflated_bytes = 4ull << 30;
  lim->max_records = 1ull << 28;
  lim->max_profile_ratio = 8;
  lim->max_flow_steps = 100000;
  lim->max_inline_depth = 1000;
  lim->max_dir_files = 1000000;
  lim->max_fetch_bytes = 1ull << 30;
  int cpus = ge_cpus_available();
  lim->max_threads = cpus > 1 ? (uint32_t)cpus : 1;
}
