import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadParquet } from '../../../src/dataset/parquet.js';
import { loadSampleLibrary } from '../../../src/dataset/library.js';
import { loadTokenizer } from '../../../src/dataset/tokenizers.js';
import { parseColumnOverrides } from '../../../src/dataset/columns.js';
import { ConfigError, type Problem } from '../../../src/errors.js';
import { tempDir } from '../../helpers/cli.js';
import { writeParquet } from '../../helpers/parquet.js';

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

/** Llama 2 70B's layout (open_orca_gpt4_tokenized_llama): input, tok_input (int64 lists, BOS first), output, tok_output. */
function llamaFile(): string {
  const path = join(tempDir('tokbench-pq-'), 'open_orca.parquet');
  writeParquet(path, [
    { name: 'id', kind: 'string', data: ['flan.1', 'niv.2'] },
    { name: 'system_prompt', kind: 'string', data: ['You are helpful.', ''] },
    { name: 'question', kind: 'string', data: ['q1', 'q2'] },
    { name: 'input', kind: 'string', data: ['<s>[INST] hello [/INST]', '<s>[INST] world [/INST]'] },
    { name: 'tok_input', kind: 'list<int64>', data: [[1, 518, 25580, 29962, 22172], [1, 518, 3186]] },
    { name: 'output', kind: 'string', data: ['Hi there.', 'Hello.'] },
    { name: 'tok_output', kind: 'list<int64>', data: [[6324, 727, 29889], [15043, 29889]] },
  ]);
  return path;
}

