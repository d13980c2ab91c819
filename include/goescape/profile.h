/* goescape — ge_profile API (see goescape.h for errors and limits).
 *
 * A ge_profile holds one pprof profile: decoded from profile.proto (gzipped
 * or plain, packed or unpacked repeated fields) or from Go's legacy text
 * heap / contention / threadcreate formats. Strings are interned in the
 * profile, samples live in flat arrays; every ge_strview returned points
 * into memory owned by the profile and stays valid until ge_profile_free.
 *
 * Locations, lines, functions and mappings are addressed by 0-based index
 * (the order of the input); their proto ids are kept in the records.
 */
#ifndef GOESCAPE_PROFILE_H
#define GOESCAPE_PROFILE_H
#include "../goescape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_profile ge_profile;

#define GE_NONE UINT32_MAX /* "no such record" in index fields */

typedef struct ge_prof_info {
  size_t nsample_types, nsamples, nlocations, nfunctions, nmappings, ncomments;
  int64_t time_nanos, duration_nanos, period;
  ge_strview period_type, period_unit;
  ge_strview drop_frames, keep_frames;
  size_t default_sample; /* index into the sample types */
  const char *format;    /* "proto", "legacy-heap", "legacy-contention", ... */
} ge_prof_info;

typedef struct ge_prof_sample {
  const int64_t *values;     /* nsample_types values */
  const uint32_t *locations; /* location indices, leaf first */
  uint32_t nlocations;
  uint32_t label_start, nlabels; /* see ge_profile_label */
} ge_prof_sample;

typedef struct ge_prof_label {
  ge_strview key, str, num_unit;
  int64_t num;
  int is_num;
} ge_prof_label;

typedef struct ge_prof_mapping {
  uint64_t id, memory_start, memory_limit, file_offset;
  ge_strview filename, build_id;
  int has_functions, has_filenames, has_line_numbers, has_inline_frames;
} ge_prof_mapping;

typedef struct ge_prof_function {
  uint64_t id;
  ge_strview name, system_name, filename;
  int64_t start_line;
} ge_prof_function;

typedef struct ge_prof_line {
  uint32_t function; /* function index, GE_NONE when unset */
  int64_t line, column;
} ge_prof_line;

typedef struct ge_prof_location {
  uint64_t id, address;
  uint32_t mapping;          /* mapping index, GE_NONE when unset */
  const ge_prof_line *lines; /* inlined first, caller last */
  uint32_t nlines;
  int is_folded;
} ge_prof_location;

/* Decodes a profile from memory (gzip is detected and inflated, capped by
 * lim->max_inflated_bytes). `name` prefixes error messages. The bytes are not
 * referenced after the call. */
GE_API ge_err ge_profile_parse(const char *name, const void *data, size_t len,
                               const ge_limits *lim, ge_profile **out, ge_error *err);
/* Maps and decodes a file ("-" reads stdin). */
GE_API ge_err ge_profile_open(const char *path, const ge_limits *lim, ge_profile **out,
                              ge_error *err);
GE_API void ge_profile_free(ge_profile *p);

GE_API void ge_profile_info(const ge_profile *p, ge_prof_info *out);
GE_API ge_err ge_profile_sample_type(const ge_profile *p, size_t i, ge_strview *type,
                                     ge_strview *unit);
GE_API ge_err ge_profile_comment(const ge_profile *p, size_t i, ge_strview *out);
/* Resolves a sample type name (or a decimal index); NULL or "" gives the
 * default. GE_ERR_NOTFOUND when no type has that name. */
GE_API ge_err ge_profile_sample_index(const ge_profile *p, const char *name, size_t *index,
                                      ge_error *err);
GE_API ge_err ge_profile_sample(const ge_profile *p, size_t i, ge_prof_sample *out);
GE_API ge_err ge_profile_label(const ge_profile *p, uint32_t i, ge_prof_label *out);
GE_API ge_err ge_profile_location(const ge_profile *p, uint32_t i, ge_prof_location *out);
GE_API ge_err ge_profile_function(const ge_profile *p, uint32_t i, ge_prof_function *out);
GE_API ge_err ge_profile_mapping(const ge_profile *p, uint32_t i, ge_prof_mapping *out);

/* ------------------------------------------------------------ queries */

typedef enum ge_prof_by {
  GE_PROF_BY_FUNCTION, GE_PROF_BY_LINE, GE_PROF_BY_FILE, GE_PROF_BY_STACK
} ge_prof_by;

/* Sample selection like pprof's options. Regular expressions take Go RE2
 * syntax, translated into POSIX extended ones (\d \w \s, (?i) at the start,
 * (?:...), \Q...\E, lazy quantifiers; \b and \pL are refused), matched
 * unanchored against function names, file names and mapping file names.
 * NULL fields are unused. */
typedef struct ge_prof_query {
  size_t sample;      /* sample type index */
  ge_prof_by by;
  const char *focus;  /* keep samples with a matching frame */
  const char *ignore; /* drop samples with a matching frame */
  const char *hide;   /* remove matching frames from stacks */
  const char *show;   /* keep only matching frames */
  /* pprof's -tagfocus / -tagignore: "[key=]value", value a numeric range
   * with units ("1kb:", ":512", "64", "2ms:1s") tested on numeric labels, or
   * comma-separated regexps on string labels (without a key: "key:value"). */
  const char *tag_focus;  /* keep samples whose labels match */
  const char *tag_ignore; /* drop samples whose labels match */
} ge_prof_query;

typedef struct ge_prof_row {
  ge_strview name;  /* printable name as `go tool pprof -top` prints it */
  ge_strview func, file, objfile;
  int64_t line;
  int64_t flat, cum;
  uint8_t inl; /* pprof's label: 1 "(inline)", 2 "(partial-inline)", 0 none */
} ge_prof_row;

