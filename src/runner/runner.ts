/**
 * The runner executes a Schedule: it waits until each query's scheduled time,
 * takes a concurrency slot, issues the query through the Sut, and turns the
 * outcome into a RequestRecord. It records integers only: no strings, no
 * console, no formatting. Everything it needs (clock, Sut, signals) is passed in,
 * so a 600 s run is testable in milliseconds with a FakeClock and a fake Sut.
 */
import { setMaxListeners } from 'node:events';
import type { Clock } from '../util/clock.js';
import type { SampleLibrary } from '../dataset/types.js';
import type { Schedule } from '../schedule/schedule.js';
import type { Sut, SutOutcome } from '../sut/types.js';
import type { RequestRecord, TokenCountSource } from '../records/record.js';
import { Rng } from '../util/rng.js';
import { Semaphore } from './semaphore.js';
import { failedOutcome } from '../sut/outcome.js';

export type Balancing = 'round-robin' | 'least-outstanding';

export interface RunnerOptions {
  clock: Clock;
  sut: Sut;
  library: SampleLibrary;
  schedule: Schedule;
  /** max output tokens when a sample does not carry its own */
  defaultMaxTokens: number;
  warmupRequests: number;
  /** stop issuing new queries after this long (0 = no limit) */
  maxDurationMs: number;
  /** after issuing ends, how long in-flight queries may take before they are aborted */
  drainTimeoutMs: number;
  /** after an interrupt, how long in-flight queries may take before they are aborted */
  graceMs: number;
  balancing: Balancing;
  /** tokenizer count of generated text, used only when the server sent no usage */
  countTokens: ((text: string) => number) | null;
  /** aborted when the user interrupts: stop issuing, then grace, then abort in flight */
  interrupt: AbortSignal;
  /** aborted on a second interrupt: abort everything now */
  hardStop: AbortSignal;
  /** absolute clock time (µs) to start at, for aligned shards; default: now */
  startAtUs?: number;
  /** seed for the warm-up sample choice */
  warmupSeed: string;
  onIssued?(endpoint: number, relUs: number): void;
  /** every finished query, warm-up included (rec.warmup tells) */
  onRecord(rec: RequestRecord, outcome: SutOutcome): void;
}

export interface RunOutcome {
  /** absolute clock µs of t = 0 (after warm-up) */
  startUs: number;
  /** absolute clock µs when the last query finished or was abandoned */
  endUs: number;
  issued: number;
  notIssued: number;
  interrupted: boolean;
  /** in-flight queries aborted at the drain deadline */
  abortedAtDeadline: number;
}

/** Starts a query: `release` is called once it has its record. */
type IssueQuery = (seq: number, sampleIndex: number, scheduledRelUs: number, warmup: boolean, release: () => void) => void;

/** The endpoint for the next query, by the balancing policy, reading the per-endpoint outstanding counts. */
function endpointPicker(endpointCount: number, balancing: Balancing, outstanding: Int32Array): () => number {
  let rr = 0;
  return (): number => {
    if (endpointCount === 1) return 0;
    if (balancing === 'round-robin') return rr++ % endpointCount;
    let best = rr % endpointCount;
    for (let k = 1; k < endpointCount; k++) {
      const e = (rr + k) % endpointCount;
      if (outstanding[e]! < outstanding[best]!) best = e;
    }
    rr++;
    return best;
  };
}

/**
 * Issues the measured schedule from t = startUs; returns how many queries were
 * issued before the schedule ended, the interrupt or maxDuration.
 */
