/* Sample selection shared by top, folded and the writer's filters: pprof's
 * -focus/-ignore/-hide/-show (profile/filter.go FilterSamplesByName) and
 * tag filters (FilterSamplesByTag), evaluated once per function/mapping. */
#ifndef GE_PROFILE_SELECT_H
#define GE_PROFILE_SELECT_H
#include "model.h"

enum { SEL_FOCUS = 1, SEL_IGNORE = 2, SEL_HIDDEN = 4 };

typedef struct sel {
  const ge_profile *p;
  int name_filter;    /* any of focus/ignore/hide/show */
  int tag_filter;
  int any_hidden;
  uint8_t *loc;       /* SEL_* per location */
  uint8_t *line_vis;  /* per line: 1 visible */
  uint32_t tag_key;   /* interned id, UINT32_MAX = key absent from profile */
  uint8_t *tag_str;   /* per string id: bit0 tag_focus match, bit1 tag_ignore match */
  size_t ntag_str;
  const char *tag_focus, *tag_ignore;
  void *re_tf, *re_ti;
} sel;

ge_err ge_sel_init(sel *s, const ge_profile *p, const ge_prof_query *q, ge_error *err);
void ge_sel_free(sel *s);
/* Whether sample i passes the filters (a pass needs at least one visible
 * location when any name filter is set, as in pprof). */
int ge_sel_sample(const sel *s, size_t i);
#endif
