/* Error helpers shared by every parser: set a ge_error with a formatted
 * message and return its code, so call sites read `return ge_fail(...)`.
 * A GE_ERR_LIMIT message names the limit that was hit and its value
 * ("(limit max_line_bytes = 40)"), nothing more: how to raise it depends on
 * the caller (the Lua binding and the command each add their own way). */
#ifndef GE_CORE_ERROR_H
#define GE_CORE_ERROR_H
#include "goescape.h"

#if defined(__GNUC__)
#define GE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GE_PRINTF(a, b)
#endif

ge_err ge_fail(ge_error *err, ge_err code, const char *fmt, ...) GE_PRINTF(3, 4);
/* Prefixes an existing message with "name: " (e.g. the input file name). */
void ge_error_prefix(ge_error *err, const char *prefix);
#endif
