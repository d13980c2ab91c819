/* goescape — ge_heapdump API: Go heap dumps, as runtime/debug.WriteHeapDump
 * writes them ("go1.7 heap dump\n", the format of Go 1.7 through 1.27; the
 * writer is src/runtime/heapdump.go), and the object graph they describe.
 *
 * Every record kind is read; what a retention question needs is kept in
 * arrays sized by the objects and pointers, not by the dump's bytes (object
 * contents are read once, for their pointer fields, and not kept):
 *  - objects sorted by address, each with its outgoing edges (CSR: one edge
 *    array, an offset per object), an edge being the object the pointer
 *    lands in (interior pointers count) and the field's offset;
 *  - roots: pointer slots of the data and bss segments, of stack frames,
 *    goroutine contexts, finalizers (their object and function), the
 *    runtime's other roots; each slot that points into an object;
 *  - goroutines, frames, types, itabs, OS threads, the MemStats record,
 *    memory profile buckets and alloc samples, defer and panic records.
 * The analyses (dominators, retained sizes, shortest paths from the roots)
 * are computed on first use and kept. */
#ifndef GOESCAPE_HEAPDUMP_H
#define GOESCAPE_HEAPDUMP_H
#include "../goescape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_heapdump ge_heapdump;

/* A file ("-" is stdin) or bytes in memory (`name` stands for them in
 * messages). Objects and pointers are bounded by lim->max_records each. */
GE_API ge_err ge_heapdump_open(const char *path, const ge_limits *lim, ge_heapdump **out,
                               ge_error *err);
GE_API ge_err ge_heapdump_parse(const char *name, const void *data, size_t len,
                                const ge_limits *lim, ge_heapdump **out, ge_error *err);
GE_API void ge_heapdump_free(ge_heapdump *d);

/* Record kinds, as the format numbers them (tagObject = 1, ...). */
enum {
  GE_HD_EOF = 0, GE_HD_OBJECT, GE_HD_OTHERROOT, GE_HD_TYPE, GE_HD_GOROUTINE,
  GE_HD_FRAME, GE_HD_PARAMS, GE_HD_FINALIZER, GE_HD_ITAB, GE_HD_OSTHREAD,
  GE_HD_MEMSTATS, GE_HD_QFINALIZER, GE_HD_DATA, GE_HD_BSS, GE_HD_DEFER,
  GE_HD_PANIC, GE_HD_MEMPROF, GE_HD_ALLOCSAMPLE, GE_HD_NKINDS
};
GE_API const char *ge_heapdump_kind_name(int kind);

#define GE_HD_NMEMSTATS 25
typedef struct ge_heapdump_info {
  int big_endian;
  uint32_t ptr_size;
  uint64_t arena_start, arena_end, ncpu;
  ge_strview goarch, go_version;
  uint64_t records[GE_HD_NKINDS]; /* records of each kind read */
  uint64_t objects, pointers;     /* objects, and pointers that land in one */
  uint64_t heap_bytes;            /* sum of object sizes */
  uint64_t roots;                 /* root slots that land in an object */
  uint64_t data_addr, data_size, bss_addr, bss_size;
  int has_memstats;
  /* The MemStats record in the order it is written: Alloc, TotalAlloc,
   * Sys, Lookups, Mallocs, Frees, HeapAlloc, HeapSys, HeapIdle,
   * HeapInuse, HeapReleased, HeapObjects, StackInuse, StackSys,
   * MSpanInuse, MSpanSys, MCacheInuse, MCacheSys, BuckHashSys, GCSys,
   * OtherSys, NextGC, LastGC, PauseTotalNs, NumGC (PauseNs not kept). */
  uint64_t memstats[GE_HD_NMEMSTATS];
} ge_heapdump_info;
GE_API void ge_heapdump_info_get(const ge_heapdump *d, ge_heapdump_info *out);
GE_API const char *ge_heapdump_memstats_name(int i); /* "heap_alloc", ... */

typedef struct ge_heapdump_object {
  uint64_t addr, size;
  uint64_t first_edge, nedges; /* [first_edge, first_edge + nedges) */
} ge_heapdump_object;
/* Object i in address order: 1, or 0 past the end. */
GE_API int ge_heapdump_object_get(const ge_heapdump *d, size_t i, ge_heapdump_object *out);
/* The index of the object holding addr (interior addresses too), or -1. */
GE_API int64_t ge_heapdump_find(const ge_heapdump *d, uint64_t addr);
/* Edge e: the object it lands in and the field's offset in its source. */
GE_API void ge_heapdump_edge(const ge_heapdump *d, uint64_t e, uint32_t *target,
                             uint64_t *field);

enum {
  GE_HD_ROOT_DATA, GE_HD_ROOT_BSS, GE_HD_ROOT_STACK, GE_HD_ROOT_CTXT, GE_HD_ROOT_FINALIZER,
  GE_HD_ROOT_QFINALIZER, GE_HD_ROOT_OTHER, GE_HD_ROOT_NKINDS
};
GE_API const char *ge_heapdump_root_kind_name(int kind); /* "data", "bss", "stack", ... */

typedef struct ge_heapdump_root {
  int kind;
  uint32_t target;   /* the object it points into */
  uint64_t slot;     /* address of the slot (data, bss, stack), else the pointer */
  uint64_t pointer;  /* the pointer in it: inside target, not always at its start */
  uint64_t offset;   /* offset in its segment or frame */
  int64_t frame;     /* stack: the frame's index, else -1 */
  int64_t goroutine; /* stack, ctxt: the goroutine's index, else -1 */
  ge_strview name;   /* other: the runtime's description */
  uint32_t nafter;   /* data, bss, stack: the words after the pointer in the */
  uint64_t after[2]; /* slot's contents (a slice's len and cap), at most 2 */
} ge_heapdump_root;
GE_API size_t ge_heapdump_nroots(const ge_heapdump *d);
GE_API void ge_heapdump_root_get(const ge_heapdump *d, size_t i, ge_heapdump_root *out);

