/* ge_net_get: one HTTP GET into memory with libcurl (goescape/net.h).
 * libcurl rather than a socket and a hand-written HTTP/1.1 reader: chunked
 * bodies, redirects, proxies from the environment, connect and transfer
 * timeouts and TLS are each easy to get subtly wrong, and libcurl is the
 * well-kept library every distribution ships. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "goescape/net.h"

#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_TIMEOUT_MS 60000
#define MAX_REDIRECTS 5

struct ge_net_response {
  char *body;
  size_t len, cap;
  long status;
  char reason[64];   /* the status line's reason phrase, for messages */
  char ctype[128];
  char *url;         /* as answered, after redirects */
  double seconds;
};

/* curl_global_init must run once before the first handle, and before
 * libcurl 7.84 it is not thread-safe: two Lua states on two threads could
 * each start a fetch at once. pthread_once runs it exactly once for the
 * process; it is never undone (curl_global_cleanup) because another part of
 * the process may use libcurl too, and what it sets up is the same for all. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct fetch_ctx {
  ge_net_response *r;
  uint64_t max;
  int over;   /* the body passed max */
  int nomem;
} fetch_ctx;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  fetch_ctx *c = ud;
  size_t add = size * n;
  ge_net_response *r = c->r;
  if (add > c->max || r->len > c->max - add) {
    c->over = 1;
    return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
  }
  if (r->len + add + 1 > r->cap) {
    size_t cap = r->cap ? r->cap : 64 * 1024;
    while (cap < r->len + add + 1) cap *= 2;
    if (cap > c->max + 1) cap = (size_t)c->max + 1;
    char *b = realloc(r->body, cap);
    if (!b) {
      c->nomem = 1;
      return 0;
    }
    r->body = b;
    r->cap = cap;
  }
  memcpy(r->body + r->len, p, add);
  r->len += add;
  r->body[r->len] = 0;
  return add;
}

/* Keeps the reason phrase of the last status line (a redirect's answer
 * comes first): "HTTP/1.1 404 Not Found\r\n" -> "Not Found". */
static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  ge_net_response *r = ud;
  size_t len = size * n;
  if (len > 5 && memcmp(p, "HTTP/", 5) == 0) {
    size_t i = 5;
    while (i < len && p[i] != ' ') i++; /* version */
    while (i < len && p[i] == ' ') i++;
    while (i < len && p[i] != ' ' && p[i] != '\r' && p[i] != '\n') i++; /* code */
    while (i < len && p[i] == ' ') i++;
    size_t k = 0;
    while (i < len && p[i] != '\r' && p[i] != '\n' && k + 1 < sizeof r->reason) {
      unsigned char ch = (unsigned char)p[i++];
      r->reason[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    r->reason[k] = 0;
  }
  return len;
}

void ge_net_response_free(ge_net_response *r) {
  if (!r) return;
  free(r->body);
  free(r->url);
  free(r);
}

ge_strview ge_net_body(const ge_net_response *r) {
  ge_strview v = {r->body ? r->body : "", r->len};
  return v;
}
long ge_net_status(const ge_net_response *r) { return r->status; }
const char *ge_net_content_type(const ge_net_response *r) { return r->ctype; }
const char *ge_net_url(const ge_net_response *r) { return r->url ? r->url : ""; }
double ge_net_seconds(const ge_net_response *r) { return r->seconds; }

/* host:port of url ("127.0.0.1:6060"; the scheme's port when none is
 * written), for messages; and whether its scheme is http or https. */
static int url_parts(const char *url, char *hostport, size_t cap) {
  CURLU *u = curl_url();
  if (!u) return -1;
  int ok = -1;
  char *scheme = NULL, *host = NULL, *port = NULL;
  if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    snprintf(hostport, cap, "%s:%s", host, port);
    ok = 0;
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return ok;
}

/* The first line of an error answer, printable and at most 200 bytes. */
static void first_line(const ge_net_response *r, char *out, size_t cap) {
  size_t k = 0;
  for (size_t i = 0; i < r->len && k + 1 < cap && k < 200; i++) {
    unsigned char ch = (unsigned char)r->body[i];
    if (ch == '\n' || ch == '\r') {
      if (k) break;
      continue;
    }
    out[k++] = ch >= 0x20 && ch != 0x7f ? (char)ch : '?';
  }
  out[k] = 0;
}

/* loopback never goes through a proxy (net/http's rule too), whatever
 * the environment's no_proxy says; the rest of no_proxy is kept. */
static void set_noproxy(CURL *h, char *buf, size_t cap) {
  const char *env = getenv("no_proxy");
  if (!env || !*env) env = getenv("NO_PROXY");
  snprintf(buf, cap, "localhost,127.0.0.1,::1%s%s", env && *env ? "," : "", env && *env ? env : "");
  curl_easy_setopt(h, CURLOPT_NOPROXY, buf);
}

static ge_err transfer_error(const ge_net_request *req, CURL *h, CURLcode rc, const fetch_ctx *c,
                             const char *hostport, const char *detail, uint64_t connect_ms,
                             uint64_t timeout_ms, ge_error *err) {
  const char *url = req->url;
  if (c->over)
    return ge_fail(err, GE_ERR_LIMIT, "%s: the answer is over %llu bytes (limit max_fetch_bytes = %llu)",
                   url, (unsigned long long)c->max, (unsigned long long)c->max);
  if (c->nomem) return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory for the answer", url);
  long oserr = 0;
  curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
  switch (rc) {
  case CURLE_FILESIZE_EXCEEDED:
    return ge_fail(err, GE_ERR_LIMIT, "%s: the answer is over %llu bytes (limit max_fetch_bytes = %llu)",
                   url, (unsigned long long)c->max, (unsigned long long)c->max);
  case CURLE_COULDNT_CONNECT:
    if (oserr == ECONNREFUSED)
      return ge_fail(err, GE_ERR_IO, "%s: connection refused by %s (is the service listening there?)",
                     url, hostport);
    return ge_fail(err, GE_ERR_IO, "%s: cannot connect to %s: %s", url, hostport, detail);
  case CURLE_COULDNT_RESOLVE_HOST:
    return ge_fail(err, GE_ERR_IO, "%s: cannot resolve the host of %s: %s", url, hostport, detail);
  case CURLE_OPERATION_TIMEDOUT: {
    double connected = 0;
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &connected);
    if (connected <= 0)
      return ge_fail(err, GE_ERR_IO, "%s: no connection to %s within %.3g s (connect_timeout)", url,
                     hostport, (double)connect_ms / 1000);
    return ge_fail(err, GE_ERR_IO, "%s: no complete answer from %s within %.3g s (timeout)", url,
                   hostport, (double)timeout_ms / 1000);
  }
  case CURLE_TOO_MANY_REDIRECTS:
    return ge_fail(err, GE_ERR_IO, "%s: more than %d redirects", url, MAX_REDIRECTS);
  case CURLE_UNSUPPORTED_PROTOCOL:
    return ge_fail(err, GE_ERR_IO, "%s: redirected to a URL that is not http:// or https://", url);
  default:
    return ge_fail(err, GE_ERR_IO, "%s: %s", url, detail);
  }
}

