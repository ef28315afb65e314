import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { ResultJson } from '../../../src/metrics/types.js';
import { evaluateThresholds } from '../../../src/metrics/thresholds.js';
import { renderJunit } from '../../../src/report/junit.js';

const FIXTURE = new URL('../../fixtures/results/server-2endpoints.json', import.meta.url);
function load(): ResultJson {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as ResultJson;
}

interface Case {
  '@_classname': string;
  '@_name': string;
  '@_time': string;
  failure?: { '@_message': string; '@_type': string; '#text'?: string };
  skipped?: { '@_message': string };
}

function parse(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseAttributeValue: false,
    // keep one shape whether there is one testcase or several
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  }).parse(xml) as { testsuites: { testsuite: Record<string, unknown>[] } & Record<string, string> };
  const suites = doc.testsuites.testsuite;
  expect(suites).toHaveLength(1);
  const suite = suites[0]!;
  return { root: doc.testsuites, suite, cases: suite.testcase as Case[] };
}

function withThresholds(r: ResultJson, exprs: string[]): ResultJson {
  return { ...r, thresholds: evaluateThresholds(exprs, r) };
}

describe('renderJunit', () => {
  it('has the testsuites/testsuite/testcase shape with counts that match the cases', () => {
    const r = withThresholds(load(), ['output_tokens_per_sec >= 1k', 'ttft.p99 < 750ms', 'error_rate < 0.5%']);
    const { root, suite, cases } = parse(renderJunit(r));
    // 3 assertions + 4 validity checks
    expect(cases).toHaveLength(7);
    expect(suite['@_tests']).toBe('7');
    expect(suite['@_failures']).toBe('2');
    expect(suite['@_errors']).toBe('0');
    expect(root['@_failures']).toBe('2');
    expect(suite['@_name']).toBe('tokbench llama2-70b/server');
    expect(suite['@_time']).toBe('100.000');
    expect(suite['@_timestamp']).toBe('2026-03-01T12:00:00');
    expect(cases.filter((c) => c.failure !== undefined)).toHaveLength(2);
    expect(cases.map((c) => c['@_classname'])).toEqual([
      ...Array(3).fill('tokbench.thresholds'),
      ...Array(4).fill('tokbench.validity'),
    ]);
    expect(cases.map((c) => c['@_name'])).toEqual([
      'output_tokens_per_sec >= 1k', 'ttft.p99 < 750ms', 'error_rate < 0.5%',
      'min_duration', 'min_queries', 'ttft_p99', 'tpot_p99',
    ]);
  });

  it('puts the actual value in the failure message', () => {
    const r = withThresholds(load(), ['ttft.p99 < 750ms', 'error_rate < 0.5%', 'endpoint[*].output_tokens_per_sec >= 990']);
    const { cases } = parse(renderJunit(r));
    const failure = (name: string) => cases.find((c) => c['@_name'] === name)!.failure!;
    expect(failure('ttft.p99 < 750ms')['@_message']).toBe('ttft.p99 = 800 ms, expected < 750ms');
    expect(failure('ttft.p99 < 750ms')['@_type']).toBe('ThresholdFailed');
    expect(failure('error_rate < 0.5%')['@_message']).toBe('error_rate = 1%, expected < 0.5%');
    expect(failure('endpoint[*].output_tokens_per_sec >= 990')['@_message']).toBe(
      'endpoint[*].output_tokens_per_sec at http://10.0.0.2:8000 = 980 tokens/s, expected >= 990',
    );
  });

  it('says why a missing metric failed', () => {
    const r = load();
    r.summary.goodputRequestsPerSecond = null;
    const { cases } = parse(renderJunit(withThresholds(r, ['goodput >= 1'])));
    expect(cases[0]!.failure!['@_message']).toMatch(/^goodput: no value \(goodput is only measured when the scenario sets SLO constraints/);
  });

  it('escapes XML in names, messages and details, and drops characters XML cannot carry', () => {
    const r = load();
    r.validity.valid = false;
    r.validity.checks[0] = { name: 'min_duration <&> "q" \'a\'', passed: false, detail: 'ran 5 s < 60 s & more\u0001 \u0000end' };
    r.validity.recommendations = ['raise --duration to >= 60s'];
    r.scenario.benchmark = 'a&b<c>';
    r.tags = { note: 'x"y' };
    const xml = renderJunit(withThresholds(r, ['valid', 'ttft.p99 < 2s']));
    const { suite, cases } = parse(xml);
    expect(suite['@_name']).toBe('tokbench a&amp;b&lt;c&gt;/server'.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
    const check = cases.find((c) => c['@_classname'] === 'tokbench.validity' && c.failure !== undefined)!;
    expect(check['@_name']).toBe('min_duration <&> "q" \'a\'');
    expect(check.failure!['@_message']).toBe('min_duration <&> "q" \'a\': ran 5 s < 60 s & more\uFFFD \uFFFDend');
    expect(check.failure!['#text']).toContain('recommendation: raise --duration to >= 60s');
    expect(cases.find((c) => c['@_name'] === 'ttft.p99 < 2s')!.failure).toBeUndefined();
    expect(xml.includes('\u0000') || xml.includes('\u0001')).toBe(false);
  });

  it('fails validity testcases only when validity is gated', () => {
    const r = load();
    r.validity.valid = false;
    r.validity.checks[1] = { name: 'min_queries', passed: false, detail: '50 < 100' };

    const ungated = parse(renderJunit(withThresholds(r, ['ttft.p99 < 2s'])));
    expect(ungated.suite['@_failures']).toBe('0');
    expect(ungated.suite['@_skipped']).toBe('1');
    const skipped = ungated.cases.find((c) => c['@_name'] === 'min_queries')!;
    expect(skipped.failure).toBeUndefined();
    expect(skipped.skipped!['@_message']).toMatch(/50 < 100 \(not gated: add --assert valid/);

    const gated = parse(renderJunit(withThresholds(r, ['ttft.p99 < 2s', 'valid'])));
    // the `valid` assertion and the failed check
    expect(gated.suite['@_failures']).toBe('2');
    expect(gated.cases.find((c) => c['@_name'] === 'min_queries')!.failure!['@_type']).toBe('ValidityFailed');
    expect(gated.cases.find((c) => c['@_name'] === 'valid')!.failure!['@_message']).toBe('valid: false');

    const forced = parse(renderJunit(withThresholds(r, ['ttft.p99 < 2s']), { gateValidity: true }));
    expect(forced.suite['@_failures']).toBe('1');
  });

  it('reports a stored expression this version does not understand as a failure, not a crash', () => {
    const r = load();
    r.thresholds = [{ expr: 'kv_cache_hit_rate > 50%', passed: false, actual: 0.3 }];
    const { cases } = parse(renderJunit(r));
    expect(cases[0]!.failure!['@_message']).toBe('kv_cache_hit_rate > 50%: actual 0.3');
  });
});

describe('renderJunit with absent figures', () => {
  it('leaves out the property of a figure with no data instead of writing 0', () => {
    const r = load();
    r.summary.latency.tpotMs = null;
    const { suite } = parse(renderJunit(r));
    const props = (suite.properties as { property: { '@_name': string; '@_value': string }[] }).property;
    const names = props.map((p) => p['@_name']);
    expect(names).toContain('ttft.p99_ms');
    expect(names).not.toContain('tpot.p99_ms');
  });
});
