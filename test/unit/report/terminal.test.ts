import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../../src/metrics/collector.js';
import { createHistogramSet, encodeSet } from '../../../src/metrics/histogram.js';
import { summarize } from '../../../src/metrics/summary.js';
import type { LatencyStats, ResultJson, SummaryCore } from '../../../src/metrics/types.js';
import {
  DASH,
  formatCount,
  formatDurationMs,
  formatNumber,
  formatPercent,
  formatPlain,
  visibleWidth,
  wrap,
} from '../../../src/report/format.js';
import { buildResultJson } from '../../../src/report/result-json.js';
import { renderTerminal } from '../../../src/report/terminal.js';
import type { ResolvedScenario } from '../../../src/scenario/types.js';

const ESC = '\u001b';

function lat(over: Partial<LatencyStats> = {}): LatencyStats {
  return { count: 100, min: 1, mean: 2, p50: 2, p90: 3, p95: 3, p97: 3, p99: 4, p999: 5, max: 6, ...over };
}

function core(over: Partial<SummaryCore> = {}): SummaryCore {
  return {
    issued: 1240,
    completed: 1234,
    failed: 6,
    inputTokens: 631_808,
    outputTokens: 370_200,
    partialOutputTokens: 77,
    durationMs: 29_987.5,
    throughputWindow: 'lastIssuedCompletion',
    outputTokensPerSecond: 12_345.6,
    totalTokensPerSecond: 33_415.04,
    requestsPerSecond: 41.15,
    goodputRequestsPerSecond: 39.87,
    goodputCompleted: 1196,
    latency: {
      ttftMs: lat({ mean: 51.234, p50: 49.871, p90: 88.12, p99: 1234.5, p999: 2222, max: 3456 }),
      tpotMs: lat({ mean: 10.02, p50: 9.987, p90: 12.5, p99: 19.96, p999: 25.1, max: 31 }),
      itlMs: lat({ mean: 3.4, p50: 0.85, p90: 9.5, p99: 15, p999: 40, max: 120 }),
      chunkGapMs: lat({ mean: 10.2, p50: 10, p90: 11, p99: 30, p999: 45, max: 130 }),
      e2eMs: lat({ mean: 3050, p50: 3001, p90: 3500, p99: 4990, p999: 6000, max: 61_234 }),
      issueDelayMs: lat({ mean: 0.0712, p50: 0.065, p90: 0.1, p99: 0.25, p999: 1.5, max: 12 }),
      ttfaMs: null,
      connectWaitMs: lat({ mean: 0.01, p50: 0.01, p90: 0.02, p99: 0.05, p999: 0.1, max: 0.4 }),
    },
    tokenCountSource: 'usage',
    tokenCountSources: { usage: 1234 },
    chunkTokenSources: { server: 1234 },
    errors: { http_5xx: 4, idle_timeout: 2 },
    ...over,
  };
}

function result(over: Partial<ResultJson> = {}): ResultJson {
  return {
    schemaVersion: 1,
    tokbenchVersion: '0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:31.000Z',
    interrupted: false,
    simulated: true,
    scenario: {
      name: 'llama2-70b/server',
      benchmark: 'llama2-70b',
      scenario: 'server',
      pattern: 'poisson',
      mode: 'performance',
      targetQps: 41.5,
      burstiness: 1,
      maxConcurrency: null,
      minDurationMs: 600_000,
      minQueryCount: 100,
      samples: 1240,
      datasetSize: 24_576,
      dataset: 'synthetic',
      api: 'completions',
      maxTokens: 1024,
      constraints: { ttftP99Ms: 2000, tpotP99Ms: 200 },
      seeds: { qsl: '1', sampleIndex: '2', schedule: '3' },
      origins: {},
    },
    endpoints: [{ url: 'http://10.0.0.7:8000', model: 'llama-2-70b', labels: {} }],
    shard: null,
    summary: {
      ...core(),
      steadyState: { startMs: 3000, endMs: 28_000, outputTokensPerSecond: 12_890.4, requestsPerSecond: 42.2 },
    },
    perEndpoint: [{ url: 'http://10.0.0.7:8000', model: 'llama-2-70b', labels: {}, ...core() }],
    validity: {
      valid: false,
      checks: [
        { name: 'min_duration', passed: false, detail: 'final query scheduled at 29.9 s, below min_duration 600 s' },
        { name: 'min_queries', passed: true, detail: '1240 >= 100' },
      ],
      recommendations: ['Increase the target QPS so the loadgen pre-generates more queries.'],
    },
    thresholds: [
      { expr: 'p99(ttft) < 2000', passed: true, actual: 1234.5 },
      { expr: 'output_tps > 20000', passed: false, actual: 12_345.6 },
    ],
    histograms: encodeSet(createHistogramSet()),
    timeSeries: [],
    tags: {},
    ...over,
  };
}

