import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../src/scenario/resolve.js';
import { ConfigError, type Problem } from '../../../src/errors.js';
import { scenarioFlags } from '../../../src/cli/run.js';
import { BUILTIN_NAMES } from '../../../src/scenario/builtins.js';

const cwd = new URL('../../fixtures/scenarios/', import.meta.url).pathname;
const resolve = (scenario: string | undefined, flags = {}, env = {}) =>
  resolveScenario({ ...(scenario === undefined ? {} : { scenario }), flags, env, cwd });

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('built-in scenarios carry the MLPerf v6.0 values', () => {
  it.each([
    ['llama2-70b/server', 2000, 200, 100],
    ['llama2-70b/interactive', 450, 40, 100],
    ['gpt-oss-120b/server', 3000, 80, 100],
    ['gpt-oss-120b/interactive', 2000, 15, 100],
    ['llama2-70b/offline', null, null, 24576],
    ['gpt-oss-120b/offline', null, null, 100],
  ])('%s', (name, ttft, tpot, minQueries) => {
    const s = resolve(name);
    expect(s.constraints).toEqual({ ttftP99Ms: ttft, tpotP99Ms: tpot });
    expect(s.run.minDurationMs).toBe(600_000);
    expect(s.run.minQueryCount).toBe(minQueries);
    expect(s.seeds).toEqual({ qsl: '2465351861681999779', sampleIndex: '14276810075590677512', schedule: '3936089224930324775' });
    expect(s.origins['constraints.ttftP99Ms']).toBe('profile');
  });

  it('gpt-oss uses its tokenizer, 6,396 samples and sampling at temperature 1', () => {
    const s = resolve('gpt-oss-120b/offline');
    expect(s.dataset.tokenizer).toBe('o200k_harmony');
    expect(s.dataset.size).toBe(6396);
    expect(s.request.temperature).toBe(1);
    expect(s.request.maxTokens).toBe(10240);
  });

  it('lists all six', () => {
    expect(BUILTIN_NAMES.sort()).toEqual(
      ['gpt-oss-120b/interactive', 'gpt-oss-120b/offline', 'gpt-oss-120b/server', 'llama2-70b/interactive', 'llama2-70b/offline', 'llama2-70b/server'],
    );
  });
});

describe('layering and origins', () => {
  it('file overrides profile, flag overrides file, and origins say so', () => {
    const s = resolve('good.yaml', { targetQps: 20 });
    expect(s.scenario).toBe('server');
    expect(s.load.targetQps).toBe(20);
    expect(s.origins['load.targetQps']).toBe('flag');
    expect(s.run.minDurationMs).toBe(30_000);
    expect(s.origins['run.minDurationMs']).toBe('file');
    expect(s.constraints.ttftP99Ms).toBe(2000);
    expect(s.origins['constraints.ttftP99Ms']).toBe('profile');
    expect(s.dataset.inputTokens).toEqual({ kind: 'uniform', min: 100, max: 200 });
    expect(s.dataset.outputTokens).toEqual({ kind: 'fixed', value: 64 });
    expect(s.thresholds).toEqual(['output_tokens_per_sec >= 100']);
  });

  it('environment sits between the file and the flags', () => {
    const s = resolve('llama2-70b/offline', {}, { TOKBENCH_MODEL: 'm-env', TOKBENCH_ENDPOINT: 'http://a:1,http://b:2' });
    expect(s.request.model).toBe('m-env');
    expect(s.endpoints.map((e) => e.url)).toEqual(['http://a:1', 'http://b:2']);
    const f = resolve('llama2-70b/offline', { model: 'm-flag' }, { TOKBENCH_MODEL: 'm-env' });
    expect(f.request.model).toBe('m-flag');
  });

  it('--concurrency makes a closed loop', () => {
    const s = resolve('llama2-70b/offline', { concurrency: 8 });
    expect(s.load.pattern).toBe('closed');
    expect(s.load.maxConcurrency).toBe(8);
  });

  it('endpoint arguments carry a model and labels', () => {
    const problems: Problem[] = [];
    const s = resolve('llama2-70b/offline', scenarioFlags({ endpoint: ['http://n1:8000,model=llama,gpu=MI355X,precision=fp4'] }, problems));
    expect(problems).toEqual([]);
    expect(s.endpoints).toEqual([{ url: 'http://n1:8000', model: 'llama', labels: { gpu: 'MI355X', precision: 'fp4' } }]);
  });
});

describe('bad input names the field or flag', () => {
  it('unknown built-in with did-you-mean', () => {
    const [p] = problemsOf(() => resolve('llama2-70b/sever'));
    expect(p!.where).toBe('SCENARIO');
    expect(p!.hint).toContain('did you mean "llama2-70b/server"');
  });

  it('every problem of a file at once: unknown field with suggestion, out of range, wrong type', () => {
    const problems = problemsOf(() => resolve('bad-fields.yaml'));
    const text = problems.map((p) => `${p.where} | ${p.message} | ${p.hint ?? ''}`).join('\n');
    expect(text).toContain('bad-fields.yaml: load.targetQsp | unknown field | did you mean "targetQps"?');
    expect(text).toMatch(/bad-fields\.yaml: load\.maxConcurrency \| must be an integer ≥ 1, got 0/);
    expect(text).toMatch(/bad-fields\.yaml: run\.minDurationMs \| expected a duration, got "10 parsecs" \| unknown unit 'parsecs'.*600s/);
    expect(problems.length).toBe(3);
  });

  it('malformed YAML names the line', () => {
    const [p] = problemsOf(() => resolve('bad-yaml.yaml'));
    expect(p!.where).toMatch(/^bad-yaml\.yaml:\d+$/);
    expect(p!.message).toContain('not valid YAML');
  });

  it('missing file', () => {
    const [p] = problemsOf(() => resolve('nope.yaml'));
    expect(p!.message).toBe('scenario file not found');
  });

  it('flags out of range are named by flag', () => {
    const problems = problemsOf(() => resolve('llama2-70b/server', { targetQps: -5, maxConcurrency: 0, api: 'chta' }));
    const wheres = problems.map((p) => p.where).sort();
    expect(wheres).toEqual(['--api', '--max-concurrency', '--target-qps']);
    expect(problems.find((p) => p.where === '--api')!.hint).toContain('did you mean "chat"');
  });

  it('a header with CR/LF is refused', () => {
    const problems = problemsOf(() => resolve('llama2-70b/offline', { headers: { 'X-A': 'ok\r\nX-Injected: 1' } }));
    expect(problems[0]!.message).toContain('CR/LF');
  });

  it('token-id prompts with the chat API are refused', () => {
    const [p] = problemsOf(() => resolve('llama2-70b/offline', { api: 'chat', promptFormat: 'ids' }));
    expect(p!.where).toBe('--prompt-format');
  });
});
