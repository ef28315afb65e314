/**
 * LoadGen TestSettings for tokbench: the `mlperf.conf` / `user.conf` format, the
 * lookup order LoadGen uses to resolve a key, and the "effective" settings LoadGen
 * derives from the requested ones (Offline's coalesced query, min_sample_count…).
 *
 * Sources (reference/mlperf.md §3.1, §3.2, §3.5): `inference:
 * loadgen/test_settings_internal.cc` (`TestSettings::FromConfig`, the
 * `TestSettingsInternal` constructor) and `loadgen/mlperf.conf`.
 *
 * The parser mirrors LoadGen's "dirt simple config parser" token for token, so a
 * file means the same thing here as there. Where LoadGen silently ignores a line
 * that cannot have been meant (`key=value` without spaces, a key with no value),
 * tokbench reports it as an error naming `file:line`: a user who tunes a
 * user.conf with tokbench must not be surprised by LoadGen later.
 */
import { ConfigError, didYouMean, type Problem } from '../errors.js';
import type { BenchmarkName, ResolvedScenario, ScenarioKind } from './types.js';

// ─── LoadGen settings ────────────────────────────────────────────────────────

/** LoadGen's scenario: Interactive is Server under a `-interactive` model name. */
export type LoadgenScenario = 'Server' | 'Offline';
export type LoadgenMode = 'PerformanceOnly' | 'AccuracyOnly' | 'SubmissionRun' | 'FindPeakPerformance';

/** LoadGen's `TestSettings` as requested (user.conf values, times converted as LoadGen does). */
export interface LoadgenRequestedSettings {
  scenario: LoadgenScenario;
  mode: LoadgenMode;
  /** Server: server_target_qps (Poisson rate); Offline: offline_expected_qps (sizes the query) */
  targetQps: number;
  /** server_target_latency_ns: 0 for LLMs (only TTFT/TPOT are constrained) */
  targetLatencyNs: number;
  /** server_target_latency_percentile (0.99) */
  targetLatencyPercentile: number;
  /** server_max_async_queries; 0 = unlimited */
  maxAsyncQueries: number;
  serverCoalesceQueries: boolean;
  serverFindPeakQpsDecimalsOfPrecision: number;
  serverFindPeakQpsBoundaryStepSize: number;
  serverNumIssueQueryThreads: number;
  minDurationMs: number;
  /** 0 = none */
  maxDurationMs: number;
  minQueryCount: number;
  /** 0 = none */
  maxQueryCount: number;
  /** unsigned 64-bit seeds as decimal strings */
  seeds: { qsl: string; sampleIndex: string; schedule: string };
  accuracyLogRngSeed: string;
  accuracyLogProbability: number;
  accuracyLogSamplingTarget: number;
  printTimestamps: boolean;
  performanceIssueUnique: boolean;
  performanceIssueSame: boolean;
  performanceIssueSameIndex: number;
  /** 0 = use the QSL's performance sample count */
  performanceSampleCountOverride: number;
  /** 0 = use the QSL's total count */
  accuracySampleCountOverride: number;
  /** equal-issue mode */
  sampleConcatenatePermutation: boolean;
  useTokenLatencies: boolean;
  /** p99 TTFT limit (ns); null when the benchmark has none (custom scenarios) */
  ttftLatencyNs: number | null;
  /** p99 TPOT limit (ns); null when the benchmark has none */
  tpotLatencyNs: number | null;
}

