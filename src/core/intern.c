#include "intern.h"

#include <stdlib.h>
#include <string.h>

uint32_t ge_hash(const char *s, size_t len) {
  /* Eight bytes per step (multiply-xorshift), then the tail: keys are paths
   * and Go names of 10-100 bytes, hashed once per record. */
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (len * 0xff51afd7ed558ccdull);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  uint64_t t = 0;
  for (size_t k = 0; i + k < len; k++) t |= (uint64_t)(unsigned char)s[i + k] << (8 * k);
  h = (h ^ t) * 0x94d049bb133111ebull;
  h ^= h >> 29;
  return (uint32_t)(h ^ (h >> 32));
}

void ge_intern_init(ge_intern *t) {
  memset(t, 0, sizeof *t);
  ge_arena_init(&t->arena, 64 * 1024);
  ge_intern_add(t, "", 0); /* id 0 */
}

void ge_intern_free(ge_intern *t) {
  ge_arena_free(&t->arena);
  free(t->ents);
  free(t->slots);
  memset(t, 0, sizeof *t);
}

static int grow_slots(ge_intern *t) {
  size_t ns = t->nslots ? t->nslots * 2 : 256;
  uint32_t *slots = calloc(ns, sizeof *slots);
  if (!slots) return -1;
  for (size_t id = 0; id < t->n; id++) {
    size_t i = t->ents[id].hash & (ns - 1);
    while (slots[i]) i = (i + 1) & (ns - 1);
    slots[i] = (uint32_t)id + 1;
  }
  free(t->slots);
  t->slots = slots;
  t->nslots = ns;
  return 0;
}

uint32_t ge_intern_find(const ge_intern *t, const char *s, size_t len) {
  if (!t->nslots) return UINT32_MAX;
  uint32_t h = ge_hash(s, len);
  size_t i = h & (t->nslots - 1);
  while (t->slots[i]) {
    const ge_intern_entry *e = &t->ents[t->slots[i] - 1];
    if (e->hash == h && e->len == len && memcmp(e->ptr, s, len) == 0)
      return t->slots[i] - 1;
    i = (i + 1) & (t->nslots - 1);
  }
  return UINT32_MAX;
}

uint32_t ge_intern_add(ge_intern *t, const char *s, size_t len) {
  if (len > UINT32_MAX) return UINT32_MAX;
  uint32_t found = ge_intern_find(t, s, len);
  if (found != UINT32_MAX) return found;
  if ((t->n + 1) * 2 > t->nslots && grow_slots(t)) return UINT32_MAX;
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 64;
    ge_intern_entry *ne = realloc(t->ents, nc * sizeof *ne);
    if (!ne) return UINT32_MAX;
    t->ents = ne;
    t->cap = nc;
  }
  char *copy = ge_arena_strndup(&t->arena, s, len);
  if (!copy) return UINT32_MAX;
  uint32_t h = ge_hash(s, len);
  uint32_t id = (uint32_t)t->n++;
  t->ents[id] = (ge_intern_entry){copy, (uint32_t)len, h};
  size_t i = h & (t->nslots - 1);
  while (t->slots[i]) i = (i + 1) & (t->nslots - 1);
  t->slots[i] = id + 1;
  return id;
}
