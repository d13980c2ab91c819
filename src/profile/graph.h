/* The aggregation the profile reports (top, folded, flame) are built on, as
 * `go tool pprof` builds its graph (internal/graph/graph.go newGraph,
 * internal/driver aggregate, profile.Aggregate):
 *   - each (location, line) maps to a node whose key depends on the
 *     granularity: functions (name), lines (name, file, line), files (file);
 *     a node without a function name also keys on the mapping file and the
 *     function's start line (pprof's NodeInfo.Objfile/StartLine);
 *   - stacks are the distinct sequences of nodes the selected samples walk,
 *     with their summed values (folded stacks, by-stack rows, flame trees);
 *   - edges are caller -> callee node pairs, for pprof's inline labels. */
#ifndef GE_PROFILE_GRAPH_H
#define GE_PROFILE_GRAPH_H
#include <string.h>

#include "select.h"

typedef struct nkey {
  uint32_t name, file, obj;
  int64_t start, line;
  uint64_t addr;
} nkey;

typedef struct node {
  nkey k;
  int64_t flat, cum;
  uint32_t stamp;
} node;

typedef struct agg {
  const ge_profile *p;
  ge_prof_by by;
  ge_intern ls;                /* local strings: names, cleaned files, objfiles */
  uint32_t *fn_name, *fn_file; /* per function, ids in ls */
  uint32_t *map_obj;           /* per mapping */
  GE_VEC(node) nodes;
  ge_hashidx ix;               /* nodes by key */
  uint32_t *loc_off;           /* per location: nodes loc_nodes[loc_off[i]..loc_off[i+1]) */
  GE_VEC(uint32_t) loc_nodes;  /* innermost (line 0) first */
} agg;

/* Builds the node table and the location -> nodes lists for granularity by
 * (by == GE_PROF_BY_STACK: function names, addresses kept for frames without
 * a function, so that folded stacks of unsymbolized profiles keep them).
 * Locations and lines s hides get no nodes. */
ge_err ge_agg_build(agg *a, const ge_profile *p, ge_prof_by by, const sel *s, ge_error *err);
void ge_agg_free(agg *a);
/* pprof's PrintableName of a node key, into out (cap bytes, NUL-terminated);
 * returns its length. */
size_t ge_agg_printable(const agg *a, const nkey *k, char *out, size_t cap);
/* Frame name for folded stacks, by-stack rows and flame nodes: function
 * name, else the address in hex, else [objfile]; returns its length. */
size_t ge_agg_frame_name(const agg *a, uint32_t id, char *out, size_t cap);

/* Stacks: sequences of node ids, root first, hashed. */
typedef struct stacks {
  GE_VEC(uint32_t) ids;   /* concatenated sequences */
  GE_VEC(uint32_t) off;   /* per stack: start in ids */
  GE_VEC(int64_t) val;
  GE_VEC(uint32_t) hash;  /* per stack */
  ge_hashidx ix;          /* stacks by their ids */
} stacks;

/* Adds every sample s selects with a nonzero value of sample type si to st
 * (identical stacks summed) and its value to *total, also when all its
 * frames are hidden. */
ge_err ge_stacks_build(const agg *a, const sel *s, size_t si, stacks *st, int64_t *total,
                       ge_error *err);
void ge_stacks_free(stacks *st);
/* The end of stack k's node ids in st->ids (its start is st->off.v[k]). */
static inline size_t ge_stack_end(const stacks *st, size_t k) {
  return k + 1 < st->val.n ? st->off.v[k + 1] : st->ids.n;
}

/* Edges caller -> callee, each with whether every path that added it was
 * an inlined call, indexed on the node pair. */
typedef struct edges {
  GE_VEC(uint64_t) key; /* parent << 32 | child */
  GE_VEC(uint8_t) all_inline;
  ge_hashidx ix;
} edges;

/* Adds edge parent -> child (inl: an inlined call); -1 when out of memory. */
int ge_edge_add(edges *e, uint32_t parent, uint32_t child, int inl);
/* The index of edge parent -> child, or SIZE_MAX. */
size_t ge_edge_find(const edges *e, uint32_t parent, uint32_t child);
/* The callee of edge i. */
static inline uint32_t ge_edge_child(const edges *e, size_t i) {
  return (uint32_t)(e->key.v[i] & 0xffffffffu);
}
void ge_edges_free(edges *e);

/* Byte order of two names, shorter first on a common prefix (Go's string
 * order, which pprof sorts rows and tree children by). */
static inline int ge_sv_cmp(ge_strview a, ge_strview b) {
  size_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
  if (c) return c;
  return a.len < b.len ? -1 : a.len > b.len;
}
#endif
