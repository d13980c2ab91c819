/* pcvalue tables: for each function, runs of PCs sharing a value (file
 * number, line, inline tree index, ...), stored as (value delta, pc delta)
 * varint pairs from the function's entry; the first value delta applies to
 * -1, a zero value delta after the first pair ends the table, and pc deltas
 * count instruction quanta. Every walk ends at the table's end; a pc that
 * wraps is corrupt. */
#include <stdlib.h>

#include "core/varint.h"
#include "pcln.h"

int ge_pcvalue(const ge_pcln *t, uint32_t off, uint64_t entry, uint64_t target, int32_t *val) {
  *val = -1;
  if (off == 0) return 0;
  size_t base = t->ver == 12 ? 0 : t->pctab;
  if (off >= t->size - base) return -1;
  const uint8_t *p = t->tab + base + off, *end = t->tab + t->size;
  int32_t v = -1;
  uint64_t pc = entry;
  for (int first = 1;; first = 0) {
    uint32_t uv, pd;
    if (!ge_uvarint32(&p, end, &uv)) return -1;
    if (uv == 0 && !first) return 0;
    int32_t d = (uv & 1) ? -(int32_t)(uv >> 1) - 1 : (int32_t)(uv >> 1);
    v = (int32_t)((uint32_t)v + (uint32_t)d);
    if (!ge_uvarint32(&p, end, &pd)) return -1;
    pc += (uint64_t)pd * t->quantum;
    if (target < pc) {
      *val = v;
      return 1;
    }
  }
}

void ge_pcv_reset(const ge_pcln *t, ge_pcv *d, int bad, uint32_t off, uint64_t entry,
                  int literal0) {
  size_t base = t->ver == 12 ? 0 : t->pctab;
  d->n = d->hint = 0;
  d->pc = entry;
  d->v = -1;
  d->first = 1;
  if (bad || off >= t->size - base) {
    d->state = GE_PCV_BAD;
  } else if (off == 0 && !literal0) {
    d->state = GE_PCV_NONE;
  } else {
    d->state = GE_PCV_MORE;
    d->p = t->tab + base + off;
    d->end = t->tab + t->size;
  }
}

static int pcv_grow(ge_pcv *d) {
  size_t cap = d->cap ? d->cap * 2 : 256;
  uint64_t *e = realloc(d->ends, cap * sizeof *e);
  if (!e) return -1;
  d->ends = e;
  int32_t *v = realloc(d->vals, cap * sizeof *v);
  if (!v) return -1;
  d->vals = v;
  d->cap = cap;
  return 0;
}

void ge_pcv_free(ge_pcv *d) {
  free(d->ends);
  free(d->vals);
}

/* Runs of zero length are not kept: no pc can fall in them. */
int ge_pcv_query(const ge_pcln *t, ge_pcv *d, uint64_t target, int32_t *val) {
  *val = -1;
  if (d->state == GE_PCV_NONE) return 0;
  if (d->n && target < d->ends[d->n - 1]) {
    size_t k = d->hint;
    if (!(target < d->ends[k] && (k == 0 || d->ends[k - 1] <= target))) {
      size_t lo = 0, hi = d->n - 1; /* the first run ending after target */
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->ends[mid] > target) hi = mid;
        else lo = mid + 1;
      }
      k = lo;
    }
    d->hint = k;
    *val = d->vals[k];
    return 1;
  }
  if (d->state != GE_PCV_MORE) return d->state == GE_PCV_END ? 0 : -1;
  /* The loop keeps the state in locals, written back once: through d->,
   * each step would store and reload it, as d may alias the bytes read. */
  const uint64_t q = t->quantum;
  const uint8_t *p = d->p, *end = d->end;
  uint64_t pc = d->pc;
  int32_t v = d->v;
  int first = d->first, state = GE_PCV_MORE, found = 0;
  size_t n = d->n;
  for (;;) {
    uint32_t uv, pd;
    if (p + 1 < end && !((p[0] | p[1]) & 0x80)) { /* both varints one byte: most pairs */
      uv = p[0];
      pd = p[1];
      p += 2;
      if (uv == 0 && !first) {
        state = GE_PCV_END;
        break;
      }
    } else {
      if (!ge_uvarint32(&p, end, &uv)) {
        state = GE_PCV_BAD;
        break;
      }
      if (uv == 0 && !first) { /* the terminator may be the table's last byte */
        state = GE_PCV_END;
        break;
      }
      if (!ge_uvarint32(&p, end, &pd)) {
        state = GE_PCV_BAD;
        break;
      }
    }
    first = 0;
    int32_t dv = (uv & 1) ? -(int32_t)(uv >> 1) - 1 : (int32_t)(uv >> 1);
    v = (int32_t)((uint32_t)v + (uint32_t)dv);
    if (!pd) continue;
    uint64_t npc = pc + (uint64_t)pd * q;
    if (npc < pc) {
      state = GE_PCV_BAD;
      break;
    }
    pc = npc;
    if (n == d->cap) {
      d->n = n;
      if (pcv_grow(d) < 0) {
        d->p = p, d->pc = pc, d->v = v, d->first = (uint8_t)first;
        return -2;
      }
    }
    d->ends[n] = npc;
    d->vals[n] = v;
    n++;
    if (target < npc) {
      found = 1;
      break;
    }
  }
  d->p = p;
  d->pc = pc;
  d->v = v;
  d->first = (uint8_t)first;
  d->n = n;
  d->state = (uint8_t)state;
  if (found) {
    d->hint = n - 1;
    *val = v;
    return 1;
  }
  return d->state == GE_PCV_END ? 0 : -1;
}
