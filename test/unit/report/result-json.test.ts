import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { MetricsCollector } from '../../../src/metrics/collector.js';
import { stats } from '../../../src/metrics/histogram.js';
import { summarize } from '../../../src/metrics/summary.js';
import type { ResultJson } from '../../../src/metrics/types.js';
import type { RequestRecord } from '../../../src/records/record.js';
import {
  buildResultJson,
  decodeHistograms,
  parseResultJson,
  summaryFromHistograms,
} from '../../../src/report/result-json.js';
import type { ResolvedScenario } from '../../../src/scenario/types.js';

function scenario(): ResolvedScenario {
  return {
    name: 'llama2-70b/server',
    benchmark: 'llama2-70b',
    scenario: 'server',
    load: { pattern: 'poisson', targetQps: 2.5, burstiness: 1, maxConcurrency: null },
    run: {
      mode: 'performance',
      minDurationMs: 600_000,
      maxDurationMs: 0,
      minQueryCount: 100,
      samples: null,
      equalIssue: true,
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
      size: 24_576,
      tokenizer: 'llama2',
      inputTokens: { kind: 'fixed', value: 100 },
      outputTokens: { kind: 'fixed', value: 100 },
    },
    request: {
      api: 'completions',
      model: 'llama-2-70b',
      maxTokens: 1024,
      ignoreEos: false,
      temperature: null,
      topP: null,
      topK: null,
      stream: true,
      promptFormat: 'ids',
      continuousUsage: false,
      reasoningEffort: null,
      headers: {},
      extraBody: {},
    },
    constraints: { ttftP99Ms: 2000, tpotP99Ms: 200 },
    seeds: { qsl: '2465351861681999779', sampleIndex: '14276810075590677512', schedule: '3936089224930324775' },
    thresholds: [],
    endpoints: [{ url: 'http://127.0.0.1:8000', model: null, labels: {} }],
    origins: { 'load.targetQps': 'flag' },
  };
}

function rec(k: number): RequestRecord {
  const t = k * 400_000;
  return {
    seq: k,
    sampleIndex: k,
    endpoint: 0,
    warmup: false,
    scheduledUs: t,
    issuedUs: t + 20,
    firstTokenUs: t + 50_000 + k * 10,
    completedUs: t + 1_050_000,
    inputTokens: 100,
    outputTokens: 101,
    tokenSource: 'usage',
    chunks: 3,
    chunkGapsUs: [400_000, 600_000],
    chunkTokenSource: 'none',
    ok: true,
    error: null,
    retries: 0,
  };
}

function result(): ResultJson {
  const c = new MetricsCollector();
  for (let k = 0; k < 30; k++) c.record(rec(k));
  const sc = scenario();
  const s = summarize(c, sc);
  return buildResultJson({
    tokbenchVersion: '0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:13.000Z',
    interrupted: false,
    simulated: true,
    scenario: sc,
    samples: 30,
    endpoints: [{ url: 'http://127.0.0.1:8000', model: 'llama-2-70b', labels: {} }],
    shard: null,
    summary: s.summary,
    perEndpoint: s.perEndpoint,
    validity: { valid: true, checks: [{ name: 'min_queries', passed: true, detail: '30 >= 1' }], recommendations: [] },
    thresholds: [{ expr: 'p99(ttft) < 2000', passed: true, actual: 50.3 }],
    histograms: s.histograms,
    timeSeries: s.timeSeries,
    tags: { ci: 'yes' },
  });
}

