#define _GNU_SOURCE
#include "mapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"
#include "threads.h"

/* Chunks of a lazy map: small enough that a few bytes of machine code do not
 * pull in megabytes, large enough that a section is a handful of reads. */
#define CHUNK_SHIFT 16

struct ge_map_lazy {
  int fd;
  ge_fileid id;
  char *name;
  pthread_mutex_t lock; /* one reader of the file at a time */
  atomic_int changed;
  size_t nchunks;
  atomic_uchar have[]; /* chunk k read in */
};

static ge_err read_stream(int fd, const char *name, ge_map *m, uint64_t max_bytes,
                          ge_error *err) {
  size_t cap = 1 << 16, len = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
  for (;;) {
    if (len == cap) {
      if (max_bytes && cap >= max_bytes) {
        free(buf);
        return ge_fail(err, GE_ERR_LIMIT,
                       "%s: input larger than %llu bytes (limit max_inflated_bytes)",
                       name, (unsigned long long)max_bytes);
      }
      unsigned char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory after %zu bytes", name, len);
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      return ge_fail(err, GE_ERR_IO, "%s: read failed at offset %zu: %s", name, len,
                     strerror(e));
    }
    if (r == 0) break;
    len += (size_t)r;
  }
  m->data = buf;
  m->size = len;
  m->mapped = 0;
  return GE_OK;
}

/* Reads [off, off+n) of fd into dst; a short read means the file shrank. */
static ge_err pread_full(int fd, const char *name, unsigned char *dst, uint64_t off, size_t n,
                         ge_error *err) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, dst + done, n - done, (off_t)(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ge_fail(err, GE_ERR_IO, "%s: read failed at offset %llu: %s", name,
                     (unsigned long long)(off + done), strerror(errno));
    }
    if (r == 0)
      return ge_fail(err, GE_ERR_IO, "%s: changed while open (now ends at offset %llu)", name,
                     (unsigned long long)(off + done));
    done += (size_t)r;
  }
  return GE_OK;
}

