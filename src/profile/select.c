/* Sample filters with pprof's semantics (see select.h). Regular expressions
 * are POSIX extended, unanchored, compiled per query (no global state). */
#include "select.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

enum { M_FOCUS = 1, M_IGNORE = 2, M_HIDE = 4, M_SHOW = 8 };

typedef struct rx {
  regex_t re;
  int on;
} rx;

static ge_err rx_comp(rx *r, const char *pat, const char *what, ge_error *err) {
  r->on = 0;
  if (!pat) return GE_OK;
  int rc = regcomp(&r->re, pat, REG_EXTENDED | REG_NOSUB);
  if (rc) {
    char buf[128];
    regerror(rc, &r->re, buf, sizeof buf);
    return ge_fail(err, GE_ERR_ARG, "%s: bad regular expression '%s': %s", what, pat, buf);
  }
  r->on = 1;
  return GE_OK;
}

static int rx_match(const rx *r, const ge_profile *p, uint32_t id) {
  if (!r->on) return 0;
  return regexec(&r->re, ge_intern_get(&p->str, id)->ptr, 0, NULL, 0) == 0;
}

void ge_sel_free(sel *s) {
  free(s->loc);
  free(s->line_vis);
  free(s->tag_str);
  memset(s, 0, sizeof *s);
}

ge_err ge_sel_init(sel *s, const ge_profile *p, const ge_prof_query *q, ge_error *err) {
  memset(s, 0, sizeof *s);
  s->p = p;
  s->name_filter = q->focus || q->ignore || q->hide || q->show;
  s->tag_filter = q->tag_key && (q->tag_focus || q->tag_ignore);
  rx r[4];
  memset(r, 0, sizeof r);
  ge_err rc = GE_OK;
  const char *pats[4] = {q->focus, q->ignore, q->hide, q->show};
  const char *names[4] = {"focus", "ignore", "hide", "show"};
  int ncomp = 0;
  for (; ncomp < 4 && !rc; ncomp++) rc = rx_comp(&r[ncomp], pats[ncomp], names[ncomp], err);
  rx tf = {.on = 0}, ti = {.on = 0};
  if (!rc && s->tag_filter) rc = rx_comp(&tf, q->tag_focus, "tag focus", err);
  if (!rc && s->tag_filter) rc = rx_comp(&ti, q->tag_ignore, "tag ignore", err);
  uint8_t *fm = NULL, *mm = NULL;
  if (!rc && s->name_filter) {
    fm = calloc(p->funcs.n + 1, 1);
    mm = calloc(p->maps.n + 1, 1);
    s->loc = calloc(p->locs.n + 1, 1);
    s->line_vis = malloc(p->lines.n + 1);
    if (!fm || !mm || !s->loc || !s->line_vis) rc = ge_fail(err, GE_ERR_NOMEM, "out of memory");
  }
  if (!rc && s->name_filter) {
    memset(s->line_vis, 1, p->lines.n + 1);
    for (size_t i = 0; i < p->funcs.n; i++)
      for (int k = 0; k < 4; k++)
        if (rx_match(&r[k], p, p->funcs.v[i].name) || rx_match(&r[k], p, p->funcs.v[i].file))
          fm[i] |= (uint8_t)(1 << k);
    for (size_t i = 0; i < p->maps.n; i++)
      for (int k = 0; k < 4; k++)
        if (rx_match(&r[k], p, p->maps.v[i].file)) mm[i] |= (uint8_t)(1 << k);
    for (size_t i = 0; i < p->locs.n; i++) {
      const ploc *l = &p->locs.v[i];
      uint8_t m = l->mapping != GE_NONE ? mm[l->mapping] : 0, any = m;
      for (uint32_t k = 0; k < l->nlines; k++) {
        uint32_t f = p->lines.v[l->line_off + k].func;
        if (f != GE_NONE) any |= fm[f];
      }
      uint8_t st = 0;
      if ((any & M_IGNORE) && q->ignore) st = SEL_IGNORE;
      else if (!q->focus || (any & M_FOCUS)) st = SEL_FOCUS;
      uint32_t vis = l->nlines;
      if (q->hide && (any & M_HIDE)) {
        for (uint32_t k = 0; k < l->nlines; k++) {
          uint32_t f = p->lines.v[l->line_off + k].func;
          if ((m & M_HIDE) || (f != GE_NONE && (fm[f] & M_HIDE))) {
            if (s->line_vis[l->line_off + k]) vis--;
            s->line_vis[l->line_off + k] = 0;
          }
        }
        if (vis == 0) st |= SEL_HIDDEN;
      }
      if (q->show) {
        if (!(m & M_SHOW)) {
          for (uint32_t k = 0; k < l->nlines; k++) {
            uint32_t f = p->lines.v[l->line_off + k].func;
            if (f != GE_NONE && !(fm[f] & M_SHOW)) {
              if (s->line_vis[l->line_off + k]) vis--;
              s->line_vis[l->line_off + k] = 0;
            }
          }
        }
        if (vis == 0) st |= SEL_HIDDEN;
      }
      if (st & SEL_HIDDEN) s->any_hidden = 1;
      s->loc[i] = st;
    }
  }
  if (!rc && s->tag_filter) {
    s->tag_key = ge_intern_find(&p->str, q->tag_key, strlen(q->tag_key));
    s->ntag_str = p->str.n;
    s->tag_str = calloc(s->ntag_str + 1, 1);
    if (!s->tag_str) rc = ge_fail(err, GE_ERR_NOMEM, "out of memory");
    /* Only label values are tested; mark them lazily over the labels. */
    for (size_t i = 0; !rc && i < p->labels.n; i++) {
      const plabel *lb = &p->labels.v[i];
      if (lb->key != s->tag_key || lb->is_num) continue;
      if (s->tag_str[lb->str] & 0x80) continue;
      uint8_t b = 0x80;
      if (rx_match(&tf, p, lb->str)) b |= 1;
      if (rx_match(&ti, p, lb->str)) b |= 2;
      s->tag_str[lb->str] = b;
    }
    s->tag_focus = q->tag_focus;
    s->tag_ignore = q->tag_ignore;
  }
  for (int k = 0; k < ncomp; k++)
    if (r[k].on) regfree(&r[k].re);
  if (tf.on) regfree(&tf.re);
  if (ti.on) regfree(&ti.re);
  free(fm);
  free(mm);
  if (rc) ge_sel_free(s);
  return rc;
}

int ge_sel_sample(const sel *s, size_t i) {
  const ge_profile *p = s->p;
  if (s->tag_filter) {
    int focused = s->tag_focus == NULL, ignored = 0;
    for (uint32_t k = p->s_lab.v[i]; k < p->s_lab.v[i + 1]; k++) {
      const plabel *lb = &p->labels.v[k];
      if (lb->key != s->tag_key || lb->is_num) continue;
      uint8_t b = s->tag_str[lb->str];
      if (b & 1) focused = 1;
      if (b & 2) ignored = 1;
    }
    if (!focused || ignored) return 0;
  }
  if (!s->name_filter) return 1;
  int f = 0, visible = 0;
  for (uint32_t k = p->s_loff.v[i]; k < p->s_loff.v[i + 1]; k++) {
    uint8_t st = s->loc[p->s_locs.v[k]];
    if (st & SEL_IGNORE) return 0;
    if (st & SEL_FOCUS) f = 1;
    if (!(st & SEL_HIDDEN)) visible = 1;
  }
  return f && visible;
}
