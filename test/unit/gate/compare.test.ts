import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import type { ResultJson } from '../../../src/metrics/types.js';
import {
  compareResults,
  renderComparison,
  renderComparisonMarkdown,
  renderReproduce,
  reproduce,
  type MetricDelta,
} from '../../../src/report/compare.js';

const FIXTURE = new URL('../../fixtures/results/server-2endpoints.json', import.meta.url);
function load(): ResultJson {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as ResultJson;
}
function withTps(tps: number): ResultJson {
  const r = load();
  r.summary.outputTokensPerSecond = tps;
  return r;
}
function find(deltas: MetricDelta[], metric: string): MetricDelta {
  const d = deltas.find((x) => x.metric === metric);
  if (d === undefined) throw new Error(`no delta for ${metric}`);
  return d;
}

describe('compareResults', () => {
  const base = load(); // output_tokens_per_sec 1980, ttft.p99 800 ms, error_rate 1%

  it('flags a 5% throughput drop at 4% tolerance', () => {
    const c = compareResults(base, withTps(1980 * 0.95), { tolerancePct: 4 });
    const d = find(c.deltas, 'output_tokens_per_sec');
    expect(d.status).toBe('regression');
    expect(d.deltaAbs).toBeCloseTo(-99, 9);
    expect(d.deltaPct).toBeCloseTo(-5, 9);
    expect(d.worsePct).toBeCloseTo(5, 9);
    expect(c.passed).toBe(false);
    // nothing else moved
    expect(c.deltas.filter((x) => x.status === 'regression').map((x) => x.metric)).toEqual(['output_tokens_per_sec']);
  });

  it('passes a 3% throughput drop at 4% tolerance', () => {
    const c = compareResults(base, withTps(1980 * 0.97), { tolerancePct: 4 });
    expect(find(c.deltas, 'output_tokens_per_sec').status).toBe('within');
    expect(c.passed).toBe(true);
  });

  it('treats a throughput rise as an improvement, never a regression', () => {
    const c = compareResults(base, withTps(1980 * 1.2), { tolerancePct: 4 });
    expect(find(c.deltas, 'output_tokens_per_sec').status).toBe('improvement');
    expect(c.passed).toBe(true);
  });

  it('knows latency is worse when it goes up', () => {
    const up = load();
    up.summary.latency.ttftMs!.p99 = 840; // +5%
    const down = load();
    down.summary.latency.ttftMs!.p99 = 760; // -5%
    const cu = compareResults(base, up, { tolerancePct: 4 });
    expect(find(cu.deltas, 'ttft.p99')).toMatchObject({ status: 'regression', deltaAbs: 40 });
    expect(find(cu.deltas, 'ttft.p99').worsePct).toBeCloseTo(5, 9);
    expect(cu.passed).toBe(false);
    const cd = compareResults(base, down, { tolerancePct: 4 });
    expect(find(cd.deltas, 'ttft.p99').status).toBe('improvement');
    expect(cd.passed).toBe(true);
  });

  it('is exact at the tolerance boundary: a change of exactly the tolerance is within', () => {
    const next = load();
    next.summary.latency.ttftMs!.p99 = 1000; // +25%
    expect(find(compareResults(base, next, { tolerancePct: 25 }).deltas, 'ttft.p99').status).toBe('within');
    expect(find(compareResults(base, next, { tolerancePct: 24.9 }).deltas, 'ttft.p99').status).toBe('regression');
  });

  it('calls errors appearing where there were none a regression at any tolerance', () => {
    const clean = load();
    clean.summary.failed = 0;
    const broken = load();
    broken.summary.failed = 1;
    const d = find(compareResults(clean, broken, { tolerancePct: 50 }).deltas, 'error_rate');
    expect(d.status).toBe('regression');
    expect(d.deltaPct).toBe(Infinity);
    expect(find(compareResults(clean, clean, { tolerancePct: 0 }).deltas, 'error_rate').status).toBe('within');
  });

  it('marks metrics without a value on one side as missing, not as regressions', () => {
    const next = load();
    next.summary.goodputRequestsPerSecond = null;
    const c = compareResults(base, next, { tolerancePct: 4 });
    expect(find(c.deltas, 'goodput')).toMatchObject({ status: 'missing', base: 9.5, next: null, deltaPct: null });
    expect(c.passed).toBe(true);
  });

  it('marks a latency figure with no data (null) as missing, not as a 0 ms improvement', () => {
    const next = load();
    next.summary.latency.tpotMs = null;
    const c = compareResults(base, next, { tolerancePct: 4, metrics: ['tpot.p99', 'tpot.mean'] });
    expect(c.deltas.map((d) => [d.status, d.next])).toEqual([['missing', null], ['missing', null]]);
    expect(c.passed).toBe(true);
    const r = reproduce([base, next], 4, { metrics: ['tpot.p99'] });
    expect(r.rows[0]).toMatchObject({ status: 'missing', values: [base.summary.latency.tpotMs!.p99, null] });
  });

  it('compares only the metrics asked for, each with its own tolerance when given', () => {
    const next = load();
    next.summary.latency.ttftMs!.p99 = 840; // +5%
    next.perEndpoint[1]!.outputTokensPerSecond = 900; // -8.2%
    const c = compareResults(base, next, { tolerancePct: 4, metrics: ['ttft.p99:10%', 'endpoint[gpu=H100].output_tokens_per_sec', 'issued'] });
    expect(c.deltas.map((d) => [d.metric, d.tolerancePct, d.status])).toEqual([
      ['ttft.p99', 10, 'within'],
      ['endpoint[gpu=H100].output_tokens_per_sec', 4, 'regression'],
      ['issued', 4, 'info'],
    ]);
  });

  it('rejects unknown metrics with a did-you-mean, and booleans', () => {
    expect(() => compareResults(base, base, { tolerancePct: 4, metrics: ['ttft.p99', 'tpot.p9'] })).toThrow(/did you mean 'tpot\.p90'\?/);
    expect(() => compareResults(base, base, { tolerancePct: 4, metrics: ['valid'] })).toThrow(ConfigError);
    expect(() => compareResults(base, base, { tolerancePct: -1 })).toThrow(/--tolerance/);
  });

  it('warns when the setups differ', () => {
    const next = load();
    next.scenario.benchmark = 'gpt-oss-120b';
    next.scenario.samples = 200;
    next.endpoints = next.endpoints.slice(0, 1);
    next.tags = { commit: 'def5678', runner: 'ci' };
    next.validity.valid = false;
    next.validity.checks[0]!.passed = false;
    const c = compareResults(base, next, { tolerancePct: 4, baseLabel: 'main', nextLabel: 'pr' });
    expect(c.warnings).toEqual([
      'benchmark differs: llama2-70b (main) vs gpt-oss-120b (pr)',
      'samples differs: 1000 (main) vs 200 (pr)',
      'endpoint count differs: 2 (main) vs 1 (pr)',
      "tag 'commit' differs: abc1234 (main) vs def5678 (pr)",
      'pr is not a valid run (min_duration)',
    ]);
    expect(compareResults(base, load(), { tolerancePct: 4 }).warnings).toEqual([]);
  });

  it('renders a table with the regression marked, coloured only when asked', () => {
    const c = compareResults(base, withTps(1980 * 0.95), { tolerancePct: 4 });
    const plain = renderComparison(c, { color: false });
    // eslint-disable-next-line no-control-regex
    expect(plain).not.toMatch(/\u001b\[/);
    const line = plain.split('\n').find((l) => l.startsWith('output_tokens_per_sec'))!;
    expect(line).toMatch(/1,980 tokens\/s\s+1,881 tokens\/s\s+-99.0 tokens\/s\s+-5.00%\s+REGRESSION$/);
    expect(plain).toContain('1 regression(s) beyond tolerance: output_tokens_per_sec -5.00%');
    // eslint-disable-next-line no-control-regex
    expect(renderComparison(c, { color: true })).toMatch(/\u001b\[/);
    expect(renderComparisonMarkdown(c)).toContain('| ❌ | `output_tokens_per_sec` | 1,980 tokens/s | 1,881 tokens/s | -99.0 tokens/s | -5.00% |');
  });
});

describe('reproduce', () => {
  function runs(...tps: number[]): ResultJson[] {
    return tps.map(withTps);
  }

  it('computes the spread as the max deviation from the mean', () => {
    // mean (1000 + 1100 + 1300) / 3 = 1133.33; deviations 133.33, 33.33, 166.67 → 166.67 / 1133.33 = 14.706%
    const r = reproduce(runs(1000, 1100, 1300), 15, { metrics: ['output_tokens_per_sec'] });
    const row = r.rows[0]!;
    expect(row.mean).toBeCloseTo(3400 / 3, 9);
    expect(row.min).toBe(1000);
    expect(row.max).toBe(1300);
    expect(row.spreadPct).toBeCloseTo(((1300 - 3400 / 3) / (3400 / 3)) * 100, 9);
    expect(row.spreadPct).toBeCloseTo(14.7059, 3);
    expect(row.within).toBe(true);
    expect(r.passed).toBe(true);
    expect(reproduce(runs(1000, 1100, 1300), 14.7, { metrics: ['output_tokens_per_sec'] }).passed).toBe(false);
  });

  it('passes a ±3% set at 4% and fails it at 2.5%', () => {
    // mean 1000, max deviation 30 → 3%
    expect(reproduce(runs(1000, 1030, 970), 4).passed).toBe(true);
    const tight = reproduce(runs(1000, 1030, 970), 2.5);
    expect(tight.passed).toBe(false);
    const row = tight.rows.find((x) => x.metric === 'output_tokens_per_sec')!;
    expect(row.spreadPct).toBeCloseTo(3, 9);
    expect(row.within).toBe(false);
    // the other metrics are identical across runs
    expect(tight.rows.filter((x) => x.metric !== 'output_tokens_per_sec').every((x) => x.spreadPct === 0)).toBe(true);
    expect(renderReproduce(tight, { color: false })).toContain('not reproducible within ±2.5%: output_tokens_per_sec ±3.00%');
  });

  it('needs two results and warns when their setups differ', () => {
    expect(() => reproduce(runs(1000), 4)).toThrow(/at least 2 results/);
    const rs = runs(1000, 1000);
    rs[1]!.scenario.targetQps = 20;
    expect(reproduce(rs, 4, { labels: ['a', 'b'] }).warnings).toEqual(['target QPS differs: 10 (a) vs 20 (b)']);
  });
});
