/* Logopt JSON files: `go build -gcflags=-json=0,DIR` (Go 1.14 … 1.27,
 * cmd/compile/internal/logopt/log_opts.go, version 0).
 *
 * One file per source file: line 1 is a header
 *   {"version":0,"package":"p","goos":..,"goarch":..,"gc_version":..,"file":"/abs/x.go"}
 * then one LSP Diagnostic per line:
 *   {"range":{"start":{"line":7,"character":18},...},"severity":3,"code":"escape",
 *    "source":"go compiler","message":"t escapes to heap",
 *    "relatedInformation":[{"location":{"uri":"file:///abs/x.go","range":{...}},
 *                           "message":"escflow:    flow: ~r0 ← &t:"}, ...]}
 * Lines and characters are 1-based. The code, not the message, tells the kind
 * (messages are terse: canInlineFunction says only "cost: 12").
 *
 * Decoded strings (JSON escapes resolved) are written into one text buffer
 * per file, which becomes the source the records point into; explanation
 * steps are stored in the same shape as text -m=2 lines ("flow: a ← b:",
 * "from EXPR (REASON) at FILE:LINE:COL") so that one splitter serves both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "jsonread.h"
#include "log.h"

/* ------------------------------------------------------------ the objects */

typedef struct pos {
  int64_t line, col;
} pos;

static int k_start(ge_jr *j, const char *k, size_t kl, void *ud) {
  pos *p = ud;
  (void)kl;
  if (!strcmp(k, "line")) return ge_jr_number(j, &p->line);
  if (!strcmp(k, "character")) return ge_jr_number(j, &p->col);
  return 1;
}
static int k_range(ge_jr *j, const char *k, size_t kl, void *ud) {
  (void)kl;
  if (!strcmp(k, "start")) return ge_jr_object(j, k_start, ud);
  return 1;
}

typedef struct loc {
  ge_span uri;
  pos at;
  int has_uri;
} loc;
static int k_location(ge_jr *j, const char *k, size_t kl, void *ud) {
  loc *l = ud;
  (void)kl;
  if (!strcmp(k, "uri")) {
    l->has_uri = 1;
    return ge_jr_string(j, &l->uri);
  }
  if (!strcmp(k, "range")) return ge_jr_object(j, k_range, &l->at);
  return 1;
}

typedef struct related {
  loc where;
  ge_span msg;
} related;
static int k_related(ge_jr *j, const char *k, size_t kl, void *ud) {
  related *r = ud;
  (void)kl;
  if (!strcmp(k, "location")) return ge_jr_object(j, k_location, &r->where);
  if (!strcmp(k, "message")) return ge_jr_string(j, &r->msg);
  return 1;
}

typedef struct diagobj {
  pos at;
  ge_span code, msg;
  related *rel; /* caller-owned scratch */
  size_t nrel, relcap;
  size_t maxrel; /* one past limits.max_flow_steps: each entry is a step */
  int overflow;
} diagobj;

static int k_diag(ge_jr *j, const char *k, size_t kl, void *ud) {
  diagobj *d = ud;
  (void)kl;
  if (!strcmp(k, "range")) return ge_jr_object(j, k_range, &d->at);
  if (!strcmp(k, "code")) return ge_jr_string(j, &d->code);
  if (!strcmp(k, "message")) return ge_jr_string(j, &d->msg);
  if (!strcmp(k, "relatedInformation")) {
    if (!ge_jr_eat(j, '[')) return -1;
    if (ge_jr_eat(j, ']')) return 0;
    do {
      related r;
      memset(&r, 0, sizeof r);
      if (ge_jr_object(j, k_related, &r)) return -1;
      if (d->nrel >= d->maxrel) {
        d->overflow = 1; /* reported as the limit it exceeds, not dropped */
        continue;
      }
      if (ge_vec_reserve((void **)&d->rel, &d->relcap, d->nrel, 1, sizeof *d->rel)) {
        j->oom = 1;
        return -1;
      }
      d->rel[d->nrel++] = r;
    } while (ge_jr_eat(j, ','));
    return ge_jr_eat(j, ']') ? 0 : -1;
  }
  return 1;
}

