/* What folded.c needs of the top report beyond its public accessors. */
#ifndef GE_PROFILE_TOP_H
#define GE_PROFILE_TOP_H
#include "goescape.h"

/* Sorts t's rows by name, in byte order: folded stacks are listed so. */
void ge_prof_top_sort_by_name(ge_prof_top *t);
#endif
