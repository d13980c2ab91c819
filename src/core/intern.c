#include "intern.h"

#include <stdlib.h>
#include <string.h>

void ge_intern_init(ge_intern *t) {
  memset(t, 0, sizeof *t);
  ge_arena_init(&t->arena, 64 * 1024);
  ge_intern_add(t, "", 0); /* id 0 */
}

void ge_intern_free(ge_intern *t) {
  ge_arena_free(&t->arena);
  free(t->ents);
  ge_hashidx_free(&t->ix);
  memset(t, 0, sizeof *t);
}

static uint32_t ent_hash(const void *ctx, uint32_t id) {
  return ((const ge_intern *)ctx)->ents[id].hash;
}

/* The id of s, or the slot where it goes (*slot) and UINT32_MAX. */
static uint32_t probe(const ge_intern *t, const char *s, size_t len, uint32_t h, size_t *slot) {
  size_t j = ge_hashidx_first(&t->ix, h);
  uint32_t id;
  for (; (id = ge_hashidx_at(&t->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&t->ix, j)) {
    const ge_intern_entry *e = &t->ents[id];
    if (e->hash == h && e->len == len && memcmp(e->ptr, s, len) == 0) return id;
  }
  *slot = j;
  return UINT32_MAX;
}

uint32_t ge_intern_find(const ge_intern *t, const char *s, size_t len) {
  size_t j;
  return probe(t, s, len, ge_hash(s, len), &j);
}

uint32_t ge_intern_add(ge_intern *t, const char *s, size_t len) {
  if (len > UINT32_MAX) return UINT32_MAX;
  uint32_t h = ge_hash(s, len);
  size_t j;
  if (ge_hashidx_reserve(&t->ix, t->n, ent_hash, t)) return UINT32_MAX;
  uint32_t found = probe(t, s, len, h, &j);
  if (found != UINT32_MAX) return found;
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 64;
    ge_intern_entry *ne = realloc(t->ents, nc * sizeof *ne);
    if (!ne) return UINT32_MAX;
    t->ents = ne;
    t->cap = nc;
  }
  char *copy = ge_arena_strndup(&t->arena, s, len);
  if (!copy) return UINT32_MAX;
  uint32_t id = (uint32_t)t->n++;
  t->ents[id] = (ge_intern_entry){copy, (uint32_t)len, h};
  ge_hashidx_set(&t->ix, j, id);
  return id;
}
