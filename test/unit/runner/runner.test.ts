import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/util/clock.js';
import { runSchedule, type RunnerOptions } from '../../../src/runner/runner.js';
import { buildSchedule } from '../../../src/schedule/schedule.js';
import type { RequestRecord } from '../../../src/records/record.js';
import type { SampleLibrary } from '../../../src/dataset/types.js';
import { FakeSut, type FakeSutBehaviour } from '../../helpers/fakeSut.js';
import { scenarioFor } from '../../helpers/scenario.js';
import type { ScenarioFlags } from '../../../src/scenario/resolve.js';

const library: SampleLibrary = {
  tokenizer: 'llama2',
  source: 'test',
  samples: Array.from({ length: 10 }, (_, i) => ({ index: i, prompt: `p${i}`, promptTokenIds: null, messages: null, inputTokens: 10 + i, outputTokens: 4, reference: null })),
};

async function run(name: string, flags: ScenarioFlags, behaviour: FakeSutBehaviour | ((e: number) => FakeSutBehaviour), extra: Partial<RunnerOptions> = {}, endpoints = 1) {
  const clock = new FakeClock(1_000_000);
  const scenario = scenarioFor(name, flags);
  const schedule = buildSchedule({ scenario, librarySize: library.samples.length });
  const sut = new FakeSut(clock, behaviour, endpoints);
  const records: RequestRecord[] = [];
  const interrupt = new AbortController();
  const hardStop = new AbortController();
  const done = runSchedule({
    clock,
    sut,
    library,
    schedule,
    defaultMaxTokens: 16,
    warmupRequests: 0,
    maxDurationMs: 0,
    drainTimeoutMs: 60_000,
    graceMs: 1_000,
    balancing: 'round-robin',
    countTokens: null,
    interrupt: interrupt.signal,
    hardStop: hardStop.signal,
    warmupSeed: '1',
    onRecord: (r) => records.push(r),
    ...extra,
  });
  return { clock, schedule, sut, records, done, interrupt, hardStop };
}