typedef struct ge_prof_top ge_prof_top;

/* Groups the selected samples and computes flat and cum per group as
 * `go tool pprof -top -nodefraction=0` does (recursion counted once in cum;
 * groups with zero flat and cum dropped), sorted like pprof. For
 * GE_PROF_BY_STACK a row is one distinct stack ("root;...;leaf" of
 * function names), flat = cum = its value. */
GE_API ge_err ge_profile_top(const ge_profile *p, const ge_prof_query *q, ge_prof_top **out,
                             ge_error *err);
GE_API size_t ge_prof_top_count(const ge_prof_top *t);
GE_API const ge_prof_row *ge_prof_top_row(const ge_prof_top *t, size_t i);
/* Sum of the selected samples' values. */
GE_API int64_t ge_prof_top_total(const ge_prof_top *t);
/* The total `go tool pprof` reports percentages and -nodefraction against:
 * the absolute values of every sample, whatever focus/ignore/tagfocus
 * dropped (pprof applies them after computing it), and only those of the
 * base when the profile is a diff (samples labelled pprof::base). */
GE_API int64_t ge_prof_top_report_total(const ge_prof_top *t);
GE_API void ge_prof_top_free(ge_prof_top *t);

/* Folded stacks ("root;caller;leaf value\n", inlined frames included,
 * identical stacks summed, zero ones left out, sorted by stack) for the
 * query's sample type and filters. *buf is malloc'd. */
GE_API ge_err ge_profile_folded(const ge_profile *p, const ge_prof_query *q, char **buf,
                                size_t *len, ge_error *err);

/* The call tree for flame graphs, computed from the samples (the frames and
 * names of ge_profile_folded: the same tree as a trie of its lines, without
 * building the text). Children of a node whose |value| is below min (a
 * fraction, 0..1) of the sum of |stack value| are left out with their
 * subtrees and counted in ge_prof_flame_dropped; their value stays in the
 * parent's value (its width), not in its self. Node 0 is the root (name "",
 * value = the total); a node's children are nodes first..first+nchildren-1,
 * sorted by value (descending), then name. */
typedef struct ge_prof_fnode {
  ge_strview name;
  int64_t value, self; /* value: cum (this frame and below); self: ends here */
  uint32_t first, nchildren;
} ge_prof_fnode;
typedef struct ge_prof_flame ge_prof_flame;

GE_API ge_err ge_profile_flame(const ge_profile *p, const ge_prof_query *q, double min,
                               ge_prof_flame **out, ge_error *err);
GE_API size_t ge_prof_flame_count(const ge_prof_flame *f);
GE_API const ge_prof_fnode *ge_prof_flame_node(const ge_prof_flame *f, size_t i);
GE_API size_t ge_prof_flame_dropped(const ge_prof_flame *f);
GE_API void ge_prof_flame_free(ge_prof_flame *f);

/* ------------------------------------------------------ combine, write */

/* Merges profiles of the same kind (same sample types) into a new one:
 * equal functions, mappings, locations and samples are unified, values of
 * equal samples summed; period is the largest, time the earliest, duration
 * the sum. scales (may be NULL) multiplies each input's values; labels (may
 * be NULL) adds per input a string label "key=value" (NULL: none). */
GE_API ge_err ge_profile_merge(const ge_profile *const *ps, size_t n, const double *scales,
                               const char *const *labels, ge_profile **out, ge_error *err);
/* p minus base, as `go tool pprof -diff_base=base p` computes it (base
 * samples negated and labelled pprof::base=true). */
GE_API ge_err ge_profile_diff(const ge_profile *p, const ge_profile *base, ge_profile **out,
                              ge_error *err);

/* A deep copy of p (*out: a profile of its own, freed by ge_profile_free):
 * for an operation that changes a profile while the original stays. */
GE_API ge_err ge_profile_copy(const ge_profile *p, ge_profile **out, ge_error *err);

/* Encodes profile.proto; gzipped when gzip is non-zero. *buf is malloc'd. */
GE_API ge_err ge_profile_encode(const ge_profile *p, int gzip, unsigned char **buf,
                                size_t *len, ge_error *err);
GE_API ge_err ge_profile_write(const ge_profile *p, const char *path, ge_error *err);

/* ------------------------------------------------------- symbolization */

typedef struct ge_sym_frame {
  const char *func;
  size_t func_len;
  const char *file;
  size_t file_len;
  uint32_t line;
  int inlined;
} ge_sym_frame;

/* Returns the number of frames written, innermost first; 0 = unknown. */
typedef int (*ge_resolve_fn)(void *ud, uint64_t address, ge_sym_frame *frames,
                             int max_frames);

/* Fills lines and functions of every location that has an address but no
 * lines, calling fn once per such location; the strings are copied into the
 * profile. Functions are shared by (name, file). A negative return from fn
 * aborts with GE_ERR_ARG. */
GE_API ge_err ge_profile_symbolize(ge_profile *p, ge_resolve_fn fn, void *ud, ge_error *err);

/* The same against a Go binary, without a callback: every such location's
 * address looked up in one ge_binary_lookup_many batch (the frames of
 * ge_binary_lookup, at most max_inline_depth of the profile's limits; an
 * address the binary cannot answer keeps no lines, as a resolver's 0).
 * Replaces the binary's last batch frames. */
struct ge_binary;
GE_API ge_err ge_profile_symbolize_binary(ge_profile *p, struct ge_binary *b, ge_error *err);

#ifdef __cplusplus
}
#endif
#endif
