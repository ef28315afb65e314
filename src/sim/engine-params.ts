/**
 * The simulated engine's parameters and what follows from them without running
 * it: the step cost model, output-length draws, validation, and the analytic
 * low-load latencies and saturation capacity that docs/simulator.md derives and
 * the calibration checks. engine.ts runs the same model step by step.
 */
import type { Rng } from '../util/rng.js';
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
