import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LENGTHS } from '../../../src/dataset/defaults.js';
import { loadSampleLibrary, type SampleLibrarySpec } from '../../../src/dataset/library.js';
import { ConfigError } from '../../../src/errors.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/datasets');
const base: SampleLibrarySpec = {
  source: 'synthetic',
  path: null,
  size: 20,
  tokenizer: 'llama2',
  inputTokens: DEFAULT_LENGTHS['llama2-70b'].input,
  outputTokens: DEFAULT_LENGTHS['llama2-70b'].output,
  seed: '3133965575612453542',
};

describe('loadSampleLibrary', () => {
  it('builds a synthetic library of the requested size', async () => {
    const lib = await loadSampleLibrary(base);
    expect(lib.samples).toHaveLength(20);
    expect(lib.tokenizer).toBe('llama2');
    expect(lib.source).toMatch(/^synthetic\(llama2/);
  });

  it('loads JSONL (every line, size ignored) and ShareGPT (at most size)', async () => {
    const jsonl = await loadSampleLibrary({ ...base, source: 'jsonl', path: join(FIXTURES, 'prompts.jsonl'), size: 2 });
    expect(jsonl.samples).toHaveLength(5);
    const sharegpt = await loadSampleLibrary({ ...base, source: 'sharegpt', path: join(FIXTURES, 'sharegpt.json'), size: 2 });
    expect(sharegpt.samples).toHaveLength(2);
  });

  it('asks for a file when a file source has none', async () => {
    const error = await loadSampleLibrary({ ...base, source: 'jsonl', path: null }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]).toMatchObject({ where: 'dataset.path', hint: expect.stringMatching(/--dataset/) });
  });
});
