import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import {
  cStrtod,
  cStrtoull,
  effectiveLoadgenSettings,
  loadLoadgenConfs,
  loadgenNames,
  loadgenSettingsFromScenario,
  lookupConfEntry,
  parseLoadgenConf,
  resolveLoadgenConf,
} from '../../../src/scenario/user-conf.js';
import { confSettingsToScenarioPatch } from '../../../src/scenario/conf-wiring.js';
import type { ResolvedScenario } from '../../../src/scenario/types.js';
import { requested } from './golden-inputs.js';

const parse = (text: string, file = 'user.conf') => {
  const r = parseLoadgenConf(text, file);
  return r;
};

describe('parseLoadgenConf', () => {
  it('reads keys, skips comments and blank lines, and keeps the last assignment', () => {
    const { conf, problems, warnings } = parse(
      [
        '# a comment',
        '',
        'llama2-70b.Server.target_qps = 83.5',
        '   *.Offline.min_duration = 600000   ',
        'llama2-70b.Server.target_qps = 90',
        'llama2-70b.Server.ttft_latency = 2000 # LoadGen rejects this',
      ].join('\n'),
    );
    expect(conf.entries.get('llama2-70b.Server.target_qps')).toMatchObject({ value: '90', line: 5, model: 'llama2-70b', scenario: 'Server', name: 'target_qps' });
    expect(conf.entries.get('*.Offline.min_duration')?.value).toBe('600000');
    expect(problems).toEqual([
      expect.objectContaining({ where: 'user.conf:6', message: "value needs to be integer or double, got '#'" }),
    ]);
    expect(warnings).toEqual([]);
  });

  it('names file:line for every line LoadGen rejects or silently ignores', () => {
    const { problems } = parse(
      [
        'llama2-70b.Server.target_qps=10', // no spaces: one token, LoadGen ignores it
        '#comment without a space after the hash', // LoadGen: expected 'key=value'
        'llama2-70b.Server.min_duration = ten',
        'llama2-70b.Server.min_query_count =',
        'target_qps = 5',
        'llama2-70b.Server.max_duration',
      ].join('\r\n'),
      'my.conf',
    );
    expect(problems.map((p) => p.where)).toEqual(['my.conf:1', 'my.conf:2', 'my.conf:3', 'my.conf:4', 'my.conf:5', 'my.conf:6']);
    expect(problems[0]!.hint).toContain("spaces around '='");
    expect(problems[1]!.hint).toContain("lone '#'");
    expect(problems[4]!.message).toContain('model.scenario.key');
  });

  it('warns about keys and scenarios LoadGen never reads, with a suggestion', () => {
    const { warnings } = parse('llama2-70b.Server.tarqet_qps = 1\nllama2-70b.Interactive.target_qps = 1\n');
    expect(warnings[0]).toMatchObject({ where: 'user.conf:1', hint: "did you mean 'target_qps'?" });
    expect(warnings[1]!.message).toContain("'Interactive' is not a LoadGen scenario");
  });

  it('accepts the number forms C accepts', () => {
    const { problems } = parse('a.Server.min_query_count = 0x10\na.Server.target_qps = 1e3\na.Server.target_qps = .5\n');
    expect(problems).toEqual([]);
  });
});

describe('lookupConfEntry: LoadGen lookup order', () => {
  const conf = parse(
    ['*.*.min_duration = 4', 'm.*.min_duration = 3', '*.Server.min_duration = 2', 'm.Server.min_duration = 1'].join('\n'),
  ).conf;

  it('prefers model.scenario, then *.scenario, then model.*, then *.*', () => {
    expect(lookupConfEntry(conf, 'm', 'Server', 'min_duration')).toMatchObject({ level: 'model.scenario', entry: { value: '1' } });
    expect(lookupConfEntry(conf, 'other', 'Server', 'min_duration')).toMatchObject({ level: '*.scenario', entry: { value: '2' } });
    expect(lookupConfEntry(conf, 'm', 'Offline', 'min_duration')).toMatchObject({ level: 'model.*', entry: { value: '3' } });
    expect(lookupConfEntry(conf, 'other', 'Offline', 'min_duration')).toMatchObject({ level: '*.*', entry: { value: '4' } });
    expect(lookupConfEntry(conf, 'm', 'Server', 'max_duration')).toBeUndefined();
  });

  it('does not let *.scenario beat an exact model match even when written later', () => {
    const c = parse('m.Server.target_qps = 5\n*.Server.target_qps = 9\n').conf;
    expect(lookupConfEntry(c, 'm', 'Server', 'target_qps')?.entry.value).toBe('5');
  });
});

