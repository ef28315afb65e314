/**
 * Confidence intervals (issue 16): the math against independent computations,
 * and coverage over seeded synthetic runs from a known distribution, through
 * the production collector and summarize() (fake clock: record times are
 * data, nothing waits).
 */
import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../../src/metrics/collector.js';
import { createHistogram, recordUs } from '../../../src/metrics/histogram.js';
import {
  batchMeans,
  binomialCdf,
  minCountForPercentile,
  orderStatisticRanks,
  percentileInterval,
  studentTQuantile,
} from '../../../src/metrics/intervals.js';
import { summarize } from '../../../src/metrics/summary.js';
import type { RequestRecord } from '../../../src/records/record.js';
import type { ResolvedScenario } from '../../../src/scenario/types.js';
import { Rng } from '../../../src/util/rng.js';

function scenario(constraints: ResolvedScenario['constraints'] = { ttftP99Ms: null, tpotP99Ms: null }, endpoints = 1): ResolvedScenario {
  // summarize reads the load pattern, the constraints and the endpoints; the rest is not used
  return {
    load: { pattern: 'poisson', targetQps: 20, burstiness: 1, maxConcurrency: null },
    constraints,
    request: { model: 'm' },
    endpoints: Array.from({ length: endpoints }, (_, i) => ({ url: `http://h${i}:8000`, model: null, labels: {} })),
  } as unknown as ResolvedScenario;
}

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

