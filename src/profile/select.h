/* Sample selection shared by top, folded and the writer's filters: pprof's
 * -focus/-ignore/-hide/-show (profile/filter.go FilterSamplesByName) and
 * tag filters (FilterSamplesByTag), evaluated once per function/mapping. */
#ifndef GE_PROFILE_SELECT_H
#define GE_PROFILE_SELECT_H
#include <regex.h>

#include "model.h"

enum { SEL_FOCUS = 1, SEL_IGNORE = 2, SEL_HIDDEN = 4 };

/* One -tagfocus or -tagignore (tagfilter.c). */
typedef struct tkconv {
  double mul, div; /* value * mul / div is the value in the filter's unit */
  uint8_t ok;      /* 1: the key's unit converts to the filter's */
} tkconv;

typedef struct tagflt {
  int on, numeric, any_key;
  uint32_t key;       /* interned id (UINT32_MAX: absent from the profile) */
  int op;             /* numeric: ==, >=, <=, range */
  double lo, hi;
  char unit[32];      /* the filter's unit after measurement.Scale */
  size_t unitlen;
  tkconv *kconv;      /* per key string id */
  size_t nkconv;
  regex_t *re;        /* string: comma-separated regexps */
  size_t nre;
  uint8_t *str_hit;   /* with a key: per string id, bit0 = some regexp matches */
  uint32_t *lab_hit;  /* without: per label, bit r = regexp r matches "key:value" */
} tagflt;

ge_err ge_tagflt_init(tagflt *t, const ge_profile *p, const char *spec, const char *what,
                      ge_error *err);
void ge_tagflt_free(tagflt *t);
int ge_tagflt_match(const tagflt *t, const ge_profile *p, size_t sample);

typedef struct sel {
  const ge_profile *p;
  int name_filter;    /* any of focus/ignore/hide/show */
  int tag_filter;
  int any_hidden;
  uint8_t *loc;       /* SEL_* per location */
  uint8_t *line_vis;  /* per line: 1 visible */
  tagflt tag_focus, tag_ignore;
} sel;

ge_err ge_sel_init(sel *s, const ge_profile *p, const ge_prof_query *q, ge_error *err);
void ge_sel_free(sel *s);
/* Whether sample i passes the filters (a pass needs at least one visible
 * location when any name filter is set, as in pprof). */
int ge_sel_sample(const sel *s, size_t i);
#endif
