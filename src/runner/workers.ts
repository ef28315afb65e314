/**
 * `--workers N`: the hot path (HTTP, SSE scanning, the issue-on-time loop) in N
 * worker threads, each with its own undici pools and its share of the
 * schedule. The main thread keeps what must be single: requests.jsonl, the
 * collector, progress and signals. A run with one worker never comes here (no
 * thread is spawned).
 *
 * - Shares: worker w of N takes every N-th query of the (possibly sharded)
 *   schedule, like a shard (shardSchedule), with the concurrency bound and the
 *   connections divided between workers, so together they issue exactly the
 *   schedule one thread would, at the same offsets.
 * - One timeline: performance.now() is per thread (each has its own
 *   timeOrigin). performance.timeOrigin + performance.now() is the wall-clock
 *   epoch on every thread, so the main thread picks t = 0 as an absolute epoch
 *   time (after every worker is ready, or --start-at) and each worker converts
 *   it to its own clock. Records are relative to that common t = 0.
 * - Records reach the main thread in batches (every BATCH_MS or BATCH_SIZE
 *   records, whichever first), with the count of queries issued since the last
 *   batch; the main thread writes and collects them exactly as a single-thread
 *   run does, so the result has the same shape.
 * - Interrupts: the first signal tells every worker to stop issuing (each
 *   grants in-flight requests the grace period), the second aborts them.
 * - Warm-up requests are split between workers and run before t = 0.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SampleLibrary, Sample, TokenizerName } from '../dataset/types.js';
import type { RequestRecord } from '../records/record.js';
import { shardSchedule, type Schedule } from '../schedule/schedule.js';
import { shareOf } from '../util/split.js';
import type { EndpointInfo } from '../sut/types.js';
import type { OpenAiSutOptions, RequestSettings } from '../sut/openai.js';
import type { Balancing, RunnerOptions, RunOutcome } from './runner.js';
import type { SutOutcome } from '../sut/types.js';

export const BATCH_MS = 25;
export const BATCH_SIZE = 256;
/** most workers chosen by default; more rarely helps a client that waits on the network */
export const MAX_DEFAULT_WORKERS = 8;
/** a worker is worth its start-up (~100 ms, tens of MB) only with at least this many queries */
export const MIN_QUERIES_PER_WORKER = 64;

/** wall-clock epoch µs on the monotonic clock of this thread */
export function epochNowUs(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** this thread's performance.now() µs (realClock.nowUs()) of an epoch µs time */
export function localUsOfEpoch(epochUs: number): number {
  return Math.round(epochUs - performance.timeOrigin * 1000);
}

/**
 * The default --workers: one thread per core beyond the first (the main thread
 * keeps the records, the collector and, without --endpoint, the embedded
 * simulator), at most MAX_DEFAULT_WORKERS, and no more than one per
 * MIN_QUERIES_PER_WORKER queries. On a 2-core machine this is 1: no threads.
 */
export function defaultWorkers(cores: number, queries: number): number {
  return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, cores - 1, Math.floor(queries / MIN_QUERIES_PER_WORKER)));
}

/**
 * What each worker is started with (structured-cloned): the run's options less
 * what cannot cross a thread (signals, callbacks, the library), plus its share.
 */
export type WorkerInit = Omit<
  WorkerRunOptions,
  'workers' | 'library' | 'startAtEpochUs' | 'interrupt' | 'hardStop' | 'onIssued' | 'onRecord' | 'entry'
> & {
  index: number;
  count: number;
  /** the samples this worker's queries use, at their library index (a sparse array) */
  samples: (Sample | undefined)[];
  tokenizerSource: string;
};

export type ToWorker = { type: 'start'; t0EpochUs: number } | { type: 'interrupt' } | { type: 'hardStop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'batch'; records: RequestRecord[]; issued: number[] }
  | { type: 'done'; outcome: RunOutcome }
  | { type: 'error'; message: string };

export interface WorkerRunOptions {
  workers: number;
  schedule: Schedule;
  library: SampleLibrary;
  endpoints: EndpointInfo[];
  request: RequestSettings;
  apiKey: string | null;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  firstTokenTimeoutMs?: number;
  keepText: boolean;
  retries: number;
  /** for the whole run; divided between workers */
  connectionsPerEndpoint: number;
  tls?: { caCertPem?: string; insecure?: boolean };
  /** tokenizer that counts returned text when a server sends no usage; null: none */
  tokenizer: TokenizerName | null;
  defaultMaxTokens: number;
  warmupRequests: number;
  warmupSeed: string;
  maxDurationMs: number;
  drainTimeoutMs: number;
  graceMs: number;
  balancing: Balancing;
  /** --start-at as epoch µs; default: as soon as every worker is ready */
  startAtEpochUs?: number;
  interrupt: AbortSignal;
  hardStop: AbortSignal;
  onIssued(endpoint: number): void;
  onRecord(rec: RequestRecord): void;
  /** the worker script (default: worker-entry.js beside this module) */
  entry?: URL;
}

export interface WorkerRunOutcome extends RunOutcome {
  /** wall-clock epoch µs of t = 0 */
  t0EpochUs: number;
  workers: number;
}

/** margin between "every worker is ready" and t = 0, so the start message arrives in time */
const START_MARGIN_US = 50_000;

/**
 * worker-entry.js beside this module; when this module runs from TypeScript
 * sources (tests), the built one under dist/ (worker threads load JavaScript).
 */
export function workerEntryUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const built = here.replace(/[\\/]src[\\/]runner[\\/]workers\.ts$/, '/dist/src/runner/worker-entry.js');
    if (!existsSync(built)) throw new Error(`--workers needs the built worker script ${built}; run npm run build`);
    return pathToFileURL(built);
  }
  return new URL('./worker-entry.js', import.meta.url);
}

