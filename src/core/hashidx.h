/* The one hash index of the core: a power-of-two table of slots, each 0
 * (empty) or an entry's index + 1, probed linearly. Entries live in the
 * caller's own arrays (interned strings, graph nodes, profile records); the
 * table only maps a hash to candidate indices, so it costs 4 bytes a slot
 * and an entry is never copied. The caller hashes (ge_hash, ge_mix64) and
 * compares; the table grows here, at half full, so that probe runs stay
 * short.
 *
 *   if (ge_hashidx_reserve(&x, n, hash_of, ctx)) ...out of memory...
 *   size_t j = ge_hashidx_first(&x, h);
 *   for (uint32_t i; (i = ge_hashidx_at(&x, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&x, j))
 *     if (equal(i)) return i;
 *   ...append entry n...
 *   ge_hashidx_set(&x, j, n);
 */
#ifndef GE_CORE_HASHIDX_H
#define GE_CORE_HASHIDX_H
#include <stddef.h>
#include <stdint.h>

#define GE_HASHIDX_NONE UINT32_MAX

typedef struct ge_hashidx {
  uint32_t *slots; /* entry index + 1; 0 = empty; NULL until the first reserve */
  size_t mask;     /* slots - 1 */
} ge_hashidx;

/* The hash of entry i, to place it again when the table grows. */
typedef uint32_t (*ge_hashidx_hash_fn)(const void *ctx, uint32_t i);

/* Makes room for entry n when entries 0..n-1 are in the table: grows it
 * (rehashing them through hash_of) when it would be over half full. On an
 * empty table (new, freed) it indexes entries 0..n-1 that already exist.
 * Returns 0, or -1 when out of memory or n does not fit an index. Probe
 * positions taken before it are stale. */
int ge_hashidx_reserve(ge_hashidx *x, size_t n, ge_hashidx_hash_fn hash_of, const void *ctx);
void ge_hashidx_free(ge_hashidx *x);
/* Empties the table, keeping its size: for callers that start their
 * entries afresh (a parser's per-package state). */
void ge_hashidx_clear(ge_hashidx *x);

/* Takes the entry out of slot j (where a probe found it), moving the
 * entries after it back so that every probe still reaches its entry
 * (linear probing has no tombstones). The caller then owns the entry's
 * index: to keep its entries dense it may move its last entry there and
 * point that entry's slot at the new index. */
void ge_hashidx_remove(ge_hashidx *x, size_t j, ge_hashidx_hash_fn hash_of, const void *ctx);

/* The first slot to probe for hash h. */
static inline size_t ge_hashidx_first(const ge_hashidx *x, uint32_t h) { return h & x->mask; }
/* The entry in slot j, or GE_HASHIDX_NONE: the probe ends there, and a new
 * entry of the probed hash goes in that slot. */
static inline uint32_t ge_hashidx_at(const ge_hashidx *x, size_t j) {
  return x->slots ? x->slots[j] - 1 : GE_HASHIDX_NONE;
}
static inline size_t ge_hashidx_next(const ge_hashidx *x, size_t j) { return (j + 1) & x->mask; }
/* Puts entry i in the empty slot j where a probe ended (after a reserve). */
static inline void ge_hashidx_set(ge_hashidx *x, size_t j, uint32_t i) { x->slots[j] = i + 1; }

/* The one mixer for keys that are numbers (ids, addresses, positions):
 * splitmix64's finalizer, every input bit reaching every output bit. Keys
 * of several fields go through it one field at a time,
 * h = ge_mix64(h ^ field), so that fields chosen by an input cannot cancel
 * each other out. */
static inline uint64_t ge_mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* A hash of bytes (strings, arrays of ids). */
uint32_t ge_hash(const void *s, size_t len);
#endif
