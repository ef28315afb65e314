/**
 * planRun: every number a run is wired by, derived once and frozen. The
 * schedule's sizing is the one the MLPerf logs and validity read; the in-flight
 * bound is split over shards and worker threads by one rule (shareOf) whose
 * parts sum to the bound; the endpoints are the normalised ones preflight
 * returned, the same URLs result.json shows and `--assert endpoint[URL]` matches.
 */
import { ConfigError } from '../errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { SampleLibrary } from '../dataset/types.js';
import { buildSchedule, shardSchedule, type Schedule } from '../schedule/schedule.js';
import type { EndpointInfo } from '../sut/types.js';
import type { Balancing } from '../runner/runner.js';
import { effectiveWorkers } from '../runner/workers.js';
import { endpointSelectorProblems, parseThresholds } from '../metrics/thresholds.js';
import { shareOf } from '../util/split.js';
import { outputTargetProblems, type OutputTarget } from './outputs.js';

/** Pool size per endpoint when nothing bounds the run. */
const UNBOUNDED_CONNECTIONS = 1024;

export interface PlanInput {
  /** endpoints as preflight returned them (normalised base URLs, models known) */
  endpoints: readonly EndpointInfo[];
  library: SampleLibrary;
  shard?: { index: number; count: number } | null;
  /** --workers; null: the machine's default */
  workers?: number | null;
  /** cores available to worker threads */
  cores?: number;
  /** every file and directory the run will write */
  outputs?: readonly OutputTarget[];
  balancing?: Balancing;
  /** --start-at, ms since the epoch */
  startAtWallMs?: number | null;
}

export interface RunPlan {
  readonly scenario: ResolvedScenario;
  readonly endpoints: readonly EndpointInfo[];
  readonly library: SampleLibrary;
  /** this client's part of the schedule (after sharding) */
  readonly schedule: Schedule;
  /** the one sizing number set (schedule, MLPerf logs, validity) */
  readonly sizing: Schedule['sizing'];
  readonly inFlight: {
    /** the scenario's bound for the whole run; null = unbounded */
    readonly bound: number | null;
    /** this shard's share */
    readonly shard: number | null;
    /** each worker thread's share of the shard's */
    readonly perWorker: readonly number[] | null;
  };
  readonly connectionsPerEndpoint: number;
  readonly workers: number;
  readonly outputs: readonly OutputTarget[];
  readonly balancing: Balancing;
  readonly startAtWallMs: number | null;
}

export function planRun(scenario: ResolvedScenario, input: PlanInput): RunPlan {
  const problems = outputTargetProblems(input.outputs ?? []);
  const thresholds = parseThresholds(scenario.thresholds, (i) => `thresholds[${i}]`);
  problems.push(...endpointSelectorProblems(thresholds, input.endpoints, '--assert'));
  if (problems.length > 0) throw new ConfigError(problems);

  let schedule = buildSchedule({ scenario, librarySize: input.library.samples.length });
  if (input.shard) schedule = shardSchedule(schedule, input.shard.index, input.shard.count);
  // accuracy mode needs each response's text, which worker threads do not hand back
  const workers = scenario.run.mode === 'accuracy' ? 1 : effectiveWorkers(input.workers ?? null, input.cores ?? 1, schedule);
  const bound = schedule.maxConcurrency;
  const perWorker = bound === null || workers < 2 ? null : Array.from({ length: workers }, (_, w) => shareOf(bound, workers, w));
  const endpointCount = Math.max(1, input.endpoints.length);
  return deepFreeze({
    scenario,
    endpoints: input.endpoints,
    library: input.library,
    schedule,
    sizing: schedule.sizing,
    inFlight: { bound: scenario.load.maxConcurrency, shard: bound, perWorker },
    connectionsPerEndpoint: Math.max(1, Math.ceil((bound ?? UNBOUNDED_CONNECTIONS) / endpointCount)),
    workers,
    outputs: input.outputs ?? [],
    balancing: input.balancing ?? 'least-outstanding',
    startAtWallMs: input.startAtWallMs ?? null,
  });
}

/** Frozen at the top and the plan's own records; the schedule's typed arrays and the library stay as they are (the runner reads them). */
function deepFreeze(plan: RunPlan): RunPlan {
  Object.freeze(plan.inFlight);
  if (plan.inFlight.perWorker) Object.freeze(plan.inFlight.perWorker);
  Object.freeze(plan.sizing);
  Object.freeze(plan.outputs);
  return Object.freeze(plan);
}
