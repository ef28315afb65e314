/**
 * compare and --reproduce with intervals (issue 16): the change's interval from
 * the two runs' inputs, and the verdicts regression / within noise / not enough
 * data; per-accelerator reproduction across systems.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHistogram, encode, recordUs } from '../../../src/metrics/histogram.js';
import { studentTQuantile } from '../../../src/metrics/intervals.js';
import type { RateInterval, ResultJson, SummaryIntervals } from '../../../src/metrics/types.js';
import { compareResults, intervalVerdict, renderComparison, renderReproduce, reproduce, type MetricDelta } from '../../../src/report/compare.js';
import { acceleratorCount } from '../../../src/report/reproduce.js';
import { Rng } from '../../../src/util/rng.js';

const FIXTURE = new URL('../../fixtures/results/server-2endpoints.json', import.meta.url);

function rate(value: number, relStdErr: number | null, steadySeconds = 20): RateInterval {
  return { value, low: null, high: null, halfWidthPct: null, batches: relStdErr === null ? 0 : 20, batchSeconds: 1, relStdErr, steadySeconds, minSteadySeconds: 5 };
}

/** The fixture with a TTFT histogram of 2,000 lognormal values (median `medianMs`) and rate intervals. */
function result(tps: number, relStdErr: number | null, opts: { medianMs?: number; seed?: number; steadySeconds?: number; accelerators?: number } = {}): ResultJson {
  const r = JSON.parse(readFileSync(FIXTURE, 'utf8')) as ResultJson;
  r.summary.outputTokensPerSecond = tps;
  const h = createHistogram();
  const rng = new Rng(opts.seed ?? 1);
  for (let i = 0; i < 2000; i++) recordUs(h, (opts.medianMs ?? 100) * 1000 * Math.exp(0.3 * rng.normal()));
  r.histograms.ttftUs = encode(h);
  r.summary.intervals = {
    confidence: 0.95,
    outputTokensPerSecond: rate(tps, relStdErr, opts.steadySeconds),
    totalTokensPerSecond: rate(r.summary.totalTokensPerSecond, relStdErr, opts.steadySeconds),
    requestsPerSecond: rate(r.summary.requestsPerSecond, relStdErr, opts.steadySeconds),
    goodputRequestsPerSecond: null,
    latency: {} as SummaryIntervals['latency'],
  };
  if (opts.accelerators !== undefined) r.system = { system_name: `${opts.accelerators}x`, number_of_nodes: 1, accelerators_per_node: opts.accelerators };
  return r;
}

const find = (ds: MetricDelta[], m: string) => ds.find((d) => d.metric === m)!;
const METRICS = ['output_tokens_per_sec', 'ttft.p50', 'ttft.p99', 'error_rate'];

describe('intervalVerdict', () => {
  it('regression only when the whole interval is beyond the tolerance in the worse direction', () => {
    expect(intervalVerdict(5.1, 9, 5).status).toBe('regression');
    expect(intervalVerdict(4.9, 9, 5).status).toBe('noise');
    expect(intervalVerdict(-9, -5.1, 5).status).toBe('improvement');
    expect(intervalVerdict(-4, 4, 5).status).toBe('within');
    expect(intervalVerdict(-1, 1, 0).status).toBe('noise');
    // centre 4, half-width 2, boundary 5: (2 / 1)² = 4× longer to tell
    expect(intervalVerdict(2, 6, 5).longerFactor).toBeCloseTo(4, 9);
  });
});

