/**
 * HDR histograms of latencies in integer microseconds: a thin layer over
 * hdr-histogram-js that fixes the parameters once (lowest discernible 1 µs,
 * 3 significant digits, auto-resize from an initial 1 hour) so every histogram
 * tokbench writes can be added to every other one by `merge`.
 *
 * Choices, and why (docs/metrics.md "Percentiles"):
 * - Pure JS, not WASM. WASM histograms must be destroy()ed by hand and a leak
 *   is silent; the pure-JS recording path costs a few hundred ns per value,
 *   far below what a benchmark client issuing at most a few hundred thousand
 *   token values per second can notice.
 * - 64-bit counts (Float64Histogram): a merged per-token ITL histogram of a
 *   long multi-shard run can exceed 2^31 values in one bucket; floats count
 *   exactly to 2^53.
 * - 0 µs is recorded as 0, not clamped to 1: chunks that arrive in one socket
 *   read have a real zero gap, and HDR with lowestDiscernibleValue 1 keeps a
 *   dedicated bucket for 0. Negative values (a clock oddity) are clamped to 0
 *   and fractional ones floored, so a bad input cannot throw on the hot path.
 * - Percentiles follow MLPerf's rank rule (the value at 0-based rank
 *   floor(n·p) of the sorted values, LoadGen `results.cc`), not HDR's own
 *   ceil(n·p) rule, so a histogram percentile and an exact MLPerf percentile
 *   differ only by bucket resolution (≤ 0.1 %; exact below 2048 µs).
 * - An empty histogram gives null stats, not a row of zeros: a figure with no
 *   data is absent (docs/metrics.md "Absent figures"), so no reader can take
 *   it for a measured 0.
 */
import { decodeFromCompressedBase64, encodeIntoCompressedBase64, Float64Histogram, JsHistogram } from 'hdr-histogram-js';
import type { LatencySet, LatencyStats } from './types.js';

export type Histogram = JsHistogram;

/** Initial range; auto-resize extends it, so longer values are still recorded. */
export const INITIAL_HIGHEST_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

/**
 * Float64Histogram with the bucket index computed in integer arithmetic: the
 * library's countsArrayIndex goes through Math.log2 and Math.pow for every
 * value, a few tens of ns that add up at two values per streamed token. Same
 * index for every value (test/unit/perf/histogram-index.test.ts); values that
 * are not integers below 2^31 µs (36 minutes) take the library's own path.
 */
class UsHistogram extends Float64Histogram {
  override countsArrayIndex(value: number): number {
    // unitMagnitude is 0 for lowest discernible value 1: bucket 0 holds 0..subBucketCount-1 at their own index.
    if (value >= 0 && value < 0x8000_0000 && (value | 0) === value && this.unitMagnitude === 0) {
      if (value < this.subBucketCount) return value;
      // floor(log2(value)) - subBucketHalfCountMagnitude, and floor(value / 2^bucketIndex)
      const bucketIndex = 31 - Math.clz32(value) - this.subBucketHalfCountMagnitude;
      return ((bucketIndex + 1) << this.subBucketHalfCountMagnitude) + (value >>> bucketIndex) - this.subBucketHalfCount;
    }
    return super.countsArrayIndex(value);
  }
}

export function createHistogram(): Histogram {
  const h = new UsHistogram(1, INITIAL_HIGHEST_US, SIGNIFICANT_DIGITS);
  h.autoResize = true;
  return h;
}

/** Record `count` occurrences of a µs value (hot path: integer work, no allocation). */
export function recordUs(h: Histogram, valueUs: number, count = 1): void {
  const v = valueUs > 0 ? Math.floor(valueUs) : 0;
  if (count === 1) h.recordValue(v);
  else if (count > 1) h.recordValueWithCount(v, count);
}

/** Percentiles in LatencyStats, as fractions (p999 = 99.9 %); their confidence intervals use the same list. */
export const PERCENTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p97', 0.97],
  ['p99', 0.99],
  ['p999', 0.999],
] as const;

/**
 * Statistics in milliseconds. One pass over the counts: each percentile is
 * the highest value equivalent to the bucket holding 1-based rank
 * min(floor(n·p) + 1, n); min is the lowest equivalent value of the first
 * non-empty bucket, max the highest of the last; mean weights each bucket's
 * median value (exact for values below 2048 µs, where buckets are 1 µs wide).
 * null for an empty histogram.
 */