describe('interval math', () => {
  it('binomialCdf agrees with the summed binomial pmf', () => {
    for (const [n, p] of [[20, 0.5], [50, 0.9], [100, 0.99]] as const) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        sum += choose(n, k) * p ** k * (1 - p) ** (n - k);
        expect(binomialCdf(k, n, p)).toBeCloseTo(sum, 9);
      }
    }
  });

  it('Student t quantiles match the tables', () => {
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.2622, 4);
    expect(studentTQuantile(0.975, 19)).toBeCloseTo(2.093, 3);
    expect(studentTQuantile(0.995, 4)).toBeCloseTo(4.6041, 4);
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.96, 2);
  });

  it('order-statistic ranks hold at least the confidence and are the tightest equal-tail pair', () => {
    for (const [n, p] of [[100, 0.5], [1000, 0.99], [400, 0.9]] as const) {
      const { low, high } = orderStatisticRanks(n, p, 0.95);
      expect(low).not.toBeNull();
      expect(high).not.toBeNull();
      // P(low ≤ B < high) = F(high − 1) − F(low − 1)
      expect(binomialCdf(high! - 1, n, p) - binomialCdf(low! - 1, n, p)).toBeGreaterThanOrEqual(0.95);
      expect(binomialCdf(low! - 1, n, p)).toBeLessThanOrEqual(0.025);
      expect(binomialCdf(low!, n, p)).toBeGreaterThan(0.025);
      expect(binomialCdf(high! - 2, n, p)).toBeLessThan(0.975);
    }
    // median of 100: the classic ranks 40 and 61
    expect(orderStatisticRanks(100, 0.5, 0.95)).toEqual({ low: 40, high: 61 });
  });

  it('a p99 needs enough values for an upper bound, and says how many', () => {
    const need = minCountForPercentile(0.99, 0.95);
    expect(orderStatisticRanks(need, 0.99, 0.95).high).not.toBeNull();
    expect(orderStatisticRanks(need - 1, 0.99, 0.95).high).toBeNull();
    const h = createHistogram();
    for (let i = 0; i < 100; i++) recordUs(h, 1000 + i);
    const iv = percentileInterval(h, 0.99, 0.95);
    expect(iv.high).toBeNull();
    expect(iv.minCount).toBe(need);
  });

  it('percentile bounds come from the histogram at those ranks', () => {
    const h = createHistogram();
    for (let v = 1; v <= 100; v++) recordUs(h, v); // below 2048 µs buckets are exact
    const iv = percentileInterval(h, 0.5, 0.95);
    expect(iv).toMatchObject({ low: 0.04, high: 0.061, count: 100 });
  });

  it('clustered values (ITL) get ranks for their independent draws: a wider interval', () => {
    const h = createHistogram();
    for (let v = 0; v < 10_000; v++) recordUs(h, 1000 + (v % 1000));
    const asIs = percentileInterval(h, 0.5, 0.95);
    const clustered = percentileInterval(h, 0.5, 0.95, 100);
    expect(clustered.count).toBe(100);
    expect(clustered.low!).toBeLessThan(asIs.low!);
    expect(clustered.high!).toBeGreaterThan(asIs.high!);
  });

  it('batch means: equal batches, and no interval below the minimum', () => {
    expect(batchMeans([1, 2, 3, 4])).toBeNull();
    const bm = batchMeans(Array.from({ length: 45 }, (_, i) => (i % 2 === 0 ? 10 : 20)))!;
    expect(bm.batches).toBe(20);
    expect(bm.batchSeconds).toBe(2);
    expect(bm.mean).toBe(15);
    expect(bm.relStdErr).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// Coverage: a Poisson stream of requests with known rate, output lengths and TTFT distribution.

const LAMBDA = 20; // arrivals per second
const SECONDS = 150;
const OUT_MIN = 50;
const OUT_MAX = 150; // uniform integers: mean 100
const TRUE_OUTPUT_TPS = LAMBDA * ((OUT_MIN + OUT_MAX) / 2);
const TTFT_MEDIAN_US = 100_000;
const TTFT_SIGMA = 0.5; // lognormal
const Z99 = 2.3263478740408408;
const TRUE_TTFT_P99_MS = (TTFT_MEDIAN_US * Math.exp(TTFT_SIGMA * Z99)) / 1000;
const US_PER_TOKEN = 5000;

function syntheticRun(seed: number): MetricsCollector {
  const rng = new Rng(seed);
  const c = new MetricsCollector(1);
  let t = 0;
  let seq = 0;
  for (;;) {
    t += rng.exponential(LAMBDA) * 1e6;
    if (t >= SECONDS * 1e6) break;
    const at = Math.round(t);
    const ttft = Math.round(TTFT_MEDIAN_US * Math.exp(TTFT_SIGMA * rng.normal()));
    const out = OUT_MIN + rng.int(OUT_MAX - OUT_MIN + 1);
    const rec: RequestRecord = {
      seq: seq++, sampleIndex: 0, endpoint: 0, warmup: false,
      scheduledUs: at, issuedUs: at, firstTokenUs: at + ttft, completedUs: at + ttft + out * US_PER_TOKEN,
      inputTokens: 100, outputTokens: out, tokenSource: 'usage', chunks: 0, chunkTokenSource: 'none',
      ok: true, error: null, retries: 0,
    };
    c.record(rec);
  }
  return c;
}

describe('coverage of the 95% intervals over seeded synthetic runs', () => {
  it('throughput and p99 TTFT intervals contain the true value in 90-99% of trials', () => {
    const trials = 200;
    let tpsHits = 0;
    let p99Hits = 0;
    for (let s = 1; s <= trials; s++) {
      const { summary } = summarize(syntheticRun(s), scenario());
      const tps = summary.intervals!.outputTokensPerSecond;
      const p99 = summary.intervals!.latency.ttftMs!.p99;
      expect(tps.low).not.toBeNull();
      expect(p99.low).not.toBeNull();
      if (tps.low! <= TRUE_OUTPUT_TPS && TRUE_OUTPUT_TPS <= tps.high!) tpsHits++;
      if (p99.low! <= TRUE_TTFT_P99_MS && TRUE_TTFT_P99_MS <= p99.high!) p99Hits++;
    }
    const tpsCoverage = tpsHits / trials;
    const p99Coverage = p99Hits / trials;
    expect(tpsCoverage, `throughput coverage ${tpsCoverage}`).toBeGreaterThanOrEqual(0.9);
    expect(tpsCoverage, `throughput coverage ${tpsCoverage}`).toBeLessThanOrEqual(0.99);
    expect(p99Coverage, `p99 TTFT coverage ${p99Coverage}`).toBeGreaterThanOrEqual(0.9);
    expect(p99Coverage, `p99 TTFT coverage ${p99Coverage}`).toBeLessThanOrEqual(0.99);
  });

  it('a higher confidence gives a wider interval of the same run', () => {
    const c = syntheticRun(7);
    const a = summarize(c, scenario()).summary.intervals!;
    const b = summarize(c, scenario(), { confidence: 0.99 }).summary.intervals!;
    expect(b.confidence).toBe(0.99);
    expect(b.outputTokensPerSecond.halfWidthPct!).toBeGreaterThan(a.outputTokensPerSecond.halfWidthPct!);
    expect(b.latency.ttftMs!.p99.high!).toBeGreaterThanOrEqual(a.latency.ttftMs!.p99.high!);
  });

  it('goodput has an interval when an SLO is set, none otherwise', () => {
    const c = syntheticRun(3);
    expect(summarize(c, scenario()).summary.intervals!.goodputRequestsPerSecond).toBeNull();
    const g = summarize(c, scenario({ ttftP99Ms: 200, tpotP99Ms: null })).summary.intervals!.goodputRequestsPerSecond!;
    expect(g.value).toBeGreaterThan(0);
    expect(g.low!).toBeLessThan(g.value);
    expect(g.high!).toBeGreaterThan(g.value);
  });

  it('a run split over two endpoints has the intervals of the same requests on one', () => {
    const records = syntheticRecords(5);
    const one = new MetricsCollector(1);
    const two = new MetricsCollector(2);
    records.forEach((r, i) => {
      one.record(r);
      two.record({ ...r, endpoint: i % 2 });
    });
    const a = summarize(one, scenario()).summary.intervals;
    const b = summarize(two, scenario({ ttftP99Ms: null, tpotP99Ms: null }, 2)).summary.intervals;
    expect(b).toEqual(a);
  });
});

function syntheticRecords(seed: number): RequestRecord[] {
  const out: RequestRecord[] = [];
  const c = syntheticRun(seed);
  const cols = c.completedColumns();
  for (let i = 0; i < cols.e2eUs.length; i++) {
    const completed = cols.completedUs[i]!;
    const at = completed - cols.e2eUs[i]!;
    out.push({
      seq: i, sampleIndex: 0, endpoint: 0, warmup: false,
      scheduledUs: at, issuedUs: at, firstTokenUs: at + cols.ttftUs[i]!, completedUs: completed,
      inputTokens: cols.inputTokens[i]!, outputTokens: cols.outputTokens[i]!, tokenSource: 'usage', chunks: 0, chunkTokenSource: 'none',
      ok: true, error: null, retries: 0,
    });
  }
  return out;
}
