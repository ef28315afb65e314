/**
 * The settings declaration (src/scenario/settings.ts) and what is derived from
 * it: the commander options of `run`, the flag reading, the layering with
 * origins and warnings, the scenario file fields, the docs table.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Problem } from '../../../src/errors.js';
import { resolveScenario } from '../../../src/scenario/resolve.js';
import { SETTINGS, flagAttribute, type RunCliOptions } from '../../../src/scenario/settings.js';
import { renderSettingsTable, withSettingsTable } from '../../../src/scenario/settings-doc.js';
import { runCommand, scenarioFlags } from '../../../src/cli/run.js';
import { tempDir } from '../../helpers/cli.js';
import type { CliIo } from '../../../src/cli/io.js';

const DOCS = new URL('../../../docs/scenarios.md', import.meta.url);

/** flags as the CLI reads them, then resolution, as `run` does it */
function resolveArgs(scenario: string, o: RunCliOptions, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const flags = scenarioFlags(o, problems);
  try {
    const s = resolveScenario({ scenario, flags, env: opts.env ?? {}, cwd: opts.cwd ?? process.cwd(), problems, onWarning: (w) => warnings.push(w) });
    return { s, problems: [] as Problem[], warnings };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { s: null, problems: err.problems, warnings };
  }
}

function scenarioDir(files: Record<string, string>): string {
  const dir = tempDir('tokbench-settings-');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the declaration', () => {
  it('gives commander the options, under the attribute names RunCliOptions uses', () => {
    const cmd = runCommand({} as CliIo, () => undefined);
    const attrs = new Set(cmd.options.map((o) => o.attributeName()));
    for (const s of SETTINGS) if (s.flag) expect(attrs.has(flagAttribute(s.flag)), s.flag).toBe(true);
    // every public flag of the README and DESIGN.md is still there
    for (const f of ['--endpoint', '--model', '--api', '--target-qps', '--max-concurrency', '--duration', '--samples', '--dataset', '--seed', '--out', '--assert', '--shard', '--start-at', '--workers', '--no-ignore-eos', '--no-stream'])
      expect(cmd.options.some((o) => o.long === f), f).toBe(true);
  });

  it('declares each flag, scenario path and key once', () => {
    for (const field of ['flag', 'path', 'key'] as const) {
      const seen = SETTINGS.map((s) => s[field]).filter((v) => v !== undefined);
      expect(new Set(seen).size, field).toBe(seen.length);
    }
  });

  it('declares every leaf of ResolvedScenario, each with a default', () => {
    const s = resolveScenario({ scenario: 'llama2-70b/server', flags: {}, env: {}, cwd: process.cwd() }) as unknown as Record<string, unknown>;
    const leaves = Object.entries(s)
      .filter(([k]) => k !== 'name' && k !== 'origins')
      .flatMap(([k, v]) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v).map((leaf) => `${k}.${leaf}`) : [k]));
    const declared = SETTINGS.filter((d) => d.path !== undefined);
    expect(leaves.sort()).toEqual(declared.map((d) => d.path!).sort());
    for (const d of declared) expect(d.default, d.path).not.toBeUndefined();
    expect(Object.keys(s.origins as object).sort()).toEqual(leaves.sort());
  });

  it('docs/scenarios.md holds the table rendered from it', () => {
    const page = readFileSync(DOCS, 'utf8');
    if (process.env.UPDATE_DOCS) writeFileSync(DOCS, withSettingsTable(page));
    expect(readFileSync(DOCS, 'utf8')).toContain(renderSettingsTable());
  });
});

describe('conflicting shortcuts', () => {
  it('--concurrency with open-loop flags is an error naming both flags, each pair', () => {
    const { problems } = resolveArgs('llama2-70b/server', { concurrency: '4', maxConcurrency: '64', targetQps: '10', burstiness: '0.3' });
    expect(problems.map((p) => p.where)).toEqual(['--concurrency and --max-concurrency', '--concurrency and --target-qps', '--concurrency and --burstiness']);
    expect(problems[0]!.message).toContain('cannot be combined');
  });

  it('--concurrency over a scenario file rate is allowed, with a warning naming the file field', () => {
    const dir = scenarioDir({ 's.yaml': 'extends: llama2-70b/server\nload:\n  targetQps: 12\n' });
    const { s, warnings } = resolveArgs('s.yaml', { concurrency: '4' }, { cwd: dir });
    expect(s!.load).toMatchObject({ pattern: 'closed', maxConcurrency: 4 });
    expect(warnings.map((w) => w.where)).toEqual(['s.yaml: load.targetQps']);
    expect(warnings[0]!.message).toContain('--concurrency');
  });
});

