/**
 * Latency statistics computed exactly as LoadGen computes them, on exact
 * per-request values in integer nanoseconds (not on histograms: a histogram
 * bucket can move a p99 across a limit, and validity must not depend on that).
 *
 * Source: reference/mlperf.md §1.3, from `inference: loadgen/results.cc`
 * (`ProcessLatencies`, `ProcessTokenLatencies`) and `loadgen/results.h`.
 */

/** The percentiles LoadGen reports, in its order (results.h `latency_percentiles`). */
export const LOADGEN_PERCENTILES = [0.5, 0.9, 0.95, 0.97, 0.99, 0.999] as const;

/**
 * LoadGen's index for percentile p of n sorted values: `sorted[n * p]` with the
 * product computed in double and truncated by the size_t conversion. JS numbers
 * are the same IEEE doubles, so floor(n * p) reproduces it bit for bit, including
 * cases like n = 100, p = 0.99 → 99 (the maximum).
 */
export function loadgenPercentileIndex(count: number, percentile: number): number {
  if (!Number.isInteger(count) || count <= 0) throw new RangeError(`percentile of an empty or invalid set (count=${count})`);
  if (!(percentile >= 0 && percentile < 1)) throw new RangeError(`percentile must be in [0, 1), got ${percentile}`);
  return Math.floor(count * percentile);
}

/** Sort a copy ascending (numeric: typed arrays sort by value). */
export function sortedCopy(values: Float64Array): Float64Array {
  return values.slice().sort();
}

/** LoadGen's percentile of an ascending-sorted array. */
export function loadgenPercentileOfSorted(sortedValues: Float64Array, percentile: number): number {
  return sortedValues[loadgenPercentileIndex(sortedValues.length, percentile)]!;
}

/** LoadGen's percentile of an unsorted array (sorts a copy). */
export function loadgenPercentile(values: Float64Array, percentile: number): number {
  return loadgenPercentileOfSorted(sortedCopy(values), percentile);
}

/**
 * LoadGen's mean: the int64 sum divided by the count with integer division
 * (results.cc: `accumulated / sample_count`). Summed in BigInt: 400k latencies of
 * 1e11 ns exceed 2^53, where a double sum would silently round.
 */
export function loadgenIntegerMean(values: Float64Array, divisor: number = values.length): number {
  if (divisor <= 0) return 0;
  let sum = 0n;
  for (let i = 0; i < values.length; i++) sum += BigInt(Math.trunc(values[i]!));
  return Number(sum / BigInt(divisor));
}

export interface PercentileValueNs {
  /** 0.5 … 0.999 */
  percentile: number;
  valueNs: number;
}

/** One metric's statistics as LoadGen logs them: integer nanoseconds. */
export interface LoadgenLatencyStatsNs {
  count: number;
  minNs: number;
  maxNs: number;
  /** integer mean (truncating division) */
  meanNs: number;
  /** the six LoadGen percentiles, in LOADGEN_PERCENTILES order */
  percentiles: PercentileValueNs[];
  /** the value at target_latency_percentile (0.99 for LLMs) */
  targetPercentileNs: number;
}

/**
 * min, max, mean and the six percentiles of one metric.
 *
 * `meanDivisor` and `indexCount` exist because LoadGen divides and indexes the
 * first-token and TPOT arrays by `sample_count` (the number of sample latencies),
 * not by their own length; they are equal whenever every completed sample
 * reported its first token, which is the normal case.
 */
export function loadgenLatencyStats(
  valuesNs: Float64Array,
  opts: { meanDivisor?: number; indexCount?: number; targetPercentile?: number } = {},
): LoadgenLatencyStatsNs {
  const targetPercentile = opts.targetPercentile ?? 0.99;
  if (valuesNs.length === 0) {
    // LoadGen returns early and logs its zero-initialised fields.
    return {
      count: 0,
      minNs: 0,
      maxNs: 0,
      meanNs: 0,
      percentiles: LOADGEN_PERCENTILES.map((percentile) => ({ percentile, valueNs: 0 })),
      targetPercentileNs: 0,
    };
  }
  const sorted = sortedCopy(valuesNs);
  const indexCount = opts.indexCount ?? sorted.length;
  // Clamp: an index past the end is undefined behaviour in LoadGen; we take the last value.
  const at = (p: number): number => sorted[Math.min(loadgenPercentileIndex(indexCount, p), sorted.length - 1)]!;
  return {
    count: sorted.length,
    minNs: sorted[0]!,
    maxNs: sorted[sorted.length - 1]!,
    meanNs: loadgenIntegerMean(valuesNs, opts.meanDivisor ?? valuesNs.length),
    percentiles: LOADGEN_PERCENTILES.map((percentile) => ({ percentile, valueNs: at(percentile) })),
    targetPercentileNs: at(targetPercentile),
  };
}

/** Samples strictly over a limit (results.cc counts `latency > target_latency`). */
export function countOverLimit(valuesNs: Float64Array, limitNs: number): number {
  let n = 0;
  for (let i = 0; i < valuesNs.length; i++) if (valuesNs[i]! > limitNs) n++;
  return n;
}
