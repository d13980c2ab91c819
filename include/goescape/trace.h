/* goescape — ge_trace API: Go execution traces (see goescape.h for errors
 * and limits).
 *
 * A ge_trace reads the v2 trace format that Go 1.22 through 1.27 write
 * (headers "go 1.22 trace" to "go 1.26 trace"); older headers are refused
 * with GE_ERR_FORMAT naming the Go versions that wrote them. A trace is a
 * sequence of generations, each self-contained (its own string and stack
 * tables, written after its events). ge_trace_open reads the input one
 * generation at a time: it checks every batch and event, counts events by
 * type, and keeps only an index of the generations, so its memory is bounded
 * by the largest generation, not the file (a path is read again by
 * iterators; "-" and other streams are held whole in memory, bounded by
 * lim->max_inflated_bytes). A trace cut off inside a generation keeps every
 * complete generation: `warning` says what was lost.
 *
 * Events come out of an iterator, generation by generation, each one in
 * time order across the Ms (OS threads) that wrote it, with its goroutine,
 * P and M from a replay of each M's scheduling context, and its time in
 * nanoseconds (the trace clock converted by the generation's frequency, as
 * Go's own reader does).
 */
#ifndef GOESCAPE_TRACE_H
#define GOESCAPE_TRACE_H
#include "../goescape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_trace ge_trace;
typedef struct ge_trace_iter ge_trace_iter;

#define GE_TRACE_NONE UINT64_MAX /* no goroutine, P or M */
#define GE_TRACE_NTYPES 256      /* event type ids are one byte */
#define GE_TRACE_MAXARGS 5

/* Opens a file ("-" reads stdin) and decodes it in full once. */
GE_API ge_err ge_trace_open(const char *path, const ge_limits *lim, ge_trace **out,
                            ge_error *err);
/* The same over bytes in memory (copied: not referenced after the call).
 * `name` prefixes error messages. */
GE_API ge_err ge_trace_parse(const char *name, const void *data, size_t len,
                             const ge_limits *lim, ge_trace **out, ge_error *err);
GE_API void ge_trace_free(ge_trace *t);

typedef struct ge_trace_info {
  unsigned go_minor;        /* the header's version: 22, 23, 25 or 26 */
  uint64_t generations;     /* complete generations */
  uint64_t goroutines;      /* distinct goroutine ids named by any event */
  uint64_t gc_cycles;       /* GC cycles: GCBegin events, plus the cycle running
                               when the trace started, if any */
  uint64_t events;          /* events of every type (ge_trace_type_is_event) */
  uint64_t bytes;           /* the input's size */
  uint64_t max_generation_bytes;
  uint64_t lost_bytes;      /* bytes after the last complete generation */
  int64_t start_ns, end_ns; /* first and last event time (0, 0 without events) */
  const char *warning;      /* NULL, or what a cut-off trace lost */
} ge_trace_info;

GE_API void ge_trace_info_get(const ge_trace *t, ge_trace_info *out);
/* How many times a type occurs in the complete generations, for every type
 * `go tool trace -d=wire` prints: events and the structural ones
 * (EventBatch, Strings, String, Stacks, Stack, CPUSamples, Sync,
 * ExperimentalBatch, EndOfGeneration). */
GE_API uint64_t ge_trace_count(const ge_trace *t, unsigned type);

typedef struct ge_trace_gen {
  uint64_t gen;             /* the generation's number in the trace */
  uint64_t offset, size;    /* its bytes in the input */
  uint64_t freq;            /* trace clock ticks per second */
  uint64_t events;
  int64_t start_ns, end_ns; /* first and last event */
} ge_trace_gen;

GE_API size_t ge_trace_ngens(const ge_trace *t);
GE_API ge_err ge_trace_generation(const ge_trace *t, size_t i, ge_trace_gen *out);

/* ------------------------------------------------------------ event types */

typedef enum ge_trace_arg_kind {
  GE_TRACE_ARG_NUM,    /* a number */
  GE_TRACE_ARG_STRING, /* a string id of the event's generation */
  GE_TRACE_ARG_STACK   /* a stack id of the event's generation (0: none) */
} ge_trace_arg_kind;

