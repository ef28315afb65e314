import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/util/clock.js';
import {
  Engine,
  lowLoadE2eUs,
  lowLoadTpotUs,
  lowLoadTtftUs,
  saturationCapacity,
  validateEngineParams,
  type EngineParams,
  type SubmitRequest,
  type TokenEvent,
} from '../../../src/sim/engine.js';

const base: EngineParams = {
  maxNumSeqs: 8,
  maxBatchedTokens: 4096,
  kvCapacityTokens: 1 << 20,
  maxModelLenTokens: 1 << 16,
  stepBaseUs: 1000,
  prefillUsPerToken: 2,
  decodeUsPerSeq: 50,
  tokensPerStep: 1,
  tokensPerChunk: 1,
  timeScale: 1,
  outputLength: { kind: 'uniform', min: 1, max: 200 },
};

interface Trace {
  submitUs: number;
  events: TokenEvent[];
}

/** Submit `reqs` at the current fake time and run the engine until it is idle. */
async function runBatch(params: EngineParams, reqs: SubmitRequest[], seed = 1): Promise<{ traces: Trace[]; engine: Engine; clock: FakeClock }> {
  const clock = new FakeClock();
  const engine = new Engine(params, { clock, seed });
  const traces = reqs.map((r) => {
    const t: Trace = { submitUs: clock.nowUs(), events: [] };
    engine.submit(r, { onTokens: (e) => t.events.push(e) });
    return t;
  });
  await clock.runUntilIdle();
  await engine.close();
  return { traces, engine, clock };
}

const firstUs = (t: Trace) => t.events[0]!.timeUs;
const lastUs = (t: Trace) => t.events.at(-1)!.timeUs;
const outTokens = (t: Trace) => t.events.reduce((n, e) => n + e.tokens, 0);

describe('engine at low load', () => {
  it('TTFT and TPOT of a lone request equal the analytic values', async () => {
    const p = { ...base, timeScale: 3 };
    const { traces } = await runBatch(p, [{ promptTokens: 500, maxTokens: 40, ignoreEos: true }]);
    const t = traces[0]!;
    expect(firstUs(t) - t.submitUs).toBeCloseTo(lowLoadTtftUs(p, 500), 6);
    expect(lowLoadTtftUs(p, 500)).toBe((1000 + 2 * 500) * 3);
    const tpot = (lastUs(t) - firstUs(t)) / 39;
    expect(tpot).toBeCloseTo(lowLoadTpotUs(p), 6);
    expect(lowLoadTpotUs(p)).toBe(1050 * 3);
    expect(lastUs(t) - t.submitUs).toBeCloseTo(lowLoadE2eUs(p, 500, 40), 6);
    expect(outTokens(t)).toBe(40);
    expect(t.events.at(-1)!.finishReason).toBe('length');
  });

  it('chunks a prompt longer than maxBatchedTokens over several steps', async () => {
    const p = { ...base, maxBatchedTokens: 256 };
    const { traces, engine } = await runBatch(p, [{ promptTokens: 1000, maxTokens: 2, ignoreEos: true }]);
    // 4 prefill steps (256+256+256+232), each paying the step base cost
    expect(firstUs(traces[0]!)).toBeCloseTo(4 * 1000 + 2 * 1000, 6);
    expect(lowLoadTtftUs(p, 1000)).toBe(6000);
    expect(engine.counters.promptTokens).toBe(1000);
    expect(engine.counters.steps).toBe(5);
  });

  it('speculative decoding (tokensPerStep) divides TPOT; tokensPerChunk groups tokens but sends first and last at once', async () => {
    const p = { ...base, tokensPerStep: 3, tokensPerChunk: 4, maxBatchedTokens: 4096 };
    const { traces } = await runBatch(p, [{ promptTokens: 100, maxTokens: 20, ignoreEos: true }]);
    const t = traces[0]!;
    // 1 token from prefill, then 19 in steps of 3,3,3,3,3,3,1 -> chunks: 1 | 6 | 6 | 6 | 1
    expect(t.events.map((e) => e.tokens)).toEqual([1, 6, 6, 6, 1]);
    expect(outTokens(t)).toBe(20);
    expect((lastUs(t) - firstUs(t)) / 19).toBeCloseTo(lowLoadTpotUs(p, 20), 6);
    expect(lowLoadTpotUs(p)).toBeCloseTo(1050 / 3, 9);
  });

  it('a request for one token finishes on its prefill step', async () => {
    const { traces } = await runBatch(base, [{ promptTokens: 10, maxTokens: 1, ignoreEos: true }]);
    expect(traces[0]!.events).toEqual([{ tokens: 1, generatedTokens: 1, finishReason: 'length', timeUs: 1020 }]);
  });
});