function problemsOf(fn: () => unknown): { where: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('buildResultJson', () => {
  it('writes the DESIGN.md §4 contract with scenario facts and encoded histograms', () => {
    const r = result();
    expect(r.schemaVersion).toBe(1);
    expect(r.simulated).toBe(true);
    expect(r.scenario).toMatchObject({
      name: 'llama2-70b/server',
      benchmark: 'llama2-70b',
      scenario: 'server',
      pattern: 'poisson',
      targetQps: 2.5,
      minDurationMs: 600_000,
      minQueryCount: 100,
      samples: 30,
      datasetSize: 24_576,
      dataset: 'synthetic',
      constraints: { ttftP99Ms: 2000, tpotP99Ms: 200 },
      seeds: { qsl: '2465351861681999779' },
    });
    expect(Object.keys(r.histograms).sort()).toEqual(['chunkGapUs', 'connectWaitUs', 'e2eUs', 'issueDelayUs', 'itlUs', 'tpotUs', 'ttfaUs', 'ttftUs']);
    for (const v of Object.values(r.histograms)) expect(typeof v).toBe('string');
    // 30 queries 0.4 s apart; the last-issued (seq 29) completes at 29·0.4 + 1.05 s
    expect(r.summary.durationMs).toBe(12_650);
    expect(r.summary.outputTokensPerSecond).toBeCloseTo((30 * 101) / 12.65, 9);
    expect(r.tags).toEqual({ ci: 'yes' });
  });

  it('survives JSON and decodes to histograms with the same stats as the summary', () => {
    const r = result();
    const back = parseResultJson(JSON.stringify(r, null, 2), 'out/result.json');
    expect(back).toEqual(r);
    const h = decodeHistograms(back.histograms, 'out/result.json');
    expect(stats(h.ttftUs)).toEqual(back.summary.latency.ttftMs);
    expect(stats(h.itlUs)).toEqual(back.summary.latency.itlMs);
    // TPOT (1.05 s - ttft) / 100 ≈ 10 ms; ITL per token: 50 tokens per chunk → 8 ms and 12 ms
    expect(back.summary.latency.tpotMs!.p50).toBeCloseTo(10, 1);
    expect(back.summary.latency.itlMs!.count).toBe(30 * 100);
  });

  it('lets a merge rebuild the summary core from the file alone', () => {
    const r = result();
    const s = r.summary;
    const again = summaryFromHistograms(decodeHistograms(r.histograms, 'r.json'), {
      issued: s.issued,
      completed: s.completed,
      failed: s.failed,
      inputTokens: s.inputTokens,
      outputTokens: s.outputTokens,
      partialOutputTokens: s.partialOutputTokens,
      durationMs: s.durationMs,
      throughputWindow: s.throughputWindow,
      goodputCompleted: s.goodputCompleted,
      errors: s.errors,
      tokenCountSources: s.tokenCountSources,
      chunkTokenSources: s.chunkTokenSources,
    });
    const { steadyState: _ss, intervals: _iv, ...core } = s;
    expect(again).toEqual(core);
  });
});

describe('parseResultJson', () => {
  it('names the file when the text is not JSON', () => {
    expect(() => parseResultJson('{ "schemaVersion": 1,', 'runs/a/result.json')).toThrow(
      /runs\/a\/result\.json is not a readable tokbench result.*not valid JSON/s,
    );
  });

  it('rejects another schemaVersion with a hint', () => {
    const r = { ...result(), schemaVersion: 2 };
    try {
      parseResultJson(JSON.stringify(r), 'x.json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toMatch(/x\.json.*schemaVersion: expected 1, found number 2/s);
      expect((err as ConfigError).hint).toMatch(/newer tokbench/);
    }
    expect(() => parseResultJson('[]', 'x.json')).toThrow(/expected an object, found an array/);
  });

  it('names every bad field at once', () => {
    const r = JSON.parse(JSON.stringify(result()));
    r.summary.completed = '12';
    delete r.summary.latency.tpotMs!.p99;
    r.histograms.itlUs = 42;
    r.perEndpoint[0].url = null;
    const problems = problemsOf(() => parseResultJson(JSON.stringify(r), 'x.json'));
    expect(problems.map((p) => p.where).sort()).toEqual(
      ['histograms.itlUs', 'perEndpoint[0].url', 'summary.completed', 'summary.latency.tpotMs.p99'].sort(),
    );
    expect(problems.find((p) => p.where === 'summary.completed')!.message).toBe('expected a number, found the string "12"');
    expect(problems.find((p) => p.where === 'summary.latency.tpotMs.p99')!.message).toMatch(/missing/);
  });

  it('fills schema-1 fields a minimal file may lack', () => {
    const r = JSON.parse(JSON.stringify(result()));
    delete r.summary.goodputCompleted;
    delete r.summary.chunkTokenSources;
    delete r.summary.throughputWindow;
    delete r.summary.steadyState;
    delete r.timeSeries;
    delete r.simulated;
    const back = parseResultJson(JSON.stringify(r), 'x.json');
    expect(back.summary.goodputCompleted).toBeNull();
    expect(back.summary.chunkTokenSources).toEqual({});
    expect(back.summary.throughputWindow).toBe('lastIssuedCompletion');
    expect(back.summary.steadyState).toBeNull();
    expect(back.timeSeries).toEqual([]);
    expect(back.simulated).toBe(false);
  });

  it('reports an undecodable histogram by file and field', () => {
    const r = result();
    r.histograms.e2eUs = 'AAAA';
    expect(() => decodeHistograms(r.histograms, 'x.json')).toThrow(/x\.json: unreadable histogram: histograms\.e2eUs/);
  });
});

describe('absent latency figures', () => {
  it('writes a series with no values as null (the key kept), and reads it back as null', () => {
    const r = result();
    expect(r.summary.latency.ttfaMs).toBeNull();
    const text = JSON.stringify(r);
    expect(text).toContain('"ttfaMs":null');
    expect(parseResultJson(text, 'x.json').summary.latency.ttfaMs).toBeNull();
  });

  it('reads an older file\'s row of zeros with count 0, or a missing newer series, as null', () => {
    const r = JSON.parse(JSON.stringify(result()));
    r.summary.latency.tpotMs = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p97: 0, p99: 0, p999: 0, max: 0 };
    delete r.summary.latency.connectWaitMs;
    r.perEndpoint[0].latency.itlMs = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p97: 0, p99: 0, p999: 0, max: 0 };
    const back = parseResultJson(JSON.stringify(r), 'x.json');
    expect(back.summary.latency.tpotMs).toBeNull();
    expect(back.summary.latency.connectWaitMs).toBeNull();
    expect(back.perEndpoint[0]!.latency.itlMs).toBeNull();
    expect(back.summary.latency.e2eMs!.count).toBeGreaterThan(0);
  });
});
