/** The SampleLibrary stage: one entry point over the synthetic generator and the file loaders. */
import { ConfigError } from '../errors.js';
import type { ChatRenderOptions } from './chat.js';
import { loadJsonl } from './jsonl.js';
import { loadShareGpt } from './sharegpt.js';
import { makeSyntheticLibrary } from './synthetic.js';
import { loadTokenizer } from './tokenizers.js';
import type { LengthDistribution, SampleLibrary, TokenizerName } from './types.js';
import type { ColumnOverrides } from './columns.js';

export interface SampleLibrarySpec {
  source: 'synthetic' | 'jsonl' | 'sharegpt' | 'parquet';
  /** the dataset file (jsonl, sharegpt); ignored for synthetic */
  path: string | null;
  /** synthetic: samples generated; sharegpt: samples kept at most; jsonl: ignored (every line is a sample) */
  size: number;
  tokenizer: TokenizerName;
  /** synthetic only */
  inputTokens: LengthDistribution;
  /** synthetic only */
  outputTokens: LengthDistribution;
  /** synthetic prompts and lengths; the order sharegpt entries are visited in */
  seed: string;
  /** rendering of chat samples for counting (harmony reasoning effort, date) */
  chat?: ChatRenderOptions;
  /** parquet: which column plays which role (--dataset-column); unset roles use MLPerf's names */
  columns?: ColumnOverrides;
}

export async function loadSampleLibrary(spec: SampleLibrarySpec): Promise<SampleLibrary> {
  const tokenizer = await loadTokenizer(spec.tokenizer);
  switch (spec.source) {
    case 'synthetic':
      return makeSyntheticLibrary({
        size: spec.size,
        tokenizer,
        inputTokens: spec.inputTokens,
        outputTokens: spec.outputTokens,
        seed: spec.seed,
      });
    case 'jsonl':
      return loadJsonl(requirePath(spec), tokenizer, spec.chat ? { chat: spec.chat } : {});
    case 'sharegpt':
      return loadShareGpt(requirePath(spec), tokenizer, { maxSamples: spec.size, seed: spec.seed });
    case 'parquet': {
      // loaded on demand: the parquet reader is not worth its import time for other sources
      const { loadParquet } = await import('./parquet.js');
      return loadParquet(requirePath(spec), tokenizer, spec.columns ? { columns: spec.columns } : {});
    }
  }
}

function requirePath(spec: SampleLibrarySpec): string {
  if (spec.path === null || spec.path === '') {
    throw new ConfigError({
      where: 'dataset.path',
      message: `a ${spec.source} dataset needs a file`,
      hint: `pass --dataset FILE, or use the synthetic source`,
    });
  }
  return spec.path;
}
