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
import type { Problem } from '../errors.js';

/** How an output length (tokens) is drawn when the request does not set ignore_eos. Bounds inclusive. */
export type OutputLengthDistribution =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'normal'; mean: number; stddev: number; min: number; max: number }
  | { kind: 'lognormal'; mean: number; stddev: number; min: number; max: number };

export interface EngineParams {
  /** most sequences in the running batch (vLLM --max-num-seqs) */
  maxNumSeqs: number;
  /** token budget of one step, decode tokens first then prefill chunks (vLLM --max-num-batched-tokens) */
  maxBatchedTokens: number;
  /** KV cache capacity in tokens; a running sequence reserves prompt + output tokens */
  kvCapacityTokens: number;
  /** largest prompt + max_tokens a request may ask for (vLLM --max-model-len) */
  maxModelLenTokens: number;
  /** fixed cost of every step, µs (kernel launches, sampling, scheduling) */
  stepBaseUs: number;
  /** cost of each prompt token prefilled in a step, µs */
  prefillUsPerToken: number;
  /** cost of each sequence decoding in a step, µs (weights and KV reads per sequence) */
  decodeUsPerSeq: number;
  /** tokens a decoding sequence gains per step: 1, or the mean accepted length under speculative decoding */
  tokensPerStep: number;
  /** tokens buffered per streamed chunk (vLLM --stream-interval); first and last chunks are sent at once */
  tokensPerChunk: number;
  /** every modelled duration is multiplied by this (10 = ten times slower than the modelled hardware) */
  timeScale: number;
  /** output length when the request does not set ignore_eos (then capped by max_tokens) */
  outputLength: OutputLengthDistribution;
}

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

export function stepDurationUs(p: EngineParams, prefillTokens: number, decodingSeqs: number): number {
  return (p.stepBaseUs + p.prefillUsPerToken * prefillTokens + p.decodeUsPerSeq * decodingSeqs) * p.timeScale;
}

// ---------------------------------------------------------------------------
// Output lengths

export function drawOutputLength(d: OutputLengthDistribution, rng: Rng): number {
  let v: number;
  switch (d.kind) {
    case 'fixed':
      return Math.max(1, Math.round(d.value));
    case 'uniform':
      return d.min + rng.int(d.max - d.min + 1);
    case 'normal':
      v = d.mean + d.stddev * rng.normal();
      break;
    case 'lognormal': {
      // Parameterised by the distribution's own mean and stddev, not the log's.
      const variance = d.stddev * d.stddev;
      const sigma2 = Math.log(1 + variance / (d.mean * d.mean));
      const mu = Math.log(d.mean) - sigma2 / 2;
      v = Math.exp(mu + Math.sqrt(sigma2) * rng.normal());
      break;
    }
  }
  return Math.min(d.max, Math.max(d.min, Math.round(v)));
}

// ---------------------------------------------------------------------------
// Validation

