/* Many PCs in one call (ge_pcln_lookup_many): sorted by address
 * (pcsort.c), each distinct PC answered once, in order, so that each
 * function's tables are decoded once; a PC whose chain is the previous
 * one's shares its frames. Large batches are cut into segments at function
 * boundaries and answered on several threads, each on a copy of the handle
 * with lookup caches of its own. */
#include <stdlib.h>

#include "core/bigmem.h"
#include "core/threads.h"
#include "pcln.h"

/* Answers sorted positions [from, to) of a batch into frames [used, cap) of
 * fr, stopping early (next < to) when fewer than `room` frames are left. A
 * job touches only its own positions' answers, its frame range and its
 * binary's lookup caches, so jobs on different handles (copies of one, each
 * with caches of its own) can run at once. */
typedef struct answer_job {
  ge_binary *b;
  const ge_pcorder *o;
  ge_pcframes *res;
  ge_frame *fr;
  size_t from, to, next;
  size_t used, cap, room;
  ge_err rc; /* GE_ERR_NOMEM, or GE_ERR_ARG past UINT32_MAX frames */
} answer_job;

static void answer(answer_job *j) {
  const ge_pcorder *o = j->o;
  ge_pcframes *res = j->res;
  uint64_t prev = 0;
  size_t prevpos = 0, memo_pos = 0; /* memo_pos: the PC the memo describes */
  ge_pcmemo memo = {0};
  size_t k = j->from;
  j->rc = GE_OK;
  for (; k < j->to; k++) {
    uint64_t pc = ge_order_pc(o, k);
    size_t pos = ge_order_pos(o, k);
    ge_pcframes *r = &res[pos];
    if (k > j->from && pc == prev) {
      *r = res[prevpos];
      continue;
    }
    if (j->cap - j->used < j->room) break;
    prev = pc;
    size_t n = 0;
    ge_error e;
    r->rc = ge_pcln_lookup_memo(j->b, pc, j->fr + j->used, j->room, &n, &e, &memo);
    prevpos = pos;
    if (memo.hit) { /* the chain of an earlier PC: its frames */
      memo.hit = 0;
      *r = res[memo_pos];
      continue;
    }
    if (memo.fresh) {
      memo.fresh = 0;
      memo_pos = pos;
    }
    if (r->rc == GE_ERR_NOMEM) {
      j->rc = GE_ERR_NOMEM;
      break;
    }
    if (r->rc) n = 0;
    if (j->used + n > UINT32_MAX) {
      j->rc = GE_ERR_ARG;
      break;
    }
    r->first = (uint32_t)j->used;
    r->n = (uint32_t)n;
    j->used += n;
  }
  j->next = k;
}

/* Batches of at least this many PCs are answered by several threads when
 * limits.max_threads allows (it defaults to the CPUs there are); smaller
 * ones (a stack, a profile's few thousand locations) stay on the caller's.
 * The fuzzers build with a tiny threshold, so that their batches take the
 * threaded path too. */
#ifndef GE_LOOKUP_MT_MIN
#define GE_LOOKUP_MT_MIN 20000
#endif
enum {
  LOOKUP_MAXTHREADS = GE_POOL_MAXTHREADS,
  SEGS_PER_THREAD = 8, /* more segments than threads: a thread that falls
                          behind (a busy CPU) leaves its segments to the
                          others, so the last to finish waits for about one
                          segment, not for a fixed share of the work */
  SEG_MIN_PCS = 64
};

/* The sorted position where a segment that should start at `at` starts:
 * the first PC past the function holding the PC before `at` (no
 * function's tables decoded twice), npcs when there is none. */