async function issueSchedule(
  clock: Clock,
  schedule: Schedule,
  startUs: number,
  maxDurationMs: number,
  interrupt: AbortSignal,
  issue: IssueQuery,
): Promise<number> {
  const bound = schedule.maxConcurrency;
  const sem = bound === null ? null : new Semaphore(bound);
  const maxDurationUs = maxDurationMs > 0 ? maxDurationMs * 1000 : Infinity;
  let issued = 0;
  // one release for every query, not a closure per query
  const release = sem ? () => sem.release() : noop;
  const closed = schedule.pattern === 'closed';
  const timed = schedule.pattern === 'poisson';
  // Issuing stops at the interrupt or at maxDuration, even while waiting for a
  // free slot: against a server that never answers, no slot ever frees.
  const issueStop = new AbortController();
  setMaxListeners(0, issueStop.signal);
  const stopIssuing = () => issueStop.abort(new Error('issuing stopped'));
  interrupt.addEventListener('abort', stopIssuing, { once: true });
  if (interrupt.aborted) stopIssuing();
  const maxDurationTimer = new AbortController();
  if (maxDurationUs !== Infinity) void clock.sleepUntil(startUs + maxDurationUs, maxDurationTimer.signal).then(stopIssuing, noop);

  for (let i = 0; i < schedule.length; i++) {
    if (issueStop.signal.aborted) break;
    const scheduledRel = schedule.scheduledAtUs[i]!;
    if (timed) {
      if (scheduledRel >= maxDurationUs) break;
      try {
        await clock.sleepUntil(startUs + scheduledRel, issueStop.signal);
      } catch {
        break;
      }
    } else if (clock.nowUs() - startUs >= maxDurationUs) break;
    if (sem) {
      try {
        await sem.acquire(issueStop.signal);
      } catch {
        break;
      }
    }
    // Closed loop: the query is "scheduled" when its slot frees.
    const sched = closed ? clock.nowUs() - startUs : scheduledRel;
    issue(schedule.seq[i]!, schedule.sampleIndex[i]!, sched, false, release);
    issued++;
  }
  maxDurationTimer.abort();
  interrupt.removeEventListener('abort', stopIssuing);
  return issued;
}

/**
 * Drain: wait for what is in flight, bounded by the drain timeout (or the
 * interrupt grace), then abort the rest so the run always ends. Returns how
 * many were aborted at the deadline.
 */
async function drainInflight(opts: RunnerOptions, inflight: ReadonlySet<Promise<void>>, inflightAbort: AbortController): Promise<number> {
  const { clock } = opts;
  const drainMs = opts.interrupt.aborted ? opts.graceMs : opts.drainTimeoutMs;
  let abortedAtDeadline = 0;
  if (inflight.size > 0) {
    const deadline = clock.nowUs() + drainMs * 1000;
    const timerAbort = new AbortController();
    const drained = Promise.all([...inflight]).then(() => 'drained' as const);
    const timedOut = clock.sleepUntil(deadline, timerAbort.signal).then(
      () => 'timeout' as const,
      () => 'cancelled' as const,
    );
    // An interrupt that arrives during the drain shortens it to the grace period.
    const onInterrupt = () => {
      if (!timerAbort.signal.aborted) {
        const graceDeadline = clock.nowUs() + opts.graceMs * 1000;
        if (graceDeadline < deadline) {
          void clock.sleepUntil(graceDeadline, timerAbort.signal).then(() => inflightAbort.abort(new Error('interrupted')), noop);
        }
      }
    };
    opts.interrupt.addEventListener('abort', onInterrupt, { once: true });
    const first = await Promise.race([drained, timedOut]);
    if (first === 'timeout') {
      abortedAtDeadline = inflight.size;
      inflightAbort.abort(new Error('drain timeout'));
      await Promise.all([...inflight]);
    }
    timerAbort.abort();
    opts.interrupt.removeEventListener('abort', onInterrupt);
  }
  return abortedAtDeadline;
}