describe('engine at saturation', () => {
  function measure(traces: Trace[]) {
    const endUs = Math.max(...traces.map(lastUs));
    const tokens = traces.reduce((n, t) => n + outTokens(t), 0);
    return { outputTokensPerSecond: (tokens / endUs) * 1e6, requestsPerSecond: (traces.length / endUs) * 1e6 };
  }
  const offline = (n: number, P: number, O: number): SubmitRequest[] =>
    Array.from({ length: n }, () => ({ promptTokens: P, maxTokens: O, ignoreEos: true }));

  it('slot-bound: Offline throughput equals the analytic capacity', async () => {
    const p = { ...base, maxNumSeqs: 16, maxBatchedTokens: 8192, timeScale: 2 };
    const { traces } = await runBatch(p, offline(160, 300, 60));
    const cap = saturationCapacity(p, { inputTokens: 300, outputTokens: 60 });
    expect(cap.bound).toBe('slots');
    expect(cap.concurrency).toBe(16);
    const m = measure(traces);
    expect(m.outputTokensPerSecond / cap.outputTokensPerSecond).toBeGreaterThan(0.99);
    expect(m.outputTokensPerSecond / cap.outputTokensPerSecond).toBeLessThan(1.01);
    expect(m.requestsPerSecond / cap.requestsPerSecond).toBeCloseTo(1, 2);
    expect(cap.modelled.outputTokensPerSecond).toBeCloseTo(cap.outputTokensPerSecond * 2, 6);
  });

  it('token-bound: a small step budget limits throughput as predicted', async () => {
    const p = { ...base, maxNumSeqs: 64, maxBatchedTokens: 512 };
    const { traces } = await runBatch(p, offline(300, 400, 40));
    const cap = saturationCapacity(p, { inputTokens: 400, outputTokens: 40 });
    expect(cap.bound).toBe('tokens');
    const ratio = measure(traces).outputTokensPerSecond / cap.outputTokensPerSecond;
    expect(ratio).toBeGreaterThan(0.96);
    expect(ratio).toBeLessThan(1.04);
  });

  it('KV-bound: capacity follows kvCapacityTokens, and requests wait for KV', async () => {
    const P = 200;
    const O = 50;
    const p = { ...base, maxNumSeqs: 32, kvCapacityTokens: 5 * (P + O) + 10, maxModelLenTokens: 1000 };
    const clock = new FakeClock();
    const engine = new Engine(p, { clock, seed: 1 });
    const traces: Trace[] = [];
    for (let i = 0; i < 100; i++) {
      const t: Trace = { submitUs: 0, events: [] };
      traces.push(t);
      engine.submit({ promptTokens: P, maxTokens: O, ignoreEos: true }, { onTokens: (e) => t.events.push(e) });
    }
    await clock.advance(1);
    expect(engine.numRunning).toBe(5);
    expect(engine.numWaiting).toBe(95);
    expect(engine.kvUsage).toBeCloseTo((5 * (P + O)) / p.kvCapacityTokens, 9);
    await clock.runUntilIdle();
    await engine.close();
    // The sixth request cannot start before the first five finish.
    expect(firstUs(traces[5]!)).toBeGreaterThan(lastUs(traces[0]!));
    const cap = saturationCapacity(p, { inputTokens: P, outputTokens: O });
    expect(cap.bound).toBe('kv');
    expect(cap.concurrency).toBe(5);
    const ratio = measure(traces).outputTokensPerSecond / cap.outputTokensPerSecond;
    expect(ratio).toBeGreaterThan(0.99);
    expect(ratio).toBeLessThan(1.01);
    expect(engine.kvUsage).toBe(0);
  });

  it('closed loop: throughput at a client concurrency below maxNumSeqs matches the prediction', async () => {
    const p = { ...base, maxNumSeqs: 32 };
    const clock = new FakeClock();
    const engine = new Engine(p, { clock, seed: 1 });
    let completed = 0;
    let tokens = 0;
    let lastEndUs = 0;
    const issue = () =>
      engine.submit(
        { promptTokens: 128, maxTokens: 32, ignoreEos: true },
        {
          onTokens: (e) => {
            tokens += e.tokens;
            if (e.finishReason) {
              completed++;
              lastEndUs = e.timeUs;
              if (completed <= 200) issue();
            }
          },
        },
      );
    for (let i = 0; i < 6; i++) issue();
    await clock.runUntilIdle();
    await engine.close();
    const cap = saturationCapacity(p, { inputTokens: 128, outputTokens: 32 }, { concurrency: 6 });
    expect(cap.concurrency).toBe(6);
    const ratio = ((tokens / lastEndUs) * 1e6) / cap.outputTokensPerSecond;
    expect(ratio).toBeGreaterThan(0.98);
    expect(ratio).toBeLessThan(1.02);
  });
});