static size_t seg_start(ge_binary *b, const ge_pcorder *o, size_t npcs, size_t at) {
  if (at == 0 || at >= npcs) return at ? npcs : 0;
  uint64_t pc = ge_order_pc(o, at - 1);
  size_t i = ge_functab_find(b, pc);
  uint64_t end = i == SIZE_MAX ? pc + 1 : ge_functab_entry(b, i + 1);
  if (end <= pc) return npcs;
  size_t lo = at, hi = npcs; /* the first position with a pc >= end */
  while (lo < hi) {
    size_t m = lo + (hi - lo) / 2;
    if (ge_order_pc(o, m) < end) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/* Segments of the sorted PCs, taken in turn by whichever pool thread is
 * free; thread t answers through handle b[t] (0: the caller's, others
 * copies with caches of their own). */
typedef struct lookup_pool {
  answer_job *seg;
  ge_binary *b[LOOKUP_MAXTHREADS];
} lookup_pool;

static void answer_segment(void *ctx, unsigned thread, size_t s) {
  lookup_pool *p = ctx;
  p->seg[s].b = p->b[thread];
  answer(&p->seg[s]);
}

/* The segments of a batch of npcs sorted PCs for nthreads threads, with
 * frames [0, cap) shared out in proportion to their PCs. Returns their
 * count (1 without threads or when the function table is not sorted). */
static size_t make_segments(ge_binary *b, const ge_pcorder *o, size_t npcs, unsigned nthreads,
                            answer_job *seg, size_t maxseg, const answer_job *proto) {
  size_t want = 1;
  if (nthreads >= 2 && ge_functab_sorted(b)) {
    want = (size_t)nthreads * SEGS_PER_THREAD;
    if (want > npcs / SEG_MIN_PCS) want = npcs / SEG_MIN_PCS;
    if (want < nthreads) want = nthreads;
    if (want > maxseg) want = maxseg;
  }
  size_t n = 0, from = 0;
  for (size_t s = 1; s <= want && from < npcs; s++) {
    size_t to = s == want ? npcs : seg_start(b, o, npcs, npcs * s / want);
    if (to <= from) continue;
    answer_job *j = &seg[n++];
    *j = *proto;
    j->from = j->next = from;
    j->to = to;
    j->used = (size_t)((double)proto->cap * ((double)from / (double)npcs));
    j->cap = to == npcs ? proto->cap : (size_t)((double)proto->cap * ((double)to / (double)npcs));
    from = to;
  }
  return n;
}

ge_err ge_pcln_lookup_many(ge_binary *b, const uint64_t *pcs, size_t npcs, size_t max,
                           ge_pcframes *res, const ge_frame **frames, ge_error *err) {
  *frames = b->bframes;
  if (!max) return ge_fail(err, GE_ERR_ARG, "lookup_many: no room for frames (max = 0)");
  if (!npcs) return GE_OK;
  ge_pcorder o;
  ge_err src = ge_sort_pcs(b, pcs, npcs, &o, err);
  if (src) return src;
  /* A lookup writes at most min(max, max_inline_depth + 1) frames. */
  size_t room = (size_t)b->lim.max_inline_depth + 1;
  if (max < room) room = max;
  /* Room for two frames a PC up front (pages are only touched when filled). */
  if (b->bframes_cap < 2 * npcs && npcs <= SIZE_MAX / 4 / sizeof(ge_frame)) {
    ge_big_free(b->bframes, b->bframes_cap * sizeof(ge_frame)); /* the last batch's */
    b->bframes = ge_big_alloc(2 * npcs * sizeof(ge_frame));
    b->bframes_cap = b->bframes ? 2 * npcs : 0;
    if (!b->bframes) return ge_pcln_nomem(err);
  }
  unsigned nthreads = 1;
  if (npcs >= GE_LOOKUP_MT_MIN && b->lim.max_threads >= 2)
    nthreads = b->lim.max_threads < LOOKUP_MAXTHREADS ? b->lim.max_threads : LOOKUP_MAXTHREADS;
  answer_job seg[LOOKUP_MAXTHREADS * SEGS_PER_THREAD];
  answer_job proto = {b, &o, res, b->bframes, 0, npcs, 0, 0, b->bframes_cap, room, GE_OK};
  lookup_pool pool = {seg, {b}};
  size_t nseg = make_segments(b, &o, npcs, nthreads, seg, sizeof seg / sizeof *seg, &proto);
  unsigned nth = 1; /* threads with a handle: copies that failed are not used */
  while (nseg > 1 && nth < nthreads && (pool.b[nth] = ge_lookup_copy(b))) nth++;
  ge_pool_run(nth, nseg, answer_segment, &pool);
  for (unsigned t = 1; t < nth; t++) {
    ge_lookup_cache_free(pool.b[t]);
    free(pool.b[t]);
  }
  /* What a segment left for want of room: answered here, after the last
   * frame any segment wrote, growing the array. */
  size_t used = 0;
  for (size_t s = 0; s < nseg; s++)
    if (seg[s].used > used) used = seg[s].used;
  for (size_t s = 0; s < nseg; s++) {
    answer_job *j = &seg[s];
    while (!j->rc && j->next < j->to) {
      if (b->bframes_cap - used < room) {
        size_t cap = b->bframes_cap ? b->bframes_cap : 1024;
        while (cap - used < room) {
          if (cap > SIZE_MAX / 2 / sizeof(ge_frame)) return ge_pcln_nomem(err);
          cap *= 2;
        }
        ge_frame *fr = ge_big_realloc(b->bframes, b->bframes_cap * sizeof *fr, cap * sizeof *fr);
        if (!fr) return ge_pcln_nomem(err);
        b->bframes = fr;
        b->bframes_cap = cap;
      }
      answer_job rest = {b, &o, res, b->bframes, j->next, j->to, 0, used, b->bframes_cap, room,
                         GE_OK};
      answer(&rest);
      used = rest.used;
      j->next = rest.next;
      j->rc = rest.rc;
    }
    if (j->rc == GE_ERR_NOMEM) return ge_pcln_nomem(err);
    if (j->rc) return ge_fail(err, GE_ERR_ARG, "lookup_many: more than %u frames", UINT32_MAX);
  }
  *frames = b->bframes;
  return GE_OK;
}

void ge_batch_free(ge_binary *b) {
  ge_big_free(b->sortbuf, b->sortcap);
  ge_big_free(b->bframes, b->bframes_cap * sizeof(ge_frame));
}
