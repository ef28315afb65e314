/**
 * Default synthetic length distributions per benchmark, chosen against
 * reference/mlperf.md §3.3-3.4. docs/datasets.md explains each choice; where
 * MLPerf publishes no statistic, the value here is a stated assumption, and a
 * real dataset (--dataset) should replace it for numbers that matter.
 */
import type { LengthDistribution, TokenizerName } from './types.js';

export type DatasetBenchmark = 'llama2-70b' | 'gpt-oss-120b';

export const DEFAULT_TOKENIZER: Record<DatasetBenchmark, TokenizerName> = {
  'llama2-70b': 'llama2',
  'gpt-oss-120b': 'o200k_harmony',
};

export const DEFAULT_LENGTHS: Record<DatasetBenchmark, { input: LengthDistribution; output: LengthDistribution }> = {
  'llama2-70b': {
    // OpenOrca inputs are filtered to < 1024 tokens (processorca.py); no mean is
    // published. Assumed: right-skewed around the middle of that range.
    input: { kind: 'lognormal', mean: 512, stddev: 256, min: 16, max: 1023 },
    // Reference tokens_per_sample 294.45, outputs < 1024 tokens. The lognormal
    // mean is set a little above 294.45 because clamping at 1024 cuts the tail:
    // the clamped mean is ~294.8, inside the checker's [0.9, 1.1] × 294.45 band.
    output: { kind: 'lognormal', mean: 298, stddev: 209, min: 1, max: 1024 },
  },
  'gpt-oss-120b': {
    // No input statistics published for the perf set (harmony chat prompts for
    // "routine, low-effort tasks (e.g., summarization)"). Assumed: summarisation
    // inputs longer than a chat turn, with a long tail, capped at 8k.
    input: { kind: 'lognormal', mean: 1024, stddev: 768, min: 64, max: 8192 },
    // Perf-set reference output: mean 1278.2, std 247, min 518, max 3154
    // (TEST09 README example). Lognormal because the max lies much further above
    // the mean than the min below it.
    output: { kind: 'lognormal', mean: 1278.2, stddev: 247, min: 518, max: 3154 },
  },
};
