/* Text escape logs: `go build -gcflags=-m`, `-m=2`, `-m=3`, `-d=ssa/check_bce`,
 * `-live` output of Go 1.13 through 1.27.
 *
 * Framing: "# importpath" (optionally " [importpath.test]") starts a package;
 * "file:line[:col][[orig]]: message" is a diagnostic; anything else (blank
 * lines, "go: downloading", linker errors) is skipped and counted.
 *
 * -m=2 explanations: a header "x escapes to heap[ in F]:" or "parameter p
 * leaks to DST[ for F] with derefs=N:" is followed by lines with the same
 * position prefix whose message starts with spaces ("  flow: ...", "    from
 * ... at POS", "  warning: ..."). The compiler prints explanations as it goes
 * and the plain diagnostics sorted at the end of the package, so the same
 * escape shows twice: the header (with its flow) and later "moved to heap: x"
 * or "x escapes to heap" at the same position. Those are folded into one
 * record that keeps the flow. Parameter-leak headers stay records of their
 * own (kind param_leaks, one per destination, as logopt reports them) and
 * lend their function name to the "leaking param" lines at their position. */
#include "text.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

enum { POS_DEAD = 0, POS_PENDING = 1, POS_HINT = 2 };

void ge_text_init(ge_text *t, ge_log *log, uint32_t si) {
  memset(t, 0, sizeof *t);
  t->log = log;
  t->si = si;
  t->block = -1;
  t->last_file = UINT32_MAX;
}

void ge_text_free(ge_text *t) {
  GE_VEC_FREE(t->pos);
  GE_VEC_FREE(t->keys);
  ge_hashidx_free(&t->ix);
}

void ge_text_reset_positions(ge_text *t) {
  t->pos.n = 0;
  t->keys.n = 0;
  ge_hashidx_clear(&t->ix);
  t->npending = 0;
}

static uint32_t pos_hash(uint32_t file, uint32_t line, uint32_t col) {
  uint64_t h = ge_mix64((uint64_t)file << 32 | line);
  return (uint32_t)ge_mix64(h ^ col);
}

static uint32_t key_hash(const void *ctx, uint32_t i) {
  const ge_poskey *k = &((const ge_text *)ctx)->keys.v[i];
  return pos_hash(k->file, k->line, k->col);
}

/* Entries are chained per position, oldest first, and the index holds the
 * distinct positions (keys), not the entries: the headers the compiler
 * prints many times at one position (generic code, one header per path to
 * the heap; 100k in a crafted 3 MB log) make one list walked once, not one
 * probe cluster scanned from its start at every insert and lookup. Dead
 * entries are unlinked from their chain as walks pass them, so nothing is
 * ever removed from the index; a new package clears it.
 *
 * pos_probe: the slot of a position in the index; *key is its key, or
 * GE_HASHIDX_NONE when the probe ended at an empty slot (where a new key
 * goes). */
