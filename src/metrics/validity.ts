/**
 * MLPerf validity: is this run VALID the way LoadGen would judge it, and what
 * LoadGen would print about it. Pure functions on exact per-request values.
 *
 * Sources: reference/mlperf.md §2.1 (checks), §2.2 (early stopping), §1.3
 * (statistics and rates), §4 (submission checker), from `inference:
 * loadgen/results.cc` (`MinDurationMet`, `MinQueriesMet`, `MinSamplesMet`,
 * `PerfConstraintsMet`, `EarlyStopping`, `LogSummary`, `LogDetail`).
 *
 * Two layers:
 * - `computeLoadgenVerdict` / `computeLoadgenResults`: LoadGen's own checks and
 *   numbers, with its exact strings, for mlperf_log_summary.txt / _detail.txt.
 * - `computeValidity`: tokbench's `Validity` for result.json, the same checks as
 *   named ValidityChecks with numbers in their details, plus tokbench's own facts
 *   LoadGen never sees (failed requests, a client that fell behind its schedule).
 *
 * Failed requests. LoadGen has no notion of a failed query: a query the SUT never
 * completes stalls LoadGen's run until it is killed, so no result exists. tokbench
 * therefore (1) marks any run with a failed query INVALID, (2) counts each failed
 * query as over the latency limit for early stopping (a query that never completes
 * is over any limit), and (3) logs one ERROR per failure kind, which the submission
 * checker rejects. Latency statistics cover completed queries only, as LoadGen's do.
 */
import type { Validity, ValidityCheck } from './types.js';
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

const isServerLike = (s: ScenarioKind): boolean => s !== 'offline';
const MS_TO_NS = 1_000_000;

/** Milliseconds from ns for human-readable details: up to 3 decimals, no trailing zeros. */
function ms(ns: number): string {
  return String(Number((ns / MS_TO_NS).toFixed(3)));
}

function seconds(ns: number): string {
  return String(Number((ns / 1e9).toFixed(3)));
}

