/* pprof's RemoveUninteresting: a profile that names drop_frames (pprof's
 * legacy parsers set them: the allocator for heap profiles, the lock code
 * for contention profiles) has those frames, and everything leafward of
 * them, cut from its samples once functions are known, so that cost lands
 * on the allocator's callers and not on runtime.mallocgc. Applied where
 * pprof applies it: after decoding and after symbolization. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "model.h"
#include "regex.h"

/* The frame names pprof's legacy parsers drop (google/pprof
 * profile/legacy_profile.go: allocRxStr, allocSkipRxStr, lockRxStr,
 * cpuProfilerRxStr). */
const char *const ge_prof_alloc_frames =
    "calloc|cfree|malloc|free|memalign|do_memalign|(__)?posix_memalign|pvalloc|valloc|realloc|"
    "tcmalloc::.*|tc_calloc|tc_cfree|tc_malloc|tc_free|tc_memalign|tc_posix_memalign|tc_pvalloc|"
    "tc_valloc|tc_realloc|tc_new|tc_delete|tc_newarray|tc_deletearray|tc_new_nothrow|"
    "tc_newarray_nothrow|malloc_zone_malloc|malloc_zone_calloc|malloc_zone_valloc|"
    "malloc_zone_realloc|malloc_zone_memalign|malloc_zone_free|runtime\\..*|BaseArena::.*|"
    "(::)?do_malloc_no_errno|(::)?do_malloc_pages|(::)?do_malloc|DoSampledAllocation|"
    "MallocedMemBlock::MallocedMemBlock|_M_allocate|__builtin_(vec_)?delete|"
    "__builtin_(vec_)?new|__gnu_cxx::new_allocator::allocate|__libc_malloc|"
    "__malloc_alloc_template::allocate|allocate|cpp_alloc|operator new(\\[\\])?|"
    "simple_alloc::allocate";
const char *const ge_prof_alloc_keep_frames = "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*";
const char *const ge_prof_lock_frames =
    "RecordLockProfileData|(base::)?RecordLockProfileData.*|(base::)?SubmitMutexProfileData.*|"
    "(base::)?SubmitSpinLockProfileData.*|(base::Mutex::)?AwaitCommon.*|(base::Mutex::)?Unlock.*|"
    "(base::Mutex::)?UnlockSlow.*|(base::Mutex::)?ReaderUnlock.*|(base::MutexLock::)?~MutexLock.*|"
    "(Mutex::)?AwaitCommon.*|(Mutex::)?Unlock.*|(Mutex::)?UnlockSlow.*|(Mutex::)?ReaderUnlock.*|"
    "(MutexLock::)?~MutexLock.*|(SpinLock::)?Unlock.*|(SpinLock::)?SlowUnlock.*|"
    "(SpinLockHolder::)?~SpinLockHolder.*";
const char *const ge_prof_cpu_frames =
    "ProfileData::Add|ProfileData::prof_handler|CpuProfiler::prof_handler|__pthread_sighandler|"
    "__restore";

/* "^(" rx ")$", compiled; 0 when rx is empty. */
static int compile_anchored(const ge_profile *p, uint32_t id, regex_t *re, const char *what,
                            ge_error *err, ge_err *rc) {
  ge_strview s = ge_prof_str(p, id);
  if (!s.len) return 0;
  char *pat = malloc(s.len + 5);
  if (!pat) {
    *rc = ge_fail(err, GE_ERR_NOMEM, "out of memory");
    return -1;
  }
  memcpy(pat, "^(", 2);
  memcpy(pat + 2, s.ptr, s.len);
  memcpy(pat + 2 + s.len, ")$", 3);
  *rc = ge_re_compile(re, pat, what, err);
  free(pat);
  return *rc ? -1 : 1;
}

/* pprof's simplifyFunc: the name up to its first '(' (an argument list in
 * C++ names), except "(anonymous namespace)" and "operator()". */
