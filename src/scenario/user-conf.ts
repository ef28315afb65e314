/**
 * tokbench's keys looked up in LoadGen conf files: which `mlperf.conf` /
 * `user.conf` assignment wins for a model and scenario (LoadGen's order), read
 * as LoadGen reads it, in tokbench units. The file format is conf-parser.ts,
 * LoadGen's settings model loadgen-settings.ts, the built-in v6.0 mlperf.conf
 * text mlperf-conf.ts; they are re-exported here for the modules that import
 * them from this file.
 */
import { ConfigError, type Problem } from '../errors.js';
import type { BenchmarkName, ScenarioKind } from './types.js';
import { C_INTEGER_TOKEN, cStrtod, cStrtoull, lookupConfEntry, parseLoadgenConf, type ConfEntry, type ConfLookupLevel, type ParsedConf } from './conf-parser.js';
import { loadgenNames, type LoadgenScenario } from './loadgen-settings.js';
import { MLPERF_CONF_V6_0_LLM } from './mlperf-conf.js';

export * from './conf-parser.js';
export * from './loadgen-settings.js';
export * from './mlperf-conf.js';


/** A value read from a conf file, with where it came from. */
export interface ConfValue<T> {
  value: T;
  /** `file:line` of the assignment that won */
  where: string;
  /** the key as written there, e.g. `*.Server.min_duration` */
  key: string;
  level: ConfLookupLevel;
}

/** The conf keys tokbench maps, in tokbench units (ms, counts, decimal-string seeds). */
export interface LoadgenConfSettings {
  model: string;
  scenario: LoadgenScenario;
  /** Server: `Server.target_qps`; Offline: `Offline.target_qps` (expected QPS) */
  targetQps?: ConfValue<number>;
  minDurationMs?: ConfValue<number>;
  maxDurationMs?: ConfValue<number>;
  minQueryCount?: ConfValue<number>;
  maxQueryCount?: ConfValue<number>;
  performanceSampleCount?: ConfValue<number>;
  accuracySampleCount?: ConfValue<number>;
  /** Server.max_async_queries (0 = unlimited) */
  maxAsyncQueries?: ConfValue<number>;
  /** `Server.ttft_latency` in ms, read from the Server keys whatever the scenario (LoadGen does) */
  ttftP99Ms?: ConfValue<number>;
  tpotP99Ms?: ConfValue<number>;
  /** Server.target_latency_percentile as a fraction (conf gives percent) */
  targetLatencyPercentile?: ConfValue<number>;
  seeds: { qsl?: ConfValue<string>; sampleIndex?: ConfValue<string>; schedule?: ConfValue<string> };
  equalIssue?: ConfValue<boolean>;
  useTokenLatencies?: ConfValue<boolean>;
  mode?: ConfValue<'performance' | 'accuracy'>;
}

export interface ConfFileText {
  path: string;
  text: string;
}

export interface ConfResolution {
  settings: LoadgenConfSettings;
  warnings: Problem[];
}
/**
 * Resolve the keys tokbench maps for one model and scenario, LoadGen style:
 * each file is looked up on its own (exact, `*.scenario`, `model.*`, `*.*`), and
 * a later file's hit replaces an earlier one. Pass mlperf.conf first, then
 * user.conf, as LoadGen loads them.
 */
