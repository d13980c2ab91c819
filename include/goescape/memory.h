/* goescape — ge_gctrace API: the lines the Go runtime writes to stderr under
 * GODEBUG=gctrace=1 (one per GC cycle) and scavtrace=1 (the scavenger), of
 * every Go version:
 *   Go <= 1.4   gc12(4): 1+2+3+4 us, 10 -> 20 MB, 1234 (5678-910) objects, ...
 *   Go 1.5      gc 3 @0.966s 0%: 0+1.0+1.0+0+1.0 ms clock, 0+1.0+0+1.0/0/0+3.0 ms cpu, 6->7->5 MB, 7 MB goal, 8 P
 *   Go 1.6-1.17 gc 3 @0.9s 1%: 0.02+16+0.14 ms clock, 0.04+0.79/1.1/0+0.28 ms cpu, 3->4->1 MB, 4 MB goal, 2 P
 *   Go 1.18+    ..., 4 MB goal, 0 MB stacks, 0 MB globals, 2 P [(forced)]
 *   Go 1.26+    gc 7 @0.5s 0% (checking for goroutine leaks): ...
 *   scavtrace   scav 0 KiB work (bg), 198264 KiB work (eager), 212152 KiB now, 72% util (forced)
 *               scav 9216 KiB work, 10488 KiB total, 21% util            (Go 1.15-1.20)
 *   Go <= 1.14  scvg3: 12 MB released / scvg3: inuse: 3, idle: 0, sys: 3, released: 0, consumed: 3 (MB)
 *               scvg: 8 KB released (1.13, 1.14); scvg-1: is debug.FreeOSMemory
 * Every other line (the program's own stderr, gctrace=2's "scan:" lines) is
 * skipped and counted. A line that starts like one of the above but does not
 * read as one (cut by a crash, or mixed with another write) is malformed:
 * counted and its message kept ("file: line N: ..."), or the error under
 * `strict`. The GC line may follow a prefix ending in a space (a log
 * collector's timestamp), in lines up to 1 KiB.
 *
 * Units: the runtime prints heap sizes in MiB truncated (x >> 20): heap_*,
 * goal, stacks and globals are that number times 1048576, so the true value
 * lies in [v, v + 1 MiB). Times are printed in ms with two significant
 * digits (>= 10 ms: whole ms) and kept in ns; the cycle's start @T in ms
 * resolution, in ns since the program started. Scavenger sizes are KiB
 * (x >> 10) kept in bytes likewise; the old scvg lines' MB likewise. */
#ifndef GOESCAPE_MEMORY_H
#define GOESCAPE_MEMORY_H
#include "../goescape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_gctrace ge_gctrace;

enum {
  GE_GC_FORM_GO14 = 14, /* gcN(P): ... us */
  GE_GC_FORM_GO15 = 15, /* 5 clock phases */
  GE_GC_FORM_GO16 = 16, /* 3 clock phases, no stacks/globals */
  GE_GC_FORM_GO118 = 118 /* with stacks and globals */
};

#define GE_GC_MAX_PHASES 8
#define GE_GC_ABSENT UINT64_MAX

typedef struct ge_gc_cycle {
  uint64_t line;     /* 1-based line of its input */
  uint32_t input;    /* 0-based input */
  uint32_t run;      /* 0-based: a new run starts where the cycle number does not grow */
  uint64_t n;        /* the runtime's cycle number (1, 2, ...) */
  int64_t t_ns;      /* @T: since program start; -1 in Go <= 1.4 lines */
  int32_t cpu_pct;   /* P%: GC's share of CPU since start; -1 in Go <= 1.4 lines */
  uint16_t form;     /* GE_GC_FORM_* */
  uint8_t forced;    /* (forced): runtime.GC / debug.FreeOSMemory */
  uint8_t leak_check; /* (checking for goroutine leaks) (Go 1.26) */
  uint8_t nclock, ncpu;
  uint8_t cpu_groups;  /* '+'-separated groups of the cpu part */
  uint8_t cpu_group_len[GE_GC_MAX_PHASES];
  double clock_ns[GE_GC_MAX_PHASES]; /* wall time per phase (us for Go <= 1.4: kept in ns) */
  double cpu_ns[GE_GC_MAX_PHASES * 3]; /* every cpu number in order */
  double stw_ns;     /* the stop-the-world phases' wall time: clock[0] + clock[last]
                        (+ clock[2], "synchronize Ps", in Go 1.5) */
  uint64_t heap0, heap1, heap2; /* at trigger -> at mark termination -> live; bytes */
  uint64_t goal, stacks, globals; /* bytes; GE_GC_ABSENT when the line has none */
  uint32_t procs;    /* P (Go <= 1.4: the number in parentheses) */
} ge_gc_cycle;

enum { GE_SCAV_SCAV = 1, GE_SCAV_SCVG = 2 };

typedef struct ge_scav_line {
  uint64_t line;
  uint32_t input, run;
  uint64_t after_n;  /* the number of the last GC line before it in its run; 0: none */
  uint8_t kind;      /* GE_SCAV_SCAV (scavtrace=1), GE_SCAV_SCVG (gctrace=1, Go <= 1.14) */
  uint8_t forced;    /* (forced), scvg-1: debug.FreeOSMemory */
  uint8_t reset;     /* [controller reset] */
  /* bytes; GE_GC_ABSENT where the line has none */
  uint64_t work;     /* released since the last line (Go 1.15-1.20, scvg "released") */
  uint64_t work_bg, work_eager; /* released by the background scavenger / eagerly (Go 1.21+) */
  uint64_t released; /* "now"/"total": heap memory returned to the OS, now */
  uint64_t inuse, idle, sys, consumed; /* scvg's heap sizes (MB) */
  int32_t util_pct;  /* % of retained heap in use; -1 absent */
} ge_scav_line;

typedef struct ge_gctrace_info {
  uint32_t inputs, runs;
  uint64_t lines, cycles, scavs;
  uint64_t skipped;   /* other lines */
  uint64_t malformed; /* lines that start like gctrace/scavtrace and do not read as one */
} ge_gctrace_info;

GE_API ge_err ge_gctrace_new(const ge_limits *lim, int strict, ge_gctrace **out, ge_error *err);
GE_API void ge_gctrace_free(ge_gctrace *g);
/* Adds one input: a file ("-" is stdin) or bytes (name stands for them). */
GE_API ge_err ge_gctrace_add_file(ge_gctrace *g, const char *path, ge_error *err);
GE_API ge_err ge_gctrace_add_bytes(ge_gctrace *g, const char *name, const void *data, size_t len,
                                   ge_error *err);
GE_API void ge_gctrace_info_get(const ge_gctrace *g, ge_gctrace_info *out);
GE_API const ge_gc_cycle *ge_gctrace_cycles(const ge_gctrace *g, size_t *n);
GE_API const ge_scav_line *ge_gctrace_scavs(const ge_gctrace *g, size_t *n);
/* The i-th kept message about a malformed line, NULL past the last. */
GE_API const char *ge_gctrace_warning(const ge_gctrace *g, size_t i);
GE_API ge_strview ge_gctrace_input_name(const ge_gctrace *g, uint32_t input);

/* One line alone (no newline): 1 a GC line (*c filled), 2 a scavenger line
 * (*s filled), 0 another line, -1 a line that starts like one and does not
 * read as one (*why says what was expected). line/input/run/after_n are
 * left 0. */
GE_API int ge_gctrace_line(const char *s, size_t n, ge_gc_cycle *c, ge_scav_line *sc,
                           const char **why);

#ifdef __cplusplus
}
#endif
#endif
