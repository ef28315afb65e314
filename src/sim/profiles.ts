/**
 * Named engine presets. The node-sized ones are simulated approximations of one
 * 8-GPU server as a single aggregated engine, with costs chosen so that the
 * model's Offline capacity at the reference workload falls in the range of the
 * per-node MLPerf Inference v6.0 results (shared/reference/mlperf.md §6):
 * Llama 2 70B Offline 101.6k-115.7k tokens/s (8xB200/B300/MI355X), GPT-OSS-120B
 * Offline 85.9k-111.5k tokens/s. They are not measurements of any machine.
 *
 * They are served `timeScale` times slower than modelled so that a 2-core
 * machine can stream them: divide measured latencies by timeScale and multiply
 * measured throughput by timeScale to read the figures of the modelled node.
 * Concurrency is not scaled (Little's law: rate / s and latency × s cancel).
 */
import type { EngineParams, OutputLengthDistribution, Workload } from './engine.js';

/** How the simulator counts the tokens of a text prompt (token-id prompts are counted exactly). */
export type PromptTokenizer = 'approx' | 'llama2' | 'o200k_harmony';
export const PROMPT_TOKENIZERS: readonly PromptTokenizer[] = ['approx', 'llama2', 'o200k_harmony'];

export interface SimProfile {
  name: string;
  description: string;
  /** model name served at /v1/models unless --model overrides it */
  modelName: string;
  engine: EngineParams;
  promptTokenizer: PromptTokenizer;
  /** workload the capacity is quoted at (mean input and output tokens) */
  referenceWorkload: Workload;
  /** what the capacity is meant to approximate */
  reference: string;
}

const tiny: SimProfile = {
  name: 'tiny',
  description: 'small and fast engine for demos and tests; about 9.4k output tokens/s at 256 in / 128 out',
  modelName: 'tokbench-sim-tiny',
  engine: {
    maxNumSeqs: 16,
    maxBatchedTokens: 2048,
    // Generous, so any built-in scenario (GPT-OSS asks for max_tokens 10240) runs
    // against the embedded default without context-length 400s.
    kvCapacityTokens: 262_144,
    maxModelLenTokens: 65_536,
    stepBaseUs: 1000,
    prefillUsPerToken: 2,
    decodeUsPerSeq: 40,
    tokensPerStep: 1,
    tokensPerChunk: 1,
    timeScale: 1,
    outputLength: { kind: 'uniform', min: 32, max: 224 },
  },
  promptTokenizer: 'approx',
  referenceWorkload: { inputTokens: 256, outputTokens: 128 },
  reference: 'none (a toy)',
};

// As tokbench's default synthetic dataset: clamped mean ~294.8, near the reference tokens_per_sample 294.45.
const llama2Output: OutputLengthDistribution = { kind: 'lognormal', mean: 298, stddev: 209, min: 1, max: 1024 };

const llama2Node: SimProfile = {
  name: 'llama2-70b-8xgpu',
  description:
    'simulated approximation of one 8-GPU node serving Llama 2 70B (aggregated as one engine); ' +
    '~104k output tokens/s Offline at 512 in / 295 out, served 20x slower by default',
  modelName: 'meta-llama/Llama-2-70b-chat-hf',
  engine: {
    maxNumSeqs: 2048,
    maxBatchedTokens: 16_384,
    kvCapacityTokens: 8_000_000,
    maxModelLenTokens: 4096,
    stepBaseUs: 6000,
    prefillUsPerToken: 1.6,
    decodeUsPerSeq: 3.9,
    tokensPerStep: 1,
    tokensPerChunk: 1,
    timeScale: 20,
    outputLength: llama2Output,
  },
  promptTokenizer: 'llama2',
  // the means of tokbench's default synthetic Llama 2 dataset (src/dataset/defaults.ts)
  referenceWorkload: { inputTokens: 512, outputTokens: 295 },
  reference:
    'MLPerf Inference v6.0 Llama 2 70B Offline, one 8-GPU node: 101,595 (8xB200) to 115,730 (8xB300) tokens/s; 8xMI355X 103,480',
};

const gptOssNode: SimProfile = {
  name: 'gpt-oss-120b-8xgpu',
  description:
    'simulated approximation of one 8-GPU node serving GPT-OSS-120B (aggregated as one engine); ' +
    '~96k output tokens/s Offline at 1024 in / 1278 out, served 20x slower by default',
  modelName: 'openai/gpt-oss-120b',
  engine: {
    maxNumSeqs: 2048,
    maxBatchedTokens: 16_384,
    kvCapacityTokens: 16_000_000,
    maxModelLenTokens: 131_072,
    stepBaseUs: 5000,
    prefillUsPerToken: 0.5,
    decodeUsPerSeq: 7.6,
    tokensPerStep: 1,
    tokensPerChunk: 1,
    timeScale: 20,
    // MLPerf perf set: reference mean 1278.2; TEST09 example min 518, max 3154, std 247
    outputLength: { kind: 'normal', mean: 1278, stddev: 247, min: 518, max: 3154 },
  },
  promptTokenizer: 'o200k_harmony',
  // the means of tokbench's default synthetic GPT-OSS dataset (src/dataset/defaults.ts)
  referenceWorkload: { inputTokens: 1024, outputTokens: 1278 },
  reference:
    'MLPerf Inference v6.0 GPT-OSS-120B Offline, one 8-GPU node: 85,921 (8xB200) to 111,496 (8xB300) tokens/s; 8xMI355X 95,004',
};

export const PROFILES: Readonly<Record<string, SimProfile>> = Object.freeze({
  [tiny.name]: tiny,
  [llama2Node.name]: llama2Node,
  [gptOssNode.name]: gptOssNode,
});

export const PROFILE_NAMES: readonly string[] = Object.keys(PROFILES);

export function getProfile(name: string): SimProfile | undefined {
  const p = PROFILES[name];
  return p === undefined ? undefined : structuredClone(p);
}
