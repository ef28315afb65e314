/**
 * LoadGen's TestSettings as tokbench models them: the settings a run requests,
 * the "effective" settings LoadGen derives from them (Offline's coalesced query,
 * min_sample_count…), and the mapping from a resolved tokbench scenario.
 *
 * Sources (reference/mlperf.md §3.1, §3.2, §3.5): `inference:
 * loadgen/test_settings_internal.cc` (`TestSettings::FromConfig`, the
 * `TestSettingsInternal` constructor). The conf file format is conf-parser.ts;
 * the lookup of tokbench's keys in conf files is user-conf.ts.
 */
import type { BenchmarkName, ResolvedScenario, ScenarioKind } from './types.js';


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

