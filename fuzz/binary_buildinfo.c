/* libFuzzer: buildinfo decoding. The input is wrapped in a minimal ELF64
 * whose .go.buildinfo section holds it, so every byte reaches the buildinfo
 * parser (header, varint strings, pointer form, modinfo lines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goescape.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char shstr[] = "\0.go.buildinfo\0.shstrtab\0";
  size_t body = 0x100, strs = body + size, shoff = (strs + sizeof shstr + 7) & ~(size_t)7;
  size_t total = shoff + 3 * 64;
  uint8_t *img = calloc(1, total);
  if (!img) return 0;
  memcpy(img, "\177ELF\2\1\1", 7);
  put16(img + 16, 2);    /* ET_EXEC */
  put16(img + 18, 62);   /* x86-64 */
  put64(img + 32, 64);   /* phoff */
  put64(img + 40, shoff);
  put16(img + 54, 56);
  put16(img + 56, 1);
  put16(img + 58, 64);
  put16(img + 60, 3);
  put16(img + 62, 2);
  uint8_t *ph = img + 64; /* one RW PT_LOAD mapping the input at 0x500000 */
  put32(ph, 1);
  put32(ph + 4, 6);
  put64(ph + 8, body);
  put64(ph + 16, 0x500000);
  put64(ph + 32, size);
  put64(ph + 40, size);
  memcpy(img + body, data, size);
  memcpy(img + strs, shstr, sizeof shstr);
  uint8_t *sh = img + shoff + 64; /* [1] .go.buildinfo */
  put32(sh, 1);
  put32(sh + 4, 1);
  put64(sh + 8, 3);
  put64(sh + 16, 0x500000);
  put64(sh + 24, body);
  put64(sh + 32, size);
  sh += 64; /* [2] .shstrtab */
  put32(sh, 15);
  put32(sh + 4, 3);
  put64(sh + 24, strs);
  put64(sh + 32, sizeof shstr);
  ge_binary *b;
  ge_error err;
  /* No pclntab: open fails after buildinfo was read; both paths are fine. */
  if (ge_binary_open_mem(img, total, "fuzz", NULL, &b, &err) == GE_OK) ge_binary_free(b);
  free(img);
  return 0;
}
