/* The line loop of a `perf script` text: sample lines, the call-graph lines
 * under them, blank lines between samples, `#` header lines (perf script
 * --header). The first line that is none of these is an error that names
 * it, and says which command makes the right input when it recognises what
 * it was given instead (perf.data itself, `perf report` text). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static ge_err fail_line(ge_perf *p, ge_error *err, const char *what) {
  return ge_fail(err, GE_ERR_FORMAT, "%s: line %llu: %s", p->name,
                 (unsigned long long)p->lines, what);
}

static ge_err nomem(ge_error *err) { return ge_fail(err, GE_ERR_NOMEM, "perf: out of memory"); }

static int is_report_line(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && s[i] == ' ') i++;
  size_t d = i;
  while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  if (i == d || i >= n || s[i] != '.') return 0;
  i++;
  while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  return i < n && s[i] == '%';
}

static uint32_t event_index(ge_perf *p, uint32_t name) {
  for (size_t i = 0; i < p->events.n; i++)
    if (p->events.v[i].name == name) return (uint32_t)i;
  pf_event *e = GE_VEC_PUSH_SLOT(p->events);
  if (!e) return UINT32_MAX;
  memset(e, 0, sizeof *e);
  e->name = name;
  return (uint32_t)p->events.n - 1;
}

static ge_err check_records(ge_perf *p, ge_error *err) {
  if (p->samples.n + p->frames.n < p->lim.max_records) return GE_OK;
  return ge_fail(err, GE_ERR_LIMIT,
                 "%s: line %llu: more than %llu samples and frames (limit max_records = %llu)",
                 p->name, (unsigned long long)p->lines, (unsigned long long)p->lim.max_records,
                 (unsigned long long)p->lim.max_records);
}

static ge_err push_frame(ge_perf *p, const pf_loc *l, uint8_t flags, ge_error *err) {
  ge_err e = check_records(p, err);
  if (e) return e;
  pf_frame *f = GE_VEC_PUSH_SLOT(p->frames);
  if (!f) return nomem(err);
  memset(f, 0, sizeof *f);
  f->ip = l->hex;
  f->off = l->off;
  f->flags = (uint8_t)(flags | (l->has_off ? PF_HAS_OFF : 0));
  f->sym = l->sym ? ge_perf_str(p, l->sym, l->sym_n) : p->unknown_id;
  if (!l->dso) {
    f->dso = p->unknown_id;
  } else {
    const ge_intern_entry *last = ge_intern_get(&p->strs, p->last_dso);
    f->dso = last->len == l->dso_n && memcmp(last->ptr, l->dso, l->dso_n) == 0
                 ? p->last_dso : ge_perf_str(p, l->dso, l->dso_n);
    if (f->dso != UINT32_MAX) p->last_dso = f->dso;
  }
  if (f->sym == UINT32_MAX || f->dso == UINT32_MAX) return nomem(err);
  uint32_t d = ge_perf_dso_index(p, f->dso);
  if (d == UINT32_MAX) return nomem(err);
  p->dsos.v[d].frames++;
  p->frames_read++;
  p->samples.v[p->samples.n - 1].nframes++;
  return GE_OK;
}

/* Frames are memset when pushed and not touched again before the whole
 * text is read, so equal chains are equal bytes. */
static uint32_t chain_hash(const pf_frame *f, uint32_t n) {
  return ge_hash(f, (size_t)n * sizeof *f);
}

static uint32_t chain_hash_at(const void *ctx, uint32_t i) {
  return ((const ge_perf *)ctx)->chains.v[i].hash;
}

/* Gives the last sample the run of an equal chain read before, dropping
 * its own copy, or records its chain as a new one. */
