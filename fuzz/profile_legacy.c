/* libFuzzer harness: Go's legacy text profiles (heap, mutex/contention,
 * goroutine/threadcreate counts) through ge_profile_parse, then top and a
 * merge of the profile with itself and a diff against itself. */
#include <stdlib.h>
#include <string.h>

#include "goescape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ge_limits lim;
  ge_limits_default(&lim);
  lim.max_inflated_bytes = 16u << 20;
  lim.max_records = 1u << 20;
  ge_error err;
  ge_profile *p;
  if (ge_profile_parse("fuzz", data, size, &lim, &p, &err)) return 0;
  ge_prof_info in;
  ge_profile_info(p, &in);
  if (in.nsample_types) {
    ge_prof_query q = {0};
    q.sample = in.default_sample;
    ge_prof_top *t;
    if (!ge_profile_top(p, &q, &t, &err)) ge_prof_top_free(t);
  }
  ge_profile *d;
  if (!ge_profile_diff(p, p, &d, &err)) ge_profile_free(d);
  ge_profile_free(p);
  return 0;
}
