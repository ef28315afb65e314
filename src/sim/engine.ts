/**
 * The simulated inference engine: a discrete-step model of a continuous-batching
 * server (vLLM V1 style), driven by an injected Clock.
 *
 * One engine step ("iteration") runs a batch made of:
 *   1. one decode for every running sequence whose prompt is fully prefilled
 *      (each gains `tokensPerStep` tokens, fewer on its last step), then
 *   2. prefill chunks of sequences still prefilling (oldest first), then
 *   3. prefill chunks of newly admitted sequences (FCFS),
 * all within `maxBatchedTokens` tokens. Its duration is the linear model
 *
 *   stepUs = (stepBaseUs + prefillUsPerToken * prefillTokens + decodeUsPerSeq * decodingSeqs) * timeScale
 *
 * The step that finishes a sequence's prompt also samples its first token, as a
 * real engine does. Tokens become visible at the end of the step that made them.
 *
 * Admission: a waiting sequence is admitted (FCFS, no overtaking) when a sequence
 * slot is free, the step has token budget left, and the KV cache can reserve its
 * prompt plus its whole output. Reserving the full output up front means the model
 * never preempts; vLLM instead allocates blocks as tokens are generated and
 * preempts (recomputes) the youngest sequence when blocks run out. The reservation
 * keeps the model deterministic and its capacity analytic; see docs/simulator.md.
 *
 * Steps follow a model timeline: when the engine is continuously busy a step
 * starts exactly when the previous one ended, so timer lateness on a real clock
 * shifts individual chunks but never accumulates into lost throughput.
 */
import type { Clock } from '../util/clock.js';
import { Rng, type Seed } from '../util/rng.js';
import { drawOutputLength, stepDurationUs, validateEngineParams, type EngineParams } from './engine-params.js';

export {
  drawOutputLength,
  lowLoadE2eUs,
  lowLoadTpotUs,
  lowLoadTtftUs,
  saturationCapacity,
  stepDurationUs,
  validateEngineParams,
  type CapacityPrediction,
  type EngineParams,
  type OutputLengthDistribution,
  type Workload,
} from './engine-params.js';

export type FinishReason = 'stop' | 'length';

export interface SubmitRequest {
  promptTokens: number;
  /** cap on output tokens (max_tokens); the output is exactly this long with ignoreEos */
  maxTokens: number;
  ignoreEos: boolean;
  /**
   * Key for the output-length draw (e.g. a hash of the prompt and the request's
   * seed). With a key the length is a function of (engine seed, key), so it does not
   * depend on arrival order; without one, lengths are drawn in submission order.
   */
  lengthKey?: number;
}

/** Tokens made visible to the client by one step. */
export interface TokenEvent {
  /** tokens in this chunk (>= 1) */
  tokens: number;
  /** output tokens so far, this chunk included */
  generatedTokens: number;
  /** set on the last chunk */
  finishReason: FinishReason | null;
  /** end of the step that made the last of these tokens, on the engine's clock (µs, may be fractional) */
  timeUs: number;
}

export interface SeqSink {
  onTokens(event: TokenEvent): void;
  /** the sequence left the queue at the start of a step at `timeUs` */
  onAdmitted?(timeUs: number): void;
}

export interface SeqHandle {
  readonly id: number;
  readonly promptTokens: number;
  /** output length this sequence will reach unless cancelled */
  readonly targetTokens: number;
  readonly finishReason: FinishReason;
  /** submission time, µs on the engine's clock */
  readonly arrivalUs: number;
  /** drop the sequence; its KV and slot are freed at the end of the current step */
  cancel(): void;
}

export interface EngineCounters {
  steps: number;
  /** prompt tokens prefilled (the vllm:prompt_tokens counter) */
  promptTokens: number;
  /** output tokens generated for sequences not cancelled (vllm:generation_tokens) */
  generationTokens: number;
  finishedStop: number;
  finishedLength: number;
  cancelled: number;
  /** model time dropped because the host fell more than maxLagUs behind, µs (0 on a healthy host) */
  lagDroppedUs: number;
  /** busy model time (sum of step durations), µs */
  busyUs: number;
}

/**
 * When a real host falls this far behind the model timeline (CPU starved), the
 * engine stops trying to catch up and restarts the timeline at "now": bursts of
 * back-to-back steps would distort latency more than the lost time distorts
 * throughput. The loss is reported in counters.lagDroppedUs.
 */
const MAX_LAG_US = 100_000;

interface Seq extends SeqHandle {
  prefilled: number;
  generated: number;
  unsent: number;
  kvReservedTokens: number;
  cancelled: boolean;
  admitted: boolean;
  done: boolean;
  /** tokens planned for this sequence in the step in flight (prefill or decode) */
  planned: number;
  plannedPrefill: boolean;
  sink: SeqSink;
}

