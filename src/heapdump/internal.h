/* The heap dump's model, shared by the reader (read.c, records.c), the
 * graph builder (graph.c) and the analyses (dominators.c, paths.c). */
#ifndef GE_HEAPDUMP_INTERNAL_H
#define GE_HEAPDUMP_INTERNAL_H
#include <stdint.h>

#include "core/arena.h"
#include "core/vec.h"
#include "goescape/heapdump.h"

#define HD_UNREACHED UINT32_MAX
#define HD_SUPER (UINT32_MAX - 1)

/* A root slot before its target is resolved (ptr: the pointer in it). */
typedef struct hd_root {
  uint64_t ptr, slot, offset;
  int64_t frame, goroutine;
  ge_strview name;
  uint32_t target;
  uint8_t kind;
  /* The words that follow the pointer in its segment or frame (nafter of
   * them): a slice's length and capacity, a string's length. */
  uint8_t nafter;
  uint64_t after[2];
} hd_root;

typedef struct hd_memprof {
  uint64_t addr, size, allocs, frees;
  size_t first_site, nsites;
} hd_memprof;

typedef struct hd_sample {
  uint64_t obj, bucket;
} hd_sample;

struct ge_heapdump {
  ge_limits lim;
  ge_arena strings; /* every string of the dump, copied out of the input */
  ge_heapdump_info info;

  /* Objects, by address once built; edges in CSR form. */
  uint64_t *addr, *size, *first; /* first: n + 1 offsets into the edges */
  size_t nobj, objcap;
  uint64_t *raw;      /* while reading: the pointer values, per object */
  uint32_t *rawfield; /* while reading: their offsets (saturated) */
  size_t nraw, rawcap, rawfieldcap;
  uint32_t *edge;     /* target object */
  uint32_t *field;    /* the pointer's offset in its source (saturated) */
  size_t nedge;
  uint32_t *page; /* graph.c's page table, or NULL */
  uint64_t page_base, npages;

  GE_VEC(hd_root) roots;
  GE_VEC(ge_heapdump_goroutine) gs;
  GE_VEC(ge_heapdump_frame) frames;
  GE_VEC(hd_memprof) buckets;
  GE_VEC(ge_heapdump_site) sites;
  GE_VEC(hd_sample) samples; /* sorted by object address once built */

  /* Analyses (analyze): per object. */
  int analyzed;
  uint64_t *retained;
  uint32_t *idom;     /* HD_UNREACHED, HD_SUPER (only roots dominate) or an object */
  uint32_t *bfs_parent; /* object or UINT32_MAX for a root's target */
  uint32_t *bfs_via;    /* field offset in the parent, or the root index */
  uint32_t *bfs_depth;
  uint64_t reachable, reachable_bytes;
};

/* read.c: reads every record of the input into d (objects unsorted,
 * pointers raw); errors name `name` and the byte offset. */
struct hd_in;
ge_err hd_read(ge_heapdump *d, const char *name, struct hd_in *in, ge_error *err);
/* graph.c: sorts objects, resolves pointers and roots to objects. */
ge_err hd_build(ge_heapdump *d, const char *name, ge_error *err);
/* The object holding addr, or -1. */
int64_t hd_find(const ge_heapdump *d, uint64_t addr);
/* dominators.c */
ge_err hd_dominators(ge_heapdump *d, ge_error *err);
/* paths.c */
ge_err hd_bfs(ge_heapdump *d, ge_error *err);
/* domtree.c: the dominator tree's children in CSR form, the super-root
 * being node nobj (*start: nobj + 2 offsets into *kids); 0, or -1 when out
 * of memory (the caller frees both either way). */
int hd_dom_children(const ge_heapdump *d, uint32_t **start, uint32_t **kids);
#endif
