import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { drawLength, parseLengthSpec, validateLengthDistribution } from '../../../src/dataset/lengths.js';
import type { LengthDistribution } from '../../../src/dataset/types.js';
import { ConfigError } from '../../../src/errors.js';
import { Rng } from '../../../src/util/rng.js';

function draws(dist: LengthDistribution, n: number, seed = '42'): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => drawLength(dist, rng));
}
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddev = (xs: number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

describe('drawLength', () => {
  it('returns integers within [min, max] for every kind', () => {
    const dists: LengthDistribution[] = [
      { kind: 'uniform', min: 3, max: 9 },
      { kind: 'normal', mean: 50, stddev: 40, min: 20, max: 80 },
      { kind: 'lognormal', mean: 50, stddev: 80, min: 5, max: 200 },
    ];
    for (const dist of dists) {
      for (const x of draws(dist, 5000)) {
        expect(Number.isInteger(x)).toBe(true);
        expect(x).toBeGreaterThanOrEqual((dist as { min: number }).min);
        expect(x).toBeLessThanOrEqual((dist as { max: number }).max);
      }
    }
  });

  it('covers both ends of a uniform range', () => {
    const xs = draws({ kind: 'uniform', min: 100, max: 104 }, 2000);
    expect(new Set(xs)).toEqual(new Set([100, 101, 102, 103, 104]));
    expect(mean(xs)).toBeCloseTo(102, 0);
  });

  it('clamps: a normal whose mass lies below min piles up at min, never below 1', () => {
    const xs = draws({ kind: 'normal', mean: 2, stddev: 10, min: 1, max: 1000 }, 5000);
    expect(Math.min(...xs)).toBe(1);
    expect(xs.filter((x) => x === 1).length).toBeGreaterThan(1500);
  });

  it('normal: mean and stddev of the draws match the spec', () => {
    const xs = draws({ kind: 'normal', mean: 300, stddev: 50, min: 1, max: 10_000 }, 20_000);
    expect(Math.abs(mean(xs) - 300)).toBeLessThan(2);
    expect(Math.abs(stddev(xs) - 50) / 50).toBeLessThan(0.03);
  });

  it('lognormal: mean and stddev are those of the lengths, not of the underlying normal', () => {
    const xs = draws({ kind: 'lognormal', mean: 300, stddev: 200, min: 1, max: 1_000_000 }, 40_000);
    expect(Math.abs(mean(xs) - 300) / 300).toBeLessThan(0.02);
    expect(Math.abs(stddev(xs) - 200) / 200).toBeLessThan(0.06);
    // right-skewed: median below mean
    const sorted = [...xs].sort((a, b) => a - b);
    expect(sorted[sorted.length >> 1]!).toBeLessThan(mean(xs));
  });

  it('empirical: draws only listed values, in proportion to their weights', () => {
    const xs = draws({ kind: 'empirical', values: [10, 20, 30], weights: [1, 0, 3] }, 8000);
    expect(xs).not.toContain(20);
    expect(new Set(xs)).toEqual(new Set([10, 30]));
    expect(xs.filter((x) => x === 30).length / xs.length).toBeGreaterThan(0.72);
    expect(xs.filter((x) => x === 30).length / xs.length).toBeLessThan(0.78);
    const unweighted = draws({ kind: 'empirical', values: [7, 8] }, 4000);
    expect(Math.abs(unweighted.filter((x) => x === 7).length / 4000 - 0.5)).toBeLessThan(0.04);
  });

  it('is deterministic for a seed', () => {
    const dist: LengthDistribution = { kind: 'lognormal', mean: 100, stddev: 30, min: 1, max: 500 };
    expect(draws(dist, 100, '7')).toEqual(draws(dist, 100, '7'));
    expect(draws(dist, 100, '7')).not.toEqual(draws(dist, 100, '8'));
  });
});

describe('parseLengthSpec', () => {
  it.each([
    ['128', { kind: 'fixed', value: 128 }],
    ['fixed:128', { kind: 'fixed', value: 128 }],
    ['uniform:100-900', { kind: 'uniform', min: 100, max: 900 }],
    ['uniform:min=100,max=900', { kind: 'uniform', min: 100, max: 900 }],
    ['normal:mean=300,stddev=50,min=1,max=1024', { kind: 'normal', mean: 300, stddev: 50, min: 1, max: 1024 }],
    ['lognormal:mean=300,stddev=200,min=1,max=1024', { kind: 'lognormal', mean: 300, stddev: 200, min: 1, max: 1024 }],
    ['lognormal: mean=300, sd=200, max=1024', { kind: 'lognormal', mean: 300, stddev: 200, min: 1, max: 1024 }],
    ['empirical:10,20,30', { kind: 'empirical', values: [10, 20, 30] }],
    ['empirical:10:1,20:3', { kind: 'empirical', values: [10, 20], weights: [1, 3] }],
  ])('parses %s', (spec, expected) => {
    expect(parseLengthSpec(spec, '--input-tokens')).toEqual(expected);
  });

  it('defaults min to 1 and max to a bound above the mean when left out', () => {
    const dist = parseLengthSpec('normal:mean=300,stddev=50', '--input-tokens');
    expect(dist).toMatchObject({ kind: 'normal', min: 1 });
    expect((dist as { max: number }).max).toBeGreaterThan(300 + 5 * 50);
  });

  it('reads empirical values from a JSON file (array or {values, weights})', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokbench-lengths-'));
    const plain = join(dir, 'lengths.json');
    writeFileSync(plain, JSON.stringify([5, 6, 7]));
    expect(parseLengthSpec(`empirical:${plain}`, '--output-tokens')).toEqual({ kind: 'empirical', values: [5, 6, 7] });
    const weighted = join(dir, 'weighted.json');
    writeFileSync(weighted, JSON.stringify({ values: [5, 6], weights: [2, 1] }));
    expect(parseLengthSpec(`empirical:${weighted}`, '--output-tokens')).toEqual({ kind: 'empirical', values: [5, 6], weights: [2, 1] });
  });

  it.each([
    ['', /empty/],
    ['gaussian:mean=3,stddev=1', /unknown distribution "gaussian"/],
    ['lognormall:mean=3,stddev=1', /did you mean lognormal/],
    ['normal:mean=300', /missing stddev/],
    ['normal:mean=300,stdev=5', /unknown key "stdev".*did you mean stddev/],
    ['normal:mean=abc,stddev=5', /mean must be a number/],
    ['uniform:900-100', /min 900 is greater than max 100/],
    ['fixed:0', /value must be a whole number of tokens >= 1/],
    ['12.5', /whole number/],
    ['normal:mean=5000,stddev=10,max=1024', /outside/],
    ['empirical:10,,30', /empty value/],
    ['empirical:10,0', /value #2/],
    ['empirical:/nonexistent/lengths.json', /cannot read/],
  ])('rejects %j naming the flag, with the grammar as hint', (spec, message) => {
    let error: unknown;
    try {
      parseLengthSpec(spec, '--input-tokens');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problem = (error as ConfigError).problems[0]!;
    expect(problem.where).toBe('--input-tokens');
    expect(problem.message).toMatch(message);
    expect(problem.hint).toMatch(/uniform:MIN-MAX/);
  });
});

describe('validateLengthDistribution', () => {
  it('accepts the shapes it documents', () => {
    expect(validateLengthDistribution({ kind: 'lognormal', mean: 1278.2, stddev: 247, min: 518, max: 3154 }, 'x')).toEqual([]);
    expect(validateLengthDistribution({ kind: 'empirical', values: [1, 2], weights: [0, 1] }, 'x')).toEqual([]);
  });

  it('reports every problem at once, naming where', () => {
    const problems = validateLengthDistribution({ kind: 'normal', mean: -1, stddev: -2, min: 0, max: 10 }, 'dataset.inputTokens');
    expect(problems.length).toBeGreaterThanOrEqual(3);
    for (const p of problems) expect(p.where).toBe('dataset.inputTokens');
  });

  it('rejects unknown kinds and mismatched weights', () => {
    expect(validateLengthDistribution({ kind: 'zipf' } as unknown as LengthDistribution, 'x')[0]!.message).toMatch(/unknown distribution kind/);
    expect(validateLengthDistribution({ kind: 'empirical', values: [1, 2], weights: [1] }, 'x')[0]!.message).toMatch(/one entry per value/);
    expect(validateLengthDistribution({ kind: 'empirical', values: [1], weights: [0] }, 'x')[0]!.message).toMatch(/all be 0/);
  });
});
