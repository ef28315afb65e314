import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import type { ResultJson } from '../../../src/metrics/types.js';
import {
  METRICS,
  endpointSelectorProblems,
  evaluateThresholds,
  evaluateThresholdsDetailed,
  describeOutcome,
  parseThreshold,
  parseThresholds,
  type Threshold,
} from '../../../src/metrics/thresholds.js';

const FIXTURE = new URL('../../fixtures/results/server-2endpoints.json', import.meta.url);
function load(): ResultJson {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as ResultJson;
}

function comparison(t: Threshold) {
  if (t.kind !== 'comparison') throw new Error(`expected a comparison, got ${t.kind}`);
  return t;
}

describe('parseThreshold: valid expressions', () => {
  // expr → canonical metric reference, operator, limit in the metric's natural unit
  const table: [string, string, string, number][] = [
    ['output_tokens_per_sec >= 95k', 'output_tokens_per_sec', '>=', 95_000],
    ['ttft.p99 <= 2s', 'ttft.p99', '<=', 2000],
    ['tpot.p99 < 200ms', 'tpot.p99', '<', 200],
    ['itl.p50 < 20ms', 'itl.p50', '<', 20],
    ['error_rate < 0.5%', 'error_rate', '<', 0.005],
    ['error_rate<0.005', 'error_rate', '<', 0.005],
    ['requests_per_sec > 10', 'requests_per_sec', '>', 10],
    ['goodput >= 5', 'goodput', '>=', 5],
    ['completed >= 1000', 'completed', '>=', 1000],
    ['completed == 1.1k', 'completed', '==', 1100],
    // naive float scaling gets these wrong: 1.005 * 1000 = 1004.9999999999999, 8.2 * 1e6 = 8199999.999999999
    ['completed == 1.005k', 'completed', '==', 1005],
    ['output_tokens_per_sec >= 8.2M', 'output_tokens_per_sec', '>=', 8_200_000],
    ['error_rate < 0.07%', 'error_rate', '<', 0.0007],
    ['error_rate < 0.57%', 'error_rate', '<', 0.0057],
    ['failed != 0', 'failed', '!=', 0],
    ['itl.p99 < 250us', 'itl.p99', '<', 0.25],
    ['itl.p99 < 250µs', 'itl.p99', '<', 0.25],
    ['itl.p99 < 250μs', 'itl.p99', '<', 0.25], // Greek mu, not the micro sign
    ['e2e.max <= 1.5m', 'e2e.max', '<=', 90_000],
    ['ttft.p99 < 2 s', 'ttft.p99', '<', 2000],
    ['ttft.p99 < .5s', 'ttft.p99', '<', 500],
    ['total_tokens_per_sec >= 1.2M', 'total_tokens_per_sec', '>=', 1_200_000],
    ['output_tokens_per_sec >= 0.5G', 'output_tokens_per_sec', '>=', 500_000_000],
    ['output_tokens_per_sec >= 95K', 'output_tokens_per_sec', '>=', 95_000],
    ['ttft.p99.9 < 3s', 'ttft.p999', '<', 3000],
    // the one quantity grammar (src/util/units.ts): hours, compound durations, exponents
    ['e2e.max <= 2h', 'e2e.max', '<=', 7_200_000],
    ['e2e.max <= 1m30s', 'e2e.max', '<=', 90_000],
    ['ttft.p99 < 1e3ms', 'ttft.p99', '<', 1000],
    ['output_tokens_per_sec >= 1e15', 'output_tokens_per_sec', '>=', 1e15],
    ['output_tokens_per_sec >= 1.5e3', 'output_tokens_per_sec', '>=', 1500],
    ['completed == 2.01k', 'completed', '==', 2010],
    ['issue_delay.p99 < 5ms', 'issue_delay.p99', '<', 5],
    ['chunk_gap.mean < 30ms', 'chunk_gap.mean', '<', 30],
    ['steady_output_tokens_per_sec >= 2k', 'steady_output_tokens_per_sec', '>=', 2000],
    ['endpoint[0].output_tokens_per_sec >= 10k', 'endpoint[0].output_tokens_per_sec', '>=', 10_000],
    ['endpoint[*].error_rate < 1%', 'endpoint[*].error_rate', '<', 0.01],
    ['endpoint[gpu=MI355X].ttft.p99 < 1s', 'endpoint[gpu=MI355X].ttft.p99', '<', 1000],
    ['endpoint[http://a:8000/].ttft.p99 < 1s', 'endpoint[http://a:8000/].ttft.p99', '<', 1000],
    ['endpoint[http://[::1]:8000].ttft.p99<=1s', 'endpoint[http://[::1]:8000].ttft.p99', '<=', 1000],
  ];
  it.each(table)('%s', (expr, metric, op, limit) => {
    const t = comparison(parseThreshold(expr, '--assert'));
    expect(t.ref.text).toBe(metric);
    expect(t.op).toBe(op);
    // exact: a limit off by one ulp breaks `==` and boundary verdicts
    expect(t.limit).toBe(limit);
    expect(t.expr).toBe(expr.trim());
  });

  it('reads endpoint selectors of every kind', () => {
    expect(parseThreshold('endpoint[3].completed > 1', 'x').ref.endpoint).toEqual({ kind: 'index', index: 3, text: '3' });
    expect(parseThreshold('endpoint[*].completed > 1', 'x').ref.endpoint).toEqual({ kind: 'all', text: '*' });
    expect(parseThreshold('endpoint[http://a:8000/].completed > 1', 'x').ref.endpoint).toEqual({ kind: 'url', url: 'http://a:8000', text: 'http://a:8000/' });
    expect(parseThreshold('endpoint[gpu=MI355X].completed > 1', 'x').ref.endpoint).toEqual({ kind: 'label', key: 'gpu', value: 'MI355X', text: 'gpu=MI355X' });
    expect(parseThreshold('endpoint[http://[::1]:8000].completed > 1', 'x').ref.endpoint).toMatchObject({ kind: 'url', url: 'http://[::1]:8000' });
  });

  it('reads `valid` as a boolean assertion', () => {
    const t = parseThreshold('  valid ', '--assert');
    expect(t.kind).toBe('boolean');
    expect(t.ref.def.name).toBe('valid');
    expect(t.expr).toBe('valid');
  });

  it('has one catalogue entry per name with a direction', () => {
    const names = METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(METRICS.find((m) => m.name === 'output_tokens_per_sec')?.direction).toBe('higher');
    expect(METRICS.find((m) => m.name === 'ttft.p99')?.direction).toBe('lower');
    expect(METRICS.find((m) => m.name === 'error_rate')?.direction).toBe('lower');
  });
});

