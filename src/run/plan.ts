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
import { buildSchedule, shardScheduleForNode, type Schedule } from '../schedule/schedule.js';
import { planConnections, type OsLimits } from '../sut/os-limits.js';
import type { EndpointInfo } from '../sut/types.js';
import type { Balancing } from '../runner/runner.js';
import { effectiveWorkers } from '../runner/workers.js';
import { endpointSelectorProblems, parseThresholds } from '../metrics/thresholds.js';
import { shareOf } from '../util/split.js';
import { outputTargetProblems, type OutputTarget } from './outputs.js';

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
  /** the OS limits on sockets and ports (sut/os-limits.ts readOsLimits); absent: unknown */
  osLimits?: OsLimits;
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
  /** no client cap LoadGen lacks: the bound's share, else as many as the OS allows */
  readonly connectionsPerEndpoint: number;
  /** connections the OS allows per destination; null when unknown */
  readonly osMaxPerOrigin: number | null;
  readonly workers: number;
  readonly outputs: readonly OutputTarget[];
  readonly balancing: Balancing;
  readonly startAtWallMs: number | null;
}

export function planRun(resolved: ResolvedScenario, input: PlanInput): RunPlan {
  const problems = outputTargetProblems(input.outputs ?? []);
  const thresholds = parseThresholds(resolved.thresholds, (i) => `thresholds[${i}]`);
  problems.push(...endpointSelectorProblems(thresholds, input.endpoints, '--assert'));
  if (problems.length > 0) throw new ConfigError(problems);

  const endpointCount = Math.max(1, input.endpoints.length);
  const scenario = offlineBoundPerEndpoint(resolved, endpointCount);
  let schedule = buildSchedule({ scenario, librarySize: input.library.samples.length });
  if (input.shard) schedule = shardScheduleForNode(schedule, input.shard.index, input.shard.count, scenario);
  // accuracy mode needs each response's text, which worker threads do not hand back
  const workers = scenario.run.mode === 'accuracy' ? 1 : effectiveWorkers(input.workers ?? null, input.cores ?? 1, schedule);
  const bound = schedule.maxConcurrency;
  const perWorker = bound === null || workers < 2 ? null : Array.from({ length: workers }, (_, w) => shareOf(bound, workers, w));
  const connections = connectionPlan(schedule, scenario.load.targetQps, input, endpointCount);
  return deepFreeze({
    scenario,
    endpoints: input.endpoints,
    library: input.library,
    schedule,
    sizing: schedule.sizing,
    inFlight: { bound: scenario.load.maxConcurrency, shard: bound, perWorker },
    connectionsPerEndpoint: bound === null ? connections.connectionsPerOrigin : Math.max(1, Math.ceil(bound / endpointCount)),
    osMaxPerOrigin: connections.osMaxPerOrigin,
    workers,
    outputs: input.outputs ?? [],
    balancing: input.balancing ?? 'least-outstanding',
    startAtWallMs: input.startAtWallMs ?? null,
  });
}

/** Offline's default bound is per endpoint (docs/metrics.md): N nodes get N × 512 in flight, not 512 between them. */
function offlineBoundPerEndpoint(s: ResolvedScenario, endpointCount: number): ResolvedScenario {
  if (s.load.pattern !== 'offline' || s.origins['load.maxConcurrency'] !== 'default' || s.load.maxConcurrency === null || endpointCount === 1) return s;
  return { ...s, load: { ...s.load, maxConcurrency: s.load.maxConcurrency * endpointCount } };
}

/** The OS limits on sockets and ports, checked against the schedule's bound before any load. */
function connectionPlan(schedule: Schedule, rate: number | null, input: PlanInput, endpointCount: number) {
  const origins = new Set(input.endpoints.map((e) => new URL(e.url).origin)).size || endpointCount;
  const bound = schedule.maxConcurrency;
  const targetQps = schedule.pattern === 'poisson' ? rate : null;
  const plan = planConnections({
    limits: input.osLimits ?? { openFiles: null, ephemeralPorts: null },
    origins,
    maxConcurrency: bound,
    perOrigin: bound === null ? null : Math.ceil(bound / origins),
    targetQps: targetQps === null ? null : targetQps / (schedule.shard?.count ?? 1),
    boundWhere: '--max-concurrency',
  });
  if (plan.problems.length > 0) throw new ConfigError(plan.problems);
  return plan;
}

/** Frozen at the top and the plan's own records; the schedule's typed arrays and the library stay as they are (the runner reads them). */
function deepFreeze(plan: RunPlan): RunPlan {
  Object.freeze(plan.inFlight);
  if (plan.inFlight.perWorker) Object.freeze(plan.inFlight.perWorker);
  Object.freeze(plan.sizing);
  Object.freeze(plan.outputs);
  return Object.freeze(plan);
}
