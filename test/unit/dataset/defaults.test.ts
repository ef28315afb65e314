import { describe, expect, it } from 'vitest';
import { DEFAULT_LENGTHS, DEFAULT_TOKENIZER } from '../../../src/dataset/defaults.js';
import { drawLength, validateLengthDistribution } from '../../../src/dataset/lengths.js';
import type { LengthDistribution } from '../../../src/dataset/types.js';
import { Rng } from '../../../src/util/rng.js';

function sampleMean(dist: LengthDistribution, n = 50_000): { mean: number; min: number; max: number } {
  const rng = new Rng('14276810075590677512');
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = drawLength(dist, rng);
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return { mean: sum / n, min, max };
}

describe('default length distributions (reference/mlperf.md §3.3-3.4)', () => {
  it('are valid distributions', () => {
    for (const [name, { input, output }] of Object.entries(DEFAULT_LENGTHS)) {
      expect(validateLengthDistribution(input, `${name}.input`)).toEqual([]);
      expect(validateLengthDistribution(output, `${name}.output`)).toEqual([]);
    }
  });

  it('Llama 2: outputs average ~294.45 tokens (inside the checker band 0.9-1.1x) and stay under 1024; inputs < 1024', () => {
    const out = sampleMean(DEFAULT_LENGTHS['llama2-70b'].output);
    expect(out.mean).toBeGreaterThan(294.45 * 0.98);
    expect(out.mean).toBeLessThan(294.45 * 1.02);
    expect(out.max).toBeLessThanOrEqual(1024);
    const input = sampleMean(DEFAULT_LENGTHS['llama2-70b'].input);
    expect(input.max).toBeLessThan(1024);
  });

  it('GPT-OSS: outputs would pass TEST09 (mean within ±10% of 1278.2) within the observed 518..3154 range', () => {
    const out = sampleMean(DEFAULT_LENGTHS['gpt-oss-120b'].output);
    expect(out.mean).toBeGreaterThan(1150.38);
    expect(out.mean).toBeLessThan(1406.02);
    expect(Math.abs(out.mean - 1278.2)).toBeLessThan(15);
    expect(out.min).toBeGreaterThanOrEqual(518);
    expect(out.max).toBeLessThanOrEqual(3154);
  });

  it('map each benchmark to its tokenizer', () => {
    expect(DEFAULT_TOKENIZER).toEqual({ 'llama2-70b': 'llama2', 'gpt-oss-120b': 'o200k_harmony' });
  });
});
