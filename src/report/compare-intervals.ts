/**
 * The confidence interval of the relative change between two runs' figures,
 * combined from the inputs of each run's interval (docs/metrics.md
 * "Confidence intervals", "Comparing two runs"):
 *
 * - Rates: the runs are independent, so the variance of log(b / a) is the sum
 *   of the two relative variances of the steady-state batch means (delta
 *   method), with Welch–Satterthwaite degrees of freedom for Student's t.
 * - Percentiles: each run's order-statistic interval at confidence √c (both
 *   hold together with probability c, the runs being independent); the ratio
 *   then lies in [lowB / highA, highB / lowA]. The intervals are recomputed
 *   from the result's histograms at √c, not read from summary.intervals.
 *
 * Results without summary.intervals (older versions) have no interval here:
 * the caller falls back to comparing the point values.
 */
import { decode, type Histogram, type HistogramKey } from '../metrics/histogram.js';
import { percentileInterval, studentTQuantile, welchDof } from '../metrics/intervals.js';
import { readSingleValue, type MetricRef } from '../metrics/thresholds.js';
import type { RateInterval, ResultJson, SummaryIntervals } from '../metrics/types.js';

export type IntervalMethod = 'batchMeans' | 'orderStatistics';

export type ChangeInterval =
  | { method: IntervalMethod; lowPct: number; highPct: number }
  /** the runs are too short for an interval: `needs` says what is missing, `factor` how many times longer (null when unknown) */
  | { method: IntervalMethod; needs: string; factor: number | null };

const RATE_FIELDS: Record<string, keyof Omit<SummaryIntervals, 'confidence' | 'latency'>> = {
  output_tokens_per_sec: 'outputTokensPerSecond',
  total_tokens_per_sec: 'totalTokensPerSecond',
  requests_per_sec: 'requestsPerSecond',
  goodput: 'goodputRequestsPerSecond',
};
const HISTOGRAM_OF: Record<string, HistogramKey> = { ttft: 'ttftUs', tpot: 'tpotUs', itl: 'itlUs', e2e: 'e2eUs' };
const PERCENTILE_OF: Record<string, number> = { p50: 0.5, p90: 0.9, p95: 0.95, p97: 0.97, p99: 0.99, p999: 0.999 };

/** Which interval method a metric reference has, or null (compared by its point values). */
export function intervalMethodOf(ref: MetricRef): IntervalMethod | null {
  if (ref.endpoint !== null) return null;
  if (RATE_FIELDS[ref.def.name] !== undefined) return 'batchMeans';
  const [series, stat] = ref.def.name.split('.');
  return series !== undefined && stat !== undefined && HISTOGRAM_OF[series] !== undefined && PERCENTILE_OF[stat] !== undefined
    ? 'orderStatistics'
    : null;
}

/**
 * The interval of (b / a − 1) × 100 for a metric, `scaleA`/`scaleB` dividing
 * each side's rate (per-accelerator figures; a scale does not change a
 * relative error). null when the metric has no interval method or a result
 * has no summary.intervals.
 */
export function changeInterval(
  ref: MetricRef,
  a: ResultJson,
  b: ResultJson,
  confidence: number,
  labels: [string, string],
  scales: [number, number] = [1, 1],
): ChangeInterval | null {
  const method = intervalMethodOf(ref);
  if (method === null || a.summary.intervals === undefined || b.summary.intervals === undefined) return null;
  if (method === 'batchMeans') {
    const field = RATE_FIELDS[ref.def.name]!;
    const ia = a.summary.intervals[field];
    const ib = b.summary.intervals[field];
    if (ia === null || ib === null || ia === undefined || ib === undefined) return null;
    // the figures as read (the headline), with the relative errors of their intervals
    const va = readSingleValue(ref, a);
    const vb = readSingleValue(ref, b);
    // a rate of 0 has no relative error: compared by its point values
    if (va === null || vb === null || !(va > 0 && vb > 0)) return null;
    return rateChange({ ...ia, value: va / scales[0] }, { ...ib, value: vb / scales[1] }, confidence, labels);
  }
  const [series, stat] = ref.def.name.split('.') as [string, string];
  const key = HISTOGRAM_OF[series]!;
  const ha = histogramOf(a, key);
  const hb = histogramOf(b, key);
  if (ha === null || hb === null) return null;
  // ITL values cluster by request: its independent draws are the requests (summary-intervals.ts)
  const draws = (r: ResultJson) => (key === 'itlUs' ? (histogramOf(r, 'tpotUs')?.totalCount ?? 0) : undefined);
  return percentileChange(ha, hb, PERCENTILE_OF[stat]!, confidence, labels, [draws(a), draws(b)]);
}

