/**
 * LoadGen's early-stopping criterion for the Server scenario (and so for
 * Interactive, which LoadGen runs as Server).
 *
 * Source: reference/mlperf.md §2.2, from `inference: loadgen/early_stopping.cc`
 * and `loadgen/results.cc` (`EarlyStopping`, `case TestScenario::Server`), and
 * `inference_policies: inference_rules.adoc`, appendix "Early Stopping Criterion".
 *
 * With t samples over the latency limit out of `queriesIssued`, the run may claim
 * "p99 ≤ limit" with confidence c only if it processed at least h + t queries,
 * where h is the smallest h with
 *
 *     odds(h, t) = BetaRegularized(p − d, h, t + 1) < 1 − c
 *
 * i.e. the binomial probability of seeing at most t over-limit queries in h + t
 * queries, if the true over-limit rate were exactly 1 − p, is below 1 − c.
 * LoadGen fixes p = 0.99 (target_latency_percentile), d = 0, c = 0.99. The policy
 * text says "≤ 1 − c"; the code tests `prob < 1 - c` (strict). We follow the code:
 * it is what decides VALID/INVALID in a real run.
 */

/** `target_latency_percentile` for every LLM Server benchmark (mlperf.conf: `*.Server.target_latency_percentile = 99`). */
export const EARLY_STOPPING_PERCENTILE = 0.99;
/** d, "tolerance" in results.cc */
export const EARLY_STOPPING_TOLERANCE = 0;
/** c, "confidence" in results.cc */
export const EARLY_STOPPING_CONFIDENCE = 0.99;

/** LoadGen's exact message when early stopping passes (results.cc). */
export const EARLY_STOPPING_SUCCESS_MESSAGE = ' * Run successful.';

/**
 * ln Γ(x) for x > 0. Stirling's series for x ≥ 10 (absolute error < 1e-15 there),
 * shifted up by the recurrence Γ(x+1) = xΓ(x) below that. We only need positive
 * arguments (the Beta function of positive integer counts), so no reflection.
 */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`logGamma: argument must be a positive finite number, got ${x}`);
  let shift = 0;
  let z = x;
  while (z < 10) {
    shift += Math.log(z);
    z += 1;
  }
  const zInv = 1 / z;
  const zInv2 = zInv * zInv;
  // Bernoulli-number terms B2k / (2k(2k-1) z^(2k-1)), k = 1..6
  const series =
    zInv *
    (1 / 12 +
      zInv2 * (-1 / 360 + zInv2 * (1 / 1260 + zInv2 * (-1 / 1680 + zInv2 * (1 / 1188 + zInv2 * (-691 / 360360))))));
  return (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * Continued fraction for the incomplete beta function (modified Lentz), the
 * standard form that converges fast when x < (a + 1) / (a + b + 2). Needs
 * O(sqrt(max(a, b))) iterations; we allow far more and fail loudly rather than
 * return a silently wrong probability that would flip a VALID/INVALID verdict.
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const epsilon = 1e-16;
  const maxIterations = 100_000;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    // even step
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    // odd step
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < epsilon) return h;
  }
  throw new Error(`regularizedIncompleteBeta: continued fraction did not converge for x=${x}, a=${a}, b=${b}`);
}

/**
 * The regularized incomplete beta function I_x(a, b) (Mathematica's
 * BetaRegularized[x, a, b]) for 0 ≤ x ≤ 1, a, b > 0. The prefactor
 * x^a (1−x)^b / B(a, b) is computed in log space, so counts in the hundreds of
 * thousands neither overflow nor underflow; the symmetry
 * I_x(a, b) = 1 − I_{1−x}(b, a) keeps the continued fraction in its fast region.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`regularizedIncompleteBeta: a and b must be > 0 (a=${a}, b=${b})`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`regularizedIncompleteBeta: x must be in [0, 1], got ${x}`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) {
    return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  }
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/**
 * LoadGen's `odds(h, t, p, d)`: the probability of t or fewer over-latency
 * queries among h + t, when each is over latency with probability 1 − (p − d).
 * Equal to the binomial CDF Σ_{x=0..t} C(h+t, x) (p−d)^(h+t−x) (1−p+d)^x.
 */
export function earlyStoppingOdds(h: number, t: number, p = EARLY_STOPPING_PERCENTILE, d = EARLY_STOPPING_TOLERANCE): number {
  return regularizedIncompleteBeta(p - d, h, 1 + t);
}

