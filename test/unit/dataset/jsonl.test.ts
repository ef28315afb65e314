import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import llamaRaw from 'llama-tokenizer-js';
import { encode as harmonyEncode } from 'gpt-tokenizer/encoding/o200k_harmony';
import { describe, expect, it } from 'vitest';
import { renderChatIds } from '../../../src/dataset/chat.js';
import { MAX_FILE_PROBLEMS } from '../../../src/dataset/files.js';
import { loadJsonl } from '../../../src/dataset/jsonl.js';
import { loadTokenizer } from '../../../src/dataset/tokenizers.js';
import { ConfigError } from '../../../src/errors.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/datasets');

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tokbench-jsonl-')), name);
  writeFileSync(path, content);
  return path;
}

describe('loadJsonl', () => {
  it('loads every prompt form, skipping blank lines, with exact Llama 2 counts', async () => {
    const tok = await loadTokenizer('llama2');
    const lib = await loadJsonl(join(FIXTURES, 'prompts.jsonl'), tok);
    expect(lib.tokenizer).toBe('llama2');
    expect(lib.samples).toHaveLength(5);
    const [text, ids, chat, idsExtra, aliased] = lib.samples;

    // text: the server adds BOS and the dummy prefix
    const serverIds = llamaRaw.encode('Summarize the plot of Hamlet in two sentences.', true, true);
    expect(text).toMatchObject({ index: 0, inputTokens: serverIds.length, outputTokens: 64, messages: null });
    expect(text!.promptTokenIds).toEqual(serverIds);
    expect(text!.reference).toBe('Prince Hamlet seeks revenge on his uncle.');

    // ids: sent as given, BOS included by the file (MLPerf tok_input)
    expect(ids).toMatchObject({ prompt: null, promptTokenIds: [1, 15043, 3186, 29991], inputTokens: 4, outputTokens: 16 });

    // chat: counted through the template; the servers.md §7 example is 23 ids
    expect(chat!.messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'hi' },
    ]);
    expect(chat!.inputTokens).toBe(23);
    expect(chat!.reference).toBe('Hello!');

    expect(idsExtra).toMatchObject({ inputTokens: 3, outputTokens: null, reference: null });
    expect(aliased!.reference).toBe('Paris');
    expect(lib.samples.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('counts text under o200k_harmony with no BOS and chats through harmony', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const path = tempFile('h.jsonl', [
      JSON.stringify({ prompt: 'What is 2 + 2?' }),
      JSON.stringify({ messages: [{ role: 'user', content: 'What is 2 + 2?' }] }),
    ].join('\n'));
    const lib = await loadJsonl(path, tok, { chat: { reasoningEffort: 'low' } });
    expect(lib.samples[0]!.inputTokens).toBe(harmonyEncode('What is 2 + 2?').length);
    expect(lib.samples[1]!.inputTokens).toBe(
      renderChatIds(tok, [{ role: 'user', content: 'What is 2 + 2?' }], { reasoningEffort: 'low' }).length,
    );
  });

  it('reports every bad line with its line number and what is wrong', async () => {
    const tok = await loadTokenizer('llama2');
    const path = join(FIXTURES, 'bad.jsonl');
    const error = await configError(loadJsonl(path, tok));
    const byLine = new Map(error.problems.map((p) => [p.where, p.message]));
    expect([...byLine.keys()]).toEqual([2, 3, 5, 6, 7, 8, 9, 10, 11].map((n) => `${path}:${n}`));
    expect(byLine.get(`${path}:2`)).toMatch(/prompt must be a non-empty string/);
    expect(byLine.get(`${path}:3`)).toMatch(/not valid JSON/);
    expect(byLine.get(`${path}:5`)).toMatch(/no prompt.*did you mean prompt instead of promt/);
    expect(byLine.get(`${path}:6`)).toMatch(/both prompt and input_ids/);
    expect(byLine.get(`${path}:7`)).toMatch(/input_ids\[1\] = -5 is not a llama2 token id/);
    expect(byLine.get(`${path}:8`)).toMatch(/Llama 2 chat needs roles/);
    expect(byLine.get(`${path}:9`)).toMatch(/output_tokens must be a whole number/);
    expect(byLine.get(`${path}:10`)).toMatch(/expected a JSON object/);
    expect(byLine.get(`${path}:11`)).toMatch(/reference must be a string/);
    expect(error.problems.every((p) => p.hint !== undefined)).toBe(true);
  });

  it('counts lines through CRLF endings and a BOM', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const path = tempFile('crlf.jsonl', '\ufeff{"prompt": "a"}\r\n\r\n{"prompt": ""}\r\n');
    const error = await configError(loadJsonl(path, tok));
    expect(error.problems.map((p) => p.where)).toEqual([`${path}:3`]);
  });

  it(`stops after ${MAX_FILE_PROBLEMS} problems and says so`, async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const path = tempFile('many.jsonl', Array.from({ length: 50 }, () => '{"prompt": 5}').join('\n'));
    const error = await configError(loadJsonl(path, tok));
    expect(error.problems).toHaveLength(MAX_FILE_PROBLEMS);
    expect(error.problems.at(-1)!.where).toBe(`${path}:${MAX_FILE_PROBLEMS}`);
    expect(error.message).toMatch(/stopped after the first 20 problems/);
  });

  it('rejects ids outside the vocabulary of the chosen tokenizer', async () => {
    const tok = await loadTokenizer('llama2');
    const path = tempFile('ids.jsonl', '{"input_ids": [1, 200006]}\n');
    const error = await configError(loadJsonl(path, tok));
    expect(error.problems[0]!.message).toMatch(/200006 is not a llama2 token id/);
    expect(error.problems[0]!.hint).toMatch(/--tokenizer/);
  });

  it('explains a missing file and an empty one', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const missing = await configError(loadJsonl('/nonexistent/data.jsonl', tok));
    expect(missing.problems[0]).toMatchObject({ where: '/nonexistent/data.jsonl', message: expect.stringMatching(/no such file/) });
    expect(missing.hint).toMatch(/--dataset/);
    const dir = mkdtempSync(join(tmpdir(), 'tokbench-dir-'));
    expect((await configError(loadJsonl(dir, tok))).problems[0]!.message).toMatch(/directory/);
    const empty = tempFile('empty.jsonl', '\n\n  \n');
    expect((await configError(loadJsonl(empty, tok))).problems[0]!.message).toMatch(/no samples/);
  });
});
