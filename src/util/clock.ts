/**
 * Time, injected. Everything below src/cli takes a Clock so a 600-second run is
 * testable in milliseconds with FakeClock. All times are integer microseconds on a
 * monotonic clock; the origin is arbitrary (compare differences only).
 */
export interface Clock {
  /** monotonic now, integer µs */
  nowUs(): number;
  /** resolves at or after `tUs` (same timeline as nowUs); rejects with the signal's reason on abort */
  sleepUntil(tUs: number, signal?: AbortSignal): Promise<void>;
  /** wall-clock epoch ms, for timestamps in results only (never for measuring) */
  wallMs(): number;
}

/**
 * How a real-time sleeper waits out the rest of a sleep, given the µs left:
 * resolve now, resolve after one event-loop turn, yield one turn and look
 * again, or a timer of `timerMs` and look again.
 */
export type SleepStep = 'done' | 'yieldThenDone' | 'yield' | { timerMs: number; unref?: boolean };

/** An abortable sleep on `nowUs` whose waiting is decided by `policy` (shared by realClock and the simulator's clock). */
export function sleepUntilWith(nowUs: () => number, tUs: number, signal: AbortSignal | undefined, policy: (remainingUs: number) => SleepStep): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    const onAbort = () => {
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const step = () => {
      timer = undefined;
      immediate = undefined;
      const next = policy(tUs - nowUs());
      if (next === 'done') done();
      else if (next === 'yieldThenDone') immediate = setImmediate(done);
      else if (next === 'yield') immediate = setImmediate(step);
      else {
        timer = setTimeout(step, next.timerMs);
        if (next.unref) timer.unref();
      }
    };
    step();
  });
}

/**
 * setTimeout fires up to a few ms late, which would show up as issue delay at
 * high QPS. Sleep with a timer until close to the target, then yield with
 * setImmediate until it is reached: sub-100 µs accuracy at the cost of a little
 * CPU in the last stretch.
 */
const SPIN_WINDOW_US = 1_500;

const nowUs = () => Math.floor(performance.now() * 1000);

export const realClock: Clock = {
  nowUs,
  wallMs: () => Date.now(),
  sleepUntil: (tUs, signal) =>
    sleepUntilWith(nowUs, tUs, signal, (remaining) =>
      remaining <= 0 ? 'done' : remaining > SPIN_WINDOW_US ? { timerMs: (remaining - SPIN_WINDOW_US) / 1000 } : 'yield',
    ),
};

/**
 * A virtual clock for unit tests: time moves only when the test calls advance()
 * or runUntilIdle(). Sleepers wake in time order.
 */
export class FakeClock implements Clock {
  private now: number;
  private sleepers: { tUs: number; resolve: () => void; order: number }[] = [];
  private order = 0;
  constructor(startUs = 0, private readonly wallOriginMs = 1_700_000_000_000) {
    this.now = startUs;
  }
  nowUs(): number {
    return this.now;
  }
  wallMs(): number {
    return this.wallOriginMs + Math.floor(this.now / 1000);
  }
  sleepUntil(tUs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (tUs <= this.now) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        reject(signal?.reason);
      };
      const entry = {
        tUs,
        order: this.order++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
  /** Move time forward by `us`, waking sleepers in order and letting their continuations run. */
  async advance(us: number): Promise<void> {
    await this.advanceTo(this.now + us);
  }
  async advanceTo(targetUs: number): Promise<void> {
    for (;;) {
      await flushMicrotasks();
      this.sleepers.sort((a, b) => a.tUs - b.tUs || a.order - b.order);
      const next = this.sleepers[0];
      if (!next || next.tUs > targetUs) break;
      this.sleepers.shift();
      this.now = Math.max(this.now, next.tUs);
      next.resolve();
    }
    this.now = Math.max(this.now, targetUs);
    await flushMicrotasks();
  }
  /** Advance to each pending sleeper in turn until none is left (or `limitUs` is passed). */
  async runUntilIdle(limitUs = Number.MAX_SAFE_INTEGER): Promise<void> {
    for (;;) {
      await flushMicrotasks();
      this.sleepers.sort((a, b) => a.tUs - b.tUs || a.order - b.order);
      const next = this.sleepers[0];
      if (!next || next.tUs > limitUs) return;
      await this.advanceTo(next.tUs);
    }
  }
  get pendingSleepers(): number {
    return this.sleepers.length;
  }
}

async function flushMicrotasks(): Promise<void> {
  // Several hops: promise chains in the code under test may be a few links deep.
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((r) => setImmediate(r));
}
