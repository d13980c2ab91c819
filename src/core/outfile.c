#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

ge_err ge_write_file(const char *path, const void *data, size_t len, ge_error *err) {
  if (!path || (!data && len)) return ge_fail(err, GE_ERR_ARG, "write: bad arguments");
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return ge_fail(err, GE_ERR_IO, "%s: %s", path, strerror(errno));
    int bad = write_all(fd, data, len);
    int e = errno;
    if (close(fd) && !bad) bad = 1, e = errno;
    if (bad) return ge_fail(err, GE_ERR_IO, "%s: write error: %s", path, strerror(e));
    return GE_OK;
  }
  size_t n = strlen(path);
  char *tmp = malloc(n + 16);
  if (!tmp) return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", path);
  memcpy(tmp, path, n);
  memcpy(tmp + n, ".tmp-XXXXXX", 12);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    ge_err rc = ge_fail(err, GE_ERR_IO, "%s: cannot create a file beside it: %s", path, strerror(errno));
    free(tmp);
    return rc;
  }
  /* mkstemp makes 0600; an output file gets the usual mode (umask applies) */
  mode_t um = umask(0);
  umask(um);
  (void)fchmod(fd, 0666 & ~um);
  int bad = write_all(fd, data, len);
  int e = errno;
  if (!bad && fsync(fd) && errno != EINVAL && errno != EROFS) bad = 1, e = errno;
  if (close(fd) && !bad) bad = 1, e = errno;
  if (!bad && rename(tmp, path)) bad = 1, e = errno;
  if (bad) {
    unlink(tmp);
    free(tmp);
    return ge_fail(err, GE_ERR_IO, "%s: write error: %s", path, strerror(e));
  }
  free(tmp);
  return GE_OK;
}