describe('engine behaviour', () => {
  it('respects maxNumSeqs: at most that many sequences run at once', async () => {
    const clock = new FakeClock();
    const engine = new Engine({ ...base, maxNumSeqs: 3 }, { clock });
    for (let i = 0; i < 7; i++) engine.submit({ promptTokens: 10, maxTokens: 5, ignoreEos: true }, { onTokens: () => {} });
    await clock.advance(1);
    expect([engine.numRunning, engine.numWaiting]).toEqual([3, 4]);
    await clock.runUntilIdle();
    expect([engine.numRunning, engine.numWaiting]).toEqual([0, 0]);
    await engine.close();
  });

  it('is deterministic for a seed: same lengths and times; another seed differs', async () => {
    const reqs = Array.from({ length: 40 }, (_, i) => ({ promptTokens: 50 + i, maxTokens: 150, ignoreEos: false }));
    const a = await runBatch(base, reqs, 7);
    const b = await runBatch(base, reqs, 7);
    const c = await runBatch(base, reqs, 8);
    const summary = (r: { traces: Trace[] }) => r.traces.map((t) => [outTokens(t), lastUs(t)]);
    expect(summary(a)).toEqual(summary(b));
    expect(summary(a)).not.toEqual(summary(c));
    const lengths = a.traces.map(outTokens);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(150);
    expect(new Set(lengths).size).toBeGreaterThan(10);
    // stop when the drawn length ended before max_tokens, length when capped
    for (const t of a.traces) expect(t.events.at(-1)!.finishReason).toBe(outTokens(t) === 150 ? 'length' : 'stop');
  });

  it('a lengthKey makes the output length independent of arrival order', async () => {
    const clock = new FakeClock();
    const e1 = new Engine(base, { clock, seed: 3 });
    const e2 = new Engine(base, { clock, seed: 3 });
    const keys = [11, 22, 33, 44];
    const l1 = keys.map((k) => e1.targetTokensFor({ promptTokens: 5, maxTokens: 1000, ignoreEos: false, lengthKey: k }));
    const l2 = [...keys].reverse().map((k) => e2.targetTokensFor({ promptTokens: 5, maxTokens: 1000, ignoreEos: false, lengthKey: k }));
    expect(l1).toEqual(l2.reverse());
    await Promise.all([e1.close(), e2.close()]);
  });

  it('cancelling frees the slot and KV; a cancelled waiting request never runs', async () => {
    const clock = new FakeClock();
    const engine = new Engine({ ...base, maxNumSeqs: 1 }, { clock });
    const seen: number[] = [];
    const a = engine.submit({ promptTokens: 10, maxTokens: 1000, ignoreEos: true }, { onTokens: () => seen.push(0) });
    const b = engine.submit({ promptTokens: 10, maxTokens: 5, ignoreEos: true }, { onTokens: () => seen.push(1) });
    const c = engine.submit({ promptTokens: 10, maxTokens: 5, ignoreEos: true }, { onTokens: () => seen.push(2) });
    await clock.advance(10_000);
    b.cancel();
    a.cancel();
    await clock.runUntilIdle();
    await engine.close();
    expect(seen.filter((x) => x === 0).length).toBeLessThan(20);
    expect(seen).not.toContain(1);
    expect(seen.filter((x) => x === 2).length).toBe(5);
    expect(engine.counters.cancelled).toBe(2);
    expect(engine.kvUsage).toBe(0);
    expect(c.targetTokens).toBe(5);
  });

  it('rejects requests beyond maxModelLenTokens and invalid parameters', () => {
    const clock = new FakeClock();
    const engine = new Engine({ ...base, maxModelLenTokens: 100, kvCapacityTokens: 100 }, { clock });
    expect(() => engine.submit({ promptTokens: 90, maxTokens: 11, ignoreEos: true }, { onTokens: () => {} })).toThrow(RangeError);
    void engine.close();
    const problems = validateEngineParams({ ...base, maxNumSeqs: 0, maxBatchedTokens: 4, tokensPerChunk: 1.5, timeScale: 0 });
    expect(problems.map((p) => p.where).sort()).toEqual(['maxNumSeqs', 'timeScale', 'tokensPerChunk']);
    expect(validateEngineParams({ ...base, maxNumSeqs: 100, maxBatchedTokens: 50 })[0]!.where).toBe('maxBatchedTokens');
    expect(validateEngineParams({ ...base, kvCapacityTokens: 10, maxModelLenTokens: 20 })[0]!.where).toBe('maxModelLenTokens');
  });
});
