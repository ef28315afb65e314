/**
 * A whole run in-process: planRun → executeRun → finishRun with a fake clock
 * and a fake Sut, a 20-second Server run in milliseconds. The result's figures
 * follow from the fake's latencies, and a threshold on a figure attached after
 * assembly (scale-out's clock, perEndpoint) is judged on the finished result.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/util/clock.js';
import type { SampleLibrary } from '../../../src/dataset/types.js';
import { planRun } from '../../../src/run/plan.js';
import { executeRun } from '../../../src/run/execute.js';
import { finishRun } from '../../../src/run/finish.js';
import { FakeSut } from '../../helpers/fakeSut.js';
import { scenarioFor } from '../../helpers/scenario.js';
import { ConfigError } from '../../../src/errors.js';
import { outputTarget } from '../../../src/run/outputs.js';

const library: SampleLibrary = {
  tokenizer: 'llama2',
  source: 'test',
  samples: Array.from({ length: 10 }, (_, i) => ({ index: i, prompt: `p${i}`, promptTokenIds: null, messages: null, inputTokens: 10 + i, outputTokens: 4, reference: null })),
};

describe('planRun → executeRun → finishRun', () => {
  it('runs a Server scenario on a fake clock and judges thresholds on the finished result', async () => {
    const clock = new FakeClock(1_000_000);
    const scenario = scenarioFor('llama2-70b/server', {
      targetQps: 10,
      samples: 200,
      seed: '9',
      maxConcurrency: 10,
      asserts: ['completed >= 200', 'ttft.p99 <= 51ms', `endpoint[http://fake-0/v1].completed >= 200`],
    });
    const sut = new FakeSut(clock, { ttftUs: 50_000, itlUs: 10_000, tokens: 4 });
    const plan = planRun(scenario, { endpoints: sut.endpoints, library, shard: { index: 0, count: 1 }, workers: 1 });
    expect(Object.isFrozen(plan)).toBe(true);
    expect(plan.schedule.length).toBe(200);
    expect(plan.inFlight).toMatchObject({ bound: 10, shard: 10 });
    expect(plan.connectionsPerEndpoint).toBe(10);

    const seen: number[] = [];
    const running = executeRun(plan, { clock, sut, sinks: { onRecord: (rec) => seen.push(rec.seq) } });
    await clock.runUntilIdle();
    const outcome = await running;
    expect(seen).toHaveLength(200);
    expect(outcome.down).toBeNull();

    const { result } = finishRun(outcome, { tags: { case: 'fake' } });
    expect(result.summary.completed).toBe(200);
    expect(result.summary.latency.ttftMs?.p99).toBeCloseTo(50, 1); // HDR, 3 significant digits
    expect(Math.abs(result.summary.latency.e2eMs!.max - 80)).toBeLessThan(0.1);
    expect(result.clock?.t0EpochUs).toBeGreaterThan(0);
    expect(result.thresholds.map((t) => t.passed)).toEqual([true, true, true]);
    expect(result.tags).toEqual({ case: 'fake' });
  });

  it('refuses an unwritable output target before anything is issued', () => {
    const clock = new FakeClock(0);
    const sut = new FakeSut(clock, { ttftUs: 1, itlUs: 1, tokens: 2 });
    const scenario = scenarioFor('llama2-70b/offline', { samples: 5 });
    expect(() => planRun(scenario, { endpoints: sut.endpoints, library, outputs: [outputTarget('--junit', '/', '/etc/hostname/x.xml', 'file')] })).toThrow(ConfigError);
    expect(sut.issued).toHaveLength(0);
  });
});
