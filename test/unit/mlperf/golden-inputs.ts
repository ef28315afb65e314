/**
 * The inputs that reproduce the real v6.0 logs in test/fixtures/mlperf/ (see the
 * README there for provenance). Every number is read off those files; the few
 * that the files do not contain are marked "not in the log".
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { computeLoadgenVerdict, type LoadgenResults, type ValidityInput } from '../../../src/metrics/validity.js';
import type { LoadgenLatencyStatsNs } from '../../../src/metrics/mlperf-percentile.js';
import {
  effectiveLoadgenSettings,
  type LoadgenRequestedSettings,
  type LoadgenSettings,
  type QslCounts,
} from '../../../src/scenario/user-conf.js';
import type { MlperfLogInput } from '../../../src/report/mlperf-summary.js';

export const fixture = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../../fixtures/mlperf/${name}`, import.meta.url)), 'utf8');

export const V6_SEEDS = { qsl: '2465351861681999779', sampleIndex: '14276810075590677512', schedule: '3936089224930324775' };

export function requested(over: Partial<LoadgenRequestedSettings>): LoadgenRequestedSettings {
  return {
    scenario: 'Server',
    mode: 'PerformanceOnly',
    targetQps: 1,
    targetLatencyNs: 0,
    targetLatencyPercentile: 0.99,
    maxAsyncQueries: 0,
    serverCoalesceQueries: false,
    serverFindPeakQpsDecimalsOfPrecision: 1,
    serverFindPeakQpsBoundaryStepSize: 1,
    serverNumIssueQueryThreads: 0,
    minDurationMs: 600_000,
    maxDurationMs: 0,
    minQueryCount: 100,
    maxQueryCount: 0,
    seeds: V6_SEEDS,
    accuracyLogRngSeed: '0',
    accuracyLogProbability: 0,
    accuracyLogSamplingTarget: 0,
    printTimestamps: false,
    performanceIssueUnique: false,
    performanceIssueSame: false,
    performanceIssueSameIndex: 0,
    performanceSampleCountOverride: 0,
    accuracySampleCountOverride: 0,
    sampleConcatenatePermutation: true,
    useTokenLatencies: true,
    ttftLatencyNs: 2_000_000_000,
    tpotLatencyNs: 200_000_000,
    ...over,
  };
}

export function settings(model: string, req: LoadgenRequestedSettings, qsl: QslCounts): LoadgenSettings {
  return { model, requested: req, effective: effectiveLoadgenSettings(req, qsl) };
}

/** LoadGen statistics as printed: min, max, mean, then the six percentiles; `count` only says there were values (the logs print no count). */
export function stats(minNs: number, maxNs: number, meanNs: number, p: [number, number, number, number, number, number], count = 1): LoadgenLatencyStatsNs {
  const percentiles = [0.5, 0.9, 0.95, 0.97, 0.99, 0.999].map((percentile, i) => ({ percentile, valueNs: p[i]! }));
  return { count, minNs, maxNs, meanNs, percentiles, targetPercentileNs: p[4] };
}

const EMPTY = stats(0, 0, 0, [0, 0, 0, 0, 0, 0], 0);

/** A verdict from LoadGen's own checks on a passing run of the given shape. */
function passingVerdict(over: Partial<ValidityInput>) {
  const n = over.sampleCount ?? 1000;
  const v = computeLoadgenVerdict({
    scenario: 'server',
    constraints: { ttftP99Ms: 2000, tpotP99Ms: 200 },
    minDurationMs: 0,
    minQueryCount: 1,
    minSampleCount: 1,
    queriesIssued: n,
    sampleCount: n,
    ttftNs: new Float64Array(n).fill(1e6),
    tpotNs: new Float64Array(n).fill(1e6),
    lastCompletionNs: 1e12,
    lastScheduledNs: 1e12,
    issueDelayP99Ns: null,
    targetQps: null,
    failedQueries: 0,
    ...over,
  });
  if (!v.valid) throw new Error('golden input should be VALID');
  return v;
}

function results(over: Partial<LoadgenResults>): LoadgenResults {
  return {
    scenario: 'Server',
    verdict: passingVerdict({}),
    queryCount: 0,
    sampleCount: 0,
    overlatencyQueryCount: 0,
    tokenCount: 0,
    latency: EMPTY,
    ttft: EMPTY,
    tpot: EMPTY,
    samplesPerSecond: 0,
    tokensPerSecond: 0,
    completedSamplesPerSecond: 0,
    scheduledSamplesPerSecond: 0,
    completedTokensPerSecond: 0,
    tokenThroughputWithLoadgenOverhead: 0,
    tokenThroughput: 0,
    failedQueries: 0,
    failuresByKind: {},
    responsesUnderTwoTokens: 0,
    ...over,
  };
}

