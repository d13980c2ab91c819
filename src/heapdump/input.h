/* The bytes of a heap dump as the reader takes them: front to back through
 * a window, so that a dump file is never held whole (a dump is mostly
 * object contents, read once for their pointer fields), or all at once
 * when the bytes are already in memory (a Lua string, stdin, gzip input).
 * Words inside contents the window has passed are read again from the file
 * through a small block cache; a file cut short while it is read gives a
 * short read, never a signal. */
#ifndef GE_HEAPDUMP_INPUT_H
#define GE_HEAPDUMP_INPUT_H
#include <stddef.h>
#include <stdint.h>

typedef struct hd_in {
  int fd;                   /* -1: every byte is in the window */
  const unsigned char *win; /* the window: buf, or the caller's bytes */
  unsigned char *buf;
  size_t cap, len, pos;     /* window capacity, valid bytes, read position */
  uint64_t base;            /* input offset of win[0] */
  uint64_t size;            /* the input's size */
  unsigned char *blk;       /* block cache for hd_in_at */
  uint64_t blk_off;
  size_t blk_len;
} hd_in;

void hd_in_mem(hd_in *in, const unsigned char *p, size_t n);
/* 0, or -1 out of memory. The descriptor stays the caller's. */
int hd_in_file(hd_in *in, int fd, uint64_t size);
void hd_in_free(hd_in *in);

static inline uint64_t hd_in_off(const hd_in *in) { return in->base + in->pos; }
static inline uint64_t hd_in_left(const hd_in *in) { return in->size - hd_in_off(in); }
/* Makes n bytes readable at win + pos when the input has them: returns
 * how many are (fewer than n only at the end of the input or on a read
 * error), or -1 out of memory. */
int64_t hd_in_fill(hd_in *in, size_t n);
/* Moves past n bytes (the caller checked that the input has them). */
void hd_in_skip(hd_in *in, uint64_t n);
/* n bytes (n <= 64) at input offset off, or NULL when they cannot be read. */
const unsigned char *hd_in_at(hd_in *in, uint64_t off, size_t n);
#endif
