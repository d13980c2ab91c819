/* goescape — a trace's user annotations (runtime/trace tasks, regions and
 * logs) and the heap growth charged to goroutines, regions and tasks.
 *
 * Regions nest per goroutine, as runtime/trace makes them and as Go's
 * reader pairs them (internal/trace/summary.go): a UserRegionEnd closes its
 * goroutine's innermost open region; one with no open region began before
 * the trace (it has no start); one still open when its goroutine ends is
 * ended there (`exited`), and one open at the trace's end has no end.
 *
 * Heap growth: HeapAlloc events carry the pacer's heapLive and fire on the
 * goroutine whose allocation moved it (an mcache refill). Each HeapAlloc
 * after the trace's first has an increment, its value minus the previous
 * HeapAlloc's (whichever goroutine that one fired on). A positive increment
 * is charged to the goroutine the event fired on, to that goroutine's
 * innermost open region and to that region's task; a negative one (GC's
 * reset of heapLive at mark termination, or an mcache flush handing back
 * slots a refill counted) is counted as `freed` where it fired, never
 * subtracted from growth. Every positive increment is charged
 * to exactly one row of each grouping (an `unattributed` row takes the ones
 * outside any region, or on no goroutine), so a grouping's rows sum to the
 * trace's total. */
#ifndef GOESCAPE_TRACE_ANNOT_H
#define GOESCAPE_TRACE_ANNOT_H
#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_trace_annot ge_trace_annot;

/* A task: UserTaskBegin to UserTaskEnd. One begun before the trace has no
 * start (and no name: only the begin carries it); one not ended has no end.
 * parent is GE_TRACE_NONE when the task has none (wire parent 0). */
typedef struct ge_trace_task {
  uint64_t id, parent;
  uint64_t g, end_g; /* the goroutines of the begin and the end */
  int64_t start, end;
  uint32_t name, stack; /* annot string and stack ids (stack: the begin's) */
  uint8_t has_start, has_end, has_name;
} ge_trace_task;

/* One row of a grouping. By goroutine: g; by region: task and name; by
 * task: task. growth sums the positive increments charged to the key,
 * samples counts them, first and last are the first and last one's times;
 * freed sums the negative increments that fired there. */
typedef struct ge_trace_growth {
  uint64_t g, task;
  uint32_t name;
  uint8_t unattributed; /* outside any region (by region, task); no goroutine */
  uint64_t growth, freed, samples;
  int64_t first, last;
} ge_trace_growth;

/* A region on one goroutine, with the heap growth charged to it while it
 * was that goroutine's innermost open region. task is the region's task id
 * (0: the background task). */
typedef struct ge_trace_region {
  uint64_t task, g;
  int64_t start, end;
  ge_trace_growth heap; /* what was charged to it (its g, task and name set) */
  uint32_t name, stack; /* stack: the begin's (the end's for one with no start) */
  uint32_t depth;       /* open regions around it on its goroutine */
  uint32_t parent;      /* the enclosing region's index + 1, 0 for none */
  uint8_t has_start, has_end, exited;
} ge_trace_region;

/* A UserLog event: key is its category, value its message. */
typedef struct ge_trace_log {
  int64_t time;
  uint64_t g, task;
  uint32_t key, value, stack;
} ge_trace_log;

/* An allocation the trace saw with its stack: a GCMarkAssistBegin (the
 * allocating goroutine pays for GC work inside mallocgc) or a CPU sample
 * taken inside runtime.mallocgc. site is the index in the stack of the
 * frame that allocates: the first frame out of the runtime above mallocgc
 * (its allocator, e.g. runtime.growslice, is the frame before it), or
 * mallocgc's caller when every frame is the runtime's. region is the
 * goroutine's innermost open region then (its name, when in_region), task
 * its task (0 outside any region). */
typedef struct ge_trace_alloc {
  int64_t time;
  uint64_t g, task;
  uint32_t region; /* the region's name (annot string), when in_region */
  uint32_t stack, site;
  uint8_t in_region;
  uint8_t cpu; /* 1: a CPU sample; 0: a mark assist */
} ge_trace_alloc;

typedef enum ge_trace_by {
  GE_TRACE_BY_GOROUTINE, GE_TRACE_BY_REGION, GE_TRACE_BY_TASK
} ge_trace_by;


/* Walks the annotation and HeapAlloc events once. The result does not
 * reference t after the call. flags GE_TRACE_ANNOT_SUMS keeps the growth
 * groupings, tasks and allocations only: no region or log list (a region's
 * sums go to its (task, name) as it ends, its slot is reused), so memory
 * follows the goroutines and regions open at once, not the trace's
 * regions (2.4 M regions of a 100 MB trace: 450 MB kept otherwise). */
#define GE_TRACE_ANNOT_ALL 0u
#define GE_TRACE_ANNOT_SUMS 1u
GE_API ge_err ge_trace_annot_new(const ge_trace *t, unsigned flags, ge_trace_annot **out,
                                 ge_error *err);
GE_API void ge_trace_annot_free(ge_trace_annot *a);

/* Arrays owned by a: tasks in the order they begin (one begun before the
 * trace: where it ends), regions likewise, logs in time order. */
GE_API size_t ge_trace_annot_tasks(const ge_trace_annot *a, const ge_trace_task **out);
GE_API size_t ge_trace_annot_regions(const ge_trace_annot *a, const ge_trace_region **out);
GE_API size_t ge_trace_annot_logs(const ge_trace_annot *a, const ge_trace_log **out);
/* The rows of a grouping, growth descending (then freed descending, then
 * by key); rows with neither growth nor freed bytes are left out. */
GE_API size_t ge_trace_annot_growth(const ge_trace_annot *a, ge_trace_by by,
                                    const ge_trace_growth **out);
/* The allocations seen with a stack, in time order. */
GE_API size_t ge_trace_annot_allocs(const ge_trace_annot *a, const ge_trace_alloc **out);
/* The name of a task id, when a UserTaskBegin named it (annot string). */
GE_API int ge_trace_annot_task_name(const ge_trace_annot *a, uint64_t task, uint32_t *name);
GE_API ge_strview ge_trace_annot_string(const ge_trace_annot *a, uint32_t id);
/* The frames of an annot stack, innermost first (as ge_trace_iter_stack);
 * views live as long as a. */
GE_API size_t ge_trace_annot_stack(const ge_trace_annot *a, uint32_t stack,
                                   ge_trace_frame *frames, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
