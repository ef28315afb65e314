/**
 * --mlperf-conf / --user-conf as layers of scenario resolution
 * (src/scenario/conf-wiring.ts): LoadGen's lookup per level, file order, and
 * where the layers sit among tokbench's (defaults < profile < mlperf.conf <
 * scenario file < user.conf < env < flags).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveScenario, type ScenarioFlags } from '../../../src/scenario/resolve.js';
import { ConfigError, type Problem } from '../../../src/errors.js';

function resolveWith(scenario: string, confs: { user?: string[]; mlperf?: string }, flags: ScenarioFlags = {}, cwd = process.cwd(), env: NodeJS.ProcessEnv = {}) {
  const warnings: Problem[] = [];
  const s = resolveScenario({
    scenario,
    flags,
    env,
    cwd,
    loadgenConfs: {
      userConfs: (confs.user ?? []).map((text, i) => ({ path: `user${i + 1}.conf`, text })),
      ...(confs.mlperf === undefined ? {} : { mlperfConf: { path: 'mlperf.conf', text: confs.mlperf } }),
      onWarning: (p) => warnings.push(p),
    },
  });
  return { s, warnings };
}

describe('lookup levels (test_settings_internal.cc FromConfig)', () => {
  const all = [
    'llama2-70b.Server.target_qps = 11',
    '*.Server.target_qps = 12',
    'llama2-70b.*.target_qps = 13',
    '*.*.target_qps = 14',
  ];
  it('model.scenario.key first', () => {
    expect(resolveWith('llama2-70b/server', { user: [all.join('\n')] }).s.load.targetQps).toBe(11);
  });
  it('then *.scenario.key', () => {
    expect(resolveWith('llama2-70b/server', { user: [all.slice(1).join('\n')] }).s.load.targetQps).toBe(12);
  });
  it('then model.*.key', () => {
    expect(resolveWith('llama2-70b/server', { user: [all.slice(2).join('\n')] }).s.load.targetQps).toBe(13);
  });
  it('then *.*.key', () => {
    expect(resolveWith('llama2-70b/server', { user: [all.slice(3).join('\n')] }).s.load.targetQps).toBe(14);
  });
  it('another model or scenario does not match', () => {
    const { s } = resolveWith('llama2-70b/server', { user: ['gpt-oss-120b.Server.target_qps = 3\nllama2-70b.Offline.target_qps = 4\n'] }, { targetQps: 1 });
    expect(s.load.targetQps).toBe(1);
  });
  it('Offline reads the Offline keys (expected QPS) and the Server ttft/tpot keys', () => {
    const { s } = resolveWith('gpt-oss-120b/offline', { user: ['gpt-oss-120b.Offline.target_qps = 820\n*.Server.ttft_latency = 2500\n'] });
    expect(s.load.targetQps).toBe(820);
    expect(s.constraints.ttftP99Ms).toBe(2500);
  });
  it('Interactive looks up <model>-interactive under Server', () => {
    const conf = 'gpt-oss-120b.Server.tpot_latency = 70\ngpt-oss-120b-interactive.Server.tpot_latency = 12\n';
    expect(resolveWith('gpt-oss-120b/interactive', { user: [conf] }).s.constraints.tpotP99Ms).toBe(12);
    expect(resolveWith('gpt-oss-120b/server', { user: [conf] }).s.constraints.tpotP99Ms).toBe(70);
  });
});

describe('files and layers', () => {
  it('a later user.conf wins whatever its level, with LoadGen\'s warning', () => {
    const { s, warnings } = resolveWith('llama2-70b/server', { user: ['llama2-70b.Server.min_duration = 120000', '*.*.min_duration = 30000'] });
    expect(s.run.minDurationMs).toBe(30000);
    expect(s.origins['run.minDurationMs']).toBe('user.conf');
    expect(warnings.map((w) => w.message)).toContain('Multiple conf files are used. This is not valid for official submission.');
  });

  it('every mapped key: counts, seeds, limits, equal issue, max_async_queries, max_query_count, mode', () => {
    const { s } = resolveWith('llama2-70b/server', {
      user: [
        [
          '*.Server.min_query_count = 500',
          '*.Server.max_duration = 900000',
          '*.Server.max_query_count = 2000',
          '*.Server.max_async_queries = 64',
          '*.*.performance_sample_count_override = 1024',
          '*.*.schedule_rng_seed = 42',
          '*.*.sample_concatenate_permutation = 0',
          '*.Server.ttft_latency = 1000',
          '*.*.mode = 1',
        ].join('\n'),
      ],
    });
    expect(s.run.minQueryCount).toBe(500);
    expect(s.run.maxDurationMs).toBe(900000);
    expect(s.run.samples).toBe(2000);
    expect(s.load.maxConcurrency).toBe(64);
    expect(s.dataset.size).toBe(1024);
    expect(s.seeds.schedule).toBe('42');
    expect(s.run.equalIssue).toBe(false);
    expect(s.constraints.ttftP99Ms).toBe(1000);
    expect(s.run.mode).toBe('accuracy');
  });

  it('user.conf sits above the scenario file and below the environment and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokbench-conf-layer-'));
    writeFileSync(join(dir, 's.yaml'), 'schemaVersion: 1\nextends: llama2-70b/server\nload: {targetQps: 5}\nrun: {minDurationMs: 1000, minQueryCount: 7}\n');
    const conf = '*.Server.target_qps = 6\n*.Server.min_duration = 2000\n';
    const { s } = resolveWith('s.yaml', { user: [conf] }, {}, dir);
    expect(s.load.targetQps).toBe(6);
    expect(s.origins['load.targetQps']).toBe('user.conf');
    expect(s.run.minDurationMs).toBe(2000);
    expect(s.run.minQueryCount).toBe(7); // not in the conf: the file's value
    expect(s.origins['run.minQueryCount']).toBe('file');
    const flagged = resolveWith('s.yaml', { user: [conf] }, { targetQps: 9, durationMs: 3000 }, dir).s;
    expect(flagged.load.targetQps).toBe(9);
    expect(flagged.run.minDurationMs).toBe(3000);
  });

  it('--mlperf-conf sits above the profile and below the scenario file; its target_qps placeholder is skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokbench-conf-layer-'));
    writeFileSync(join(dir, 's.yaml'), 'schemaVersion: 1\nextends: llama2-70b/server\nrun: {minDurationMs: 1000}\n');
    const mlperf = '*.Server.min_duration = 600000\n*.Server.min_query_count = 270336\nllama2-70b.Server.tpot_latency = 150\n*.Server.target_qps = 1.0\n';
    const { s } = resolveWith('s.yaml', { mlperf }, {}, dir);
    expect(s.run.minDurationMs).toBe(1000); // the file wins
    expect(s.run.minQueryCount).toBe(270336);
    expect(s.origins['run.minQueryCount']).toBe('mlperf.conf');
    expect(s.constraints.tpotP99Ms).toBe(150);
    expect(s.load.targetQps).toBeNull();
  });

  it('problems name file:line, for every file at once', () => {
    let err: unknown;
    try {
      resolveWith('llama2-70b/server', { mlperf: 'x.Server.target_qps = fast\n', user: ['*.Server.target_qps=3\n'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.where)).toEqual(['mlperf.conf:1', 'user1.conf:1']);
  });

  it('a value the scenario rejects points at the conf line that set it', () => {
    let err: unknown;
    try {
      resolveWith('llama2-70b/server', { user: ['# tuned\n*.Server.target_qps = -2\n'] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems[0]!.where).toBe('user1.conf:2 (load.targetQps)');
  });

  it('unknown keys and scenarios are warnings, with suggestions', () => {
    const { warnings } = resolveWith('llama2-70b/server', { user: ['*.Server.tarqet_qps = 3\n*.Interactive.target_qps = 3\n'] });
    expect(warnings.map((w) => w.where)).toEqual(['user1.conf:1', 'user1.conf:2']);
  });
});
