/* Input files: regular files are mmap'd read-only (zero-copy); pipes, stdin
 * ("-") and special files are read into a malloc'd buffer. */
#ifndef GE_CORE_MAPFILE_H
#define GE_CORE_MAPFILE_H
#include <stddef.h>
#include <stdint.h>
#include "goescape.h"

typedef struct ge_map {
  const unsigned char *data;
  size_t size;
  int mapped; /* 1: munmap on close; 0: free */
} ge_map;

/* max_bytes bounds what is read from a non-mappable stream (0: unbounded). */
ge_err ge_map_open(const char *path, ge_map *m, uint64_t max_bytes, ge_error *err);
ge_err ge_map_fd(int fd, const char *name, ge_map *m, uint64_t max_bytes, ge_error *err);
/* The same for inputs read whole, front to back (logs, profiles): the
 * mapping is populated up front, which costs less than faulting page by page.
 * Binaries, read sparsely, use ge_map_open. */
ge_err ge_map_open_whole(const char *path, ge_map *m, uint64_t max_bytes, ge_error *err);
void ge_map_close(ge_map *m);
#endif
