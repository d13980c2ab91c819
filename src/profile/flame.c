/* The flame tree: the call tree of the folded stacks (the same frames and
 * names as ge_profile_folded, so the same tree as a trie of its lines),
 * pruned at min * (sum of |stack value|): a child below it is left out with
 * its subtree and counted in dropped; its value stays in the parent's (its
 * width), not in the parent's self. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "graph.h"

struct ge_prof_flame {
  ge_intern names;
  ge_prof_fnode *nodes; /* breadth-first, each node's children adjacent */
  size_t n, dropped;
  int64_t total;
};

static ge_err nomem(ge_error *err) { return ge_fail(err, GE_ERR_NOMEM, "out of memory"); }

/* Tree nodes in depth-first order (a child's id is above its parent's). */
typedef struct trie {
  GE_VEC(uint32_t) parent;
  GE_VEC(uint32_t) name;
  GE_VEC(int64_t) self;
} trie;

static void trie_free(trie *t) {
  GE_VEC_FREE(t->parent);
  GE_VEC_FREE(t->name);
  GE_VEC_FREE(t->self);
}

static int trie_push(trie *t, uint32_t parent, uint32_t name) {
  if (t->parent.n >= UINT32_MAX - 1) return -1;
  uint32_t *pp = GE_VEC_PUSH_SLOT(t->parent);
  uint32_t *pn = GE_VEC_PUSH_SLOT(t->name);
  int64_t *ps = GE_VEC_PUSH_SLOT(t->self);
  if (!pp || !pn || !ps) return -1;
  *pp = parent;
  *pn = name;
  *ps = 0;
  return 0;
}

/* A stack as a sequence of frame-name ids, root first. */
typedef struct fstack {
  const uint32_t *seq;
  size_t len;
  int64_t value;
} fstack;

static int fstack_cmp(const void *x, const void *y) {
  const fstack *a = x, *b = y;
  size_t n = a->len < b->len ? a->len : b->len;
  for (size_t i = 0; i < n; i++)
    if (a->seq[i] != b->seq[i]) return a->seq[i] < b->seq[i] ? -1 : 1;
  return a->len < b->len ? -1 : a->len > b->len;
}

/* Per node of the aggregation, its frame name's id in names: frames
 * printing alike are one tree node. */
static ge_err frame_name_ids(const agg *a, ge_intern *names, uint32_t **out, ge_error *err) {
  ge_intern_init(names);
  uint32_t *nm = *out = malloc((a->nodes.n + 1) * sizeof *nm);
  if (!names->ents || !nm) return nomem(err);
  for (size_t i = 0; i < a->nodes.n; i++) {
    char tmp[1024];
    size_t len = ge_agg_frame_name(a, (uint32_t)i, tmp, sizeof tmp);
    nm[i] = ge_intern_add(names, tmp, len);
    if (nm[i] == UINT32_MAX) return nomem(err);
  }
  return GE_OK;
}

/* The stacks as frame-name sequences (st's ids rewritten in place), those
 * with a nonzero value only, as folded lists them; their sum into *total,
 * of |value| into *abs_total. */
static ge_err name_stacks(stacks *st, const uint32_t *nm, fstack **out, size_t *nout,
                          int64_t *total, int64_t *abs_total, ge_error *err) {
  for (size_t i = 0; i < st->ids.n; i++) st->ids.v[i] = nm[st->ids.v[i]];
  fstack *fs = *out = malloc((st->val.n + 1) * sizeof *fs);
  if (!fs) return nomem(err);
  size_t nfs = 0;
  for (size_t k = 0; k < st->val.n; k++) {
    int64_t v = st->val.v[k];
    if (v == 0) continue;
    *total = ge_add64(*total, v);
    *abs_total = ge_add64(*abs_total, ge_abs64(v));
    size_t b = st->off.v[k];
    fs[nfs++] = (fstack){st->ids.v + b, ge_stack_end(st, k) - b, v};
  }
  *nout = nfs;
  return GE_OK;
}

