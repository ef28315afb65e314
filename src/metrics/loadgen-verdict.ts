/**
 * LoadGen's own layer of MLPerf validity: its checks (results.cc
 * `MinDurationMet`, `MinQueriesMet`, `PerfConstraintsMet`, `EarlyStopping`),
 * its exact strings for mlperf_log_summary.txt / _detail.txt, and its result
 * figures. validity.ts builds result.json's Validity on top of this; its
 * header explains how failed requests are judged.
 */
import type { ScenarioKind } from '../scenario/types.js';
import { evaluateEarlyStopping, type EarlyStoppingOutcome } from './early-stopping.js';
import { countOverLimit, loadgenLatencyStats, type LoadgenLatencyStatsNs } from './mlperf-percentile.js';

/** The submission checker's minimum run length (`TEST_DURATION_MS`, reference/mlperf.md §4). */
export const SUBMISSION_MIN_DURATION_MS = 600_000;

/**
 * What computeValidity needs. Times are ns from the run's start (the schedule's
 * t = 0); latencies are ns from each query's scheduled time, per completed query.
 */
export interface ValidityInput {
  scenario: ScenarioKind;
  /** p99 limits in ms; null = the benchmark sets none (custom scenarios): not checked */
  constraints: { ttftP99Ms: number | null; tpotP99Ms: number | null };
  /** LoadGen min_duration */
  minDurationMs: number;
  /** LoadGen's *effective* min_query_count (Offline: 1; see effectiveLoadgenSettings) */
  minQueryCount: number;
  /** effective min_sample_count (Offline: samples_per_query; Server: min_query_count) */
  minSampleCount: number;
  /**
   * LoadGen's queries_issued: Server/Interactive = requests issued in the measured
   * phase (failed ones included); Offline = 1 (all samples form one query), 0 if none.
   */
  queriesIssued: number;
  /** completed samples (= length of the latency arrays) */
  sampleCount: number;
  /** first-token latency per completed request, ns from its scheduled time */
  ttftNs: Float64Array;
  /** (e2e − TTFT) / (outputTokens − 1) per completed request with ≥ 2 tokens, integer ns */
  tpotNs: Float64Array;
  /** Offline min-duration clock: completion time of the last sample (LoadGen max_latency) */
  lastCompletionNs: number;
  /** Server min-duration clock: scheduled time of the last issued query */
  lastScheduledNs: number;
  /** p99 of issued − scheduled; null when unknown */
  issueDelayP99Ns: number | null;
  /** the schedule's rate (Server/Interactive), for the issue-delay advice */
  targetQps: number | null;
  /** requests that failed (never completed) */
  failedQueries: number;
  /** failed requests by ErrorKind */
  failuresByKind?: Record<string, number>;
  /** completed responses with fewer than 2 output tokens (LoadGen logs an error for each) */
  responsesUnderTwoTokens?: number;
}

/** LoadGen's verdict with its exact strings. */
export interface LoadgenVerdict {
  /** "Result is : VALID" (tokbench also requires no failed query, see the file comment) */
  valid: boolean;
  /** Server only: the "Performance constraints satisfied" line exists */
  hasPerfConstraints: boolean;
  perfConstraintsMet: boolean;
  minDurationMet: boolean;
  /** MinQueriesMet && MinSamplesMet */
  minQueriesMet: boolean;
  earlyStoppingMet: boolean;
  /** p99 over completed samples (sorted[floor(n × 0.99)]); null in Offline or without data */
  ttftP99Ns: number | null;
  tpotP99Ns: number | null;
  /** "TPOT then TTFT": ttft is null when TPOT failed (LoadGen's && short-circuit) or in Offline */
  earlyStopping: { tpot: EarlyStoppingOutcome | null; ttft: EarlyStoppingOutcome | null };
  /** the text under "TTFT Early Stopping Result:" ('' when not evaluated, as LoadGen prints) */
  earlyStoppingTtftResult: string;
  earlyStoppingTpotResult: string;
  /** lines printed under "Recommendations:" in the summary, each starting " * " (LoadGen's text) */
  summaryRecommendations: string[];
  /** detail `result_invalid_reason` (null when valid) */
  invalidReason: string | null;
  /** failed queries that make the run INVALID (tokbench's addition) */
  failedQueries: number;
}

export const isServerLike = (s: ScenarioKind): boolean => s !== 'offline';
export const MS_TO_NS = 1_000_000;

