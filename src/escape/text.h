/* Line-level state machine for text escape logs (go build -gcflags=-m[=N]),
 * shared by the whole-file parser and the streaming reader. */
#ifndef GE_ESCAPE_TEXT_H
#define GE_ESCAPE_TEXT_H
#include "log.h"

/* Positions that -m=2 output links: an explained header waiting for its
 * final diagnostic, or the function named by a parameter-leak header. */
typedef struct ge_posent {
  uint32_t val;   /* PENDING: record index; HINT: interned function id */
  uint32_t subject_hash;
  uint32_t next;  /* the next entry at this position (index+1, 0: none) */
  uint8_t type;   /* 0 dead, 1 pending header, 2 function hint */
} ge_posent;

/* A distinct position and its chain of entries, oldest first. */
typedef struct ge_poskey {
  uint32_t file, line, col;
  uint32_t head, tail; /* its first and last entries (index+1) */
} ge_poskey;

typedef struct ge_text {
  ge_log *log;
  uint32_t si;            /* source index */
  uint32_t pkg;           /* current "# pkg" (interned) */
  int64_t block;          /* record whose explanation lines follow, or -1 */
  uint32_t block_prefix_off, block_prefix_len;
  uint32_t last_file;     /* cache: last file path seen and its id */
  uint32_t last_file_off, last_file_len;
  GE_VEC(ge_posent) pos;  /* linear, small: cleared per package */
  GE_VEC(ge_poskey) keys; /* the positions of pos, indexed by ix */
  ge_hashidx ix;
  size_t npending;        /* alive pending headers */
  size_t dead;            /* records folded into others, awaiting compaction */
} ge_text;

void ge_text_init(ge_text *t, ge_log *log, uint32_t si);
void ge_text_free(ge_text *t);
/* One line at offset off (length len, no newline) of the source text. */
ge_err ge_text_line(ge_text *t, uint32_t off, uint32_t len, uint64_t lineno, ge_error *err);
/* Drops records folded into others (kind GE_K__COUNT) from index `from` on.
 * Only when no pending position refers to a record index. */
void ge_text_compact(ge_log *log, size_t from);
/* Forgets positions (a new package starts, or the stream was flushed). */
void ge_text_reset_positions(ge_text *t);
#endif
