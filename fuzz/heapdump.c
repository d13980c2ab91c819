/* libFuzzer harness: ge_heapdump over arbitrary bytes (gzip too), then every
 * accessor: info, objects and their edges, roots, goroutines and their
 * frames, alloc sites; the analyses (dominators, retained sizes, shortest
 * paths), the top retainers with their paths and the dominator tree's top
 * level.
 * Seeds: fuzz/corpus/heapdump/ (real dumps of Go 1.19, 1.26 and 1.27 cut
 * down by fuzz/seed-heapdump.lua). */
#include <stdlib.h>

#include "goescape/heapdump.h"

static void touch(ge_strview s) {
  if (s.len) (void)(volatile char)s.ptr[s.len - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ge_limits lim;
  ge_limits_default(&lim);
  lim.max_records = 100000;
  lim.max_inflated_bytes = 16 << 20;
  ge_error err;
  ge_heapdump *d;
  if (ge_heapdump_parse("fuzz", data, size, &lim, &d, &err)) return 0;
  ge_heapdump_info in;
  ge_heapdump_info_get(d, &in);
  touch(in.goarch), touch(in.go_version);
  ge_heapdump_object o;
  for (size_t i = 0; ge_heapdump_object_get(d, i, &o); i++) {
    (void)(volatile int64_t)ge_heapdump_find(d, o.addr + o.size / 2);
    for (uint64_t k = 0; k < o.nedges; k++) {
      uint32_t t;
      uint64_t f;
      ge_heapdump_edge(d, o.first_edge + k, &t, &f);
    }
    const ge_heapdump_site *s;
    size_t n;
    if (ge_heapdump_alloc_site(d, (uint32_t)i, &s, &n))
      for (size_t k = 0; k < n; k++) touch(s[k].func), touch(s[k].file);
  }
  for (size_t i = 0; i < ge_heapdump_nroots(d); i++) {
    ge_heapdump_root r;
    ge_heapdump_root_get(d, i, &r);
    touch(r.name);
    if (r.nafter > 2) abort(); /* the words after a slot's pointer: 2 at most */
    if (r.frame >= 0) {
      ge_heapdump_frame f;
      ge_heapdump_frame_get(d, (size_t)r.frame, &f);
      touch(f.func);
    }
  }
  for (size_t i = 0; i < ge_heapdump_ngoroutines(d); i++) {
    ge_heapdump_goroutine g;
    ge_heapdump_goroutine_get(d, i, &g);
    touch(g.wait_reason);
    for (size_t k = 0; k < g.nframes; k++) {
      ge_heapdump_frame f;
      ge_heapdump_frame_get(d, g.first_frame + k, &f);
      touch(f.func);
    }
  }
  if (ge_heapdump_analyze(d, &err) == GE_OK) {
    uint64_t bytes;
    (void)ge_heapdump_reachable(d, &bytes);
    uint32_t top[16], objs[64];
    uint64_t fields[64];
    size_t n = ge_heapdump_top(d, 16, top);
    for (size_t i = 0; i < n; i++) {
      ge_heapdump_retention r;
      ge_heapdump_retention_get(d, top[i], &r);
      size_t root;
      if (ge_heapdump_path(d, top[i], &root, objs, fields, 64)) {
        ge_heapdump_root rr;
        ge_heapdump_root_get(d, root, &rr);
      }
    }
    (void)ge_heapdump_dominated(d, -1, top, 16);
    if (n) (void)ge_heapdump_dominated(d, top[0], objs, 64);
  }
  ge_heapdump_free(d);
  return 0;
}