describe('resolveLoadgenConf: mlperf.conf then user.conf', () => {
  const mlperf = parse(
    [
      'llama2-70b.*.performance_sample_count_override = 24576',
      '*.*.qsl_rng_seed = 2465351861681999779',
      '*.*.sample_index_rng_seed = 14276810075590677512',
      '*.*.schedule_rng_seed = 3936089224930324775',
      'llama2-70b.*.sample_concatenate_permutation = 1',
      '*.Server.min_duration = 600000',
      'llama2-70b.Server.ttft_latency = 2000',
      'llama2-70b.Server.tpot_latency = 200',
      'llama2-70b-interactive.Server.ttft_latency = 450',
      'llama2-70b-interactive.Server.tpot_latency = 40',
      '*.Server.target_qps = 1.0',
      '*.Offline.target_qps = 1.0',
      'llama2-70b.Offline.min_query_count = 24576',
    ].join('\n'),
    'mlperf.conf',
  ).conf;

  it('layers user.conf over mlperf.conf even when user.conf matches less exactly', () => {
    const user = parse('*.*.min_duration = 120000\nllama2-70b.Server.target_qps = 83.5\n').conf;
    const { settings } = resolveLoadgenConf([mlperf, user], 'llama2-70b', 'Server');
    expect(settings.minDurationMs).toMatchObject({ value: 120000, where: 'user.conf:1', level: '*.*' });
    expect(settings.targetQps).toMatchObject({ value: 83.5, where: 'user.conf:2' });
    expect(settings.ttftP99Ms?.value).toBe(2000);
    expect(settings.equalIssue?.value).toBe(true);
    expect(settings.performanceSampleCount?.value).toBe(24576);
  });

  it('keeps 64-bit seeds exact', () => {
    const { settings } = resolveLoadgenConf([mlperf], 'llama2-70b', 'Server');
    expect(settings.seeds.sampleIndex?.value).toBe('14276810075590677512');
    expect(settings.seeds.qsl?.value).toBe('2465351861681999779');
  });

  it('maps Interactive to <model>-interactive under Server', () => {
    const names = loadgenNames('llama2-70b', 'interactive');
    expect(names).toEqual({ model: 'llama2-70b-interactive', scenario: 'Server' });
    const { settings } = resolveLoadgenConf([mlperf], names.model, names.scenario);
    expect([settings.ttftP99Ms?.value, settings.tpotP99Ms?.value]).toEqual([450, 40]);
  });

  it('reads ttft/tpot from the Server keys in an Offline run, and Offline keys for the rest', () => {
    const user = parse('llama2-70b.Offline.target_qps = 93\n').conf;
    const { settings } = resolveLoadgenConf([mlperf, user], 'llama2-70b', 'Offline');
    expect(settings.ttftP99Ms?.value).toBe(2000);
    expect(settings.targetQps?.value).toBe(93);
    expect(settings.minQueryCount?.value).toBe(24576);
    expect(settings.minDurationMs).toBeUndefined(); // only *.Server.min_duration is set
  });

  it("reads integers as LoadGen's strtoull does, and says when that loses something", () => {
    const user = parse('llama2-70b.Server.min_query_count = 1.5\nllama2-70b.Server.max_query_count = 010\n').conf;
    const { settings, warnings } = resolveLoadgenConf([user], 'llama2-70b', 'Server');
    expect(settings.minQueryCount?.value).toBe(1);
    expect(settings.maxQueryCount?.value).toBe(8); // octal
    expect(warnings.map((w) => w.where)).toEqual(['user.conf:1']);
  });

  it('turns the result into ResolvedScenario fields with their file:line', () => {
    const user = parse('llama2-70b.Server.target_qps = 83.5\n').conf;
    const patch = confSettingsToScenarioPatch(resolveLoadgenConf([mlperf, user], 'llama2-70b', 'Server').settings);
    expect(patch).toContainEqual({ path: 'load.targetQps', value: 83.5, where: 'user.conf:1' });
    expect(patch).toContainEqual({ path: 'constraints.tpotP99Ms', value: 200, where: 'mlperf.conf:8' });
    expect(patch).toContainEqual({ path: 'seeds.schedule', value: '3936089224930324775', where: 'mlperf.conf:4' });
    expect(patch).toContainEqual({ path: 'run.equalIssue', value: true, where: 'mlperf.conf:5' });
  });
});