/* The trie of the stacks, root (node 0) first. Sorted by their name
 * sequences, stacks sharing a prefix are adjacent, so the tree grows along
 * the open path, without lookups. */
static ge_err grow_trie(trie *t, fstack *fs, size_t nfs, ge_error *err) {
  if (trie_push(t, GE_NONE, 0)) return nomem(err);
  qsort(fs, nfs, sizeof *fs, fstack_cmp);
  uint32_t *path = NULL; /* the open path's trie nodes, by depth */
  size_t pathcap = 0;
  for (size_t k = 0; k < nfs; k++) {
    size_t c = 0;
    if (k > 0) {
      const fstack *pv = &fs[k - 1];
      while (c < pv->len && c < fs[k].len && pv->seq[c] == fs[k].seq[c]) c++;
    }
    if (fs[k].len > pathcap) {
      size_t nc = fs[k].len * 2;
      uint32_t *np = realloc(path, nc * sizeof *np);
      if (!np) {
        free(path);
        return nomem(err);
      }
      path = np;
      pathcap = nc;
    }
    for (size_t d = c; d < fs[k].len; d++) {
      if (trie_push(t, d ? path[d - 1] : 0, fs[k].seq[d])) {
        free(path);
        return nomem(err);
      }
      path[d] = (uint32_t)t->parent.n - 1;
    }
    uint32_t leaf = path[fs[k].len - 1];
    t->self.v[leaf] = ge_add64(t->self.v[leaf], fs[k].value);
  }
  free(path);
  return GE_OK;
}

/* The trie of the stacks of the samples s selects, with frame names in
 * f->names; f->total and *abs_total are the sums of the stacks' values and
 * |values|. */
static ge_err stack_trie(const ge_profile *p, size_t si, const sel *s, ge_prof_flame *f,
                         trie *t, int64_t *abs_total, ge_error *err) {
  agg a;
  stacks st;
  memset(&st, 0, sizeof st);
  uint32_t *nm = NULL;
  fstack *fs = NULL;
  size_t nfs = 0;
  int64_t sample_total = 0; /* the tree's total is over the stacks folded lists */
  ge_err rc = ge_agg_build(&a, p, GE_PROF_BY_STACK, s, err);
  if (!rc) rc = frame_name_ids(&a, &f->names, &nm, err);
  if (!rc) rc = ge_stacks_build(&a, s, si, &st, &sample_total, err);
  if (!rc) rc = name_stacks(&st, nm, &fs, &nfs, &f->total, abs_total, err);
  if (!rc) rc = grow_trie(t, fs, nfs, err);
  free(fs);
  free(nm);
  ge_stacks_free(&st);
  ge_agg_free(&a);
  return rc;
}

/* Per trie node, self + its children's values; a child's id is above its
 * parent's. */
static ge_err subtree_values(const trie *t, int64_t **out, ge_error *err) {
  size_t n = t->parent.n;
  int64_t *value = *out = malloc((n + 1) * sizeof *value);
  if (!value) return nomem(err);
  memcpy(value, t->self.v, n * sizeof *value);
  for (size_t i = n; i-- > 1;) value[t->parent.v[i]] = ge_add64(value[t->parent.v[i]], value[i]);
  return GE_OK;
}

/* qsort has no context argument: sort (value, name, id) records instead. */
typedef struct fkid {
  int64_t value;
  ge_strview name;
  uint32_t id;
} fkid;

static int fkid_cmp(const void *x, const void *y) {
  const fkid *a = x, *b = y;
  if (a->value != b->value) return a->value > b->value ? -1 : 1;
  return ge_sv_cmp(a->name, b->name);
}

/* Children lists (CSR): node i's children are kids[kid_off[i]..kid_off[i+1]),
 * in id order; fill is scratch of n entries. */
static void children_lists(const trie *t, uint32_t *kid_off, uint32_t *kids, uint32_t *fill) {
  size_t n = t->parent.n;
  for (size_t i = 1; i < n; i++) kid_off[t->parent.v[i] + 1]++;
  for (size_t i = 0; i < n; i++) kid_off[i + 1] += kid_off[i];
  memcpy(fill, kid_off, n * sizeof *fill);
  for (size_t i = 1; i < n; i++) kids[fill[t->parent.v[i]]++] = (uint32_t)i;
}