typedef struct header {
  int64_t version;
  ge_span package, file, gc_version;
  int has_version, has_file;
} header;
static int k_header(ge_jr *j, const char *k, size_t kl, void *ud) {
  header *h = ud;
  (void)kl;
  if (!strcmp(k, "version")) {
    h->has_version = 1;
    return ge_jr_number(j, &h->version);
  }
  if (!strcmp(k, "package")) return ge_jr_string(j, &h->package);
  if (!strcmp(k, "file")) {
    h->has_file = 1;
    return ge_jr_string(j, &h->file);
  }
  if (!strcmp(k, "gc_version")) return ge_jr_string(j, &h->gc_version);
  return 1;
}

int ge_logopt_sniff(const char *s, size_t len) {
  size_t i = 0;
  while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
  if (i >= len || s[i] != '{') return 0;
  size_t lim = len - i < 512 ? len - i : 512;
  const char *nl = memchr(s + i, '\n', lim);
  size_t n = nl ? (size_t)(nl - (s + i)) : lim;
  /* The header's first key is "version" (log_opts.go writes it first). */
  const char *v = memchr(s + i, '"', n);
  return v && (size_t)(s + i + n - v) > 9 && memcmp(v, "\"version\"", 9) == 0;
}

static const struct {
  const char *code;
  ge_kind kind;
} codes[] = {
    {"canInlineFunction", GE_K_CAN_INLINE},
    {"cannotInlineFunction", GE_K_CANNOT_INLINE},
    {"cannotInlineCall", GE_K_CANNOT_INLINE_CALL},
    {"inlineCall", GE_K_INLINING_CALL},
    {"nilcheck", GE_K_NIL_CHECK},
    {"isInBounds", GE_K_BOUNDS_CHECK},
    {"isSliceInBounds", GE_K_SLICE_BOUNDS_CHECK},
    {"copy", GE_K_STACK_COPY},
};

static int64_t first_number(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] >= '0' && s[i] <= '9') {
      int64_t v = 0;
      while (i < n && s[i] >= '0' && s[i] <= '9' && v < INT64_MAX / 10) v = v * 10 + (s[i++] - '0');
      return v;
    }
  return -1;
}

static int span_eq(const char *buf, ge_span s, const char *lit) {
  size_t n = strlen(lit);
  return s.len == n && memcmp(buf + s.off, lit, n) == 0;
}

/* Path of a file:// URI (percent-decoding is not needed for Go paths that
 * the compiler writes; they are plain). */
static ge_span uri_path(const char *buf, ge_span u) {
  if (u.len >= 7 && memcmp(buf + u.off, "file://", 7) == 0) return (ge_span){u.off + 7, u.len - 7};
  return u;
}

/* Appends "flow: ...:" / "from EXPR (WHY) at FILE:L:C" text for one related
 * entry and records it as a step of record ri. */
static int add_related(ge_log *log, ge_jr *j, size_t ri, const related *r) {
  const char *m = j->out + r->msg.off;
  size_t n = r->msg.len;
  int inline_loc = 0;
  if (n >= 8 && memcmp(m, "escflow:", 8) == 0) {
    m += 8;
    n -= 8;
  } else if (n >= 9 && memcmp(m, "inlineLoc", 9) == 0) {
    inline_loc = 1;
  }
  while (n && *m == ' ') {
    m++;
    n--;
  }
  size_t start = j->on;
  uint32_t type = GE_STEP_NOTE;
  if (n >= 5 && memcmp(m, "flow:", 5) == 0) type = GE_STEP_FLOW;
  else if (n >= 5 && memcmp(m, "from ", 5) == 0) type = GE_STEP_FROM;
  size_t moff = (size_t)(m - j->out);
  if (inline_loc) {
    if (ge_jr_put(j, "inlined from", 12)) return -1;
  } else {
    if (ge_jr_reserve(j, n)) return -1;
    memmove(j->out + j->on, j->out + moff, n);
    j->on += n;
  }
  if (type != GE_STEP_FLOW && r->where.has_uri) {
    ge_span path = uri_path(j->out, r->where.uri);
    char num[48];
    int k = snprintf(num, sizeof num, ":%lld:%lld", (long long)r->where.at.line,
                     (long long)r->where.at.col);
    if (ge_jr_put(j, " at ", 4)) return -1;
    if (ge_jr_reserve(j, path.len)) return -1;
    memmove(j->out + j->on, j->out + path.off, path.len);
    j->on += path.len;
    if (ge_jr_put(j, num, (size_t)k)) return -1;
  }
  if (j->on - start > UINT32_MAX) return -1;
  ge_rec *rec = &log->recs.v[ri];
  if (rec->nflow >= log->lim.max_flow_steps) return -2;
  if (rec->nflow == 0) rec->flow_first = (uint32_t)log->steps.n;
  ge_step *st = GE_VEC_PUSH_SLOT(log->steps);
  if (!st) {
    j->oom = 1;
    return -1;
  }
  uint32_t hop = rec->nflow;
  if (type != GE_STEP_FLOW && rec->nflow > 0) hop = log->steps.v[rec->flow_first + rec->nflow - 1].hop;
  *st = (ge_step){(uint32_t)start, (uint32_t)(j->on - start), hop, type};
  rec->nflow++;
  log->stats.flow_steps++;
  return 0;
}