export function validateEngineParams(p: EngineParams, where: (key: string) => string = (k) => k): Problem[] {
  const problems: Problem[] = [];
  const int = (key: keyof EngineParams, min: number) => {
    const v = p[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      problems.push({ where: where(key), message: `must be an integer >= ${min}, got ${String(v)}` });
      return false;
    }
    return true;
  };
  const num = (key: keyof EngineParams, min: number, exclusive = false) => {
    const v = p[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (exclusive && v === min)) {
      problems.push({ where: where(key), message: `must be a number ${exclusive ? '>' : '>='} ${min}, got ${String(v)}` });
      return false;
    }
    return true;
  };
  const okSeqs = int('maxNumSeqs', 1);
  const okBatched = int('maxBatchedTokens', 1);
  const okKv = int('kvCapacityTokens', 2);
  const okLen = int('maxModelLenTokens', 2);
  num('stepBaseUs', 0);
  num('prefillUsPerToken', 0);
  num('decodeUsPerSeq', 0);
  const okStep = int('tokensPerStep', 1);
  int('tokensPerChunk', 1);
  num('timeScale', 0, true);
  if (p.stepBaseUs + p.prefillUsPerToken <= 0 || p.stepBaseUs + p.decodeUsPerSeq <= 0) {
    problems.push({
      where: where('stepBaseUs'),
      message: 'steps must take time: stepBaseUs + prefillUsPerToken and stepBaseUs + decodeUsPerSeq must be > 0',
    });
  }
  if (okSeqs && okBatched && okStep && p.maxBatchedTokens < p.maxNumSeqs * p.tokensPerStep) {
    problems.push({
      where: where('maxBatchedTokens'),
      message: `must be >= maxNumSeqs * tokensPerStep (${p.maxNumSeqs * p.tokensPerStep}) so every running sequence can decode in each step`,
      hint: 'raise maxBatchedTokens or lower maxNumSeqs',
    });
  }
  if (okKv && okLen && p.maxModelLenTokens > p.kvCapacityTokens) {
    problems.push({
      where: where('maxModelLenTokens'),
      message: `must be <= kvCapacityTokens (${p.kvCapacityTokens}): a request of that length could never be admitted`,
    });
  }
  const d = p.outputLength;
  const dw = where('outputLength');
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  if (!d || typeof d !== 'object') problems.push({ where: dw, message: 'missing' });
  else if (d.kind === 'fixed') {
    if (!posInt(d.value)) problems.push({ where: dw, message: 'fixed value must be an integer >= 1' });
  } else if (d.kind === 'uniform') {
    if (!posInt(d.min) || !posInt(d.max) || d.max < d.min) problems.push({ where: dw, message: 'uniform needs integers 1 <= min <= max' });
  } else if (d.kind === 'normal' || d.kind === 'lognormal') {
    if (!(d.mean > 0) || !(d.stddev >= 0) || !posInt(d.min) || !posInt(d.max) || d.max < d.min) {
      problems.push({ where: dw, message: `${d.kind} needs mean > 0, stddev >= 0 and integers 1 <= min <= max` });
    }
  } else problems.push({ where: dw, message: `unknown kind ${String((d as { kind: unknown }).kind)}` });
  return problems;
}

// ---------------------------------------------------------------------------
// Analytic predictions. All times are on the served (scaled) timeline: they
// include timeScale, as a client measures them.

/** TTFT of a lone request (empty engine): its prefill steps, chunked by maxBatchedTokens. */
export function lowLoadTtftUs(p: EngineParams, promptTokens: number): number {
  const steps = Math.ceil(promptTokens / p.maxBatchedTokens);
  return (steps * p.stepBaseUs + p.prefillUsPerToken * promptTokens) * p.timeScale;
}

/**
 * TPOT of a lone request, (e2e - TTFT) / (outputTokens - 1) as LoadGen computes it:
 * one decode step of a batch of one per tokensPerStep tokens. Without outputTokens,
 * the limit for long outputs.
 */
export function lowLoadTpotUs(p: EngineParams, outputTokens?: number): number {
  const stepUs = (p.stepBaseUs + p.decodeUsPerSeq) * p.timeScale;
  if (outputTokens === undefined || outputTokens < 2) return stepUs / p.tokensPerStep;
  return (Math.ceil((outputTokens - 1) / p.tokensPerStep) * stepUs) / (outputTokens - 1);
}

/** End-to-end latency of a lone request. */
export function lowLoadE2eUs(p: EngineParams, promptTokens: number, outputTokens: number): number {
  const decodeSteps = Math.ceil((outputTokens - 1) / p.tokensPerStep);
  return lowLoadTtftUs(p, promptTokens) + decodeSteps * (p.stepBaseUs + p.decodeUsPerSeq) * p.timeScale;
}

export interface Workload {
  inputTokens: number;
  outputTokens: number;
}