describe('compare with intervals', () => {
  it('combines the two runs\' relative errors for a rate (log ratio, Welch dof)', () => {
    const c = compareResults(result(1000, 0.01), result(900, 0.01), { tolerancePct: 5, metrics: METRICS });
    const d = find(c.deltas, 'output_tokens_per_sec');
    const hw = studentTQuantile(0.975, 38) * Math.SQRT2 * 0.01;
    expect(d.method).toBe('batchMeans');
    expect(d.changeLowPct!).toBeCloseTo((Math.exp(Math.log(0.9) - hw) - 1) * 100, 9);
    expect(d.changeHighPct!).toBeCloseTo((Math.exp(Math.log(0.9) + hw) - 1) * 100, 9);
    expect(d.status).toBe('regression');
    expect(c.passed).toBe(false);
  });

  it('the same drop with noisy runs is within noise, and passes', () => {
    const c = compareResults(result(1000, 0.05), result(900, 0.05), { tolerancePct: 5, metrics: METRICS });
    expect(find(c.deltas, 'output_tokens_per_sec').status).toBe('noise');
    expect(c.passed).toBe(true);
  });

  it('two runs of one distribution at 0% tolerance are within noise; a 20% slower one regresses', () => {
    const a = result(1000, 0.01, { seed: 1 });
    const same = compareResults(a, result(1003, 0.01, { seed: 2 }), { tolerancePct: 0, metrics: METRICS });
    expect(find(same.deltas, 'output_tokens_per_sec').status).toBe('noise');
    expect(find(same.deltas, 'ttft.p50')).toMatchObject({ method: 'orderStatistics', status: 'noise' });
    expect(same.passed).toBe(true);
    const slow = compareResults(a, result(1000, 0.01, { seed: 3, medianMs: 120 }), { tolerancePct: 5, metrics: METRICS });
    const p50 = find(slow.deltas, 'ttft.p50');
    expect(p50.status).toBe('regression');
    expect(p50.changeLowPct!).toBeGreaterThan(5);
    expect(p50.changeHighPct!).toBeGreaterThan(p50.deltaPct!);
  });

  it('too short: not enough data, with what is missing and how much longer', () => {
    const c = compareResults(result(1000, 0.01), result(1000, null, { steadySeconds: 2 }), { tolerancePct: 5, metrics: METRICS });
    const d = find(c.deltas, 'output_tokens_per_sec');
    expect(d.status).toBe('insufficient');
    expect(d.needs).toMatch(/5 s of steady state/);
    expect(d.longerFactor).toBeCloseTo(2.5, 9);
    expect(renderComparison(c, { color: false })).toContain('not enough data for output_tokens_per_sec: needs 5 s of steady state in each run (new has 2 s of steady state) (about 2.5× longer runs)');
  });

  it('metrics without an interval method, and older results, compare by value', () => {
    const c = compareResults(result(1000, 0.01), result(1000, 0.01), { tolerancePct: 5, metrics: METRICS });
    expect(find(c.deltas, 'error_rate')).toMatchObject({ method: 'point', status: 'within', changeLowPct: null });
    const old = result(1000, 0.01);
    delete old.summary.intervals;
    expect(find(compareResults(old, result(900, 0.05), { tolerancePct: 5, metrics: METRICS }).deltas, 'output_tokens_per_sec')).toMatchObject({ method: 'point', status: 'regression' });
  });
});

describe('reproduce across systems', () => {
  it('reads the accelerator count of an MLPerf-style description', () => {
    expect(acceleratorCount({ number_of_nodes: 2, accelerators_per_node: 8 })).toBe(16);
    expect(acceleratorCount({ accelerators_per_node: '8' })).toBe(8);
    expect(acceleratorCount({ system_name: 'x' })).toBeNull();
    expect(acceleratorCount(undefined)).toBeNull();
  });

  it('normalises rates per accelerator, and states the largest difference with its interval', () => {
    const runs = [result(1000, 0.005, { accelerators: 8 }), result(1010, 0.005, { accelerators: 8, seed: 2 }), result(2000, 0.005, { accelerators: 16, seed: 3 })];
    const r = reproduce(runs, 4, { metrics: ['output_tokens_per_sec'], labels: ['a', 'b', 'c'] });
    expect(r.perAccelerator).toBe(true);
    const row = r.rows[0]!;
    expect(row.values).toEqual([125, 126.25, 125]);
    expect(row.largestDiffPct).toBeCloseTo(1, 9);
    expect(row.diffHighPct!).toBeLessThan(4);
    expect(row.status).toBe('reproduces');
    expect(r.passed).toBe(true);
    expect(renderReproduce(r, { color: false })).toMatch(/3 systems, rates per accelerator: largest difference 1\.00% \(95% CI [\d.]+% … [\d.]+%\) in output_tokens_per_sec, between a and b; they reproduce within 4%/);
  });

  it('fails when one system is 10% slower per accelerator', () => {
    const runs = [result(1000, 0.005, { accelerators: 8 }), result(1010, 0.005, { accelerators: 8 }), result(1800, 0.005, { accelerators: 16 })];
    const r = reproduce(runs, 4, { metrics: ['output_tokens_per_sec'] });
    expect(r.rows[0]!.status).toBe('differs');
    expect(r.rows[0]!.diffLowPct!).toBeGreaterThan(4);
    expect(r.passed).toBe(false);
  });
});
