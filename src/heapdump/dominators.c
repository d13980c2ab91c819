/* The dominator tree of the object graph and each object's retained size
 * (the bytes that would go if it went: its own and those of every object
 * it dominates).
 *
 * Lengauer–Tarjan with path compression (the "simple" version, O(E log N)),
 * over the objects and a super-root whose successors are the roots'
 * targets. Everything runs on preorder numbers, and both the depth-first
 * search and the path compression are loops over explicit stacks: a heap
 * has millions of objects and chains as long (a linked list), far past any
 * C stack. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "internal.h"

#define NONE UINT32_MAX

/* Arrays by preorder number unless said otherwise; each is freed as soon
 * as it is done with, so that the peak stays near ten words per object
 * besides the graph. Edge counts fit 32 bits (hd_dominators checks). */
typedef struct lt {
  uint32_t *dfn;    /* by node: preorder number, NONE if unreached */
  uint32_t *vertex; /* node of each number (super-root: nobj) */
  uint32_t *parent, *semi, *ancestor, *best, *bucket, *next;
  uint32_t *idom;   /* SAME | y: same dominator as y (Lengauer-Tarjan's samedom) */
  uint32_t *pstart; /* predecessors, CSR */
  uint32_t *pred;
  uint32_t *stack;
  uint32_t *spos;   /* DFS: the next successor of each stacked node */
  uint32_t count;
} lt;

#define SAME 0x80000000u

static void lt_free(lt *t) {
  free(t->dfn); free(t->vertex); free(t->parent); free(t->semi); free(t->ancestor);
  free(t->best); free(t->idom); free(t->bucket); free(t->next);
  free(t->pstart); free(t->pred); free(t->stack); free(t->spos);
  memset(t, 0, sizeof *t);
}

/* Successor k of node v (the super-root's are the roots' targets). */
static inline uint64_t nsucc(const ge_heapdump *d, uint32_t v) {
  return v == d->nobj ? d->roots.n : d->first[v + 1] - d->first[v];
}
static inline uint32_t succ(const ge_heapdump *d, uint32_t v, uint64_t k) {
  return v == d->nobj ? d->roots.v[k].target : d->edge[d->first[v] + k];
}

static void dfs(const ge_heapdump *d, lt *t) {
  uint32_t top = 0, num = 0;
  uint32_t s = (uint32_t)d->nobj;
  t->dfn[s] = num;
  t->vertex[num] = s;
  t->parent[num++] = NONE;
  t->stack[top] = s;
  t->spos[top++] = 0;
  while (top) {
    uint32_t v = t->stack[top - 1];
    uint32_t k = t->spos[top - 1];
    if (k == nsucc(d, v)) {
      top--;
      continue;
    }
    t->spos[top - 1] = k + 1; /* fits: successors of one node <= edges + roots */
    uint32_t w = succ(d, v, k);
    if (t->dfn[w] != NONE) continue;
    t->dfn[w] = num;
    t->vertex[num] = w;
    t->parent[num++] = t->dfn[v];
    t->stack[top] = w;
    t->spos[top++] = 0;
  }
  t->count = num;
}

/* Predecessors of every reached node, by preorder number. */
static void preds(const ge_heapdump *d, lt *t) {
  uint32_t n = t->count;
  for (uint32_t i = 0; i <= n; i++) t->pstart[i] = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t v = t->vertex[i];
    for (uint64_t k = 0, e = nsucc(d, v); k < e; k++) t->pstart[t->dfn[succ(d, v, k)] + 1]++;
  }
  for (uint32_t i = 0; i < n; i++) t->pstart[i + 1] += t->pstart[i];
  for (uint32_t i = 0; i < n; i++) t->spos[i] = t->pstart[i];
  for (uint32_t i = 0; i < n; i++) {
    uint32_t v = t->vertex[i];
    for (uint64_t k = 0, e = nsucc(d, v); k < e; k++) {
      uint32_t w = t->dfn[succ(d, v, k)];
      t->pred[t->spos[w]++] = i;
    }
  }
}

/* The ancestor of v (in the forest linked so far) with the lowest
 * semidominator, compressing the path on the way. */
