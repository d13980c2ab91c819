/* The trace over time in fixed buckets, for drawing: one walk of the events
 * (the goroutine model's, src/trace/model.c) whose goroutine state changes
 * are counted as they happen, then the model's heap samples put in their
 * buckets, then a walk of the regions and logs (timeline_notes.c). A 100 MB trace has some 200k heap samples and millions of state
 * changes; a picture has a thousand pixels across, so the buckets keep the
 * least, most, first and last value of each (a peak survives in its
 * bucket) and, for goroutines, the time-integral of the counts (their mean)
 * and the most at once. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "trace/timeline_notes.h"

struct ge_trace_timeline {
  ge_trace_model *m;
  size_t n;
  int64_t from, to;
  int64_t *edges; /* n + 1 */
  ge_trace_tl_level *heap, *goal;
  ge_trace_tl_gs *gs;
  /* the walk: goroutines running / runnable now, integrated up to `at`
   * (in bucket `cur`); started once the walk reached `from` */
  uint32_t running, runnable;
  int64_t at;
  size_t cur;
  int started;
  tl_notes notes;
};

static void note_max(ge_trace_timeline *tl) {
  ge_trace_tl_gs *b = &tl->gs[tl->cur];
  if (tl->running > b->running_max) b->running_max = tl->running;
  if (tl->runnable > b->runnable_max) b->runnable_max = tl->runnable;
}

/* Integrates the current counts from tl->at up to now (clamped to the
 * range), bucket by bucket. */
static void advance(ge_trace_timeline *tl, int64_t now) {
  if (now < tl->from) return;
  if (now > tl->to) now = tl->to;
  if (!tl->started) {
    tl->started = 1;
    tl->at = tl->from;
    tl->cur = 0;
    note_max(tl);
  }
  while (tl->at < now) {
    int64_t e = tl->edges[tl->cur + 1];
    int64_t upto = now < e ? now : e;
    ge_trace_tl_gs *b = &tl->gs[tl->cur];
    b->running_ns += (int64_t)tl->running * (upto - tl->at);
    b->runnable_ns += (int64_t)tl->runnable * (upto - tl->at);
    tl->at = upto;
    if (upto < e || tl->cur + 1 >= tl->n) break;
    tl->cur++;
    note_max(tl);
  }
  /* zero-width buckets (a range shorter than its bucket count) */
  while (tl->cur + 1 < tl->n && tl->edges[tl->cur + 1] <= now) {
    tl->cur++;
    note_max(tl);
  }
}

static void on_state(void *ctx, int64_t now, uint8_t from, uint8_t to) {
  ge_trace_timeline *tl = ctx;
  if (from == to) return;
  advance(tl, now);
  if (from == GE_TRACE_G_RUNNING && tl->running) tl->running--;
  if (from == GE_TRACE_G_RUNNABLE && tl->runnable) tl->runnable--;
  if (to == GE_TRACE_G_RUNNING) tl->running++;
  if (to == GE_TRACE_G_RUNNABLE) tl->runnable++;
  if (tl->started && now <= tl->to) note_max(tl);
}

static void level(ge_trace_tl_level *b, uint64_t v) {
  if (!b->n++) {
    b->first = b->min = b->max = v;
  } else {
    if (v < b->min) b->min = v;
    if (v > b->max) b->max = v;
  }
  b->last = v;
}

/* The heap samples, in time order, into their buckets. */
static void bucket_heap(ge_trace_timeline *tl) {
  const ge_trace_heap_sample *s;
  size_t ns = ge_trace_model_heap(tl->m, &s);
  size_t b = 0;
  for (size_t i = 0; i < ns; i++) {
    if (s[i].time < tl->from || s[i].time > tl->to) continue;
    while (b + 1 < tl->n && tl->edges[b + 1] <= s[i].time) b++;
    if (s[i].is_goal) {
      if (s[i].heap_goal != GE_TRACE_NONE) level(&tl->goal[b], s[i].heap_goal);
    } else if (s[i].heap_alloc != GE_TRACE_NONE) {
      level(&tl->heap[b], s[i].heap_alloc);
    }
  }
}

