import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../../src/metrics/collector.js';
import { decode, encode, mergeSets, type HistogramSet } from '../../../src/metrics/histogram.js';
import { summarize, summaryFromHistograms, throughputWindowFor } from '../../../src/metrics/summary.js';
import { mergeTimeSeries, steadyState, timeSeries } from '../../../src/metrics/time-series.js';
import type { RequestRecord } from '../../../src/records/record.js';
import type { LoadPattern, ResolvedScenario, ScenarioKind } from '../../../src/scenario/types.js';

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

function scenario(
  pattern: LoadPattern,
  constraints: ResolvedScenario['constraints'] = { ttftP99Ms: null, tpotP99Ms: null },
  endpoints = 1,
): ResolvedScenario {
  const kind: ScenarioKind = pattern === 'offline' ? 'offline' : 'server';
  return {
    name: `test/${kind}`,
    benchmark: 'custom',
    scenario: kind,
    load: { pattern, targetQps: pattern === 'poisson' ? 10 : null, burstiness: 1, maxConcurrency: null },
    run: {
      mode: 'performance',
      minDurationMs: 1000,
      maxDurationMs: 0,
      minQueryCount: 1,
      samples: null,
      equalIssue: false,
      warmupRequests: 0,
      requestTimeoutMs: 60_000,
      idleTimeoutMs: 30_000,
      firstTokenTimeoutMs: null,
      drainTimeoutMs: 30_000,
      graceMs: 5000,
      retries: 0,
    },
    dataset: {
      source: 'synthetic',
      path: null,
      size: 10,
      tokenizer: 'llama2',
      inputTokens: { kind: 'fixed', value: 100 },
      outputTokens: { kind: 'fixed', value: 100 },
    },
    request: {
      api: 'completions',
      model: 'm',
      maxTokens: 128,
      ignoreEos: true,
      temperature: null,
      topP: null,
      topK: null,
      stream: true,
      promptFormat: 'text',
      continuousUsage: false,
      reasoningEffort: null,
      headers: {},
      extraBody: {},
    },
    constraints,
    seeds: { qsl: '1', sampleIndex: '2', schedule: '3' },
    thresholds: [],
    endpoints: Array.from({ length: endpoints }, (_, i) => ({ url: `http://h${i}:8000`, model: null, labels: {} })),
    origins: {},
  };
}

/**
 * Two queries where the last-issued one is not the last to finish:
 * seq 0 scheduled at 0, done at 10 s, 100 output tokens;
 * seq 1 scheduled at 1 s, done at 4 s, 50 output tokens.
 */
function crossingRun(): MetricsCollector {
  const c = new MetricsCollector();
  c.record(rec({ seq: 0, scheduledUs: 0, issuedUs: 0, firstTokenUs: 1_000_000, completedUs: 10_000_000, inputTokens: 30, outputTokens: 100 }));
  c.record(
    rec({ seq: 1, scheduledUs: 1_000_000, issuedUs: 1_000_000, firstTokenUs: 1_500_000, completedUs: 4_000_000, inputTokens: 20, outputTokens: 50 }),
  );
  return c;
}

