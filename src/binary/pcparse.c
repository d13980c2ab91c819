#include "pcparse.h"

/* Hex digit values plus one; 0 for a byte that is not a hex digit. */
static const uint8_t hexval1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,
    ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
    ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
    ['F'] = 16};

/* Every line but the last takes two bytes at least ("0\n"). */
size_t ge_pcparse_room(size_t len) { return len / 2 + 2; }

/* One pass, on one thread: reading a PC costs little next to looking it
 * up and writing its line, so a second thread here gains nothing a user
 * would see. */
ptrdiff_t ge_pcparse(const char *s, size_t len, uint64_t *pcs) {
  const char *q = s, *end = s + len;
  size_t i = 0;
  while (q < end) {
    while (q < end && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
    if (end - q >= 2 && q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) q += 2;
    uint64_t pc = 0;
    unsigned nd = 0, d;
    for (; q < end && (d = hexval1[(unsigned char)*q]) != 0; q++, nd++) pc = pc << 4 | (d - 1);
    while (q < end && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
    if (!nd || nd > 16 || (q < end && *q != '\n')) return -(ptrdiff_t)i - 1;
    pcs[i++] = pc;
    q++; /* the newline */
  }
  return (ptrdiff_t)i;
}