describe('loadParquet', () => {
  it("maps Llama 2 70B's columns: ids from tok_input as given, text kept, reference and its length", async () => {
    const tok = await loadTokenizer('llama2');
    const lib = await loadParquet(llamaFile(), tok);
    expect(lib.samples).toHaveLength(2);
    expect(lib.samples[0]).toMatchObject({
      index: 0,
      prompt: '<s>[INST] hello [/INST]',
      promptTokenIds: [1, 518, 25580, 29962, 22172],
      inputTokens: 5,
      outputTokens: 3,
      reference: 'Hi there.',
      messages: null,
    });
    expect(typeof lib.samples[0]!.promptTokenIds![0]).toBe('number');
    expect(lib.samples[1]).toMatchObject({ inputTokens: 3, outputTokens: 2, reference: 'Hello.' });
    expect(lib.source).toContain('ids=tok_input');
  });

  it("maps GPT-OSS-120B's columns: input_tokens (int32), dataset and ground_truth for the accuracy scorer", async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const path = join(tempDir('tokbench-pq-'), 'acc_eval_ref.parquet');
    writeParquet(path, [
      { name: 'dataset', kind: 'string', data: ['AIME25', 'gpqa_diamond'] },
      { name: 'question', kind: 'string', data: ['What is 2+2?', 'Pick A'] },
      { name: 'ground_truth', kind: 'string', data: ['4', 'A'] },
      { name: 'input_tokens', kind: 'list<int32>', data: [[200006, 17360, 200008], [200006, 1428]] },
      { name: 'num_tokens', kind: 'int64', data: [3, 2] },
    ]);
    const lib = await loadParquet(path, tok);
    expect(lib.samples.map((s) => [s.promptTokenIds, s.reference, s.dataset, s.prompt])).toEqual([
      [[200006, 17360, 200008], '4', 'aime25', null],
      [[200006, 1428], 'A', 'gpqa_diamond', null],
    ]);
  });

  it('reads the legacy tok_input name for GPT-OSS and lets --dataset-column pick other layouts', async () => {
    const tok = await loadTokenizer('llama2');
    const path = join(tempDir('tokbench-pq-'), 'custom.parquet');
    writeParquet(path, [
      { name: 'text', kind: 'string', data: ['Tell me a story.'] },
      { name: 'answer_text', kind: 'string', data: ['Once upon a time.'] },
      { name: 'max_new', kind: 'int32', data: [77] },
    ]);
    const problems: Problem[] = [];
    const columns = parseColumnOverrides(['prompt=text', 'reference=answer_text', 'outputTokens=max_new'], problems);
    expect(problems).toEqual([]);
    const lib = await loadParquet(path, tok, { columns });
    expect(lib.samples[0]).toMatchObject({ prompt: 'Tell me a story.', reference: 'Once upon a time.', outputTokens: 77 });
    // text prompts are counted as the server would (BOS + text)
    expect(lib.samples[0]!.promptTokenIds![0]).toBe(1);

    // an empty name turns a role off: the scenario's max_tokens applies
    const off = await loadParquet(llamaFile(), tok, { columns: { outputTokens: '' } });
    expect(off.samples[0]!.outputTokens).toBeNull();
  });

  it('names the missing column and lists those present', async () => {
    const tok = await loadTokenizer('llama2');
    const path = join(tempDir('tokbench-pq-'), 'nothing.parquet');
    writeParquet(path, [{ name: 'question', kind: 'string', data: ['q'] }]);
    const err = await configError(loadParquet(path, tok));
    expect(err.problems[0]!.message).toMatch(/no prompt column: looked for tok_input, input_tokens/);
    expect(err.problems[0]!.hint).toMatch(/columns in the file: question.*--dataset-column/);

    const bad = await configError(loadParquet(path, tok, { columns: { ids: 'tokens' } }));
    expect(bad.problems[0]!.message).toMatch(/ids=tokens: no column "tokens"/);
  });

  it('rejects token ids outside the vocabulary, naming the row', async () => {
    const tok = await loadTokenizer('llama2');
    const path = join(tempDir('tokbench-pq-'), 'oov.parquet');
    writeParquet(path, [{ name: 'tok_input', kind: 'list<int64>', data: [[1, 2], [1, 40000]] }]);
    const err = await configError(loadParquet(path, tok));
    expect(err.problems[0]!.where).toMatch(/row 1$/);
    expect(err.problems[0]!.message).toMatch(/tok_input\[1\] = 40000 is not a llama2 token id/);
  });

  it('says when a file is not parquet', async () => {
    const tok = await loadTokenizer('llama2');
    const path = join(tempDir('tokbench-pq-'), 'fake.parquet');
    (await import('node:fs')).writeFileSync(path, '{"prompt": "hi"}\n');
    const err = await configError(loadParquet(path, tok));
    expect(err.problems[0]!.message).toMatch(/not a readable parquet file/);
  });

  it('is reached through loadSampleLibrary with the parquet source', async () => {
    const lib = await loadSampleLibrary({
      source: 'parquet',
      path: llamaFile(),
      size: 1,
      tokenizer: 'llama2',
      inputTokens: { kind: 'fixed', value: 1 },
      outputTokens: { kind: 'fixed', value: 1 },
      seed: '1',
      columns: { reference: '' },
    });
    expect(lib.samples.map((s) => s.reference)).toEqual([null, null]);
  });
});

describe('parseColumnOverrides', () => {
  it('reports unknown roles and malformed pairs together', () => {
    const problems: Problem[] = [];
    parseColumnOverrides(['idz=tok', 'prompt'], problems);
    expect(problems.map((p) => p.message)).toEqual(['unknown role "idz"', 'expected role=column']);
    expect(problems[0]!.hint).toMatch(/did you mean "ids"/);
  });
});

describe('the parquet reader is loaded only when a parquet file is used', () => {
  it('no module imports hyparquet or parquet.ts statically, except parquet.ts itself', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const src = join(import.meta.dirname, '../../../src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const offenders = files.filter((f) => {
      if (f.endsWith('parquet.ts')) return false;
      const text = readFileSync(join(src, f), 'utf8');
      return /^import[^;]*from '(hyparquet|[^']*\/parquet\.js)'/m.test(text);
    });
    expect(offenders).toEqual([]);
    expect(readFileSync(join(src, 'dataset/library.ts'), 'utf8')).toContain("await import('./parquet.js')");
  });
});