/** What LoadGen actually runs with (`TestSettingsInternal`), logged as `effective_*`. */
export interface LoadgenEffectiveSettings {
  scenario: LoadgenScenario;
  mode: LoadgenMode;
  /** Offline: the size of the one coalesced query (before equal-issue padding); Server: 1 */
  samplesPerQuery: number;
  targetQps: number;
  targetLatencyNs: number;
  targetLatencyPercentile: number;
  /** Offline: 1 (one query); Server: server_max_async_queries */
  maxAsyncQueries: number;
  /** Server: min_duration; Offline: 0 */
  targetDurationMs: number;
  minDurationMs: number;
  maxDurationMs: number;
  /** Offline: forced to 1 */
  minQueryCount: number;
  maxQueryCount: number;
  /** min_query_count × samples_per_query */
  minSampleCount: number;
  seeds: { qsl: string; sampleIndex: string; schedule: string };
  accuracyLogRngSeed: string;
  accuracyLogProbability: number;
  accuracyLogSamplingTarget: number;
  printTimestamps: boolean;
  performanceIssueUnique: boolean;
  performanceIssueSame: boolean;
  performanceIssueSameIndex: number;
  performanceSampleCount: number;
  accuracySampleCount: number;
  sampleConcatenatePermutation: boolean;
  useTokenLatencies: boolean;
  ttftLatencyNs: number | null;
  tpotLatencyNs: number | null;
}

export interface LoadgenSettings {
  /** LoadGen model name (`llama2-70b`, `gpt-oss-120b-interactive`…) */
  model: string;
  requested: LoadgenRequestedSettings;
  effective: LoadgenEffectiveSettings;
}

/** The QSL's own counts (LoadGen asks the QSL when no override is set). */
export interface QslCounts {
  /** samples loadable for performance mode (QSL PerformanceSampleCount) */
  performanceSampleCount: number;
  /** all samples in the dataset (QSL TotalSampleCount) */
  totalSampleCount: number;
}

/** LoadGen's Offline slack factor (test_settings_internal.cc `kSlack`). */
export const OFFLINE_SLACK = 1.1;

/**
 * The effective settings, exactly as the `TestSettingsInternal` constructor
 * derives them (reference/mlperf.md §1.1): Offline coalesces everything into one
 * query of max(min_query_count, ⌊1.1 × min_duration_s × target_qps⌋) samples, then
 * forces min_query_count = 1 and target_duration = 0.
 */
export function effectiveLoadgenSettings(req: LoadgenRequestedSettings, qsl: QslCounts): LoadgenEffectiveSettings {
  const performanceSampleCount =
    req.performanceSampleCountOverride === 0 ? qsl.performanceSampleCount : req.performanceSampleCountOverride;
  const accuracySampleCount = req.accuracySampleCountOverride === 0 ? qsl.totalSampleCount : req.accuracySampleCountOverride;
  let samplesPerQuery = 1;
  let minQueryCount = req.minQueryCount;
  let targetDurationMs = req.minDurationMs;
  if (req.scenario === 'Offline') {
    // Same operation order as C++ (`kSlack * DurationToSeconds(target_duration) * target_qps`), then uint64 truncation.
    const targetSampleCount = Math.trunc(OFFLINE_SLACK * (req.minDurationMs / 1000) * req.targetQps);
    samplesPerQuery =
      req.performanceIssueUnique || req.performanceIssueSame
        ? performanceSampleCount
        : Math.max(req.minQueryCount, targetSampleCount);
    minQueryCount = 1;
    targetDurationMs = 0;
  }
  return {
    scenario: req.scenario,
    mode: req.mode,
    samplesPerQuery,
    targetQps: req.targetQps,
    targetLatencyNs: req.scenario === 'Server' ? req.targetLatencyNs : 0,
    // Offline: "not used … set it to 0.99 anyway to avoid garbage value"
    targetLatencyPercentile: req.scenario === 'Server' ? req.targetLatencyPercentile : 0.99,
    maxAsyncQueries: req.scenario === 'Server' ? req.maxAsyncQueries : 1,
    targetDurationMs,
    minDurationMs: req.minDurationMs,
    maxDurationMs: req.maxDurationMs,
    minQueryCount,
    maxQueryCount: req.maxQueryCount,
    minSampleCount: minQueryCount * samplesPerQuery,
    seeds: { ...req.seeds },
    accuracyLogRngSeed: req.accuracyLogRngSeed,
    accuracyLogProbability: req.accuracyLogProbability,
    accuracyLogSamplingTarget: req.accuracyLogSamplingTarget,
    printTimestamps: req.printTimestamps,
    performanceIssueUnique: req.performanceIssueUnique,
    performanceIssueSame: req.performanceIssueSame,
    performanceIssueSameIndex: req.performanceIssueSameIndex,
    performanceSampleCount,
    accuracySampleCount,
    sampleConcatenatePermutation: req.sampleConcatenatePermutation,
    useTokenLatencies: req.useTokenLatencies,
    ttftLatencyNs: req.ttftLatencyNs,
    tpotLatencyNs: req.tpotLatencyNs,
  };
}