describe('runner on a fake clock', () => {
  it('issues Poisson queries exactly on schedule and accounts for each one', async () => {
    const r = await run('llama2-70b/server', { targetQps: 10, samples: 200, seed: '9' }, { ttftUs: 50_000, itlUs: 10_000, tokens: 4 });
    await r.clock.runUntilIdle();
    const outcome = await r.done;
    expect(outcome.issued).toBe(200);
    expect(r.records.length).toBe(200);
    const bySeq = [...r.records].sort((a, b) => a.seq - b.seq);
    bySeq.forEach((rec, i) => {
      expect(rec.seq).toBe(i);
      expect(rec.scheduledUs).toBe(r.schedule.scheduledAtUs[i]);
      expect(rec.issuedUs).toBe(rec.scheduledUs); // no client delay on a fake clock
      expect(rec.firstTokenUs! - rec.scheduledUs).toBe(50_000);
      expect(rec.completedUs - rec.scheduledUs).toBe(80_000);
      expect(rec.chunkGapsUs).toEqual([10_000, 10_000, 10_000]);
      expect(rec.outputTokens).toBe(4);
      expect(rec.sampleIndex).toBe(r.schedule.sampleIndex[i]);
    });
  });

  it('Offline: bounded concurrency, latency counted from t = 0 including the wait for a slot', async () => {
    const r = await run('llama2-70b/offline', { samples: 6, maxConcurrency: 2 }, { ttftUs: 100_000, itlUs: 0, tokens: 1 });
    await r.clock.runUntilIdle();
    await r.done;
    expect(r.sut.maxInFlight).toBe(2);
    const e2e = r.records.map((x) => x.completedUs - x.scheduledUs).sort((a, b) => a - b);
    expect(e2e).toEqual([100_000, 100_000, 200_000, 200_000, 300_000, 300_000]);
    const issueDelay = r.records.map((x) => x.issuedUs - x.scheduledUs).sort((a, b) => a - b);
    expect(issueDelay).toEqual([0, 0, 100_000, 100_000, 200_000, 200_000]);
  });

  it('closed loop: each query is scheduled when its slot frees', async () => {
    const r = await run('llama2-70b/offline', { samples: 6, concurrency: 3 }, { ttftUs: 40_000, itlUs: 0, tokens: 1 });
    await r.clock.runUntilIdle();
    await r.done;
    expect(r.sut.maxInFlight).toBe(3);
    for (const rec of r.records) {
      expect(rec.issuedUs).toBe(rec.scheduledUs);
      expect(rec.completedUs - rec.scheduledUs).toBe(40_000);
    }
  });

  it('a server that never answers is aborted at the drain deadline; the run ends and counts add up', async () => {
    const r = await run(
      'llama2-70b/offline',
      { samples: 5 },
      { ttftUs: 1000, itlUs: 1000, tokens: 2, hang: (q) => q.seq % 2 === 0 },
      { drainTimeoutMs: 5_000 },
    );
    await r.clock.runUntilIdle();
    const outcome = await r.done;
    expect(outcome.abortedAtDeadline).toBe(3);
    expect(r.records.length).toBe(5);
    expect(r.records.filter((x) => !x.ok).map((x) => x.error?.kind)).toEqual(['aborted', 'aborted', 'aborted']);
    expect(r.records.filter((x) => x.ok).length + r.records.filter((x) => !x.ok).length).toBe(outcome.issued);
  });

  it('an interrupt stops issuing, gives in-flight requests the grace period, then aborts them', async () => {
    const r = await run('llama2-70b/server', { targetQps: 100, samples: 1000, seed: '2' }, { ttftUs: 10_000, itlUs: 1_000_000, tokens: 10 }, { graceMs: 2_000 });
    await r.clock.advance(500_000);
    r.interrupt.abort(new Error('SIGINT'));
    await r.clock.runUntilIdle();
    const outcome = await r.done;
    expect(outcome.interrupted).toBe(true);
    expect(outcome.issued).toBeGreaterThan(20);
    expect(outcome.issued).toBeLessThan(100);
    expect(outcome.notIssued).toBe(1000 - outcome.issued);
    expect(r.records.length).toBe(outcome.issued);
    // 10 tokens 1 s apart take longer than the 2 s grace: all were aborted, none hung
    expect(r.records.every((x) => x.error?.kind === 'aborted')).toBe(true);
    expect(Math.max(...r.records.map((x) => x.completedUs))).toBeLessThanOrEqual(500_000 + 2_000_000 + 1);
  });

  it('warm-up requests are marked and come before t = 0', async () => {
    const r = await run('llama2-70b/offline', { samples: 3 }, { ttftUs: 1000, itlUs: 1000, tokens: 2 }, { warmupRequests: 4 });
    await r.clock.runUntilIdle();
    await r.done;
    const warm = r.records.filter((x) => x.warmup);
    expect(warm.length).toBe(4);
    expect(warm.every((x) => x.seq < 0)).toBe(true);
    expect(r.records.filter((x) => !x.warmup).map((x) => x.seq).sort()).toEqual([0, 1, 2]);
  });

  it('least-outstanding balancing sends fewer requests to a slow endpoint', async () => {
    const r = await run(
      'llama2-70b/server',
      { targetQps: 200, samples: 400, seed: '4' },
      (e) => ({ ttftUs: e === 0 ? 200_000 : 10_000, itlUs: 1000, tokens: 2 }),
      { balancing: 'least-outstanding' },
      4,
    );
    await r.clock.runUntilIdle();
    await r.done;
    const perEndpoint = [0, 1, 2, 3].map((e) => r.records.filter((x) => x.endpoint === e).length);
    expect(perEndpoint.reduce((a, b) => a + b, 0)).toBe(400);
    expect(perEndpoint[0]!).toBeLessThan(Math.min(perEndpoint[1]!, perEndpoint[2]!, perEndpoint[3]!) * 0.6);
  });

  it('failed requests are recorded with their kind', async () => {
    const r = await run('llama2-70b/offline', { samples: 4 }, { ttftUs: 1000, itlUs: 1000, tokens: 2, fail: (q) => q.seq === 1 });
    await r.clock.runUntilIdle();
    await r.done;
    const failed = r.records.filter((x) => !x.ok);
    expect(failed.map((x) => [x.seq, x.error?.kind, x.error?.httpStatus])).toEqual([[1, 'http_5xx', 500]]);
  });
});