export function resolveLoadgenConf(confs: readonly ParsedConf[], model: string, scenario: LoadgenScenario): ConfResolution {
  const warnings: Problem[] = [];
  const settings: LoadgenConfSettings = { model, scenario, seeds: {} };

  const find = (scen: string, name: string): { entry: ConfEntry; level: ConfLookupLevel } | undefined => {
    let hit: { entry: ConfEntry; level: ConfLookupLevel } | undefined;
    for (const conf of confs) hit = lookupConfEntry(conf, model, scen, name) ?? hit;
    return hit;
  };
  const wrap = <T>(hit: { entry: ConfEntry; level: ConfLookupLevel }, value: T): ConfValue<T> => ({
    value,
    where: `${hit.entry.file}:${hit.entry.line}`,
    key: hit.entry.key,
    level: hit.level,
  });
  /** An integer key read with strtoull; warns when LoadGen's reading drops part of what was written. */
  const integer = (scen: string, name: string): ConfValue<number> | undefined => {
    const hit = find(scen, name);
    if (!hit) return undefined;
    const v = cStrtoull(hit.entry.value);
    if (!C_INTEGER_TOKEN.test(hit.entry.value) || hit.entry.value.startsWith('-')) {
      warnings.push({
        where: `${hit.entry.file}:${hit.entry.line}`,
        message: `LoadGen reads ${hit.entry.key} = ${hit.entry.value} as the integer ${v}`,
        hint: 'write a whole non-negative number',
      });
    }
    return wrap(hit, Number(v));
  };
  const seed = (name: string): ConfValue<string> | undefined => {
    const hit = find(scenario, name);
    return hit ? wrap(hit, cStrtoull(hit.entry.value).toString()) : undefined;
  };
  const flag = (scen: string, name: string): ConfValue<boolean> | undefined => {
    const hit = integer(scen, name);
    return hit ? { ...hit, value: hit.value !== 0 } : undefined;
  };
  const real = (scen: string, name: string, multiplier = 1): ConfValue<number> | undefined => {
    const hit = find(scen, name);
    return hit ? wrap(hit, cStrtod(hit.entry.value) * multiplier) : undefined;
  };
  const assign = <K extends keyof LoadgenConfSettings>(k: K, v: LoadgenConfSettings[K] | undefined): void => {
    if (v !== undefined) settings[k] = v;
  };

  assign('targetQps', real(scenario, 'target_qps'));
  assign('minDurationMs', integer(scenario, 'min_duration'));
  assign('maxDurationMs', integer(scenario, 'max_duration'));
  assign('minQueryCount', integer(scenario, 'min_query_count'));
  assign('maxQueryCount', integer(scenario, 'max_query_count'));
  assign('performanceSampleCount', integer(scenario, 'performance_sample_count_override'));
  assign('accuracySampleCount', integer(scenario, 'accuracy_sample_count_override'));
  if (scenario === 'Server') {
    assign('maxAsyncQueries', integer('Server', 'max_async_queries'));
  }
  // Token limits are always read from the Server keys (reference/mlperf.md §3.5).
  assign('ttftP99Ms', integer('Server', 'ttft_latency'));
  assign('tpotP99Ms', integer('Server', 'tpot_latency'));
  assign('targetLatencyPercentile', real('Server', 'target_latency_percentile', 0.01));
  const qsl = seed('qsl_rng_seed');
  const sampleIndex = seed('sample_index_rng_seed');
  const schedule = seed('schedule_rng_seed');
  if (qsl) settings.seeds.qsl = qsl;
  if (sampleIndex) settings.seeds.sampleIndex = sampleIndex;
  if (schedule) settings.seeds.schedule = schedule;
  assign('equalIssue', flag(scenario, 'sample_concatenate_permutation'));
  assign('useTokenLatencies', flag(scenario, 'use_token_latencies'));
  readMode(settings, integer(scenario, 'mode'), warnings);
  if (settings.useTokenLatencies && !settings.useTokenLatencies.value) {
    warnings.push({
      where: settings.useTokenLatencies.where,
      message: 'use_token_latencies = 0: tokbench always measures TTFT and TPOT, as the LLM benchmarks require',
    });
  }
  return { settings, warnings };
}

/** LoadGen's mode: 0 SubmissionRun, 1 AccuracyOnly, 2 PerformanceOnly, 3 FindPeakPerformance; tokbench runs 1 and 2. */
function readMode(settings: LoadgenConfSettings, mode: ConfValue<number> | undefined, warnings: Problem[]): void {
  if (!mode) return;
  if (mode.value === 1) settings.mode = { ...mode, value: 'accuracy' };
  else if (mode.value === 2) settings.mode = { ...mode, value: 'performance' };
  else warnings.push({ where: mode.where, message: `mode = ${mode.value} is not supported by tokbench (1 = AccuracyOnly, 2 = PerformanceOnly); ignored` });
}

/**
 * Parse mlperf.conf (or tokbench's built-in v6.0 subset when none is given) and
 * the user.conf files, and resolve them for a benchmark and scenario. Throws one
 * ConfigError listing every bad line of every file.
 */
export function loadLoadgenConfs(opts: {
  benchmark: BenchmarkName | string;
  scenario: ScenarioKind;
  mlperfConf?: ConfFileText;
  userConfs: readonly ConfFileText[];
}): ConfResolution {
  const names = loadgenNames(opts.benchmark, opts.scenario);
  const base = opts.mlperfConf ?? { path: '<built-in mlperf.conf v6.0 subset>', text: MLPERF_CONF_V6_0_LLM };
  const parsed = [base, ...opts.userConfs].map((f) => parseLoadgenConf(f.text, f.path));
  const problems = parsed.flatMap((p) => p.problems);
  if (problems.length > 0) throw new ConfigError(problems, 'invalid LoadGen conf');
  const resolution = resolveLoadgenConf(
    parsed.map((p) => p.conf),
    names.model,
    names.scenario,
  );
  const warnings = [...parsed.flatMap((p) => p.warnings), ...resolution.warnings];
  if (opts.userConfs.length > 1) {
    // LoadGen's own warning when FromConfig loads more than one user conf.
    warnings.push({
      where: opts.userConfs.map((f) => f.path).join(', '),
      message: 'Multiple conf files are used. This is not valid for official submission.',
    });
  }
  return { settings: resolution.settings, warnings };
}
