/**
 * Confidence intervals of the headline figures (docs/metrics.md "Confidence
 * intervals"). Two methods, each computed from inputs that merge exactly, so a
 * merged or multi-endpoint run gets its intervals from the merged inputs:
 *
 * - Rates (tokens/s, requests/s, goodput): batch means over the steady-state
 *   window. The per-second counts inside the window are grouped into k
 *   consecutive batches of b seconds; the spread of the k batch rates gives a
 *   standard error, and Student's t with k − 1 degrees of freedom the
 *   half-width. Batching absorbs short-range correlation (continuous-batching
 *   waves, queueing) that would make per-second counts look less noisy than
 *   they are. The relative half-width is applied to the headline figure:
 *   ramp-up and drain are the same for every run of a setup, the random part
 *   is the rate in between.
 * - Percentiles: distribution-free, from order statistics. The number of
 *   values below the true p-quantile is Binomial(n, p), the reasoning LoadGen's
 *   early stopping uses; the ranks l and u with P(l ≤ B < u) ≥ c come from
 *   binomial quantiles and the values from the HDR histogram at those ranks
 *   (lower bucket edge for l, upper for u, so bucketing only widens).
 */
import { regularizedIncompleteBeta } from './early-stopping.js';
import type { Histogram } from './histogram.js';

export const DEFAULT_CONFIDENCE = 0.95;
/** Fewer batches than this give a t quantile too wide to be useful: "not enough data". */
export const MIN_BATCHES = 5;
/** More batches than this make each too short to absorb correlation; longer windows get longer batches. */
export const MAX_BATCHES = 20;

/** P(B ≤ k) for B ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  return regularizedIncompleteBeta(1 - p, n - k, k + 1);
}

/** Student's t CDF with `dof` degrees of freedom. */
export function studentTCdf(t: number, dof: number): number {
  const x = dof / (dof + t * t);
  const tail = 0.5 * regularizedIncompleteBeta(x, dof / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The q-quantile of Student's t (q in (0.5, 1)), by bisection: 60 halvings reach double precision. */
export function studentTQuantile(q: number, dof: number): number {
  if (!(q > 0 && q < 1) || !(dof > 0)) throw new RangeError(`studentTQuantile: q in (0, 1) and dof > 0 (q=${q}, dof=${dof})`);
  if (q < 0.5) return -studentTQuantile(1 - q, dof);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, dof) < q) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, dof) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function assertConfidence(c: number): void {
  if (!(c > 0 && c < 1)) throw new RangeError(`confidence must be in (0, 1), got ${c}`);
}

// ---------------------------------------------------------------------------
// Percentiles: order statistics

/**
 * 1-based ranks [low, high] of the order statistics that bound the p-quantile
 * of n values with confidence c (equal tails). null on a side where n is too
 * small: no rank leaves less than (1 − c)/2 probability beyond it.
 */
export function orderStatisticRanks(n: number, p: number, c: number): { low: number | null; high: number | null } {
  const tail = (1 - c) / 2;
  // low: the largest l with P(B ≤ l − 1) ≤ tail
  let low: number | null = null;
  if (n > 0 && binomialCdf(0, n, p) <= tail) {
    let a = 1;
    let b = n;
    while (a < b) {
      const m = Math.ceil((a + b) / 2);
      if (binomialCdf(m - 1, n, p) <= tail) a = m;
      else b = m - 1;
    }
    low = a;
  }
  // high: the smallest u with P(B ≤ u − 1) ≥ 1 − tail
  let high: number | null = null;
  if (n > 0 && binomialCdf(n - 1, n, p) >= 1 - tail) {
    let a = 1;
    let b = n;
    while (a < b) {
      const m = Math.floor((a + b) / 2);
      if (binomialCdf(m - 1, n, p) >= 1 - tail) b = m;
      else a = m + 1;
    }
    high = a;
  }
  return { low, high };
}

/** The fewest values for which both ranks of the p-quantile exist at confidence c. */
export function minCountForPercentile(p: number, c: number): number {
  const tail = (1 - c) / 2;
  // high needs 1 − p^n ≥ 1 − tail; low needs (1 − p)^n ≤ tail
  const high = Math.ceil(Math.log(tail) / Math.log(p));
  const low = Math.ceil(Math.log(tail) / Math.log(1 - p));
  let n = Math.max(1, high, low);
  // the closed forms can be one off in floating point; settle on the exact binomial test
  while (n > 1 && bothRanks(n - 1, p, c)) n--;
  while (!bothRanks(n, p, c)) n++;
  return n;
}

function bothRanks(n: number, p: number, c: number): boolean {
  const r = orderStatisticRanks(n, p, c);
  return r.low !== null && r.high !== null;
}

