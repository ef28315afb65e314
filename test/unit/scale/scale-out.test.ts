import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { MetricsCollector } from '../../../src/metrics/collector.js';
import { labelSummaries, scalingEfficiency } from '../../../src/metrics/scale-out.js';
import { renderScaleOut } from '../../../src/report/scale-out.js';
import { renderTerminal } from '../../../src/report/terminal.js';
import type { RequestRecord } from '../../../src/records/record.js';
import type { ResultJson } from '../../../src/metrics/types.js';
import type { EndpointIdentity } from '../../../src/metrics/summary.js';
import { ROOT } from '../../helpers/cli.js';

let seq = 0;
function rec(endpoint: number, e2eMs: number, outputTokens: number): RequestRecord {
  return {
    seq: seq++,
    sampleIndex: 0,
    endpoint,
    warmup: false,
    scheduledUs: 0,
    issuedUs: 0,
    firstTokenUs: 10_000,
    completedUs: e2eMs * 1000,
    inputTokens: 100,
    outputTokens,
    tokenSource: 'usage',
    chunks: 0,
    chunkTokenSource: 'none',
    ok: true,
    error: null,
    retries: 0,
  };
}

const ids: EndpointIdentity[] = [
  { url: 'http://a:1', model: 'm', labels: { gpu: 'MI355X', rack: 'r1' } },
  { url: 'http://b:1', model: 'm', labels: { gpu: 'MI355X', rack: 'r2' } },
  { url: 'http://c:1', model: 'm', labels: { gpu: 'MI300X' } },
];

describe('per-label figures', () => {
  it('groups endpoints by each label value, adding their histograms and counters', () => {
    const c = new MetricsCollector(3);
    c.record(rec(0, 100, 10));
    c.record(rec(0, 200, 10));
    c.record(rec(1, 300, 20));
    c.record(rec(2, 1000, 40));
    const groups = labelSummaries(c, ids, { durationMs: 1000, throughputWindow: 'lastCompletion' }, { ttftP99Ms: 50, tpotP99Ms: null });
    expect(groups.map((g) => [g.label, g.value, g.endpoints, g.completed, g.outputTokens])).toEqual([
      ['gpu', 'MI355X', ['http://a:1', 'http://b:1'], 3, 40],
      ['gpu', 'MI300X', ['http://c:1'], 1, 40],
      ['rack', 'r1', ['http://a:1'], 2, 20],
      ['rack', 'r2', ['http://b:1'], 1, 20],
    ]);
    const fast = groups[0]!;
    expect(fast.outputTokensPerSecond).toBe(40);
    expect(fast.latency.e2eMs!.count).toBe(3);
    expect(fast.latency.e2eMs!.max).toBeCloseTo(300, 0);
    expect(fast.goodputCompleted).toBe(3);
  });

  it('is empty when no endpoint has labels', () => {
    const c = new MetricsCollector(1);
    c.record(rec(0, 100, 10));
    expect(labelSummaries(c, [{ url: 'u', model: '', labels: {} }], { durationMs: 100, throughputWindow: 'lastCompletion' }, { ttftP99Ms: null, tpotP99Ms: null })).toEqual([]);
  });
});

const fixture = () => JSON.parse(readFileSync(join(ROOT, 'test/fixtures/results/server-2endpoints.json'), 'utf8')) as ResultJson;

describe('scaling efficiency', () => {
  it('is aggregate / (N x baseline), per endpoint and per label group', () => {
    const run = fixture();
    const baseline = fixture();
    baseline.endpoints = [baseline.endpoints[0]!];
    baseline.summary.outputTokensPerSecond = 1100;
    baseline.scenario.targetQps = 5;
    run.perLabel = [{ ...run.perEndpoint[0]!, label: 'rack', value: 'a', endpoints: ['http://10.0.0.1:8000', 'http://10.0.0.2:8000'] }];
    run.perLabel[0]!.outputTokensPerSecond = 1980;
    const s = scalingEfficiency(run, baseline, 'single.json');
    expect(s.endpoints).toBe(2);
    expect(s.baselineOutputTokensPerSecond).toBe(1100);
    expect(s.efficiency).toBeCloseTo(1980 / 2200, 12);
    expect(s.perEndpoint.map((e) => e.efficiency)).toEqual([1000 / 1100, 980 / 1100]);
    expect(s.perLabel[0]!.efficiency).toBeCloseTo(0.9, 12);
    expect(s.warnings).toEqual([]);
  });

  it('says when the comparison is weak', () => {
    const run = fixture();
    const baseline = fixture();
    baseline.scenario.scenario = 'offline';
    baseline.simulated = true;
    baseline.validity.valid = false;
    const s = scalingEfficiency(run, baseline, 'b.json');
    expect(s.baselineOutputTokensPerSecond).toBe(1980 / 2);
    expect(s.warnings.join('\n')).toMatch(/2 endpoints; its throughput per endpoint/);
    expect(s.warnings.join('\n')).toMatch(/different workloads/);
    expect(s.warnings.join('\n')).toMatch(/the simulator/);
    expect(s.warnings.join('\n')).toMatch(/not MLPerf-valid/);
    // QPS per endpoint: baseline 10/2 = 5, this run 10/2 = 5: no warning; at 20 QPS there is one
    run.scenario.targetQps = 20;
    expect(scalingEfficiency(run, fixture(), 'b.json').warnings.join('\n')).toMatch(/offered 5 QPS per endpoint, this run 10/);
  });
});

describe('the terminal summary', () => {
  const c = new Chalk({ level: 0 });
  it('shows label groups, scaling, the system, workers and shards', () => {
    const r = fixture();
    r.perLabel = [{ ...r.perEndpoint[0]!, label: 'rack', value: 'a', endpoints: r.endpoints.map((e) => e.url) }];
    r.scaling = scalingEfficiency(r, fixture(), 'single.json');
    r.system = { system_name: 'tiny rig', number_of_nodes: 2, accelerators_per_node: 8, accelerator_model_name: 'MI355X' };
    r.client = { workers: 3, hostname: 'client-0' };
    r.mergedFrom = [0, 1].map((index) => ({ index, count: 2, dir: `s${index}`, hostname: `h${index}`, offsetUs: index * 1500, issued: 1, completed: 1, failed: 0, outputTokensPerSecond: 1 }));
    const text = renderScaleOut(r, c).join('\n');
    expect(text).toMatch(/Per label\n.*label\s+endpoints\s+completed/);
    expect(text).toMatch(/rack=a\s+2\s+/);
    expect(text).toMatch(/Scaling\s+100% efficiency {2}\(1,980 tok\/s over 2 × 990 tok\/s baseline, single.json\)/);
    expect(text).toContain('System        tiny rig  (2 nodes, 8 × MI355X per node)');
    expect(text).toContain('Client        3 worker threads on client-0');
    expect(text).toContain('Merged        2 shards on 2 hosts  (starts spread over 1.50 ms)');
    expect(renderTerminal(r, { color: false })).toContain('Per label');
  });

  it('adds nothing for a plain single-endpoint run', () => {
    const r = fixture();
    r.endpoints = [r.endpoints[0]!];
    r.perEndpoint = [r.perEndpoint[0]!];
    expect(renderScaleOut(r, c)).toEqual([]);
  });
});
