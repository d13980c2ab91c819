/* libFuzzer harness: the profile filters' own parsers -- the RE2 -> POSIX
 * translator (src/profile/regex.c) and pprof's -tagfocus/-tagignore specs
 * (src/profile/tagfilter.c) -- which read strings users type.
 *
 * The input is up to six lines: focus, ignore, hide, show, tag_focus,
 * tag_ignore (an empty line leaves that option unset). The first line also
 * goes through ge_re_translate and regcomp/regexec alone (regcomp may still
 * refuse a translation: "a{99999}" is fine for the translator, too big for
 * glibc, and ge_re_compile reports that as a bad expression). The filters run against two profiles the runtime
 * wrote (fuzz/corpus/profile_proto/cpu.pb: string labels, heap.pb: numeric
 * "bytes" labels), read once from the repository root (fuzz/run.sh runs
 * there) or from GE_FUZZ_PROFILE_DIR. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goescape.h"
#include "profile/regex.h"

enum { NFIELDS = 6, MAX_PATTERN = 4096 };

static ge_profile *profiles[2];

static ge_profile *load(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "profile_filter: cannot open %s\n", path);
    abort();
  }
  static unsigned char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  ge_limits lim;
  ge_limits_default(&lim);
  ge_error err;
  ge_profile *p;
  if (ge_profile_parse(path, buf, n, &lim, &p, &err)) {
    fprintf(stderr, "profile_filter: %s\n", err.msg);
    abort();
  }
  return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *dir = getenv("GE_FUZZ_PROFILE_DIR");
  if (!dir) dir = "fuzz/corpus/profile_proto";
  profiles[0] = load(dir, "cpu.pb");
  profiles[1] = load(dir, "heap.pb");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_PATTERN) return 0;
  char text[MAX_PATTERN + 1];
  memcpy(text, data, size);
  text[size] = 0;
  const char *field[NFIELDS] = {0};
  char *s = text;
  for (int i = 0; i < NFIELDS && s; i++) {
    char *nl = strchr(s, '\n');
    if (nl) *nl = 0;
    field[i] = *s ? s : NULL;
    s = nl ? nl + 1 : NULL;
  }

  if (field[0]) {
    size_t len = strlen(field[0]);
    size_t cap = len * 16 + 16;
    char *ere = malloc(cap);
    char why[128];
    int icase;
    if (ere && !ge_re_translate(field[0], ere, cap, &icase, why, sizeof why)) {
      regex_t re;
      if (!regcomp(&re, ere, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0))) {
        regexec(&re, "runtime/pprof.(*profileBuilder).build", 0, NULL, 0);
        regfree(&re);
      }
    }
    free(ere);
  }

  for (int k = 0; k < 2; k++) {
    ge_prof_info in;
    ge_profile_info(profiles[k], &in);
    ge_prof_query q = {0};
    q.sample = in.default_sample;
    q.focus = field[0];
    q.ignore = field[1];
    q.hide = field[2];
    q.show = field[3];
    q.tag_focus = field[4];
    q.tag_ignore = field[5];
    ge_error err;
    ge_prof_top *t;
    if (!ge_profile_top(profiles[k], &q, &t, &err)) ge_prof_top_free(t);
  }
  return 0;
}
