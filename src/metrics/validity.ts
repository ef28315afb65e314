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
 * - `computeLoadgenVerdict` / `computeLoadgenResults` (loadgen-verdict.ts, re-exported here): LoadGen's own checks and
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
import type { EarlyStoppingOutcome } from './early-stopping.js';
import {
  MS_TO_NS,
  SUBMISSION_MIN_DURATION_MS,
  computeLoadgenVerdict,
  failureBreakdown,
  isServerLike,
  ms,
  seconds,
  type LoadgenVerdict,
  type ValidityInput,
} from './loadgen-verdict.js';

export {
  SUBMISSION_MIN_DURATION_MS,
  computeLoadgenResults,
  computeLoadgenVerdict,
  type LoadgenResults,
  type LoadgenResultsInput,
  type LoadgenVerdict,
  type ValidityInput,
} from './loadgen-verdict.js';

/**
 * tokbench's Validity (result.json `validity`): one ValidityCheck per LoadGen
 * check, with the numbers, plus tokbench's own. `valid` is true only when the run
 * would be VALID for LoadGen *and* its logs carry no error (the submission checker
 * rejects any LoadGen error).
 */
export function computeValidity(input: ValidityInput): Validity {
  const v = computeLoadgenVerdict(input);
  const server = isServerLike(input.scenario);
  const checks: ValidityCheck[] = [
    ...sizeChecks(input, server, v),
    ...(server ? latencyChecks(input, v) : []),
    ...completionChecks(input),
  ];
  const recommendations = validityRecommendations(input, server, v);
  const valid = checks.every((c) => c.passed);
  return { valid, checks, recommendations };
}

function sizeChecks(input: ValidityInput, server: boolean, v: LoadgenVerdict): ValidityCheck[] {
  return [
    {
      name: 'min_duration',
      passed: v.minDurationMet,
      detail: server
        ? `last query scheduled at ${seconds(input.lastScheduledNs)} s; min_duration is ${input.minDurationMs / 1000} s (LoadGen times Server runs by the last scheduled query, not its completion)`
        : `last completion at ${seconds(input.lastCompletionNs)} s; min_duration is ${input.minDurationMs / 1000} s`,
    },
    {
      name: 'min_queries',
      passed: v.minQueriesMet,
      detail:
        `${input.queriesIssued} ${input.queriesIssued === 1 ? 'query' : 'queries'} issued (min_query_count ${input.minQueryCount}); ` +
        `${input.sampleCount} samples completed (min_sample_count ${input.minSampleCount})`,
    },
  ];
}

/** p99 TTFT/TPOT against their limits, and early stopping (Server-like scenarios only). */
function latencyChecks(input: ValidityInput, v: LoadgenVerdict): ValidityCheck[] {
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
  const describe = (name: string, o: EarlyStoppingOutcome | null, limitMs: number | null): string => {
    if (limitMs === null) return `${name}: no limit set, not evaluated`;
    if (o === null) return `${name}: not evaluated (LoadGen checks TPOT first and stops at its failure)`;
    const failedNote = input.failedQueries > 0 ? `, ${input.failedQueries} of them failed queries` : '';
    return (
      `${name}: ${o.overLimitCount} over ${limitMs} ms${failedNote}; ${o.queriesIssued} queries issued, ` +
      (o.passed ? `at least ${o.minQueries} needed: passed` : `needs ${o.minQueries}: ${o.additionalQueriesNeeded} more`)
    );
  };
  return [
    limit('TTFT', v.ttftP99Ns, input.constraints.ttftP99Ms),
    limit('TPOT', v.tpotP99Ns, input.constraints.tpotP99Ms),
    {
      name: 'early_stopping',
      passed: v.earlyStoppingMet,
      detail: `${describe('TPOT', v.earlyStopping.tpot, input.constraints.tpotP99Ms)}; ${describe('TTFT', v.earlyStopping.ttft, input.constraints.ttftP99Ms)}`,
    },
  ];
}

/** tokbench's own checks: every query completed, every response long enough for TPOT. */
function completionChecks(input: ValidityInput): ValidityCheck[] {
  const underTwo = input.responsesUnderTwoTokens ?? 0;
  return [
    {
      name: 'all_queries_completed',
      passed: input.failedQueries === 0,
      detail:
        input.failedQueries === 0
          ? 'no request failed'
          : `${input.failedQueries} requests failed${failureBreakdown(input.failuresByKind)}. A failed query never completes, which LoadGen cannot finish a run with: the run is INVALID and each failure counts as over the latency limit for early stopping`,
    },
    {
      name: 'output_tokens',
      passed: underTwo === 0,
      detail:
        underTwo === 0
          ? 'every completed response had at least 2 output tokens'
          : `${underTwo} completed responses had fewer than 2 output tokens: TPOT is undefined for them and LoadGen logs "Number of tokens need to be greater than 1" as an error for each`,
    },
  ];
}

/** LoadGen's recommendations, then tokbench's, then the submission checker's stricter rules. */
function validityRecommendations(input: ValidityInput, server: boolean, v: LoadgenVerdict): string[] {
  const recommendations: string[] = [];
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
  const underTwo = input.responsesUnderTwoTokens ?? 0;
  if (underTwo > 0) {
    recommendations.push(
      `${underTwo} responses had fewer than 2 output tokens: check max_tokens / ignore_eos, and that the server reports usage.`,
    );
  }
  const behind = scheduleLagRecommendation(input, server);
  if (behind) recommendations.push(behind);
  if (server) recommendations.push(...submissionCheckerNotes(input, v));
  if (input.minDurationMs < SUBMISSION_MIN_DURATION_MS) {
    recommendations.push(
      `min_duration is ${input.minDurationMs} ms: the submission checker requires at least ${SUBMISSION_MIN_DURATION_MS} ms for a submittable run.`,
    );
  }
  return recommendations;
}

function scheduleLagRecommendation(input: ValidityInput, server: boolean): string | null {
  if (!server || input.issueDelayP99Ns === null || input.targetQps === null || !(input.targetQps > 0)) return null;
  const interArrivalNs = 1e9 / input.targetQps;
  // Lateness below a millisecond is timer jitter; at or above one mean
  // inter-arrival time the client is a whole query behind its schedule.
  if (input.issueDelayP99Ns < Math.max(MS_TO_NS, interArrivalNs)) return null;
  return (
    `The client fell behind its schedule: issue delay p99 was ${ms(input.issueDelayP99Ns)} ms against a mean inter-arrival time of ${ms(interArrivalNs)} ms at ${input.targetQps} QPS. ` +
    'Latency counts from the scheduled time, so this lateness is charged to TTFT; use --workers or more client machines (--shard).'
  );
}

/** Submission-checker parity (reference/mlperf.md §4): stricter than LoadGen. */
function submissionCheckerNotes(input: ValidityInput, v: LoadgenVerdict): string[] {
  const notes: string[] = [];
  const equalTo = (p99: number | null, limitMs: number | null): boolean => p99 !== null && limitMs !== null && p99 === limitMs * MS_TO_NS;
  if (equalTo(v.ttftP99Ns, input.constraints.ttftP99Ms)) {
    notes.push(`p99 TTFT equals the ${input.constraints.ttftP99Ms} ms limit: LoadGen accepts it, but the submission checker requires strictly less.`);
  }
  if (equalTo(v.tpotP99Ns, input.constraints.tpotP99Ms)) {
    notes.push(`p99 TPOT equals the ${input.constraints.tpotP99Ms} ms limit: LoadGen accepts it, but the submission checker requires strictly less.`);
  }
  return notes;
}
