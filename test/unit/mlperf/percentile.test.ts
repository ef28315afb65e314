import { describe, expect, it } from 'vitest';
import {
  countOverLimit,
  loadgenIntegerMean,
  loadgenLatencyStats,
  loadgenPercentile,
  loadgenPercentileIndex,
} from '../../../src/metrics/mlperf-percentile.js';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

describe("LoadGen's percentile: sorted[floor(n × p)]", () => {
  it('takes the maximum as p99 of 100 values (no interpolation, no n − 1)', () => {
    const values = Array.from({ length: 100 }, (_, i) => (i + 1) * 10); // 10..1000
    expect(loadgenPercentileIndex(100, 0.99)).toBe(99);
    expect(loadgenPercentile(f64(values), 0.99)).toBe(1000);
    expect(loadgenPercentile(f64(values), 0.5)).toBe(510); // index 50
  });

  it('truncates the index for sizes where n × p is not whole', () => {
    // 1000 × 0.999 = 999 (index of the max); 250 × 0.97 = 242.5 → 242; 7 × 0.9 = 6.3 → 6
    expect(loadgenPercentileIndex(1000, 0.999)).toBe(999);
    expect(loadgenPercentileIndex(250, 0.97)).toBe(242);
    expect(loadgenPercentileIndex(7, 0.9)).toBe(6);
    expect(loadgenPercentileIndex(1, 0.5)).toBe(0);
  });

  it('sorts numerically, not as strings', () => {
    expect(loadgenPercentile(f64([9, 100, 20, 3]), 0.5)).toBe(20);
  });
});

describe("LoadGen's integer mean", () => {
  it('truncates like int64 division', () => {
    expect(loadgenIntegerMean(f64([1, 2]))).toBe(1);
    expect(loadgenIntegerMean(f64([10, 10, 11]))).toBe(10);
  });

  it('is exact beyond 2^53, where a double sum rounds', () => {
    // past 2^53 a double cannot hold an odd integer: summing 2^53 + 1 + 1 + 1 + 1 in doubles loses every 1
    const values = f64([2 ** 53, 1, 1, 1, 1]);
    const exact = Number((2n ** 53n + 4n) / 5n); // 1801439850948199
    expect(loadgenIntegerMean(values)).toBe(exact);
    let doubleSum = 0;
    for (const v of values) doubleSum += v;
    expect(Math.floor(doubleSum / 5)).toBe(exact - 1);
  });

  it('divides by sample_count when asked (first-token mean)', () => {
    expect(loadgenIntegerMean(f64([10, 20]), 3)).toBe(10);
  });
});

describe('loadgenLatencyStats', () => {
  it('gives min, max, mean and the six percentiles in order', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000..1 unsorted
    const s = loadgenLatencyStats(f64(values));
    expect(s.minNs).toBe(1);
    expect(s.maxNs).toBe(1000);
    expect(s.meanNs).toBe(500); // 500500 / 1000 = 500.5 → 500
    expect(s.percentiles.map((p) => p.percentile)).toEqual([0.5, 0.9, 0.95, 0.97, 0.99, 0.999]);
    // sorted[k] = k + 1
    expect(s.percentiles.map((p) => p.valueNs)).toEqual([501, 901, 951, 971, 991, 1000]);
    expect(s.targetPercentileNs).toBe(991);
  });

  it('returns zeros for an empty set, as LoadGen logs its initial values', () => {
    const s = loadgenLatencyStats(new Float64Array(0));
    expect([s.minNs, s.maxNs, s.meanNs, s.targetPercentileNs]).toEqual([0, 0, 0, 0]);
  });

  it('counts strictly over a limit', () => {
    expect(countOverLimit(f64([5, 10, 11, 10]), 10)).toBe(1);
  });
});