describe('loadLoadgenConfs', () => {
  it('uses the built-in v6.0 mlperf.conf subset when none is given', () => {
    const { settings } = loadLoadgenConfs({
      benchmark: 'gpt-oss-120b',
      scenario: 'interactive',
      userConfs: [{ path: 'user.conf', text: 'gpt-oss-120b-interactive.Server.target_qps = 12\n' }],
    });
    expect(settings.model).toBe('gpt-oss-120b-interactive');
    expect([settings.ttftP99Ms?.value, settings.tpotP99Ms?.value]).toEqual([2000, 15]);
    expect(settings.accuracySampleCount?.value).toBe(4395);
    expect(settings.targetQps?.value).toBe(12);
    expect(settings.minDurationMs?.value).toBe(600_000);
  });

  it('throws one ConfigError listing every bad line of every file', () => {
    let caught: unknown;
    try {
      loadLoadgenConfs({
        benchmark: 'llama2-70b',
        scenario: 'server',
        userConfs: [
          { path: 'a.conf', text: 'x.Server.target_qps=1\n' },
          { path: 'b.conf', text: '\n\nx.Server.min_duration = soon\n' },
        ],
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.where)).toEqual(['a.conf:1', 'b.conf:3']);
  });

  it('warns, as LoadGen does, when several user confs are loaded', () => {
    const { warnings } = loadLoadgenConfs({
      benchmark: 'llama2-70b',
      scenario: 'server',
      userConfs: [
        { path: 'a.conf', text: '' },
        { path: 'b.conf', text: '' },
      ],
    });
    expect(warnings.map((w) => w.message)).toContain('Multiple conf files are used. This is not valid for official submission.');
  });
});

describe('effectiveLoadgenSettings', () => {
  const qsl = { performanceSampleCount: 24_576, totalSampleCount: 24_576 };

  it('Offline: one query of max(min_query_count, ⌊1.1 × min_duration_s × target_qps⌋)', () => {
    // values from real logs: AMD v6.0 (5016000), AMD v5.1 (245520), AMD v6.0 gpt-oss (541200)
    const e = (qps: number, minDurationMs: number, minQueryCount: number) =>
      effectiveLoadgenSettings(requested({ scenario: 'Offline', targetQps: qps, minDurationMs, minQueryCount }), qsl);
    expect(e(3800, 1_200_000, 24_576).samplesPerQuery).toBe(5_016_000);
    expect(e(93, 2_400_000, 24_576).samplesPerQuery).toBe(245_520);
    expect(e(820, 600_000, 100).samplesPerQuery).toBe(541_200);
    // a slow system: the min_query_count floor wins
    const slow = e(10, 600_000, 24_576);
    expect(slow.samplesPerQuery).toBe(24_576);
    expect([slow.minQueryCount, slow.minSampleCount, slow.targetDurationMs, slow.maxAsyncQueries]).toEqual([1, 24_576, 0, 1]);
  });

  it('Server: one sample per query, target duration = min duration', () => {
    const e = effectiveLoadgenSettings(requested({ minQueryCount: 100, minDurationMs: 600_000 }), qsl);
    expect([e.samplesPerQuery, e.minSampleCount, e.targetDurationMs]).toEqual([1, 100, 600_000]);
  });

  it('takes the QSL counts unless overridden', () => {
    const e = effectiveLoadgenSettings(requested({ performanceSampleCountOverride: 0, accuracySampleCountOverride: 4395 }), {
      performanceSampleCount: 6396,
      totalSampleCount: 9000,
    });
    expect([e.performanceSampleCount, e.accuracySampleCount]).toEqual([6396, 4395]);
  });
});

describe('C number parsing', () => {
  it('strtoull: bases, prefixes, wrap and saturation', () => {
    expect(cStrtoull('42')).toBe(42n);
    expect(cStrtoull('0x1F')).toBe(31n);
    expect(cStrtoull('017')).toBe(15n);
    expect(cStrtoull('12abc')).toBe(12n);
    expect(cStrtoull('-1')).toBe(2n ** 64n - 1n);
    expect(cStrtoull('99999999999999999999999')).toBe(2n ** 64n - 1n);
  });

  it('strtod: prefixes and specials', () => {
    expect(cStrtod('1.5e3x')).toBe(1500);
    expect(cStrtod('0x1p4')).toBe(16);
    expect(cStrtod('-inf')).toBe(-Infinity);
    expect(cStrtod('abc')).toBe(0);
  });
});

describe('loadgenSettingsFromScenario', () => {
  const scenario = (kind: ResolvedScenario['scenario'], over: Partial<ResolvedScenario['run']> = {}): ResolvedScenario => ({
    name: `llama2-70b/${kind}`,
    benchmark: 'llama2-70b',
    scenario: kind,
    load: { pattern: kind === 'offline' ? 'offline' : 'poisson', targetQps: 3650, burstiness: 1, maxConcurrency: null },
    run: {
      mode: 'performance',
      minDurationMs: 1_200_000,
      maxDurationMs: 0,
      minQueryCount: kind === 'offline' ? 24_576 : 100,
      samples: null,
      equalIssue: true,
      warmupRequests: 0,
      requestTimeoutMs: 600_000,
      idleTimeoutMs: 60_000,
      firstTokenTimeoutMs: null,
      drainTimeoutMs: 60_000,
      graceMs: 5_000,
      retries: 0,
      ...over,
    },
    dataset: {
      source: 'synthetic',
      path: null,
      size: 24_576,
      tokenizer: 'llama2',
      inputTokens: { kind: 'fixed', value: 100 },
      outputTokens: { kind: 'fixed', value: 300 },
    },
    request: {
      api: 'completions',
      model: null,
      maxTokens: 1024,
      ignoreEos: false,
      temperature: null,
      topP: null,
      topK: null,
      stream: true,
      promptFormat: 'ids',
      continuousUsage: false,
      reasoningEffort: null,
      headers: {},
      extraBody: {},
    },
    constraints: kind === 'interactive' ? { ttftP99Ms: 450, tpotP99Ms: 40 } : { ttftP99Ms: 2000, tpotP99Ms: 200 },
    seeds: { qsl: '2465351861681999779', sampleIndex: '14276810075590677512', schedule: '3936089224930324775' },
    thresholds: [],
    endpoints: [],
    origins: {},
  });

  it('gives the Test Parameters of the real v6.0 Server log for the same scenario', () => {
    const s = loadgenSettingsFromScenario(scenario('server'));
    expect(s.model).toBe('llama2-70b');
    expect(s.effective).toMatchObject({
      scenario: 'Server',
      samplesPerQuery: 1,
      targetQps: 3650,
      ttftLatencyNs: 2_000_000_000,
      tpotLatencyNs: 200_000_000,
      maxAsyncQueries: 0,
      minDurationMs: 1_200_000,
      minQueryCount: 100,
      performanceSampleCount: 24_576,
      sampleConcatenatePermutation: true,
    });
  });

  it('maps Interactive and Offline', () => {
    const i = loadgenSettingsFromScenario(scenario('interactive'));
    expect([i.model, i.effective.scenario, i.effective.ttftLatencyNs, i.effective.tpotLatencyNs]).toEqual([
      'llama2-70b-interactive',
      'Server',
      450_000_000,
      40_000_000,
    ]);
    const o = loadgenSettingsFromScenario({ ...scenario('offline'), load: { pattern: 'offline', targetQps: 3800, burstiness: 1, maxConcurrency: 512 } });
    expect([o.effective.scenario, o.effective.samplesPerQuery, o.effective.minQueryCount, o.effective.maxAsyncQueries]).toEqual([
      'Offline',
      5_016_000,
      1,
      1,
    ]);
  });

  it('maps an explicit --samples count to max_query_count', () => {
    expect(loadgenSettingsFromScenario(scenario('server', { samples: 500 })).effective.maxQueryCount).toBe(500);
  });
});
