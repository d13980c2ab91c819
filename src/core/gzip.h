/* gzip (RFC 1952), whole buffers: the inputs that may arrive compressed
 * (profiles, escape logs) and the profiles goescape writes. */
#ifndef GE_CORE_GZIP_H
#define GE_CORE_GZIP_H
#include <stddef.h>
#include <stdint.h>
#include "goescape.h"

/* The gzip magic (1f 8b) at the start of b. */
int ge_is_gzip(const unsigned char *b, size_t n);
/* Inflates every member; *out malloc'd, never more than max bytes (a
 * GE_ERR_LIMIT error past that). */
ge_err ge_gunzip(const unsigned char *b, size_t n, uint64_t max, unsigned char **out,
                 size_t *outn, ge_error *err);
/* Deflates b into one gzip member; *out malloc'd. */
ge_err ge_gzip(const unsigned char *b, size_t n, unsigned char **out, size_t *outn,
               ge_error *err);
#endif