/** AMD 87×MI355X, llama2-70b-99 Server, LoadGen 6.0.5 (no accuracy_sample_count line). */
export function llama2ServerV605(): MlperfLogInput {
  return {
    sutName: 'PySUT',
    settings: settings(
      'llama2-70b',
      requested({ targetQps: 3650, minDurationMs: 1_200_000, performanceSampleCountOverride: 24_576 }),
      { performanceSampleCount: 24_576, totalSampleCount: 24_576 },
    ),
    results: results({
      verdict: passingVerdict({ sampleCount: 73_728 }),
      completedSamplesPerSecond: 3591.83,
      completedTokensPerSecond: 1_016_375,
      scheduledSamplesPerSecond: 3647.85,
      latency: stats(75001597, 108813997627, 27280367810, [23694235007, 49629946900, 60809901215, 69560515738, 89413303887, 105243224037]),
      ttft: stats(18200453, 1183960508, 311773426, [302434196, 401168352, 463184768, 512165926, 640102305, 862499278]),
      tpot: stats(22754, 626231995, 95756208, [100361604, 103481706, 104341682, 104930792, 106190403, 110248923]),
    }),
    // the log counts 2 warnings; their text is in the detail log, which we do not have
    warnings: [
      { key: 'warning_generic_message', message: 'not in the log (1)' },
      { key: 'warning_generic_message', message: 'not in the log (2)' },
    ],
    accuracySampleCountLines: false,
  };
}

/** Offline figures of the same system: 205 × 24576 samples (equal issue), last completion 1387.907267424 s. */
export const LLAMA2_OFFLINE = {
  sampleCount: 5_038_080,
  maxLatencyNs: 1_387_907_267_424,
  /** not in the log: any count in [1446345103, 1446358981) prints "1.04211e+06"; this is 1,042,110 tok/s × max latency */
  tokenCount: 1_446_352_042,
};

/** AMD 87×MI355X, llama2-70b-99 Offline, LoadGen 6.0.5. */
export function llama2OfflineV605(): MlperfLogInput {
  const maxLatencyS = LLAMA2_OFFLINE.maxLatencyNs / 1e9;
  return {
    sutName: 'PySUT',
    settings: settings(
      'llama2-70b',
      requested({ scenario: 'Offline', targetQps: 3800, minDurationMs: 1_200_000, minQueryCount: 24_576, performanceSampleCountOverride: 24_576 }),
      { performanceSampleCount: 24_576, totalSampleCount: 24_576 },
    ),
    results: results({
      scenario: 'Offline',
      verdict: computeLoadgenVerdict({
        scenario: 'offline',
        constraints: { ttftP99Ms: null, tpotP99Ms: null },
        minDurationMs: 1_200_000,
        minQueryCount: 1,
        minSampleCount: 5_016_000,
        queriesIssued: 1,
        sampleCount: LLAMA2_OFFLINE.sampleCount,
        ttftNs: new Float64Array(0),
        tpotNs: new Float64Array(0),
        lastCompletionNs: LLAMA2_OFFLINE.maxLatencyNs,
        lastScheduledNs: 0,
        issueDelayP99Ns: null,
        targetQps: 3800,
        failedQueries: 0,
      }),
      sampleCount: LLAMA2_OFFLINE.sampleCount,
      tokenCount: LLAMA2_OFFLINE.tokenCount,
      samplesPerSecond: LLAMA2_OFFLINE.sampleCount / maxLatencyS,
      tokensPerSecond: LLAMA2_OFFLINE.tokenCount / maxLatencyS,
      latency: stats(1329550068207, 1387907267424, 1359512982501, [1359534252556, 1382367854076, 1385117397134, 1386338710412, 1387581425152, 1387874730034]),
    }),
    warnings: [{ key: 'warning_generic_message', message: 'not in the log' }],
    accuracySampleCountLines: false,
  };
}

/** AMD 94×MI355X, gpt-oss-120b Server, compliance TEST09 run, LoadGen 6.0.9 (summary and detail). */
export function gptOssServerTest09V609(): MlperfLogInput {
  return {
    sutName: 'PySUT',
    settings: settings(
      'gpt-oss-120b',
      requested({
        targetQps: 705,
        minDurationMs: 0,
        minQueryCount: 6396,
        accuracyLogRngSeed: '720381539243781796',
        accuracyLogSamplingTarget: 10_000,
        performanceSampleCountOverride: 6396,
        accuracySampleCountOverride: 4395,
        sampleConcatenatePermutation: false,
        ttftLatencyNs: 3_000_000_000,
        tpotLatencyNs: 80_000_000,
      }),
      { performanceSampleCount: 6396, totalSampleCount: 6396 },
    ),
    results: results({
      verdict: passingVerdict({ sampleCount: 6396, minQueryCount: 6396, minSampleCount: 6396 }),
      queryCount: 6396,
      sampleCount: 6396,
      overlatencyQueryCount: 6396,
      completedSamplesPerSecond: 277.894,
      completedTokensPerSecond: 384496.98,
      scheduledSamplesPerSecond: 704.646,
      tokenThroughputWithLoadgenOverhead: 974952,
      tokenThroughput: 7.75354e-8,
      latency: stats(7908655908, 29002364358, 17842118910, [17842636772, 21536463482, 22658462571, 23378446168, 24606665495, 26798200861]),
      ttft: stats(29578627, 358396437, 84015890, [86383405, 102678111, 116268693, 127102709, 152383673, 312775982]),
      tpot: stats(7809194, 16181093, 12999112, [13165175, 14302274, 14585855, 14810016, 15161138, 15800686]),
    }),
    warnings: [
      {
        key: 'warning_generic_message',
        message: 'Found Audit Config file (audit.config). Overriding TestSettings from audit.config file.',
      },
    ],
  };
}