export async function runSchedule(opts: RunnerOptions): Promise<RunOutcome> {
  const { clock, sut, schedule, library } = opts;
  const endpointCount = sut.endpoints.length;
  const outstanding = new Int32Array(endpointCount);
  const pickEndpoint = endpointPicker(endpointCount, opts.balancing, outstanding);

  // One controller aborts every in-flight request at the deadline or a hard stop.
  const inflightAbort = new AbortController();
  // Every in-flight request listens on these; hundreds at once is normal, not a leak.
  setMaxListeners(0, inflightAbort.signal, opts.interrupt, opts.hardStop);
  const onHard = () => inflightAbort.abort(new Error('aborted'));
  if (opts.hardStop.aborted) onHard();
  opts.hardStop.addEventListener('abort', onHard, { once: true });

  const inflight = new Set<Promise<void>>();
  let startUs = 0;

  const issue: IssueQuery = (seq, sampleIndex, scheduledRelUs, warmup, release) => {
    const endpoint = pickEndpoint();
    outstanding[endpoint]!++;
    const sample = library.samples[sampleIndex]!;
    const maxTokens = sample.outputTokens ?? opts.defaultMaxTokens;
    if (!warmup) opts.onIssued?.(endpoint, clock.nowUs() - startUs);
    const p = sut
      .issue({ seq, sample, endpointIndex: endpoint, maxTokens }, inflightAbort.signal)
      .then(
        (outcome) => {
          opts.onRecord(toRecord(seq, sampleIndex, endpoint, warmup, scheduledRelUs, startUs, outcome, sample.inputTokens, opts), outcome);
        },
        (err: unknown) => {
          // A Sut must not throw, but if one does the query is still accounted for.
          const now = clock.nowUs();
          const outcome = failedOutcome(now, now, 'other', err instanceof Error ? err.message : String(err), 0);
          opts.onRecord(toRecord(seq, sampleIndex, endpoint, warmup, scheduledRelUs, startUs, outcome, sample.inputTokens, opts), outcome);
        },
      )
      .finally(() => {
        outstanding[endpoint]!--;
        inflight.delete(p);
        release();
      });
    inflight.add(p);
  };

  // Warm-up: closed loop, before t = 0, excluded from every figure.
  if (opts.warmupRequests > 0 && !opts.interrupt.aborted) {
    const rng = new Rng(opts.warmupSeed, 0x77a);
    const width = Math.max(1, Math.min(opts.warmupRequests, schedule.maxConcurrency ?? opts.warmupRequests));
    const sem = new Semaphore(width);
    const release = () => sem.release();
    startUs = clock.nowUs();
    for (let i = 0; i < opts.warmupRequests && !opts.interrupt.aborted; i++) {
      await sem.acquire();
      issue(-1 - i, rng.int(library.samples.length), clock.nowUs() - startUs, true, release);
    }
    await Promise.all([...inflight]);
  }

  startUs = opts.startAtUs ?? clock.nowUs();
  if (opts.startAtUs !== undefined && opts.startAtUs > clock.nowUs()) {
    await clock.sleepUntil(opts.startAtUs, opts.interrupt).catch(() => undefined);
  }

  const issued = await issueSchedule(clock, schedule, startUs, opts.maxDurationMs, opts.interrupt, issue);

  const abortedAtDeadline = await drainInflight(opts, inflight, inflightAbort);
  opts.hardStop.removeEventListener('abort', onHard);
  return {
    startUs,
    endUs: clock.nowUs(),
    issued,
    notIssued: schedule.length - issued,
    interrupted: opts.interrupt.aborted,
    abortedAtDeadline,
  };
}

function noop(): void {}