/**
 * LoadGen's `find_min_passing`: the smallest h in [minH, maxH] with
 * odds(h, t) < 1 − c (strict, as in early_stopping.cc), by the same binary search.
 * Returns maxH when no h in the range passes, as LoadGen does.
 */
function findMinPassing(minH: number, maxH: number, t: number, p: number, d: number, c: number): number {
  let lo = minH;
  let count = maxH - minH;
  while (count > 0) {
    const step = Math.floor(count / 2);
    const h = lo + step;
    if (earlyStoppingOdds(h, t, p, d) < 1 - c) {
      count = step;
    } else {
      lo = h + 1;
      count -= step + 1;
    }
  }
  return lo;
}

/**
 * The minimum h (queries under the limit) that lets a run with t over-limit
 * queries pass: LoadGen's `MinPassingQueriesFinder::operator()`.
 *
 * results.cc builds a fresh finder for every EarlyStopping call, so its cache is
 * always empty and the search range is always the one derived from t = 0:
 * [t·p/(1−p) + h0, t·h0 + h0 + 1] with h0 = ceil(ln(1−c) / ln(p−d)) (= 459).
 * We use the same range so that any edge case behaves as LoadGen's does; the
 * tests check the result against an independent binomial computation.
 */
export function minPassingUnderLimitQueries(
  t: number,
  p = EARLY_STOPPING_PERCENTILE,
  d = EARLY_STOPPING_TOLERANCE,
  c = EARLY_STOPPING_CONFIDENCE,
): number {
  if (!Number.isInteger(t) || t < 0) throw new RangeError(`over-limit count must be a non-negative integer, got ${t}`);
  const x0 = -1;
  const y0 = 0;
  const x1 = 0;
  const y1 = Math.ceil(Math.log(1 - c) / Math.log(p - d));
  const minSlope = (p - d) / (1 - p + d);
  const maxSlope = (y1 - y0) * (x1 - x0);
  // int64_t conversion in C++ truncates toward zero
  const minH = Math.trunc((t - x1) * minSlope + y1);
  const maxH = Math.trunc((t - x1) * maxSlope + y1 + 1);
  return findMinPassing(minH, maxH, t, p, d, c);
}

/**
 * Total queries a Server run needs (h + t) so that t over-limit queries still pass
 * early stopping. t = 0 → 459, t = 1 → 662, t = 100 → 12,571 (reference/mlperf.md §2.2).
 */
export function minQueriesForEarlyStopping(
  overLimitCount: number,
  p = EARLY_STOPPING_PERCENTILE,
  d = EARLY_STOPPING_TOLERANCE,
  c = EARLY_STOPPING_CONFIDENCE,
): number {
  return minPassingUnderLimitQueries(overLimitCount, p, d, c) + overLimitCount;
}

/**
 * LoadGen's early-stopping result string (results.cc, Server case), byte for byte.
 * `additionalQueries` is h + t − queriesIssued when the run fails.
 */
export function earlyStoppingMessage(passed: boolean, queriesIssued: number, additionalQueries: number): string {
  if (passed) return EARLY_STOPPING_SUCCESS_MESSAGE;
  return (
    ' * Run unsuccessful.\n * Processed ' +
    String(queriesIssued) +
    ' queries.\n' +
    ' * Would need to run at least ' +
    String(additionalQueries) +
    ' more queries,\n with the run being successful if every additional\n query were under latency.'
  );
}

export interface EarlyStoppingOutcome {
  passed: boolean;
  /** t: samples strictly over the limit */
  overLimitCount: number;
  queriesIssued: number;
  /** h + t */
  minQueries: number;
  /** max(0, h + t − queriesIssued) */
  additionalQueriesNeeded: number;
  /** LoadGen's multi-line result text */
  message: string;
}

/** Early stopping for one metric (TTFT or TPOT): pass iff queriesIssued ≥ h + t. */
export function evaluateEarlyStopping(queriesIssued: number, overLimitCount: number): EarlyStoppingOutcome {
  const minQueries = minQueriesForEarlyStopping(overLimitCount);
  const passed = queriesIssued >= minQueries;
  const additionalQueriesNeeded = passed ? 0 : minQueries - queriesIssued;
  return {
    passed,
    overLimitCount,
    queriesIssued,
    minQueries,
    additionalQueriesNeeded,
    message: earlyStoppingMessage(passed, queriesIssued, additionalQueriesNeeded),
  };
}
