/* libFuzzer: the PC lines `goescape symbolize` reads (src/binary/pcparse.c),
 * checked against a plain reading of the same rule, line by line: blanks
 * (space, tab, CR) around an optional 0x/0X and 1-16 hex digits; the same
 * count and PCs, or the same first bad line. The array is exactly
 * ge_pcparse_room() long, so ASan sees any write past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binary/pcparse.h"

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int hexdigit(char c, unsigned *d) {
  if (c >= '0' && c <= '9') *d = (unsigned)(c - '0');
  else if (c >= 'a' && c <= 'f') *d = (unsigned)(c - 'a' + 10);
  else if (c >= 'A' && c <= 'F') *d = (unsigned)(c - 'A' + 10);
  else return 0;
  return 1;
}

/* The PC of line s[0..n) (no newline), or -1 when it is not one. */
static int line_pc(const char *s, size_t n, uint64_t *pc) {
  size_t a = 0, b = n;
  while (a < b && blank(s[a])) a++;
  while (b > a && blank(s[b - 1])) b--;
  if (b - a >= 2 && s[a] == '0' && (s[a + 1] == 'x' || s[a + 1] == 'X')) a += 2;
  if (a == b || b - a > 16) return -1;
  *pc = 0;
  for (size_t i = a; i < b; i++) {
    unsigned d;
    if (!hexdigit(s[i], &d)) return -1;
    *pc = *pc << 4 | d;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  size_t room = ge_pcparse_room(size);
  uint64_t *pcs = malloc(room * sizeof *pcs);
  if (!pcs) abort();
  ptrdiff_t got = ge_pcparse(s, size, pcs);
  ptrdiff_t want = 0;
  for (size_t at = 0; at < size;) {
    const char *nl = memchr(s + at, '\n', size - at);
    size_t end = nl ? (size_t)(nl - s) : size;
    uint64_t pc;
    if (line_pc(s + at, end - at, &pc) < 0) {
      want = -want - 1;
      break;
    }
    if (got >= 0 && (want >= got || pcs[want] != pc)) abort();
    want++;
    at = end + 1;
  }
  if (got != want) abort();
  free(pcs);
  return 0;
}
