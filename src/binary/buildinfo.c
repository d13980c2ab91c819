/* Buildinfo: the "\xff Go buildinf:" blob written by the Go linker (1.13+).
 *   header (32 bytes, 16-aligned): magic[14], ptrsize, flags
 *   flags & 2 (Go 1.18+): varint-prefixed version string, then modinfo
 *   otherwise: two pointers at +16 to Go string headers {ptr, len}
 * modinfo is framed by 16-byte sentinels and holds tab-separated lines:
 *   path P / mod P V S / dep P V S / => P V S (replaces the line above) /
 *   build K=V. Source: Go's debug/buildinfo/buildinfo.go and
 *   runtime/debug/mod.go. A missing blob is not an error (stripped-down or
 *   pre-1.13 binaries): the fields stay empty. */
#include <stdlib.h>

#include "goescape/binary.h"
#include "core/varint.h"
#include "internal.h"

static const char magic[14] = "\xff Go buildinf:";

static int read_gostring(const ge_binary *b, uint64_t hdr, unsigned ps, ge_strview *out) {
  uint64_t ptr, len;
  if (!ge_elf_read_ptr(b, hdr, ps, &ptr) || !ge_elf_read_ptr(b, hdr + ps, ps, &len)) return 0;
  if (len > (1u << 24)) return 0;
  const uint8_t *p = ge_elf_va(b, ptr, len);
  if (!p) return 0;
  out->ptr = (const char *)p;
  out->len = (size_t)len;
  return 1;
}

/* Splits s at the first tab; returns the head, advances s. */
static ge_strview cut(ge_strview *s) {
  ge_strview h = *s;
  const char *t = memchr(s->ptr, '\t', s->len);
  if (!t) {
    s->ptr += s->len;
    s->len = 0;
    return h;
  }
  h.len = (size_t)(t - s->ptr);
  s->len -= h.len + 1;
  s->ptr = t + 1;
  return h;
}

static int is(ge_strview v, const char *lit) {
  return v.len == strlen(lit) && memcmp(v.ptr, lit, v.len) == 0;
}

static ge_err parse_modinfo(ge_binary *b, ge_strview mod, ge_error *err) {
  /* Count lines first so that deps/settings are single allocations. */
  size_t nlines = 1;
  for (size_t i = 0; i < mod.len; i++) nlines += mod.ptr[i] == '\n';
  b->deps = ge_arena_alloc(&b->arena, nlines * sizeof *b->deps, 8);
  b->settings = ge_arena_alloc(&b->arena, 2 * nlines * sizeof *b->settings, 8);
  if (!b->deps || !b->settings) return ge_fail(err, GE_ERR_NOMEM, "out of memory");
  ge_modrec *last = NULL;
  const char *p = mod.ptr, *end = mod.ptr + mod.len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    ge_strview line = {p, (size_t)((nl ? nl : end) - p)};
    p = nl ? nl + 1 : end;
    ge_strview kw = cut(&line);
    if (is(kw, "path")) {
      b->main_path = line;
    } else if (is(kw, "mod") || is(kw, "dep")) {
      ge_modrec *m = is(kw, "mod") ? &b->mainmod : &b->deps[b->ndeps++];
      memset(m, 0, sizeof *m);
      m->path = cut(&line);
      m->version = cut(&line);
      m->sum = cut(&line);
      last = m;
    } else if (is(kw, "=>")) {
      if (last) {
        last->rpath = cut(&line);
        last->rversion = cut(&line);
        last->rsum = cut(&line);
      }
    } else if (is(kw, "build")) {
      /* key=value; the key may be quoted when it holds '=' (rare). */
      const char *eq = memchr(line.ptr, '=', line.len);
      ge_strview k = line, v = {"", 0};
      if (eq) {
        k.len = (size_t)(eq - line.ptr);
        v.ptr = eq + 1;
        v.len = line.len - k.len - 1;
      }
      b->settings[2 * b->nsettings] = k;
      b->settings[2 * b->nsettings + 1] = v;
      b->nsettings++;
    }
  }
  return GE_OK;
}

ge_err ge_buildinfo_read(ge_binary *b, ge_error *err) {
  const uint8_t *data = NULL;
  uint64_t n = 0, va = 0;
  const ge_sect *s = ge_elf_section(b, ".go.buildinfo");
  if (s && (data = ge_elf_sect_data(b, s))) {
    n = s->size;
    va = s->addr;
  } else {
    for (size_t i = 0; i < b->nsegs; i++) {
      const ge_seg *g = &b->segs[i];
      if ((g->flags & 2) && !(g->flags & 1)) {
        data = ge_elf_seg_data(b, g);
        n = g->filesz;
        va = g->vaddr;
        break;
      }
    }
  }
  if (!data) return GE_OK;
  if (n > 64 * 1024) n = 64 * 1024;
  const uint8_t *h = NULL;
  for (uint64_t i = (16 - (va & 15)) & 15; i + 32 <= n; i += 16)
    if (memcmp(data + i, magic, 14) == 0) {
      h = data + i;
      n -= i;
      break;
    }
  if (!h) return GE_OK;
  unsigned ps = h[14], flags = h[15];
  ge_strview vers = {"", 0}, mod = {"", 0};
  if (flags & 2) {
    const uint8_t *p = h + 32, *end = h + n;
    uint64_t l;
    if (!ge_uvarint(&p, end, &l) || l > (uint64_t)(end - p))
      return ge_fail(err, GE_ERR_FORMAT, "buildinfo at offset %zu: truncated version string",
                     (size_t)(h - b->map.data));
    vers.ptr = (const char *)p;
    vers.len = (size_t)l;
    p += l;
    /* The modinfo may extend past the 64 KiB window: use the section end. */
    const uint8_t *mend = b->map.data + b->map.size;
    if (s && ge_elf_sect_data(b, s)) mend = ge_elf_sect_data(b, s) + s->size;
    if (!ge_uvarint(&p, mend, &l) || l > (uint64_t)(mend - p))
      return ge_fail(err, GE_ERR_FORMAT, "buildinfo at offset %zu: truncated module info",
                     (size_t)(h - b->map.data));
    mod.ptr = (const char *)p;
    mod.len = (size_t)l;
  } else {
    if (ps != 4 && ps != 8)
      return ge_fail(err, GE_ERR_FORMAT,
                     "buildinfo at offset %zu: pointer size %u, expected 4 or 8",
                     (size_t)(h - b->map.data), ps);
    ge_binary tmp = *b; /* the blob's own byte order */
    tmp.be = flags & 1;
    uint64_t p1 = ge_rdword(&tmp, h + 16, ps), p2 = ge_rdword(&tmp, h + 16 + ps, ps);
    if (!read_gostring(&tmp, p1, ps, &vers)) return GE_OK;
    if (!read_gostring(&tmp, p2, ps, &mod)) mod.len = 0;
  }
  b->go_version = vers;
  if (mod.len >= 33 && mod.ptr[mod.len - 17] == '\n') {
    mod.ptr += 16;
    mod.len -= 32;
    return parse_modinfo(b, mod, err);
  }
  return GE_OK;
}
