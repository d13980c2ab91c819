/* Go's math.Log and math.Lgamma (positive integers only), operation for
 * operation. benchstat's binomial and U-test tables go through
 * mathx.Choose = exp(lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1)) above 20,
 * and QuantileCI picks the side of an interval by comparing two such
 * values that are equal in exact arithmetic: which side wins depends on
 * their last bits, so they must be Go's bits, not libm's. */
#include <math.h>

#include "internal.h"

double ge_go_log(double x) {
  const double Ln2Hi = 6.93147180369123816490e-01, Ln2Lo = 1.90821492927058770002e-10,
               L1 = 6.666666666666735130e-01, L2 = 3.999999999940941908e-01,
               L3 = 2.857142874366239149e-01, L4 = 2.222219843214978396e-01,
               L5 = 1.818357216161805012e-01, L6 = 1.531383769920937332e-01,
               L7 = 1.479819860511658591e-01;
  if (isnan(x) || isinf(x)) return x > 0 || isnan(x) ? x : NAN;
  if (x < 0) return NAN;
  if (x == 0) return -INFINITY;
  int ki;
  double f1 = frexp(x, &ki);
  if (f1 < M_SQRT2 / 2) {
    f1 *= 2;
    ki--;
  }
  double f = f1 - 1;
  double k = (double)ki;
  double s = f / (2 + f);
  double s2 = s * s;
  double s4 = s2 * s2;
  double t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
  double t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
  double R = t1 + t2;
  double hfsq = 0.5 * f * f;
  return k * Ln2Hi - ((hfsq - (s * (hfsq + R) + k * Ln2Lo)) - f);
}

static double go_lgamma_int(int n) {
  static const double W[7] = {
      4.18938533204672725052e-01,  8.33333333333329678849e-02, -2.77777777728775536470e-03,
      7.93650558643019558500e-04,  -5.95187557450339963135e-04, 8.36339918996282139126e-04,
      -1.63092934096575273989e-03};
  if (n <= 2) return 0;
  double x = n;
  if (n < 8) {
    double z = 1.0; /* y = x - int(x) = 0: the polynomial part is 0 */
    switch (n) {
      case 7: z *= 6; /* fall through */
      case 6: z *= 5; /* fall through */
      case 5: z *= 4; /* fall through */
      case 4: z *= 3; /* fall through */
      default: z *= 2;
    }
    return 0.0 + ge_go_log(z);
  }
  double t = ge_go_log(x);
  double z = 1 / x;
  double y = z * z;
  double w = W[0] + z * (W[1] + y * (W[2] + y * (W[3] + y * (W[4] + y * (W[5] + y * W[6])))));
  return (x - 0.5) * (t - 1) + w;
}

double ge_go_choose(int n, int k) {
  if (k == 0 || k == n) return 1;
  if (k < 0 || n < k) return 0;
  if (n <= 20) {
    int64_t numer = 1, denom = 1;
    for (int64_t i = n - (k - 1); i <= n; i++) numer *= i;
    for (int64_t i = 2; i <= k; i++) denom *= i;
    return (double)(numer / denom);
  }
  double a = go_lgamma_int(n + 1), b = go_lgamma_int(k + 1), c = go_lgamma_int(n - k + 1);
  return exp(a - b - c);
}
