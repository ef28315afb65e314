import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../../src/metrics/collector.js';
import { stats } from '../../../src/metrics/histogram.js';
import { exactLatencies, exactPercentile } from '../../../src/metrics/summary.js';
import { timeSeries } from '../../../src/metrics/time-series.js';
import type { RequestRecord } from '../../../src/records/record.js';

let nextSeq = 0;
function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    seq: nextSeq++,
    sampleIndex: 0,
    endpoint: 0,
    warmup: false,
    scheduledUs: 0,
    issuedUs: 0,
    firstTokenUs: null,
    completedUs: 0,
    inputTokens: 0,
    outputTokens: 0,
    tokenSource: 'usage',
    chunks: 0,
    chunkTokenSource: 'none',
    ok: true,
    error: null,
    retries: 0,
    ...over,
  };
}

/** Within HDR's 3-significant-digit resolution (≤ 0.1 %). */
function expectWithin(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * 0.001);
}

/**
 * The reference request: scheduled at 1 ms, issued 0.5 ms late, first token
 * 50 ms after its scheduled time, then 3 chunks of 3 tokens 30 ms apart
 * (10 ms per token): 10 output tokens, e2e 50 + 90 = 140 ms.
 */
function reference(over: Partial<RequestRecord> = {}): RequestRecord {
  const scheduledUs = 1_000;
  return rec({
    scheduledUs,
    issuedUs: scheduledUs + 500,
    firstTokenUs: scheduledUs + 50_000,
    completedUs: scheduledUs + 140_000,
    inputTokens: 100,
    outputTokens: 10,
    chunks: 4,
    chunkGapsUs: [30_000, 30_000, 30_000],
    chunkTokens: [1, 3, 3, 3],
    chunkTokenSource: 'server',
    ...over,
  });
}

describe('MetricsCollector: one request with known timings', () => {
  const c = new MetricsCollector();
  c.record(reference());
  const h = c.histograms();

  it('measures TTFT and e2e from the scheduled time, issue delay apart', () => {
    expectWithin(stats(h.ttftUs)!.p50, 50);
    expectWithin(stats(h.e2eUs)!.p50, 140);
    expect(stats(h.issueDelayUs)!.p50).toBe(0.5);
  });

  it('computes TPOT = (e2e - TTFT) / (outputTokens - 1)', () => {
    // (140 - 50) / 9 = 10 ms
    expect(stats(h.tpotUs)!.count).toBe(1);
    expectWithin(stats(h.tpotUs)!.p50, 10);
  });

  it('splits each chunk gap over the tokens it carries (per-token ITL)', () => {
    const itl = stats(h.itlUs)!;
    expect(itl.count).toBe(9); // 3 chunks × 3 tokens; the first chunk's token has no gap
    expectWithin(itl.min, 10);
    expectWithin(itl.max, 10);
  });

  it('keeps one value per chunk gap (per-chunk ITL)', () => {
    const gap = stats(h.chunkGapUs)!;
    expect(gap.count).toBe(3);
    expectWithin(gap.p50, 30);
  });

  it('counts tokens and sources', () => {
    const t = c.counters();
    expect(t).toMatchObject({ issued: 1, completed: 1, failed: 0, inputTokens: 100, outputTokens: 10 });
    expect(t.tokenCountSources).toEqual({ usage: 1 });
    expect(t.chunkTokenSources).toEqual({ server: 1 });
  });

  it('exposes exact ns latencies for MLPerf', () => {
    const x = exactLatencies(c);
    expect([...x.ttftNs]).toEqual([50_000_000]);
    expect([...x.e2eNs]).toEqual([140_000_000]);
    expect([...x.tpotNs]).toEqual([10_000_000]);
  });
});

