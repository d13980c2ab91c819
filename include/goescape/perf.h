/* goescape — ge_perf API: the text `perf script` prints (perf 6.x, default
 * fields or a -F list), its samples with their call-graph frames, their
 * events, periods and data addresses; the Go frames re-symbolized through a
 * Go binary's own tables (ge_binary); a pprof profile of the samples.
 *
 * A sample line is `comm pid[/tid] [cpu] time: [period] event: [fields]`;
 * comm may hold spaces, the fields after the event are the data address
 * (`addr`, with perf's data symbol and dso), `data_src` (raw hex and
 * perf's decoded `|OP ...|` text), `weight`, and the sample's ip/sym/dso
 * when no call graph follows. Call-graph lines (tab-indented, innermost
 * first) follow until a blank line. The hex column of a frame is a DSO file
 * offset in perf <= 6.3's call graphs and an address elsewhere: it is kept
 * as printed, and ge_perf_symbolize decides which it is from sym+off and
 * the binary's load segments.
 *
 * Memory: grown arrays of fixed-size records and one table of interned
 * strings (symbols, dsos, comms, events); nothing is allocated per line. */
#ifndef GOESCAPE_PERF_H
#define GOESCAPE_PERF_H
#include "../goescape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_perf ge_perf;
struct ge_binary;
struct ge_profile;

/* Reads a file ("-" is stdin) or bytes in memory (not kept: strings are
 * copied). Input that is not `perf script` text is a GE_ERR_FORMAT error
 * naming the line and, for perf.data or `perf report` text, the command that
 * makes the right input. flags: GE_PERF_AGGREGATE or 0. */
struct ge_heapmap;
/* heap: NULL, or the spans and goroutine stacks of the same run
 * (include/goescape/heapmap.h, from an AllocFree trace): the data addresses
 * perf puts in Go's anonymous arenas are then classed as heap, goroutine
 * stack or off-heap by what they were at the sample's time. */
GE_API ge_err ge_perf_open(const char *path, const ge_limits *lim, unsigned flags,
                           const struct ge_heapmap *heap, ge_perf **out, ge_error *err);
GE_API ge_err ge_perf_open_mem(const void *data, size_t len, const char *name,
                               const ge_limits *lim, unsigned flags, const struct ge_heapmap *heap,
                               ge_perf **out, ge_error *err);
/* Samples that differ only in what profiles do not use (time, pid, tid,
 * cpu, the data address itself, data_src, weight) are kept as one record
 * standing for `count` of them, periods summed: memory then grows with the
 * distinct stacks (and data symbols, probe texts), not with the samples.
 * A record's time, tid and address are its first sample's. */
#define GE_PERF_AGGREGATE 1u
GE_API void ge_perf_free(ge_perf *p);

/* How frame hex columns were read by the last ge_perf_symbolize. */
typedef enum ge_perf_addr_form {
  GE_PERF_ADDR_UNKNOWN = 0, /* not symbolized, or no frame in the binary */
  GE_PERF_ADDR_OFFSET,      /* file offsets (perf <= 6.3 call graphs) */
  GE_PERF_ADDR_VADDR,       /* the binary's link addresses */
  GE_PERF_ADDR_BIASED       /* addresses a constant away from them (PIE) */
} ge_perf_addr_form;

/* How the anonymous-memory data addresses fared against a heap map. */
typedef struct ge_perf_heap_stats {
  uint64_t samples;  /* samples classed through the map */
  uint64_t outside;  /* of them, timed outside the trace (or untimed): the state at its start or end */
  uint64_t behind;   /* timed before a sample read earlier: classed at that later time */
  uint64_t full;     /* classed while the map was over its memory cap */
} ge_perf_heap_stats;
typedef struct ge_perf_info {
  uint64_t lines, samples, frames;
  uint64_t records;             /* samples kept (fewer than samples when aggregated) */
  int aggregated;
  size_t nevents, ndsos;
  int has_callchain;           /* some sample had call-graph lines */
  ge_perf_addr_form chain_form; /* call-graph frames */
  ge_perf_addr_form ip_form;    /* sample-line ips (no call graph) */
  uint64_t bin_frames;          /* frames in the symbolized binary */
  uint64_t bin_resolved;        /* of them, given a Go function and line */
  uint64_t bin_samples, bin_samples_resolved; /* samples whose leaf is in it */
  ge_perf_heap_stats heap;      /* all zero when opened without a heap map */
} ge_perf_info;
GE_API void ge_perf_info_get(const ge_perf *p, ge_perf_info *out);

typedef struct ge_perf_event {
  ge_strview name;   /* as perf prints it: "cpu-clock", "cpu-clock:ppp", "page-faults" */
  uint64_t samples;
  uint64_t period;   /* sum of the samples' periods (1 a sample without the period field) */
  int has_addr, has_data_src, has_weight;
} ge_perf_event;
GE_API ge_err ge_perf_event_get(const ge_perf *p, size_t i, ge_perf_event *out);

typedef struct ge_perf_dso {
  ge_strview name;     /* "/tmp/prog", "[kernel.kallsyms]", "[unknown]" */
  uint64_t frames;     /* frames in it */
  uint64_t samples;    /* samples whose leaf frame is in it */
} ge_perf_dso;
GE_API ge_err ge_perf_dso_get(const ge_perf *p, size_t i, ge_perf_dso *out);