describe('parseThreshold: invalid expressions', () => {
  // expr → text the message must contain, text the hint must contain
  const table: [string, RegExp, RegExp][] = [
    ['ttf.p99 < 2s', /unknown metric 'ttf\.p99'/, /did you mean 'ttft\.p99'\?.*known metrics: output_tokens_per_sec/],
    ['output_tokens_per_second >= 1k', /unknown metric/, /did you mean 'output_tokens_per_sec'\?/],
    ['throughput_xyz >= 1k', /unknown metric 'throughput_xyz'/, /^known metrics: .*ttft\|tpot\|itl/],
    ['ttft.p99 < 95k', /'ttft\.p99' is a duration, but '95k' is a count/, /units: us, ms, s, m/],
    ['ttft.p99 < 2000', /is a duration: the limit needs a unit/, /2000ms or 2000s/],
    ['ttft.p99 < 5%', /is a duration, but '5%' is a percentage/, /duration/],
    ['ttft.p99 < 2parsecs', /unknown unit 'parsecs'/, /units: us, ms, s, m \(minutes\), h/],
    ['output_tokens_per_sec >= 2s', /is a rate \(tokens\/s\), but '2s' is a duration/, /k, M, G/],
    ['completed >= 1m', /is a count/, /write M for millions/],
    ['requests_per_sec > 5%', /is a rate/, /plain number/],
    ['error_rate < 5', /fraction from 0 to 1/, /did you mean 5%\?/],
    ['error_rate < 150%', /more than 100%/, /0% to 100%/],
    ['error_rate < 5ms', /fraction of requests, but '5ms' is a duration/, /0\.5%/],
    ['ttft.avg < 1s', /unknown statistic 'avg' of 'ttft'/, /did you mean 'ttft\.mean'\?/],
    ['ttft.p98 < 1s', /unknown statistic 'p98'/, /did you mean 'ttft\.p9\d'\?/],
    ['ttft < 1s', /'ttft' is a latency series: pick a statistic/, /ttft\.p99/],
    ['ttft.p99 = 2s', /unknown operator '='/, /did you mean '=='\?/],
    ['ttft.p99 =< 2s', /unknown operator '=<'/, /did you mean '<='\?/],
    ['ttft.p99 2s', /missing operator between 'ttft\.p99' and '2s'/, /operators: < <= > >= == !=/],
    ['ttf.p99 2s', /unknown metric 'ttf\.p99'/, /did you mean 'ttft\.p99'/],
    ['ttft.p99 <', /missing limit/, /2s/],
    ['ttft.p99 < -1s', /bad limit '-1s'/, /non-negative/],
    ['ttft.p99 < 1e3', /is a duration: the limit needs a unit/, /ms or/],
    ['ttft.p99 < 1..5s', /bad limit/, /number/],
    ['!valid', /asserting an invalid run is not supported/, /leave 'valid' out/],
    ['valid == 1', /'valid' is a boolean and takes no comparison/, /on its own/],
    ['valid true', /'valid' is a boolean and takes no comparison/, /on its own/],
    ['goodput', /missing comparison after 'goodput'/, /goodput >= 10/],
    ['endpoint[0].valid', /run-level metric/, /on its own/],
    ['endpoint[0].steady_output_tokens_per_sec > 1', /run-level metric/, /on its own/],
    ['endpoint[foo].ttft.p99 < 1s', /bad endpoint selector '\[foo\]'/, /endpoint\[gpu=MI355X\]/],
    ['endpoint[0.ttft.p99 < 1s', /unclosed '\['/, /endpoint\[0\]/],
    ['endpoint[0]ttft.p99 < 1s', /expected '\.<metric>'/, /endpoint\[0\]\.output_tokens_per_sec/],
    ['endpoints[0].ttft.p99 < 1s', /unknown prefix 'endpoints'/, /endpoint\[/],
    ['', /empty assertion/, /ttft\.p99 <= 2s/],
  ];
  it.each(table)('%j', (expr, message, hint) => {
    let caught: unknown;
    try {
      parseThreshold(expr, 'thresholds[3]');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.exitCode).toBe(2);
    expect(err.problems).toHaveLength(1);
    const p = err.problems[0]!;
    expect(p.where).toBe('thresholds[3]');
    expect(p.message).toContain(`'${expr.trim()}'`);
    expect(p.message).toMatch(message);
    expect(p.hint).toMatch(hint);
    // the rendered message names the origin and carries the hint
    expect(err.message).toContain('thresholds[3]');
    expect(err.message).toContain('hint:');
  });

  it('reports every bad assertion of a list at once', () => {
    let caught: unknown;
    try {
      parseThresholds(['ttft.p99 < 2s', 'ttf.p99 < 2s', 'error_rate < 5', 'valid'], (i) => `thresholds[${i}]`);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems.map((p) => p.where)).toEqual(['thresholds[1]', 'thresholds[2]']);
    expect((caught as ConfigError).message).toMatch(/2 problems/);
  });
});

describe('evaluateThresholds', () => {
  const result = load(); // ttft.p99 = 800 ms, 990 completed, 10 failed of 1000, 1980 tokens/s

  const boundary: [string, boolean, number | boolean | null][] = [
    ['ttft.p99 <= 800ms', true, 800],
    ['ttft.p99 < 800ms', false, 800],
    ['ttft.p99 <= 0.8s', true, 800],
    ['ttft.p99 >= 800ms', true, 800],
    ['ttft.p99 > 800ms', false, 800],
    ['ttft.p99 == 800ms', true, 800],
    ['ttft.p99 != 800ms', false, 800],
    ['ttft.p99 < 800001us', true, 800],
    ['output_tokens_per_sec >= 1.98k', true, 1980],
    ['output_tokens_per_sec > 1.98k', false, 1980],
    ['error_rate <= 1%', true, 0.01],
    ['error_rate < 1%', false, 0.01],
    ['error_rate <= 0.01', true, 0.01],
    ['completed >= 990', true, 990],
    ['completed > 990', false, 990],
    ['requests_per_sec >= 9.9', true, 9.9],
    ['goodput >= 9.5', true, 9.5],
    ['steady_output_tokens_per_sec >= 2.01k', true, 2010],
    ['itl.min >= 400us', true, 0.4],
    ['valid', true, true],
  ];
  it.each(boundary)('%s → passed %s, actual %s', (expr, passed, actual) => {
    expect(evaluateThresholds([expr], result)).toEqual([{ expr, passed, actual }]);
  });

  it('gives the same verdicts on a saved (JSON round-tripped) result', () => {
    const exprs = boundary.map(([e]) => e);
    const saved = JSON.parse(JSON.stringify(result)) as ResultJson;
    expect(evaluateThresholds(exprs, saved)).toEqual(evaluateThresholds(exprs, result));
  });

  it('stores exactly the result.json verdict shape', () => {
    for (const v of evaluateThresholds(['ttft.p99 < 2s', 'valid'], result)) expect(Object.keys(v).sort()).toEqual(['actual', 'expr', 'passed']);
  });

  it('fails `valid` on an invalid run', () => {
    const r = load();
    r.validity.valid = false;
    expect(evaluateThresholds(['valid'], r)).toEqual([{ expr: 'valid', passed: false, actual: false }]);
  });

  it('never passes vacuously: missing values fail with actual null and a reason', () => {
    const r = load();
    r.summary.goodputRequestsPerSecond = null;
    r.summary.latency.ttftMs = null;
    r.summary.completed = 0;
    r.summary.failed = 0;
    r.summary.steadyState = null;
    const outcomes = evaluateThresholdsDetailed(['goodput >= 0', 'ttft.p99 < 2s', 'error_rate < 100%', 'steady_requests_per_sec >= 0'], r);
    expect(outcomes.map((o) => o.verdict)).toEqual([
      { expr: 'goodput >= 0', passed: false, actual: null },
      { expr: 'ttft.p99 < 2s', passed: false, actual: null },
      { expr: 'error_rate < 100%', passed: false, actual: null },
      { expr: 'steady_requests_per_sec >= 0', passed: false, actual: null },
    ]);
    expect(describeOutcome(outcomes[0]!)).toMatch(/no value \(.*constraints/);
    expect(describeOutcome(outcomes[1]!)).toMatch(/no value \(no data: no request gave a TTFT value; the run was not streamed/);
  });

  describe('per endpoint', () => {
    // [0] http://10.0.0.1:8000 gpu=MI355X: ttft.p99 700, 0 failed of 500, 1000 tokens/s
    // [1] http://10.0.0.2:8000 gpu=H100:   ttft.p99 900, 10 failed of 500, 980 tokens/s
    const table: [string, boolean, number | null][] = [
      ['endpoint[0].ttft.p99 < 800ms', true, 700],
      ['endpoint[1].ttft.p99 < 800ms', false, 900],
      ['endpoint[gpu=MI355X].ttft.p99 < 800ms', true, 700],
      ['endpoint[gpu=H100].ttft.p99 < 800ms', false, 900],
      ['endpoint[http://10.0.0.2:8000/].failed == 10', true, 10],
      ['endpoint[1].error_rate <= 2%', true, 0.02],
      ['endpoint[1].error_rate < 2%', false, 0.02],
      // several endpoints: each must pass; actual is the failing one...
      ['endpoint[*].ttft.p99 < 800ms', false, 900],
      ['endpoint[rack=a].output_tokens_per_sec >= 990', false, 980],
      // ...or, when all pass, the one closest to the limit
      ['endpoint[*].ttft.p99 < 1s', true, 900],
      ['endpoint[*].output_tokens_per_sec >= 900', true, 980],
      ['endpoint[5].ttft.p99 < 1s', false, null],
      ['endpoint[gpu=B200].ttft.p99 < 1s', false, null],
    ];
    it.each(table)('%s → passed %s, actual %s', (expr, passed, actual) => {
      expect(evaluateThresholds([expr], result)).toEqual([{ expr, passed, actual }]);
    });

    it('names the failing endpoint in the description', () => {
      const [o] = evaluateThresholdsDetailed(['endpoint[*].ttft.p99 < 800ms'], result);
      expect(describeOutcome(o!)).toBe('endpoint[*].ttft.p99 at http://10.0.0.2:8000 = 900 ms, expected < 800ms');
    });

    it('reports selectors that match no endpoint as usage problems', () => {
      const ts = parseThresholds(['endpoint[5].ttft.p99 < 1s', 'endpoint[gpu=MI355X].ttft.p99 < 1s', 'endpoint[http://10.0.0.9:8000].completed > 0'], '--assert');
      const problems = endpointSelectorProblems(ts, result.perEndpoint, '--assert');
      expect(problems.map((p) => p.message)).toEqual([
        "'endpoint[5].ttft.p99 < 1s': endpoint[5] matches no endpoint",
        "'endpoint[http://10.0.0.9:8000].completed > 0': endpoint[http://10.0.0.9:8000] matches no endpoint",
      ]);
      expect(problems[0]!.hint).toContain('[1] http://10.0.0.2:8000 {gpu=H100,rack=a}');
    });
  });
});
