#include "core/textsafe.h"

size_t ge_utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (!len || len > n) return 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c == 0xE0) lo = 0xA0;
  else if (c == 0xED) hi = 0x9F;
  else if (c == 0xF0) lo = 0x90;
  else if (c == 0xF4) hi = 0x8F;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t k = 2; k < len; k++)
    if (s[k] < 0x80 || s[k] > 0xBF) return 0;
  return len;
}

size_t ge_find_control(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7F) continue;
    if (c == '\t' || c == '\n' || c >= 0xC3) continue;
    if (c == 0xC2) {
      if (i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F) return i;
      continue;
    }
    if (c >= 0x80) continue;
    return i;
  }
  return n;
}

size_t ge_find_bad_utf8(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    if (s[i] < 0x80) {
      i++;
      continue;
    }
    size_t k = ge_utf8_len(s + i, n - i);
    if (!k) return i;
    i += k;
  }
  return n;
}
