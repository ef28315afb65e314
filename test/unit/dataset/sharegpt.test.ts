import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import llamaRaw from 'llama-tokenizer-js';
import { describe, expect, it } from 'vitest';
import { loadShareGpt } from '../../../src/dataset/sharegpt.js';
import { loadTokenizer } from '../../../src/dataset/tokenizers.js';
import { ConfigError } from '../../../src/errors.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/datasets/sharegpt.json');

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

function tempJson(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tokbench-sharegpt-')), 'data.json');
  writeFileSync(path, content);
  return path;
}

const convo = (human: string, gpt: string) => ({ conversations: [{ from: 'human', value: human }, { from: 'gpt', value: gpt }] });
// "the the the ...": one o200k token per word
const words = (n: number) => Array<string>(n).fill('the').join(' ');

describe('loadShareGpt', () => {
  it('takes the first human turn and the gpt reply after it, dropping entries without a pair or too short', async () => {
    const tok = await loadTokenizer('llama2');
    const lib = await loadShareGpt(FIXTURE, tok);
    expect(lib.samples.map((s) => s.prompt)).toEqual([
      'Explain why the sky is blue in simple terms for a child.',
      'Write a haiku about autumn leaves falling slowly.',
      'List three prime numbers greater than ten, with "quotes" and [brackets] {braces}.',
    ]);
    const first = lib.samples[0]!;
    const reply = 'Sunlight is made of many colors. Blue light bounces around the air more than the other colors, so we see blue everywhere we look.';
    expect(first.reference).toBe(reply);
    // prompt counted as the server sees it (BOS + text), output as the reply's own tokens
    expect(first.promptTokenIds).toEqual(llamaRaw.encode(first.prompt!, true, true));
    expect(first.inputTokens).toBe(first.promptTokenIds!.length);
    expect(first.outputTokens).toBe(llamaRaw.encode(reply, false, true).length);
    expect(lib.source).toMatch(/kept 3 of 6/);
    expect(lib.source).toMatch(/2 without a human→gpt pair, 1 under 4 tokens/);
  });

  it("applies vLLM's length filters: prompt <= 1024, prompt + output <= 2048", async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const path = tempJson(
      JSON.stringify([
        convo(words(1100), words(10)), // prompt too long
        convo(words(1000), words(1200)), // total too long
        convo(words(1000), words(900)), // fits
        convo(words(10), 'ok'), // output too short
      ]),
    );
    const lib = await loadShareGpt(path, tok);
    expect(lib.samples).toHaveLength(1);
    const s = lib.samples[0]!;
    expect(s.inputTokens).toBeLessThanOrEqual(1024);
    expect(s.inputTokens + s.outputTokens!).toBeLessThanOrEqual(2048);
    const relaxed = await loadShareGpt(path, tok, { filters: { maxPromptTokens: 5000, maxTotalTokens: 10_000 } });
    expect(relaxed.samples).toHaveLength(3);
  });

  it('keeps at most maxSamples, visiting entries in a seeded order', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const path = tempJson(JSON.stringify(Array.from({ length: 40 }, (_, i) => convo(`question number ${i} about things`, `answer number ${i} about things`))));
    const a = await loadShareGpt(path, tok, { maxSamples: 10, seed: '1' });
    const b = await loadShareGpt(path, tok, { maxSamples: 10, seed: '1' });
    const c = await loadShareGpt(path, tok, { maxSamples: 10, seed: '2' });
    expect(a.samples).toHaveLength(10);
    expect(a.samples.map((s) => s.prompt)).toEqual(b.samples.map((s) => s.prompt));
    expect(a.samples.map((s) => s.prompt)).not.toEqual(c.samples.map((s) => s.prompt));
    expect(a.samples.map((s) => s.index)).toEqual([...Array(10).keys()]);
    const inOrder = await loadShareGpt(path, tok, { maxSamples: 3 });
    expect(inOrder.samples.map((s) => s.prompt)).toEqual([0, 1, 2].map((i) => `question number ${i} about things`));
  });

  it('names the file and entry index of malformed entries', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const path = tempJson(
      '[\n' +
        [
          JSON.stringify(convo('a fine question here', 'a fine answer here')),
          JSON.stringify({ conversation: [] }),
          JSON.stringify({ conversations: [{ from: 'human', value: 5 }] }),
          JSON.stringify('just a string'),
        ].join(',\n') +
        '\n]\n',
    );
    const error = await configError(loadShareGpt(path, tok));
    expect(error.problems.map((p) => p.where)).toEqual([`${path}[1] (line 3)`, `${path}[2] (line 4)`, `${path}[3] (line 5)`]);
    expect(error.problems[0]!.message).toMatch(/"conversations" must be an array/);
    expect(error.problems[1]!.message).toMatch(/conversations\[0\] must be \{"from": string, "value": string\}/);
    expect(error.problems[2]!.message).toMatch(/expected an object/);
  });

  it.each([
    ['{"conversations": []}', /expected a JSON array/],
    ['[{"conversations": []}', /not closed/],
    ['[{"conversations": []},]', /trailing ,/],
    ['[{"conversations": []} {"conversations": []}]', /missing ,/],
    ['[{"conversations": [}]\n]', /not valid JSON/],
    ['[] []', /after the closing/],
    ['', /empty file/],
    ['["unterminated]', /unterminated string/],
  ])('rejects a malformed file %j', async (content, message) => {
    const tok = await loadTokenizer('o200k_harmony');
    const error = await configError(loadShareGpt(tempJson(content), tok));
    expect(error.problems[0]!.message).toMatch(message);
    expect(error.problems[0]!.hint).toMatch(/ShareGPT format/);
  });

  it('explains a file with no usable pairs and a missing file', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const none = await configError(loadShareGpt(tempJson('[{"conversations": []}]'), tok));
    expect(none.problems[0]!.message).toMatch(/no usable samples: kept 0 of 1/);
    const missing = await configError(loadShareGpt('/nonexistent/sharegpt.json', tok));
    expect(missing.problems[0]!.message).toMatch(/no such file/);
  });
});
