/*
 * goescape — public C API.
 *
 * One opaque handle per input kind: ge_log (compiler escape/inlining
 * diagnostics, here), ge_profile (pprof profiles, goescape/profile.h),
 * ge_binary (Go ELF binaries, goescape/binary.h) and ge_trace (Go execution
 * traces, goescape/trace.h).
 * Every function that reads input takes a ge_error* and returns a ge_err; the
 * error message names the input and the byte offset or line where it went
 * wrong. Nothing here keeps global mutable state: handles are independent and
 * may be used from different threads (one thread per handle).
 */
#ifndef GOESCAPE_H
#define GOESCAPE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GE_API __attribute__((visibility("default")))
#else
#define GE_API
#endif

/* ---------------------------------------------------------------- errors */

typedef enum ge_err {
  GE_OK = 0,
  GE_ERR_IO,       /* the input could not be opened or read */
  GE_ERR_NOMEM,    /* out of memory */
  GE_ERR_FORMAT,   /* the input is not in the expected format */
  GE_ERR_LIMIT,    /* a resource limit (ge_limits) was reached */
  GE_ERR_ARG,      /* the caller passed a bad argument */
  GE_ERR_NOTFOUND  /* a looked-up item does not exist */
} ge_err;

#define GE_ERRMSG_MAX 512

typedef struct ge_error {
  ge_err code;
  char msg[GE_ERRMSG_MAX];
} ge_error;

/* A short stable name for an error code: "io", "nomem", "format", ... */
GE_API const char *ge_err_name(ge_err code);

/* --------------------------------------------------------------- limits */

/* Resource limits applied to untrusted input. ge_limits_default() fills the
 * documented defaults; hitting one is a GE_ERR_LIMIT error whose message names
 * the limit (e.g. "max_line_bytes") so that the user knows what to raise. */
typedef struct ge_limits {
  uint64_t max_line_bytes;     /* longest text line accepted (64 MiB) */
  uint64_t max_inflated_bytes; /* decompressed size cap for gzip input (4 GiB) */
  uint64_t max_records;        /* diagnostics / samples / locations (1<<28) */
  uint32_t max_profile_ratio;  /* bytes a decoded profile may take per byte of
                                  it after gzip, plus 1 MiB (8) */
  uint32_t max_flow_steps;     /* -m=2 steps attached to one diagnostic (100000) */
  uint32_t max_inline_depth;   /* inlined frames expanded for one PC (1000) */
  uint32_t max_dir_files;      /* files read from one logopt directory (1000000) */
  uint32_t max_threads;        /* threads one batch may use (the CPUs the process
                                  may run on); 1: none but the caller's */
  uint64_t max_fetch_bytes;    /* body of one HTTP answer (ge_net_get; 1 GiB) */
} ge_limits;

GE_API void ge_limits_default(ge_limits *lim);

/* ---------------------------------------------------------- string views */

/* A view into memory owned by a handle; not NUL-terminated. */
typedef struct ge_strview {
  const char *ptr;
  size_t len;
} ge_strview;

/* ============================================================ escape logs */

/* Diagnostic kinds: a closed set. GE_K_UNKNOWN keeps anything unrecognized
 * with its raw message. The string names (ge_kind_name) are the API used by
 * Lua and JSON output; doc/kinds.md documents each. */