describe('environment', () => {
  it('TOKBENCH_ENDPOINT reads like --endpoint, and holds several', () => {
    expect(resolveArgs('llama2-70b/offline', {}, { env: { TOKBENCH_ENDPOINT: 'http://h:8000,model=m' } }).s!.endpoints).toEqual([{ url: 'http://h:8000', model: 'm', labels: {} }]);
    const two = resolveArgs('llama2-70b/offline', {}, { env: { TOKBENCH_ENDPOINT: 'http://a:1,model=x,gpu=H100 http://b:2' } }).s!;
    expect(two.endpoints).toEqual([{ url: 'http://a:1', model: 'x', labels: { gpu: 'H100' } }, { url: 'http://b:2', model: null, labels: {} }]);
    expect(two.origins.endpoints).toBe('env');
  });

  it('blames the variable, not the flag', () => {
    const { problems } = resolveArgs('llama2-70b/offline', {}, { env: { TOKBENCH_ENDPOINT: 'h:8000' } });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.where).toBe('TOKBENCH_ENDPOINT');
    expect(problems[0]!.message).toContain('has no scheme');
  });
});

describe('every problem at once', () => {
  it('a bad endpoint URL comes with the malformed flags', () => {
    const { problems } = resolveArgs('llama2-70b/offline', { endpoint: ['localhost:8000'], samples: 'lots', maxConcurrency: '2m' });
    const byWhere = Object.fromEntries(problems.map((p) => [p.where, p]));
    expect(Object.keys(byWhere).sort()).toEqual(['--endpoint', '--max-concurrency', '--samples']);
    expect(byWhere['--max-concurrency']!.hint).toContain("'m' means minutes; millions is M");
  });

  it('a file without schemaVersion is the current version, and all its errors are reported', () => {
    const dir = scenarioDir({ 's.yaml': 'extends: llama2-70b/server\nmaxConcurency: 4\nload:\n  targetQsp: 3\n  burstiness: -1\n' });
    const { problems } = resolveArgs('s.yaml', { samples: 'x' }, { cwd: dir });
    const text = problems.map((p) => `${p.where} | ${p.message} | ${p.hint ?? ''}`);
    expect(text).toContainEqual(expect.stringMatching(/^s\.yaml: maxConcurency \| unknown field \| did you mean "load\.maxConcurrency"\?/));
    expect(text).toContainEqual(expect.stringMatching(/^s\.yaml: load\.targetQsp \| unknown field \| did you mean "targetQps"\?/));
    expect(text).toContainEqual(expect.stringMatching(/^s\.yaml: load\.burstiness \| must be a number > 0/));
    expect(text).toContainEqual(expect.stringMatching(/^--samples \| expected a count/));
    expect(problems).toHaveLength(4);
    expect(resolveArgs('s.yaml', {}, { cwd: scenarioDir({ 's.yaml': 'extends: llama2-70b/server\n' }) }).s!.scenario).toBe('server');
  });

  it('a wrong schemaVersion is still an error', () => {
    const { problems } = resolveArgs('s.yaml', {}, { cwd: scenarioDir({ 's.yaml': 'schemaVersion: 2\n' }) });
    expect(problems.map((p) => p.where)).toEqual(['s.yaml: schemaVersion']);
  });
});

describe('one quantity grammar in flags and files', () => {
  it('flags: exact decimals with suffixes, exponents, compound durations', () => {
    const { s } = resolveArgs('llama2-70b/offline', { samples: '2.01k', maxConcurrency: '1e3', duration: '1m30s', requestTimeout: '2h' });
    expect(s!.run).toMatchObject({ samples: 2010, minDurationMs: 90_000, requestTimeoutMs: 7_200_000 });
    expect(s!.load.maxConcurrency).toBe(1000);
  });

  it('files: numbers as before (ms), or quantity strings with units', () => {
    const dir = scenarioDir({ 's.yaml': 'extends: llama2-70b/offline\nrun:\n  minDurationMs: 10m\n  samples: 2k\n  graceMs: 1500\nload:\n  maxConcurrency: "1.5k"\n' });
    const { s } = resolveArgs('s.yaml', {}, { cwd: dir });
    expect(s!.run).toMatchObject({ minDurationMs: 600_000, samples: 2000, graceMs: 1500 });
    expect(s!.load.maxConcurrency).toBe(1500);
  });

  it('a count with a duration unit is refused in a file too', () => {
    const { problems } = resolveArgs('s.yaml', {}, { cwd: scenarioDir({ 's.yaml': 'run:\n  samples: 2m\n' }) });
    expect(problems[0]).toMatchObject({ where: 's.yaml: run.samples' });
    expect(problems[0]!.hint).toContain('millions is M');
  });
});