/* The wire name of a type ("GoCreate"), NULL for an unused id. */
GE_API const char *ge_trace_type_name(unsigned type);
/* The type of a wire name, -1 when none. */
GE_API int ge_trace_type_id(const char *name);
/* 1 for the types that are events (timed events, CPUSample, Frequency,
 * ClockSnapshot), 0 for batch and table markers and unused ids. */
GE_API int ge_trace_type_is_event(unsigned type);
/* The type's arguments after its time delta, with the names -d=wire prints. */
GE_API unsigned ge_trace_type_nargs(unsigned type);
GE_API const char *ge_trace_arg_name(unsigned type, unsigned i, ge_trace_arg_kind *kind);

/* ------------------------------------------------------------------ events */

typedef struct ge_trace_event {
  uint64_t gen;                    /* generation number */
  int64_t time;                    /* nanoseconds on the trace clock */
  uint64_t g, p, m;                /* context; GE_TRACE_NONE when none */
  uint64_t args[GE_TRACE_MAXARGS]; /* wire arguments after dt */
  uint8_t type, nargs;
} ge_trace_event;

/* What an iterator yields; zero for everything. */
typedef struct ge_trace_filter {
  const uint8_t *types; /* NULL: every event type; else types[id] != 0 selects */
  uint64_t g;           /* with by_g: events whose goroutine is g */
  int64_t from, to;     /* with by_from / by_to: time bounds, inclusive */
  int by_g, by_from, by_to;
} ge_trace_filter;

/* An iterator over t's events (the filter is copied). t must outlive it and
 * stay unchanged. Its memory: one generation and its tables. */
GE_API ge_err ge_trace_iter_new(const ge_trace *t, const ge_trace_filter *f,
                                ge_trace_iter **out, ge_error *err);
/* 1: *ev is the next event; 0: no more; -1: error (the file changed since
 * open, or out of memory), err set. */
GE_API int ge_trace_iter_next(ge_trace_iter *it, ge_trace_event *ev, ge_error *err);
/* A string of the current event's generation; 0 when it has no such id. */
GE_API int ge_trace_iter_string(const ge_trace_iter *it, uint64_t id, ge_strview *out);

typedef struct ge_trace_frame {
  uint64_t pc, line;
  ge_strview func, file;
} ge_trace_frame;

/* The frames of a stack of the current event's generation, innermost first:
 * their number (at most 128: the runtime cuts deeper stacks), of which the
 * first min(n, cap) are written; 0 for id 0 or an unknown id. Views stay
 * valid until the iterator moves to another generation. */
GE_API size_t ge_trace_iter_stack(const ge_trace_iter *it, uint64_t id, ge_trace_frame *frames,
                                  size_t cap);
GE_API void ge_trace_iter_free(ge_trace_iter *it);

/* ------------------------------------------------------------------ model */

/* What one walk over the events computes (ge_trace_model_new's `what`). */
#define GE_TRACE_MODEL_HEAP 1u       /* the heap timeline */
#define GE_TRACE_MODEL_GC 2u         /* GC cycles and stop-the-world pauses */
#define GE_TRACE_MODEL_GOROUTINES 4u /* goroutine lifetimes and state durations */

typedef struct ge_trace_model ge_trace_model;

/* One HeapAlloc or HeapGoal event: both levels just after it (the one it
 * sets and the last value of the other; GE_TRACE_NONE until one is known),
 * and the goroutine it fired on (HeapAlloc: the allocating one). */
typedef struct ge_trace_heap_sample {
  int64_t time;
  uint64_t heap_alloc, heap_goal, g;
  uint8_t is_goal; /* 1: a HeapGoal event, 0: HeapAlloc */
} ge_trace_heap_sample;

/* A GC cycle: GCBegin to GCEnd (the concurrent mark phase). A cycle that
 * was running when the trace started (GCActive before any GCBegin of it)
 * has no start; one still running at the end has no end. */
typedef struct ge_trace_gc_cycle {
  uint64_t seq;
  int64_t start, end;
  uint8_t has_start, has_end;
} ge_trace_gc_cycle;

/* A stop-the-world pause: STWBegin to STWEnd; kind is a model string
 * (STWBegin's kind_string: "GC sweep termination", ...). */
