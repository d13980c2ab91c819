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

/* UDist.CDF with ties T[0..K) (group sizes, ascending values): the number
 * of ways to pick which n1 of the pooled values are sample 1 with 2*U1 <=
 * twoU, over C(n1+n2, n1). Groups are placed in ascending order; state
 * (a = sample-1 values placed, 2U so far); r of a group's t values from
 * sample 1, with b sample-2 values below it, add r*(2b + t - r) to 2U. */
static double cdf_ties(int n1, int n2, const int *T, size_t K, double U) {
  if (U < 0) return 0;
  if (U >= (double)n1 * n2) return 1;
  int twoU = (int)(2 * U);
  int maxu = 2 * n1 * n2;
  size_t w = (size_t)maxu + 1;
  double *cur = calloc((size_t)(n1 + 1) * w, sizeof *cur);
  double *nxt = calloc((size_t)(n1 + 1) * w, sizeof *nxt);
  if (!cur || !nxt) {
    free(cur), free(nxt);
    return -1;
  }
  cur[0] = 1;
  int placed = 0;
  for (size_t g = 0; g < K; g++) {
    int t = T[g];
    memset(nxt, 0, (size_t)(n1 + 1) * w * sizeof *nxt);
    for (int a = 0; a <= n1 && a <= placed; a++) {
      int b = placed - a;
      if (b > n2) continue;
      const double *row = cur + (size_t)a * w;
      for (int r = 0; r <= t && a + r <= n1; r++) {
        if (b + (t - r) > n2) continue;
        double c = ge_go_choose(t, r);
        int add = r * (2 * b + t - r);
        double *orow = nxt + (size_t)(a + r) * w;
        for (int u = 0; u + add <= maxu; u++)
          if (row[u] != 0) orow[u + add] += row[u] * c;
      }
    }
    double *tmp = cur;
    cur = nxt, nxt = tmp;
    placed += t;
  }
  double count = 0;
  const double *row = cur + (size_t)n1 * w;
  for (int u = 0; u <= twoU && u <= maxu; u++) count += row[u];
  free(cur), free(nxt);
  return count / ge_go_choose(n1 + n2, n1);
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
