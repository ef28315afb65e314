/**
 * executeRun: the plan's schedule driven through a Sut on a clock, every
 * record handed to the collector and to the caller's sinks (requests.jsonl,
 * progress, accuracy, telemetry samples). No process, no console: the CLI
 * passes in what prints and what interrupts.
 */
import type { Clock } from '../util/clock.js';
import type { Sut, SutOutcome } from '../sut/types.js';
import type { OpenAiSutOptions } from '../sut/openai.js';
import type { RequestRecord } from '../records/record.js';
import { runSchedule, type RunOutcome as RunnerOutcome } from '../runner/runner.js';
import { localUsOfEpoch, workerRunner } from '../runner/workers.js';
import { MetricsCollector } from '../metrics/collector.js';
import type { Tokenizer } from '../dataset/types.js';
import type { RunPlan } from './plan.js';

export interface RunSinks {
  onIssued?(endpoint: number): void;
  /** every finished query, warm-up included; outcome is null from worker threads */
  onRecord?(rec: RequestRecord, outcome: SutOutcome | null): void;
}

export interface ExecuteDeps {
  clock: Clock;
  sut: Sut;
  sinks?: RunSinks | readonly RunSinks[];
  /** stop issuing, let in-flight requests finish within the grace period */
  signal?: AbortSignal;
  /** abort in-flight requests now */
  hardStop?: AbortSignal;
  /** the tokenizer that counts returned text when the server sends no usage */
  tokenizer?: Tokenizer | null;
  /** what worker threads build their own Sut from (plan.workers > 1) */
  workerSut?: OpenAiSutOptions;
  /** the collector to fill, when the caller reads it live (progress); default a fresh one */
  collector?: MetricsCollector;
}

export interface RunOutcome {
  readonly plan: RunPlan;
  readonly collector: MetricsCollector;
  readonly runner: RunnerOutcome;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** the first measured failure, for "every request failed" */
  readonly firstError: string | null;
  /** an endpoint that refused connections and never answered again */
  readonly down: { endpoint: number; url: string; refused: number; first: string } | null;
}

export async function executeRun(plan: RunPlan, deps: ExecuteDeps): Promise<RunOutcome> {
  const { scenario, endpoints, schedule } = plan;
  const sinks = deps.sinks === undefined ? [] : Array.isArray(deps.sinks) ? (deps.sinks as readonly RunSinks[]) : [deps.sinks as RunSinks];
  const collector = deps.collector ?? new MetricsCollector(endpoints.length);
  const health = new EndpointHealth(endpoints.length);
  let firstError: string | null = null;
  const never = new AbortController().signal;
  const startAtUs = plan.startAtWallMs === null ? undefined : Math.max(deps.clock.nowUs(), localUsOfEpoch(plan.startAtWallMs * 1000));
  const useWorkers = plan.workers > 1 && deps.workerSut !== undefined;
  const runner = useWorkers ? workerRunner({ workers: plan.workers, sut: deps.workerSut!, tokenizer: scenario.dataset.tokenizer }) : runSchedule;
  const tokenizer = deps.tokenizer ?? null;
  const startedAt = new Date();
  const outcome = await runner({
    clock: deps.clock,
    sut: deps.sut,
    library: plan.library,
    schedule,
    defaultMaxTokens: scenario.request.maxTokens,
    warmupRequests: scenario.run.warmupRequests,
    maxDurationMs: scenario.run.maxDurationMs,
    drainTimeoutMs: scenario.run.drainTimeoutMs,
    graceMs: scenario.run.graceMs,
    balancing: plan.balancing,
    countTokens: tokenizer === null ? null : (text) => tokenizer.countOutput(text),
    interrupt: deps.signal ?? never,
    hardStop: deps.hardStop ?? never,
    warmupSeed: scenario.seeds.sampleIndex,
    ...(startAtUs === undefined ? {} : { startAtUs }),
    onIssued: (endpoint, relUs) => {
      collector.onIssued(endpoint, relUs);
      for (const s of sinks) s.onIssued?.(endpoint);
    },
    onRecord: (rec, raw) => {
      if (!rec.ok && firstError === null && rec.error && !rec.warmup) {
        firstError = `${rec.error.kind}${rec.error.httpStatus ? ` (HTTP ${rec.error.httpStatus})` : ''}: ${rec.error.message}`;
      }
      health.record(rec);
      collector.record(rec);
      for (const s of sinks) s.onRecord?.(rec, raw ?? null);
    },
  });
  const down = health.down();
  return {
    plan,
    collector,
    runner: outcome,
    startedAt,
    finishedAt: new Date(),
    firstError,
    down: down === null ? null : { ...down, url: endpoints[down.endpoint]!.url },
  };
}

/** Per endpoint: the last completion and the refused connections, to tell an endpoint that went down and stayed down. */
class EndpointHealth {
  private readonly lastOkUs: number[];
  private readonly refused: { lastUs: number; count: number; first: string }[];
  constructor(n: number) {
    this.lastOkUs = Array.from({ length: n }, () => -1);
    this.refused = Array.from({ length: n }, () => ({ lastUs: -1, count: 0, first: '' }));
  }
  record(rec: RequestRecord): void {
    if (rec.warmup || rec.endpoint < 0 || rec.endpoint >= this.lastOkUs.length) return;
    if (rec.ok) this.lastOkUs[rec.endpoint] = Math.max(this.lastOkUs[rec.endpoint]!, rec.completedUs);
    else if (rec.error?.kind === 'connect') {
      const r = this.refused[rec.endpoint]!;
      if (r.count++ === 0) r.first = rec.error.message;
      r.lastUs = Math.max(r.lastUs, rec.completedUs);
    }
  }
  down(): { endpoint: number; refused: number; first: string } | null {
    const i = this.refused.findIndex((r, k) => r.count > 0 && r.lastUs > this.lastOkUs[k]!);
    return i < 0 ? null : { endpoint: i, refused: this.refused[i]!.count, first: this.refused[i]!.first };
  }
}
