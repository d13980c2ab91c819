#define _POSIX_C_SOURCE 200809L
#include "mapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

static ge_err read_all(int fd, const char *name, ge_map *m, uint64_t max_bytes,
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

static ge_err map_fd(int fd, const char *name, ge_map *m, uint64_t max_bytes, int populate,
                     ge_error *err) {
  struct stat st;
  memset(m, 0, sizeof *m);
  if (fstat(fd, &st) != 0)
    return ge_fail(err, GE_ERR_IO, "%s: %s", name, strerror(errno));
  if (S_ISDIR(st.st_mode)) return ge_fail(err, GE_ERR_IO, "%s: is a directory", name);
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0),
                   fd, 0);
    if (p != MAP_FAILED) {
      m->data = p;
      m->size = (size_t)st.st_size;
      m->mapped = 1;
      return GE_OK;
    }
  }
  return read_all(fd, name, m, max_bytes, err);
}

ge_err ge_map_fd(int fd, const char *name, ge_map *m, uint64_t max_bytes, ge_error *err) {
  return map_fd(fd, name, m, max_bytes, 0, err);
}

static ge_err map_path(const char *path, ge_map *m, uint64_t max_bytes, int populate,
                       ge_error *err) {
  if (strcmp(path, "-") == 0) return map_fd(0, "<stdin>", m, max_bytes, populate, err);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ge_fail(err, GE_ERR_IO, "%s: %s", path, strerror(errno));
  ge_err rc = map_fd(fd, path, m, max_bytes, populate, err);
  close(fd);
  return rc;
}

ge_err ge_map_open(const char *path, ge_map *m, uint64_t max_bytes, ge_error *err) {
  return map_path(path, m, max_bytes, 0, err);
}

ge_err ge_map_open_whole(const char *path, ge_map *m, uint64_t max_bytes, ge_error *err) {
  return map_path(path, m, max_bytes, 1, err);
}

void ge_map_close(ge_map *m) {
  if (!m->data) return;
  if (m->mapped)
    munmap((void *)m->data, m->size);
  else
    free((void *)m->data);
  m->data = NULL;
  m->size = 0;
}