/**
 * LoadGen's model and scenario names for a tokbench benchmark and scenario.
 * Interactive is not a LoadGen scenario: it is Server under `<model>-interactive`
 * (reference/mlperf.md §1.1; `language/llama2-70b/README.md`).
 */
export function loadgenNames(benchmark: BenchmarkName | string, scenario: ScenarioKind): { model: string; scenario: LoadgenScenario } {
  return {
    model: scenario === 'interactive' ? `${benchmark}-interactive` : benchmark,
    scenario: scenario === 'offline' ? 'Offline' : 'Server',
  };
}

const MS_TO_NS = 1_000_000;

/**
 * The LoadGen settings equivalent to a resolved tokbench scenario, for the MLPerf
 * logs and validity. tokbench's `--samples` (an explicit query count) maps to
 * max_query_count; min_query_count stays what the profile says, so a shortened
 * run is reported as INVALID exactly as LoadGen would report it.
 */
export function loadgenSettingsFromScenario(
  s: ResolvedScenario,
  opts: { qslTotalCount?: number; accuracySampleCountOverride?: number } = {},
): LoadgenSettings {
  const names = loadgenNames(s.benchmark, s.scenario);
  const requested: LoadgenRequestedSettings = {
    scenario: names.scenario,
    mode: s.run.mode === 'accuracy' ? 'AccuracyOnly' : 'PerformanceOnly',
    // mlperf.conf's placeholder when nothing sets it: `*.Server.target_qps = 1.0`
    targetQps: s.load.targetQps ?? 1,
    targetLatencyNs: 0,
    targetLatencyPercentile: 0.99,
    maxAsyncQueries: names.scenario === 'Server' ? (s.load.maxConcurrency ?? 0) : 1,
    serverCoalesceQueries: false,
    serverFindPeakQpsDecimalsOfPrecision: 1,
    serverFindPeakQpsBoundaryStepSize: 1,
    serverNumIssueQueryThreads: 0,
    minDurationMs: s.run.minDurationMs,
    maxDurationMs: s.run.maxDurationMs,
    minQueryCount: s.run.minQueryCount,
    maxQueryCount: s.run.samples ?? 0,
    seeds: { ...s.seeds },
    accuracyLogRngSeed: '0',
    accuracyLogProbability: 0,
    accuracyLogSamplingTarget: 0,
    printTimestamps: false,
    performanceIssueUnique: false,
    performanceIssueSame: false,
    performanceIssueSameIndex: 0,
    performanceSampleCountOverride: s.dataset.size,
    accuracySampleCountOverride: opts.accuracySampleCountOverride ?? 0,
    sampleConcatenatePermutation: s.run.equalIssue,
    useTokenLatencies: true,
    ttftLatencyNs: s.constraints.ttftP99Ms === null ? null : Math.round(s.constraints.ttftP99Ms * MS_TO_NS),
    tpotLatencyNs: s.constraints.tpotP99Ms === null ? null : Math.round(s.constraints.tpotP99Ms * MS_TO_NS),
  };
  const effective = effectiveLoadgenSettings(requested, {
    performanceSampleCount: s.dataset.size,
    totalSampleCount: opts.qslTotalCount ?? s.dataset.size,
  });
  return { model: names.model, requested, effective };
}

// ─── conf files ──────────────────────────────────────────────────────────────

