/* The binary's PT_LOAD segments, for callers that map file offsets or
 * run-time addresses of the binary back to its link addresses (perf's
 * call graphs print file offsets). */
#include "internal.h"

ge_err ge_binary_load_segment(const ge_binary *b, size_t i, ge_load_segment *out) {
  if (i >= b->nsegs) return GE_ERR_ARG;
  const ge_seg *s = &b->segs[i];
  out->vaddr = s->vaddr;
  out->offset = s->off;
  out->filesz = s->filesz;
  out->memsz = s->memsz;
  out->flags = s->flags;
  return GE_OK;
}
