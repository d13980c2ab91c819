/* Shared by the trace reader (read.c: open, generations, counts), the
 * iterator (iter.c: per-generation tables, time merge, per-M context) and
 * the event table (spec.c). */
#ifndef GE_TRACE_INTERNAL_H
#define GE_TRACE_INTERNAL_H
#include <stdint.h>
#include <stdlib.h>

#include "core/hashidx.h"
#include "core/mapfile.h"
#include "core/varint.h"
#include "goescape/trace.h"

enum { GE_TRACE_SPEC_STRUCT = 1, GE_TRACE_SPEC_TIMED, GE_TRACE_SPEC_TABLE_EVENT };

typedef struct ge_trace_spec {
  const char *name;
  uint8_t since; /* the first header version with the type */
  uint8_t kind;  /* GE_TRACE_SPEC_* */
  uint8_t nargs; /* after dt for timed events */
  const char *args[GE_TRACE_MAXARGS];
  uint8_t argkind[GE_TRACE_MAXARGS];
} ge_trace_spec;

extern const ge_trace_spec ge_trace_specs[GE_TRACE_NTYPES];

/* Wire bytes. */
enum {
  EV_BATCH = 1, EV_STACKS = 2, EV_STACK = 3, EV_STRINGS = 4, EV_STRING = 5,
  EV_CPUSAMPLES = 6, EV_CPUSAMPLE = 7, EV_FREQUENCY = 8, EV_PROCSTART = 10, EV_PROCSTOP = 11,
  EV_PROCSTEAL = 12, EV_PROCSTATUS = 13, EV_GOCREATE = 14, EV_GOCREATESYSCALL = 15,
  EV_GOSTART = 16, EV_GODESTROY = 17, EV_GODESTROYSYSCALL = 18, EV_GOSTOP = 19, EV_GOBLOCK = 20,
  EV_GOUNBLOCK = 21, EV_GOSYSCALLENDBLOCKED = 24, EV_GOSTATUS = 25, EV_GCACTIVE = 28,
  EV_GCBEGIN = 29, EV_GCEND = 30, EV_GCMARKASSISTACTIVE = 34, EV_GOSWITCH = 45,
  EV_GOSWITCHDESTROY = 46, EV_GOCREATEBLOCKED = 47, EV_GOSTATUSSTACK = 48, EV_EXPBATCH = 49,
  EV_SYNC = 50, EV_CLOCKSNAPSHOT = 51, EV_ENDOFGEN = 52
};
#define MAX_BATCH_SIZE 65536u /* the runtime's buffers; Go's reader refuses more */
#define MAX_STRING_SIZE 1024u /* the runtime truncates longer strings */
#define MAX_FRAMES 128u       /* the runtime truncates deeper stacks */
#define GSTATUS_RUNNING 2
#define GSTATUS_SYSCALL 3
#define PSTATUS_RUNNING 1
#define PSTATUS_SYSCALL 3

/* An unsigned LEB128 number at *p (before end), as Go's binary.Uvarint reads
 * it (core/varint.h: at most 10 bytes; padded forms accepted, since the
 * runtime back-patches batch lengths into 10 reserved bytes). Returns 0, or
 * -1 when the bytes end first (a cut-off trace), -2 when it overflows 64
 * bits (a corrupt one). */
static inline int ge_tr_uvarint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  if (ge_uvarint(p, end, v)) return 0;
  for (const unsigned char *q = *p; q < end; q++)
    if (*q < 0x80 || q - *p >= 9) return -2;
  return -1;
}

/* Trace clock ticks to nanoseconds the way Go's reader does (float64
 * nanoseconds per tick, truncated), saturating where Go's conversion would
 * be undefined in C. */
static inline int64_t ge_tr_ns(uint64_t ticks, double nspt) {
  double d = (double)ticks * nspt;
  if (!(d < 9.2e18)) return INT64_MAX / 2;
  return (int64_t)d;
}

