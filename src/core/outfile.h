/* Output files: written whole to a temporary file in the target's
 * directory, checked on every write and on close, then renamed over the
 * target, so a failed or interrupted write (full disk, a signal) leaves the
 * previous file as it was. A target that exists and is not a regular file
 * (/dev/stdout, a FIFO) is written in place. */
#ifndef GE_CORE_OUTFILE_H
#define GE_CORE_OUTFILE_H
#include <stddef.h>
#include "goescape.h"

ge_err ge_write_file(const char *path, const void *data, size_t len, ge_error *err);
#endif
