/* goescape — ge_binary API (see goescape.h for errors and limits). */
#ifndef GOESCAPE_BINARY_H
#define GOESCAPE_BINARY_H
#include "../goescape.h"
#endif
