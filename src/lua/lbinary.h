/* The name of goescape.core's ge_binary userdata. */
#ifndef GE_LUA_LBINARY_H
#define GE_LUA_LBINARY_H
#include "compat.h"
#include "goescape.h"

#define GE_BINARY_MT "goescape.binary"

#endif