static uint32_t eval(lt *t, uint32_t v) {
  uint32_t top = 0;
  for (uint32_t x = v; t->ancestor[t->ancestor[x]] != NONE; x = t->ancestor[x]) t->stack[top++] = x;
  while (top) {
    uint32_t x = t->stack[--top];
    uint32_t a = t->ancestor[x];
    if (t->semi[t->best[a]] < t->semi[t->best[x]]) t->best[x] = t->best[a];
    t->ancestor[x] = t->ancestor[a];
  }
  return t->best[v];
}

static void lengauer_tarjan(lt *t) {
  uint32_t n = t->count;
  for (uint32_t i = 0; i < n; i++) {
    t->semi[i] = i;
    t->best[i] = i;
    t->ancestor[i] = NONE;
    t->bucket[i] = NONE;
    t->idom[i] = NONE;
  }
  for (uint32_t w = n - 1; w >= 1; w--) {
    uint32_t p = t->parent[w], s = p;
    for (uint32_t k = t->pstart[w]; k < t->pstart[w + 1]; k++) {
      uint32_t v = t->pred[k];
      uint32_t sv = v <= w ? v : t->semi[eval(t, v)];
      if (sv < s) s = sv;
    }
    t->semi[w] = s;
    t->next[w] = t->bucket[s];
    t->bucket[s] = w;
    t->ancestor[w] = p;
    for (uint32_t v = t->bucket[p]; v != NONE; v = t->next[v]) {
      uint32_t y = eval(t, v);
      if (t->semi[y] == t->semi[v]) t->idom[v] = p;
      else t->idom[v] = SAME | y;
    }
    t->bucket[p] = NONE;
  }
  for (uint32_t w = 1; w < n; w++)
    if (t->idom[w] != NONE && (t->idom[w] & SAME)) t->idom[w] = t->idom[t->idom[w] & ~SAME];
}

#define GET(p, n) (((p) = malloc((size_t)(n) * sizeof *(p))) != NULL)

ge_err hd_dominators(ge_heapdump *d, ge_error *err) {
  size_t n = d->nobj;
  if (n >= SAME - 1 || d->nedge + d->roots.n >= UINT32_MAX)
    return ge_fail(err, GE_ERR_LIMIT, "heap dump: too many objects or pointers for the dominator tree");
  lt t = {0};
  size_t nn = n + 1;
  if (!GET(t.dfn, nn) || !GET(t.vertex, nn) || !GET(t.parent, nn) || !GET(t.stack, nn) ||
      !GET(t.spos, nn))
    goto nomem;
  for (size_t i = 0; i < nn; i++) t.dfn[i] = NONE;
  dfs(d, &t);
  uint32_t c = t.count;
  if (!GET(t.pstart, c + 1) || !GET(t.pred, d->nedge + d->roots.n + 1)) goto nomem;
  preds(d, &t);
  free(t.dfn);
  free(t.spos);
  t.dfn = t.spos = NULL;
  if (!GET(t.semi, c) || !GET(t.ancestor, c) || !GET(t.best, c) || !GET(t.idom, c) ||
      !GET(t.bucket, c) || !GET(t.next, c))
    goto nomem;
  lengauer_tarjan(&t);
  free(t.semi); free(t.ancestor); free(t.best); free(t.bucket); free(t.next);
  free(t.pstart); free(t.pred); free(t.stack); free(t.parent);
  t.semi = t.ancestor = t.best = t.bucket = t.next = t.pstart = t.pred = t.stack = t.parent = NULL;

  d->retained = calloc(nn, sizeof *d->retained);
  if (!d->retained || !GET(d->idom, nn)) goto nomem;
  for (size_t i = 0; i < n; i++) d->idom[i] = HD_UNREACHED;
  d->reachable = c - 1;
  d->reachable_bytes = 0;
  for (uint32_t w = c - 1; w >= 1; w--) {
    uint32_t v = t.vertex[w], id = t.idom[w];
    d->retained[v] += d->size[v];
    d->reachable_bytes += d->size[v];
    d->idom[v] = id == 0 ? HD_SUPER : t.vertex[id];
    if (id) d->retained[t.vertex[id]] += d->retained[v];
  }
  lt_free(&t);
  return GE_OK;
nomem:
  lt_free(&t);
  return ge_fail(err, GE_ERR_NOMEM, "heap dump: out of memory computing dominators");
}