typedef enum ge_kind {
  GE_K_UNKNOWN = 0,
  /* escape analysis */
  GE_K_MOVED_TO_HEAP,          /* moved to heap: x */
  GE_K_ESCAPES_TO_HEAP,        /* x escapes to heap */
  GE_K_DOES_NOT_ESCAPE,        /* x does not escape */
  GE_K_LEAKING_PARAM,          /* leaking param: p */
  GE_K_LEAKING_PARAM_CONTENT,  /* leaking param content: p */
  GE_K_LEAKING_PARAM_RESULT,   /* leaking param: p to result ~r0 level=0 */
  GE_K_PARAM_LEAKS,            /* parameter p leaks to {heap} with derefs=0 */
  GE_K_TOO_LARGE_FOR_STACK,    /* x too large for stack */
  GE_K_NON_CONSTANT_SIZE,      /* make with non-constant size (old wording) */
  GE_K_CLOSURE_CAPTURE,        /* f capturing by ref: x (addr=.. assign=.. width=N) */
  GE_K_UNSAFE_UINTPTR,         /* assuming x is unsafe uintptr */
  GE_K_ESCAPING_UINTPTR,       /* marking x as escaping uintptr / ...uintptr */
  GE_K_SELF_ASSIGNMENT,        /* x ignoring self-assignment in y */
  GE_K_ZERO_COPY,              /* zero-copy string->[]byte conversion */
  GE_K_STACK_COPY,             /* logopt "copy": N bytes copied */
  /* inlining */
  GE_K_CAN_INLINE,             /* can inline F [with cost N] */
  GE_K_CANNOT_INLINE,          /* cannot inline F: reason */
  GE_K_CANNOT_INLINE_CALL,     /* cannot inline call to F (logopt) */
  GE_K_INLINING_CALL,          /* inlining call to F */
  GE_K_DEVIRTUALIZED,          /* devirtualizing x to T */
  GE_K_PGO_DEVIRTUALIZED,      /* PGO devirtualizing interface call x to T */
  /* other optimization diagnostics */
  GE_K_BOUNDS_CHECK,           /* Found IsInBounds / isInBounds */
  GE_K_SLICE_BOUNDS_CHECK,     /* Found IsSliceInBounds / isSliceInBounds */
  GE_K_BOUNDS_CHECK_ELIDED,    /* index bounds check elided */
  GE_K_NIL_CHECK,              /* generated / removed nil check */
  GE_K_LIVE,                   /* live at call to F: x y / live at entry */
  GE_K_STACK_OBJECT,           /* stack object x T */
  GE_K_LOOPVAR,                /* loop variable x now per-iteration, ... */
  GE_K_TRACE,                  /* -m=3 traces: "[depth] F stmt: ...", labels, dumps */
  GE_K_MUTATES_PARAM,          /* mutates param: p derefs=N (-d=escapemutationscalls) */
  GE_K_CALLS_PARAM,            /* calls param: p derefs=N (-d=escapemutationscalls) */
  GE_K_BIG_FUNCTION,           /* function F considered 'big'; reducing max cost of inlinees */
  GE_K_CANNOT_DEVIRTUALIZE,    /* cannot devirtualize x.M(): shaped receiver T */
  GE_K_KEEP_ALIVE,             /* testing.B.Loop: x will be kept alive (-m=2) */
  GE_K_CLOSURE_GLOBAL,         /* closure converted to global (-d=closure) */
  GE_K_DEFER,                  /* open-coded / stack-allocated / heap-allocated defer (-d=defer) */
  GE_K_COMPILE_ERROR,          /* the compiler's errors: undefined: x, syntax error: ... */
  GE_K_DEBUG,                  /* other -d notes (alias analysis, intrinsics, type asserts) */
  GE_K__COUNT
} ge_kind;

GE_API const char *ge_kind_name(ge_kind k);
/* Returns GE_K__COUNT for an unknown name. */
GE_API ge_kind ge_kind_from_name(const char *name, size_t len);
/* The family of a kind: "escape", "inline", "other". */
GE_API const char *ge_kind_family(ge_kind k);

typedef struct ge_log ge_log;

/* One step of a -m=2 explanation. A "flow: DST = SRC:" line opens a hop; each
 * "from EXPR (REASON) at POS" line is a step of that hop. A hop without from
 * lines yields one step with empty expr/reason. */
typedef struct ge_flow_step {
  ge_strview dst, src;     /* the hop: dst <- src (src may carry & or * prefixes) */
  ge_strview expr, reason; /* the step: "&t", "address-of"; reason "warning" for notes */
  ge_strview file;         /* step position; empty when the line had none */
  ge_strview callee;       /* "call parameter" steps: the called function as the
                            * compiler prints it ("(*zap.Logger).Info",
                            * "fmt.Fprintln", "F[go.shape.int]"); else empty */
  uint32_t line, col;
  uint32_t type;           /* 1: "flow:" hop line, 2: "from" step, 3: note/warning */
} ge_flow_step;

typedef struct ge_diag {
  ge_kind kind;
  ge_strview file;     /* as printed by the compiler (./x.go, /abs/x.go, ...) */
  uint32_t line, col;  /* col 0 when the compiler printed none */
  ge_strview package;  /* from the "# pkg" header or the logopt header */
  ge_strview func;     /* the function when the log says it; else empty */
  ge_strview subject;  /* x, &x, make([]int, n), the parameter, the callee */
  ge_strview message;  /* the raw message after "file:line:col: " */
  ge_strview target;   /* leak/result destination, devirtualized type, reason */
  int64_t cost, budget;  /* inlining; -1 when absent */
  int64_t level, derefs; /* leaks; -1 when absent */
  uint32_t nflow;
  uint32_t source;     /* index of the input (file) the record came from */
  uint64_t input_line; /* 1-based line (text) or record number (logopt) in that input */
} ge_diag;

typedef struct ge_log_stats {
  uint64_t lines;      /* text lines read */
  uint64_t records;    /* diagnostics kept */
  uint64_t skipped;    /* lines that were not diagnostics */
  uint64_t merged;     /* -m=2 duplicates folded into one record */
  uint64_t flow_steps;
  uint64_t bytes;
  uint32_t sources;
  uint32_t skipped_files; /* files in a directory that were not logs */
} ge_log_stats;

