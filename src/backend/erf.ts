// The error function in float64, which JavaScript's Math lacks. Needed by the
// exact GELU (BERT, nn.GELU()). Maclaurin series for |x| < 2.5 (terms shrink
// below 1e-17 within ~40 terms), the continued fraction of erfc above it
// (Abramowitz & Stegun 7.1.14); |error| < 1e-14 everywhere.

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) return seriesErf(x);
  if (a > 6) return Math.sign(x);
  const complement = continuedFractionErfc(a);
  return x > 0 ? 1 - complement : complement - 1;
}

function seriesErf(x: number): number {
  // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
  const x2 = x * x;
  let power = x;
  let sum = x;
  for (let n = 1; n < 60; n++) {
    power *= -x2 / n;
    const term = power / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

function continuedFractionErfc(a: number): number {
  // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + 2/(a + …))))), evaluated bottom-up.
  let fraction = a;
  for (let n = 60; n >= 1; n--) fraction = a + n / 2 / fraction;
  return Math.exp(-a * a) / Math.sqrt(Math.PI) / fraction;
}
