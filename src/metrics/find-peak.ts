/**
 * find-peak's pure parts: judging a short probe run against the benchmark's
 * latency constraints, and the search over target QPS (bracket, then bisect).
 * The CLI (src/cli/find-peak.ts) runs the probes; everything here is a function
 * of numbers, so the search and the verdicts are tested without a server.
 *
 * A probe is far shorter than MLPerf's 600 s, so it cannot be VALID the way a
 * submission run is (min duration, and early stopping needs ≥ 459 queries even
 * with none over the limit). A probe passes when the full-length run at that
 * rate would plausibly pass the latency rules:
 *   - every request completed (a failed query never completes in LoadGen);
 *   - p99 TTFT ≤ limit and p99 TPOT ≤ limit (LoadGen fails on >), p99 as LoadGen
 *     takes it: sorted[floor(n × 0.99)];
 *   - early stopping projected to the full run: with the probe's over-limit
 *     fraction r (TTFT and TPOT each), a run of N queries would have round(r·N)
 *     over the limit, and must still pass LoadGen's criterion at N (N is the
 *     confirming run's query count, at least 459). This is stricter than the p99
 *     check: at N = 36,000 early stopping allows 316 over (0.88 %), not 1 %.
 */
import type { FindPeakPoint } from './types.js';
import { evaluateEarlyStopping, minQueriesForEarlyStopping } from './early-stopping.js';
import { loadgenPercentile } from './mlperf-percentile.js';

const MS_TO_NS = 1_000_000;

export interface ProbeMeasurement {
  qps: number;
  /** requests issued in the measured phase */
  issued: number;
  completed: number;
  failed: number;
  failuresByKind?: Record<string, number>;
  /** per completed request, ns from its scheduled time */
  ttftNs: Float64Array;
  /** per completed request with ≥ 2 tokens, ns */
  tpotNs: Float64Array;
  outputTokensPerSecond: number;
  /** TTFT (µs) against scheduled time (µs from the start), per completed request: shows a queue building up */
  ttftTrend?: { scheduledUs: Float64Array; ttftUs: Float64Array };
}

export interface ProbeJudgeInput extends ProbeMeasurement {
  constraints: { ttftP99Ms: number | null; tpotP99Ms: number | null };
  /** queries the full-length (confirming) run at this rate would issue */
  fullRunQueries: number;
  /** length of the full (confirming) run, ms */
  fullRunDurationMs: number;
}

function median(sorted: ArrayLike<number>, from: number, to: number): number {
  const n = to - from;
  const mid = from + Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * A queue that builds up during a probe: the median TTFT of the probe's last
 * quarter (by scheduled time) is more than 1.5 times the first quarter's and,
 * growing at that rate, would pass the TTFT limit before the full run ends. A
 * server above its capacity looks like this however short the probe; one below
 * it keeps a stationary TTFT (the limit check bounds what a warm-up ramp can
 * add). Returns the quarters' medians and the median projected to the end of
 * the full run (µs), or null when TTFT is not growing.
 */
export function projectTtftGrowth(
  trend: { scheduledUs: Float64Array; ttftUs: Float64Array },
  fullRunDurationMs: number,
): { firstMedianUs: number; lastMedianUs: number; projectedUs: number } | null {
  const n = trend.scheduledUs.length;
  if (n < 20) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => trend.scheduledUs[a]! - trend.scheduledUs[b]!);
  const q = Math.floor(n / 4);
  const first = order.slice(0, q);
  const last = order.slice(n - q);
  const med = (idx: number[], col: Float64Array) => {
    const v = Float64Array.from(idx, (i) => col[i]!).sort();
    return median(v, 0, v.length);
  };
  const m1 = med(first, trend.ttftUs);
  const m4 = med(last, trend.ttftUs);
  const t1 = med(first, trend.scheduledUs);
  const t4 = med(last, trend.scheduledUs);
  if (!(m4 > 1.5 * m1) || !(t4 > t1)) return null;
  const growth = (m4 - m1) / (t4 - t1);
  return { firstMedianUs: m1, lastMedianUs: m4, projectedUs: m4 + growth * Math.max(0, fullRunDurationMs * 1000 - t4) };
}

