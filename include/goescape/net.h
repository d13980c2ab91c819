/* goescape — ge_net API: an HTTP GET client for live Go services
 * (net/http/pprof's /debug/pprof/... endpoints, expvar's /debug/vars).
 *
 * One call fetches one URL into memory with libcurl: http:// and https://
 * only (redirects too), a connect timeout and a total timeout, and a
 * maximum body size (ge_limits.max_fetch_bytes: a hostile or broken server
 * must not exhaust the host). A response whose status is not 2xx is an
 * error that quotes the first line of its body (net/http/pprof answers its
 * errors as text: "Unknown profile", "profile duration exceeds server's
 * WriteTimeout"). A refused connection names host:port. */
#ifndef GOESCAPE_NET_H
#define GOESCAPE_NET_H
#include "../goescape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ge_net_request {
  const char *url;
  uint64_t connect_timeout_ms; /* 0: 10 s */
  uint64_t timeout_ms;         /* the whole transfer; 0: 60 s */
  uint64_t max_bytes;          /* body size cap; 0: ge_limits_default's max_fetch_bytes */
  int insecure;                /* https without certificate checks (pprof's https+insecure://) */
} ge_net_request;

typedef struct ge_net_response ge_net_response;

/* GETs req->url. On success *out owns the body; on failure *out is NULL and
 * err says why: GE_ERR_IO (connection refused, timeout, DNS, TLS, a status
 * that is not 2xx), GE_ERR_LIMIT (the body is over max_bytes), GE_ERR_ARG
 * (a URL whose scheme is not http or https), GE_ERR_NOMEM. Messages start
 * with the URL. */
GE_API ge_err ge_net_get(const ge_net_request *req, ge_net_response **out, ge_error *err);
GE_API void ge_net_response_free(ge_net_response *r);

GE_API ge_strview ge_net_body(const ge_net_response *r);
GE_API long ge_net_status(const ge_net_response *r);
/* The Content-Type header ("" when absent) and the URL answered (after
 * redirects). NUL-terminated, owned by r. */
GE_API const char *ge_net_content_type(const ge_net_response *r);
GE_API const char *ge_net_url(const ge_net_response *r);
/* Seconds from the request to the last byte. */
GE_API double ge_net_seconds(const ge_net_response *r);

#ifdef __cplusplus
}
#endif
#endif