function splitSeed(seed: string, w: number): string {
  try {
    return ((BigInt(seed) + BigInt(w)) & ((1n << 64n) - 1n)).toString();
  } catch {
    return seed;
  }
}

/**
 * Worker w's share of n: its slice of the schedule, the samples it needs (the
 * rest of the array left empty), its share of the connections and warm-up.
 */
function workerInit(o: WorkerRunOptions, w: number, n: number): WorkerInit {
  const schedule = shardSchedule(o.schedule, w, n);
  schedule.shard = o.schedule.shard;
  const samples: (Sample | undefined)[] = new Array<Sample | undefined>(o.library.samples.length);
  for (let k = 0; k < schedule.length; k++) {
    const i = schedule.sampleIndex[k]!;
    samples[i] = o.library.samples[i];
  }
  const warmup = shareOf(o.warmupRequests, n, w, 0);
  // Warm-up draws random samples from the whole library: give the worker those too.
  if (warmup > 0) for (let i = 0; i < o.library.samples.length; i++) samples[i] = o.library.samples[i];
  return {
    index: w,
    count: n,
    schedule,
    samples,
    tokenizerSource: o.library.source,
    tokenizer: o.tokenizer,
    endpoints: o.endpoints,
    request: o.request,
    apiKey: o.apiKey,
    requestTimeoutMs: o.requestTimeoutMs,
    idleTimeoutMs: o.idleTimeoutMs,
    ...(o.firstTokenTimeoutMs !== undefined ? { firstTokenTimeoutMs: o.firstTokenTimeoutMs } : {}),
    keepText: o.keepText,
    retries: o.retries,
    connectionsPerEndpoint: Math.max(1, Math.ceil(o.connectionsPerEndpoint / n)),
    ...(o.tls ? { tls: o.tls } : {}),
    defaultMaxTokens: o.defaultMaxTokens,
    warmupRequests: warmup,
    warmupSeed: splitSeed(o.warmupSeed, w),
    maxDurationMs: o.maxDurationMs,
    drainTimeoutMs: o.drainTimeoutMs,
    graceMs: o.graceMs,
    balancing: o.balancing,
  };
}

/** The workers' outcomes as one run's. */
function combineOutcomes(done: readonly RunOutcome[], t0EpochUs: number, interrupted: boolean, workers: number): WorkerRunOutcome {
  return {
    startUs: localUsOfEpoch(t0EpochUs),
    endUs: Math.floor(performance.now() * 1000),
    issued: done.reduce((a, x) => a + x.issued, 0),
    notIssued: done.reduce((a, x) => a + x.notIssued, 0),
    interrupted: interrupted || done.some((x) => x.interrupted),
    abortedAtDeadline: done.reduce((a, x) => a + x.abortedAtDeadline, 0),
    t0EpochUs,
    workers,
  };
}

