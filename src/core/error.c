/* Error codes, their names, and message formatting. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ge_err_name(ge_err code) {
  switch (code) {
  case GE_OK: return "ok";
  case GE_ERR_IO: return "io";
  case GE_ERR_NOMEM: return "nomem";
  case GE_ERR_FORMAT: return "format";
  case GE_ERR_LIMIT: return "limit";
  case GE_ERR_ARG: return "arg";
  case GE_ERR_NOTFOUND: return "notfound";
  }
  return "unknown";
}

ge_err ge_fail(ge_error *err, ge_err code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return code;
}

void ge_error_prefix(ge_error *err, const char *prefix) {
  if (!err || !prefix || !*prefix) return;
  char tmp[GE_ERRMSG_MAX];
  size_t n = strlen(prefix);
  if (n > GE_ERRMSG_MAX / 2) n = GE_ERRMSG_MAX / 2;
  memcpy(tmp, prefix, n);
  memcpy(tmp + n, ": ", 2);
  size_t rest = GE_ERRMSG_MAX - n - 3;
  size_t m = strnlen(err->msg, sizeof err->msg);
  if (m > rest) m = rest;
  memcpy(tmp + n + 2, err->msg, m);
  tmp[n + 2 + m] = 0;
  memcpy(err->msg, tmp, sizeof tmp);
}
