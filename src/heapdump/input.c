/* hd_in: see input.h. */
#include "input.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WINDOW (1u << 20)
#define BLOCK (64u << 10)

void hd_in_mem(hd_in *in, const unsigned char *p, size_t n) {
  memset(in, 0, sizeof *in);
  in->fd = -1;
  in->win = p;
  in->len = n;
  in->size = n;
}

int hd_in_file(hd_in *in, int fd, uint64_t size) {
  memset(in, 0, sizeof *in);
  in->fd = fd;
  in->size = size;
  in->buf = malloc(WINDOW);
  in->blk = malloc(BLOCK);
  if (!in->buf || !in->blk) {
    hd_in_free(in);
    return -1;
  }
  in->cap = WINDOW;
  in->win = in->buf;
  return 0;
}

void hd_in_free(hd_in *in) {
  free(in->buf);
  free(in->blk);
  in->buf = in->blk = NULL;
  in->win = NULL;
}

/* Reads up to n bytes at off into dst; returns how many were read. */
static size_t read_at(int fd, unsigned char *dst, size_t n, uint64_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, dst + got, n - got, (off_t)(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  return got;
}

int64_t hd_in_fill(hd_in *in, size_t n) {
  size_t avail = in->len - in->pos;
  if (avail >= n || in->fd < 0) return (int64_t)avail;
  if (n > in->cap) {
    size_t c = in->cap;
    while (c < n) c *= 2;
    unsigned char *b = malloc(c);
    if (!b) return -1;
    memcpy(b, in->buf + in->pos, avail);
    free(in->buf);
    in->buf = b;
    in->cap = c;
  } else {
    memmove(in->buf, in->buf + in->pos, avail);
  }
  in->win = in->buf;
  in->base += in->pos;
  in->pos = 0;
  in->len = avail;
  uint64_t left = in->size - in->base - in->len;
  size_t want = in->cap - in->len;
  if (want > left) want = (size_t)left;
  in->len += read_at(in->fd, in->buf + in->len, want, in->base + in->len);
  return (int64_t)in->len;
}

void hd_in_skip(hd_in *in, uint64_t n) {
  if (n <= in->len - in->pos) {
    in->pos += (size_t)n;
    return;
  }
  /* Past the window: start the next window there. */
  in->base += in->pos + n;
  in->pos = in->len = 0;
}

const unsigned char *hd_in_at(hd_in *in, uint64_t off, size_t n) {
  if (off >= in->base && off - in->base <= in->len && in->len - (off - in->base) >= n)
    return in->win + (off - in->base);
  if (in->fd < 0 || off > in->size || in->size - off < n) return NULL;
  if (!(off >= in->blk_off && off - in->blk_off <= in->blk_len && in->blk_len - (off - in->blk_off) >= n)) {
    in->blk_off = off & ~(uint64_t)4095;
    in->blk_len = read_at(in->fd, in->blk, BLOCK, in->blk_off);
    if (off - in->blk_off > in->blk_len || in->blk_len - (off - in->blk_off) < n) return NULL;
  }
  return in->blk + (off - in->blk_off);
}
