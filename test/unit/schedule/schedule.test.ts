import { describe, expect, it } from 'vitest';
import { buildSchedule, shardSchedule, shardScheduleForNode } from '../../../src/schedule/schedule.js';
import { scenarioFor } from '../../helpers/scenario.js';

describe('Poisson schedule', () => {
  const qps = 50;
  const s = buildSchedule({ scenario: scenarioFor('llama2-70b/server', { targetQps: qps, samples: 100_000, seed: '7' }), librarySize: 1000 });
  const gapsS: number[] = [];
  for (let i = 1; i < s.length; i++) gapsS.push((s.scheduledAtUs[i]! - s.scheduledAtUs[i - 1]!) / 1e6);

  it('has the requested count and increasing times', () => {
    expect(s.length).toBe(100_000);
    // LoadGen's generated_query_duration: one more gap after the last arrival
    expect(s.sizing.generatedDurationUs!).toBeGreaterThan(s.sizing.lastScheduledUs);
    expect(s.sizing.generatedDurationUs! - s.sizing.lastScheduledUs).toBeLessThan(1e6);
    expect(gapsS.every((g) => g >= 0)).toBe(true);
  });

  it('inter-arrival mean is within 1% of 1/QPS over 100k draws', () => {
    const mean = gapsS.reduce((a, b) => a + b, 0) / gapsS.length;
    expect(Math.abs(mean - 1 / qps) / (1 / qps)).toBeLessThan(0.01);
  });

  it('passes a chi-square goodness-of-fit test against the exponential distribution', () => {
    // 20 equiprobable bins of Exp(qps): edges at -ln(1 - k/20)/qps.
    const bins = 20;
    const counts = new Array<number>(bins).fill(0);
    for (const g of gapsS) {
      const k = Math.min(bins - 1, Math.floor((1 - Math.exp(-qps * g)) * bins));
      counts[k]!++;
    }
    const expected = gapsS.length / bins;
    const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: the 0.999 quantile is 43.82.
    expect(chi2).toBeLessThan(43.82);
  });

  it('is reproducible for a seed and differs for another seed', () => {
    const again = buildSchedule({ scenario: scenarioFor('llama2-70b/server', { targetQps: qps, samples: 1000, seed: '7' }), librarySize: 1000 });
    const other = buildSchedule({ scenario: scenarioFor('llama2-70b/server', { targetQps: qps, samples: 1000, seed: '8' }), librarySize: 1000 });
    expect(Array.from(again.scheduledAtUs)).toEqual(Array.from(s.scheduledAtUs.subarray(0, 1000)));
    expect(Array.from(again.sampleIndex)).not.toEqual(Array.from(other.sampleIndex));
    expect(Array.from(again.scheduledAtUs)).not.toEqual(Array.from(other.scheduledAtUs));
  });

  it('gamma burstiness keeps the mean and changes the variance', () => {
    const bursty = buildSchedule({ scenario: scenarioFor('llama2-70b/server', { targetQps: qps, samples: 50_000, burstiness: 0.25, seed: '3' }), librarySize: 10 });
    const g: number[] = [];
    for (let i = 1; i < bursty.length; i++) g.push((bursty.scheduledAtUs[i]! - bursty.scheduledAtUs[i - 1]!) / 1e6);
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    const variance = g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length;
    expect(Math.abs(mean - 1 / qps) / (1 / qps)).toBeLessThan(0.03);
    // gamma(k, θ): CV² = 1/k = 4 (Poisson would be 1).
    expect(variance / mean ** 2).toBeGreaterThan(3.2);
    expect(variance / mean ** 2).toBeLessThan(4.8);
  });
});