GE_API ge_log *ge_log_new(const ge_limits *lim /* NULL: defaults */);
GE_API void ge_log_free(ge_log *log);

/* Adds one input: a text log, a logopt .json file, or a directory (walked
 * recursively for logopt .json files and *.log text logs). "-" reads stdin.
 * Files are read into memory the log owns (never mapped: a log rewritten in
 * place while open cannot raise SIGBUS), held until ge_log_free. */
GE_API ge_err ge_log_add_path(ge_log *log, const char *path, ge_error *err);
/* Adds text (or logopt JSON) held in memory. The bytes are copied. */
GE_API ge_err ge_log_add_buffer(ge_log *log, const char *name, const char *data,
                                size_t len, ge_error *err);

GE_API size_t ge_log_count(const ge_log *log);
/* Fills *out for record i (0-based, log order); GE_ERR_ARG when out of range. */
GE_API ge_err ge_log_get(const ge_log *log, size_t i, ge_diag *out);
GE_API ge_err ge_log_flow(const ge_log *log, size_t i, uint32_t step, ge_flow_step *out);
GE_API void ge_log_stats_get(const ge_log *log, ge_log_stats *out);
GE_API const char *ge_log_source_name(const ge_log *log, uint32_t source);
/* A size the message states (closure capture width, logopt copy bytes), or -1. */
GE_API int64_t ge_log_size_attr(const ge_log *log, size_t i);

/* Filtering and grouping run over interned ids, without string compares per
 * record. A filter field left NULL matches everything. */
typedef struct ge_log_filter {
  const char *kind;     /* kind name, or a family: "escape", "inline", "other" */
  const char *package;
  const char *file;     /* exact, or a suffix match on a path component boundary */
  const char *func;
  const char *const *files; /* or any of these nfiles names (matched like file) */
  size_t nfiles;
} ge_log_filter;

typedef enum ge_group_by {
  GE_BY_KIND, GE_BY_PACKAGE, GE_BY_FILE, GE_BY_FUNC, GE_BY_SUBJECT, GE_BY_LINE
} ge_group_by;

typedef struct ge_group_row {
  ge_strview key;   /* for GE_BY_LINE: the file; line holds the line */
  uint32_t line;
  uint64_t count;
} ge_group_row;

/* Calls cb for each record index that passes the filter, in log order; stops
 * when cb returns non-zero. Returns GE_ERR_ARG for an unknown kind name. */
GE_API ge_err ge_log_select(const ge_log *log, const ge_log_filter *f,
                            int (*cb)(void *ud, size_t index), void *ud,
                            ge_error *err);
/* Whether one record passes f, by the rules of ge_log_select (compared as
 * strings: for records that are not in a log's tables, as a stream's). */
GE_API int ge_log_filter_match(const ge_log_filter *f, const ge_diag *d);
/* Groups the records passing f; rows sorted by count (desc), then key.
 * *rows is malloc'd; free with free(). */
GE_API ge_err ge_log_group(const ge_log *log, const ge_log_filter *f, ge_group_by by,
                           ge_group_row **rows, size_t *nrows, ge_error *err);

/* Records about one source line, for joining with profiles and binaries,
 * whose paths come in other forms: `file` as a profile or DWARF prints it
 * (absolute, GOROOT, -trimpath "module/path/x.go"), `pkg` the package of the
 * function there ("main" for main packages), or NULL. A record matches when
 * the basenames and lines agree and the paths are compatible: equal; the
 * log's path (less "./") a suffix of `file`; its "package/basename" a suffix
 * of `file`; or the same package. Calls cb(ud, index) per match, log order. */
GE_API ge_err ge_log_at_line(ge_log *log, const char *file, uint32_t line, const char *pkg,
                             int (*cb)(void *ud, size_t index), void *ud, ge_error *err);

/* Streaming: parse text from a file descriptor in bounded memory, calling cb
 * for each finished record. The ge_diag and its flow are valid only during
 * the call. Memory stays bounded by the longest -m=2 block, not the log. */
typedef int (*ge_stream_cb)(void *ud, const ge_log *scratch, size_t index);
GE_API ge_err ge_log_stream_fd(int fd, const char *name, const ge_limits *lim,
                               ge_stream_cb cb, void *ud, ge_log_stats *stats,
                               ge_error *err);

#ifdef __cplusplus
}
#endif

#include "goescape/profile.h" /* ge_profile: pprof profiles */
#include "goescape/binary.h"  /* ge_binary: Go ELF binaries */

#endif /* GOESCAPE_H */