describe('MetricsCollector: ITL spreading when per-chunk tokens are unknown', () => {
  it('gives the same per-token ITL as the server counts when tokens divide evenly', () => {
    const c = new MetricsCollector();
    c.record(reference({ chunkTokens: undefined, chunkTokenSource: 'none' }));
    const itl = stats(c.histograms().itlUs)!;
    expect(itl.count).toBe(9);
    expectWithin(itl.p50, 10);
    expect(c.counters().chunkTokenSources).toEqual({ estimated: 1 });
  });

  it('puts 1 token in the first chunk and spreads the rest as evenly as integers allow', () => {
    // 6 tokens over 4 chunks: first 1, then 5 over 3 chunks → 1, 2, 2 (floor(5j/3) differences)
    const c = new MetricsCollector();
    c.record(reference({ outputTokens: 6, chunkTokens: undefined }));
    const itl = stats(c.histograms().itlUs)!;
    // values: 30 ms ×1, 15 ms ×2, 15 ms ×2 → sorted [15,15,15,15,30]
    expect(itl.count).toBe(5);
    expectWithin(itl.p50, 15);
    expectWithin(itl.max, 30);
    expectWithin(itl.mean, (30 + 4 * 15) / 5);
  });

  it('passes the gap of a chunk with no tokens on to the next chunk', () => {
    const c = new MetricsCollector();
    c.record(
      reference({ chunks: 3, chunkGapsUs: [10_000, 20_000], chunkTokens: [1, 0, 2], outputTokens: 3, completedUs: 1_000 + 80_000 }),
    );
    const itl = stats(c.histograms().itlUs)!;
    // (10 + 20) ms carried to the last chunk, split over its 2 tokens
    expect(itl.count).toBe(2);
    expectWithin(itl.p50, 15);
    expect(stats(c.histograms().chunkGapUs)!.count).toBe(2);
  });

  it('records 0 µs gaps of chunks that arrived in one read', () => {
    const c = new MetricsCollector();
    c.record(reference({ chunkGapsUs: [0, 30_000, 0], chunkTokens: [1, 1, 1, 1], outputTokens: 4 }));
    const gap = stats(c.histograms().chunkGapUs)!;
    expect(gap.count).toBe(3);
    expect(gap.min).toBe(0);
    expect(gap.p50).toBe(0);
  });

  it('has no ITL for a single chunk, and no TPOT or ITL for one output token', () => {
    const c = new MetricsCollector();
    c.record(reference({ chunks: 1, chunkGapsUs: [], chunkTokens: [10] }));
    c.record(reference({ outputTokens: 1, chunks: 2, chunkGapsUs: [5_000], chunkTokens: undefined }));
    const h = c.histograms();
    expect(stats(h.itlUs)).toBeNull();
    expect(stats(h.tpotUs)!.count).toBe(1); // only the 10-token request
    expect(stats(h.ttftUs)!.count).toBe(2);
    expect(stats(h.chunkGapUs)!.count).toBe(1); // the gap was still measured
  });

  it('has no chunk figures when chunks were not recorded (--no-record-chunks)', () => {
    const c = new MetricsCollector();
    c.record(reference({ chunkGapsUs: undefined, chunkTokens: undefined }));
    expect(stats(c.histograms().itlUs)).toBeNull();
    expect(stats(c.histograms().chunkGapUs)).toBeNull();
    expect(stats(c.histograms().tpotUs)!.count).toBe(1);
  });
});