describe('throughput windows (mlperf.md §1.3)', () => {
  it('Server ends the window at the completion of the last-issued query', () => {
    const { summary } = summarize(crossingRun(), scenario('poisson'));
    expect(summary.throughputWindow).toBe('lastIssuedCompletion');
    expect(summary.durationMs).toBe(4000);
    expect(summary.outputTokensPerSecond).toBeCloseTo(150 / 4, 9);
    expect(summary.totalTokensPerSecond).toBeCloseTo((150 + 50) / 4, 9);
    expect(summary.requestsPerSecond).toBeCloseTo(2 / 4, 9);
  });

  it('Offline and closed loop end the window at the last completion', () => {
    for (const pattern of ['offline', 'closed'] as const) {
      const { summary } = summarize(crossingRun(), scenario(pattern));
      expect(summary.throughputWindow).toBe('lastCompletion');
      expect(summary.durationMs).toBe(10_000);
      expect(summary.outputTokensPerSecond).toBeCloseTo(15, 9);
      expect(summary.requestsPerSecond).toBeCloseTo(0.2, 9);
    }
    expect(throughputWindowFor('poisson')).toBe('lastIssuedCompletion');
  });

  it('counts a failed last-issued query as the end of the Server window, but not its tokens', () => {
    const c = crossingRun();
    c.record(
      rec({ seq: 2, scheduledUs: 2_000_000, issuedUs: 2_000_000, completedUs: 6_000_000, outputTokens: 9, ok: false, error: { kind: 'reset', message: '' } }),
    );
    const { summary } = summarize(c, scenario('poisson'));
    expect(summary.durationMs).toBe(6000);
    expect(summary.outputTokensPerSecond).toBeCloseTo(150 / 6, 9);
    expect(summary.partialOutputTokens).toBe(9);
    expect(summary.failed).toBe(1);
    expect(summary.errors).toEqual({ reset: 1 });
  });

  it('gives zero rates and empty stats for an empty run, never NaN', () => {
    const { summary, perEndpoint } = summarize(new MetricsCollector(), scenario('poisson', { ttftP99Ms: 2000, tpotP99Ms: 200 }));
    expect(summary.durationMs).toBe(0);
    expect(summary.outputTokensPerSecond).toBe(0);
    expect(summary.requestsPerSecond).toBe(0);
    expect(summary.goodputRequestsPerSecond).toBe(0);
    expect(summary.latency.ttftMs).toBeNull();
    expect(summary.latency.e2eMs).toBeNull();
    expect(summary.intervals!.latency.ttftMs).toBeNull();
    expect(perEndpoint[0]!.latency.tpotMs).toBeNull();
    expect(summary.tokenCountSource).toBe('none');
    expect(summary.steadyState).toBeNull();
    expect(perEndpoint).toHaveLength(1);
    expect(JSON.stringify({ summary, perEndpoint })).not.toMatch(/NaN|Infinity/);
  });
});

describe('goodput', () => {
  /** TTFT and TPOT (ms) of 6 completed requests; the window is 10 s (Offline: last completion). */
  const cases: { ttftMs: number | null; tpotMs: number | null; outputTokens: number }[] = [
    { ttftMs: 100, tpotMs: 10, outputTokens: 11 }, // good
    { ttftMs: 2000, tpotMs: 20, outputTokens: 11 }, // TTFT exactly at the limit: good (LoadGen fails only on >)
    { ttftMs: 2500, tpotMs: 10, outputTokens: 11 }, // TTFT too slow
    { ttftMs: 100, tpotMs: 200.1, outputTokens: 11 }, // TPOT too slow
    { ttftMs: 100, tpotMs: null, outputTokens: 1 }, // one token: no TPOT, cannot fail it
    { ttftMs: null, tpotMs: null, outputTokens: 5 }, // no first token: unknown TTFT fails a TTFT SLO
  ];
  function run(): MetricsCollector {
    const c = new MetricsCollector();
    for (const k of cases) {
      const ttftUs = k.ttftMs === null ? null : k.ttftMs * 1000;
      const decodeUs = k.tpotMs === null ? 0 : Math.round(k.tpotMs * 1000 * (k.outputTokens - 1));
      c.record(
        rec({ firstTokenUs: ttftUs, completedUs: (ttftUs ?? 0) + decodeUs, outputTokens: k.outputTokens }),
      );
    }
    c.record(rec({ completedUs: 10_000_000, ok: false, error: { kind: 'http_5xx', message: '' } }));
    return c;
  }

  it('counts completed requests meeting both SLOs, per second of the window', () => {
    const { summary } = summarize(run(), scenario('offline', { ttftP99Ms: 2000, tpotP99Ms: 200 }));
    expect(summary.goodputCompleted).toBe(3);
    expect(summary.goodputRequestsPerSecond).toBeCloseTo(3 / 10, 9);
  });

  it('applies only the SLOs that are set', () => {
    const ttftOnly = summarize(run(), scenario('offline', { ttftP99Ms: 2000, tpotP99Ms: null })).summary;
    expect(ttftOnly.goodputCompleted).toBe(4);
    const tpotOnly = summarize(run(), scenario('offline', { ttftP99Ms: null, tpotP99Ms: 200 })).summary;
    expect(tpotOnly.goodputCompleted).toBe(5);
  });

  it('is null without SLOs, and SLOs can be overridden', () => {
    const none = summarize(run(), scenario('offline')).summary;
    expect(none.goodputRequestsPerSecond).toBeNull();
    expect(none.goodputCompleted).toBeNull();
    const over = summarize(run(), scenario('offline'), { constraints: { ttftP99Ms: 150, tpotP99Ms: null } }).summary;
    expect(over.goodputCompleted).toBe(3); // TTFT 100 ms ×3
  });
});

