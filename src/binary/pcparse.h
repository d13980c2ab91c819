/* The input of `goescape symbolize`: hex PCs, one a line ("0x" optional;
 * spaces, tabs and a CR around it ignored). */
#ifndef GE_BINARY_PCPARSE_H
#define GE_BINARY_PCPARSE_H
#include <stddef.h>
#include <stdint.h>

/* Entries pcs must have room for, for len bytes of text. */
size_t ge_pcparse_room(size_t len);

/* Parses s[0..len) into pcs (ge_pcparse_room(len) entries). Returns the
 * count of PCs, or, for a line that is not a hex PC, its 0-based number
 * + 1, negated (the first such line). */
ptrdiff_t ge_pcparse(const char *s, size_t len, uint64_t *pcs);
#endif
