import llamaRaw from 'llama-tokenizer-js';
import { encode as harmonyEncode } from 'gpt-tokenizer/encoding/o200k_harmony';
import { describe, expect, it } from 'vitest';
import { makeSyntheticLibrary } from '../../../src/dataset/synthetic.js';
import { loadTokenizer } from '../../../src/dataset/tokenizers.js';
import type { LengthDistribution, Sample, Tokenizer, TokenizerName } from '../../../src/dataset/types.js';
import { ConfigError } from '../../../src/errors.js';
import { Rng } from '../../../src/util/rng.js';

/**
 * Independent oracles: the npm packages called directly, as a server would
 * tokenize. Llama 2 servers add BOS and the SentencePiece dummy prefix to a text
 * prompt; o200k adds nothing.
 */
const serverIds: Record<TokenizerName, (text: string) => number[]> = {
  llama2: (text) => (text === '' ? [1] : llamaRaw.encode(text, true, true)),
  o200k_harmony: (text) => harmonyEncode(text),
};

function libraryOfLengths(name: TokenizerName, lengths: number[], seed = '1') {
  return loadTokenizer(name).then((tokenizer) =>
    makeSyntheticLibrary({
      size: lengths.length,
      tokenizer,
      inputTokens: { kind: 'empirical', values: lengths },
      outputTokens: { kind: 'fixed', value: 10 },
      seed,
    }),
  );
}

function expectExact(name: TokenizerName, sample: Sample): void {
  // text form: what the server makes of the prompt string
  const fromText = serverIds[name](sample.prompt!);
  expect(fromText.length, `sample ${sample.index} text form`).toBe(sample.inputTokens);
  // ids form: exactly those ids, so text and ids send the same prompt
  expect(sample.promptTokenIds).toEqual(fromText);
  expect(sample.promptTokenIds!.length).toBe(sample.inputTokens);
}

describe.each(['llama2', 'o200k_harmony'] as const)('synthetic prompts under %s', (name) => {
  it('have exactly the drawn token count for every length 1..50', async () => {
    const tokenizer = await loadTokenizer(name);
    for (let n = 1; n <= 50; n++) {
      const lib = makeSyntheticLibrary({
        size: 3,
        tokenizer,
        inputTokens: { kind: 'fixed', value: n },
        outputTokens: { kind: 'fixed', value: 1 },
        seed: String(n),
      });
      for (const s of lib.samples) {
        expect(s.inputTokens).toBe(n);
        expectExact(name, s);
      }
    }
  });

  it('have exactly the drawn token count for random lengths up to 2048', async () => {
    const rng = new Rng('2048');
    const lengths = Array.from({ length: 24 }, () => 1 + rng.int(2048));
    const lib = await libraryOfLengths(name, lengths, '99');
    for (const s of lib.samples) expectExact(name, s);
  });

  it('starts with BOS only for llama2', async () => {
    const lib = await libraryOfLengths(name, [5]);
    const first = lib.samples[0]!.promptTokenIds![0];
    if (name === 'llama2') expect(first).toBe(1);
    else expect(first).not.toBe(1);
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const tokenizer = await loadTokenizer(name);
    const make = (seed: string) =>
      makeSyntheticLibrary({
        size: 50,
        tokenizer,
        inputTokens: { kind: 'uniform', min: 10, max: 200 },
        outputTokens: { kind: 'uniform', min: 10, max: 200 },
        seed,
      });
    expect(make('5')).toEqual(make('5'));
    expect(make('5').samples.map((s) => s.prompt)).not.toEqual(make('6').samples.map((s) => s.prompt));
    // a word seed is as reproducible as a number
    expect(make('nightly')).toEqual(make('nightly'));
  });

  it('does not change sample i when the library grows, nor prompts when outputs change', async () => {
    const tokenizer = await loadTokenizer(name);
    const input: LengthDistribution = { kind: 'uniform', min: 5, max: 100 };
    const small = makeSyntheticLibrary({ size: 10, tokenizer, inputTokens: input, outputTokens: { kind: 'fixed', value: 5 }, seed: '3' });
    // past the number of lead words, where the distinct prefix needs a second word
    const big = makeSyntheticLibrary({ size: 9000, tokenizer, inputTokens: input, outputTokens: { kind: 'uniform', min: 1, max: 900 }, seed: '3' });
    expect(big.samples.slice(0, 10).map((s) => s.prompt)).toEqual(small.samples.map((s) => s.prompt));
  });

  it('gives every sample a distinct prefix, so a prefix cache cannot turn them into hits', async () => {
    const tokenizer = await loadTokenizer(name);
    const size = 20_000;
    const lib = makeSyntheticLibrary({ size, tokenizer, inputTokens: { kind: 'fixed', value: 16 }, outputTokens: { kind: 'fixed', value: 1 }, seed: '11' });
    const bos = name === 'llama2' ? 1 : 0;
    // first two tokens after BOS: well inside vLLM's first 16-token block
    const prefixes = new Set(lib.samples.map((s) => s.promptTokenIds!.slice(bos, bos + 2).join(',')));
    expect(prefixes.size).toBe(size);
  });

  it('reads like varied words: many distinct words per prompt', async () => {
    const lib = await libraryOfLengths(name, [200, 200]);
    for (const s of lib.samples) {
      const words = s.prompt!.split(' ');
      expect(words.every((w) => /^[A-Za-z]+$/.test(w))).toBe(true);
      expect(new Set(words).size).toBeGreaterThan(80);
    }
    expect(lib.samples[0]!.prompt).not.toBe(lib.samples[1]!.prompt);
  });

  it('checks every prompt against the tokenizer with verify: all', async () => {
    const tokenizer = await loadTokenizer(name);
    const lib = makeSyntheticLibrary({
      size: 200,
      tokenizer,
      inputTokens: { kind: 'lognormal', mean: 100, stddev: 80, min: 1, max: 600 },
      outputTokens: { kind: 'fixed', value: 1 },
      seed: '8',
      verify: 'all',
    });
    for (const s of lib.samples) expect(tokenizer.count(s.prompt!) + (name === 'llama2' ? 1 : 0)).toBe(s.inputTokens);
  });
});

