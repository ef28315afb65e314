import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spreadByWeight, toRecord } from '../../../src/runner/runner.js';
import type { SutOutcome } from '../../../src/sut/types.js';

const base: SutOutcome = {
  issuedUs: 1_000_100,
  connectWaitUs: 0,
  firstTokenUs: 1_050_000,
  firstAnswerUs: null,
  completedUs: 1_090_000,
  streamEndUs: 1_090_000,
  streamed: true,
  chunkTimesUs: [1_050_000, 1_060_000, 1_090_000],
  chunkTokens: null,
  usagePromptTokens: 12,
  usageCompletionTokens: 5,
  text: null,
  finishReason: 'length',
  ok: true,
  error: null,
  retries: 0,
};
const rec = (o: Partial<SutOutcome>, countTokens: ((t: string) => number) | null = null) =>
  toRecord(7, 3, 0, false, 0, 1_000_000, { ...base, ...o }, 99, { countTokens });

describe('toRecord', () => {
  it('times become µs from the run start; gaps between chunks are kept', () => {
    const r = rec({});
    expect([r.issuedUs, r.firstTokenUs, r.completedUs]).toEqual([100, 50_000, 90_000]);
    expect(r.chunkGapsUs).toEqual([10_000, 30_000]);
    expect(r.inputTokens).toBe(12);
  });

  it('token counts: usage first, then the tokenizer on the text, never max_tokens', () => {
    expect(rec({}).tokenSource).toBe('usage');
    const t = rec({ usageCompletionTokens: -1, usagePromptTokens: -1, text: 'a b c d' }, (s) => s.split(' ').length);
    expect([t.outputTokens, t.tokenSource, t.inputTokens]).toEqual([4, 'tokenizer', 99]);
    const none = rec({ usageCompletionTokens: -1, text: null });
    expect([none.outputTokens, none.tokenSource]).toEqual([0, 'none']);
  });

  it('per-chunk counts: server-given kept, all-ones folded to single, else estimated from text weights', () => {
    const server = rec({ chunkTokens: [1, 1, 3] });
    expect([server.chunkTokenSource, server.chunkTokens]).toEqual(['server', [1, 1, 3]]);
    const ones = rec({ chunkTokens: [1, 1, 1], usageCompletionTokens: 3 });
    expect([ones.chunkTokenSource, ones.chunkTokens]).toEqual(['single', undefined]);
    const est = rec({ chunkWeights: [3, 3, 9] });
    expect([est.chunkTokenSource, est.chunkTokens]).toEqual(['estimated', [1, 1, 3]]);
  });
});

describe('spreadByWeight', () => {
  it('gives each chunk at least one token and adds up exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { minLength: 1, maxLength: 40 }), fc.nat(400), (weights, extra) => {
        const total = weights.length + extra;
        const out = spreadByWeight(total, weights);
        expect(out.length).toBe(weights.length);
        expect(out.reduce((a, b) => a + b, 0)).toBe(total);
        expect(out.every((x) => x >= 1 && Number.isInteger(x))).toBe(true);
      }),
    );
  });

  it('is proportional when the weights are', () => {
    expect(spreadByWeight(10, [3, 9, 3, 9, 3, 3])).toEqual([1, 3, 1, 3, 1, 1]);
    expect(spreadByWeight(8, [10, 10, 10, 10])).toEqual([2, 2, 2, 2]);
  });
});