typedef struct ge_heapdump_goroutine {
  uint64_t addr, sp, id, gopc, status, waitsince, ctxt, m, defer, panic;
  int system;
  ge_strview wait_reason;
  size_t first_frame, nframes;
} ge_heapdump_goroutine;
GE_API size_t ge_heapdump_ngoroutines(const ge_heapdump *d);
GE_API void ge_heapdump_goroutine_get(const ge_heapdump *d, size_t i, ge_heapdump_goroutine *out);

typedef struct ge_heapdump_frame {
  uint64_t sp, depth, child_sp, size, entry, pc, continpc;
  ge_strview func;
  int64_t goroutine;
} ge_heapdump_frame;
GE_API void ge_heapdump_frame_get(const ge_heapdump *d, size_t i, ge_heapdump_frame *out);

/* Where an object was allocated, from the memory profile's alloc samples
 * (all of them with runtime.MemProfileRate = 1): its bucket's frames,
 * innermost first. 0 when the object has no sample. */
typedef struct ge_heapdump_site {
  ge_strview func, file;
  uint64_t line;
} ge_heapdump_site;
GE_API int ge_heapdump_alloc_site(const ge_heapdump *d, uint32_t obj, const ge_heapdump_site **frames,
                                  size_t *n);

/* The analyses, computed on first use (out of memory: GE_ERR_NOMEM). */
GE_API ge_err ge_heapdump_analyze(ge_heapdump *d, ge_error *err);
/* After ge_heapdump_analyze. Reachable: from a root. idom: the immediate
 * dominator's index, or -1 for an object only the roots dominate, or -2
 * for an unreachable one. */
typedef struct ge_heapdump_retention {
  uint64_t retained;
  int64_t idom;
  uint32_t depth; /* pointers from the nearest root, 0 for a root's target */
} ge_heapdump_retention;
GE_API void ge_heapdump_retention_get(const ge_heapdump *d, uint32_t obj,
                                      ge_heapdump_retention *out);
GE_API uint64_t ge_heapdump_reachable(const ge_heapdump *d, uint64_t *bytes);
/* The n objects retaining most (ties: lower address first) into out;
 * returns how many. */
GE_API size_t ge_heapdump_top(const ge_heapdump *d, size_t n, uint32_t *out);
/* The shortest path from a root to obj: the root's index and the objects
 * from the root's target to obj (at most cap; returns the path's length,
 * 0 when obj is unreachable). fields[i] is the offset of the pointer in
 * objs[i-1] (fields[0]: 0). */
GE_API size_t ge_heapdump_path(const ge_heapdump *d, uint32_t obj, size_t *root, uint32_t *objs,
                               uint64_t *fields, size_t cap);
/* The objects obj immediately dominates (-1: the super-root's), by
 * retained size, largest first; at most cap into out; returns how many
 * there are in all. */
GE_API size_t ge_heapdump_dominated(const ge_heapdump *d, int64_t obj, uint32_t *out, size_t cap);


/* Objects grouped by allocation site: every object with an alloc sample,
 * by the first frame of its stack outside the runtime's allocator (the
 * first function not named runtime.*), as ge.heapdump.alloc_site picks it.
 * Runs the analyses first. */
#define GE_HD_GROUP_TOP 5
typedef struct ge_heapdump_group {
  ge_heapdump_site site;
  int first; /* the site is its stack's first frame (the runtime's are left out) */
  uint64_t objects, bytes;           /* the site's objects in the dump, dead slots too */
  uint64_t live_objects, live_bytes; /* those a root reaches */
  /* The retained sizes of the live members no other member of the group
   * dominates: the bytes that would go if the site's objects went, each
   * byte counted once (a list of the site's nodes retains its tail). */
  uint64_t retained;
  uint32_t top[GE_HD_GROUP_TOP]; /* those members retaining most, largest first */
  size_t ntop;
} ge_heapdump_group;
/* The groups, largest retained first (then live bytes, bytes, site);
 * free *out with free(). */
GE_API ge_err ge_heapdump_sites(ge_heapdump *d, ge_heapdump_group **out, size_t *n, ge_error *err);

/* What each root holds alone: for each root (ge_heapdump_root_get's index),
 * the retained bytes and count of the objects only roots dominate whose
 * shortest path starts at it (retained[i], objects[i]; arrays of
 * ge_heapdump_nroots). Together they account for every reachable byte
 * once. Runs the analyses first. */
GE_API ge_err ge_heapdump_root_retained(ge_heapdump *d, uint64_t *retained, uint64_t *objects,
                                        ge_error *err);

/* The top of the dominator tree, breadth first from the super-root: each
 * node's `per` children retaining most (largest first), at most `max`
 * nodes in all, into out (room for max). A node: its object, the index in
 * out of its parent (-1: a child of the super-root), how many children it
 * has in all. *ntop: how many children the super-root has. Runs the
 * analyses first. */
typedef struct ge_heapdump_domnode {
  uint32_t obj;
  int64_t parent;
  uint64_t nkids;
} ge_heapdump_domnode;
GE_API ge_err ge_heapdump_domtree(ge_heapdump *d, size_t per, size_t max, ge_heapdump_domnode *out,
                                  size_t *nout, uint64_t *ntop, ge_error *err);

#ifdef __cplusplus
}
#endif
#endif
