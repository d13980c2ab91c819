/* The two-sided Mann-Whitney U test as stats.MannWhitneyUTest computes it:
 * the exact distribution of U for small samples (Mann & Whitney's
 * recurrence without ties; with ties a count over tie groups, which gives
 * the counts of the Cheung-Klotz tables benchstat uses), otherwise the
 * normal approximation with tie and continuity correction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Go's limits: exact up to 50 values a side without ties, 25 with. */
#define EXACT_LIMIT 50
#define TIES_EXACT_LIMIT 25

/* UDist.p: p_{N,M}(u) for u = 0..U, the same recurrence in the same order
 * (one row per n reused across m). NULL when out of memory. */
static double *udist_p(int n1, int n2, int U) {
  int N = n1, M = n2;
  if (N > M) N = n2, M = n1;
  size_t w = (size_t)U + 1;
  double *memo = calloc((size_t)(N + 1) * w, sizeof *memo);
  if (!memo) return NULL;
  for (int m = 0; m <= M; m++) {
    memo[0] = 1;
    int nlim = N < m ? N : m;
    for (int n = 1; n <= nlim; n++) {
      const double *lp = memo + (size_t)(n - 1) * w;
      const double *rp = n <= m - 1 ? memo + (size_t)n * w : memo + (size_t)(m - 1) * w;
      int ulim = n * m < U ? n * m : U;
      double *out = memo + (size_t)n * w;
      double nm = (double)(n + m);
      for (int u = ulim; u >= 0; u--) {
        double l = u - m >= 0 ? (double)n * lp[u - m] : 0.0;
        double r = (double)m * rp[u];
        out[u] = (l + r) / nm;
      }
    }
  }
  double *res = malloc(w * sizeof *res);
  if (res) memcpy(res, memo + (size_t)N * w, w * sizeof *res);
  free(memo);
  return res;
}

/* UDist.CDF without ties. -1 when out of memory. */
static double cdf_noties(int n1, int n2, double U) {
  if (U < 0) return 0;
  if (U >= (double)n1 * n2) return 1;
  int ui = (int)floor(U);
  int flip = ui >= (n1 * n2 + 1) / 2;
  if (flip) ui = n1 * n2 - ui - 1;
  double *pdf = udist_p(n1, n2, ui);
  if (!pdf) return -1;
  double p = 0;
  for (int i = 0; i <= ui; i++) p += pdf[i];
  free(pdf);
  return flip ? 1 - p : p;
}

/* UDist.CDF with ties T[0..K) (group sizes, ascending values): Cheung and
 * Klotz's counts as go-moremath's makeUmemo computes them, step for step,
 * quirks included: its K = 2 base case divides a possibly negative number
 * with Go's truncating division, which counts arrangements whose U is past
 * the one asked for (3 equal values against 11 lower and 7 equal ones: p =
 * 0.248 where the exact answer is 0), and benchstat prints that p. */
typedef struct umemo {
  int *k, *n1, *tu; /* entries */
  double *val;
  size_t n, cap;
  uint32_t *slots; /* entry + 1 */
  size_t mask;
} umemo;

static uint32_t ukey_hash(int k, int n1, int tu) {
  uint64_t h = ((uint64_t)(uint32_t)k << 42) ^ ((uint64_t)(uint32_t)n1 << 21) ^ (uint32_t)tu;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return (uint32_t)h;
}

/* The entry of (k, n1, tu), or -1; with add, made (value 0) when missing
 * (-2: out of memory). */