export function stats(h: Histogram): LatencyStats | null {
  const n = h.totalCount;
  if (n === 0) return null;
  const ranks = PERCENTILES.map(([, p]) => Math.min(Math.floor(n * p) + 1, n));
  const values: number[] = new Array<number>(PERCENTILES.length).fill(0);
  let next = 0;
  let seen = 0;
  let sumUs = 0;
  let minUs = -1;
  let maxUs = 0;
  const length = h.countsArrayLength;
  for (let i = 0; i < length && seen < n; i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    const v = h.valueFromIndex(i);
    if (minUs < 0) minUs = h.lowestEquivalentValue(v);
    maxUs = h.highestEquivalentValue(v);
    sumUs += h.medianEquivalentValue(v) * c;
    seen += c;
    while (next < ranks.length && seen >= ranks[next]!) {
      values[next] = maxUs;
      next++;
    }
  }
  const ms = (us: number) => us / 1000;
  return {
    count: n,
    min: ms(minUs < 0 ? 0 : minUs),
    // rounded to the ns: the mean of integer µs needs no more, and it keeps 10.000000000002 out of result.json
    mean: Math.round((sumUs / n) * 1000) / 1e6,
    p50: ms(values[0]!),
    p90: ms(values[1]!),
    p95: ms(values[2]!),
    p97: ms(values[3]!),
    p99: ms(values[4]!),
    p999: ms(values[5]!),
    max: ms(maxUs),
  };
}

/** HdrHistogram V2 compressed encoding, base64: what result.json stores and other HDR tools read. */
export function encode(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** Inverse of encode. Throws an Error whose message says what was wrong; callers add the file and field. */
export function decode(encoded: string): Histogram {
  let h;
  try {
    h = decodeFromCompressedBase64(encoded, 64, false);
  } catch (err) {
    throw new Error(`not an HdrHistogram compressed base64 string (${(err as Error).message})`, { cause: err });
  }
  if (!(h instanceof JsHistogram)) throw new Error('decoded histogram is not a JS histogram');
  // a decoded histogram is sized to its content; merging a larger one into it must not throw
  h.autoResize = true;
  return h;
}

/** A new histogram holding the values of both; neither input changes. */
export function add(a: Histogram, b: Histogram): Histogram {
  const out = createHistogram();
  out.add(a);
  out.add(b);
  return out;
}

/** Adds `source` into `target` and returns target (no copy: for folding many shards). */
export function addInto(target: Histogram, source: Histogram): Histogram {
  target.add(source);
  return target;
}

/** A new histogram holding the values of all of them (empty for an empty list). */
export function mergeAll(hs: readonly Histogram[]): Histogram {
  const out = createHistogram();
  for (const h of hs) out.add(h);
  return out;
}

/** The latency histograms of a run or an endpoint, keyed as in result.json `histograms`. */
export interface HistogramSet {
  ttftUs: Histogram;
  /** time to first answer token (after reasoning): only requests whose stream carried reasoning */
  ttfaUs: Histogram;
  tpotUs: Histogram;
  itlUs: Histogram;
  chunkGapUs: Histogram;
  e2eUs: Histogram;
  issueDelayUs: Histogram;
  /** the part of the issue delay spent waiting for a connection */
  connectWaitUs: Histogram;
}

export const HISTOGRAM_KEYS = ['ttftUs', 'ttfaUs', 'tpotUs', 'itlUs', 'chunkGapUs', 'e2eUs', 'issueDelayUs', 'connectWaitUs'] as const;
/** keys newer than schemaVersion 1's first files: an older result.json without them reads as empty */
export const OPTIONAL_HISTOGRAM_KEYS: ReadonlySet<HistogramKey> = new Set(['ttfaUs', 'connectWaitUs']);
export type HistogramKey = (typeof HISTOGRAM_KEYS)[number];

export function createHistogramSet(): HistogramSet {
  return {
    ttftUs: createHistogram(),
    ttfaUs: createHistogram(),
    tpotUs: createHistogram(),
    itlUs: createHistogram(),
    chunkGapUs: createHistogram(),
    e2eUs: createHistogram(),
    issueDelayUs: createHistogram(),
    connectWaitUs: createHistogram(),
  };
}

/** A new set holding the values of all the given sets. */
export function mergeSets(sets: readonly HistogramSet[]): HistogramSet {
  const out = createHistogramSet();
  for (const s of sets) for (const k of HISTOGRAM_KEYS) out[k].add(s[k]);
  return out;
}

/** LatencyStats of each histogram, keyed as in result.json `latency`. */
export function latencySet(set: HistogramSet): LatencySet {
  return {
    ttftMs: stats(set.ttftUs),
    ttfaMs: stats(set.ttfaUs),
    tpotMs: stats(set.tpotUs),
    itlMs: stats(set.itlUs),
    chunkGapMs: stats(set.chunkGapUs),
    e2eMs: stats(set.e2eUs),
    issueDelayMs: stats(set.issueDelayUs),
    connectWaitMs: stats(set.connectWaitUs),
  };
}

export function encodeSet(set: HistogramSet): Record<HistogramKey, string> {
  return {
    ttftUs: encode(set.ttftUs),
    ttfaUs: encode(set.ttfaUs),
    tpotUs: encode(set.tpotUs),
    itlUs: encode(set.itlUs),
    chunkGapUs: encode(set.chunkGapUs),
    e2eUs: encode(set.e2eUs),
    issueDelayUs: encode(set.issueDelayUs),
    connectWaitUs: encode(set.connectWaitUs),
  };
}
