/* Regular expressions for the profile filters: pprof takes Go RE2 syntax, we
 * compile POSIX extended ones (regcomp). ge_re_compile translates the RE2
 * forms people type into ERE first and names the option when a construct
 * has no ERE equivalent. */
#ifndef GE_PROFILE_REGEX_H
#define GE_PROFILE_REGEX_H
#include <regex.h>

#include "goescape.h"

/* Translates RE2 `pat` into ERE in out (cap bytes, NUL-terminated); sets
 * *icase for a leading (?i). On failure writes the reason to why (whycap
 * bytes) and returns -1. */
int ge_re_translate(const char *pat, char *out, size_t cap, int *icase, char *why,
                    size_t whycap);
/* Translates and compiles (REG_EXTENDED | REG_NOSUB); errors read
 * "<what>: bad regular expression '<pat>': <reason>". */
ge_err ge_re_compile(regex_t *re, const char *pat, const char *what, ge_error *err);
#endif
