/**
 * finishRun: from a run's outcome to its result.json. Everything that is
 * attached to the result (scale-out figures, server telemetry, accuracy) is
 * attached before the thresholds are judged, so every figure result.json holds
 * can be asserted with --assert.
 */
import { assembleResult, judgeThresholds } from '../metrics/assemble.js';
import { addScaleOutFigures } from '../metrics/scale-out.js';
import type { AccuracyResult, ResultJson, RunClock } from '../metrics/types.js';
import { attachObservations } from '../telemetry/run-hooks.js';
import type { Scraper } from '../telemetry/scraper.js';
import type { RequestSampler } from '../telemetry/request-sample.js';
import { TOKBENCH_VERSION } from '../version.js';
import type { RunOutcome } from './execute.js';
import type { ClientLoad } from '../metrics/client-check.js';

export interface FinishInput {
  simulated?: boolean;
  tags?: Record<string, string>;
  baseline?: { result: ResultJson; file: string } | null;
  system?: Record<string, unknown> | null;
  client?: ResultJson['client'];
  scraper?: Scraper | null;
  sampler?: RequestSampler | null;
  /** the client's own load during the run (cli/client-monitor.ts), judged into result.client.clientBound */
  clientLoad?: { load: ClientLoad; connectWaits: { over: number; requests: number } };
  /** confidence of summary.intervals; default 0.95 */
  confidence?: number;
  /** accuracy mode: the scores (computed by the caller, which also writes accuracy.txt) */
  accuracy?: AccuracyResult | null;
}

export interface FinishedRun {
  result: ResultJson;
  /** telemetry that could not be attached, for the caller to print */
  warnings: string[];
}

export function finishRun(outcome: RunOutcome, input: FinishInput = {}): FinishedRun {
  const { plan, collector } = outcome;
  const identities = plan.endpoints.map((e) => ({ url: e.url, model: e.model, labels: e.labels }));
  const result: ResultJson = assembleResult({
    collector,
    scenario: plan.scenario,
    sizing: plan.sizing,
    samples: plan.schedule.length,
    datasetSize: plan.library.samples.length,
    endpoints: identities,
    shard: plan.schedule.shard,
    tokbenchVersion: TOKBENCH_VERSION,
    startedAt: outcome.startedAt.toISOString(),
    finishedAt: outcome.finishedAt.toISOString(),
    interrupted: outcome.runner.interrupted,
    simulated: input.simulated ?? false,
    tags: input.tags ?? {},
    ...(input.confidence === undefined ? {} : { confidence: input.confidence }),
    ...(input.clientLoad === undefined ? {} : { client: input.clientLoad }),
  });
  addScaleOutFigures(result, {
    collector,
    identities,
    constraints: plan.scenario.constraints,
    baseline: input.baseline ?? null,
    system: input.system ?? null,
    clock: runClock(outcome.runner.startUs, plan.startAtWallMs),
    ...(input.client ? { client: input.client } : {}),
  });
  const warnings = attachObservations(result, { scraper: input.scraper ?? null, sampler: input.sampler ?? null, startUs: outcome.runner.startUs });
  if (input.accuracy) result.accuracy = input.accuracy;
  result.thresholds = judgeThresholds(plan.scenario.thresholds, result);
  return { result, warnings };
}

/**
 * Where t = 0 was on the wall clock: performance.timeOrigin + the runner's
 * start on this thread's performance.now() clock (what worker threads use too).
 */
export function runClock(startUs: number, startAtWallMs: number | null): RunClock {
  return {
    t0EpochUs: Math.round(performance.timeOrigin * 1000 + startUs),
    startAtEpochUs: startAtWallMs === null ? null : Math.round(startAtWallMs * 1000),
  };
}
