/* Scratch buffers of megabytes (batch lookups: sort keys, frames, answers).
 * Each is its own anonymous mapping, 2 MB-aligned and marked for transparent
 * huge pages: filling 10 MB of fresh 4 KB pages took ~2500 page faults, a
 * tenth of a 200k-PC symbolization; with huge pages it takes a handful.
 * Pages are only touched when written, so sizing for the worst case is
 * cheap. The cost of the hint: where THP defrag is "madvise" (Debian's
 * default) a fault may compact memory first; /proc/vmstat compact_stall
 * stayed 0 over this project's benches and specs. */
#ifndef GE_CORE_BIGMEM_H
#define GE_CORE_BIGMEM_H
#include <stddef.h>

/* The bytes a mapping of size bytes takes: whole pages, whole huge pages
 * from 2 MB up. */
size_t ge_big_size(size_t size);
/* A zeroed mapping of ge_big_size(size) bytes (size > 0), or NULL. */
void *ge_big_alloc(size_t size);
/* A mapping of new_size holding the first min(old, new) bytes of p (which
 * ge_big_alloc or this made with old_size; NULL for none), or NULL, with p
 * still valid. */
void *ge_big_realloc(void *p, size_t old_size, size_t new_size);
void ge_big_free(void *p, size_t size);
#endif
