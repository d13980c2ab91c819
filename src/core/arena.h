/* Arena allocation: objects of one handle are carved from large chunks and
 * freed together, so parsers never malloc per record. */
#ifndef GE_CORE_ARENA_H
#define GE_CORE_ARENA_H
#include <stddef.h>

typedef struct ge_arena_chunk ge_arena_chunk;
typedef struct ge_arena {
  ge_arena_chunk *head;
  size_t chunk_size;
  size_t total; /* bytes obtained from malloc, for statistics */
} ge_arena;

void ge_arena_init(ge_arena *a, size_t chunk_size);
/* NULL when out of memory. align must be a power of two. */
void *ge_arena_alloc(ge_arena *a, size_t n, size_t align);
/* Copies n bytes and appends a NUL; NULL when out of memory. */
char *ge_arena_strndup(ge_arena *a, const char *s, size_t n);
void ge_arena_free(ge_arena *a);
#endif