static long umemo_get(umemo *m, int k, int n1, int tu, int add) {
  if (add && 2 * (m->n + 1) > m->mask + 1) {
    size_t ncap = (m->mask + 1) * 2;
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -2;
    for (size_t i = 0; i < m->n; i++) {
      size_t j = ukey_hash(m->k[i], m->n1[i], m->tu[i]) & (ncap - 1);
      while (ns[j]) j = (j + 1) & (ncap - 1);
      ns[j] = (uint32_t)i + 1;
    }
    free(m->slots);
    m->slots = ns, m->mask = ncap - 1;
  }
  size_t j = ukey_hash(k, n1, tu) & m->mask;
  for (; m->slots[j]; j = (j + 1) & m->mask) {
    size_t i = m->slots[j] - 1;
    if (m->k[i] == k && m->n1[i] == n1 && m->tu[i] == tu) return (long)i;
  }
  if (!add) return -1;
  if (m->n == m->cap) {
    size_t nc = m->cap ? m->cap * 2 : 256;
    int *a = realloc(m->k, nc * sizeof *a);
    if (a) m->k = a;
    int *b = realloc(m->n1, nc * sizeof *b);
    if (b) m->n1 = b;
    int *c = realloc(m->tu, nc * sizeof *c);
    if (c) m->tu = c;
    double *d = realloc(m->val, nc * sizeof *d);
    if (d) m->val = d;
    if (!a || !b || !c || !d) return -2;
    m->cap = nc;
  }
  size_t i = m->n++;
  m->k[i] = k, m->n1[i] = n1, m->tu[i] = tu, m->val[i] = 0;
  m->slots[j] = (uint32_t)i + 1;
  return (long)i;
}

static int two_umin(int n1, const int *t, int K, const int *a) {
  int tu = -n1 * n1, left = n1;
  for (int k = 1; k <= K; k++) {
    int take = left < t[k - 1] ? left : t[k - 1];
    tu += take * a[k];
    left -= take;
  }
  return tu;
}

static int two_umax(int n1, const int *t, int K, const int *a) {
  int tu = -n1 * n1, left = n1;
  for (int k = K; k > 0; k--) {
    int take = left < t[k - 1] ? left : t[k - 1];
    tu += take * a[k];
    left -= take;
  }
  return tu;
}

static double cdf_ties(int n1, int n2, const int *t, size_t Kz, double U) {
  if (U < 0) return 0;
  if (U >= (double)n1 * n2) return 1;
  int K = (int)Kz, twoU = (int)(2 * U);
  int *a = malloc((size_t)(K + 1) * sizeof *a);
  umemo m = {0};
  m.mask = 255;
  m.slots = calloc(m.mask + 1, sizeof *m.slots);
  double res = -1;
  if (!a || !m.slots) goto out;
  a[1] = t[0];
  for (int k = 2; k <= K; k++) a[k] = a[k - 1] + t[k - 2] + t[k - 1];
  /* The keys each level needs, from level K (the one asked) down to 2. */
  if (umemo_get(&m, K, n1, twoU, 1) < 0) goto out;
  int tsum = 0;
  for (int k = 0; k < K; k++) tsum += t[k];
  for (int k = K - 1; k >= 2; k--) {
    tsum -= t[k];
    size_t made = m.n;
    for (size_t i = 0; i < made; i++) {
      if (m.k[i] != k + 1) continue;
      int pn1 = m.n1[i], ptu = m.tu[i];
      int lo = pn1 - tsum > 0 ? pn1 - tsum : 0, hi = pn1 < t[k] ? pn1 : t[k];
      for (int rk = lo; rk <= hi; rk++) {
        int tuk = ptu - rk * (a[k + 1] - 2 * pn1 + rk), n1k = pn1 - rk;
        if (two_umin(n1k, t, k, a) <= tuk && tuk <= two_umax(n1k, t, k, a))
          if (umemo_get(&m, k, n1k, tuk, 1) == -2) goto out;
      }
    }
  }
  /* The K = 2 base case, then levels 3..K from the one below. */
  for (size_t i = 0; i < m.n; i++) {
    if (m.k[i] != 2) continue;
    int N2 = t[0] + t[1];
    int lo = m.n1[i] - t[0] > 0 ? m.n1[i] - t[0] : 0;
    int hi = (m.tu[i] - m.n1[i] * (t[0] - m.n1[i])) / N2; /* truncating, as Go */
    double sum = 0;
    for (int r2 = lo; r2 <= hi; r2++)
      sum += ge_go_choose(t[0], m.n1[i] - r2) * ge_go_choose(t[1], r2);
    m.val[i] = sum;
  }
  tsum = t[0];
  for (int k = 3; k <= K; k++) {
    tsum += t[k - 2];
    for (size_t i = 0; i < m.n; i++) {
      if (m.k[i] != k) continue;
      int n1k = m.n1[i], tuk = m.tu[i];
      int lo = n1k - tsum > 0 ? n1k - tsum : 0, hi = n1k < t[k - 1] ? n1k : t[k - 1];
      double sum = 0;
      for (int rk = lo; rk <= hi; rk++) {
        int tu1 = tuk - rk * (a[k] - 2 * n1k + rk), n11 = n1k - rk;
        long e = umemo_get(&m, k - 1, n11, tu1, 0);
        double x = e >= 0 ? m.val[e] : 0;
        if (e < 0 && two_umax(n11, t, k - 1, a) < tu1) x = ge_go_choose(tsum, n11);
        sum += x * ge_go_choose(t[k - 1], rk);
      }
      m.val[i] = sum;
    }
  }
  res = m.val[0] / ge_go_choose(n1 + n2, n1);
out:
  free(a), free(m.k), free(m.n1), free(m.tu), free(m.val), free(m.slots);
  return res;
}