describe('renderTerminal', () => {
  it('prints no escape code at all with color off', () => {
    const text = renderTerminal(result(), { color: false });
    expect(text).not.toContain(ESC);
  });

  it('colours with color on', () => {
    expect(renderTerminal(result(), { color: true })).toContain(`${ESC}[`);
  });

  it('shows the header facts', () => {
    const text = renderTerminal(result(), { color: false });
    expect(text).toContain('llama2-70b/server');
    expect(text).toContain('poisson 41.5 qps');
    expect(text).toMatch(/simulated/);
    expect(text).toContain('http://10.0.0.7:8000');
    expect(text).toContain('1,240 issued · 1,234 completed · 6 failed');
    expect(text).toMatch(/Window\s+30.0 s/);
    expect(text).toContain('completion of the last-issued query');
  });

  it('shows throughput with separators and units', () => {
    const text = renderTerminal(result(), { color: false });
    expect(text).toMatch(/Output\s+12,346 tok\/s/);
    expect(text).toMatch(/Total\s+33,415 tok\/s/);
    expect(text).toMatch(/Requests\s+41.1 req\/s/);
    // 1196 / 1234 = 96.9 %
    expect(text).toMatch(/Goodput\s+39.9 req\/s\s+\(96.9% of completed meet TTFT ≤ 2.00 s and TPOT ≤ 200 ms\)/);
    expect(text).toMatch(/Steady state\s+12,890 tok\/s · 42.2 req\/s\s+\(3 s to 28 s\)/);
  });

  it('prints the latency table with a unit per magnitude', () => {
    const lines = renderTerminal(result(), { color: false }).split('\n');
    const row = (label: string) => {
      const line = lines.find((l) => l.trimStart().startsWith(label));
      expect(line, label).toBeDefined();
      return line!.slice(label.length + 2).trim().split(/\s{2,}/);
    };
    expect(lines.find((l) => l.startsWith('Latency'))!.trim().split(/\s+/)).toEqual([
      'Latency',
      'mean',
      'p50',
      'p90',
      'p99',
      'p99.9',
      'max',
    ]);
    expect(row('TTFT')).toEqual(['51.2 ms', '49.9 ms', '88.1 ms', '1.23 s', '2.22 s', '3.46 s']);
    expect(row('TPOT')).toEqual(['10.0 ms', '9.99 ms', '12.5 ms', '20.0 ms', '25.1 ms', '31.0 ms']);
    expect(row('ITL per token')).toEqual(['3.40 ms', '850 µs', '9.50 ms', '15.0 ms', '40.0 ms', '120 ms']);
    expect(row('ITL per chunk')[0]).toBe('10.2 ms');
    expect(row('E2E')).toEqual(['3.05 s', '3.00 s', '3.50 s', '4.99 s', '6.00 s', '61.2 s']);
    expect(row('Issue delay')).toEqual(['71 µs', '65 µs', '100 µs', '250 µs', '1.50 ms', '12.0 ms']);
  });

  it('shows token sources, errors, validity and thresholds', () => {
    const text = renderTerminal(result(), { color: false });
    expect(text).toMatch(/Tokens\s+631,808 in · 370,200 out\s+counted by server usage/);
    expect(text).toMatch(/Errors\s+http_5xx 4 · idle_timeout 2/);
    expect(text).toContain('77 output tokens of failed requests');
    expect(text).toMatch(/Validity\s+INVALID/);
    expect(text).toContain('✗ min_duration: final query scheduled at 29.9 s, below min_duration 600 s');
    expect(text).not.toContain('min_queries'); // passed checks are not listed
    expect(text).toContain('→ Increase the target QPS so the loadgen pre-generates more queries.');
    expect(text).toContain('1/2 passed');
    expect(text).toMatch(/✓ p99\(ttft\) < 2000\s+actual 1,235/);
    expect(text).toMatch(/✗ output_tps > 20000\s+actual 12,346/);
  });

  it('lists mixed token sources with their counts', () => {
    const r = result();
    r.summary.tokenCountSource = 'mixed';
    r.summary.tokenCountSources = { usage: 1200, tokenizer: 34 };
    const text = renderTerminal(r, { color: false });
    expect(text).toMatch(/server usage 1,200 · tokenizer on the returned text 34/);
  });

  it('lists every endpoint when there are several', () => {
    const r = result();
    r.endpoints = [
      { url: 'http://a:8000', model: 'm', labels: {} },
      { url: 'http://b:8000', model: 'm', labels: {} },
    ];
    r.perEndpoint = [
      { url: 'http://a:8000', model: 'm', labels: {}, ...core({ completed: 600, outputTokensPerSecond: 6000 }) },
      { url: 'http://b:8000', model: 'm', labels: {}, ...core({ completed: 634, outputTokensPerSecond: 6345.6 }) },
    ];
    const text = renderTerminal(r, { color: false });
    expect(text).toContain('Per endpoint');
    expect(text).toMatch(/http:\/\/a:8000\s+600\s+6\s+6,000/);
    expect(text).toMatch(/http:\/\/b:8000\s+634\s+6\s+6,346/);
  });

  it('wraps long details to the width', () => {
    const r = result();
    r.validity.recommendations = [
      'Reduce target QPS to improve latency. TTFT constrain not met: the 99th percentile of time to first token exceeded the limit by a wide margin.',
    ];
    const text = renderTerminal(r, { color: false, width: 50 });
    const recLines = text.split('\n').filter((l) => /→|^ {4}\S/.test(l));
    expect(recLines.length).toBeGreaterThan(1);
    for (const l of recLines) expect(l.length).toBeLessThanOrEqual(50);
  });

  it('renders an empty run with dashes and no NaN or Infinity', () => {
    const sc = {
      name: 'gpt-oss-120b/offline',
      benchmark: 'gpt-oss-120b',
      scenario: 'offline',
      load: { pattern: 'offline', targetQps: null, burstiness: 1, maxConcurrency: null },
      run: { mode: 'performance', minDurationMs: 600_000, minQueryCount: 100 },
      dataset: { source: 'synthetic', path: null, size: 6396 },
      request: { api: 'chat', model: null, maxTokens: 10_240 },
      constraints: { ttftP99Ms: null, tpotP99Ms: null },
      seeds: { qsl: '1', sampleIndex: '2', schedule: '3' },
      endpoints: [{ url: 'http://x:1', model: null, labels: {} }],
      origins: {},
    } as unknown as ResolvedScenario;
    const s = summarize(new MetricsCollector(), sc);
    const r = buildResultJson({
      tokbenchVersion: '0.1.0',
      startedAt: 'a',
      finishedAt: 'b',
      interrupted: true,
      simulated: false,
      scenario: sc,
      samples: 0,
      endpoints: [],
      shard: { index: 1, count: 4 },
      summary: s.summary,
      perEndpoint: s.perEndpoint,
      validity: { valid: true, checks: [], recommendations: [] },
      thresholds: [],
      histograms: s.histograms,
      timeSeries: s.timeSeries,
    });
    const text = renderTerminal(r, { color: false });
    expect(text).not.toMatch(/NaN|Infinity|undefined|null/);
    expect(text).not.toContain(ESC);
    const ttftRow = text.split('\n').find((l) => l.trimStart().startsWith('TTFT'))!;
    expect(ttftRow.split(/\s+/).filter((x) => x === DASH)).toHaveLength(6);
    expect(text).toMatch(/Output\s+–/);
    expect(text).toContain('interrupted');
    expect(text).toContain('2 of 4');
    expect(text).toContain('all at t = 0, unbounded in flight');
  });
});