/* t plus a delta of ticks, saturating as ge_tr_ns does: crafted deltas near
 * 2^64 summed over a batch would overflow a signed time, which C leaves
 * undefined. t is never negative. */
static inline int64_t ge_tr_after(int64_t t, uint64_t dt, double nspt) {
  int64_t d = ge_tr_ns(dt, nspt);
  return t > INT64_MAX / 2 - d ? INT64_MAX / 2 : t + d;
}

/* ------------------------------------------------ id -> index hash maps */

/* The core's hash index (core/hashidx.h) over (id, value) entries: ids
 * are any 64-bit values from the input. */
typedef struct ge_tr_entry {
  uint64_t key;
  uint32_t val;
} ge_tr_entry;

typedef struct ge_tr_map {
  ge_tr_entry *v;
  size_t n, cap;
  ge_hashidx ix;
} ge_tr_map;

static inline uint32_t ge_tr_hash(uint64_t k) { return (uint32_t)ge_mix64(k); }

/* The value stored for k, or UINT32_MAX. */
static inline uint32_t ge_tr_map_get(const ge_tr_map *m, uint64_t k) {
  uint32_t i;
  for (size_t j = ge_hashidx_first(&m->ix, ge_tr_hash(k));
       (i = ge_hashidx_at(&m->ix, j)) != GE_HASHIDX_NONE; j = ge_hashidx_next(&m->ix, j))
    if (m->v[i].key == k) return m->v[i].val;
  return UINT32_MAX;
}

/* Stores k -> v unless k is present; returns the value now stored, or
 * UINT32_MAX when out of memory. */
uint32_t ge_tr_map_put(ge_tr_map *m, uint64_t k, uint32_t v);
void ge_tr_map_clear(ge_tr_map *m);
void ge_tr_map_free(ge_tr_map *m);

/* ------------------------------------------------------------ the trace */

typedef struct ge_tr_gen {
  uint64_t gen, offset, size, freq, events;
  int64_t start_ns, end_ns;
  double nspt; /* nanoseconds per tick */
} ge_tr_gen;

struct ge_trace {
  char *name;
  unsigned minor;
  ge_limits lim;
  /* The input: a regular file is read again by offset (fd, checked against
   * id); anything else is held whole in mem. */
  int fd;
  ge_fileid id;
  ge_map map;
  unsigned char *copy; /* ge_trace_parse's bytes */
  const unsigned char *mem;
  uint64_t size;

  ge_tr_gen *gens;
  size_t ngens, capgens;
  uint64_t counts[GE_TRACE_NTYPES];
  uint64_t goroutines, gc_cycles, events, max_gen_bytes, lost_bytes;
  int64_t start_ns, end_ns;
  char *warning;
};

/* Reads [off, off + n) of the input: a pointer into memory, or into buf
 * (which must hold n bytes) for a file. NULL with err set when the file
 * changed or cannot be read. */
const unsigned char *ge_tr_read(const ge_trace *t, uint64_t off, size_t n, unsigned char *buf,
                                ge_error *err);

/* The header's check (t->minor set); the first pass (read.c). */
ge_err ge_tr_check_header(ge_trace *t, const unsigned char *h, size_t n, ge_error *err);
ge_err ge_tr_decode(ge_trace *t, ge_error *err);

/* A batch's header at p. */
typedef struct ge_tr_batch {
  uint64_t gen, m, time, len;
  uint32_t hdr; /* header bytes */
  int exp;      /* experiment id, -1 for an ordinary batch */
} ge_tr_batch;

/* Parses a batch header: 0, -1 when the bytes end first, -2 when malformed
 * (*why says how). */
int ge_tr_batch_parse(const unsigned char *p, const unsigned char *end, unsigned minor,
                      ge_tr_batch *b, const char **why);

/* Is type an event that may appear in an event batch of this version? */
static inline int ge_tr_timed_ok(unsigned type, unsigned minor) {
  const ge_trace_spec *s = &ge_trace_specs[type];
  return s->kind == GE_TRACE_SPEC_TIMED && s->since <= minor;
}
#endif