export class Engine {
  readonly params: Readonly<EngineParams>;
  readonly counters: EngineCounters = {
    steps: 0,
    promptTokens: 0,
    generationTokens: 0,
    finishedStop: 0,
    finishedLength: 0,
    cancelled: 0,
    lagDroppedUs: 0,
    busyUs: 0,
  };
  private readonly clock: Clock;
  private readonly seedValue: Seed;
  private readonly orderRng: Rng;
  private running: Seq[] = [];
  private waiting: Seq[] = [];
  private waitingHead = 0;
  private waitingLive = 0;
  private kvReserved = 0;
  private nextId = 0;
  private lastStepEndUs = -Infinity;
  private wake: (() => void) | null = null;
  private closed = false;
  // A fresh controller per sleep: FakeClock never removes the abort listener it
  // adds, so one long-lived signal would collect a listener per step.
  private sleepAbort: AbortController | null = null;
  private readonly loopDone: Promise<void>;

  constructor(params: EngineParams, opts: { clock: Clock; seed?: Seed }) {
    const problems = validateEngineParams(params);
    if (problems.length > 0) {
      throw new RangeError(problems.map((p) => `${p.where}: ${p.message}`).join('; '));
    }
    this.params = Object.freeze({ ...params });
    this.clock = opts.clock;
    this.seedValue = opts.seed ?? 0;
    this.orderRng = new Rng(this.seedValue, 0x5eed);
    this.loopDone = this.run();
  }

  get numRunning(): number {
    return this.running.length;
  }
  get numWaiting(): number {
    return this.waitingLive;
  }
  /** reserved KV tokens / capacity, 0..1 (the vllm:kv_cache_usage_perc gauge) */
  get kvUsage(): number {
    return this.kvReserved / this.params.kvCapacityTokens;
  }

  /** Output length a request would get: deterministic for (seed, lengthKey). */
  targetTokensFor(req: SubmitRequest): number {
    if (req.ignoreEos) return req.maxTokens;
    const rng = req.lengthKey === undefined ? this.orderRng : new Rng(this.seedValue, 1 + (req.lengthKey >>> 0));
    return Math.min(req.maxTokens, drawOutputLength(this.params.outputLength, rng));
  }

  /**
   * Queue a request. Throws RangeError when it could never run (prompt + max_tokens
   * beyond maxModelLenTokens); the HTTP layer checks first and answers 400.
   */
  submit(req: SubmitRequest, sink: SeqSink): SeqHandle {
    if (this.closed) throw new Error('engine is closed');
    const p = this.params;
    if (!Number.isInteger(req.promptTokens) || req.promptTokens < 1) throw new RangeError('promptTokens must be an integer >= 1');
    if (!Number.isInteger(req.maxTokens) || req.maxTokens < 1) throw new RangeError('maxTokens must be an integer >= 1');
    if (req.promptTokens + req.maxTokens > p.maxModelLenTokens) {
      throw new RangeError(`prompt (${req.promptTokens}) + max_tokens (${req.maxTokens}) exceeds maxModelLenTokens (${p.maxModelLenTokens})`);
    }
    const targetTokens = this.targetTokensFor(req);
    const cancelSeq = (s: Seq) => this.cancel(s);
    const seq: Seq = {
      id: this.nextId++,
      promptTokens: req.promptTokens,
      targetTokens,
      finishReason: targetTokens >= req.maxTokens ? 'length' : 'stop',
      arrivalUs: this.clock.nowUs(),
      prefilled: 0,
      generated: 0,
      unsent: 0,
      kvReservedTokens: 0,
      cancelled: false,
      admitted: false,
      done: false,
      planned: 0,
      plannedPrefill: false,
      sink,
      cancel() {
        cancelSeq(seq);
      },
    };
    this.waiting.push(seq);
    this.waitingLive++;
    this.wake?.();
    return seq;
  }

