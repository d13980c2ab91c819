/* Input files, read into memory this process owns.
 *
 * Nothing is mapped from the file itself: a file truncated or rewritten in
 * place while mapped (a log re-written by `go build 2> build.log`, a binary
 * rebuilt while an editor holds it open) kills the host with SIGBUS on the
 * next read of a page past the new end. Reading into anonymous memory turns
 * that into either the bytes as they were at open or a clear error.
 *
 * Two ways in:
 *  - whole: the file is read front to back at open (logs, profiles: every
 *    byte is parsed anyway);
 *  - lazy: address space for the whole file is reserved and filled chunk by
 *    chunk on first use (binaries: DWARF and machine code are large and most
 *    commands never touch them). Each chunk is read once; the descriptor is
 *    kept, and a chunk is read only while the file is still the one opened
 *    (device, inode, size, mtime), so a map never mixes two versions.
 * Pipes, FIFOs and special files are read whole (bounded by max_bytes). */
#ifndef GE_CORE_MAPFILE_H
#define GE_CORE_MAPFILE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "goescape.h"

/* A file's identity: a path names the same file while all four agree. */
typedef struct ge_fileid {
  uint64_t dev, ino, size;
  int64_t mtime_ns;
} ge_fileid;

static inline ge_fileid ge_fileid_of(const struct stat *st) {
  return (ge_fileid){(uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
                     (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec};
}

static inline int ge_fileid_eq(ge_fileid a, ge_fileid b) {
  return a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.mtime_ns == b.mtime_ns;
}

struct ge_map_lazy; /* mapfile.c */

typedef struct ge_map {
  const unsigned char *data;
  size_t size;
  int mapped;               /* 1: munmap on close; 0: free */
  struct ge_map_lazy *lazy; /* lazily filled maps only */
} ge_map;

/* lim->max_inflated_bytes bounds what is read from a stream that has no size
 * (0: unbounded); lim->max_threads the threads a large read may use. NULL:
 * the defaults. */
ge_err ge_map_open_whole(const char *path, ge_map *m, const ge_limits *lim, ge_error *err);
ge_err ge_map_open_lazy(const char *path, ge_map *m, const ge_limits *lim, ge_error *err);
/* [off, off+n) of the map, read in first if need be; NULL with err set when
 * out of range or the file changed since open. Safe from several threads. */
const unsigned char *ge_map_get(const ge_map *m, uint64_t off, uint64_t n, ge_error *err);
/* 1 when a read of a lazy map was refused because the file changed. */
int ge_map_changed(const ge_map *m);
/* The descriptor of a lazy map's file while it is still the file opened,
 * else -1 (not lazy, or changed). Owned by the map. */
int ge_map_fd_if_same(const ge_map *m);
void ge_map_close(ge_map *m);
/* Up to cap of a regular file's first bytes, read before any bulk work so an
 * input can be judged (and refused) by them; 0 for "-", special files and
 * files that cannot be opened (the open that follows says why). */
size_t ge_read_head(const char *path, unsigned char *buf, size_t cap);
#endif
