/**
 * Injected faults: what goes wrong with real inference servers, at configurable
 * rates, deterministic for a seed.
 *
 * Each completion request that passes validation gets at most one fault: one
 * uniform draw u in [0, 1) is compared with the cumulative rates in the order of
 * FAULT_KINDS, so the rates must sum to at most 1 and the k-th request of a run
 * gets the same fault for the same seed. Mid-stream faults also draw the output
 * token at which they strike (after at least one content chunk when the output
 * is longer than one token).
 */
import { Rng, type Seed } from '../util/rng.js';
import type { Problem } from '../errors.js';

export const FAULT_KINDS = [
  '500', // HTTP 500 before any work
  '503', // HTTP 503 (overloaded / loading, as SGLang and llama.cpp send)
  '429', // HTTP 429 with Retry-After (TGI "Model is overloaded")
  'reset', // TCP reset mid-stream
  'stall', // stop sending mid-stream, keep the socket open
  'malformed', // one data line with invalid JSON, then the stream goes on
  'no-usage', // the usage chunk (or body field) is left out
  'slow-headers', // response headers delayed by slowHeadersMs
  'error-event', // data: {"error": …} inside a 200 stream, then [DONE] (vLLM, SGLang)
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultRates = Partial<Record<FaultKind, number>>;

export interface FaultOptions {
  rates: FaultRates;
  /** delay before the response headers for 'slow-headers', ms */
  slowHeadersMs: number;
  /** Retry-After header value for '429', seconds */
  retryAfterS: number;
}

export const DEFAULT_FAULT_OPTIONS: FaultOptions = { rates: {}, slowHeadersMs: 2000, retryAfterS: 1 };

export interface FaultDecision {
  kind: FaultKind;
  /** for mid-stream faults: where in the output it strikes, uniform in [0, 1) (see strikeAtToken) */
  position: number;
}

/**
 * For mid-stream faults: strike when a chunk would bring the output to at least
 * this many tokens; after the first content chunk when the output has room for one.
 */
export function strikeAtToken(decision: FaultDecision, targetTokens: number): number {
  if (targetTokens < 2) return 1;
  return Math.min(targetTokens, 2 + Math.floor(decision.position * (targetTokens - 1)));
}

const MID_STREAM: ReadonlySet<FaultKind> = new Set(['reset', 'stall', 'malformed', 'error-event']);

export function isMidStream(kind: FaultKind): boolean {
  return MID_STREAM.has(kind);
}

export class FaultPlanner {
  private readonly rng: Rng;
  private readonly cumulative: { kind: FaultKind; upTo: number }[] = [];

  constructor(rates: FaultRates, seed: Seed) {
    // A stream of its own, so changing fault rates does not change output lengths.
    this.rng = new Rng(seed, 0xfa17);
    let sum = 0;
    for (const kind of FAULT_KINDS) {
      const r = rates[kind] ?? 0;
      if (r > 0) {
        sum += r;
        this.cumulative.push({ kind, upTo: sum });
      }
    }
  }

  get enabled(): boolean {
    return this.cumulative.length > 0;
  }

  /** The fault for the next request (two draws per request, whatever the outcome). */
  next(): FaultDecision | null {
    if (!this.enabled) return null;
    const u = this.rng.next();
    const position = this.rng.next();
    const hit = this.cumulative.find((c) => u < c.upTo);
    return hit ? { kind: hit.kind, position } : null;
  }
}

export function validateFaultOptions(o: FaultOptions, where: (key: string) => string = (k) => k): Problem[] {
  const problems: Problem[] = [];
  let sum = 0;
  for (const [kind, rate] of Object.entries(o.rates)) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      problems.push({ where: where(kind), message: `unknown fault kind`, hint: `kinds: ${FAULT_KINDS.join(', ')}` });
      continue;
    }
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      problems.push({ where: where(kind), message: `rate must be a number in 0..1, got ${String(rate)}` });
      continue;
    }
    sum += rate;
  }
  if (sum > 1 + 1e-9) {
    problems.push({
      where: where('rates'),
      message: `fault rates sum to ${sum}, more than 1 (each request gets at most one fault)`,
    });
  }
  if (!(o.slowHeadersMs >= 0) || !Number.isFinite(o.slowHeadersMs)) {
    problems.push({ where: where('slowHeadersMs'), message: `must be a number of ms >= 0, got ${String(o.slowHeadersMs)}` });
  }
  if (!Number.isInteger(o.retryAfterS) || o.retryAfterS < 0) {
    problems.push({ where: where('retryAfterS'), message: `must be an integer number of seconds >= 0, got ${String(o.retryAfterS)}` });
  }
  return problems;
}

/**
 * Parse the CLI form `500=0.01,429=0.02,reset=0.005`. Returns the rates and the
 * problems found (all of them, each naming the offending item).
 */
export function parseFaultSpec(spec: string): { rates: FaultRates; problems: Problem[] } {
  const rates: FaultRates = {};
  const problems: Problem[] = [];
  const where = '--faults';
  for (const item of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    const kind = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      problems.push({ where, message: `unknown fault kind "${kind}"`, hint: `kinds: ${FAULT_KINDS.join(', ')}; form: 500=0.01,429=0.02` });
      continue;
    }
    const rate = value === '' ? NaN : Number(value);
    if (!(rate >= 0 && rate <= 1)) {
      problems.push({ where, message: `rate of "${kind}" must be a number in 0..1, got "${value}"`, hint: 'form: KIND=RATE, e.g. 500=0.01' });
      continue;
    }
    rates[kind as FaultKind] = rate;
  }
  return { rates, problems };
}