/* The order of ge_bench_sort (NaN first, as Go's sort.Float64s), and NaN
 * equal to NaN, so that a NaN measurement cannot stall the walk below. */
static int before(double a, double b) { return (isnan(a) && !isnan(b)) || a < b; }
static int same(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

int ge_bench_utest(const double *x1, size_t n1, const double *x2, size_t n2, double *p,
                   int *exact) {
  *p = 1;
  if (exact) *exact = 0;
  if (n1 == 0 || n2 == 0) return 2;
  size_t N = n1 + n2;
  int *T = malloc(N * sizeof *T);
  if (!T) return -1;
  /* Walk the labeled merge (sample 1 first on equal values: only the
   * sum of ranks matters) for R1 and the tie groups. */
  double R1 = 0;
  size_t K = 0, i = 0, j = 0, pos = 0;
  int has_ties = 0;
  while (pos < N) {
    double v = i < n1 && (j >= n2 || !before(x2[j], x1[i])) ? x1[i] : x2[j];
    size_t rank1 = pos + 1, nx1 = 0;
    while (i < n1 && same(x1[i], v)) i++, nx1++, pos++;
    while (j < n2 && same(x2[j], v)) j++, pos++;
    if (nx1) R1 += (double)(pos + rank1) / 2 * (double)nx1;
    T[K++] = (int)(pos - rank1 + 1);
    if (pos > rank1) has_ties = 1;
  }
  double U1 = R1 - (double)(n1 * (n1 + 1)) / 2;
  double U2 = (double)(n1 * n2) - U1;
  double Usmall = U1 < U2 ? U1 : U2;
  int rc = 0;
  if ((!has_ties && n1 <= EXACT_LIMIT && n2 <= EXACT_LIMIT) ||
      (has_ties && n1 <= TIES_EXACT_LIMIT && n2 <= TIES_EXACT_LIMIT)) {
    if (exact) *exact = 1;
    if (K == 1) {
      rc = 1;
    } else if (U1 == U2) {
      *p = 1;
    } else {
      double c = has_ties ? cdf_ties((int)n1, (int)n2, T, K, Usmall)
                          : cdf_noties((int)n1, (int)n2, Usmall);
      if (c < 0) rc = -1;
      else *p = c * 2;
    }
  } else {
    double t = 0;
    for (size_t k = 0; k < K; k++) t += (double)T[k] * T[k] * T[k] - T[k];
    double Nf = (double)N;
    double mu = (double)(n1 * n2) / 2;
    double sigma = sqrt((double)(n1 * n2) * ((Nf + 1) - t / (Nf * (Nf - 1))) / 12);
    if (sigma == 0) {
      rc = 1;
    } else {
      double numer = U1 - mu;
      numer -= (numer > 0 ? 1 : numer < 0 ? -1 : 0) * 0.5;
      double z = numer / sigma;
      double c = erfc(-z / M_SQRT2) / 2;
      *p = 2 * (c < 1 - c ? c : 1 - c);
    }
  }
  free(T);
  if (rc == 1) *p = 1;
  return rc;
}