export interface CapacityPrediction {
  /** output tokens per second on the served (scaled) timeline; multiply by timeScale for the modelled hardware */
  outputTokensPerSecond: number;
  requestsPerSecond: number;
  /** (input + output) tokens per second */
  totalTokensPerSecond: number;
  /** sequences running at saturation */
  concurrency: number;
  /** what limits throughput: sequence slots (maxNumSeqs or client concurrency), KV cache, or the step token budget */
  bound: 'slots' | 'kv' | 'tokens';
  /** mean engine steps spent per request */
  stepsPerRequest: number;
  /** mean step duration at saturation, µs (scaled) */
  meanStepUs: number;
  /** approximate TPOT at saturation, µs (scaled): mean step / tokensPerStep */
  tpotUs: number;
  /** approximate TTFT at saturation when admitted at once (queueing excluded), µs (scaled): its prefill steps at the mean step duration */
  ttftNoQueueUs: number;
  /** same throughput converted to the modelled hardware (× timeScale) */
  modelled: { outputTokensPerSecond: number; requestsPerSecond: number; totalTokensPerSecond: number };
}

/**
 * Steady-state throughput with every request of the given shape and a queue that
 * never runs dry (Offline), optionally with the client keeping only `concurrency`
 * requests in flight (closed loop).
 *
 * Per request: P prompt tokens, O output tokens (1 from the prefill step, O-1 in
 * D = ceil((O-1)/tokensPerStep) decode steps). A request holds a slot for
 * ceil(P/maxBatchedTokens) + D steps, so with N slots the batch completes one
 * request every (ceil(P/B) + D)/N steps; the token budget allows one every
 * (P + O - 1)/B steps. The binding one gives steps per request s, and
 *
 *   time per request = (stepBaseUs * s + prefillUsPerToken * P + decodeUsPerSeq * D) * timeScale
 *
 * since every prefilled token and every decode is paid for exactly once. Exact
 * (ramp-up aside) when whole prompts fit a step's leftover budget; a fluid
 * approximation otherwise.
 */
export function saturationCapacity(p: EngineParams, w: Workload, opts: { concurrency?: number } = {}): CapacityPrediction {
  const P = w.inputTokens;
  const O = w.outputTokens;
  if (!(P >= 1) || !(O >= 1)) throw new RangeError('workload needs inputTokens >= 1 and outputTokens >= 1');
  const D = Math.ceil((O - 1) / p.tokensPerStep);
  const kvSlots = Math.floor(p.kvCapacityTokens / (P + O));
  if (kvSlots < 1) throw new RangeError(`a request of ${P}+${O} tokens does not fit kvCapacityTokens ${p.kvCapacityTokens}`);
  const slotLimit = Math.min(p.maxNumSeqs, opts.concurrency ?? Infinity);
  const N = Math.min(slotLimit, kvSlots);
  const prefillSteps = Math.ceil(P / p.maxBatchedTokens);
  const slotSteps = (prefillSteps + D) / N;
  const tokenSteps = (P + O - 1) / p.maxBatchedTokens;
  const s = Math.max(slotSteps, tokenSteps);
  const bound = tokenSteps > slotSteps ? 'tokens' : kvSlots < slotLimit ? 'kv' : 'slots';
  const usPerRequest = (p.stepBaseUs * s + p.prefillUsPerToken * P + p.decodeUsPerSeq * D) * p.timeScale;
  const requestsPerSecond = 1e6 / usPerRequest;
  const meanStepUs = usPerRequest / s;
  return {
    outputTokensPerSecond: requestsPerSecond * O,
    requestsPerSecond,
    totalTokensPerSecond: requestsPerSecond * (P + O),
    concurrency: N,
    bound,
    stepsPerRequest: s,
    meanStepUs,
    tpotUs: meanStepUs / p.tokensPerStep,
    ttftNoQueueUs: prefillSteps * meanStepUs,
    modelled: {
      outputTokensPerSecond: requestsPerSecond * O * p.timeScale,
      requestsPerSecond: requestsPerSecond * p.timeScale,
      totalTokensPerSecond: requestsPerSecond * (P + O) * p.timeScale,
    },
  };
}
