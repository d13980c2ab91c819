/* benchstat's statistics (golang.org/x/perf/benchmath over
 * github.com/aclements/go-moremath/stats), step for step, so that the
 * medians, intervals and p-values are the ones benchstat prints. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Ascending, NaN first (Go's sort.Float64s, which benchstat sorts with):
 * the NaNs moved to the front, the rest by an LSD radix sort of their bits
 * mapped to unsigned order. Linear, with no input that makes it slow: cells
 * of thousands of values are sorted once per comparison. */
static uint64_t sort_key(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return (u >> 63) ? ~u : u | (1ull << 63);
}

static double from_key(uint64_t k) {
  uint64_t u = (k >> 63) ? k & ~(1ull << 63) : ~k;
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

static void insertion(double *v, size_t n) {
  for (size_t i = 1; i < n; i++) {
    double x = v[i];
    size_t j = i;
    while (j > 0 && v[j - 1] > x) v[j] = v[j - 1], j--;
    v[j] = x;
  }
}

void ge_bench_sort(double *v, size_t n) {
  size_t nan = 0;
  for (size_t i = n; i-- > 0;) /* NaNs to the front, the order of the rest kept */
    if (isnan(v[i])) nan++;
    else if (nan) v[i + nan] = v[i];
  for (size_t i = 0; i < nan; i++) v[i] = NAN;
  double *x = v + nan;
  size_t m = n - nan;
  if (m < 64) {
    insertion(x, m);
    return;
  }
  uint64_t *a = malloc(2 * m * sizeof *a);
  if (!a) { /* out of memory: still sorted, slowly */
    insertion(x, m);
    return;
  }
  uint64_t *b = a + m;
  for (size_t i = 0; i < m; i++) a[i] = sort_key(x[i]);
  for (int shift = 0; shift < 64; shift += 8) {
    size_t count[257] = {0};
    for (size_t i = 0; i < m; i++) count[((a[i] >> shift) & 255) + 1]++;
    if (count[((a[0] >> shift) & 255) + 1] == m) continue; /* one digit: nothing moves */
    for (int d = 0; d < 256; d++) count[d + 1] += count[d];
    for (size_t i = 0; i < m; i++) b[count[(a[i] >> shift) & 255]++] = a[i];
    uint64_t *t = a;
    a = b, b = t;
  }
  for (size_t i = 0; i < m; i++) x[i] = from_key(a[i]);
  free(a < b ? a : b);
}

/* stats.Sample.Quantile with estimator R8 on sorted values. */
static double quantile(const double *xs, size_t n, double q) {
  double N = (double)n;
  double h = 1 / 3.0 + q * (N + 1 / 3.0);
  double kf;
  double frac = modf(h, &kf);
  long k = (long)kf;
  if (k <= 0) return xs[0];
  if ((size_t)k >= n) return xs[n - 1];
  return xs[k - 1] + frac * (xs[k] - xs[k - 1]);
}

static double binom_pmf(int n, int k) {
  if (k < 0 || k > n) return 0;
  return ge_go_choose(n, k) * pow(0.5, k) * pow(0.5, n - k);
}

static double norm_cdf(double x, double mu, double sigma) {
  return erfc(-(x - mu) / (sigma * M_SQRT2)) / 2;
}

/* Acklam's inverse normal CDF with one refinement step, as
 * stats.NormalDist.InvCDF. */
static double norm_invcdf(double p, double mu, double sigma) {
  const double a1 = -3.969683028665376e+01, a2 = 2.209460984245205e+02,
               a3 = -2.759285104469687e+02, a4 = 1.383577518672690e+02,
               a5 = -3.066479806614716e+01, a6 = 2.506628277459239e+00;
  const double b1 = -5.447609879822406e+01, b2 = 1.615858368580409e+02,
               b3 = -1.556989798598866e+02, b4 = 6.680131188771972e+01,
               b5 = -1.328068155288572e+01;
  const double c1 = -7.784894002430293e-03, c2 = -3.223964580411365e-01,
               c3 = -2.400758277161838e+00, c4 = -2.549732539343734e+00,
               c5 = 4.374664141464968e+00, c6 = 2.938163982698783e+00;
  const double d1 = 7.784695709041462e-03, d2 = 3.224671290700398e-01,
               d3 = 2.445134137142996e+00, d4 = 3.754408661907416e+00;
  const double plow = 0.02425, phigh = 1 - plow;
  double x;
  if (p < 0 || p > 1) return NAN;
  if (p == 0) return -INFINITY;
  if (p == 1) return INFINITY;
  if (p < plow) {
    double q = sqrt(-2 * log(p));
    x = (((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) /
        ((((d1 * q + d2) * q + d3) * q + d4) * q + 1);
  } else if (phigh < p) {
    double q = sqrt(-2 * log(1 - p));
    x = -(((((c1 * q + c2) * q + c3) * q + c4) * q + c5) * q + c6) /
        ((((d1 * q + d2) * q + d3) * q + d4) * q + 1);
  } else {
    double q = p - 0.5, r = q * q;
    x = (((((a1 * r + a2) * r + a3) * r + a4) * r + a5) * r + a6) * q /
        (((((b1 * r + b2) * r + b3) * r + b4) * r + b5) * r + 1);
  }
  double e = 0.5 * erfc(-x / M_SQRT2) - p;
  double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
  x = x - u / (1 + x * u / 2);
  return x * sigma + mu;
}

/* stats.QuantileCI(n, 0.5, conf): the order statistics bounding the
 * median, exactly from Binomial(n, 1/2) up to 30 values, from its normal
 * approximation above. */
static void median_orders(int n, double conf, int *lo, int *hi, double *achieved) {
  int l, r;
  if (conf >= 1) {
    *lo = 0, *hi = n + 1, *achieved = 1;
    return;
  }
  if (n <= 30) {
    int x = (int)(ceil((double)(n + 1) * 0.5) - 1);
    double accum = binom_pmf(n, x);
    l = x, r = x + 1;
    double lp = binom_pmf(n, l - 1), rp = binom_pmf(n, r);
    while (accum < conf && (lp > 0 || rp > 0)) {
      if (lp >= rp) { /* left bias, as benchstat */
        accum += lp;
        l--;
        lp = binom_pmf(n, l - 1);
      } else {
        accum += rp;
        r++;
        rp = binom_pmf(n, r);
      }
    }
    *achieved = accum;
  } else {
    double mu = n * 0.5, sigma = sqrt(n * 0.5 * 0.5);
    double l1 = norm_invcdf((1 - conf) / 2, mu, sigma);
    double r1 = 2 * mu - l1;
    l = (int)floor(floor(l1 - 0.5) + 0.5) + 1;
    r = (int)floor(ceil(r1 - 0.5) + 0.5) + 1;
    double c = norm_cdf(r - 0.5, mu, sigma) - norm_cdf(l - 0.5, mu, sigma);
    double cb = norm_cdf(r - 1 - 0.5, mu, sigma) - norm_cdf(l - 0.5, mu, sigma);
    if (cb >= conf && cb < c) {
      c = cb;
      r = r - 1;
    }
    if (l <= 0 && r >= n + 1) c = 1;
    *achieved = c;
  }
  if (l < 0) l = 0;
  if (r > n + 1) r = n + 1;
  *lo = l, *hi = r;
}

void ge_bench_median_ci(const double *xs, size_t n, double conf, ge_bench_summary *out) {
  memset(out, 0, sizeof *out);
  if (n == 0) {
    out->center = out->lo = out->hi = NAN;
    return;
  }
  int lo, hi;
  median_orders((int)n, conf, &lo, &hi, &out->confidence);
  out->lo_order = lo, out->hi_order = hi;
  out->center = quantile(xs, n, 0.5);
  out->lo = lo < 1 ? -INFINITY : xs[lo - 1];
  out->hi = (size_t)(hi - 1) >= n ? INFINITY : xs[hi - 1];
  if (isinf(out->lo) || isinf(out->hi)) {
    /* benchmath.medianSamples: the fewest values with a finite interval. */
    int need = 51;
    for (int m = 2; m <= 50; m++) {
      double a;
      median_orders(m, conf, &lo, &hi, &a);
      if (0 < lo && hi <= m) {
        need = m;
        break;
      }
    }
    out->warn_samples = need;
  }
}

void ge_bench_exact_summary(const double *xs, size_t n, ge_bench_summary *out) {
  memset(out, 0, sizeof *out);
  if (n == 0) {
    out->center = out->lo = out->hi = NAN;
    return;
  }
  double val = xs[0], mode = val;
  size_t count = 1, mcount = 1;
  for (size_t i = 1; i < n; i++) {
    if (xs[i] == val) {
      if (++count > mcount) mode = val, mcount = count;
    } else {
      val = xs[i], count = 1;
    }
  }
  out->center = mode;
  out->lo = xs[0], out->hi = xs[n - 1];
  out->confidence = 1;
  out->lo_order = 1, out->hi_order = (int)n;
  out->exact_spread = mcount != n;
}

double ge_bench_geomean(const double *xs, size_t n) {
  if (n == 0) return NAN;
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(xs[i] > 0)) return NAN;
    m += (log(xs[i]) - m) / (double)(i + 1);
  }
  return exp(m);
}