static size_t simplified(const char *s, size_t n, const char **start) {
  if (n && s[0] == '.') s++, n--;
  *start = s;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '(') continue;
    if (n - i >= 21 && memcmp(s + i, "(anonymous namespace)", 21) == 0) {
      i += 20;
      continue;
    }
    if (i >= 8 && n - i >= 2 && memcmp(s + i - 8, "operator()", 10) == 0) {
      i += 1;
      continue;
    }
    return i;
  }
  return n;
}

ge_err ge_prof_prune(ge_profile *p, ge_error *err) {
  /* Nothing to match before functions are known (legacy profiles hold
   * addresses until they are symbolized). */
  if (!p->drop_frames || !p->funcs.n) return GE_OK;
  regex_t drop, keep;
  ge_err rc = GE_OK;
  int hd = compile_anchored(p, p->drop_frames, &drop, "drop_frames", err, &rc);
  if (hd <= 0) return rc;
  int hk = compile_anchored(p, p->keep_frames, &keep, "keep_frames", err, &rc);
  if (hk < 0) {
    regfree(&drop);
    return rc;
  }
  /* Per function: 0 not yet known, 1 prune from here, 2 keep. */
  uint8_t *verdict = calloc(p->funcs.n + 1, 1);
  uint8_t *loc_mark = calloc(p->locs.n + 1, 1); /* 1 prune whole, 2 prune beneath */
  char *buf = NULL;
  size_t bufcap = 0;
  if (!verdict || !loc_mark) {
    rc = ge_fail(err, GE_ERR_NOMEM, "out of memory");
    goto out;
  }
  for (size_t li = 0; li < p->locs.n; li++) {
    ploc *l = &p->locs.v[li];
    long hit = -1;
    for (long i = (long)l->nlines - 1; i >= 0; i--) {
      uint32_t fi = p->lines.v[l->line_off + (uint32_t)i].func;
      if (fi == GE_NONE || fi >= p->funcs.n) continue;
      if (!verdict[fi]) {
        ge_strview nm = ge_prof_str(p, p->funcs.v[fi].name);
        verdict[fi] = 2;
        if (nm.len) {
          const char *st;
          size_t n = simplified(nm.ptr, nm.len, &st);
          if (n + 1 > bufcap) {
            char *nb = realloc(buf, n + 1);
            if (!nb) {
              rc = ge_fail(err, GE_ERR_NOMEM, "out of memory");
              goto out;
            }
            buf = nb;
            bufcap = n + 1;
          }
          memcpy(buf, st, n);
          buf[n] = 0;
          if (regexec(&drop, buf, 0, NULL, 0) == 0 && !(hk && regexec(&keep, buf, 0, NULL, 0) == 0))
            verdict[fi] = 1;
        }
      }
      if (verdict[fi] == 1) {
        hit = i;
        break;
      }
    }
    if (hit < 0) continue;
    if (hit == (long)l->nlines - 1) {
      loc_mark[li] = 1;
    } else {
      loc_mark[li] = 2;
      l->line_off += (uint32_t)hit + 1;
      l->nlines -= (uint32_t)hit + 1;
    }
  }
  /* Samples, from the root toward the leaf: cut at the first marked
   * location after a frame that is not marked (stacks that are all
   * allocator keep their frames, as in pprof). Compacted in place. */
  uint32_t w = 0;
  for (size_t s = 0; s < p->nsamples; s++) {
    uint32_t a = p->s_loff.v[s], b = p->s_loff.v[s + 1];
    uint32_t from = a;
    int user = 0;
    for (uint32_t k = b; k-- > a;) {
      uint32_t id = p->s_locs.v[k];
      uint8_t m = id < p->locs.n ? loc_mark[id] : 0;
      if (!m) {
        user = 1;
        continue;
      }
      if (!user) continue;
      from = m == 1 ? k + 1 : k;
      break;
    }
    p->s_loff.v[s] = w;
    for (uint32_t k = from; k < b; k++) p->s_locs.v[w++] = p->s_locs.v[k];
  }
  p->s_loff.v[p->nsamples] = w;
  p->s_locs.n = w;
out:
  free(buf);
  free(verdict);
  free(loc_mark);
  regfree(&drop);
  if (hk > 0) regfree(&keep);
  return rc;
}
