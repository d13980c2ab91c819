/* A small JSON reader for the compiler's logopt files: strings decoded
 * (escapes and surrogate pairs resolved) into one growing buffer that the
 * records then point into, integers, objects walked key by key, anything
 * else skipped. Nesting is bounded (64) so no input can exhaust the stack.
 * Every function returns 0 on success, -1 on bad JSON or out of memory (oom
 * set). */
#ifndef GE_ESCAPE_JSONREAD_H
#define GE_ESCAPE_JSONREAD_H
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* A reader over one JSON text; decoded strings go to out. */
typedef struct ge_jr {
  const char *p, *end, *base;
  char *out;           /* decoded text buffer */
  size_t on, ocap;
  int depth;
  int oom;
} ge_jr;

static inline void ge_jr_ws(ge_jr *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r')) j->p++;
}
static inline int ge_jr_eat(ge_jr *j, char c) {
  ge_jr_ws(j);
  if (j->p < j->end && *j->p == c) {
    j->p++;
    return 1;
  }
  return 0;
}

int ge_jr_reserve(ge_jr *j, size_t n);
int ge_jr_put(ge_jr *j, const char *s, size_t n);
/* Decodes a JSON string into the output buffer; *sp gets its span there. */
int ge_jr_string(ge_jr *j, ge_span *sp);
int ge_jr_number(ge_jr *j, int64_t *v);
/* Skips one value of any type. */
int ge_jr_skip(ge_jr *j);
/* Iterates an object: calls fn for each key with the reader positioned
 * at the value; fn must consume the value (or return 1 to skip it). */
typedef int (*ge_jr_key_fn)(ge_jr *j, const char *key, size_t klen, void *ud);
int ge_jr_object(ge_jr *j, ge_jr_key_fn fn, void *ud);
#endif