/** The most over-limit queries a run of n queries may have and still pass early stopping. */
export function maxOverLimitForEarlyStopping(n: number): number {
  if (n < minQueriesForEarlyStopping(0)) return -1;
  let lo = 0;
  let hi = Math.max(1, Math.floor(n / 50));
  while (minQueriesForEarlyStopping(hi) <= n) hi *= 2;
  // minQueries(lo) ≤ n < minQueries(hi)
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (minQueriesForEarlyStopping(mid) <= n) lo = mid;
    else hi = mid;
  }
  return lo;
}

function fmtMs(ns: number): string {
  return String(Number((ns / MS_TO_NS).toFixed(ns >= 100 * MS_TO_NS ? 0 : ns >= 10 * MS_TO_NS ? 1 : 2)));
}

function pct(x: number): string {
  return `${Number((x * 100).toFixed(x < 0.001 ? 3 : 2))}%`;
}

export function judgeProbe(input: ProbeJudgeInput): FindPeakPoint {
  const reasons: string[] = [];
  const p99 = (values: Float64Array): number | null => (values.length > 0 ? loadgenPercentile(values, 0.99) : null);
  const ttftP99 = p99(input.ttftNs);
  const tpotP99 = p99(input.tpotNs);

  if (input.failed > 0) {
    const kinds = Object.entries(input.failuresByKind ?? {})
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ');
    reasons.push(`${input.failed} of ${input.issued} requests failed${kinds ? ` (${kinds})` : ''}`);
  }
  if (input.completed === 0) reasons.push('no request completed');

  const fullRun = Math.max(input.fullRunQueries, minQueriesForEarlyStopping(0));
  const metric = (name: 'TTFT' | 'TPOT', values: Float64Array, p99Ns: number | null, limitMs: number | null) => {
    if (limitMs === null || p99Ns === null) return;
    const limitNs = limitMs * MS_TO_NS;
    if (p99Ns > limitNs) reasons.push(`p99 ${name} ${fmtMs(p99Ns)} ms > ${limitMs} ms`);
    // failed queries count as over the limit, as tokbench's validity does
    let over = input.failed;
    for (let i = 0; i < values.length; i++) if (values[i]! > limitNs) over++;
    const total = values.length + input.failed;
    if (over === 0 || total === 0) return;
    const fraction = over / total;
    const projected = Math.round(fraction * fullRun);
    if (!evaluateEarlyStopping(fullRun, projected).passed && p99Ns <= limitNs) {
      const allowed = maxOverLimitForEarlyStopping(fullRun);
      reasons.push(
        `early stopping (${name}): ${pct(fraction)} over ${limitMs} ms; a full run of ${fullRun} queries passes with at most ${allowed} (${pct(Math.max(0, allowed) / fullRun)}) over`,
      );
    }
  };
  metric('TPOT', input.tpotNs, tpotP99, input.constraints.tpotP99Ms);
  metric('TTFT', input.ttftNs, ttftP99, input.constraints.ttftP99Ms);

  const ttftLimitMs = input.constraints.ttftP99Ms;
  if (ttftLimitMs !== null && input.ttftTrend && reasons.length === 0) {
    const g = projectTtftGrowth(input.ttftTrend, input.fullRunDurationMs);
    if (g !== null && g.projectedUs > ttftLimitMs * 1000) {
      reasons.push(
        `queue building: median TTFT rose from ${fmtMs(g.firstMedianUs * 1000)} to ${fmtMs(g.lastMedianUs * 1000)} ms within the probe; ` +
          `a ${Number((input.fullRunDurationMs / 1000).toFixed(1))} s run would pass ${ttftLimitMs} ms`,
      );
    }
  }

  return {
    qps: input.qps,
    outputTokensPerSecond: input.outputTokensPerSecond,
    ttftP99Ms: ttftP99 === null ? null : ttftP99 / MS_TO_NS,
    tpotP99Ms: tpotP99 === null ? null : tpotP99 / MS_TO_NS,
    valid: reasons.length === 0,
    reason: reasons.length === 0 ? null : reasons.join('; '),
  };
}