describe('format', () => {
  it('never prints NaN or Infinity', () => {
    for (const f of [formatCount, formatNumber, formatDurationMs, formatPercent, formatPlain]) {
      expect(f(NaN)).toBe(DASH);
      expect(f(Infinity)).toBe(DASH);
      expect(f(-Infinity)).toBe(DASH);
      expect(f(null)).toBe(DASH);
      expect(f(undefined)).toBe(DASH);
    }
  });

  it('keeps about three significant digits with separators from 1,000', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0.01234)).toBe('0.012');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(9.996)).toBe('10.0');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(99.96)).toBe('100');
    expect(formatNumber(999.6)).toBe('1,000');
    expect(formatNumber(1_234_567.8)).toBe('1,234,568');
    expect(formatNumber(-12.34)).toBe('-12.3');
    expect(formatCount(1_000_000)).toBe('1,000,000');
    expect(formatPlain(10)).toBe('10');
    expect(formatPlain(2.5)).toBe('2.50');
    expect(formatPercent(0.9692)).toBe('96.9%');
  });

  it('picks µs, ms or s per value', () => {
    expect(formatDurationMs(0)).toBe('0 µs');
    expect(formatDurationMs(0.005)).toBe('5.00 µs');
    expect(formatDurationMs(0.85)).toBe('850 µs');
    expect(formatDurationMs(0.9994)).toBe('999 µs');
    expect(formatDurationMs(0.9996)).toBe('1.00 ms');
    expect(formatDurationMs(1)).toBe('1.00 ms');
    expect(formatDurationMs(999.7)).toBe('1.00 s');
    expect(formatDurationMs(1234.5)).toBe('1.23 s');
    expect(formatDurationMs(3_723_000)).toBe('3,723 s');
  });

  it('measures visible width without escape codes and wraps words', () => {
    expect(visibleWidth(`${ESC}[31mred${ESC}[39m`)).toBe(3);
    expect(wrap('aaa bbb ccc ddd', 8, '  ')).toBe('aaa bbb\n  ccc\n  ddd');
  });
});

