/* User regions and logs for the timeline, in one walk of their events. A
 * large trace holds millions of regions (one per request or iteration), far
 * more than a picture shows: each region name keeps its regions merged into
 * spans, regions closer than a bucket being one span (how many, and their
 * summed time), and logs likewise; a span of one item keeps its goroutine
 * and task. Regions nest per goroutine: an end closes the innermost open
 * region of its name on its goroutine (Go's reader's rule); an end with no
 * begin is a region begun before the trace, a begin with no end one that
 * outlived it. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/vec.h"
#include "trace/timeline_notes.h"

struct tl_open {
  int64_t start;
  uint64_t g, task;
  uint32_t name;
};

struct tl_name {
  uint32_t text;
  ge_trace_tl_span *spans; /* start order, disjoint, more than gap apart */
  size_t nspans, capspans;
};

static int reserve(void *p, size_t *cap, size_t n, size_t sz) {
  return ge_vec_reserve((void **)p, cap, n, 1, sz);
}

/* A new text id for s. */
static uint32_t add_text(tl_notes *n, ge_strview s) {
  if (n->nstrs >= UINT32_MAX - 1 || reserve(&n->strs, &n->capstrs, n->nstrs, sizeof *n->strs) ||
      ge_vec_reserve((void **)&n->text, &n->captext, n->ntext, s.len + 1, 1))
    return UINT32_MAX;
  if (s.len) memcpy(n->text + n->ntext, s.ptr, s.len);
  n->strs[n->nstrs].off = n->ntext;
  n->strs[n->nstrs].len = s.len;
  n->ntext += s.len;
  n->text[n->ntext++] = 0;
  return (uint32_t)n->nstrs++;
}

static uint64_t fnv(ge_strview s) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < s.len; i++) h = (h ^ (unsigned char)s.ptr[i]) * 1099511628211ull;
  return h;
}

/* The name index of the walk's string id (names are the same across
 * generations when their text is). */
static uint32_t name_of(tl_notes *n, const ge_trace_iter *it, uint64_t id) {
  uint32_t k = ge_tr_map_get(&n->genname, id);
  if (k != UINT32_MAX) return k;
  ge_strview s = {"", 0};
  ge_trace_iter_string(it, id, &s);
  uint64_t h = fnv(s);
  k = ge_tr_map_get(&n->byhash, h);
  if (k != UINT32_MAX) {
    ge_strview t = tl_notes_text(n, n->names[k].text);
    if (t.len != s.len || memcmp(t.ptr, s.ptr, s.len)) k = UINT32_MAX; /* a collision: a name of its own */
  }
  if (k == UINT32_MAX) {
    if (n->nnames >= UINT32_MAX - 1 || reserve(&n->names, &n->capnames, n->nnames, sizeof *n->names))
      return UINT32_MAX;
    uint32_t tx = add_text(n, s);
    if (tx == UINT32_MAX) return UINT32_MAX;
    memset(&n->names[n->nnames], 0, sizeof *n->names);
    n->names[n->nnames].text = tx;
    k = (uint32_t)n->nnames++;
    if (ge_tr_map_put(&n->byhash, h, k) == UINT32_MAX) return UINT32_MAX;
  }
  if (ge_tr_map_put(&n->genname, id, k) == UINT32_MAX) return UINT32_MAX;
  return k;
}

/* Adds region [s, e] to its name's spans, merging those it comes within
 * gap of. Regions end in about their start order, so the place is found
 * from the end. */
static int add_region(tl_notes *n, uint32_t name, int64_t s, int64_t e, uint64_t g,
                      uint64_t task, uint8_t open_start, uint8_t open_end) {
  if (e < n->from || s > n->to) return 0;
  if (s < n->from) s = n->from;
  if (e > n->to) e = n->to;
  int64_t busy = e - s;
  n->regions++;
  tl_name *nm = &n->names[name];
  size_t k = nm->nspans;
  while (k > 0 && nm->spans[k - 1].start > e + n->gap) k--;
  size_t j = k;
  while (j > 0 && nm->spans[j - 1].end + n->gap >= s) j--;
  if (j == k) { /* a span of its own, at k */
    if (reserve(&nm->spans, &nm->capspans, nm->nspans, sizeof *nm->spans)) return -1;
    memmove(&nm->spans[k + 1], &nm->spans[k], (nm->nspans - k) * sizeof *nm->spans);
    nm->spans[k] = (ge_trace_tl_span){s, e, busy, 1, g, task, nm->text, UINT32_MAX, open_start, open_end};
    nm->nspans++;
    return 0;
  }
  ge_trace_tl_span *m = &nm->spans[j];
  if (s < m->start) m->start = s;
  if (e > m->end) m->end = e;
  m->n++;
  m->busy += busy;
  for (size_t i = j + 1; i < k; i++) { /* the new region joins spans j..k-1 */
    if (nm->spans[i].end > m->end) m->end = nm->spans[i].end;
    m->n += nm->spans[i].n;
    m->busy += nm->spans[i].busy;
  }
  memmove(&nm->spans[j + 1], &nm->spans[k], (nm->nspans - k) * sizeof *nm->spans);
  nm->nspans -= k - j - 1;
  return 0;
}