/** One `model.scenario.key = value` assignment. */
export interface ConfEntry {
  /** the full key text, e.g. `llama2-70b.Server.target_qps` */
  key: string;
  model: string;
  scenario: string;
  name: string;
  /** the value token as written (LoadGen keeps the text and converts on lookup) */
  value: string;
  file: string;
  line: number;
}

export interface ParsedConf {
  file: string;
  /** by full key; a later assignment of the same key replaces the earlier, as in LoadGen's std::map */
  entries: Map<string, ConfEntry>;
}

export interface ConfParseResult {
  conf: ParsedConf;
  /** lines LoadGen rejects or silently ignores: fix before running */
  problems: Problem[];
  /** lines that parse but cannot matter (unknown key, unknown scenario…) */
  warnings: Problem[];
}

const LOADGEN_SCENARIO_NAMES = ['SingleStream', 'MultiStream', 'Server', 'Offline', '*'] as const;

/** Keys LoadGen's FromConfig reads (v6.0); anything else is accepted by LoadGen and never used. */
export const LOADGEN_CONF_KEYS = [
  'mode',
  'min_duration',
  'max_duration',
  'min_query_count',
  'max_query_count',
  'qsl_rng_seed',
  'sample_index_rng_seed',
  'schedule_rng_seed',
  'accuracy_log_rng_seed',
  'accuracy_log_probability',
  'accuracy_log_sampling_target',
  'print_timestamps',
  'performance_issue_unique',
  'performance_issue_same',
  'performance_issue_same_index',
  'performance_sample_count_override',
  'accuracy_sample_count_override',
  'sample_concatenate_permutation',
  'target_latency_percentile',
  'target_latency',
  'target_duration',
  'target_qps',
  'coalesce_queries',
  'max_async_queries',
  'samples_per_query',
  'use_token_latencies',
  'ttft_latency',
  'tpot_latency',
  'infer_token_latencies',
  'token_latency_scaling_factor',
  'test05',
  'test05_qsl_rng_seed',
  'test05_sample_index_rng_seed',
  'test05_schedule_rng_seed',
] as const;

/** C `strtoul(s, &end, 0)` consuming the whole token: decimal, 0x hex or 0 octal, optional sign. */
const C_INTEGER_TOKEN = /^[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
/** C `strtod` consuming the whole token (decimal, hex float, inf, nan). */
const C_DOUBLE_TOKEN =
  /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?|inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)$/i;

/**
 * Parse a LoadGen conf file. Lines are split on whitespace; a lone `#` token ends
 * the line unless a value is expected; `key = value` needs the spaces; a value
 * must read fully as a C integer or double. Every problem names `file:line`.
 */
