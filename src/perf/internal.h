/* ge_perf internals shared by the reader (read.c, line.c), the accessors
 * (perf.c), the symbolizer (symbolize.c) and the profile writer (pprof.c). */
#ifndef GE_PERF_INTERNAL_H
#define GE_PERF_INTERNAL_H
#include <stdint.h>

#include "core/error.h"
#include "core/hashidx.h"
#include "core/intern.h"
#include "core/vec.h"
#include "goescape/heapmap.h"
#include "goescape/perf.h"
#include "perf/scan.h"

typedef struct pf_sample {
  uint64_t time_ns, period, addr, data_src, weight, addr_off;
  uint32_t comm, event, pid, tid, cpu, flags;
  uint32_t addr_sym, addr_dso, trace; /* intern ids */
  uint32_t nframes;
  uint64_t first_frame;
  uint64_t count; /* samples this record stands for */
  uint8_t dclass; /* ge_perf_data_class of addr */
  uint8_t ended;  /* its chain is final: counted, shared */
} pf_sample;

/* PF_INLINED: perf's own inline frame (--inline), at its caller's ip.
 * PF_CALLER: the return address an entry probe read (caller=+0(%sp)), put
 * after the probe's frame: ip is a run-time address, off the probe's own
 * run-time address (the "(addr)" of its text), to relate the two. */
enum { PF_CHAIN = 1, PF_HAS_OFF = 2, PF_INLINED = 4, PF_CALLER = 8 };

typedef struct pf_frame {
  uint64_t ip, off, vaddr;
  uint32_t sym, dso; /* intern ids */
  uint32_t first_go, ngo;
  uint8_t flags;     /* PF_* */
} pf_frame;

/* A distinct call chain: samples with the same frames share one run of
 * `frames` (the text repeats a few thousand stacks over and over), so what
 * stays grows with the stacks, not with the frame lines read. */
typedef struct pf_chain {
  uint64_t first;
  uint32_t n, hash;
} pf_chain;

/* The chain of a call-graph block id (scan.h) once a sample with that
 * block has ended: the next sample with an equal block takes it. */
typedef struct pf_bchain {
  uint64_t first;
  uint32_t n; /* frames (= its lines); UINT32_MAX until then */
} pf_bchain;

typedef struct pf_event {
  uint32_t name;
  uint64_t samples, period;
  uint32_t flags; /* GE_PERF_HAS_* seen */
} pf_event;

typedef struct pf_dso {
  uint64_t frames, samples;
} pf_dso;

typedef struct pf_go {
  uint32_t func, file, line;
  uint8_t inlined;
} pf_go;

/* One location of a sample line (addr or ip): hex [sym[+0xoff]] [(dso)]. */
typedef struct pf_loc {
  uint64_t hex, off;
  const char *sym, *dso;
  size_t sym_n, dso_n;
  int has_off;
} pf_loc;

struct ge_perf {
  ge_limits lim;
  const char *name; /* interned */
  ge_intern strs;
  GE_VEC(pf_sample) samples;
  GE_VEC(pf_frame) frames;
  GE_VEC(pf_event) events;
  GE_VEC(uint32_t) dso_ids; /* dso index -> intern id */
  GE_VEC(pf_dso) dsos;
  GE_VEC(uint32_t) dso_of;  /* intern id -> dso index + 1 (0: none), grown on demand */
  GE_VEC(pf_go) gos;
  GE_VEC(pf_chain) chains;
  ge_hashidx chain_ix;
  GE_VEC(pf_bchain) bchains; /* by block id */
  uint32_t pending_block; /* the block id of the sample being read, until it ends; UINT32_MAX none */
  uint64_t lines, frames_read, samples_read;
  unsigned flags;          /* GE_PERF_AGGREGATE */
  ge_hashidx sample_ix;    /* aggregated records by their key */
  int has_callchain;
  int in_sample; /* a sample line was read and no blank line since */
  ge_perf_addr_form chain_form, ip_form;
  uint64_t bin_frames, bin_resolved, bin_samples, bin_samples_resolved;
  uint32_t unknown_id; /* "[unknown]" */
  uint32_t last_dso;   /* the dso of the frame read last: frames run in dsos */
  ge_heapmap_cursor *heap; /* while reading with a heap map: classes Go's arena addresses */
  ge_perf_heap_stats heap_stats;
};

/* Reads the lines of s[0, n) (read.c); with final = 0, only up to the last
 * line whose successor has begun (*used: the bytes read), so that the rest
 * is given again with more input. hints: pf_scan_chunk's for the same
 * bytes and final (NULL: every block read line by line). */
ge_err ge_perf_read(ge_perf *p, const char *s, size_t n, int final, const pf_hints *hints, size_t *used,
                    ge_error *err);
/* Reads the text of descriptor fd (feed.c): in chunks, the next read and
 * scanned on a second thread when lim.max_threads allows. is_pipe: not a
 * regular file (max_inflated_bytes bounds it). */
ge_err ge_perf_feed(ge_perf *p, int fd, int is_pipe, ge_error *err);
/* Parses a sample line (line.c): fills *out (frames of the ip excluded) and
 * the sample-line locations locs[0..*nlocs) for the caller to place; chain:
 * call-graph lines follow. Returns 0, or -1 when the line is not one. */
int ge_perf_sample_line(ge_perf *p, const char *s, size_t n, pf_sample *out, pf_loc *locs,
                        int *nlocs, const char **why);
/* Parses a call-graph line: 0, or -1 when it is not one. */
int ge_perf_frame_line(const char *s, size_t n, pf_loc *out, int *inlined);
/* The dso index of intern id `id`, added when new; UINT32_MAX out of memory. */
uint32_t ge_perf_dso_index(ge_perf *p, uint32_t id);
uint32_t ge_perf_str(ge_perf *p, const char *s, size_t n);

static inline int pf_is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int pf_hexval(char c) {
  return c <= '9' ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
}
/* A hex number of 1..16 digits filling [s, e): 0, or -1 when it is not. */
static inline int ge_perf_parse_hex(const char *s, const char *e, uint64_t *out) {
  if (s == e || e - s > 16) return -1;
  uint64_t v = 0;
  for (; s < e; s++) {
    if (!pf_is_hex(*s)) return -1;
    v = v << 4 | (uint64_t)pf_hexval(*s);
  }
  *out = v;
  return 0;
}
static inline ge_strview ge_perf_sv(const ge_perf *p, uint32_t id) {
  const ge_intern_entry *e = ge_intern_get(&p->strs, id);
  return (ge_strview){e->ptr, e->len};
}
#endif