describe('per endpoint', () => {
  it('shares the run window so per-endpoint throughputs add up to the total', () => {
    const c = new MetricsCollector(2);
    c.record(rec({ endpoint: 0, firstTokenUs: 10_000, completedUs: 2_000_000, outputTokens: 300, inputTokens: 10 }));
    c.record(rec({ endpoint: 1, firstTokenUs: 90_000, completedUs: 8_000_000, outputTokens: 500, inputTokens: 20 }));
    c.record(rec({ endpoint: 1, completedUs: 3_000_000, ok: false, error: { kind: 'http_429', message: '' } }));
    const { summary, perEndpoint } = summarize(c, scenario('offline', { ttftP99Ms: 50, tpotP99Ms: null }, 2), {
      endpoints: [
        { url: 'http://a', model: 'ma', labels: { zone: 'x' } },
        { url: 'http://b', model: 'mb', labels: {} },
      ],
    });
    expect(perEndpoint.map((e) => e.url)).toEqual(['http://a', 'http://b']);
    expect(perEndpoint[0]!.labels).toEqual({ zone: 'x' });
    expect(perEndpoint.map((e) => e.durationMs)).toEqual([8000, 8000]);
    expect(perEndpoint[0]!.outputTokensPerSecond).toBeCloseTo(300 / 8, 9);
    expect(perEndpoint[1]!.outputTokensPerSecond).toBeCloseTo(500 / 8, 9);
    expect(perEndpoint[0]!.outputTokensPerSecond + perEndpoint[1]!.outputTokensPerSecond).toBeCloseTo(
      summary.outputTokensPerSecond,
      9,
    );
    expect(perEndpoint[1]!.errors).toEqual({ http_429: 1 });
    expect(perEndpoint.map((e) => e.goodputCompleted)).toEqual([1, 0]);
    expect(perEndpoint[0]!.latency.ttftMs!.p50).toBeCloseTo(10, 1); // HDR bucket upper edge: 10.007
    expect(perEndpoint[1]!.latency.ttftMs!.count).toBe(1);
  });

  it('defaults endpoint identity to the scenario, model to request.model', () => {
    const { perEndpoint } = summarize(crossingRun(), scenario('offline'));
    expect(perEndpoint[0]).toMatchObject({ url: 'http://h0:8000', model: 'm' });
  });
});

