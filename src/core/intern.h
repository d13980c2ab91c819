/* String interning: equal strings get equal small ids, so grouping and
 * filtering compare integers. Id 0 is the empty string. Interned bytes are
 * copied into the table's arena (inputs may be unmapped before the table). */
#ifndef GE_CORE_INTERN_H
#define GE_CORE_INTERN_H
#include <stddef.h>
#include <stdint.h>
#include "arena.h"
#include "hashidx.h"

typedef struct ge_intern_entry {
  const char *ptr;
  uint32_t len;
  uint32_t hash;
} ge_intern_entry;

typedef struct ge_intern {
  ge_arena arena;
  ge_intern_entry *ents; /* by id */
  size_t n, cap;
  ge_hashidx ix;
} ge_intern;

void ge_intern_init(ge_intern *t);
void ge_intern_free(ge_intern *t);
/* Returns the id, or UINT32_MAX when out of memory. */
uint32_t ge_intern_add(ge_intern *t, const char *s, size_t len);
/* Returns the id, or UINT32_MAX when the string was never interned. */
uint32_t ge_intern_find(const ge_intern *t, const char *s, size_t len);
static inline const ge_intern_entry *ge_intern_get(const ge_intern *t, uint32_t id) {
  return &t->ents[id];
}
#endif