export function parseLoadgenConf(text: string, file: string): ConfParseResult {
  const entries = new Map<string, ConfEntry>();
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = `${file}:${lineNo}`;
    // C++ `iss >> s` splits on isspace: space, \t, \n, \v, \f, \r
    const tokens = lines[i]!.split(/[ \t\n\v\f\r]+/).filter((t) => t.length > 0);
    let state: 'key' | 'equals' | 'value' = 'key';
    let key = '';
    let value: string | null = null;
    let failed = false;
    for (const tok of tokens) {
      if (tok === '#' && state !== 'value') break;
      if (state === 'value') {
        if (C_INTEGER_TOKEN.test(tok) || C_DOUBLE_TOKEN.test(tok)) {
          if (value !== null) {
            warnings.push({ where, message: `several values for ${key}; LoadGen keeps the last one (${tok})` });
          }
          value = tok;
          continue;
        }
        problems.push({
          where,
          message: `value needs to be integer or double, got '${tok}'`,
          hint:
            tok === '#' || tok.startsWith('#')
              ? 'LoadGen does not allow a comment after a value: move the comment to its own line'
              : 'LoadGen reads numbers only (decimal, 0x hex, or floating point)',
        });
        failed = true;
        break;
      }
      if (state === 'equals') {
        if (tok !== '=') {
          problems.push({
            where,
            message: `expected 'key = value' after '${key}', got '${tok}'`,
            hint: key.startsWith('#')
              ? "LoadGen treats only a lone '#' as a comment: write '# comment'"
              : "LoadGen splits on whitespace: write 'model.scenario.key = value' with spaces around '='",
          });
          failed = true;
          break;
        }
        state = 'value';
        continue;
      }
      key = tok;
      state = 'equals';
    }
    if (failed || tokens.length === 0 || tokens[0] === '#') continue;
    if (state === 'equals') {
      // LoadGen silently ignores a key without `= value`; tokbench says so.
      problems.push({
        where,
        message: key.includes('=') ? `'${key}' has no spaces around '='` : `'${key}' has no '= value'`,
        hint: key.startsWith('#')
          ? "LoadGen treats only a lone '#' as a comment: write '# comment'"
          : "LoadGen would silently ignore this line: write 'model.scenario.key = value' with spaces around '='",
      });
      continue;
    }
    if (state === 'value' && value === null) {
      problems.push({ where, message: `'${key}' has '=' but no value`, hint: 'LoadGen would silently ignore this line' });
      continue;
    }
    if (value === null) continue;
    const parts = splitConfKey(key);
    if (parts === null) {
      problems.push({
        where,
        message: `key '${key}' is not of the form model.scenario.key`,
        hint: "use '*' for any model or scenario, e.g. '*.Server.target_qps = 10'",
      });
      continue;
    }
    if (!(LOADGEN_SCENARIO_NAMES as readonly string[]).includes(parts.scenario)) {
      const suggestion = didYouMean(parts.scenario, LOADGEN_SCENARIO_NAMES);
      warnings.push({
        where,
        message: `scenario '${parts.scenario}' is not a LoadGen scenario, so LoadGen never reads '${key}'`,
        hint: suggestion
          ? `did you mean '${suggestion}'? (Interactive is Server under '<model>-interactive')`
          : 'LoadGen scenarios: SingleStream, MultiStream, Server, Offline, or *; Interactive is Server under <model>-interactive',
      });
    }
    if (!(LOADGEN_CONF_KEYS as readonly string[]).includes(parts.name)) {
      const suggestion = didYouMean(parts.name, LOADGEN_CONF_KEYS);
      warnings.push({
        where,
        message: `LoadGen does not read the key '${parts.name}'`,
        ...(suggestion ? { hint: `did you mean '${suggestion}'?` } : {}),
      });
    }
    entries.set(key, { key, ...parts, value, file, line: lineNo });
  }
  return { conf: { file, entries }, problems, warnings };
}

/** `model.scenario.key`, split from the right: model names may contain dots, scenario and key names do not. */
function splitConfKey(key: string): { model: string; scenario: string; name: string } | null {
  const last = key.lastIndexOf('.');
  if (last <= 0) return null;
  const mid = key.lastIndexOf('.', last - 1);
  if (mid <= 0) return null;
  const model = key.slice(0, mid);
  const scenario = key.slice(mid + 1, last);
  const name = key.slice(last + 1);
  if (!model || !scenario || !name) return null;
  return { model, scenario, name };
}

export type ConfLookupLevel = 'model.scenario' | '*.scenario' | 'model.*' | '*.*';

/**
 * LoadGen's `lookupkv`: exact `model.scenario.key`, then `*.scenario.key`, then
 * `model.*.key`, then `*.*.key` (test_settings_internal.cc, FromConfig).
 */