ge_err ge_logopt_parse(ge_log *log, uint32_t si, ge_error *err) {
  ge_source *src = &log->sources.v[si];
  const char *name = src->name;
  ge_jr j = {0};
  j.p = j.base = src->text;
  j.end = src->text + src->map.size;
  diagobj d;
  memset(&d, 0, sizeof d);
  ge_err rc = GE_OK;
  uint64_t lineno = 1;
  header h;
  memset(&h, 0, sizeof h);
  uint32_t pkg = 0, file = 0;
  size_t first_rec = log->recs.n;
  log->stats.bytes += src->map.size;

  if (ge_jr_object(&j, k_header, &h) || !h.has_version) {
    rc = ge_fail(err, j.oom ? GE_ERR_NOMEM : GE_ERR_FORMAT,
                 "%s: line 1, offset %zu: expected the logopt header object", name,
                 (size_t)(j.p - j.base));
    goto done;
  }
  if (h.version != 0) {
    rc = ge_fail(err, GE_ERR_FORMAT, "%s: line 1: logopt version %lld is not supported (0 is)",
                 name, (long long)h.version);
    goto done;
  }
  pkg = ge_intern_add(&log->strings, j.out + h.package.off, h.package.len);
  file = ge_intern_add(&log->strings, j.out + h.file.off, h.file.len);
  if (pkg == UINT32_MAX || file == UINT32_MAX) {
    rc = ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
    goto done;
  }
  log->stats.lines++;
  for (;;) {
    ge_jr_ws(&j);
    while (j.p < j.end && *j.p == '\n') {
      j.p++;
      ge_jr_ws(&j);
    }
    if (j.p >= j.end) break;
    lineno++;
    log->stats.lines++;
    const char *line_start = j.p;
    d.nrel = 0;
    d.overflow = 0;
    d.maxrel = (size_t)log->lim.max_flow_steps + 1;
    d.at = (pos){0, 0};
    d.code = d.msg = (ge_span){0, 0};
    if (ge_jr_object(&j, k_diag, &d)) {
      if (j.oom) {
        rc = ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
        goto done;
      }
      /* A truncated or broken line: skip to the next one, count it. */
      const char *nl = memchr(line_start, '\n', (size_t)(j.end - line_start));
      j.p = nl ? nl + 1 : j.end;
      log->stats.skipped++;
      continue;
    }
    if (log->recs.n >= log->lim.max_records) {
      rc = ge_fail(err, GE_ERR_LIMIT, "%s: line %llu: more than %llu records (limit max_records)",
                   name, (unsigned long long)lineno, (unsigned long long)log->lim.max_records);
      goto done;
    }
    const char *code = j.out + d.code.off;
    /* The escape pass logs each explained escape twice, the second time with
     * an empty message: one record. */
    if (d.msg.len == 0 && log->recs.n > first_rec) {
      ge_rec *last = &log->recs.v[log->recs.n - 1];
      if (last->line == (uint32_t)d.at.line && last->col == (uint32_t)d.at.col) {
        log->stats.merged++;
        continue;
      }
    }
    ge_class c;
    ge_kind kind = GE_K__COUNT;
    for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++)
      if (span_eq(j.out, d.code, codes[k].code)) kind = codes[k].kind;
    const char *msg = j.out + d.msg.off;
    memset(&c, 0, sizeof c);
    c.n1 = c.n2 = -1;
    if (kind == GE_K__COUNT) {
      ge_classify(msg, d.msg.len, &c);
      if (c.kind == GE_K_UNKNOWN && d.code.len >= 7 && memcmp(code, "loopvar", 7) == 0)
        c.kind = GE_K_LOOPVAR;
    } else {
      c.kind = kind;
      if (kind == GE_K_CAN_INLINE || kind == GE_K_STACK_COPY) {
        c.n1 = first_number(msg, d.msg.len);
      } else if (kind == GE_K_CANNOT_INLINE || kind == GE_K_CANNOT_INLINE_CALL) {
        /* the message is the reason: "function too complex: cost 95 exceeds budget 80" */
        c.target = (ge_span){0, d.msg.len};
        for (size_t q = 0; q + 5 <= d.msg.len; q++)
          if (!memcmp(msg + q, "cost ", 5)) {
            c.n1 = first_number(msg + q, d.msg.len - q);
            for (size_t b = q; b + 7 <= d.msg.len; b++)
              if (!memcmp(msg + b, "budget ", 7)) {
                c.n2 = first_number(msg + b, d.msg.len - b);
                break;
              }
            break;
          }
      } else if (kind == GE_K_INLINING_CALL) {
        c.subject = (ge_span){0, d.msg.len};
      }
    }
    ge_rec *r = GE_VEC_PUSH_SLOT(log->recs);
    if (!r) {
      rc = ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
      goto done;
    }
    memset(r, 0, sizeof *r);
    r->source = si;
    r->file = file;
    r->pkg = pkg;
    r->line = d.at.line > 0 && d.at.line < UINT32_MAX ? (uint32_t)d.at.line : 0;
    r->col = d.at.col > 0 && d.at.col < UINT32_MAX ? (uint32_t)d.at.col : 0;
    r->kind = (uint8_t)c.kind;
    r->msg = d.msg;
    r->subject = (ge_span){d.msg.off + c.subject.off, c.subject.len};
    r->target = (ge_span){d.msg.off + c.target.off, c.target.len};
    r->n1 = c.n1;
    r->n2 = c.n2;
    r->input_line = lineno;
    if (c.func.len) r->func = ge_intern_add(&log->strings, msg + c.func.off, c.func.len);
    if (r->func == UINT32_MAX) {
      rc = ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
      goto done;
    }
    if (kind == GE_K__COUNT && c.kind == GE_K_UNKNOWN) {
      /* Keep the code: "code: message" is what the compiler meant. The
       * copies go by offset: reserving may move the buffer. */
      size_t start = j.on, need = (size_t)d.code.len + 2 + d.msg.len;
      if (ge_jr_reserve(&j, need)) {
        rc = ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
        goto done;
      }
      memmove(j.out + j.on, j.out + d.code.off, d.code.len);
      memcpy(j.out + j.on + d.code.len, ": ", 2);
      memmove(j.out + j.on + d.code.len + 2, j.out + d.msg.off, d.msg.len);
      j.on += need;
      r = &log->recs.v[log->recs.n - 1];
      r->msg = (ge_span){(uint32_t)start, (uint32_t)(j.on - start)};
      r->subject = r->target = (ge_span){0, 0};
    }
    log->stats.records++;
    if (d.overflow) {
      rc = ge_fail(err, GE_ERR_LIMIT,
                   "%s: line %llu: more than %u explanation steps (limit max_flow_steps)", name,
                   (unsigned long long)lineno, log->lim.max_flow_steps);
      goto done;
    }
    size_t ri = log->recs.n - 1;
    for (size_t k = 0; k < d.nrel; k++) {
      int a = add_related(log, &j, ri, &d.rel[k]);
      if (a == -2) {
        rc = ge_fail(err, GE_ERR_LIMIT,
                     "%s: line %llu: more than %u explanation steps (limit max_flow_steps)", name,
                     (unsigned long long)lineno, log->lim.max_flow_steps);
        goto done;
      }
      if (a) {
        rc = ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
        goto done;
      }
    }
  }
done:
  free(d.rel);
  if (rc) {
    free(j.out);
    return rc;
  }
  if (j.on > UINT32_MAX) {
    free(j.out);
    return ge_fail(err, GE_ERR_LIMIT, "%s: decoded text over 4 GiB", name);
  }
  /* The records point into the decoded text: it replaces the raw JSON. */
  ge_map_close(&src->map);
  src->map.data = (const unsigned char *)(j.out ? j.out : calloc(1, 1));
  src->map.size = j.on;
  src->map.mapped = 0;
  src->text = (const char *)src->map.data;
  if (!src->text) return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
  return GE_OK;
}