describe('MetricsCollector: failures, warm-up, coordinated omission', () => {
  it('counts failed requests but keeps them out of the latency histograms', () => {
    const c = new MetricsCollector();
    c.record(reference());
    c.record(
      reference({
        ok: false,
        error: { kind: 'http_5xx', httpStatus: 503, message: 'unavailable' },
        outputTokens: 4,
        firstTokenUs: 1_000 + 900_000,
        completedUs: 1_000 + 5_000_000,
      }),
    );
    c.record(reference({ ok: false, error: { kind: 'idle_timeout', message: 'idle' }, outputTokens: 0 }));
    c.record(reference({ ok: false, error: null, outputTokens: 0 }));
    const t = c.counters();
    expect(t).toMatchObject({ issued: 4, completed: 1, failed: 3, outputTokens: 10, partialOutputTokens: 4, inputTokens: 100 });
    expect(t.errors).toEqual({ http_5xx: 1, idle_timeout: 1, other: 1 });
    const h = c.histograms();
    expect(stats(h.ttftUs)!.count).toBe(1);
    expect(stats(h.e2eUs)!.count).toBe(1);
    expectWithin(stats(h.e2eUs)!.max, 140);
    expect(stats(h.itlUs)!.count).toBe(9);
    // issue delay is the client's lateness: every issued query has one
    expect(stats(h.issueDelayUs)!.count).toBe(4);
    expect(exactLatencies(c).e2eNs.length).toBe(1);
  });

  it('ignores warm-up records and issues for every figure', () => {
    const c = new MetricsCollector();
    c.onIssued(0, 0, true);
    c.record(reference({ warmup: true, completedUs: 99_000_000 }));
    c.record(reference());
    expect(c.counters()).toMatchObject({ issued: 1, completed: 1, outputTokens: 10 });
    expect(stats(c.histograms().ttftUs)!.count).toBe(1);
    expect(c.timeline().lastCompletedUs).toBe(141_000);
    expect(c.warmup).toEqual({ issued: 1, records: 1 });
  });

  it('measures latency from the scheduled time even when the client issued late', () => {
    const c = new MetricsCollector();
    // scheduled at 1 s, issued 200 ms late, first token 50 ms after issue
    c.record(reference({ scheduledUs: 1_000_000, issuedUs: 1_200_000, firstTokenUs: 1_250_000, completedUs: 1_340_000 }));
    const h = c.histograms();
    expectWithin(stats(h.ttftUs)!.p50, 250);
    expectWithin(stats(h.e2eUs)!.p50, 340);
    expectWithin(stats(h.issueDelayUs)!.p50, 200);
    // TPOT from scheduled-time figures: (340 - 250) / 9 = 10 ms
    expectWithin(stats(h.tpotUs)!.p50, 10);
  });

  it('has e2e but no TTFT or TPOT for a response without a first-token time', () => {
    const c = new MetricsCollector();
    c.record(reference({ firstTokenUs: null, chunks: 0, chunkGapsUs: undefined, chunkTokens: undefined }));
    const h = c.histograms();
    expect(stats(h.e2eUs)!.count).toBe(1);
    expect(stats(h.ttftUs)).toBeNull();
    expect(stats(h.tpotUs)).toBeNull();
    const x = exactLatencies(c);
    expect(x.ttftNs.length).toBe(0);
    expect(x.e2eNs.length).toBe(1);
  });

  it('tracks live in-flight from onIssued, and issued as max(onIssued, records)', () => {
    const c = new MetricsCollector(2);
    c.onIssued(0, 0);
    c.onIssued(1, 10);
    c.onIssued(1, 20);
    expect(c.inFlight).toBe(3);
    c.record(reference({ endpoint: 1 }));
    expect(c.inFlight).toBe(2);
    expect(c.counters().issued).toBe(3);
    // rebuilt from requests.jsonl: no onIssued calls, records alone count
    const r = new MetricsCollector();
    r.record(reference());
    r.record(reference());
    expect(r.counters().issued).toBe(2);
  });
});