export async function runWithWorkers(o: WorkerRunOptions): Promise<WorkerRunOutcome> {
  const n = o.workers;
  if (!(Number.isInteger(n) && n >= 2)) throw new RangeError(`runWithWorkers needs 2 or more workers, got ${n}`);
  const entry = o.entry ?? workerEntryUrl();
  const threads: Worker[] = [];
  const outcomes: (RunOutcome | null)[] = new Array<RunOutcome | null>(n).fill(null);
  let readyCount = 0;
  let t0EpochUs = 0;
  let failure: Error | null = null;

  let resolveAll!: () => void;
  let rejectAll!: (e: Error) => void;
  const finished = new Promise<void>((res, rej) => {
    resolveAll = res;
    rejectAll = rej;
  });
  const fail = (e: Error) => {
    if (failure) return;
    failure = e;
    for (const t of threads) void t.terminate();
    rejectAll(e);
  };
  const post = (msg: ToWorker) => {
    for (let w = 0; w < threads.length; w++) if (outcomes[w] === null) threads[w]!.postMessage(msg);
  };
  const start = () => {
    // --start-at is t = 0 even when it has passed (queries are then late, as with one thread)
    t0EpochUs = o.startAtEpochUs ?? epochNowUs() + START_MARGIN_US;
    post({ type: 'start', t0EpochUs });
  };

  for (let w = 0; w < n; w++) {
    const init = workerInit(o, w, n);
    const t = new Worker(entry, { workerData: init, name: `tokbench-worker-${w}` });
    threads.push(t);
    t.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'batch':
          for (let e = 0; e < m.issued.length; e++) for (let k = 0; k < m.issued[e]!; k++) o.onIssued(e);
          for (const rec of m.records) o.onRecord(rec);
          break;
        case 'ready':
          readyCount++;
          if (readyCount === n) start();
          break;
        case 'done':
          outcomes[w] = m.outcome;
          if (outcomes.every((x) => x !== null)) resolveAll();
          break;
        case 'error':
          fail(new Error(`worker ${w}: ${m.message}`));
          break;
      }
    });
    t.on('error', (err) => fail(new Error(`worker ${w} crashed: ${err.message}`, { cause: err })));
    t.on('exit', (code) => {
      if (outcomes[w] === null) fail(new Error(`worker ${w} exited (code ${code}) before finishing its share`));
    });
  }

  const onInterrupt = () => post({ type: 'interrupt' });
  const onHard = () => post({ type: 'hardStop' });
  if (o.interrupt.aborted) onInterrupt();
  else o.interrupt.addEventListener('abort', onInterrupt, { once: true });
  if (o.hardStop.aborted) onHard();
  else o.hardStop.addEventListener('abort', onHard, { once: true });
  try {
    await finished;
  } finally {
    o.interrupt.removeEventListener('abort', onInterrupt);
    o.hardStop.removeEventListener('abort', onHard);
    // Workers close their pools and exit after 'done'; make sure none lingers.
    await Promise.all(threads.map((t) => t.terminate().catch(() => undefined)));
  }
  return combineOutcomes(outcomes as RunOutcome[], t0EpochUs, o.interrupt.aborted, n);
}

/**
 * The worker-thread runner with runSchedule's signature, so `run` calls one or
 * the other with the same options. The Sut in the options is not used (each
 * worker builds its own from `sut`); onRecord gets no raw outcome (null).
 * Workers are capped by the schedule: none without queries, none without a
 * concurrency slot.
 */
export function workerRunner(cfg: { workers: number; sut: OpenAiSutOptions; tokenizer: TokenizerName | null }): (o: RunnerOptions) => Promise<WorkerRunOutcome> {
  return async (o) => {
    const bound = o.schedule.maxConcurrency ?? Infinity;
    const workers = Math.max(1, Math.min(cfg.workers, o.schedule.length, bound));
    if (workers < 2) throw new RangeError('workerRunner: the schedule leaves work for one thread only; use runSchedule');
    return runWithWorkers({
      workers,
      schedule: o.schedule,
      library: o.library,
      endpoints: cfg.sut.endpoints,
      request: cfg.sut.request,
      apiKey: cfg.sut.apiKey,
      requestTimeoutMs: cfg.sut.requestTimeoutMs,
      idleTimeoutMs: cfg.sut.idleTimeoutMs,
      ...(cfg.sut.firstTokenTimeoutMs !== undefined ? { firstTokenTimeoutMs: cfg.sut.firstTokenTimeoutMs } : {}),
      keepText: cfg.sut.keepText,
      retries: cfg.sut.retries,
      connectionsPerEndpoint: cfg.sut.connectionsPerEndpoint,
      ...(cfg.sut.tls ? { tls: cfg.sut.tls } : {}),
      tokenizer: o.countTokens === null ? null : cfg.tokenizer,
      defaultMaxTokens: o.defaultMaxTokens,
      warmupRequests: o.warmupRequests,
      warmupSeed: o.warmupSeed,
      maxDurationMs: o.maxDurationMs,
      drainTimeoutMs: o.drainTimeoutMs,
      graceMs: o.graceMs,
      balancing: o.balancing,
      ...(o.startAtUs === undefined ? {} : { startAtEpochUs: Math.round(performance.timeOrigin * 1000 + o.startAtUs) }),
      interrupt: o.interrupt,
      hardStop: o.hardStop,
      onIssued: (endpoint) => o.onIssued?.(endpoint, 0),
      onRecord: (rec) => o.onRecord(rec, null as unknown as SutOutcome),
    });
  };
}

/** How many workers a run gets: --workers when given, else defaultWorkers; capped by the schedule. */
export function effectiveWorkers(requested: number | null, cores: number, schedule: Pick<Schedule, 'length' | 'maxConcurrency'>): number {
  const want = requested ?? defaultWorkers(cores, schedule.length);
  return Math.max(1, Math.min(want, schedule.length, schedule.maxConcurrency ?? Infinity));
}