ge_err ge_trace_timeline_new(const ge_trace *t, int64_t from, int64_t to, size_t buckets,
                             ge_trace_timeline **out, ge_error *err) {
  *out = NULL;
  if (buckets < 1 || buckets > 1000000 || from > to)
    return ge_fail(err, GE_ERR_ARG, "trace timeline: want 1..1000000 buckets over from <= to");
  ge_trace_timeline *tl = calloc(1, sizeof *tl);
  if (!tl) return ge_fail(err, GE_ERR_NOMEM, "trace timeline: out of memory");
  tl->n = buckets;
  tl->from = from;
  tl->to = to;
  tl->edges = malloc((buckets + 1) * sizeof *tl->edges);
  tl->heap = calloc(buckets, sizeof *tl->heap);
  tl->goal = calloc(buckets, sizeof *tl->goal);
  tl->gs = calloc(buckets, sizeof *tl->gs);
  if (!tl->edges || !tl->heap || !tl->goal || !tl->gs) {
    ge_trace_timeline_free(tl);
    return ge_fail(err, GE_ERR_NOMEM, "trace timeline: out of memory");
  }
  /* from + span * i / n without overflow: span = q n + r */
  uint64_t span = (uint64_t)to - (uint64_t)from, q = span / buckets, r = span % buckets;
  for (size_t i = 0; i <= buckets; i++)
    tl->edges[i] = (int64_t)((uint64_t)from + q * i + r * i / buckets);
  ge_err e = ge_trace_model_new_observed(
      t, GE_TRACE_MODEL_HEAP | GE_TRACE_MODEL_GC | GE_TRACE_MODEL_GOROUTINES, on_state, tl,
      &tl->m, err);
  if (e) {
    ge_trace_timeline_free(tl);
    return e;
  }
  advance(tl, to); /* the last states run to the end */
  bucket_heap(tl);
  tl->notes.from = from;
  tl->notes.to = to;
  tl->notes.gap = (int64_t)q;
  if ((e = tl_notes_walk(&tl->notes, t, err))) {
    ge_trace_timeline_free(tl);
    return e;
  }
  *out = tl;
  return GE_OK;
}

void ge_trace_timeline_free(ge_trace_timeline *tl) {
  if (!tl) return;
  ge_trace_model_free(tl->m);
  tl_notes_free(&tl->notes);
  free(tl->edges);
  free(tl->heap);
  free(tl->goal);
  free(tl->gs);
  free(tl);
}

size_t ge_trace_timeline_buckets(const ge_trace_timeline *tl, const int64_t **edges,
                                 const ge_trace_tl_level **heap, const ge_trace_tl_level **goal,
                                 const ge_trace_tl_gs **gs) {
  *edges = tl->edges;
  *heap = tl->heap;
  *goal = tl->goal;
  *gs = tl->gs;
  return tl->n;
}

const ge_trace_model *ge_trace_timeline_model(const ge_trace_timeline *tl) { return tl->m; }

size_t ge_trace_timeline_names(const ge_trace_timeline *tl) { return tl->notes.nnames; }

ge_strview ge_trace_timeline_name(const ge_trace_timeline *tl, size_t i) {
  if (i >= tl->notes.nnames) return (ge_strview){"", 0};
  return tl_notes_text(&tl->notes, tl_notes_name_text(&tl->notes, i));
}

size_t ge_trace_timeline_regions(const ge_trace_timeline *tl, size_t i,
                                 const ge_trace_tl_span **out) {
  return tl_notes_regions(&tl->notes, i, out);
}

size_t ge_trace_timeline_logs(const ge_trace_timeline *tl, const ge_trace_tl_span **out) {
  *out = tl->notes.logs;
  return tl->notes.nlogs;
}

ge_strview ge_trace_timeline_text(const ge_trace_timeline *tl, uint32_t id) {
  return tl_notes_text(&tl->notes, id);
}

void ge_trace_timeline_counts(const ge_trace_timeline *tl, uint64_t *regions, uint64_t *logs) {
  *regions = tl->notes.regions;
  *logs = tl->notes.logcount;
}