describe('MLPerf run sizing', () => {
  it('Server covers min_duration with whole multiples of the dataset (equal issue)', () => {
    const sc = scenarioFor('llama2-70b/server', { targetQps: 20, durationMs: 60_000, seed: '1' });
    const s = buildSchedule({ scenario: sc, librarySize: 100 });
    expect(s.length % 100).toBe(0);
    expect(s.scheduledAtUs[s.length - 1]!).toBeGreaterThanOrEqual(60_000_000);
    // one block fewer would have missed the expected count (20 QPS × 60 s) or the duration
    const shorter = s.length - 100;
    expect(shorter < 1200 || s.scheduledAtUs[shorter - 1]! < 60e6).toBe(true);
    expect(s.sizing.lastScheduledUs).toBe(s.scheduledAtUs[s.length - 1]);
  });

  it('every block of a dataset-sized run sends each sample exactly once, in a fresh order', () => {
    const sc = scenarioFor('llama2-70b/offline', { targetQps: 10, durationMs: 30_000, minQueryCount: 1 });
    const s = buildSchedule({ scenario: sc, librarySize: 50 });
    // max(1, 1.1 × 30 s × 10) = 330 → padded to 350
    expect(s.sizing.requestedQueries).toBe(330);
    expect(s.length).toBe(350);
    const blocks = [];
    for (let b = 0; b < 7; b++) {
      const block = Array.from(s.sampleIndex.subarray(b * 50, b * 50 + 50));
      expect([...block].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      blocks.push(block.join(','));
    }
    expect(new Set(blocks).size).toBe(7);
    expect(Array.from(s.scheduledAtUs).every((t) => t === 0)).toBe(true);
  });

  it('Offline with MLPerf defaults sends at least 24,576 samples', () => {
    const s = buildSchedule({ scenario: scenarioFor('llama2-70b/offline'), librarySize: 24_576 });
    expect(s.length).toBe(24_576);
  });

  it('an explicit --samples is taken literally', () => {
    const s = buildSchedule({ scenario: scenarioFor('llama2-70b/offline', { samples: 123 }), librarySize: 50 });
    expect(s.length).toBe(123);
  });

  it('closed loop marks queries as scheduled when a slot frees', () => {
    const s = buildSchedule({ scenario: scenarioFor('llama2-70b/offline', { samples: 10, concurrency: 4 }), librarySize: 5 });
    expect(s.pattern).toBe('closed');
    expect(s.maxConcurrency).toBe(4);
    expect(Number.isNaN(s.scheduledAtUs[0]!)).toBe(true);
  });
});

describe('sharding', () => {
  it('shards together issue exactly the unsharded schedule, each query once', () => {
    const full = buildSchedule({ scenario: scenarioFor('llama2-70b/server', { targetQps: 100, samples: 1001, seed: '5' }), librarySize: 37 });
    const seen = new Map<number, { t: number; s: number }>();
    for (let i = 0; i < 4; i++) {
      const sh = shardSchedule(full, i, 4);
      for (let k = 0; k < sh.length; k++) {
        expect(sh.seq[k]! % 4).toBe(i);
        expect(seen.has(sh.seq[k]!)).toBe(false);
        seen.set(sh.seq[k]!, { t: sh.scheduledAtUs[k]!, s: sh.sampleIndex[k]! });
      }
    }
    expect(seen.size).toBe(1001);
    for (let q = 0; q < full.length; q++) expect(seen.get(q)).toEqual({ t: full.scheduledAtUs[q], s: full.sampleIndex[q] });
  });
});

describe('per-node shards (--shard i/N)', () => {
  const scenario = scenarioFor('llama2-70b/server', { targetQps: 400, samples: 40_000, seed: '11' });
  const full = buildSchedule({ scenario, librarySize: 97 });
  const N = 4;
  const shards = Array.from({ length: N }, (_, i) => shardScheduleForNode(full, i, N, scenario));
  const gaps = (t: Float64Array) => Array.from(t.subarray(1), (v, k) => v - t[k]!);
  const cv = (g: number[]) => {
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length);
    return { mean, cv: sd / mean };
  };

  it('each shard sees Poisson arrivals at qps/N (gap CV within 0.05 of 1), not every N-th arrival (CV 1/√N)', () => {
    for (const sh of shards) {
      const { mean, cv: c } = cv(gaps(sh.scheduledAtUs));
      expect(Math.abs(c - 1)).toBeLessThan(0.05);
      expect(Math.abs(mean - (1e6 * N) / 400) / ((1e6 * N) / 400)).toBeLessThan(0.03);
    }
    // what the old split gave: Erlang-4 gaps
    expect(cv(gaps(shardSchedule(full, 0, N).scheduledAtUs)).cv).toBeLessThan(0.6);
  });

  it('the shards still issue each query of the schedule once, with its sample', () => {
    const seen = new Set<number>();
    shards.forEach((sh, i) => {
      for (let k = 0; k < sh.length; k++) {
        const q = sh.seq[k]!;
        expect(q % N).toBe(i);
        expect(seen.has(q)).toBe(false);
        seen.add(q);
        expect(sh.sampleIndex[k]).toBe(full.sampleIndex[q]);
      }
      for (let k = 1; k < sh.length; k++) expect(sh.scheduledAtUs[k]!).toBeGreaterThanOrEqual(sh.scheduledAtUs[k - 1]!);
      expect(sh.sizing).toEqual(full.sizing);
    });
    expect(seen.size).toBe(full.length);
  });

  it('is seeded: the same shard twice is the same schedule; another shard is not', () => {
    const again = shardScheduleForNode(full, 1, N, scenario);
    expect(Array.from(again.scheduledAtUs)).toEqual(Array.from(shards[1]!.scheduledAtUs));
    expect(again.scheduledAtUs[5]).not.toBe(shards[2]!.scheduledAtUs[5]);
  });
});