export function lookupConfEntry(
  conf: ParsedConf,
  model: string,
  scenario: string,
  name: string,
): { entry: ConfEntry; level: ConfLookupLevel } | undefined {
  const candidates: [string, ConfLookupLevel][] = [
    [`${model}.${scenario}.${name}`, 'model.scenario'],
    [`*.${scenario}.${name}`, '*.scenario'],
    [`${model}.*.${name}`, 'model.*'],
    [`*.*.${name}`, '*.*'],
  ];
  for (const [key, level] of candidates) {
    const entry = conf.entries.get(key);
    if (entry) return { entry, level };
  }
  return undefined;
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * C `strtoull(s, nullptr, 0)`: the longest valid prefix, base from the prefix
 * (0x hex, 0 octal, else decimal), a leading '-' negates modulo 2^64, overflow
 * saturates. LoadGen reads integer keys this way, so "1.5" reads as 1 and "09" as 0.
 */
export function cStrtoull(text: string): bigint {
  let s = text.trimStart();
  let negative = false;
  if (s.startsWith('+') || s.startsWith('-')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  let base = 10n;
  let digits: RegExp = /^[0-9]+/;
  if (/^0[xX][0-9a-fA-F]/.test(s)) {
    base = 16n;
    s = s.slice(2);
    digits = /^[0-9a-fA-F]+/;
  } else if (s.startsWith('0')) {
    base = 8n;
    digits = /^[0-7]+/;
  }
  const m = digits.exec(s);
  if (!m) return 0n;
  let v = 0n;
  for (const ch of m[0]) {
    v = v * base + BigInt(parseInt(ch, 16));
    if (v > UINT64_MAX) return UINT64_MAX;
  }
  return negative ? (((1n << 64n) - v) & UINT64_MAX) : v;
}

/** C `strtod`: the longest valid prefix as a double (0 when none). */
export function cStrtod(text: string): number {
  const s = text.trimStart();
  const m =
    /^[+-]?(?:inf(?:inity)?|nan)/i.exec(s) ??
    /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?/.exec(s) ??
    /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(s);
  if (!m) return 0;
  const tok = m[0];
  const lower = tok.toLowerCase().replace(/^[+-]/, '');
  const sign = tok.startsWith('-') ? -1 : 1;
  if (lower.startsWith('inf')) return sign * Infinity;
  if (lower.startsWith('nan')) return NaN;
  if (lower.startsWith('0x')) return sign * parseHexFloat(lower.slice(2));
  return Number(tok);
}

function parseHexFloat(body: string): number {
  const [mant, exp] = body.split('p');
  const [intPart, fracPart = ''] = (mant ?? '').split('.');
  let v = 0;
  for (const ch of intPart ?? '') v = v * 16 + parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of fracPart) {
    v += parseInt(ch, 16) * scale;
    scale /= 16;
  }
  return v * 2 ** Number(exp ?? 0);
}

// ─── resolution to tokbench settings ─────────────────────────────────────────

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
 * The v6.0 `mlperf.conf` lines for the models tokbench runs, reconstructed from
 * reference/mlperf.md §3.1 (limits, counts, equal issue) and §3.2 (v6.0 seeds).
 * Not the verbatim LoadGen file (which covers every benchmark); used when the
 * user gives no mlperf.conf of their own.
 */
export const MLPERF_CONF_V6_0_LLM = `# tokbench: the v6.0 mlperf.conf keys for llama2-70b and gpt-oss-120b,
# reconstructed from reference/mlperf.md sections 3.1 and 3.2 (not the verbatim LoadGen file).
# All times are in milliseconds.

llama2-70b.*.performance_sample_count_override = 24576
llama2-70b-interactive.*.performance_sample_count_override = 24576
gpt-oss-120b.*.performance_sample_count_override = 6396
gpt-oss-120b-interactive.*.performance_sample_count_override = 6396
gpt-oss-120b.*.accuracy_sample_count_override = 4395
gpt-oss-120b-interactive.*.accuracy_sample_count_override = 4395

# v6.0 seeds
*.*.qsl_rng_seed = 2465351861681999779
*.*.sample_index_rng_seed = 14276810075590677512
*.*.schedule_rng_seed = 3936089224930324775

llama2-70b.*.sample_concatenate_permutation = 1
llama2-70b-interactive.*.sample_concatenate_permutation = 1
gpt-oss-120b.*.sample_concatenate_permutation = 1
gpt-oss-120b-interactive.*.sample_concatenate_permutation = 1

llama2-70b.*.use_token_latencies = 1
llama2-70b-interactive.*.use_token_latencies = 1
gpt-oss-120b.*.use_token_latencies = 1
gpt-oss-120b-interactive.*.use_token_latencies = 1

*.Server.target_latency_percentile = 99
*.Server.target_duration = 0
*.Server.min_duration = 600000

llama2-70b.Server.target_latency = 0
llama2-70b.Server.ttft_latency = 2000
llama2-70b.Server.tpot_latency = 200
llama2-70b-interactive.Server.target_latency = 0
llama2-70b-interactive.Server.ttft_latency = 450
llama2-70b-interactive.Server.tpot_latency = 40
gpt-oss-120b.Server.target_latency = 0
gpt-oss-120b.Server.ttft_latency = 3000
gpt-oss-120b.Server.tpot_latency = 80
gpt-oss-120b-interactive.Server.target_latency = 0
gpt-oss-120b-interactive.Server.ttft_latency = 2000
gpt-oss-120b-interactive.Server.tpot_latency = 15

*.Offline.target_latency_percentile = 90
*.Offline.min_duration = 600000
llama2-70b.Offline.min_query_count = 24576

# These fields should be defined and overridden by user.conf.
*.Server.target_qps = 1.0
*.Offline.target_qps = 1.0
`;

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
  const mode = integer(scenario, 'mode');
  if (mode) {
    // LoadGen: 0 SubmissionRun, 1 AccuracyOnly, 2 PerformanceOnly, 3 FindPeakPerformance
    if (mode.value === 1) settings.mode = { ...mode, value: 'accuracy' };
    else if (mode.value === 2) settings.mode = { ...mode, value: 'performance' };
    else {
      warnings.push({
        where: mode.where,
        message: `mode = ${mode.value} is not supported by tokbench (1 = AccuracyOnly, 2 = PerformanceOnly); ignored`,
      });
    }
  }
  if (settings.useTokenLatencies && !settings.useTokenLatencies.value) {
    warnings.push({
      where: settings.useTokenLatencies.where,
      message: 'use_token_latencies = 0: tokbench always measures TTFT and TPOT, as the LLM benchmarks require',
    });
  }
  return { settings, warnings };
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

/** One ResolvedScenario field set from a conf file; the lead applies these with origin 'user.conf'. */
export interface ConfScenarioPatch {
  /** dotted path in ResolvedScenario, e.g. `run.minDurationMs` */
  path: string;
  value: number | string | boolean;
  /** `file:line` */
  where: string;
}

/** The conf values as ResolvedScenario fields (dotted paths), for layering with origin `user.conf`. */
export function confSettingsToScenarioPatch(settings: LoadgenConfSettings): ConfScenarioPatch[] {
  const out: ConfScenarioPatch[] = [];
  const add = (path: string, v: ConfValue<number | string | boolean> | undefined): void => {
    if (v) out.push({ path, value: v.value, where: v.where });
  };
  add('load.targetQps', settings.targetQps);
  add('run.minDurationMs', settings.minDurationMs);
  add('run.maxDurationMs', settings.maxDurationMs);
  add('run.minQueryCount', settings.minQueryCount);
  add('dataset.size', settings.performanceSampleCount);
  if (settings.maxAsyncQueries && settings.maxAsyncQueries.value > 0) add('load.maxConcurrency', settings.maxAsyncQueries);
  add('constraints.ttftP99Ms', settings.ttftP99Ms);
  add('constraints.tpotP99Ms', settings.tpotP99Ms);
  add('seeds.qsl', settings.seeds.qsl);
  add('seeds.sampleIndex', settings.seeds.sampleIndex);
  add('seeds.schedule', settings.seeds.schedule);
  add('run.equalIssue', settings.equalIssue);
  add('run.mode', settings.mode);
  // max_query_count has no direct ResolvedScenario field: LoadGen stops issuing
  // there, which is what an explicit query count (run.samples) does.
  if (settings.maxQueryCount && settings.maxQueryCount.value > 0) add('run.samples', settings.maxQueryCount);
  return out;
}