describe('steady state', () => {
  /**
   * One query every 100 ms for 20 s (200 queries), each 2 s long with 100
   * output tokens. In flight: 10 at the end of second 0, 20 from second 1 on.
   * Completions start in second 2 at 10 per second.
   */
  function steadyRun(): MetricsCollector {
    const c = new MetricsCollector();
    for (let k = 0; k < 200; k++) {
      const t = k * 100_000;
      c.record(rec({ seq: k, scheduledUs: t, issuedUs: t, firstTokenUs: t + 200_000, completedUs: t + 2_000_000, outputTokens: 100 }));
    }
    return c;
  }

  it('drops the ramp-up and the drain', () => {
    const ss = summarize(steadyRun(), scenario('poisson')).summary.steadyState;
    // plateau (median in flight) 20; first second ending at >= 18 in flight is second 1,
    // first completions are in second 2 → the window starts at 3 s. The last issue
    // (19.9 s) is in second 19 → the window ends at 19 s.
    expect(ss).not.toBeNull();
    expect(ss!.startMs).toBe(3000);
    expect(ss!.endMs).toBe(19_000);
    expect(ss!.requestsPerSecond).toBeCloseTo(10, 9);
    expect(ss!.outputTokensPerSecond).toBeCloseTo(1000, 9);
  });

  it('is null when everything is issued at t = 0 (Offline, unbounded)', () => {
    const c = new MetricsCollector();
    for (let k = 0; k < 50; k++) c.record(rec({ completedUs: 1_000_000 + k * 200_000, outputTokens: 10 }));
    expect(summarize(c, scenario('offline')).summary.steadyState).toBeNull();
  });

  it('is null when the run is too short', () => {
    const c = new MetricsCollector();
    for (let k = 0; k < 40; k++) {
      const t = k * 100_000;
      c.record(rec({ issuedUs: t, completedUs: t + 500_000, outputTokens: 10 }));
    }
    expect(steadyState(timeSeries(c))).toBeNull();
  });
});

describe('summaryFromHistograms (merge)', () => {
  it('recomputes from added histograms and counters exactly what one collector gives', () => {
    const whole = new MetricsCollector();
    const shards = [new MetricsCollector(), new MetricsCollector()];
    for (let k = 0; k < 100; k++) {
      const t = k * 50_000;
      const r = rec({
        seq: k,
        scheduledUs: t,
        issuedUs: t + (k % 7),
        firstTokenUs: t + 30_000 + k * 100,
        completedUs: t + 300_000 + k * 1000,
        outputTokens: 20 + (k % 5),
        inputTokens: 50,
        chunks: 3,
        chunkGapsUs: [1000 + k, 2000],
      });
      whole.record(r);
      shards[k % 2]!.record(r);
    }
    const sc = scenario('poisson', { ttftP99Ms: 35, tpotP99Ms: null });
    const one = summarize(whole, sc);
    const parts = shards.map((s) => summarize(s, sc));
    // shards write encoded histograms; merge decodes and adds them
    const decoded: HistogramSet[] = parts.map((p) => {
      const set = {} as HistogramSet;
      for (const [k, h] of Object.entries(p.histograms)) set[k as keyof HistogramSet] = decode(encode(h));
      return set;
    });
    const sum = (f: (s: (typeof parts)[number]['summary']) => number) => parts.reduce((a, p) => a + f(p.summary), 0);
    const merged = summaryFromHistograms(mergeSets(decoded), {
      issued: sum((s) => s.issued),
      completed: sum((s) => s.completed),
      failed: sum((s) => s.failed),
      inputTokens: sum((s) => s.inputTokens),
      outputTokens: sum((s) => s.outputTokens),
      partialOutputTokens: sum((s) => s.partialOutputTokens),
      // shards share t = 0; the merged Server window is the completion of the globally last-issued query
      durationMs: one.summary.durationMs,
      throughputWindow: 'lastIssuedCompletion',
      goodputCompleted: sum((s) => s.goodputCompleted ?? 0),
      errors: {},
      tokenCountSources: { usage: sum((s) => s.tokenCountSources.usage ?? 0) },
      chunkTokenSources: { estimated: sum((s) => s.chunkTokenSources.estimated ?? 0) },
    });
    const { steadyState: _ss, intervals: _iv, ...oneCore } = one.summary;
    expect(merged).toEqual(oneCore);
    expect(steadyState(mergeTimeSeries(parts.map((p) => p.timeSeries)))).toEqual(one.summary.steadyState);
    expect(mergeTimeSeries(parts.map((p) => p.timeSeries))).toEqual(one.timeSeries);
  });
});