/** µs bounds of the buckets holding each 1-based rank (lower edge for `lower`, upper otherwise), one pass. */
export function valuesAtRanks(h: Histogram, ranks: readonly { rank: number; lower: boolean }[]): number[] {
  const order = ranks.map((_, i) => i).sort((a, b) => ranks[a]!.rank - ranks[b]!.rank);
  const out = new Array<number>(ranks.length).fill(0);
  let next = 0;
  let seen = 0;
  const length = h.countsArrayLength;
  for (let i = 0; i < length && next < order.length; i++) {
    const count = h.getCountAtIndex(i);
    if (count === 0) continue;
    seen += count;
    const v = h.valueFromIndex(i);
    while (next < order.length && seen >= ranks[order[next]!]!.rank) {
      const r = ranks[order[next]!]!;
      out[order[next]!] = r.lower ? h.lowestEquivalentValue(v) : h.highestEquivalentValue(v);
      next++;
    }
  }
  return out;
}

export interface PercentileInterval {
  /** ms; null when the run has too few values to bound it (see minCount) */
  low: number | null;
  high: number | null;
  /** values the percentile is of (for ITL: the requests they came from, the independent draws) */
  count: number;
  /** the fewest values (ITL: requests) that give both bounds at this confidence */
  minCount: number;
}

/**
 * The interval of the p-quantile of a µs histogram, in ms. `independent`
 * is how many independent draws the values come from when fewer than their
 * count (per-token ITL: the requests, since a request's gaps move together):
 * the ranks are found for that many draws and scaled to the histogram's count,
 * which widens the interval by the clustering instead of pretending each
 * value is a draw of its own.
 */
export function percentileInterval(h: Histogram, p: number, c: number, independent?: number): PercentileInterval {
  const n = h.totalCount;
  const draws = independent === undefined ? n : Math.min(n, Math.max(0, Math.floor(independent)));
  const minCount = minCountForPercentile(p, c);
  const r = orderStatisticRanks(draws, p, c);
  const scale = (rank: number | null, up: boolean) =>
    rank === null || draws === n ? rank : Math.min(n, Math.max(1, up ? Math.ceil((rank * n) / draws) : Math.floor(((rank - 1) * n) / draws) + 1));
  const low = scale(r.low, false);
  const high = scale(r.high, true);
  const ranks: { rank: number; lower: boolean }[] = [];
  if (low !== null) ranks.push({ rank: low, lower: true });
  if (high !== null) ranks.push({ rank: high, lower: false });
  const values = valuesAtRanks(h, ranks);
  const lowUs = low === null ? null : values[0]!;
  const highUs = high === null ? null : values[low === null ? 0 : 1]!;
  return {
    low: lowUs === null ? null : lowUs / 1000,
    high: highUs === null ? null : highUs / 1000,
    count: draws,
    minCount,
  };
}

// ---------------------------------------------------------------------------
// Rates: batch means

export interface BatchMeans {
  /** batches used (k) */
  batches: number;
  /** seconds per batch (b) */
  batchSeconds: number;
  /** mean rate over the batches, per second */
  mean: number;
  /** standard error of the mean, relative to it (s / √k / mean) */
  relStdErr: number;
}

/**
 * Batch means of per-second counts: k = min(MAX_BATCHES, seconds) batches of
 * b = floor(seconds / k) seconds, from the start (the last seconds % k are left
 * out, so every batch has the same length). null below MIN_BATCHES seconds or
 * when the mean is 0.
 */
export function batchMeans(perSecond: ArrayLike<number>): BatchMeans | null {
  const seconds = perSecond.length;
  if (seconds < MIN_BATCHES) return null;
  const k = Math.min(MAX_BATCHES, seconds);
  const b = Math.floor(seconds / k);
  const rates: number[] = [];
  for (let j = 0; j < k; j++) {
    let sum = 0;
    for (let t = j * b; t < (j + 1) * b; t++) sum += perSecond[t]!;
    rates.push(sum / b);
  }
  const mean = rates.reduce((a, r) => a + r, 0) / k;
  if (!(mean > 0)) return null;
  const variance = rates.reduce((a, r) => a + (r - mean) ** 2, 0) / (k - 1);
  return { batches: k, batchSeconds: b, mean, relStdErr: Math.sqrt(variance / k) / mean };
}

/** Relative half-width (fraction) of a batch-means interval at confidence c. */
export function batchHalfWidth(bm: Pick<BatchMeans, 'batches' | 'relStdErr'>, c: number): number {
  return studentTQuantile(1 - (1 - c) / 2, bm.batches - 1) * bm.relStdErr;
}

/**
 * Welch–Satterthwaite: the degrees of freedom of a sum of two independent
 * variance estimates, each with its own degrees of freedom.
 */
export function welchDof(v1: number, dof1: number, v2: number, dof2: number): number {
  const den = (v1 * v1) / dof1 + (v2 * v2) / dof2;
  return den === 0 ? dof1 + dof2 : ((v1 + v2) * (v1 + v2)) / den;
}