/** Outcome (absolute clock µs) → record (µs from the run's start). */
export function toRecord(
  seq: number,
  sampleIndex: number,
  endpoint: number,
  warmup: boolean,
  scheduledRelUs: number,
  startUs: number,
  o: SutOutcome,
  sampleInputTokens: number,
  opts: Pick<RunnerOptions, 'countTokens'>,
): RequestRecord {
  const chunks = o.chunkTimesUs.length;
  let outputTokens: number;
  let tokenSource: TokenCountSource;
  if (o.usageCompletionTokens >= 0) {
    outputTokens = o.usageCompletionTokens;
    tokenSource = 'usage';
  } else if (o.chunkTokens !== null && chunks > 0) {
    // Continuous usage or token ids gave per-chunk counts even though the final usage is missing.
    outputTokens = sum(o.chunkTokens);
    tokenSource = 'usage';
  } else if (o.text !== null && opts.countTokens) {
    outputTokens = o.text.length === 0 ? 0 : opts.countTokens(o.text);
    tokenSource = 'tokenizer';
  } else {
    outputTokens = 0;
    tokenSource = 'none';
  }

  let chunkTokenSource: RequestRecord['chunkTokenSource'];
  let chunkTokens: number[] | undefined;
  if (chunks === 0) chunkTokenSource = 'none';
  else if (o.chunkTokens !== null) {
    // One token per chunk is the common case; keep the array only when it says more.
    if (allOnes(o.chunkTokens)) chunkTokenSource = 'single';
    else {
      chunkTokenSource = 'server';
      chunkTokens = o.chunkTokens;
    }
  } else if (outputTokens === chunks) chunkTokenSource = 'single';
  else {
    chunkTokenSource = 'estimated';
    if (o.chunkWeights && o.chunkWeights.length === chunks && outputTokens > chunks) {
      chunkTokens = spreadByWeight(outputTokens, o.chunkWeights);
    }
  }

  const rec: RequestRecord = {
    seq,
    sampleIndex,
    endpoint,
    warmup,
    scheduledUs: scheduledRelUs,
    issuedUs: o.issuedUs - startUs,
    firstTokenUs: o.firstTokenUs >= 0 ? o.firstTokenUs - startUs : null,
    completedUs: o.completedUs - startUs,
    inputTokens: o.usagePromptTokens >= 0 ? o.usagePromptTokens : sampleInputTokens,
    outputTokens,
    tokenSource,
    chunks,
    chunkTokenSource,
    ok: o.ok,
    error: o.error,
    retries: o.retries,
  };
  rec.connectWaitUs = o.connectWaitUs;
  if (o.ok && !o.streamed) rec.streamed = false;
  if (o.firstAnswerUs !== null) rec.firstAnswerUs = o.firstAnswerUs >= 0 ? o.firstAnswerUs - startUs : null;
  if (o.ok && o.streamEndUs >= 0) rec.closeWaitUs = Math.max(0, o.streamEndUs - o.completedUs);
  // Gaps are always kept on the record (the collector needs them for ITL); the
  // JSONL writer drops them when --no-record-chunks asks for smaller files.
  if (chunks > 1) {
    const gaps = new Array<number>(chunks - 1);
    for (let i = 1; i < chunks; i++) gaps[i - 1] = o.chunkTimesUs[i]! - o.chunkTimesUs[i - 1]!;
    rec.chunkGapsUs = gaps;
  }
  if (chunkTokens) rec.chunkTokens = chunkTokens;
  return rec;
}

function sum(a: readonly number[]): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

function allOnes(a: readonly number[]): boolean {
  for (const v of a) if (v !== 1) return false;
  return true;
}

/**
 * Spread `total` tokens over chunks in proportion to their text size, at least
 * one per chunk (a chunk that carried output carried a token), by largest
 * remainder so the counts add up to `total` exactly. An estimate: servers that
 * report per-chunk usage or token ids make it unnecessary.
 */
export function spreadByWeight(total: number, weights: readonly number[]): number[] {
  const n = weights.length;
  const out = new Array<number>(n).fill(1);
  let rest = total - n;
  if (rest <= 0) return out;
  let w = weights.map((x) => Math.max(0, x));
  let wSum = w.reduce((a, b) => a + b, 0);
  if (wSum <= 0) {
    // No text to go by (e.g. token ids only): spread evenly.
    w = w.map(() => 1);
    wSum = n;
  }
  // Each chunk's share of the whole, less the one token it already has.
  const ideal = w.map((x) => Math.max(0, (x / wSum) * total - 1));
  const idealSum = ideal.reduce((a, b) => a + b, 0);
  const scaled = idealSum > 0 ? ideal.map((x) => (x / idealSum) * rest) : ideal;
  const floors = scaled.map(Math.floor);
  for (let i = 0; i < n; i++) out[i]! += floors[i]!;
  rest -= floors.reduce((a, b) => a + b, 0);
  const order = scaled.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < rest; k++) out[order[k % n]![1]]!++;
  return out;
}