describe('confidence intervals (issue 16)', () => {
  const rate = (value: number, halfWidthPct: number | null) => ({
    value, low: halfWidthPct === null ? null : value * (1 - halfWidthPct / 100), high: halfWidthPct === null ? null : value * (1 + halfWidthPct / 100),
    halfWidthPct, batches: halfWidthPct === null ? 0 : 20, batchSeconds: 1, relStdErr: halfWidthPct === null ? null : halfWidthPct / 210, steadySeconds: halfWidthPct === null ? 2 : 25, minSteadySeconds: 5,
  });
  const p = (low: number | null, high: number | null, count = 1234) => ({ low, high, count, minCount: 368 });
  const pct = (x: ReturnType<typeof p>) => ({ p50: x, p90: x, p95: x, p97: x, p99: x, p999: x });
  function withIntervals(hw: number | null): ResultJson {
    const r = result();
    r.summary.intervals = {
      confidence: 0.95,
      outputTokensPerSecond: rate(r.summary.outputTokensPerSecond, hw),
      totalTokensPerSecond: rate(r.summary.totalTokensPerSecond, hw),
      requestsPerSecond: rate(r.summary.requestsPerSecond, hw),
      goodputRequestsPerSecond: rate(r.summary.goodputRequestsPerSecond!, hw),
      latency: { ttftMs: pct(p(3.9, 4.2)), tpotMs: pct(p(3.8, 4.1)), itlMs: pct(p(null, null, 100)), e2eMs: pct(p(3.95, 4.05)) },
    };
    return r;
  }

  it('prints each rate as value ± half-width, and the p99 intervals', () => {
    const text = renderTerminal(withIntervals(1.94), { color: false });
    expect(text).toMatch(/Output\s+12,346 tok\/s ± 1\.9%\s+\(95% interval, 20 batches of 1 s\)/);
    expect(text).toMatch(/Requests\s+41\.1 req\/s ± 1\.9%/);
    expect(text).toMatch(/p99 95% CI\s+TTFT 3\.90–4\.20 ms · TPOT 3\.80–4\.10 ms · E2E 3\.95–4\.05 ms · ITL: needs ≥ 368 requests \(has 100\)/);
  });

  it('says why there is no interval when the steady state is too short', () => {
    const text = renderTerminal(withIntervals(null), { color: false });
    expect(text).toMatch(/Output\s+12,346 tok\/s\s+\(no 95% interval: 2 s of steady state, needs 5 s\)/);
    expect(text).not.toContain('±');
  });
});

describe('absent latency figures (null in result.json)', () => {
  function notStreamed(): ResultJson {
    const r = result();
    r.scenario.stream = false;
    const absent = { ttftMs: null, tpotMs: null, itlMs: null, chunkGapMs: null, ttfaMs: null, connectWaitMs: null };
    r.summary = { ...r.summary, latency: { ...r.summary.latency, ...absent } };
    r.perEndpoint = r.perEndpoint.map((e) => ({ ...e, latency: { ...e.latency, ...absent } }));
    return r;
  }

  it('prints dashes and "not streamed" for a non-streamed run, never 0', () => {
    const text = renderTerminal(notStreamed(), { color: false });
    const rows = text.split('\n');
    for (const label of ['TTFT', 'TPOT', 'ITL per token', 'ITL per chunk']) {
      const line = rows.find((l) => l.trimStart().startsWith(label))!;
      expect(line, label).toContain('not streamed');
      expect(line.split(/\s+/).filter((x) => x === DASH), label).toHaveLength(6);
      expect(line, label).not.toMatch(/\d/);
    }
    // e2e has data and keeps its figures; the absent TTFA row is not shown at all
    expect(rows.find((l) => l.trimStart().startsWith('E2E'))).toMatch(/\d/);
    expect(text).not.toContain('TTFA');
    expect(text).not.toMatch(/NaN|undefined|null/);
  });

  it('says why an assertion on an absent figure has no actual value', () => {
    const r = notStreamed();
    r.thresholds = [{ expr: 'tpot.p99 < 200ms', passed: false, actual: null }];
    const line = renderTerminal(r, { color: false }).split('\n').find((l) => l.includes('tpot.p99 < 200ms'))!;
    expect(line).toMatch(/✗ tpot\.p99 < 200ms\s+actual –\s+no data: no request gave a TPOT value; the run was not streamed/);
  });

  it('says nothing about streaming when a streamed run simply has no values', () => {
    const r = notStreamed();
    r.scenario.stream = true;
    const ttft = renderTerminal(r, { color: false }).split('\n').find((l) => l.trimStart().startsWith('TTFT'))!;
    expect(ttft).not.toContain('not streamed');
    expect(ttft.split(/\s+/).filter((x) => x === DASH)).toHaveLength(6);
  });
});
