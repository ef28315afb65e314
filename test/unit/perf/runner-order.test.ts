/**
 * The issue loop's contract that schedule adherence rests on: Poisson queries
 * leave in schedule order, each no earlier than its scheduled time, and (on a
 * clock that never runs late) exactly at it — also when many share one
 * instant and when the schedule is a shard's.
 */
import { describe, expect, it } from 'vitest';
import type { SampleLibrary } from '../../../src/dataset/types.js';
import type { RequestRecord } from '../../../src/records/record.js';
import { runSchedule } from '../../../src/runner/runner.js';
import { buildSchedule, shardSchedule, type Schedule } from '../../../src/schedule/schedule.js';
import { FakeClock, realClock, type Clock } from '../../../src/util/clock.js';
import { FakeSut } from '../../helpers/fakeSut.js';
import { scenarioFor } from '../../helpers/scenario.js';

const library: SampleLibrary = {
  tokenizer: 'llama2',
  source: 'test',
  samples: Array.from({ length: 50 }, (_, i) => ({ index: i, prompt: `p${i}`, promptTokenIds: null, messages: null, inputTokens: 4, outputTokens: 2, reference: null })),
};

async function issueOrder(clock: Clock, schedule: Schedule, advance?: (done: Promise<unknown>) => Promise<void>) {
  const sut = new FakeSut(clock, { ttftUs: 300, itlUs: 100, tokens: 2 });
  const records: RequestRecord[] = [];
  const done = runSchedule({
    clock,
    sut,
    library,
    schedule,
    defaultMaxTokens: 2,
    warmupRequests: 0,
    maxDurationMs: 0,
    drainTimeoutMs: 60_000,
    graceMs: 1_000,
    balancing: 'round-robin',
    countTokens: null,
    interrupt: new AbortController().signal,
    hardStop: new AbortController().signal,
    warmupSeed: '1',
    onRecord: (r) => records.push(r),
  });
  if (advance) await advance(done);
  const outcome = await done;
  return { sut, records, outcome };
}

function expectScheduleOrder(schedule: Schedule, sut: FakeSut, startUs: number, exact: boolean): void {
  expect(sut.issued.map((x) => x.query.seq)).toEqual(Array.from(schedule.seq));
  sut.issued.forEach((x, i) => {
    const due = startUs + schedule.scheduledAtUs[i]!;
    if (exact) expect(x.atUs).toBe(due);
    else expect(x.atUs).toBeGreaterThanOrEqual(due); // never early
    if (i > 0) expect(x.atUs).toBeGreaterThanOrEqual(sut.issued[i - 1]!.atUs);
  });
}

describe('Poisson issue order', () => {
  it('a seeded 2,000-query schedule leaves in seq order, each exactly at its time (fake clock)', async () => {
    const schedule = buildSchedule({ scenario: scenarioFor('llama2-70b/server', { targetQps: 500, samples: 2_000, seed: '77' }), librarySize: library.samples.length });
    const clock = new FakeClock(5_000_000);
    const { sut, outcome } = await issueOrder(clock, schedule, () => clock.runUntilIdle());
    expect(outcome.issued).toBe(2_000);
    expectScheduleOrder(schedule, sut, outcome.startUs, true);
  });

  it('queries sharing one instant keep their order', async () => {
    const s = buildSchedule({ scenario: scenarioFor('llama2-70b/server', { targetQps: 100, samples: 300, seed: '3' }), librarySize: library.samples.length });
    // bunch them: runs of 10 queries at the same µs
    for (let i = 0; i < s.length; i++) s.scheduledAtUs[i] = s.scheduledAtUs[i - (i % 10)]!;
    const clock = new FakeClock(0);
    const { sut, outcome } = await issueOrder(clock, s, () => clock.runUntilIdle());
    expectScheduleOrder(s, sut, outcome.startUs, true);
  });

  it("a shard issues its own queries in the whole schedule's order at the whole schedule's times", async () => {
    const whole = buildSchedule({ scenario: scenarioFor('llama2-70b/server', { targetQps: 200, samples: 600, seed: '5' }), librarySize: library.samples.length });
    const shard = shardSchedule(whole, 1, 3);
    const clock = new FakeClock(0);
    const { sut, outcome } = await issueOrder(clock, shard, () => clock.runUntilIdle());
    expect(sut.issued.map((x) => x.query.seq)).toEqual(Array.from({ length: 200 }, (_, k) => 1 + 3 * k));
    expectScheduleOrder(shard, sut, outcome.startUs, true);
  });

  it('on the real clock: schedule order, never early (a short 4,000 QPS schedule)', async () => {
    const schedule = buildSchedule({ scenario: scenarioFor('llama2-70b/server', { targetQps: 4_000, samples: 400, seed: '11' }), librarySize: library.samples.length });
    const { sut, records, outcome } = await issueOrder(realClock, schedule);
    expect(outcome.issued).toBe(400);
    expectScheduleOrder(schedule, sut, outcome.startUs, false);
    for (const r of records) expect(r.issuedUs).toBeGreaterThanOrEqual(r.scheduledUs);
  });
});
