/* Sample filters with pprof's semantics (see select.h). Regular expressions
 * are RE2 translated into POSIX extended ones (regex.c), unanchored,
 * compiled per query (no global state). */
#include "select.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "regex.h"

enum { M_FOCUS = 1, M_IGNORE = 2, M_HIDE = 4, M_SHOW = 8 };

typedef struct rx {
  regex_t re;
  int on;
} rx;

static ge_err rx_comp(rx *r, const char *pat, const char *what, ge_error *err) {
  r->on = 0;
  if (!pat) return GE_OK;
  ge_err rc = ge_re_compile(&r->re, pat, what, err);
  if (rc) return rc;
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
  ge_tagflt_free(&s->tag_focus);
  ge_tagflt_free(&s->tag_ignore);
  memset(s, 0, sizeof *s);
}

ge_err ge_sel_init(sel *s, const ge_profile *p, const ge_prof_query *q, ge_error *err) {
  memset(s, 0, sizeof *s);
  s->p = p;
  s->name_filter = q->focus || q->ignore || q->hide || q->show;
  s->tag_filter = (q->tag_focus && *q->tag_focus) || (q->tag_ignore && *q->tag_ignore);
  rx r[4];
  memset(r, 0, sizeof r);
  ge_err rc = GE_OK;
  const char *pats[4] = {q->focus, q->ignore, q->hide, q->show};
  const char *names[4] = {"focus", "ignore", "hide", "show"};
  int ncomp = 0;
  for (; ncomp < 4 && !rc; ncomp++) rc = rx_comp(&r[ncomp], pats[ncomp], names[ncomp], err);
  if (!rc) rc = ge_tagflt_init(&s->tag_focus, p, q->tag_focus, "tagfocus", err);
  if (!rc) rc = ge_tagflt_init(&s->tag_ignore, p, q->tag_ignore, "tagignore", err);
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
  for (int k = 0; k < ncomp; k++)
    if (r[k].on) regfree(&r[k].re);
  free(fm);
  free(mm);
  if (rc) ge_sel_free(s);
  return rc;
}

int ge_sel_sample(const sel *s, size_t i) {
  const ge_profile *p = s->p;
  if (s->tag_filter) {
    if (s->tag_focus.on && !ge_tagflt_match(&s->tag_focus, p, i)) return 0;
    if (s->tag_ignore.on && ge_tagflt_match(&s->tag_ignore, p, i)) return 0;
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