function rateChange(a: RateInterval, b: RateInterval, confidence: number, labels: [string, string]): ChangeInterval {
  const short = [a, b].map((r, i) => (r.relStdErr === null ? `${labels[i]} has ${r.steadySeconds} s of steady state` : null)).filter((x) => x !== null);
  if (a.relStdErr === null || b.relStdErr === null) {
    const worst = Math.min(a.relStdErr === null ? a.steadySeconds : Infinity, b.relStdErr === null ? b.steadySeconds : Infinity);
    const min = a.minSteadySeconds;
    return {
      method: 'batchMeans',
      needs: `${min} s of steady state in each run (${short.join(', ')})`,
      factor: worst > 0 && Number.isFinite(worst) ? min / worst : null,
    };
  }
  const va = a.relStdErr ** 2;
  const vb = b.relStdErr ** 2;
  const dof = welchDof(va, a.batches - 1, vb, b.batches - 1);
  const hw = studentTQuantile(1 - (1 - confidence) / 2, dof) * Math.sqrt(va + vb);
  const log = Math.log(b.value / a.value);
  return { method: 'batchMeans', lowPct: (Math.exp(log - hw) - 1) * 100, highPct: (Math.exp(log + hw) - 1) * 100 };
}

function percentileChange(
  ha: Histogram,
  hb: Histogram,
  p: number,
  confidence: number,
  labels: [string, string],
  draws: [number | undefined, number | undefined],
): ChangeInterval {
  const each = Math.sqrt(confidence);
  const ia = percentileInterval(ha, p, each, draws[0]);
  const ib = percentileInterval(hb, p, each, draws[1]);
  if (ia.low === null || ia.high === null || ib.low === null || ib.high === null) {
    const fewest = Math.min(...[ia, ib].filter((x) => x.low === null || x.high === null).map((x) => x.count));
    const lacking = [ia, ib].map((x, i) => (x.low === null || x.high === null ? `${labels[i]} has ${x.count}` : null)).filter((x) => x !== null);
    return {
      method: 'orderStatistics',
      needs: `${ia.minCount} values in each run for this percentile (${lacking.join(', ')})`,
      factor: fewest > 0 ? ia.minCount / fewest : null,
    };
  }
  const highPct = ia.low > 0 ? (ib.high / ia.low - 1) * 100 : Infinity;
  const lowPct = ia.high > 0 ? (ib.low / ia.high - 1) * 100 : 0;
  return { method: 'orderStatistics', lowPct, highPct };
}

const decoded = new WeakMap<ResultJson, Map<HistogramKey, Histogram | null>>();

function histogramOf(r: ResultJson, key: HistogramKey): Histogram | null {
  let cache = decoded.get(r);
  if (cache === undefined) decoded.set(r, (cache = new Map()));
  if (!cache.has(key)) {
    const text = r.histograms?.[key];
    let h: Histogram | null = null;
    try {
      h = typeof text === 'string' ? decode(text) : null;
    } catch {
      h = null;
    }
    cache.set(key, h);
  }
  return cache.get(key)!;
}
