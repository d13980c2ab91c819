#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct ge_arena_chunk {
  ge_arena_chunk *next;
  size_t used, cap;
  max_align_t data[];
};

void ge_arena_init(ge_arena *a, size_t chunk_size) {
  a->head = NULL;
  a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
  a->total = 0;
}

void *ge_arena_alloc(ge_arena *a, size_t n, size_t align) {
  ge_arena_chunk *c = a->head;
  if (c) {
    size_t at = (c->used + (align - 1)) & ~(align - 1);
    if (at <= c->cap && n <= c->cap - at) {
      c->used = at + n;
      return (char *)c->data + at;
    }
  }
  /* A large request gets a chunk of its own; the current chunk stays head so
   * its free tail is not wasted. */
  size_t cap = a->chunk_size;
  if (n + align > cap) cap = n + align;
  if (cap > SIZE_MAX - sizeof(ge_arena_chunk)) return NULL;
  c = malloc(sizeof(ge_arena_chunk) + cap);
  if (!c) return NULL;
  a->total += sizeof(ge_arena_chunk) + cap;
  c->cap = cap;
  c->used = n;
  if (a->head && n + align > a->chunk_size) {
    c->next = a->head->next;
    a->head->next = c;
  } else {
    c->next = a->head;
    a->head = c;
  }
  return c->data;
}

char *ge_arena_strndup(ge_arena *a, const char *s, size_t n) {
  char *p = ge_arena_alloc(a, n + 1, 1);
  if (!p) return NULL;
  if (n) memcpy(p, s, n);
  p[n] = 0;
  return p;
}

void ge_arena_free(ge_arena *a) {
  ge_arena_chunk *c = a->head;
  while (c) {
    ge_arena_chunk *n = c->next;
    free(c);
    c = n;
  }
  a->head = NULL;
  a->total = 0;
}
