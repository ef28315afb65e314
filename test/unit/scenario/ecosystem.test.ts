import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../src/scenario/resolve.js';
import { MLPERF_V60_SEEDS, MLPERF_V61_SEEDS } from '../../../src/scenario/builtins.js';
import { ConfigError } from '../../../src/errors.js';
import { scenarioFor } from '../../helpers/scenario.js';
import { scenarioFlags } from '../../../src/cli/run.js';
import type { Problem } from '../../../src/errors.js';

/** Raw flag text read as the CLI reads it, then resolved: every problem at once. */
function resolveCli(name: string, raw: Record<string, string | string[]>) {
  const problems: Problem[] = [];
  const flags = scenarioFlags(raw, problems);
  return resolveScenario({ scenario: name, flags, env: {}, cwd: process.cwd(), problems });
}
import { tempDir } from '../../helpers/cli.js';

function problemsOf(fn: () => unknown): { where: string; message: string; hint?: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('--mlperf-round', () => {
  it('defaults to v6.0 and its seeds', () => {
    const s = scenarioFor('llama2-70b/server');
    expect(s.mlperfRound).toBe('6.0');
    expect(s.seeds).toEqual(MLPERF_V60_SEEDS);
  });

  it('6.1 picks the seeds of LoadGen 6.0.17 mlperf.conf, keeping the constraints (unchanged in that conf)', () => {
    const s = scenarioFor('gpt-oss-120b/interactive', { mlperfRound: '6.1' });
    expect(s.mlperfRound).toBe('6.1');
    expect(s.seeds).toEqual({ qsl: '2085463073848966840', sampleIndex: '2747215439041700203', schedule: '16159082839903944936' });
    expect(s.seeds).toEqual(MLPERF_V61_SEEDS);
    expect(s.constraints).toEqual({ ttftP99Ms: 2000, tpotP99Ms: 15 });
  });

  it('never replaces seeds given by --seed or a scenario file', () => {
    expect(scenarioFor('llama2-70b/offline', { mlperfRound: '6.1', seed: '42' }).seeds.qsl).toBe('42');
    const dir = tempDir();
    writeFileSync(join(dir, 's.yaml'), 'schemaVersion: 1\nextends: llama2-70b/offline\nmlperfRound: "6.1"\nseeds:\n  qsl: "7"\n');
    const s = resolveScenario({ scenario: 's.yaml', flags: {}, env: {}, cwd: dir });
    expect(s.seeds).toEqual({ qsl: '7', sampleIndex: MLPERF_V61_SEEDS.sampleIndex, schedule: MLPERF_V61_SEEDS.schedule });
  });

  it('rejects an unknown round naming the flag', () => {
    const p = problemsOf(() => resolveCli('llama2-70b/offline', { mlperfRound: '5.1' }));
    expect(p[0]).toMatchObject({ where: '--mlperf-round', message: 'unknown value "5.1"' });
    expect(p[0]!.hint).toMatch(/6\.0, 6\.1/);
  });
});

describe('parquet datasets in resolution', () => {
  it('.parquet selects the parquet source and sends token ids to /v1/completions', () => {
    const s = scenarioFor('llama2-70b/offline', { dataset: 'x.parquet', datasetColumns: { reference: 'answer' } });
    expect(s.dataset.source).toBe('parquet');
    expect(s.dataset.columns).toEqual({ reference: 'answer' });
    expect(s.request.promptFormat).toBe('ids');
    expect(scenarioFor('llama2-70b/offline', { dataset: 'x.parquet', promptFormat: 'text' }).request.promptFormat).toBe('text');
    expect(scenarioFor('llama2-70b/offline', { dataset: 'x.jsonl' }).request.promptFormat).toBe('text');
  });

  it('a pandas pickle fails with the one-line conversion to parquet', () => {
    const p = problemsOf(() => scenarioFor('llama2-70b/offline', { dataset: 'data/open_orca.pkl' }));
    expect(p).toHaveLength(1);
    expect(p[0]!.where).toBe('--dataset');
    expect(p[0]!.message).toMatch(/pandas pickle/);
    expect(p[0]!.hint).toContain(`python3 -c "import pandas as pd; pd.read_pickle('data/open_orca.pkl').to_parquet('data/open_orca.parquet')"`);
  });

  it('a bad --dataset-column is reported with the other problems', () => {
    const p = problemsOf(() => resolveCli('llama2-70b/offline', { dataset: 'x.parquet', datasetColumn: ['tokens=x'], mlperfRound: '7' }));
    expect(p.map((x) => x.where)).toEqual(['--dataset-column "tokens=x"', '--mlperf-round']);
  });
});
