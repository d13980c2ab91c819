#include "bigmem.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)
#define PAGE ((size_t)4096)

static size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

/* Below a huge page there is nothing to align. Above, whole huge pages: a
 * 2 MB-aligned range is only backed by a huge page when the mapping covers
 * all of it, so the 1.2 MB past the first 2 MB of a 3.2 MB array took ~300
 * faults of 4 KB pages; zeroing the rest of its huge page costs less. */
size_t ge_big_size(size_t size) {
  return size >= HUGE_PAGE ? round_up(size, HUGE_PAGE) : round_up(size, PAGE);
}

void *ge_big_alloc(size_t size) {
  if (!size || size > SIZE_MAX - 2 * HUGE_PAGE) return NULL;
  size_t len = ge_big_size(size);
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
  if (p) munmap(p, ge_big_size(size));
}
