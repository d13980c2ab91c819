#include "bigmem.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)
#define PAGE ((size_t)4096)

static size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

void *ge_big_alloc(size_t size) {
  if (!size || size > SIZE_MAX - 2 * HUGE_PAGE) return NULL;
  size_t len = round_up(size, PAGE);
  /* Below a huge page there is nothing to align. */
  size_t over = len >= HUGE_PAGE ? HUGE_PAGE : 0;
  uint8_t *raw = mmap(NULL, len + over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return NULL;
  if (!over) return raw;
  uint8_t *p = (uint8_t *)round_up((uintptr_t)raw, HUGE_PAGE);
  size_t head = (size_t)(p - raw), tail = over - head;
  if (head) munmap(raw, head);
  if (tail) munmap(p + len, tail);
#ifdef MADV_HUGEPAGE
  madvise(p, len, MADV_HUGEPAGE); /* a hint: without it, 4 KB pages */
#endif
  return p;
}

void *ge_big_realloc(void *p, size_t old_size, size_t new_size) {
  void *q = ge_big_alloc(new_size);
  if (!q) return NULL;
  if (p) {
    memcpy(q, p, old_size < new_size ? old_size : new_size);
    ge_big_free(p, old_size);
  }
  return q;
}

void ge_big_free(void *p, size_t size) {
  if (p) munmap(p, round_up(size, PAGE));
}