typedef struct ge_trace_stw {
  int64_t start, end;
  uint64_t g; /* the goroutine that stopped the world */
  uint32_t kind;
  uint8_t has_end;
} ge_trace_stw;

typedef struct ge_trace_gc_totals {
  uint64_t cycles, stw;     /* cycles and pauses seen (whole or not) */
  int64_t gc_ns;            /* the summed durations of whole cycles */
  int64_t stw_ns, stw_max_ns; /* of whole pauses */
} ge_trace_gc_totals;

typedef enum ge_trace_gstate {
  GE_TRACE_G_RUNNABLE = 1, GE_TRACE_G_RUNNING, GE_TRACE_G_SYSCALL, GE_TRACE_G_WAITING,
  GE_TRACE_G_DEAD
} ge_trace_gstate;

/* A goroutine named by a state transition (GoCreate*, GoStart, GoStatus,
 * ...), in the order it was first seen. Durations (ns) sum the time spent
 * in each state between transitions, the last state running to the trace's
 * end; `waiting` is waiting without a reason (GoSwitch, a goroutine created
 * blocked or already waiting when the trace began), and blocked time with a
 * GoBlock reason is per reason (ge_trace_model_blocked). */
typedef struct ge_trace_goroutine {
  uint64_t id, creator;       /* creator: the goroutine that ran GoCreate, or NONE */
  int64_t created, ended;     /* GoCreate*; GoDestroy* / GoSwitchDestroy */
  int64_t first;              /* when its state was first known */
  int64_t running, runnable, syscall, waiting, blocked;
  uint32_t stack, entry;      /* model stacks (0: none): GoCreate's stack, new_stack */
  uint32_t reasons;           /* private: the first of its blocked-by-reason sums */
  uint8_t has_created, has_ended, state; /* state: ge_trace_gstate at the end */
} ge_trace_goroutine;

typedef struct ge_trace_blocked {
  uint32_t reason; /* a model string */
  int64_t ns;
} ge_trace_blocked;

/* Walks every event once and builds what `what` asks for. The model does
 * not reference t after the call. */
GE_API ge_err ge_trace_model_new(const ge_trace *t, unsigned what, ge_trace_model **out,
                                 ge_error *err);
GE_API void ge_trace_model_free(ge_trace_model *m);
/* Arrays owned by the model, in time order (goroutines: first seen). */
GE_API size_t ge_trace_model_heap(const ge_trace_model *m, const ge_trace_heap_sample **out);
GE_API size_t ge_trace_model_gc(const ge_trace_model *m, const ge_trace_gc_cycle **out);
GE_API size_t ge_trace_model_stw(const ge_trace_model *m, const ge_trace_stw **out);
GE_API void ge_trace_model_gc_totals(const ge_trace_model *m, ge_trace_gc_totals *out);
GE_API size_t ge_trace_model_goroutines(const ge_trace_model *m, const ge_trace_goroutine **out);
/* A goroutine's blocked time by GoBlock reason: the number of reasons, of
 * which the first min(n, cap) are written. */
GE_API size_t ge_trace_model_blocked(const ge_trace_model *m, const ge_trace_goroutine *g,
                                     ge_trace_blocked *out, size_t cap);
/* A model string (STW kinds, block reasons). */
GE_API ge_strview ge_trace_model_string(const ge_trace_model *m, uint32_t id);
/* The frames of a model stack, innermost first (as ge_trace_iter_stack);
 * views live as long as the model. */
GE_API size_t ge_trace_model_stack(const ge_trace_model *m, uint32_t stack, ge_trace_frame *frames,
                                   size_t cap);
/* Told of each goroutine state change of the walk (GE_TRACE_MODEL_GOROUTINES),
 * in time order: its time, the state before (0: unknown) and after. */
typedef void (*ge_trace_gstate_fn)(void *ctx, int64_t time, uint8_t from, uint8_t to);
/* ge_trace_model_new, calling on_state(ctx, ...) at every state change. */
GE_API ge_err ge_trace_model_new_observed(const ge_trace *t, unsigned what,
                                          ge_trace_gstate_fn on_state, void *ctx,
                                          ge_trace_model **out, ge_error *err);

/* --------------------------------------------------------------- timeline */

