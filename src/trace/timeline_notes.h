/* The timeline's user regions and logs (timeline_notes.c), for timeline.c. */
#ifndef GE_TRACE_TIMELINE_NOTES_H
#define GE_TRACE_TIMELINE_NOTES_H
#include "goescape/trace.h"
#include "trace/internal.h"

typedef struct tl_open tl_open;
typedef struct tl_name tl_name;

typedef struct tl_notes {
  int64_t from, to, gap; /* spans closer than gap are one */
  char *text;            /* region names, log keys and values, NUL-separated */
  size_t ntext, captext;
  struct tl_str { size_t off, len; } *strs; /* text ids: index here */
  size_t nstrs, capstrs;
  tl_name *names;    /* region names, first seen first */
  size_t nnames, capnames;
  ge_tr_map byhash;  /* a name's content hash -> its index */
  ge_tr_map genname; /* the walk's generation: string id -> name index */
  tl_open *open;     /* regions begun and not ended, in begin order */
  size_t nopen, capopen;
  ge_trace_tl_span *logs;
  size_t nlogs, caplogs;
  uint64_t regions, logcount;
} tl_notes;

/* Walks t's region and log events into n (zeroed, from/to/gap set). */
ge_err tl_notes_walk(tl_notes *n, const ge_trace *t, ge_error *err);
void tl_notes_free(tl_notes *n);
uint32_t tl_notes_name_text(const tl_notes *n, size_t name);
size_t tl_notes_regions(const tl_notes *n, size_t name, const ge_trace_tl_span **out);
ge_strview tl_notes_text(const tl_notes *n, uint32_t id);
#endif