function failureBreakdown(byKind: Record<string, number> | undefined): string {
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

  const ttftLimitNs = input.constraints.ttftP99Ms === null ? null : Math.round(input.constraints.ttftP99Ms * MS_TO_NS);
  const tpotLimitNs = input.constraints.tpotP99Ms === null ? null : Math.round(input.constraints.tpotP99Ms * MS_TO_NS);

  let perfConstraintsMet = true;
  let perfRecommendation = '';
  let ttftP99Ns: number | null = null;
  let tpotP99Ns: number | null = null;
  let earlyTpot: EarlyStoppingOutcome | null = null;
  let earlyTtft: EarlyStoppingOutcome | null = null;
  let earlyStoppingMet = true;
  let ttftResult = '';
  let tpotResult = '';

  if (server) {
    // LoadGen indexes the token arrays by sample_count.
    const statsOpts = { indexCount: Math.max(input.sampleCount, 1) };
    ttftP99Ns = input.ttftNs.length > 0 ? loadgenLatencyStats(input.ttftNs, statsOpts).targetPercentileNs : null;
    tpotP99Ns = input.tpotNs.length > 0 ? loadgenLatencyStats(input.tpotNs, statsOpts).targetPercentileNs : null;

    // PerfConstraintsMet: "value > limit" fails, so equal to the limit passes.
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

    // EarlyStopping(TPOT) && EarlyStopping(TTFT): TTFT is not evaluated when TPOT fails.
    const failed = input.failedQueries;
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
    earlyStoppingMet = tpotPassed && (earlyTtft === null || earlyTtft.passed);
  }

  const loadgenValid = minDurationMet && minQueriesMet && perfConstraintsMet && earlyStoppingMet;
  const valid = loadgenValid && input.failedQueries === 0;

  const summaryRecommendations: string[] = [];
  let invalidReason: string | null = null;
  if (!valid) {
    let reason = '';
    if (!perfConstraintsMet) {
      summaryRecommendations.push(' * ' + perfRecommendation);
      reason += perfRecommendation + ' ';
    }
    if (!minDurationMet) {
      summaryRecommendations.push(' * ' + minDurationRecommendation);
      reason += minDurationRecommendation + ' ';
    }
    if (!minQueriesMet) {
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
    invalidReason = reason.replace(/\n/g, ' ');
  }

  return {
    valid,
    hasPerfConstraints: server,
    perfConstraintsMet,
    minDurationMet,
    minQueriesMet,
    earlyStoppingMet,
    ttftP99Ns,
    tpotP99Ns,
    earlyStopping: { tpot: earlyTpot, ttft: earlyTtft },
    earlyStoppingTtftResult: ttftResult,
    earlyStoppingTpotResult: tpotResult,
    summaryRecommendations,
    invalidReason,
    failedQueries: input.failedQueries,
  };
}

/**
 * tokbench's Validity (result.json `validity`): one ValidityCheck per LoadGen
 * check, with the numbers, plus tokbench's own. `valid` is true only when the run
 * would be VALID for LoadGen *and* its logs carry no error (the submission checker
 * rejects any LoadGen error).
 */
export function computeValidity(input: ValidityInput): Validity {
  const v = computeLoadgenVerdict(input);
  const server = isServerLike(input.scenario);
  const checks: ValidityCheck[] = [];
  const recommendations: string[] = [];

  checks.push({
    name: 'min_duration',
    passed: v.minDurationMet,
    detail: server
      ? `last query scheduled at ${seconds(input.lastScheduledNs)} s; min_duration is ${input.minDurationMs / 1000} s (LoadGen times Server runs by the last scheduled query, not its completion)`
      : `last completion at ${seconds(input.lastCompletionNs)} s; min_duration is ${input.minDurationMs / 1000} s`,
  });
  checks.push({
    name: 'min_queries',
    passed: v.minQueriesMet,
    detail:
      `${input.queriesIssued} ${input.queriesIssued === 1 ? 'query' : 'queries'} issued (min_query_count ${input.minQueryCount}); ` +
      `${input.sampleCount} samples completed (min_sample_count ${input.minSampleCount})`,
  });

  if (server) {
    const limit = (name: 'TTFT' | 'TPOT', p99Ns: number | null, limitMs: number | null): ValidityCheck => {
      const checkName = name === 'TTFT' ? 'ttft_p99' : 'tpot_p99';
      if (limitMs === null) return { name: checkName, passed: true, detail: `no p99 ${name} limit set for this benchmark; not checked` };
      if (p99Ns === null) return { name: checkName, passed: true, detail: `no completed request to measure ${name}` };
      const passed = p99Ns <= limitMs * MS_TO_NS;
      return {
        name: checkName,
        passed,
        detail: `p99 ${name} ${ms(p99Ns)} ms ${passed ? '≤' : '>'} limit ${limitMs} ms (sorted[floor(n × 0.99)] over ${input.sampleCount} completed)`,
      };
    };
    checks.push(limit('TTFT', v.ttftP99Ns, input.constraints.ttftP99Ms));
    checks.push(limit('TPOT', v.tpotP99Ns, input.constraints.tpotP99Ms));

    const describe = (name: string, o: EarlyStoppingOutcome | null, limitMs: number | null): string => {
      if (limitMs === null) return `${name}: no limit set, not evaluated`;
      if (o === null) return `${name}: not evaluated (LoadGen checks TPOT first and stops at its failure)`;
      const failedNote = input.failedQueries > 0 ? `, ${input.failedQueries} of them failed queries` : '';
      return (
        `${name}: ${o.overLimitCount} over ${limitMs} ms${failedNote}; ${o.queriesIssued} queries issued, ` +
        (o.passed ? `at least ${o.minQueries} needed: passed` : `needs ${o.minQueries}: ${o.additionalQueriesNeeded} more`)
      );
    };
    checks.push({
      name: 'early_stopping',
      passed: v.earlyStoppingMet,
      detail: `${describe('TPOT', v.earlyStopping.tpot, input.constraints.tpotP99Ms)}; ${describe('TTFT', v.earlyStopping.ttft, input.constraints.ttftP99Ms)}`,
    });
  }

  checks.push({
    name: 'all_queries_completed',
    passed: input.failedQueries === 0,
    detail:
      input.failedQueries === 0
        ? 'no request failed'
        : `${input.failedQueries} requests failed${failureBreakdown(input.failuresByKind)}. A failed query never completes, which LoadGen cannot finish a run with: the run is INVALID and each failure counts as over the latency limit for early stopping`,
  });
  const underTwo = input.responsesUnderTwoTokens ?? 0;
  checks.push({
    name: 'output_tokens',
    passed: underTwo === 0,
    detail:
      underTwo === 0
        ? 'every completed response had at least 2 output tokens'
        : `${underTwo} completed responses had fewer than 2 output tokens: TPOT is undefined for them and LoadGen logs "Number of tokens need to be greater than 1" as an error for each`,
  });

  // LoadGen's recommendations, then tokbench's.
  for (const line of v.summaryRecommendations) recommendations.push(line.replace(/^ \* /, '').replace(/\n\s*\*?\s*/g, ' '));
  if (server && v.earlyStopping.tpot && !v.earlyStopping.tpot.passed) {
    recommendations.push(
      `Early stopping (TPOT): run at least ${v.earlyStopping.tpot.additionalQueriesNeeded} more queries, or lower the target QPS so fewer exceed ${input.constraints.tpotP99Ms} ms.`,
    );
  }
  if (server && v.earlyStopping.ttft && !v.earlyStopping.ttft.passed) {
    recommendations.push(
      `Early stopping (TTFT): run at least ${v.earlyStopping.ttft.additionalQueriesNeeded} more queries, or lower the target QPS so fewer exceed ${input.constraints.ttftP99Ms} ms.`,
    );
  }
  if (input.failedQueries > 0) {
    recommendations.push(
      `${input.failedQueries} requests failed${failureBreakdown(input.failuresByKind)}: fix the server errors or lower the load; an MLPerf run needs every query to complete.`,
    );
  }
  if (underTwo > 0) {
    recommendations.push(
      `${underTwo} responses had fewer than 2 output tokens: check max_tokens / ignore_eos, and that the server reports usage.`,
    );
  }
  if (server && input.issueDelayP99Ns !== null && input.targetQps !== null && input.targetQps > 0) {
    const interArrivalNs = 1e9 / input.targetQps;
    // Lateness below a millisecond is timer jitter; at or above one mean
    // inter-arrival time the client is a whole query behind its schedule.
    if (input.issueDelayP99Ns >= Math.max(MS_TO_NS, interArrivalNs)) {
      recommendations.push(
        `The client fell behind its schedule: issue delay p99 was ${ms(input.issueDelayP99Ns)} ms against a mean inter-arrival time of ${ms(interArrivalNs)} ms at ${input.targetQps} QPS. ` +
          'Latency counts from the scheduled time, so this lateness is charged to TTFT; use --workers or more client machines (--shard).',
      );
    }
  }
  // Submission-checker parity (reference/mlperf.md §4): stricter than LoadGen.
  if (server) {
    const equalTo = (p99: number | null, limitMs: number | null): boolean => p99 !== null && limitMs !== null && p99 === limitMs * MS_TO_NS;
    if (equalTo(v.ttftP99Ns, input.constraints.ttftP99Ms)) {
      recommendations.push(
        `p99 TTFT equals the ${input.constraints.ttftP99Ms} ms limit: LoadGen accepts it, but the submission checker requires strictly less.`,
      );
    }
    if (equalTo(v.tpotP99Ns, input.constraints.tpotP99Ms)) {
      recommendations.push(
        `p99 TPOT equals the ${input.constraints.tpotP99Ms} ms limit: LoadGen accepts it, but the submission checker requires strictly less.`,
      );
    }
  }
  if (input.minDurationMs < SUBMISSION_MIN_DURATION_MS) {
    recommendations.push(
      `min_duration is ${input.minDurationMs} ms: the submission checker requires at least ${SUBMISSION_MIN_DURATION_MS} ms for a submittable run.`,
    );
  }

  const valid = checks.every((c) => c.passed);
  return { valid, checks, recommendations };
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