/* The trace over time in fixed buckets: bucket i covers [edge i, edge i+1)
 * (the last one [edge n-1, to], inclusive), edge i = from + (to - from) * i / n
 * (integer division), so a time belongs to the last bucket whose edge is at
 * or before it. Heap and goal: the HeapAlloc / HeapGoal values of the events
 * in a bucket (n = 0: none); goroutines: the ns spent running and runnable
 * summed over goroutines (the goroutine model's states) and the most at
 * once. GC cycles and pauses come with the walk's model. */
typedef struct ge_trace_tl_level {
  uint64_t first, min, max, last, n;
} ge_trace_tl_level;

typedef struct ge_trace_tl_gs {
  int64_t running_ns, runnable_ns;
  uint32_t running_max, runnable_max;
} ge_trace_tl_gs;

typedef struct ge_trace_timeline ge_trace_timeline;

/* Two walks of t's events (heap, GC, goroutines; regions and logs) into
 * `buckets` buckets over
 * from..to (ns; from <= to, 1 <= buckets <= 1000000). */
GE_API ge_err ge_trace_timeline_new(const ge_trace *t, int64_t from, int64_t to, size_t buckets,
                                    ge_trace_timeline **out, ge_error *err);
GE_API void ge_trace_timeline_free(ge_trace_timeline *tl);
/* The buckets: their number; the arrays (n of each, edges n + 1 with
 * edges[n] = to) live as long as tl. */
GE_API size_t ge_trace_timeline_buckets(const ge_trace_timeline *tl, const int64_t **edges,
                                        const ge_trace_tl_level **heap,
                                        const ge_trace_tl_level **goal,
                                        const ge_trace_tl_gs **gs);
/* A band or marker of the timeline: user regions of one name, or logs,
 * closer to each other than a bucket merged into one: n of them, busy their
 * summed ns (regions; clipped to from..to); g and task are the first's.
 * name: the region's name, or the first log's key; value: its value (text
 * ids: ge_trace_timeline_text). open_start: a region begun before the trace
 * (its start is from), open_end: one still open at its end. */
typedef struct ge_trace_tl_span {
  int64_t start, end, busy;
  uint64_t n, g, task;
  uint32_t name, value;
  uint8_t open_start, open_end;
} ge_trace_tl_span;

/* Region names (first seen first): their number; name i's text and spans
 * (start order). */
GE_API size_t ge_trace_timeline_names(const ge_trace_timeline *tl);
GE_API ge_strview ge_trace_timeline_name(const ge_trace_timeline *tl, size_t i);
GE_API size_t ge_trace_timeline_regions(const ge_trace_timeline *tl, size_t i,
                                        const ge_trace_tl_span **out);
/* Logs as markers (time order). */
GE_API size_t ge_trace_timeline_logs(const ge_trace_timeline *tl, const ge_trace_tl_span **out);
GE_API ge_strview ge_trace_timeline_text(const ge_trace_timeline *tl, uint32_t id);
/* Regions and logs within from..to, each counted once. */
GE_API void ge_trace_timeline_counts(const ge_trace_timeline *tl, uint64_t *regions,
                                     uint64_t *logs);
/* The walk's model (GC cycles and pauses, heap samples, goroutines). */
GE_API const ge_trace_model *ge_trace_timeline_model(const ge_trace_timeline *tl);

/* ------------------------------------------------------------------ pprof */

/* The profiles of `go tool trace -pprof=TYPE` (src/trace/pprof.c says what
 * each holds), and cpu: the trace's CPU samples. */
enum {
  GE_TRACE_PPROF_SCHED, GE_TRACE_PPROF_SYNC, GE_TRACE_PPROF_NET, GE_TRACE_PPROF_SYSCALL,
  GE_TRACE_PPROF_CPU
};
/* The kind of a name ("sched", "sync", "net", "syscall", "cpu"), -1 when none. */
GE_API int ge_trace_pprof_kind(const char *name);
/* Walks every event once and returns the profile (free with
 * ge_profile_free). period: the CPU sampling period in ns for cpu (<= 0:
 * 10 ms, runtime/pprof's 100 Hz; the trace does not record it). */
GE_API ge_err ge_trace_pprof(const ge_trace *t, unsigned kind, int64_t period, ge_profile **out,
                             ge_error *err);

#ifdef __cplusplus
}
#endif
#endif
