/* The escape-log model shared by the text parser, the logopt JSON parser, the
 * accessors and the group/filter code.
 *
 * Records are flat arrays. Strings are spans (offset, length) into the
 * record's source: the mapped input file for text logs (zero-copy), or the
 * decoded-text buffer of a logopt file. file/package/func are interned ids
 * so that filters and groups compare integers. Explanation lines (-m=2
 * "flow:"/"from" lines) are kept as spans and split into fields on access
 * (ge_log_flow), so the parse stays one pass over the bytes. */
#ifndef GE_ESCAPE_LOG_H
#define GE_ESCAPE_LOG_H
#include <stdint.h>

#include "core/intern.h"
#include "core/mapfile.h"
#include "core/vec.h"
#include "goescape.h"

typedef struct ge_span {
  uint32_t off, len;
} ge_span;

typedef struct ge_source {
  char *name;           /* malloc'd copy of the input's name */
  ge_map map;           /* mapped file, or owned buffer (map.mapped == 0) */
  const char *text;     /* map.data as chars */
} ge_source;

typedef struct ge_rec {
  uint32_t source;
  uint32_t file, pkg, func; /* interned ids (0 = empty) */
  uint32_t line, col;
  ge_span msg, subject, target;
  int64_t n1, n2;       /* cost/budget, or level/derefs (see ge_log_get) */
  uint32_t flow_first, nflow;
  uint64_t input_line;
  uint8_t kind;
  uint8_t flags;
} ge_rec;

/* A -m=2 explanation line: span of the text after the "pos: " prefix. */
enum { GE_STEP_FLOW = 1, GE_STEP_FROM = 2, GE_STEP_NOTE = 3 };
typedef struct ge_step {
  uint32_t off, len;  /* in the owning record's source */
  uint32_t hop;       /* index (in the record's flow) of this step's "flow:" line */
  uint32_t type;
} ge_step;

/* Records by (file basename, line), built on first use by ge_log_at_line. */
typedef struct ge_line_index {
  ge_hashidx ix;   /* the distinct (basename, line) keys */
  uint32_t *head;  /* key -> its first record, index + 1 */
  uint32_t *hash;  /* key -> its hash */
  uint32_t *next;  /* record index -> next record index + 1 of its key */
  size_t nrecs;    /* records indexed (the log may grow after) */
} ge_line_index;

struct ge_log {
  ge_limits lim;
  ge_line_index lines;
  ge_intern strings;
  GE_VEC(ge_source) sources;
  GE_VEC(ge_rec) recs;
  GE_VEC(ge_step) steps;
  ge_log_stats stats;
};

/* Parses text held by source `si` (already added to log->sources). */
ge_err ge_text_parse(ge_log *log, uint32_t si, ge_error *err);
/* Parses a logopt JSON file held by source `si`; replaces the source's text
 * with the decoded text that the records point into. */
ge_err ge_logopt_parse(ge_log *log, uint32_t si, ge_error *err);
/* Classifies one diagnostic message (after "file:line:col: "). */
typedef struct ge_class {
  ge_kind kind;
  ge_span subject, target, func; /* relative to the message start */
  int64_t n1, n2;
  int header;                    /* -m=2 block header (ends with ':') */
} ge_class;
void ge_classify(const char *msg, size_t len, ge_class *out);
/* Splits an explanation line into fields. */
void ge_step_fields(const char *text, size_t len, int type, ge_flow_step *out);
/* Adds a source; takes ownership of *m. Returns the index or UINT32_MAX. */
uint32_t ge_log_add_source(ge_log *log, const char *name, ge_map *m);
/* Does `s` look like a logopt JSON file (first line a version header)? */
int ge_logopt_sniff(const char *s, size_t len);
#endif