enum {
  GE_PERF_HAS_TIME = 1, GE_PERF_HAS_PERIOD = 2, GE_PERF_HAS_CPU = 4, GE_PERF_HAS_ADDR = 8,
  GE_PERF_HAS_DATA_SRC = 16, GE_PERF_HAS_WEIGHT = 32, GE_PERF_HAS_TID = 64
};

/* What a sample's data address (addr) points at, from the mapping perf
 * resolved it in: the binary's data (a global, with perf's symbol), Go's
 * heap (anonymous memory: Go's arenas hold the heap and the goroutine
 * stacks alike), the main thread's stack, C's brk heap, or else. Opened
 * with a heap map, anonymous memory is told apart: a heap span's
 * (GE_PERF_DATA_HEAP), a goroutine stack's (GE_PERF_DATA_GSTACK) or
 * neither (GE_PERF_DATA_OFFHEAP: the runtime's own memory outside the
 * heap's spans, GC work buffers, idle stack spans, cgo's mmap). */
typedef enum ge_perf_data_class {
  GE_PERF_DATA_NONE = 0, /* no addr */
  GE_PERF_DATA_HEAP,     /* "//anon" */
  GE_PERF_DATA_GLOBAL,   /* a file: the binary's (or a library's) data */
  GE_PERF_DATA_STACK,    /* "[stack]" */
  GE_PERF_DATA_CHEAP,    /* "[heap]": C's malloc (cgo) */
  GE_PERF_DATA_OTHER,    /* [vdso], [vvar], [unknown], ... */
  GE_PERF_DATA_GSTACK,   /* a goroutine's stack (with a heap map) */
  GE_PERF_DATA_OFFHEAP   /* anonymous memory outside heap spans and stacks (with a heap map) */
} ge_perf_data_class;
GE_API const char *ge_perf_data_class_name(ge_perf_data_class c);

typedef struct ge_perf_sample {
  ge_strview comm;
  uint32_t event;   /* index for ge_perf_event_get */
  uint32_t pid, tid, cpu;
  uint32_t flags;   /* GE_PERF_HAS_* */
  uint64_t time_ns, period;
  uint64_t addr, data_src, weight;
  ge_strview addr_sym, addr_dso; /* perf's resolution of addr (may be empty) */
  uint64_t addr_off;
  ge_strview trace;  /* a tracepoint's text after the event, else empty */
  size_t first_frame, nframes; /* ge_perf_frame_get indices, innermost first */
  ge_perf_data_class data_class;
  uint64_t count;    /* the samples this record stands for (1 unless aggregated) */
} ge_perf_sample;
GE_API ge_err ge_perf_sample_get(const ge_perf *p, size_t i, ge_perf_sample *out);

typedef struct ge_perf_frame {
  uint64_t ip;        /* the hex column as printed */
  uint64_t symoff;    /* +0x offset, 0 when not printed */
  ge_strview sym, dso; /* "[unknown]" as perf prints it */
  int from_chain;     /* a call-graph line (else the sample line's ip) */
  int inlined;        /* perf's own inline frame (" (inlined)", perf --inline) */
  /* After ge_perf_symbolize, for frames in the binary: its link address
   * (0 when it could not be placed) and its Go frames, innermost first
   * (inlined ones before the physical function). */
  uint64_t vaddr;
  size_t first_go, ngo;
} ge_perf_frame;
GE_API ge_err ge_perf_frame_get(const ge_perf *p, size_t i, ge_perf_frame *out);

typedef struct ge_perf_goframe {
  ge_strview func, file;
  uint32_t line;
  int inlined;
} ge_perf_goframe;
GE_API ge_err ge_perf_goframe_get(const ge_perf *p, size_t i, ge_perf_goframe *out);

/* Re-symbolizes every frame whose dso is the binary: dso_path names it as
 * perf prints it (NULL: any dso whose base name is the binary's, given as
 * bin_name). Replaces an earlier symbolization. */
GE_API ge_err ge_perf_symbolize(ge_perf *p, struct ge_binary *b, const char *bin_name,
                                const char *dso_path, ge_error *err);

/* The samples as a pprof profile: one sample type per event (event < 0: all
 * of them; else that one), each sample's value its period; one mapping per
 * dso; Go frames as symbolized (inlined frames expanded), others with
 * perf's symbols. */
GE_API ge_err ge_perf_pprof(const ge_perf *p, int event, struct ge_profile **out, ge_error *err);
/* The same for the samples of one event whose data address is of class
 * dclass (accesses that hit the heap: GE_PERF_DATA_HEAP). */
GE_API ge_err ge_perf_pprof_data(const ge_perf *p, int event, ge_perf_data_class dclass,
                                 struct ge_profile **out, ge_error *err);

/* The samples of allocation probes (`perf probe -x BIN 'runtime.mallocgc
 * size=%ax:u64'`, recorded with -g) as an exact allocation profile: every
 * allocation, not a sample. Sample types alloc_objects/count and
 * alloc_space/bytes (the "size=" field of each sample's trace text);
 * a stack's leading runtime frames left out, as Go's heap profiles leave
 * them out. events: one
 * byte per event (ge_perf_info.nevents), nonzero for the probes to count:
 * newer runtimes allocate through several entry points, one probe each. */
GE_API ge_err ge_perf_pprof_allocs(const ge_perf *p, const uint8_t *events, struct ge_profile **out,
                                   ge_error *err);

#ifdef __cplusplus
}
#endif
#endif