describe('MetricsCollector: per endpoint, timeline, exact arrays, time series', () => {
  it('keeps endpoints apart and sums them for the run', () => {
    const c = new MetricsCollector();
    c.record(reference({ endpoint: 0 }));
    c.record(reference({ endpoint: 2, firstTokenUs: 1_000 + 80_000 }));
    expect(c.endpointCount).toBe(3);
    expect(c.counters(0).completed).toBe(1);
    expect(c.counters(1).completed).toBe(0);
    expect(c.counters(2).completed).toBe(1);
    expectWithin(stats(c.histograms(2).ttftUs)!.p50, 80);
    expect(stats(c.histograms().ttftUs)!.count).toBe(2);
    expectWithin(stats(c.histograms().ttftUs)!.max, 80);
  });

  it('remembers the last-issued query by seq, not by completion', () => {
    const c = new MetricsCollector();
    c.record(rec({ seq: 5, scheduledUs: 3_000_000, issuedUs: 3_000_100, completedUs: 4_000_000, outputTokens: 2 }));
    c.record(rec({ seq: 1, scheduledUs: 100, issuedUs: 200, completedUs: 9_000_000, outputTokens: 2 }));
    expect(c.timeline()).toEqual({
      firstScheduledUs: 100,
      lastScheduledUs: 3_000_000,
      lastIssuedSeq: 5,
      lastIssuedUs: 3_000_100,
      lastIssuedCompletedUs: 4_000_000,
      lastCompletedUs: 9_000_000,
    });
  });

  it('sorts exact arrays ascending for LoadGen percentiles', () => {
    const c = new MetricsCollector();
    const ttftsMs = [70, 20, 50, 10, 40, 30, 60, 90, 80, 100];
    for (const t of ttftsMs) c.record(reference({ firstTokenUs: 1_000 + t * 1000, completedUs: 1_000 + t * 1000 + 90_000 }));
    const x = exactLatencies(c);
    expect([...x.ttftNs]).toEqual([...ttftsMs].sort((a, b) => a - b).map((t) => t * 1e6));
    // sorted[floor(10 · 0.9)] = sorted[9] = 100 ms; p50 = sorted[5] = 60 ms
    expect(exactPercentile(x.ttftNs, 0.9)).toBe(100e6);
    expect(exactPercentile(x.ttftNs, 0.5)).toBe(60e6);
    expect(exactPercentile(new Float64Array(0), 0.5)).toBeNull();
    // every request: (e2e - ttft) = 90 ms over 9 tokens
    expect(new Set(x.tpotNs)).toEqual(new Set([10e6]));
    expect(exactLatencies(c, 1).e2eNs.length).toBe(0);
  });

  it('applies LoadGen integer division to TPOT in ns', () => {
    const c = new MetricsCollector();
    // 100 µs of decode over 2 tokens after the first: 100 000 ns / 3 → 33 333 ns
    c.record(rec({ firstTokenUs: 1_000, completedUs: 1_100, outputTokens: 4 }));
    expect([...exactLatencies(c).tpotNs]).toEqual([33_333]);
  });

  it('buckets issues, completions, failures, tokens and in-flight per second', () => {
    const c = new MetricsCollector();
    c.record(rec({ issuedUs: 100_000, completedUs: 1_500_000, outputTokens: 7 }));
    c.record(rec({ issuedUs: 200_000, completedUs: 3_200_000, outputTokens: 5 }));
    c.record(rec({ issuedUs: 1_100_000, completedUs: 1_900_000, ok: false, error: { kind: 'reset', message: 'x' } }));
    c.record(rec({ issuedUs: 2_500_000, completedUs: 3_999_999, outputTokens: 1 }));
    expect(timeSeries(c)).toEqual([
      { t: 0, issued: 2, completed: 0, failed: 0, outputTokens: 0, inFlight: 2 },
      { t: 1, issued: 1, completed: 1, failed: 1, outputTokens: 7, inFlight: 1 },
      { t: 2, issued: 1, completed: 0, failed: 0, outputTokens: 0, inFlight: 2 },
      { t: 3, issued: 0, completed: 2, failed: 0, outputTokens: 6, inFlight: 0 },
    ]);
  });

  it('grows its arrays past their initial capacity', () => {
    const c = new MetricsCollector();
    for (let i = 0; i < 5000; i++) {
      c.record(rec({ firstTokenUs: 1000 + i, completedUs: 200_000 + i * 1000, outputTokens: 3 }));
    }
    expect(exactLatencies(c).e2eNs.length).toBe(5000);
    expect(timeSeries(c).length).toBe(6); // completions up to 5.199 s
    expect(c.counters().outputTokens).toBe(15_000);
  });
});