static ge_err share_chain(ge_perf *p, pf_sample *s, ge_error *err) {
  const pf_frame *mine = &p->frames.v[s->first_frame];
  uint32_t h = chain_hash(mine, s->nframes);
  if (ge_hashidx_reserve(&p->chain_ix, p->chains.n, chain_hash_at, p)) return nomem(err);
  size_t j = ge_hashidx_first(&p->chain_ix, h);
  for (uint32_t i; (i = ge_hashidx_at(&p->chain_ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&p->chain_ix, j)) {
    const pf_chain *c = &p->chains.v[i];
    if (c->hash == h && c->n == s->nframes &&
        memcmp(&p->frames.v[c->first], mine, (size_t)c->n * sizeof *mine) == 0) {
      p->frames.n = (size_t)s->first_frame;
      s->first_frame = c->first;
      return GE_OK;
    }
  }
  pf_chain *c = GE_VEC_PUSH_SLOT(p->chains);
  if (!c) return nomem(err);
  *c = (pf_chain){s->first_frame, s->nframes, h};
  ge_hashidx_set(&p->chain_ix, j, (uint32_t)p->chains.n - 1);
  return GE_OK;
}

/* A probe at a function's entry runs before the function saves the frame
 * pointer, so perf's frame-pointer walk skips the function's caller: the
 * allocation is charged one call too high. A probe that also read the
 * return address (`caller=+0(%sp):x64`, goescape's own probes) gets it back
 * as a frame after the probe's. Its text: "(PROBE_ADDR) size=N caller=0xRET". */
static ge_err insert_caller(ge_perf *p, pf_sample *s, ge_error *err) {
  if (!s->trace || !(p->frames.v[s->first_frame].flags & PF_CHAIN)) return GE_OK;
  ge_strview t = ge_perf_sv(p, s->trace);
  const char *b = t.ptr, *e = t.ptr + t.len, *c = NULL;
  for (const char *q = b; q + 7 <= e; q++)
    if (memcmp(q, "caller=", 7) == 0 && (q == b || q[-1] == ' ')) c = q + 7;
  if (!c || e - c < 3 || c[0] != '0' || c[1] != 'x' || b == e || *b != '(') return GE_OK;
  const char *ce = memchr(c, ' ', (size_t)(e - c)), *be = memchr(b, ')', (size_t)(e - b));
  uint64_t ret, at;
  if (!be || ge_perf_parse_hex(c + 2, ce ? ce : e, &ret) || ge_perf_parse_hex(b + 1, be, &at)) return GE_OK;
  ge_err e2 = check_records(p, err);
  if (e2) return e2;
  pf_frame *slot = GE_VEC_PUSH_SLOT(p->frames);
  if (!slot) return nomem(err);
  pf_frame *f = &p->frames.v[s->first_frame + 1];
  memmove(f + 1, f, (p->frames.n - 1 - (size_t)(s->first_frame + 1)) * sizeof *f);
  memset(f, 0, sizeof *f);
  f->ip = ret;
  f->off = at;
  f->sym = p->unknown_id;
  f->dso = f[-1].dso;
  f->flags = PF_CHAIN | PF_CALLER;
  s->nframes++;
  return GE_OK;
}

/* What aggregation keeps apart: what the profiles, p:data and p:allocs
 * read of a sample. */
static uint32_t sample_key_hash(const pf_sample *s) {
  uint64_t h = ge_mix64(s->event ^ ((uint64_t)s->nframes << 32));
  h = ge_mix64(h ^ s->first_frame);
  h = ge_mix64(h ^ s->dclass ^ ((uint64_t)s->trace << 8));
  h = ge_mix64(h ^ s->addr_sym ^ ((uint64_t)s->addr_dso << 32));
  return (uint32_t)h;
}

static int same_key(const pf_sample *a, const pf_sample *b) {
  return a->event == b->event && a->nframes == b->nframes && a->first_frame == b->first_frame &&
         a->dclass == b->dclass && a->trace == b->trace && a->addr_sym == b->addr_sym &&
         a->addr_dso == b->addr_dso;
}

static uint32_t sample_hash_at(const void *ctx, uint32_t i) {
  return sample_key_hash(&((const ge_perf *)ctx)->samples.v[i]);
}

/* GE_PERF_AGGREGATE: folds the sample just ended into the record of an
 * equal key, or makes it that key's record. Chains are shared first, so
 * equal stacks have equal first_frame. */
static ge_err aggregate(ge_perf *p, ge_error *err) {
  if (!(p->flags & GE_PERF_AGGREGATE)) return GE_OK;
  size_t last = p->samples.n - 1;
  pf_sample *s = &p->samples.v[last];
  uint32_t h = sample_key_hash(s);
  if (ge_hashidx_reserve(&p->sample_ix, last, sample_hash_at, p)) return nomem(err);
  size_t j = ge_hashidx_first(&p->sample_ix, h);
  for (uint32_t i; (i = ge_hashidx_at(&p->sample_ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&p->sample_ix, j)) {
    pf_sample *r = &p->samples.v[i];
    if (!same_key(r, s)) continue;
    r->period = r->period + s->period < r->period ? UINT64_MAX : r->period + s->period;
    r->count += s->count;
    p->samples.n--;
    return GE_OK;
  }
  ge_hashidx_set(&p->sample_ix, j, (uint32_t)last);
  return GE_OK;
}

static ge_err end_sample(ge_perf *p, ge_error *err) {
  if (!p->samples.n) return GE_OK;
  pf_sample *s = &p->samples.v[p->samples.n - 1];
  /* a sample is ended once: by the next sample line, or at the end */
  if (s->ended) return GE_OK;
  s->ended = 1;
  uint32_t pb = p->pending_block;
  p->pending_block = UINT32_MAX;
  ge_err e = GE_OK;
  if (s->nframes) {
    p->dsos.v[ge_perf_dso_index(p, p->frames.v[s->first_frame].dso)].samples++;
    e = insert_caller(p, s, err);
    if (!e) e = share_chain(p, s, err);
    if (!e && pb != UINT32_MAX) {
      p->bchains.v[pb].first = s->first_frame;
      p->bchains.v[pb].n = s->nframes;
    }
  }
  return e ? e : aggregate(p, err);
}

/* The sample just read, whose call graph starts at b, and the scanner's
 * hint for that block: when a sample with an equal block has ended, this
 * one takes its chain without parsing a line, and *after is the blank line
 * after the block (1); else the lines are parsed as usual and the chain
 * recorded for the block's id when the sample ends (0); -1 out of memory.
 * Only for samples without a tracepoint text (an entry probe's return
 * address changes the chain). */
static int reuse_block(ge_perf *p, const pf_hint *h, const char *b, const char **after) {
  pf_sample *smp = &p->samples.v[p->samples.n - 1];
  if (smp->trace || smp->nframes) return 0;
  if (h->id >= p->bchains.n) {
    size_t need = (size_t)h->id + 1 - p->bchains.n;
    if (ge_vec_reserve((void **)&p->bchains.v, &p->bchains.cap, p->bchains.n, need, sizeof *p->bchains.v))
      return -1;
    for (size_t i = 0; i < need; i++) p->bchains.v[p->bchains.n + i] = (pf_bchain){0, UINT32_MAX};
    p->bchains.n += need;
  }
  const pf_bchain *k = &p->bchains.v[h->id];
  if (k->n == UINT32_MAX) {
    p->pending_block = h->id;
    return 0;
  }
  smp->first_frame = k->first;
  smp->nframes = k->n;
  for (uint32_t f = 0; f < k->n; f++) {
    uint32_t d = ge_perf_dso_index(p, p->frames.v[k->first + f].dso);
    if (d == UINT32_MAX) return -1;
    p->dsos.v[d].frames++;
  }
  p->dsos.v[ge_perf_dso_index(p, p->frames.v[k->first].dso)].samples++;
  p->frames_read += k->n;
  p->lines += k->n;
  p->has_callchain = 1;
  smp->ended = 1;
  *after = b + h->len;
  ge_error ignored;
  return aggregate(p, &ignored) ? -1 : 1;
}

static ge_perf_data_class data_class(const pf_loc *a) {
  const char *d = a->dso;
  size_t n = a->dso_n;
  if (!d || !n) return GE_PERF_DATA_OTHER;
  if (n == 6 && memcmp(d, "//anon", 6) == 0) return GE_PERF_DATA_HEAP;
  if (n == 7 && memcmp(d, "[stack]", 7) == 0) return GE_PERF_DATA_STACK;
  if (n == 6 && memcmp(d, "[heap]", 6) == 0) return GE_PERF_DATA_CHEAP;
  if (d[0] == '/') return GE_PERF_DATA_GLOBAL;
  return GE_PERF_DATA_OTHER;
}

/* Anonymous memory through the heap map: what the address was at the
 * sample's time (untimed: at the trace's end). */
static ge_perf_data_class heap_class(ge_perf *p, const pf_sample *o) {
  int64_t t = INT64_MAX;
  if ((o->flags & GE_PERF_HAS_TIME) && o->time_ns <= (uint64_t)INT64_MAX) t = (int64_t)o->time_ns;
  unsigned f;
  ge_heapmap_kind k = ge_heapmap_cursor_at(p->heap, o->addr, t, &f);
  ge_perf_heap_stats *st = &p->heap_stats;
  st->samples++;
  if (f & GE_HEAPMAP_OUTSIDE || t == INT64_MAX) st->outside++;
  if (f & GE_HEAPMAP_BEHIND) st->behind++;
  if (f & GE_HEAPMAP_FULL) st->full++;
  return k == GE_HEAPMAP_HEAP ? GE_PERF_DATA_HEAP : k == GE_HEAPMAP_STACK ? GE_PERF_DATA_GSTACK
                                                                          : GE_PERF_DATA_OFFHEAP;
}

static ge_err sample(ge_perf *p, const char *s, size_t n, int chain, ge_error *err) {
  pf_sample o;
  pf_loc locs[2];
  int nlocs;
  const char *why;
  if (ge_perf_sample_line(p, s, n, &o, locs, &nlocs, &why)) {
    if (!why) return nomem(err);
    if (is_report_line(s, n))
      return fail_line(p, err, "`perf report` output, not `perf script`: run perf script -i perf.data");
    char msg[160];
    snprintf(msg, sizeof msg, "not a `perf script` sample line (%s)", why);
    return fail_line(p, err, msg);
  }
  ge_err e = check_records(p, err);
  if (!e) e = end_sample(p, err);
  if (e) return e;
  if (!(o.flags & GE_PERF_HAS_PERIOD)) o.period = 1;
  const pf_loc *addr = NULL, *ip = NULL;
  if (chain) addr = nlocs ? &locs[0] : NULL;
  else if (nlocs == 2) addr = &locs[0], ip = &locs[1];
  else if (nlocs == 1) ip = &locs[0];
  o.addr_sym = o.addr_dso = 0;
  if (addr) {
    o.flags |= GE_PERF_HAS_ADDR;
    o.addr = addr->hex, o.addr_off = addr->off;
    if (addr->sym && (o.addr_sym = ge_perf_str(p, addr->sym, addr->sym_n)) == UINT32_MAX)
      return nomem(err);
    if (addr->dso && (o.addr_dso = ge_perf_str(p, addr->dso, addr->dso_n)) == UINT32_MAX)
      return nomem(err);
  }
  if (addr) {
    ge_perf_data_class c = data_class(addr);
    o.dclass = (uint8_t)(p->heap && c == GE_PERF_DATA_HEAP ? heap_class(p, &o) : c);
  }
  uint32_t ev = event_index(p, o.event);
  if (ev == UINT32_MAX) return nomem(err);
  pf_event *pe = &p->events.v[ev];
  pe->samples++;
  pe->period += o.period;
  pe->flags |= o.flags;
  o.event = ev;
  o.first_frame = p->frames.n;
  o.nframes = 0;
  o.count = 1;
  p->samples_read++;
  pf_sample *slot = GE_VEC_PUSH_SLOT(p->samples);
  if (!slot) return nomem(err);
  *slot = o;
  return ip ? push_frame(p, ip, 0, err) : GE_OK;
}

ge_err ge_perf_read(ge_perf *p, const char *s, size_t n, int final, const pf_hints *hints, size_t *used,
                    ge_error *err) {
  const char *start = s;
  size_t hi = 0; /* the next hint */
  *used = 0;
  if (!p->lines && n >= 8 && (memcmp(s, "PERFILE2", 8) == 0 || memcmp(s, "PERFFILE", 8) == 0))
    return ge_fail(err, GE_ERR_FORMAT,
                   "%s: a perf.data file, not `perf script` text: run perf script -i %s", p->name,
                   p->name);
  const char *end = s + n;
  while (s < end) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
    const char *next = nl ? nl + 1 : end;
    if (len > p->lim.max_line_bytes)
      return ge_fail(err, GE_ERR_LIMIT, "%s: line %llu: %zu bytes long (limit max_line_bytes = %llu)",
                     p->name, (unsigned long long)p->lines + 1, len,
                     (unsigned long long)p->lim.max_line_bytes);
    /* a line is read once it and the first byte of the next are in: a
     * sample line's fields depend on whether a call graph follows */
    if (!final && (!nl || next == end)) break;
    p->lines++;
    size_t l = len;
    while (l && (s[l - 1] == '\r' || s[l - 1] == ' ')) l--;
    ge_err e = GE_OK;
    if (l == 0) {
      p->in_sample = 0;
    } else if (s[0] == '#') {
      if ((l >= 10 && memcmp(s, "# Overhead", 10) == 0) || (l >= 10 && memcmp(s, "# Children", 10) == 0))
        return fail_line(p, err, "`perf report` output, not `perf script`: run perf script -i perf.data");
    } else if (s[0] == '\t') {
      if (!p->in_sample) return fail_line(p, err, "a call-graph line outside a sample");
      pf_loc loc;
      int inl;
      if (ge_perf_frame_line(s, l, &loc, &inl))
        return fail_line(p, err, "not a call-graph line (\"<hex> sym+0xoff (dso)\")");
      p->has_callchain = 1;
      e = push_frame(p, &loc, (uint8_t)(PF_CHAIN | (inl ? PF_INLINED : 0)), err);
    } else {
      int chain = next < end && *next == '\t';
      e = sample(p, s, l, chain, err);
      if (e == GE_ERR_FORMAT && p->in_sample && l >= 2 && s[0] == ' ' && s[1] == ' ') {
        e = GE_OK; /* srcline text ("  file.go:12", -F +srcline) under a frame */
      } else {
        p->in_sample = 1;
        if (!e && chain && hints) {
          uint64_t off = (uint64_t)(next - start);
          while (hi < hints->n && hints->v[hi].off < off) hi++;
          const char *after;
          int r = hi < hints->n && hints->v[hi].off == off ? reuse_block(p, &hints->v[hi], next, &after) : 0;
          if (r < 0) return nomem(err);
          if (r) next = after;
        }
      }
    }
    if (e) return e;
    s = next;
    *used = (size_t)(s - start);
  }
  return final ? end_sample(p, err) : GE_OK;
}
