/* goescape — ge_profile API (see goescape.h for errors and limits). */
#ifndef GOESCAPE_PROFILE_H
#define GOESCAPE_PROFILE_H
#include "../goescape.h"
#endif