static void *reserve(size_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* A whole read is half page faults of the fresh memory, half copying, both
 * bound by one CPU: large files are read in segments on several threads. */
#define SEGMENT_MIN (16u << 20)

typedef struct segment {
  int fd;
  const char *name;
  unsigned char *dst;
  uint64_t off;
  size_t n;
  ge_err rc;
  ge_error err;
} segment;

static void read_segment(void *ctx, unsigned thread, size_t i) {
  (void)thread;
  segment *g = (segment *)ctx + i;
  g->rc = pread_full(g->fd, g->name, g->dst + g->off, g->off, g->n, &g->err);
}

static ge_err read_whole(int fd, const char *name, unsigned char *dst, size_t size,
                         unsigned threads, ge_error *err) {
  size_t k = size / SEGMENT_MIN;
  if (k > threads) k = threads;
  if (k > GE_POOL_MAXTHREADS) k = GE_POOL_MAXTHREADS;
  if (k <= 1) return pread_full(fd, name, dst, 0, size, err);
  segment seg[GE_POOL_MAXTHREADS];
  size_t per = (size / k + 4095) & ~(size_t)4095;
  for (size_t i = 0; i < k; i++) {
    uint64_t off = (uint64_t)i * per;
    seg[i] = (segment){fd, name, dst, off, off >= size ? 0 : (size - off < per ? size - off : per),
                       GE_OK, {0}};
  }
  ge_pool_run((unsigned)k, k, read_segment, seg);
  for (size_t i = 0; i < k; i++)
    if (seg[i].rc) {
      if (err) *err = seg[i].err;
      return seg[i].rc;
    }
  return GE_OK;
}

typedef enum { WHOLE, LAZY } how;

static ge_err open_fd(int fd, const char *name, ge_map *m, const ge_limits *lim, how h,
                      int *keep_fd, ge_error *err) {
  uint64_t max_bytes = lim->max_inflated_bytes;
  struct stat st;
  memset(m, 0, sizeof *m);
  if (fstat(fd, &st) != 0) return ge_fail(err, GE_ERR_IO, "%s: %s", name, strerror(errno));
  if (S_ISDIR(st.st_mode)) return ge_fail(err, GE_ERR_IO, "%s: is a directory", name);
  /* Special files report sizes that are not their contents (0 for /proc,
   * devices): only regular files are read by their size. */
  if (!S_ISREG(st.st_mode) || st.st_size <= 0) return read_stream(fd, name, m, max_bytes, err);
  size_t size = (size_t)st.st_size;
  if ((uint64_t)st.st_size != size)
    return ge_fail(err, GE_ERR_NOMEM, "%s: %lld bytes do not fit in memory", name,
                   (long long)st.st_size);
  unsigned char *p = reserve(size);
  if (!p) return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory for %zu bytes", name, size);
  if (h == WHOLE) {
    ge_err rc = read_whole(fd, name, p, size, lim->max_threads ? lim->max_threads : 1, err);
    if (rc) {
      munmap(p, size);
      return rc;
    }
    m->data = p;
    m->size = size;
    m->mapped = 1;
    return GE_OK;
  }
  size_t nchunks = ((size - 1) >> CHUNK_SHIFT) + 1, nlen = strlen(name);
  struct ge_map_lazy *z = calloc(1, sizeof *z + nchunks);
  char *nm = malloc(nlen + 1);
  if (!z || !nm || pthread_mutex_init(&z->lock, NULL) != 0) {
    free(z);
    free(nm);
    munmap(p, size);
    return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", name);
  }
  memcpy(nm, name, nlen + 1);
  z->fd = fd;
  z->id = ge_fileid_of(&st);
  z->name = nm;
  z->nchunks = nchunks;
  for (size_t i = 0; i < nchunks; i++) atomic_init(&z->have[i], 0);
  atomic_init(&z->changed, 0);
  m->data = p;
  m->size = size;
  m->mapped = 1;
  m->lazy = z;
  *keep_fd = 1;
  return GE_OK;
}

static ge_err open_path(const char *path, ge_map *m, const ge_limits *lim, how h,
                        ge_error *err) {
  int keep = 0;
  ge_limits dl;
  if (!lim) {
    ge_limits_default(&dl);
    lim = &dl;
  }
  if (strcmp(path, "-") == 0) return open_fd(0, "<stdin>", m, lim, WHOLE, &keep, err);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ge_fail(err, GE_ERR_IO, "%s: %s", path, strerror(errno));
  ge_err rc = open_fd(fd, path, m, lim, h, &keep, err);
  if (!keep) close(fd);
  return rc;
}

ge_err ge_map_open_whole(const char *path, ge_map *m, const ge_limits *lim, ge_error *err) {
  return open_path(path, m, lim, WHOLE, err);
}

ge_err ge_map_open_lazy(const char *path, ge_map *m, const ge_limits *lim, ge_error *err) {
  return open_path(path, m, lim, LAZY, err);
}

static int same_file(struct ge_map_lazy *z) {
  struct stat st;
  return fstat(z->fd, &st) == 0 && ge_fileid_eq(ge_fileid_of(&st), z->id);
}

/* Reads chunks [c0, c1) that are not in yet, a run of missing ones per read. */
static ge_err fill(const ge_map *m, size_t c0, size_t c1, ge_error *err) {
  struct ge_map_lazy *z = m->lazy;
  ge_err rc = GE_OK;
  pthread_mutex_lock(&z->lock);
  if (atomic_load(&z->changed) || !same_file(z)) goto changed;
  for (size_t c = c0; c < c1 && !rc;) {
    if (atomic_load_explicit(&z->have[c], memory_order_relaxed)) {
      c++;
      continue;
    }
    size_t e = c + 1;
    while (e < c1 && !atomic_load_explicit(&z->have[e], memory_order_relaxed)) e++;
    uint64_t off = (uint64_t)c << CHUNK_SHIFT;
    uint64_t end = (uint64_t)e << CHUNK_SHIFT;
    if (end > m->size) end = m->size;
#ifdef MADV_POPULATE_WRITE
    /* Faulting the pages in one call costs less than one fault per page
     * inside the read; kernels without it fault as they go. */
    madvise((unsigned char *)m->data + off, (size_t)(end - off), MADV_POPULATE_WRITE);
#endif
    rc = pread_full(z->fd, z->name, (unsigned char *)m->data + off, off, (size_t)(end - off), err);
    /* A rewrite of the same length between the check and the read shows in
     * the mtime afterwards: the chunk may then hold both versions. */
    if (!rc && !same_file(z)) goto changed;
    if (rc) {
      atomic_store(&z->changed, 1);
      break;
    }
    for (size_t k = c; k < e; k++) atomic_store_explicit(&z->have[k], 1, memory_order_release);
    c = e;
  }
  pthread_mutex_unlock(&z->lock);
  return rc;
changed:
  atomic_store(&z->changed, 1);
  pthread_mutex_unlock(&z->lock);
  return ge_fail(err, GE_ERR_IO, "%s: changed while open (rebuilt or rewritten in place); open it again",
                 z->name);
}

const unsigned char *ge_map_get(const ge_map *m, uint64_t off, uint64_t n, ge_error *err) {
  if (off > m->size || n > m->size - off) {
    ge_fail(err, GE_ERR_FORMAT, "offset %llu + %llu bytes past the end of the file (%zu bytes)",
            (unsigned long long)off, (unsigned long long)n, m->size);
    return NULL;
  }
  struct ge_map_lazy *z = m->lazy;
  if (!z || n == 0) return m->data + off;
  size_t c0 = (size_t)(off >> CHUNK_SHIFT), c1 = (size_t)((off + n - 1) >> CHUNK_SHIFT) + 1;
  for (size_t c = c0; c < c1; c++)
    if (!atomic_load_explicit(&z->have[c], memory_order_acquire)) {
      if (fill(m, c, c1, err)) return NULL;
      break;
    }
  return m->data + off;
}

int ge_map_changed(const ge_map *m) {
  return m->lazy && atomic_load(&m->lazy->changed);
}

int ge_map_fd_if_same(const ge_map *m) {
  struct ge_map_lazy *z = m->lazy;
  if (!z || atomic_load(&z->changed)) return -1;
  return same_file(z) ? z->fd : -1;
}

void ge_map_close(ge_map *m) {
  if (m->lazy) {
    close(m->lazy->fd);
    pthread_mutex_destroy(&m->lazy->lock);
    free(m->lazy->name);
    free(m->lazy);
    m->lazy = NULL;
  }
  if (m->data) {
    if (m->mapped)
      munmap((void *)m->data, m->size);
    else
      free((void *)m->data);
  }
  m->data = NULL;
  m->size = 0;
}

size_t ge_read_head(const char *path, unsigned char *buf, size_t cap) {
  if (!strcmp(path, "-")) return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st;
  ssize_t n = 0;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) n = pread(fd, buf, cap, 0);
  close(fd);
  return n > 0 ? (size_t)n : 0;
}
