/* libFuzzer harness: ge_perf over arbitrary bytes (tiny limits on every
 * other run, from the first byte), then every event, dso, sample, frame
 * and data-address string read, and the pprof profile of all events and of
 * the first one built and encoded, and the allocation profile of all.
 * Seeds: fuzz/corpus/perf/ (real perf script output of
 * spec/fixtures/perf/data: default fields, -F lists with --ns, -G,
 * page-faults -d with addr and data_src, two events; the hand-made
 * hardware-event lines of spec/fixtures/perf/handmade; a recording of
 * goescape's allocation probes, with their caller= return addresses; the
 * first 16000 bytes of stacks.txt: page faults on goroutine stacks and heap
 * slices). Every other run reads through a heap map. */
#include <stdlib.h>
#include <string.h>

#include "goescape/heapmap.h"
#include "goescape/perf.h"
#include "goescape/profile.h"

static void touch(ge_strview s) {
  if (s.len) (void)(volatile char)s.ptr[s.len - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ge_limits lim;
  ge_limits_default(&lim);
  lim.max_records = size && (data[0] & 1) ? 64 : 100000;
  lim.max_line_bytes = size && (data[0] & 2) ? 200 : 1 << 20;
  ge_error err;
  ge_perf *p;
  unsigned flags = size && (data[0] & 4) ? GE_PERF_AGGREGATE : 0;
  /* a heap map over the seeds' Go arenas (0xc000000000 before Go 1.26) */
  ge_heapmap *m = NULL;
  if (size && (data[0] & 8)) {
    static const ge_heapmap_region r[] = {
        {0xc000000000ull, 0xc000400000ull, INT64_MIN, INT64_MAX, GE_HEAPMAP_HEAP},
        {0xc000010000ull, 0xc000018000ull, 0, 2000000000000000ll, GE_HEAPMAP_STACK},
        {0xc000400000ull, 0xc000800000ull, 1000, INT64_MAX, GE_HEAPMAP_MANUAL},
        {0x1000, 0x7fffffffffffull, 1000000000000ll, 1000000000001ll, GE_HEAPMAP_HEAP}};
    /* the fourth region is over the map's limit: refused */
    if (ge_heapmap_new(r, 3 + (data[0] >> 7), 0, INT64_MAX / 2, 8192, 2048, &m, &err) != (data[0] >> 7 ? GE_ERR_LIMIT : GE_OK))
      abort();
  }
  ge_err rc = ge_perf_open_mem(data, size, "fuzz", &lim, flags, m, &p, &err);
  ge_heapmap_free(m);
  if (rc) return 0;
  ge_perf_info in;
  ge_perf_info_get(p, &in);
  for (size_t i = 0; i < in.nevents; i++) {
    ge_perf_event e;
    if (ge_perf_event_get(p, i, &e) == GE_OK) touch(e.name);
  }
  for (size_t i = 0; i < in.ndsos; i++) {
    ge_perf_dso d;
    if (ge_perf_dso_get(p, i, &d) == GE_OK) touch(d.name);
  }
  if (in.records > in.samples) abort();
  for (size_t i = 0; i < in.records; i++) {
    ge_perf_sample s;
    if (ge_perf_sample_get(p, i, &s)) abort();
    if (!s.count) abort();
    touch(s.comm), touch(s.addr_sym), touch(s.addr_dso), touch(s.trace);
    if (s.event >= in.nevents) abort();
    for (size_t k = 0; k < s.nframes; k++) {
      ge_perf_frame f;
      if (ge_perf_frame_get(p, s.first_frame + k, &f)) abort();
      touch(f.sym), touch(f.dso);
    }
  }
  for (int ev = -1; ev < (in.nevents ? 1 : 0); ev++) {
    ge_profile *prof;
    if (ge_perf_pprof(p, ev, &prof, &err) == GE_OK) {
      unsigned char *buf;
      size_t len;
      if (ge_profile_encode(prof, 0, &buf, &len, &err) == GE_OK) free(buf);
      ge_profile_free(prof);
    }
  }
  if (in.nevents) {
    uint8_t *all = malloc(in.nevents);
    if (!all) abort();
    memset(all, 1, in.nevents);
    ge_profile *prof;
    if (ge_perf_pprof_allocs(p, all, &prof, &err) == GE_OK) ge_profile_free(prof);
    free(all);
  }
  ge_perf_free(p);
  return 0;
}