  /** Stop the loop; queued and running sequences get no more events. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.sleepAbort?.abort(new Error('engine closed'));
    this.wake?.();
    await this.loopDone;
  }

  private cancel(seq: Seq): void {
    if (seq.done || seq.cancelled) return;
    seq.cancelled = true;
    this.counters.cancelled++;
    if (!seq.admitted) this.waitingLive--;
    // A running sequence keeps its slot and KV until the step in flight ends.
  }

  private hasWork(): boolean {
    return this.running.length > 0 || this.waitingLive > 0;
  }

  private async run(): Promise<void> {
    let continuous = false;
    while (!this.closed) {
      if (!this.hasWork()) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continuous = false;
        continue;
      }
      const nowUs = this.clock.nowUs();
      let startUs: number;
      if (continuous) {
        startUs = this.lastStepEndUs;
        if (nowUs - startUs > MAX_LAG_US) {
          this.counters.lagDroppedUs += nowUs - startUs;
          startUs = nowUs;
        }
      } else {
        // Woken from idle: the step starts when the work arrived (at most "now").
        startUs = Math.max(this.lastStepEndUs, Math.min(nowUs, this.firstWaitingArrivalUs()));
      }
      const durationUs = this.planStep(startUs);
      if (durationUs === 0) {
        // Nothing to run at startUs: every running sequence was cancelled, or the
        // queue head arrived after the previous step ended (host lagging). The next
        // pass starts no earlier than the head's arrival, so it admits it.
        continuous = false;
        continue;
      }
      const endUs = startUs + durationUs;
      this.sleepAbort = new AbortController();
      try {
        await this.clock.sleepUntil(endUs, this.sleepAbort.signal);
      } catch {
        break; // closed
      } finally {
        this.sleepAbort = null;
      }
      this.lastStepEndUs = endUs;
      this.counters.steps++;
      this.counters.busyUs += durationUs;
      this.applyStep(endUs);
      continuous = true;
    }
  }

  private firstWaitingArrivalUs(): number {
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      const s = this.waiting[i]!;
      if (!s.cancelled) return s.arrivalUs;
    }
    return Infinity;
  }

  /** Choose the batch for a step starting at startUs; returns its duration (µs), 0 if empty. */
  private planStep(startUs: number): number {
    const p = this.params;
    let budget = p.maxBatchedTokens;
    let prefillTokens = 0;
    let decodingSeqs = 0;
    // Drop sequences cancelled while they were running.
    if (this.running.some((s) => s.cancelled)) this.running = this.running.filter((s) => !this.releaseIfCancelled(s));
    // 1. decodes
    for (const s of this.running) {
      s.planned = 0;
      s.plannedPrefill = false;
      if (s.prefilled < s.promptTokens) continue;
      const n = Math.min(p.tokensPerStep, s.targetTokens - s.generated);
      s.planned = n;
      budget -= n;
      decodingSeqs++;
    }
    // 2. prefills in progress
    for (const s of this.running) {
      if (s.prefilled >= s.promptTokens || budget <= 0) continue;
      const n = Math.min(s.promptTokens - s.prefilled, budget);
      s.planned = n;
      s.plannedPrefill = true;
      budget -= n;
      prefillTokens += n;
    }
    // 3. admissions, FCFS without overtaking
    while (budget > 0 && this.running.length < p.maxNumSeqs && this.waitingHead < this.waiting.length) {
      const s = this.waiting[this.waitingHead]!;
      if (s.cancelled) {
        this.waitingHead++;
        continue;
      }
      if (s.arrivalUs > startUs) break;
      const need = s.promptTokens + s.targetTokens;
      if (this.kvReserved + need > p.kvCapacityTokens) break;
      this.waitingHead++;
      this.waitingLive--;
      s.admitted = true;
      s.kvReservedTokens = need;
      this.kvReserved += need;
      const n = Math.min(s.promptTokens, budget);
      s.planned = n;
      s.plannedPrefill = true;
      budget -= n;
      prefillTokens += n;
      this.running.push(s);
      try {
        s.sink.onAdmitted?.(startUs);
      } catch {
        // see applyStep
      }
    }
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    if (prefillTokens === 0 && decodingSeqs === 0) return 0;
    return stepDurationUs(p, prefillTokens, decodingSeqs);
  }

  private releaseIfCancelled(s: Seq): boolean {
    if (!s.cancelled) return false;
    this.kvReserved -= s.kvReservedTokens;
    s.kvReservedTokens = 0;
    s.done = true;
    return true;
  }

  private applyStep(endUs: number): void {
    const chunkTokens = this.params.tokensPerChunk;
    let finishedAny = false;
    for (const s of this.running) {
      if (s.cancelled || s.planned === 0) continue;
      let produced = 0;
      if (s.plannedPrefill) {
        s.prefilled += s.planned;
        this.counters.promptTokens += s.planned;
        if (s.prefilled === s.promptTokens) produced = 1;
      } else {
        produced = s.planned;
      }
      s.planned = 0;
      if (produced === 0) continue;
      s.generated += produced;
      s.unsent += produced;
      this.counters.generationTokens += produced;
      const finished = s.generated >= s.targetTokens;
      if (finished || s.unsent >= chunkTokens || s.generated === s.unsent) {
        const event: TokenEvent = {
          tokens: s.unsent,
          generatedTokens: s.generated,
          finishReason: finished ? s.finishReason : null,
          timeUs: endUs,
        };
        s.unsent = 0;
        if (finished) {
          s.done = true;
          finishedAny = true;
          this.kvReserved -= s.kvReservedTokens;
          s.kvReservedTokens = 0;
          if (s.finishReason === 'stop') this.counters.finishedStop++;
          else this.counters.finishedLength++;
        }
        try {
          s.sink.onTokens(event);
        } catch {
          // A broken sink (socket gone) must not stop the engine; the HTTP layer cancels it.
        }
      }
    }
    if (finishedAny) this.running = this.running.filter((s) => !s.done);
  }
}