ge_err ge_net_get(const ge_net_request *req, ge_net_response **out, ge_error *err) {
  *out = NULL;
  if (!req || !req->url) return ge_fail(err, GE_ERR_ARG, "ge_net_get: no URL");
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK)
    return ge_fail(err, GE_ERR_IO, "%s: libcurl: %s", req->url, curl_easy_strerror(curl_init_rc));
  char hostport[300];
  if (url_parts(req->url, hostport, sizeof hostport))
    return ge_fail(err, GE_ERR_ARG, "%s: not an http:// or https:// URL", req->url);

  ge_limits lim;
  ge_limits_default(&lim);
  fetch_ctx c = {NULL, req->max_bytes ? req->max_bytes : lim.max_fetch_bytes, 0, 0};
  uint64_t connect_ms = req->connect_timeout_ms ? req->connect_timeout_ms : DEFAULT_CONNECT_MS;
  uint64_t timeout_ms = req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
  ge_net_response *r = calloc(1, sizeof *r);
  CURL *h = curl_easy_init();
  if (!r || !h) {
    free(r);
    if (h) curl_easy_cleanup(h);
    return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", req->url);
  }
  c.r = r;
  char detail[CURL_ERROR_SIZE] = "";
  char noproxy[1024];
  curl_easy_setopt(h, CURLOPT_URL, req->url);
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  /* no SIGALRM for the resolver's timeout: the host process (a Lua
   * interpreter, a thread of some program) owns its signals */
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_ms > 0x7fffffff ? 0x7fffffff : connect_ms));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0x7fffffff ? 0x7fffffff : timeout_ms));
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(c.max > INT64_MAX ? INT64_MAX : c.max));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "goescape");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  set_noproxy(h, noproxy, sizeof noproxy);
  if (req->insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    if (!detail[0]) snprintf(detail, sizeof detail, "%s", curl_easy_strerror(rc));
    ge_err e = transfer_error(req, h, rc, &c, hostport, detail, connect_ms, timeout_ms, err);
    curl_easy_cleanup(h);
    ge_net_response_free(r);
    return e;
  }
  char *ct = NULL, *eff = NULL;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
  curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
  curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &r->seconds);
  snprintf(r->ctype, sizeof r->ctype, "%s", ct ? ct : "");
  r->url = strdup(eff ? eff : req->url);
  curl_easy_cleanup(h);
  if (!r->url) {
    ge_net_response_free(r);
    return ge_fail(err, GE_ERR_NOMEM, "%s: out of memory", req->url);
  }
  if (r->status < 200 || r->status > 299) {
    char line[256];
    first_line(r, line, sizeof line);
    ge_err e = ge_fail(err, GE_ERR_IO, "%s: HTTP %ld%s%s%s%s", req->url, r->status, r->reason[0] ? " " : "",
                       r->reason, line[0] ? ": " : "", line);
    ge_net_response_free(r);
    return e;
  }
  *out = r;
  return GE_OK;
}