describe('synthetic library', () => {
  it('draws input and output lengths from the given distributions', async () => {
    const tokenizer = await loadTokenizer('o200k_harmony');
    const lib = makeSyntheticLibrary({
      size: 4000,
      tokenizer,
      inputTokens: { kind: 'normal', mean: 40, stddev: 5, min: 20, max: 60 },
      outputTokens: { kind: 'lognormal', mean: 300, stddev: 100, min: 1, max: 5000 },
      seed: '21',
    });
    const ins = lib.samples.map((s) => s.inputTokens);
    const outs = lib.samples.map((s) => s.outputTokens!);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(avg(ins) - 40)).toBeLessThan(0.5);
    expect(Math.abs(avg(outs) - 300) / 300).toBeLessThan(0.03);
    expect(Math.min(...ins)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...ins)).toBeLessThanOrEqual(60);
    expect(lib.samples.map((s) => s.index)).toEqual(ins.map((_, i) => i));
    expect(lib.samples.every((s) => s.messages === null && s.reference === null)).toBe(true);
  });

  it('detects prompts whose words merge under the tokenizer and repairs every one of them', async () => {
    const real = await loadTokenizer('o200k_harmony');
    // A tokenizer that breaks the no-merge assumption: a token ending in "e"
    // swallows the token after it. Single words still round-trip.
    const merging: Tokenizer = {
      name: 'o200k_harmony',
      encode(text) {
        const out: number[] = [];
        let swallow = false;
        for (const id of real.encode(text)) {
          if (swallow) {
            swallow = false;
            continue;
          }
          out.push(id);
          swallow = real.decode([id]).endsWith('e');
        }
        return out;
      },
      count(text) {
        return this.encode(text).length;
      },
      countOutput(text) {
        return this.encode(text).length;
      },
      decode: (ids) => real.decode(ids),
    };
    const lib = makeSyntheticLibrary({
      size: 300,
      tokenizer: merging,
      inputTokens: { kind: 'uniform', min: 1, max: 120 },
      outputTokens: { kind: 'fixed', value: 1 },
      seed: '4',
    });
    for (const s of lib.samples) {
      expect(merging.count(s.prompt!), `sample ${s.index}`).toBe(s.inputTokens);
      expect(s.promptTokenIds).toEqual(merging.encode(s.prompt!));
    }
  });

  it('rejects a bad size and bad distributions together', async () => {
    const tokenizer = await loadTokenizer('llama2');
    let error: unknown;
    try {
      makeSyntheticLibrary({
        size: 0,
        tokenizer,
        inputTokens: { kind: 'uniform', min: 10, max: 5 },
        outputTokens: { kind: 'fixed', value: 0 },
        seed: '1',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.where)).toEqual(['dataset.size', 'dataset.inputTokens', 'dataset.outputTokens']);
  });
});
