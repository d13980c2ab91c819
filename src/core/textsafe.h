/* Text from inputs made safe for what reads it: a terminal (no control
 * characters) and JSON/XML (valid UTF-8). Each returns 0 when the text is
 * already safe (nothing to copy), else the length of the rewritten text
 * written with `emit`. */
#ifndef GE_CORE_TEXTSAFE_H
#define GE_CORE_TEXTSAFE_H
#include <stddef.h>

/* Bytes of the first control character (C0 but tab and newline, DEL, C1 as
 * UTF-8 C2 80..9F) at or after s, or n when there is none. */
size_t ge_find_control(const unsigned char *s, size_t n);
/* Length of the valid UTF-8 sequence at s[0..n) (1 for ASCII), 0 when the
 * byte there starts none. */
size_t ge_utf8_len(const unsigned char *s, size_t n);
/* Offset of the first byte that is not part of valid UTF-8, or n. */
size_t ge_find_bad_utf8(const unsigned char *s, size_t n);
#endif
