/**
 * summary.intervals: the confidence interval of every headline figure, from
 * the collector's per-request columns (rates, by batch means over the
 * steady-state window) and the run's histograms (percentiles, by order
 * statistics). See intervals.ts for the methods and docs/metrics.md for the
 * definitions. A merge fills one collector with the union of the shards'
 * records and adds their histograms, so its intervals come from the merged
 * inputs, never from combining the shards' intervals.
 */
import type { CompletedColumns } from './collector.js';
import { PERCENTILES, type HistogramSet } from './histogram.js';
import { batchHalfWidth, batchMeans, MIN_BATCHES, percentileInterval } from './intervals.js';
import type {
  IntervalPercentile,
  IntervalSeries,
  PercentileIntervalJson,
  RateInterval,
  Summary,
  SummaryCore,
  SummaryIntervals,
} from './types.js';

export const INTERVAL_PERCENTILES: readonly (readonly [IntervalPercentile, number])[] = PERCENTILES;
export const INTERVAL_SERIES: readonly [IntervalSeries, keyof HistogramSet][] = [
  ['ttftMs', 'ttftUs'],
  ['tpotMs', 'tpotUs'],
  ['itlMs', 'itlUs'],
  ['e2eMs', 'e2eUs'],
];

export interface IntervalInputs {
  histograms: HistogramSet;
  columns: CompletedColumns;
  /** per completed row: 1 when it met every SLO; null when no SLO is set */
  good: Uint8Array | null;
  steadyState: Summary['steadyState'];
  headline: Pick<SummaryCore, 'outputTokensPerSecond' | 'totalTokensPerSecond' | 'requestsPerSecond' | 'goodputRequestsPerSecond'>;
  confidence: number;
}

export function summaryIntervals(x: IntervalInputs): SummaryIntervals {
  const perSecond = steadyPerSecond(x.columns, x.good, x.steadyState);
  const rate = (value: number, series: Float64Array | null) => rateInterval(value, series, x.confidence);
  return {
    confidence: x.confidence,
    outputTokensPerSecond: rate(x.headline.outputTokensPerSecond, perSecond?.outputTokens ?? null),
    totalTokensPerSecond: rate(x.headline.totalTokensPerSecond, perSecond?.totalTokens ?? null),
    requestsPerSecond: rate(x.headline.requestsPerSecond, perSecond?.completed ?? null),
    goodputRequestsPerSecond:
      x.headline.goodputRequestsPerSecond === null ? null : rate(x.headline.goodputRequestsPerSecond, perSecond?.good ?? null),
    latency: latencyIntervals(x.histograms, x.confidence),
  };
}

export function latencyIntervals(h: HistogramSet, confidence: number): SummaryIntervals['latency'] {
  const out = {} as SummaryIntervals['latency'];
  for (const [series, key] of INTERVAL_SERIES) {
    // no values, no interval: the figure itself is null (docs/metrics.md "Absent figures")
    if (h[key].totalCount === 0) {
      out[series] = null;
      continue;
    }
    const row = {} as Record<IntervalPercentile, PercentileIntervalJson>;
    const draws = independentDraws(h, key);
    for (const [name, p] of INTERVAL_PERCENTILES) row[name] = percentileInterval(h[key], p, confidence, draws);
    out[series] = row;
  }
  return out;
}

/**
 * Per-token ITL values cluster by request (one slow request gives many slow
 * gaps), so their independent draws are the requests with a TPOT (those with
 * 2+ tokens, a superset of those giving ITL); every other series has one value
 * per request.
 */
export function independentDraws(h: HistogramSet, key: keyof HistogramSet): number | undefined {
  return key === 'itlUs' ? h.tpotUs.totalCount : undefined;
}

function rateInterval(value: number, perSecond: Float64Array | null, confidence: number): RateInterval {
  const steadySeconds = perSecond?.length ?? 0;
  const bm = perSecond === null ? null : batchMeans(perSecond);
  if (bm === null || !(value > 0)) {
    return { value, low: null, high: null, halfWidthPct: null, batches: 0, batchSeconds: 0, relStdErr: null, steadySeconds, minSteadySeconds: MIN_BATCHES };
  }
  const hw = batchHalfWidth(bm, confidence);
  return {
    value,
    low: Math.max(0, value * (1 - hw)),
    high: value * (1 + hw),
    halfWidthPct: hw * 100,
    batches: bm.batches,
    batchSeconds: bm.batchSeconds,
    relStdErr: bm.relStdErr,
    steadySeconds,
    minSteadySeconds: MIN_BATCHES,
  };
}

/** Per-second counts of completions inside the steady-state window, by completion second. */
function steadyPerSecond(cols: CompletedColumns, good: Uint8Array | null, ss: Summary['steadyState']) {
  if (ss === null) return null;
  const start = Math.round(ss.startMs / 1000);
  const seconds = Math.round(ss.endMs / 1000) - start;
  if (seconds <= 0) return null;
  const outputTokens = new Float64Array(seconds);
  const totalTokens = new Float64Array(seconds);
  const completed = new Float64Array(seconds);
  const goodCount = new Float64Array(seconds);
  for (let i = 0; i < cols.completedUs.length; i++) {
    const t = Math.floor(cols.completedUs[i]! / 1_000_000) - start;
    if (t < 0 || t >= seconds) continue;
    const out = cols.outputTokens[i]!;
    outputTokens[t] = outputTokens[t]! + out;
    totalTokens[t] = totalTokens[t]! + out + cols.inputTokens[i]!;
    completed[t] = completed[t]! + 1;
    if (good !== null && good[i] === 1) goodCount[t] = goodCount[t]! + 1;
  }
  return { outputTokens, totalTokens, completed, good: goodCount };
}