/* f->nodes: breadth-first over the trie, each node's children whose
 * |value| reaches thr sorted by value then name; the others counted in
 * f->dropped. */
static ge_err keep_nodes(ge_prof_flame *f, const trie *t, const int64_t *value, double thr,
                         ge_error *err) {
  size_t n = t->parent.n;
  uint32_t *kid_off = calloc(n + 1, sizeof *kid_off);
  uint32_t *kids = malloc((n + 1) * sizeof *kids);
  uint32_t *queue = malloc((n + 1) * sizeof *queue);
  fkid *tmp = malloc((n + 1) * sizeof *tmp);
  f->nodes = malloc((n + 1) * sizeof *f->nodes);
  ge_err rc = kid_off && kids && queue && tmp && f->nodes ? GE_OK : nomem(err);
  if (!rc) {
    children_lists(t, kid_off, kids, queue);
    size_t qn = 1, w = 1;
    queue[0] = 0;
    f->nodes[0] = (ge_prof_fnode){{"", 0}, value[0], t->self.v[0], 0, 0};
    for (size_t qi = 0; qi < qn; qi++) {
      uint32_t id = queue[qi];
      size_t nk = 0;
      for (uint32_t j = kid_off[id]; j < kid_off[id + 1]; j++) {
        uint32_t c = kids[j];
        if ((double)ge_abs64(value[c]) >= thr) {
          const ge_intern_entry *e = ge_intern_get(&f->names, t->name.v[c]);
          tmp[nk++] = (fkid){value[c], {e->ptr, e->len}, c};
        } else {
          f->dropped++;
        }
      }
      qsort(tmp, nk, sizeof *tmp, fkid_cmp);
      f->nodes[qi].first = (uint32_t)w;
      f->nodes[qi].nchildren = (uint32_t)nk;
      for (size_t j = 0; j < nk; j++) {
        uint32_t c = tmp[j].id;
        f->nodes[w++] = (ge_prof_fnode){tmp[j].name, value[c], t->self.v[c], 0, 0};
        queue[qn++] = c;
      }
    }
    f->n = w;
  }
  free(kid_off);
  free(kids);
  free(queue);
  free(tmp);
  return rc;
}

ge_err ge_profile_flame(const ge_profile *p, const ge_prof_query *q, double min,
                        ge_prof_flame **out, ge_error *err) {
  *out = NULL;
  if (q->sample >= p->st.n) return ge_fail(err, GE_ERR_ARG, "sample type index out of range");
  if (!(min >= 0 && min <= 1)) return ge_fail(err, GE_ERR_ARG, "flame: min must be in [0, 1]");
  sel s;
  ge_err rc = ge_sel_init(&s, p, q, err);
  if (rc) return rc;
  trie t;
  memset(&t, 0, sizeof t);
  int64_t abs_total = 0, *value = NULL;
  ge_prof_flame *f = calloc(1, sizeof *f);
  rc = f ? stack_trie(p, q->sample, &s, f, &t, &abs_total, err) : nomem(err);
  if (!rc) rc = subtree_values(&t, &value, err);
  if (!rc) rc = keep_nodes(f, &t, value, (double)abs_total * min, err);
  free(value);
  trie_free(&t);
  ge_sel_free(&s);
  if (rc) {
    ge_prof_flame_free(f);
    return rc;
  }
  *out = f;
  return GE_OK;
}

size_t ge_prof_flame_count(const ge_prof_flame *f) { return f->n; }
const ge_prof_fnode *ge_prof_flame_node(const ge_prof_flame *f, size_t i) {
  return i < f->n ? &f->nodes[i] : NULL;
}
size_t ge_prof_flame_dropped(const ge_prof_flame *f) { return f->dropped; }
void ge_prof_flame_free(ge_prof_flame *f) {
  if (!f) return;
  ge_intern_free(&f->names);
  free(f->nodes);
  free(f);
}
