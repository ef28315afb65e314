/**
 * Built-in benchmark profiles: the MLPerf Inference v6.0 values for each
 * benchmark × scenario (reference/mlperf.md §3). A scenario file or flags
 * override any of them; result.json records which values came from here.
 */
import type { BenchmarkName, ScenarioKind } from './types.js';

/** MLPerf v6.0 seeds (mlperf.conf @ 80aaa82a; the checker requires exact equality). */
export const MLPERF_V60_SEEDS = {
  qsl: '2465351861681999779',
  sampleIndex: '14276810075590677512',
  schedule: '3936089224930324775',
} as const;

/** MLPerf v6.1 seeds (mlperf.conf @ b0662794, as LoadGen 6.0.17 ships it; reference/mlperf.md §3.2). */
export const MLPERF_V61_SEEDS = {
  qsl: '2085463073848966840',
  sampleIndex: '2747215439041700203',
  schedule: '16159082839903944936',
} as const;

export type MlperfRound = '6.0' | '6.1';
export const MLPERF_ROUNDS: readonly MlperfRound[] = ['6.0', '6.1'];

/**
 * What a round changes. v6.1 changed only the seeds: LoadGen 6.0.17's mlperf.conf
 * keeps v6.0's TTFT/TPOT limits, durations and sample counts for Llama 2 70B and
 * GPT-OSS-120B, so the profiles below serve both rounds. A round that changes
 * constraints adds them here.
 */
export const ROUND_SEEDS: Record<MlperfRound, { qsl: string; sampleIndex: string; schedule: string }> = {
  '6.0': MLPERF_V60_SEEDS,
  '6.1': MLPERF_V61_SEEDS,
};

export interface BenchmarkProfile {
  benchmark: Exclude<BenchmarkName, 'custom'>;
  scenario: ScenarioKind;
  /** the LoadGen model name (mlperf.conf key) */
  loadgenModel: string;
  ttftP99Ms: number | null;
  tpotP99Ms: number | null;
  minDurationMs: number;
  minQueryCount: number;
  /** performance_sample_count: distinct samples in the performance set */
  performanceSampleCount: number;
  /** accuracy set size (GPT-OSS has a separate accuracy set) */
  accuracySampleCount: number;
  maxTokens: number;
  temperature: number | null;
  topP: number | null;
  topK: number | null;
  reasoningEffort: 'low' | 'medium' | 'high' | null;
  tokenizer: 'llama2' | 'o200k_harmony';
  /** what the values rest on, shown by `tokbench scenarios` */
  notes: string;
}

const llama2Common = {
  benchmark: 'llama2-70b',
  minDurationMs: 600_000,
  performanceSampleCount: 24_576,
  accuracySampleCount: 24_576,
  // Greedy decoding, max_new_tokens 1024 (SUT.py gen_kwargs; policy "use greedy search").
  maxTokens: 1024,
  temperature: 0,
  topP: null,
  topK: null,
  reasoningEffort: null,
  tokenizer: 'llama2',
} as const;

const gptOssCommon = {
  benchmark: 'gpt-oss-120b',
  minDurationMs: 600_000,
  performanceSampleCount: 6_396,
  accuracySampleCount: 4_395,
  // Performance mode: max_output_len 10240, reasoning effort low; sampling
  // temperature 1.0, top_p 1.0, top_k disabled (gpt-oss README "Generation Configuration").
  maxTokens: 10_240,
  temperature: 1,
  topP: 1,
  topK: null,
  reasoningEffort: 'low',
  tokenizer: 'o200k_harmony',
} as const;

export const BUILTIN_PROFILES: Record<string, BenchmarkProfile> = {
  'llama2-70b/offline': {
    ...llama2Common,
    scenario: 'offline',
    loadgenModel: 'llama2-70b',
    ttftP99Ms: null,
    tpotP99Ms: null,
    // mlperf.conf: llama2-70b.Offline.min_query_count = 24576 (the samples_per_query floor)
    minQueryCount: 24_576,
    notes: 'MLPerf v6.0 llama2-70b Offline: min 600 s, at least 24,576 samples in one query.',
  },
  'llama2-70b/server': {
    ...llama2Common,
    scenario: 'server',
    loadgenModel: 'llama2-70b',
    ttftP99Ms: 2000,
    tpotP99Ms: 200,
    minQueryCount: 100,
    notes: 'MLPerf v6.0 llama2-70b Server: Poisson arrivals, p99 TTFT ≤ 2000 ms, p99 TPOT ≤ 200 ms, min 600 s.',
  },
  'llama2-70b/interactive': {
    ...llama2Common,
    scenario: 'interactive',
    loadgenModel: 'llama2-70b-interactive',
    ttftP99Ms: 450,
    tpotP99Ms: 40,
    minQueryCount: 100,
    notes: 'MLPerf v6.0 llama2-70b-interactive (Server under tighter limits): p99 TTFT ≤ 450 ms, p99 TPOT ≤ 40 ms.',
  },
  'gpt-oss-120b/offline': {
    ...gptOssCommon,
    scenario: 'offline',
    loadgenModel: 'gpt-oss-120b',
    ttftP99Ms: null,
    tpotP99Ms: null,
    // not set in mlperf.conf → LoadGen default 100 (AMD v6.0 detail log: requested_min_query_count 100)
    minQueryCount: 100,
    notes: 'MLPerf v6.0 gpt-oss-120b Offline: min 600 s, 6,396 performance samples.',
  },
  'gpt-oss-120b/server': {
    ...gptOssCommon,
    scenario: 'server',
    loadgenModel: 'gpt-oss-120b',
    ttftP99Ms: 3000,
    tpotP99Ms: 80,
    minQueryCount: 100,
    notes: 'MLPerf v6.0 gpt-oss-120b Server: p99 TTFT ≤ 3000 ms, p99 TPOT ≤ 80 ms, min 600 s.',
  },
  'gpt-oss-120b/interactive': {
    ...gptOssCommon,
    scenario: 'interactive',
    loadgenModel: 'gpt-oss-120b-interactive',
    ttftP99Ms: 2000,
    // LoadGen mlperf.conf and the v6.0 checker enforce 15 ms (the policy text says 20 ms; LoadGen wins).
    tpotP99Ms: 15,
    minQueryCount: 100,
    notes: 'MLPerf v6.0 gpt-oss-120b-interactive: p99 TTFT ≤ 2000 ms, p99 TPOT ≤ 15 ms (LoadGen value; policy text says 20 ms).',
  },
};

export const BUILTIN_NAMES = Object.keys(BUILTIN_PROFILES);