static size_t pos_probe(const ge_text *t, uint32_t file, uint32_t line, uint32_t col,
                        uint32_t *key) {
  size_t j = ge_hashidx_first(&t->ix, pos_hash(file, line, col));
  uint32_t i;
  for (; (i = ge_hashidx_at(&t->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&t->ix, j)) {
    const ge_poskey *k = &t->keys.v[i];
    if (k->file == file && k->line == line && k->col == col) break;
  }
  *key = i;
  return j;
}

static int pos_add(ge_text *t, uint32_t file, uint32_t line, uint32_t col, uint8_t type,
                   uint32_t val, uint32_t subject_hash) {
  if (ge_hashidx_reserve(&t->ix, t->keys.n, key_hash, t)) return -1;
  uint32_t i;
  size_t j = pos_probe(t, file, line, col, &i);
  if (i == GE_HASHIDX_NONE) {
    ge_poskey *k = GE_VEC_PUSH_SLOT(t->keys);
    if (!k) return -1;
    *k = (ge_poskey){file, line, col, 0, 0};
    i = (uint32_t)t->keys.n - 1;
    ge_hashidx_set(&t->ix, j, i);
  }
  ge_posent *e = GE_VEC_PUSH_SLOT(t->pos);
  if (!e) return -1;
  uint32_t id = (uint32_t)t->pos.n; /* index+1 */
  *e = (ge_posent){val, subject_hash, 0, type};
  ge_poskey *k = &t->keys.v[i];
  if (k->tail) t->pos.v[k->tail - 1].next = id;
  else k->head = id;
  k->tail = id;
  if (type == POS_PENDING) t->npending++;
  return 0;
}

/* Walks a position's entries from the oldest, unlinking dead ones; calls
 * visit(entry) for live entries of `type` until it returns nonzero, and
 * returns that entry (NULL at the end). */
static ge_posent *pos_walk(ge_text *t, uint32_t file, uint32_t line, uint32_t col, uint8_t type,
                           int (*visit)(ge_posent *, void *), void *ud) {
  uint32_t i;
  pos_probe(t, file, line, col, &i);
  if (i == GE_HASHIDX_NONE) return NULL;
  ge_poskey *k = &t->keys.v[i];
  uint32_t prev = 0, cur = k->head;
  while (cur) {
    ge_posent *e = &t->pos.v[cur - 1];
    uint32_t next = e->next;
    if (e->type == POS_DEAD && (prev || next)) {
      /* unlink; a dead first entry hands the head to the next */
      if (prev) {
        t->pos.v[prev - 1].next = next;
        if (k->tail == cur) k->tail = prev;
      } else {
        k->head = next;
      }
      cur = next;
      continue;
    }
    if (e->type == type && visit(e, ud)) return e;
    prev = cur;
    cur = next;
  }
  return NULL;
}

typedef struct find_ud {
  uint32_t subject_hash;
  ge_posent *first;
} find_ud;

static int find_visit(ge_posent *e, void *ud) {
  find_ud *f = ud;
  if (!f->first) f->first = e;
  return e->subject_hash == f->subject_hash;
}

/* The best entry of `type` at a position: one whose subject matches, else
 * the earliest. NULL when there is none. */
static ge_posent *pos_find(ge_text *t, uint32_t file, uint32_t line, uint32_t col,
                           uint8_t type, uint32_t subject_hash) {
  find_ud f = {subject_hash, NULL};
  ge_posent *e = pos_walk(t, file, line, col, type, find_visit, &f);
  return e ? e : f.first;
}

/* Parses "path:line[:col][[...]]: " at the start of a line. Returns the
 * offset of the message, or -1 when the line is not a diagnostic. */
static long parse_pos(const char *s, size_t n, size_t *path_len, uint32_t *line,
                      uint32_t *col) {
  size_t i = 0;
  for (;;) {
    const char *c = memchr(s + i, ':', n - i);
    if (!c) return -1;
    i = (size_t)(c - s);
    size_t j = i + 1;
    uint64_t ln = 0, cl = 0;
    size_t d = j;
    while (j < n && s[j] >= '0' && s[j] <= '9' && ln < 0xffffffffu) ln = ln * 10 + (uint64_t)(s[j++] - '0');
    if (j > d && i > 0 && j < n && (s[j] == ':' || s[j] == '[')) {
      if (s[j] == ':' && j + 1 < n && s[j + 1] >= '0' && s[j + 1] <= '9') {
        size_t k = j + 1;
        while (k < n && s[k] >= '0' && s[k] <= '9' && cl < 0xffffffffu) cl = cl * 10 + (uint64_t)(s[k++] - '0');
        if (k < n && (s[k] == ':' || s[k] == '[')) j = k;
        else cl = 0;
      }
      if (s[j] == '[') { /* -L: "rel:3:4[orig:10:2]: msg" */
        const char *rb = memchr(s + j, ']', n - j);
        if (!rb) return -1;
        j = (size_t)(rb - s) + 1;
        if (j >= n || s[j] != ':') return -1;
      }
      /* s[j] == ':' now; the message follows ": " (or the line ends). */
      if (j + 1 >= n) {
        *path_len = i;
        *line = (uint32_t)ln;
        *col = (uint32_t)cl;
        return (long)n;
      }
      if (s[j + 1] == ' ') {
        *path_len = i;
        *line = (uint32_t)ln;
        *col = (uint32_t)cl;
        return (long)(j + 2);
      }
    }
    i++;
    if (i >= n) return -1;
  }
}

static int is_space_start(const char *m, size_t n) { return n > 0 && m[0] == ' '; }

/* Appends an explanation line (message text starting with spaces) to record ri. */
static ge_err add_step(ge_text *t, size_t ri, uint32_t off, uint32_t len, uint64_t lineno,
                       ge_error *err) {
  ge_log *log = t->log;
  const char *s = log->sources.v[t->si].text + off;
  uint32_t k = 0;
  while (k < len && s[k] == ' ') k++;
  uint8_t type = GE_STEP_NOTE;
  if (len - k >= 5 && memcmp(s + k, "flow:", 5) == 0) type = GE_STEP_FLOW;
  else if (len - k >= 5 && memcmp(s + k, "from ", 5) == 0) type = GE_STEP_FROM;
  ge_rec *r = &log->recs.v[ri];
  if (r->nflow >= log->lim.max_flow_steps)
    return ge_fail(err, GE_ERR_LIMIT,
                   "line %llu: more than %u explanation lines for one diagnostic "
                   "(limit max_flow_steps)",
                   (unsigned long long)lineno, log->lim.max_flow_steps);
  if (r->nflow == 0) r->flow_first = (uint32_t)log->steps.n;
  ge_step *st = GE_VEC_PUSH_SLOT(log->steps);
  if (!st) return ge_fail(err, GE_ERR_NOMEM, "out of memory at line %llu", (unsigned long long)lineno);
  uint32_t hop = r->nflow;
  if (type != GE_STEP_FLOW && r->nflow > 0) hop = log->steps.v[r->flow_first + r->nflow - 1].hop;
  *st = (ge_step){off + k, len - k, hop, type};
  r->nflow++;
  log->stats.flow_steps++;
  return GE_OK;
}

/* Appends the explanation of header record `from` to record `into` and marks
 * `from` dead (dropped by ge_text_compact). Steps are copied to the end of
 * the step array so that each record's steps stay contiguous. */
static int fold(ge_log *log, uint32_t into, uint32_t from) {
  ge_rec *a = &log->recs.v[into], *b = &log->recs.v[from];
  size_t na = a->nflow, nb = b->nflow;
  if (nb) {
    int at_end = na == 0 || a->flow_first + na == log->steps.n;
    size_t need = nb + (at_end ? 0 : na);
    if (ge_vec_reserve((void **)&log->steps.v, &log->steps.cap, log->steps.n, need,
                       sizeof *log->steps.v))
      return -1;
    a = &log->recs.v[into];
    b = &log->recs.v[from];
    if (!at_end) {
      memcpy(&log->steps.v[log->steps.n], &log->steps.v[a->flow_first], na * sizeof(ge_step));
      a->flow_first = (uint32_t)log->steps.n;
      log->steps.n += na;
    } else if (na == 0) {
      a->flow_first = (uint32_t)log->steps.n;
    }
    for (size_t k = 0; k < nb; k++) {
      ge_step st = log->steps.v[b->flow_first + k];
      st.hop += (uint32_t)na;
      log->steps.v[log->steps.n++] = st;
    }
    a->nflow = (uint32_t)(na + nb);
  }
  b->kind = GE_K__COUNT; /* dead */
  b->nflow = 0;
  log->stats.records--;
  log->stats.merged++;
  return 0;
}

/* Folds every pending header of one subject at a position into `primary`,
 * in one walk of the position's entries. */
typedef struct fold_ud {
  ge_text *t;
  ge_log *log;
  uint32_t primary, subject_hash;
  int oom;
} fold_ud;

static int fold_visit(ge_posent *q, void *ud) {
  fold_ud *f = ud;
  if (q->subject_hash != f->subject_hash) return 0;
  q->type = POS_DEAD;
  f->t->npending--;
  if (fold(f->log, f->primary, q->val)) {
    f->oom = 1;
    return 1;
  }
  f->t->dead++;
  return 0;
}

void ge_text_compact(ge_log *log, size_t from) {
  size_t w = from;
  for (size_t i = from; i < log->recs.n; i++)
    if (log->recs.v[i].kind != GE_K__COUNT) log->recs.v[w++] = log->recs.v[i];
  log->recs.n = w;
}

static uint32_t intern_span(ge_log *log, const char *base, ge_span sp) {
  return ge_intern_add(&log->strings, base + sp.off, sp.len);
}

ge_err ge_text_line(ge_text *t, uint32_t off, uint32_t len, uint64_t lineno, ge_error *err) {
  ge_log *log = t->log;
  const char *text = log->sources.v[t->si].text;
  const char *s = text + off;
  log->stats.lines++;
  if (len && s[len - 1] == '\r') len--;
  if (len > log->lim.max_line_bytes)
    return ge_fail(err, GE_ERR_LIMIT, "line %llu: %u bytes long (limit max_line_bytes = %llu)",
                   (unsigned long long)lineno, len,
                   (unsigned long long)log->lim.max_line_bytes);
  if (len == 0) {
    log->stats.skipped++;
    return GE_OK;
  }
  if (len >= 2 && s[0] == '#' && s[1] == ' ') {
    size_t n = len - 2;
    const char *br = memchr(s + 2, ' ', n);
    if (br) n = (size_t)(br - (s + 2));
    t->pkg = ge_intern_add(&log->strings, s + 2, n);
    if (t->pkg == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    t->block = -1;
    ge_text_reset_positions(t);
    return GE_OK;
  }
  /* Fast path: an explanation line of the current -m=2 block shares its
   * header's "file:line:col:" prefix byte for byte. */
  if (t->block >= 0 && len > t->block_prefix_len + 1 &&
      memcmp(s, text + t->block_prefix_off, t->block_prefix_len) == 0 &&
      s[t->block_prefix_len] == ' ' && s[t->block_prefix_len + 1] == ' ')
    return add_step(t, (size_t)t->block, off + t->block_prefix_len + 1,
                    len - t->block_prefix_len - 1, lineno, err);

  size_t plen;
  uint32_t line, col;
  long mo = parse_pos(s, len, &plen, &line, &col);
  if (mo < 0) {
    log->stats.skipped++;
    return GE_OK;
  }
  uint32_t file;
  if (t->last_file != UINT32_MAX && t->last_file_len == plen &&
      memcmp(text + t->last_file_off, s, plen) == 0) {
    file = t->last_file;
  } else {
    file = ge_intern_add(&log->strings, s, plen);
    if (file == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    t->last_file = file;
    t->last_file_off = off;
    t->last_file_len = (uint32_t)plen;
  }
  const char *msg = s + mo;
  uint32_t mlen = len - (uint32_t)mo;
  uint32_t moff = off + (uint32_t)mo;

  if (is_space_start(msg, mlen)) {
    /* An explanation line whose header is not the current block (e.g. after
     * a "warning:" that broke the prefix): attach to the last record if it
     * is at the same position, else keep it as an unknown record. */
    size_t n = log->recs.n;
    if (n) {
      ge_rec *last = &log->recs.v[n - 1];
      if (last->source == t->si && last->file == file && last->line == line &&
          last->col == col && (last->nflow == 0 || last->flow_first + last->nflow == log->steps.n))
        return add_step(t, n - 1, moff, mlen, lineno, err);
    }
  }

  if (log->recs.n >= log->lim.max_records)
    return ge_fail(err, GE_ERR_LIMIT, "line %llu: more than %llu records (limit max_records)",
                   (unsigned long long)lineno, (unsigned long long)log->lim.max_records);

  ge_class c;
  ge_classify(msg, mlen, &c);
  /* Subjects pair -m=2 headers with their final lines: only those kinds. */
  int pairs = c.header || c.kind == GE_K_MOVED_TO_HEAP || c.kind == GE_K_ESCAPES_TO_HEAP ||
              c.kind == GE_K_LEAKING_PARAM || c.kind == GE_K_LEAKING_PARAM_CONTENT ||
              c.kind == GE_K_LEAKING_PARAM_RESULT || c.kind == GE_K_DOES_NOT_ESCAPE;
  uint32_t subj_hash = pairs ? ge_hash(msg + c.subject.off, c.subject.len) : 0;

  if (!c.header && (c.kind == GE_K_MOVED_TO_HEAP || c.kind == GE_K_ESCAPES_TO_HEAP)) {
    ge_posent *p = pos_find(t, file, line, col, POS_PENDING, subj_hash);
    if (p) {
      uint32_t primary = p->val, header_subject = p->subject_hash;
      p->type = POS_DEAD;
      t->npending--;
      /* The compiler may explain one escape several times (one header per
       * path to the heap): fold the other headers of the same subject here
       * into this record too, as -m=1 prints the escape once. */
      fold_ud fu = {t, log, primary, header_subject, 0};
      pos_walk(t, file, line, col, POS_PENDING, fold_visit, &fu);
      if (fu.oom)
        return ge_fail(err, GE_ERR_NOMEM, "out of memory at line %llu", (unsigned long long)lineno);
      ge_rec *r = &log->recs.v[primary];
      r->kind = (uint8_t)c.kind;
      r->msg = (ge_span){moff, mlen};
      r->subject = (ge_span){moff + c.subject.off, c.subject.len};
      t->block = -1;
      log->stats.merged++;
      return GE_OK;
    }
  }

  ge_rec *r = GE_VEC_PUSH_SLOT(log->recs);
  if (!r) return ge_fail(err, GE_ERR_NOMEM, "out of memory at line %llu", (unsigned long long)lineno);
  memset(r, 0, sizeof *r);
  r->source = t->si;
  r->file = file;
  r->pkg = t->pkg;
  r->line = line;
  r->col = col;
  r->kind = (uint8_t)c.kind;
  /* A header's trailing ':' introduces its explanation; it is not message. */
  r->msg = (ge_span){moff, c.header ? mlen - 1 : mlen};
  r->subject = (ge_span){moff + c.subject.off, c.subject.len};
  r->target = (ge_span){moff + c.target.off, c.target.len};
  r->n1 = c.n1;
  r->n2 = c.n2;
  r->input_line = lineno;
  if (c.func.len) {
    r->func = intern_span(log, msg, c.func);
    if (r->func == UINT32_MAX) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  size_t ri = log->recs.n - 1;
  log->stats.records++;

  if (c.header) {
    t->block = (int64_t)ri;
    t->block_prefix_off = off;
    t->block_prefix_len = (uint32_t)mo - 1; /* "file:line:col:" */
    uint8_t type = c.kind == GE_K_PARAM_LEAKS ? POS_HINT : POS_PENDING;
    uint32_t val = type == POS_HINT ? r->func : (uint32_t)ri;
    if ((type == POS_PENDING || val) && pos_add(t, file, line, col, type, val, subj_hash))
      return ge_fail(err, GE_ERR_NOMEM, "out of memory");
    return GE_OK;
  }
  t->block = -1;
  if (!r->func && (c.kind == GE_K_LEAKING_PARAM || c.kind == GE_K_LEAKING_PARAM_CONTENT ||
                   c.kind == GE_K_LEAKING_PARAM_RESULT || c.kind == GE_K_DOES_NOT_ESCAPE)) {
    ge_posent *p = pos_find(t, file, line, col, POS_HINT, subj_hash);
    if (p) r->func = p->val;
  }
  return GE_OK;
}

ge_err ge_text_parse(ge_log *log, uint32_t si, ge_error *err) {
  ge_source *src = &log->sources.v[si];
  if (src->map.size > UINT32_MAX)
    return ge_fail(err, GE_ERR_LIMIT,
                   "%s: %zu bytes; files over 4 GiB are read in streaming mode only",
                   src->name, src->map.size);
  ge_text t;
  ge_text_init(&t, log, si);
  size_t first = log->recs.n;
  const char *p = src->text, *end = p + src->map.size;
  /* Size the arrays from the input (-m=2 logs: ~1 record per 600 bytes, 1
   * step per 150; a little more is reserved, untouched pages cost nothing)
   * so that they do not move and re-fault while growing. */
  size_t est = src->map.size;
  ge_vec_reserve((void **)&log->recs.v, &log->recs.cap, log->recs.n, est / 512 + 16,
                 sizeof *log->recs.v);
  ge_vec_reserve((void **)&log->steps.v, &log->steps.cap, log->steps.n, est / 128 + 16,
                 sizeof *log->steps.v);
  uint64_t lineno = 0;
  ge_err rc = GE_OK;
  log->stats.bytes += src->map.size;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    lineno++;
    rc = ge_text_line(&t, (uint32_t)(p - src->text), (uint32_t)(le - p), lineno, err);
    if (rc) break;
    p = nl ? nl + 1 : end;
  }
  if (t.dead) ge_text_compact(log, first);
  ge_text_free(&t);
  if (rc) ge_error_prefix(err, src->name);
  return rc;
}
