import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../../src/metrics/collector.js';
import { createHistogram, recordUs } from '../../../src/metrics/histogram.js';
import type { RequestRecord } from '../../../src/records/record.js';
import { bucketCounts, renderLiveMetrics } from '../../../src/telemetry/live-metrics.js';
import { parsePrometheusText } from '../../../src/telemetry/prom-text.js';

function rec(seq: number, over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    seq, sampleIndex: seq, endpoint: seq % 2, warmup: false,
    scheduledUs: seq * 1000, issuedUs: seq * 1000 + 200, firstTokenUs: seq * 1000 + 50_000, completedUs: seq * 1000 + 90_000,
    inputTokens: 10, outputTokens: 5, tokenSource: 'usage', chunks: 5, chunkGapsUs: [10_000, 10_000, 10_000, 10_000],
    chunkTokens: [1, 1, 1, 1, 1], chunkTokenSource: 'server', ok: true, error: null, retries: 0, ...over,
  };
}

const INFO = { benchmark: 'llama2-70b', scenario: 'server', mlperfRound: '6.1', simulated: false, targetQps: 12.5 };

describe('renderLiveMetrics', () => {
  it("exposes the collector's counters and histograms over all endpoints as valid Prometheus text", () => {
    const c = new MetricsCollector(2);
    for (let i = 0; i < 4; i++) c.onIssued(i % 2, i * 1000);
    c.record(rec(0));
    c.record(rec(1));
    c.record(rec(2, { ok: false, outputTokens: 0, firstTokenUs: null, error: { kind: 'http_5xx', httpStatus: 503, message: 'busy' } }));
    const text = renderLiveMetrics(c, INFO);
    const parsed = parsePrometheusText(text);
    expect(parsed.errors).toEqual([]);
    const v = (name: string, labels: Record<string, string> = {}) =>
      parsed.samples.find((s) => s.name === name && Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
    expect(v('tokbench_queries_issued_total')).toBe(4);
    expect(v('tokbench_queries_completed_total')).toBe(2);
    expect(v('tokbench_queries_failed_total', { kind: 'http_5xx' })).toBe(1);
    expect(v('tokbench_queries_in_flight')).toBe(1);
    expect(v('tokbench_output_tokens_total')).toBe(10);
    expect(v('tokbench_target_qps')).toBe(12.5);
    // both endpoints' TTFTs (50 ms from the scheduled time) fall in the 0.05 s bucket
    expect(v('tokbench_ttft_seconds_bucket', { le: '0.025' })).toBe(0);
    expect(v('tokbench_ttft_seconds_bucket', { le: '0.05' })).toBe(2);
    expect(v('tokbench_ttft_seconds_count')).toBe(2);
    expect(v('tokbench_ttft_seconds_sum')).toBeCloseTo(0.1, 3);
    // per-token ITL: 4 gaps of 10 ms per request
    expect(v('tokbench_itl_seconds_count')).toBe(8);
    expect(v('tokbench_itl_seconds_bucket', { le: '0.01' })).toBe(8);
    // issue delay counts failed queries too (200 µs each)
    expect(v('tokbench_issue_delay_seconds_bucket', { le: '0.0005' })).toBe(3);
    expect(parsed.types.get('tokbench_queries_failed_total')).toBe('counter');
    expect(parsed.samples.find((s) => s.name === 'tokbench_run_info')!.labels).toEqual({ benchmark: 'llama2-70b', scenario: 'server', mlperf_round: '6.1', simulated: 'false' });
  });

  it('bucketCounts is cumulative and counts a value at a bound in that bound', () => {
    const h = createHistogram();
    for (const us of [100, 1000, 1001, 5000, 2_000_000]) recordUs(h, us);
    const { cumulative, count } = bucketCounts([h], [0.0001, 0.001, 0.002, 1]);
    expect(cumulative).toEqual([1, 2, 3, 4]);
    expect(count).toBe(5);
  });
});

describe('examples/grafana/tokbench-dashboard.json', () => {
  it('plots only series the live endpoint serves', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dashboard = readFileSync(join(import.meta.dirname, '../../../examples/grafana/tokbench-dashboard.json'), 'utf8');
    const used = new Set(dashboard.match(/tokbench_[a-z0-9_]+/g));
    expect(used.size).toBeGreaterThan(8);
    const exposition = parsePrometheusText(renderLiveMetrics(new MetricsCollector(1), INFO));
    // a labelled counter with no sample yet (no failure) is still declared
    const served = new Set([...exposition.samples.map((s) => s.name), ...exposition.types.keys()]);
    for (const name of used) expect(served.has(name), name).toBe(true);
  });
});