// ─── the search ──────────────────────────────────────────────────────────────

export interface PeakSearchOptions {
  /** a rate known or expected to be valid; probed first when given */
  lower: number | null;
  /** a rate known or expected to be invalid; the search never goes above it */
  upper: number | null;
  /** first probe when neither bound is given (e.g. --target-qps, or the simulator's estimate) */
  start: number | null;
  /** stop bisecting when (hi − lo) ≤ tolerance × lo */
  tolerance: number;
  maxProbes: number;
}

/** Rates are probed at 4 significant digits, so tables and directory names stay readable. */
export function roundQps(q: number): number {
  if (!(q > 0)) return q;
  const digits = 4 - Math.floor(Math.log10(q)) - 1;
  const f = 10 ** digits;
  return Math.round(q * f) / f;
}

/** Below this rate the search gives up looking for a valid one. */
const MIN_QPS = 0.001;

/**
 * Bracket then bisect, like LoadGen's FindPeakPerformance but on short probes:
 * from the first probe, double while valid (up to --upper) or halve while invalid
 * (down to --lower), then bisect between the highest valid and the lowest invalid
 * rate until they are within the tolerance. Assumes validity is monotone in QPS;
 * a noisy probe can only make the bracket tighter, never leave it.
 */
export class PeakSearch {
  private lo: number | null = null;
  private hi: number | null = null;
  private probes = 0;
  private reason = '';

  constructor(private readonly opts: PeakSearchOptions) {
    if (opts.lower === null && opts.upper === null && opts.start === null) throw new RangeError('PeakSearch needs a lower bound, an upper bound or a start');
    if (opts.lower !== null && opts.upper !== null && !(opts.lower < opts.upper)) throw new RangeError('lower must be below upper');
  }

  /** highest rate found valid so far */
  get best(): number | null {
    return this.lo;
  }

  /** lowest rate found invalid so far */
  get lowestInvalid(): number | null {
    return this.hi;
  }

  get stoppedBecause(): string {
    return this.reason;
  }

  /** The next rate to probe, or null when the search is over (stoppedBecause says why). */
  next(): number | null {
    const { lower, upper, start, tolerance, maxProbes } = this.opts;
    const done = (why: string) => {
      this.reason = why;
      return null;
    };
    let q: number;
    if (this.lo === null && this.hi === null) {
      q = lower ?? start ?? upper!;
      if (start !== null && lower === null && upper !== null) q = Math.min(start, upper);
    } else if (this.hi === null) {
      const lo = this.lo!;
      if (upper !== null && lo >= upper) return done(`the upper bound ${upper} QPS is valid; raise --upper to search higher`);
      q = upper !== null ? Math.min(2 * lo, upper) : 2 * lo;
    } else if (this.lo === null) {
      const hi = this.hi;
      if (lower !== null && hi <= lower) return done(`the lower bound ${lower} QPS is not valid: no valid rate at or above it`);
      q = lower !== null ? Math.max(hi / 2, lower) : hi / 2;
      if (q < MIN_QPS) return done(`no valid rate found down to ${MIN_QPS} QPS`);
    } else {
      const lo = this.lo;
      const hi = this.hi;
      if (hi - lo <= tolerance * lo) return done(`converged: the highest valid and lowest invalid rates are within ${Number((tolerance * 100).toFixed(2))}%`);
      q = (lo + hi) / 2;
    }
    q = roundQps(q);
    if ((this.lo !== null && q <= this.lo) || (this.hi !== null && q >= this.hi)) {
      return done('converged: no representable rate left between the highest valid and lowest invalid');
    }
    if (this.probes >= maxProbes) return done(`probe budget spent (--max-probes ${maxProbes})`);
    return q;
  }

  record(qps: number, valid: boolean): void {
    this.probes++;
    if (valid) this.lo = this.lo === null ? qps : Math.max(this.lo, qps);
    else this.hi = this.hi === null ? qps : Math.min(this.hi, qps);
  }
}
