import { describe, expect, it } from 'vitest';
import {
  add,
  createHistogram,
  createHistogramSet,
  decode,
  encode,
  encodeSet,
  latencySet,
  mergeAll,
  recordUs,
  stats,
} from '../../../src/metrics/histogram.js';

/** LoadGen's percentile: sorted[floor(n·p)]. */
function mlperfPercentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** HDR with 3 significant digits: a reported value is within 0.1% of the recorded one. */
function expectWithin(actual: number, expected: number, relative = 0.001): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * relative);
}

/** Deterministic LCG so the test needs no seed plumbing. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('histogram stats', () => {
  it('gives null, not a row of zeros, for an empty histogram', () => {
    expect(stats(createHistogram())).toBeNull();
  });

  it('uses the MLPerf rank rule sorted[floor(n·p)] and reports ms', () => {
    const h = createHistogram();
    for (let v = 1; v <= 100; v++) recordUs(h, v);
    const s = stats(h)!;
    // 1-based rank floor(100·0.5)+1 = 51 → 51 µs (HDR's own rule would give 50)
    expect(s.p50).toBe(0.051);
    expect(s.p90).toBe(0.091);
    expect(s.p95).toBe(0.096);
    expect(s.p97).toBe(0.098);
    expect(s.p99).toBe(0.1);
    expect(s.p999).toBe(0.1);
    expect(s.min).toBe(0.001);
    expect(s.max).toBe(0.1);
    expect(s.mean).toBeCloseTo(0.0505, 9);
    expect(s.count).toBe(100);
  });

  it('records 0 µs as 0 (one-read chunk bursts) and clamps negatives to 0', () => {
    const h = createHistogram();
    recordUs(h, 0);
    recordUs(h, 0);
    recordUs(h, -5);
    recordUs(h, 10);
    const s = stats(h)!;
    expect(s.count).toBe(4);
    expect(s.min).toBe(0);
    expect(s.p50).toBe(0); // sorted [0,0,0,10], index 2
    expect(s.max).toBe(0.01);
    expect(s.mean).toBeCloseTo(0.0025, 9);
  });

  it('records a count of equal values at once', () => {
    const h = createHistogram();
    recordUs(h, 10_000, 9);
    recordUs(h, 30_000, 1);
    const s = stats(h)!;
    expect(s.count).toBe(10);
    expectWithin(s.p50, 10);
    expectWithin(s.p99, 30);
    expectWithin(s.mean, 12);
    // a percentile is the upper edge of its bucket: never below the recorded value
    expect(s.p50).toBeGreaterThanOrEqual(10);
  });

  it('stays within 0.1% of exact percentiles over a wide range', () => {
    const rnd = lcg(42);
    const values: number[] = [];
    const h = createHistogram();
    for (let i = 0; i < 20_000; i++) {
      // log-uniform from 1 µs to ~100 s
      const v = Math.floor(Math.exp(rnd() * Math.log(1e8)));
      values.push(v);
      recordUs(h, v);
    }
    values.sort((a, b) => a - b);
    const s = stats(h)!;
    const pairs: [number, number][] = [
      [s.p50, 0.5],
      [s.p90, 0.9],
      [s.p95, 0.95],
      [s.p97, 0.97],
      [s.p99, 0.99],
      [s.p999, 0.999],
    ];
    for (const [got, p] of pairs) {
      const exact = mlperfPercentile(values, p) / 1000;
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(0.001);
    }
    const exactMean = values.reduce((a, b) => a + b, 0) / values.length / 1000;
    expect(Math.abs(s.mean - exactMean) / exactMean).toBeLessThanOrEqual(0.001);
    expect(Math.abs(s.max - values[values.length - 1]! / 1000) / s.max).toBeLessThanOrEqual(0.001);
  });

  it('tracks values beyond the initial 1 hour range', () => {
    const h = createHistogram();
    const twoHoursUs = 7_200_000_000;
    recordUs(h, twoHoursUs);
    expect(Math.abs(stats(h)!.max - twoHoursUs / 1000) / (twoHoursUs / 1000)).toBeLessThanOrEqual(0.001);
  });
});

describe('encode, decode, add', () => {
  it('round-trips through compressed base64 with identical stats', () => {
    const h = createHistogram();
    for (let v = 0; v < 5000; v += 7) recordUs(h, v * 13);
    const text = encode(h);
    expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(stats(decode(text))).toEqual(stats(h));
  });

  it('round-trips an empty histogram', () => {
    expect(stats(decode(encode(createHistogram())))).toBeNull();
  });

  it('adds histograms into the histogram of the union, without changing the inputs', () => {
    const a = createHistogram();
    const b = createHistogram();
    const both = createHistogram();
    for (let v = 1; v <= 300; v++) {
      recordUs(a, v * 1000);
      recordUs(both, v * 1000);
    }
    for (let v = 1; v <= 100; v++) {
      recordUs(b, v * 50_000);
      recordUs(both, v * 50_000);
    }
    const sum = add(decode(encode(a)), decode(encode(b)));
    expect(stats(sum)).toEqual(stats(both));
    expect(stats(a)!.count).toBe(300);
    expect(stats(b)!.count).toBe(100);
    expect(stats(mergeAll([a, b]))).toEqual(stats(both));
  });

  it('lets a decoded (tightly sized) histogram absorb larger values', () => {
    const small = createHistogram();
    recordUs(small, 3);
    const big = createHistogram();
    recordUs(big, 5_000_000_000);
    const target = decode(encode(small));
    target.add(big);
    expect(stats(target)!.count).toBe(2);
  });

  it('rejects text that is not an encoded histogram with a readable message', () => {
    expect(() => decode('not base64!')).toThrow(/HdrHistogram/);
    expect(() => decode('')).toThrow(/HdrHistogram/);
  });

  it('encodes and summarises a whole set by key', () => {
    const set = createHistogramSet();
    recordUs(set.ttftUs, 50_000);
    recordUs(set.itlUs, 10_000, 3);
    const enc = encodeSet(set);
    expect(Object.keys(enc).sort()).toEqual(['chunkGapUs', 'connectWaitUs', 'e2eUs', 'issueDelayUs', 'itlUs', 'tpotUs', 'ttfaUs', 'ttftUs']);
    const lat = latencySet(set);
    expectWithin(lat.ttftMs!.p50, 50);
    expect(lat.itlMs!.count).toBe(3);
    // a series with no values is absent in result.json, the key kept
    expect(lat.e2eMs).toBeNull();
    expect(Object.keys(lat)).toContain('e2eMs');
  });
});