static int add_log(tl_notes *n, const ge_trace_iter *it, const ge_trace_event *ev) {
  if (ev->time < n->from || ev->time > n->to) return 0;
  n->logcount++;
  if (n->nlogs && ev->time <= n->logs[n->nlogs - 1].end + n->gap) {
    ge_trace_tl_span *m = &n->logs[n->nlogs - 1];
    m->end = ev->time;
    m->n++;
    return 0;
  }
  if (reserve(&n->logs, &n->caplogs, n->nlogs, sizeof *n->logs)) return -1;
  ge_strview k = {"", 0}, v = {"", 0};
  ge_trace_iter_string(it, ev->args[1], &k);
  ge_trace_iter_string(it, ev->args[2], &v);
  uint32_t kt = add_text(n, k), vt = kt == UINT32_MAX ? kt : add_text(n, v);
  if (vt == UINT32_MAX) return -1;
  n->logs[n->nlogs++] = (ge_trace_tl_span){ev->time, ev->time, 0, 1, ev->g, ev->args[0], kt, vt, 0, 0};
  return 0;
}

static int region_event(tl_notes *n, const ge_trace_iter *it, const ge_trace_event *ev, int begin) {
  uint32_t name = name_of(n, it, ev->args[1]);
  if (name == UINT32_MAX) return -1;
  if (begin) {
    if (reserve(&n->open, &n->capopen, n->nopen, sizeof *n->open)) return -1;
    n->open[n->nopen++] = (tl_open){ev->time, ev->g, ev->args[0], name};
    return 0;
  }
  for (size_t i = n->nopen; i-- > 0;)
    if (n->open[i].g == ev->g && n->open[i].name == name) {
      tl_open o = n->open[i];
      memmove(&n->open[i], &n->open[i + 1], (n->nopen - i - 1) * sizeof *n->open);
      n->nopen--;
      return add_region(n, name, o.start, ev->time, o.g, o.task, 0, 0);
    }
  return add_region(n, name, n->from, ev->time, ev->g, ev->args[0], 1, 0);
}

ge_err tl_notes_walk(tl_notes *n, const ge_trace *t, ge_error *err) {
  const int BEGIN = ge_trace_type_id("UserRegionBegin"), END = ge_trace_type_id("UserRegionEnd"),
            LOG = ge_trace_type_id("UserLog");
  uint8_t types[GE_TRACE_NTYPES] = {0};
  types[BEGIN] = types[END] = types[LOG] = 1;
  ge_trace_filter f = {0};
  f.types = types;
  ge_trace_iter *it;
  if (ge_trace_iter_new(t, &f, &it, err)) return err->code;
  ge_trace_event ev;
  uint64_t gen = UINT64_MAX;
  int rc, nomem = 0;
  while (!nomem && (rc = ge_trace_iter_next(it, &ev, err)) == 1) {
    if (ev.gen != gen) {
      ge_tr_map_clear(&n->genname);
      gen = ev.gen;
    }
    if (ev.type == LOG) nomem = add_log(n, it, &ev);
    else nomem = region_event(n, it, &ev, ev.type == BEGIN);
  }
  ge_trace_iter_free(it);
  if (!nomem && rc < 0) return err->code;
  for (size_t i = 0; !nomem && i < n->nopen; i++) /* regions that outlived the trace */
    nomem = add_region(n, n->open[i].name, n->open[i].start, n->to, n->open[i].g, n->open[i].task,
                       0, 1);
  if (nomem) return ge_fail(err, GE_ERR_NOMEM, "trace timeline: out of memory");
  return GE_OK;
}

void tl_notes_free(tl_notes *n) {
  for (size_t i = 0; i < n->nnames; i++) free(n->names[i].spans);
  free(n->names);
  free(n->text);
  free(n->strs);
  free(n->open);
  free(n->logs);
  ge_tr_map_free(&n->byhash);
  ge_tr_map_free(&n->genname);
}

uint32_t tl_notes_name_text(const tl_notes *n, size_t name) {
  return name < n->nnames ? n->names[name].text : UINT32_MAX;
}

size_t tl_notes_regions(const tl_notes *n, size_t name, const ge_trace_tl_span **out) {
  if (name >= n->nnames) {
    *out = NULL;
    return 0;
  }
  *out = n->names[name].spans;
  return n->names[name].nspans;
}

ge_strview tl_notes_text(const tl_notes *n, uint32_t id) {
  if (id >= n->nstrs) return (ge_strview){"", 0};
  return (ge_strview){n->text + n->strs[id].off, n->strs[id].len};
}
