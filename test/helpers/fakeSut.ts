import type { Clock } from '../../src/util/clock.js';
import type { EndpointInfo, Sut, SutOutcome, SutQuery } from '../../src/sut/types.js';

export interface FakeSutBehaviour {
  /** µs from issue to the first token */
  ttftUs: number | ((q: SutQuery) => number);
  /** µs between tokens */
  itlUs: number | ((q: SutQuery) => number);
  /** output tokens (one per chunk) */
  tokens: number | ((q: SutQuery) => number);
  /** never answer (until aborted) */
  hang?: (q: SutQuery) => boolean;
  fail?: (q: SutQuery) => boolean;
}

/** A Sut on a (fake) clock: deterministic latencies, records what it was asked. */
export class FakeSut implements Sut {
  readonly endpoints: EndpointInfo[];
  readonly issued: { query: SutQuery; atUs: number }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly behaviour: FakeSutBehaviour | ((endpoint: number) => FakeSutBehaviour),
    endpointCount = 1,
  ) {
    this.endpoints = Array.from({ length: endpointCount }, (_, i) => ({ url: `http://fake-${i}`, model: 'fake', servedModels: ['fake'], labels: {} }));
  }

  async issue(query: SutQuery, signal: AbortSignal): Promise<SutOutcome> {
    const b = typeof this.behaviour === 'function' ? this.behaviour(query.endpointIndex) : this.behaviour;
    const val = (v: number | ((q: SutQuery) => number)) => (typeof v === 'function' ? v(query) : v);
    const issuedUs = this.clock.nowUs();
    this.issued.push({ query, atUs: issuedUs });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const chunkTimesUs: number[] = [];
    try {
      if (b.hang?.(query)) await this.clock.sleepUntil(Number.MAX_SAFE_INTEGER, signal);
      if (b.fail?.(query)) {
        const t = this.clock.nowUs();
        return outcome(issuedUs, -1, t, [], false, { kind: 'http_5xx', httpStatus: 500, message: 'boom' }, -1);
      }
      let t = issuedUs + val(b.ttftUs);
      const n = val(b.tokens);
      for (let i = 0; i < n; i++) {
        await this.clock.sleepUntil(t, signal);
        chunkTimesUs.push(this.clock.nowUs());
        t += val(b.itlUs);
      }
      const done = this.clock.nowUs();
      return outcome(issuedUs, chunkTimesUs[0] ?? -1, done, chunkTimesUs, true, null, n);
    } catch {
      return outcome(issuedUs, chunkTimesUs[0] ?? -1, this.clock.nowUs(), chunkTimesUs, false, { kind: 'aborted', message: 'aborted' }, -1);
    } finally {
      this.inFlight--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function outcome(
  issuedUs: number,
  firstTokenUs: number,
  completedUs: number,
  chunkTimesUs: number[],
  ok: boolean,
  error: SutOutcome['error'],
  usage: number,
): SutOutcome {
  return {
    issuedUs,
    connectWaitUs: 0,
    firstTokenUs,
    firstAnswerUs: null,
    completedUs,
    streamEndUs: chunkTimesUs.length > 0 ? completedUs : -1,
    streamed: chunkTimesUs.length > 0,
    chunkTimesUs,
    chunkTokens: null,
    usagePromptTokens: -1,
    usageCompletionTokens: usage,
    text: null,
    finishReason: ok ? 'length' : null,
    ok,
    error,
    retries: 0,
  };
}