/** Milliseconds from ns for human-readable details: up to 3 decimals, no trailing zeros. */
export function ms(ns: number): string {
  return String(Number((ns / MS_TO_NS).toFixed(3)));
}

export function seconds(ns: number): string {
  return String(Number((ns / 1e9).toFixed(3)));
}

export function failureBreakdown(byKind: Record<string, number> | undefined): string {
  const parts = Object.entries(byKind ?? {})
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([kind, n]) => `${kind}: ${n}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** LoadGen's checks and strings (results.cc `LogSummary` / `LogDetail`). */
export function computeLoadgenVerdict(input: ValidityInput): LoadgenVerdict {
  const server = isServerLike(input.scenario);
  const minDurationS = input.minDurationMs / 1000;

  // MinDurationMet: Offline by the last completion, Server by the last *scheduled* time.
  const minDurationMet = server
    ? input.lastScheduledNs / 1e9 >= minDurationS
    : input.lastCompletionNs / 1e9 >= minDurationS;
  const minDurationRecommendation = minDurationMet
    ? ''
    : server
      ? 'Increase the target QPS so the loadgen pre-generates more queries.'
      : 'Increase expected QPS so the loadgen pre-generates a larger (coalesced) query.';

  const minQueriesMet = input.queriesIssued >= input.minQueryCount && input.sampleCount >= input.minSampleCount;
  const latency = server ? serverLatencyVerdict(input) : NO_LATENCY_VERDICT;

  const loadgenValid = minDurationMet && minQueriesMet && latency.perfConstraintsMet && latency.earlyStoppingMet;
  const valid = loadgenValid && input.failedQueries === 0;
  const summary = valid
    ? { summaryRecommendations: [], invalidReason: null }
    : invalidSummary(input, { perfConstraintsMet: latency.perfConstraintsMet, perfRecommendation: latency.perfRecommendation, minDurationMet, minDurationRecommendation, minQueriesMet });

  return {
    valid,
    hasPerfConstraints: server,
    perfConstraintsMet: latency.perfConstraintsMet,
    minDurationMet,
    minQueriesMet,
    earlyStoppingMet: latency.earlyStoppingMet,
    ttftP99Ns: latency.ttftP99Ns,
    tpotP99Ns: latency.tpotP99Ns,
    earlyStopping: { tpot: latency.earlyTpot, ttft: latency.earlyTtft },
    earlyStoppingTtftResult: latency.ttftResult,
    earlyStoppingTpotResult: latency.tpotResult,
    summaryRecommendations: summary.summaryRecommendations,
    invalidReason: summary.invalidReason,
    failedQueries: input.failedQueries,
  };
}

/** The Server-like half of LoadGen's verdict: p99 constraints and early stopping. */
interface LatencyVerdict {
  perfConstraintsMet: boolean;
  perfRecommendation: string;
  ttftP99Ns: number | null;
  tpotP99Ns: number | null;
  earlyTpot: EarlyStoppingOutcome | null;
  earlyTtft: EarlyStoppingOutcome | null;
  earlyStoppingMet: boolean;
  ttftResult: string;
  tpotResult: string;
}

/** Offline has no latency constraint: nothing is measured against one, nothing fails. */
const NO_LATENCY_VERDICT: LatencyVerdict = {
  perfConstraintsMet: true,
  perfRecommendation: '',
  ttftP99Ns: null,
  tpotP99Ns: null,
  earlyTpot: null,
  earlyTtft: null,
  earlyStoppingMet: true,
  ttftResult: '',
  tpotResult: '',
};

function serverLatencyVerdict(input: ValidityInput): LatencyVerdict {
  const ttftLimitNs = input.constraints.ttftP99Ms === null ? null : Math.round(input.constraints.ttftP99Ms * MS_TO_NS);
  const tpotLimitNs = input.constraints.tpotP99Ms === null ? null : Math.round(input.constraints.tpotP99Ms * MS_TO_NS);
  // LoadGen indexes the token arrays by sample_count.
  const statsOpts = { indexCount: Math.max(input.sampleCount, 1) };
  const ttftP99Ns = input.ttftNs.length > 0 ? loadgenLatencyStats(input.ttftNs, statsOpts).targetPercentileNs : null;
  const tpotP99Ns = input.tpotNs.length > 0 ? loadgenLatencyStats(input.tpotNs, statsOpts).targetPercentileNs : null;

  // PerfConstraintsMet: "value > limit" fails, so equal to the limit passes.
  let perfConstraintsMet = true;
  let perfRecommendation = '';
  if (ttftLimitNs !== null && ttftP99Ns !== null && ttftP99Ns > ttftLimitNs) {
    perfRecommendation = 'TTFT constrain not met: Reduce target QPS to improve latency.';
    perfConstraintsMet = false;
  }
  if (tpotLimitNs !== null && tpotP99Ns !== null && tpotP99Ns > tpotLimitNs) {
    perfRecommendation =
      perfRecommendation === ''
        ? 'TPOT constrain not met: Reduce target QPS to improve latency.'
        : perfRecommendation + '\n * TPOT constrain not met: Reduce target QPS to improve latency.';
    perfConstraintsMet = false;
  }
  return { perfConstraintsMet, perfRecommendation, ttftP99Ns, tpotP99Ns, ...earlyStoppingVerdict(input, ttftLimitNs, tpotLimitNs) };
}

/** EarlyStopping(TPOT) && EarlyStopping(TTFT): TTFT is not evaluated when TPOT fails. */
function earlyStoppingVerdict(
  input: ValidityInput,
  ttftLimitNs: number | null,
  tpotLimitNs: number | null,
): Pick<LatencyVerdict, 'earlyTpot' | 'earlyTtft' | 'earlyStoppingMet' | 'ttftResult' | 'tpotResult'> {
  const failed = input.failedQueries;
  let earlyTpot: EarlyStoppingOutcome | null = null;
  let earlyTtft: EarlyStoppingOutcome | null = null;
  let tpotResult: string;
  let ttftResult = '';
  if (tpotLimitNs !== null) {
    earlyTpot = evaluateEarlyStopping(input.queriesIssued, countOverLimit(input.tpotNs, tpotLimitNs) + failed);
    tpotResult = earlyTpot.message;
  } else {
    tpotResult = ' * No TPOT constraint set; not evaluated.';
  }
  const tpotPassed = earlyTpot === null || earlyTpot.passed;
  if (tpotPassed) {
    if (ttftLimitNs !== null) {
      earlyTtft = evaluateEarlyStopping(input.queriesIssued, countOverLimit(input.ttftNs, ttftLimitNs) + failed);
      ttftResult = earlyTtft.message;
    } else {
      ttftResult = ' * No TTFT constraint set; not evaluated.';
    }
  }
  const earlyStoppingMet = tpotPassed && (earlyTtft === null || earlyTtft.passed);
  return { earlyTpot, earlyTtft, earlyStoppingMet, ttftResult, tpotResult };
}

/** Why an INVALID run is invalid: LoadGen's summary recommendations and its one-line detail reason. */
function invalidSummary(
  input: ValidityInput,
  met: { perfConstraintsMet: boolean; perfRecommendation: string; minDurationMet: boolean; minDurationRecommendation: string; minQueriesMet: boolean },
): { summaryRecommendations: string[]; invalidReason: string } {
  const summaryRecommendations: string[] = [];
  let reason = '';
  if (!met.perfConstraintsMet) {
    summaryRecommendations.push(' * ' + met.perfRecommendation);
    reason += met.perfRecommendation + ' ';
  }
  if (!met.minDurationMet) {
    summaryRecommendations.push(' * ' + met.minDurationRecommendation);
    reason += met.minDurationRecommendation + ' ';
  }
  if (!met.minQueriesMet) {
    summaryRecommendations.push(
      ' * The test exited early, before enough queries were issued.\n   See the detailed log for why this may have occurred.',
    );
    reason += 'The test exited early, before enough queries were issued.';
  }
  if (input.failedQueries > 0) {
    // tokbench's addition: LoadGen cannot finish a run whose queries never complete.
    const text = `${input.failedQueries} queries failed and never completed${failureBreakdown(input.failuresByKind)}; LoadGen cannot finish such a run, so tokbench reports it INVALID.`;
    summaryRecommendations.push(' * ' + text);
    reason += (reason === '' || reason.endsWith(' ') ? '' : ' ') + text;
  }
  // LogDetail replaces newlines with spaces
  return { summaryRecommendations, invalidReason: reason.replace(/\n/g, ' ') };
}

// ─── LoadGen's result figures ────────────────────────────────────────────────

/** computeValidity's input plus what the MLPerf logs report. */
export interface LoadgenResultsInput extends ValidityInput {
  /** end-to-end latency per completed sample, ns from its scheduled time */
  sampleLatenciesNs: Float64Array;
  /** Σ output tokens over completed samples (LoadGen token_count) */
  tokenCount: number;
  /** issue time of the last issued query, ns from start (final_query_issued_time) */
  finalQueryIssuedNs: number;
  /** completion time of the last *issued* query, ns from start (final_query_all_samples_done_time) */
  finalQueryAllSamplesDoneNs: number;
  /** effective target_latency (0 for LLMs): samples above it are "overlatency" */
  targetLatencyNs?: number;
}

/** Everything the MLPerf logs print, computed as LoadGen computes it. */
export interface LoadgenResults {
  scenario: 'Server' | 'Offline';
  verdict: LoadgenVerdict;
  /** result_query_count (queries_issued) */
  queryCount: number;
  /** completed samples */
  sampleCount: number;
  /** result_overlatency_query_count: samples with latency > target_latency (all of them for LLMs, target 0) */
  overlatencyQueryCount: number;
  tokenCount: number;
  /** end-to-end sample latency */
  latency: LoadgenLatencyStatsNs;
  /** first-token latency (Server) */
  ttft: LoadgenLatencyStatsNs;
  /** time per output token (Server) */
  tpot: LoadgenLatencyStatsNs;
  /** Offline: sample_count / max_latency_s */
  samplesPerSecond: number;
  /** Offline: token_count / max_latency_s */
  tokensPerSecond: number;
  /** Server: (sample_count − 1) / final_query_all_samples_done_time */
  completedSamplesPerSecond: number;
  /** Server: (sample_count − 1) / final_query_scheduled_time */
  scheduledSamplesPerSecond: number;
  /** Server: token_count / final_query_all_samples_done_time (the official metric) */
  completedTokensPerSecond: number;
  /** Server: token_count / final_query_issued_time */
  tokenThroughputWithLoadgenOverhead: number;
  /** Server: token_count / (mean latency in ns × sample_count): LoadGen's unit slip, kept for log parity */
  tokenThroughput: number;
  failedQueries: number;
  failuresByKind: Record<string, number>;
  responsesUnderTwoTokens: number;
}

/**
 * count / seconds, or 0 when there is nothing to divide: with no completed
 * sample LoadGen's size_t `sample_count - 1` wraps to 2^64 − 1 and a zero clock
 * gives nan; neither is a figure anyone should read, and a run with no
 * completed sample is reported as failed anyway.
 */
function rate(count: number, seconds: number): number {
  return count > 0 && seconds > 0 ? count / seconds : 0;
}

/** LoadGen's figures and verdict for one run (results.cc `ProcessLatencies`, `ProcessTokenLatencies`, `LogSummary`). */
export function computeLoadgenResults(input: LoadgenResultsInput): LoadgenResults {
  const server = isServerLike(input.scenario);
  const sampleCount = input.sampleLatenciesNs.length;
  const tokenOpts = { meanDivisor: Math.max(sampleCount, 1), indexCount: Math.max(sampleCount, 1) };
  const latency = loadgenLatencyStats(input.sampleLatenciesNs);
  const ttft = loadgenLatencyStats(input.ttftNs, tokenOpts);
  const tpot = loadgenLatencyStats(input.tpotNs, tokenOpts);
  // LoadGen holds these times as double seconds (ns / 1e9) and divides by them.
  const maxLatencyS = input.lastCompletionNs / 1e9;
  const allDoneS = input.finalQueryAllSamplesDoneNs / 1e9;
  const scheduledS = input.lastScheduledNs / 1e9;
  const issuedS = input.finalQueryIssuedNs / 1e9;
  return {
    scenario: server ? 'Server' : 'Offline',
    verdict: computeLoadgenVerdict(input),
    queryCount: input.queriesIssued,
    sampleCount,
    overlatencyQueryCount: countOverLimit(input.sampleLatenciesNs, input.targetLatencyNs ?? 0),
    tokenCount: input.tokenCount,
    latency,
    ttft,
    tpot,
    samplesPerSecond: rate(sampleCount, maxLatencyS),
    tokensPerSecond: rate(input.tokenCount, maxLatencyS),
    completedSamplesPerSecond: rate(sampleCount - 1, allDoneS),
    scheduledSamplesPerSecond: rate(sampleCount - 1, scheduledS),
    completedTokensPerSecond: rate(input.tokenCount, allDoneS),
    tokenThroughputWithLoadgenOverhead: rate(input.tokenCount, issuedS),
    tokenThroughput: rate(input.tokenCount, latency.meanNs * sampleCount),
    failedQueries: input.failedQueries,
    failuresByKind: { ...(input.failuresByKind ?? {}) },
    responsesUnderTwoTokens: input.responsesUnderTwoTokens ?? 0,
  };
}
