/**
 * A scenario after resolution: defaults < built-in benchmark profile < scenario
 * file < environment < CLI flags. Every value here is final; `origins` says where
 * each came from. Units are in the names.
 */
import type { LengthDistribution, TokenizerName } from '../dataset/types.js';
import type { ApiKind } from '../sut/types.js';
import type { ColumnOverrides } from '../dataset/columns.js';
import type { MlperfRound } from './builtins.js';

export type BenchmarkName = 'llama2-70b' | 'gpt-oss-120b' | 'custom';
/** MLPerf scenario. Interactive is Server with tighter constraints, as LoadGen treats it. */
export type ScenarioKind = 'offline' | 'server' | 'interactive';
/** How queries are issued: all at t=0, Poisson/gamma arrivals, or a fixed number in flight. */
export type LoadPattern = 'offline' | 'poisson' | 'closed';

export type Origin = 'default' | 'profile' | 'file' | 'env' | 'flag' | 'mlperf.conf' | 'user.conf';

export interface EndpointSpec {
  url: string;
  /** model name to send; null: the endpoint's only served model */
  model: string | null;
  labels: Record<string, string>;
}

export interface ResolvedScenario {
  /** the built-in name or file path it came from */
  name: string;
  benchmark: BenchmarkName;
  scenario: ScenarioKind;
  load: {
    pattern: LoadPattern;
    /** Server: Poisson rate; Offline: expected QPS used to size the run (LoadGen's target_qps) */
    targetQps: number | null;
    /** gamma shape of inter-arrival times; 1 = Poisson, < 1 burstier, > 1 smoother */
    burstiness: number;
    /** max requests in flight (Offline and Server); null = unbounded. For `closed`, the fixed concurrency */
    maxConcurrency: number | null;
  };
  run: {
    mode: 'performance' | 'accuracy';
    /** LoadGen min_duration */
    minDurationMs: number;
    /** hard stop for issuing (and global deadline with drainTimeoutMs); 0 = none */
    maxDurationMs: number;
    minQueryCount: number;
    /** explicit query count (--samples); null: sized by MLPerf rules */
    samples: number | null;
    /** LoadGen equal-issue: pad the count to a whole multiple of the dataset */
    equalIssue: boolean;
    warmupRequests: number;
    /** per-request total timeout */
    requestTimeoutMs: number;
    /** per-request idle (no bytes) timeout, between bytes once the first token arrived */
    idleTimeoutMs: number;
    /** from sending a request to its first token (covers the server's queue); null: the request timeout */
    firstTokenTimeoutMs: number | null;
    /** after issuing ends, how long to wait for in-flight requests before aborting them */
    drainTimeoutMs: number;
    /** on SIGINT/SIGTERM, how long in-flight requests may finish */
    graceMs: number;
    /** opt-in HTTP retries (reported) */
    retries: number;
  };
  dataset: {
    source: 'synthetic' | 'jsonl' | 'sharegpt' | 'parquet';
    path: string | null;
    /** synthetic: number of distinct samples (LoadGen performance_sample_count) */
    size: number;
    tokenizer: TokenizerName;
    inputTokens: LengthDistribution;
    outputTokens: LengthDistribution;
    /** [ecosystem] parquet: role → column (--dataset-column); roles left out use MLPerf's column names */
    columns?: ColumnOverrides;
  };
  request: {
    api: ApiKind;
    model: string | null;
    /** max output tokens when a sample does not say */
    maxTokens: number;
    ignoreEos: boolean;
    temperature: number | null;
    topP: number | null;
    topK: number | null;
    stream: boolean;
    /** `ids` sends token ids to /v1/completions (as MLPerf does); `text` sends text */
    promptFormat: 'text' | 'ids';
    /** ask for stream_options.continuous_usage_stats (exact tokens per chunk on vLLM/SGLang/TRT-LLM) */
    continuousUsage: boolean;
    /** GPT-OSS reasoning effort sent as reasoning_effort (chat) */
    reasoningEffort: 'low' | 'medium' | 'high' | null;
    headers: Record<string, string>;
    extraBody: Record<string, unknown>;
  };
  constraints: {
    ttftP99Ms: number | null;
    tpotP99Ms: number | null;
  };
  /** [ecosystem] the MLPerf round whose seeds (and constraints) the defaults are (--mlperf-round); absent in run.json of older versions */
  mlperfRound?: MlperfRound;
  /** LoadGen seeds: unsigned 64-bit, kept as decimal strings */
  seeds: { qsl: string; sampleIndex: string; schedule: string };
  thresholds: string[];
  endpoints: EndpointSpec[];
  /** where each leaf value came from, keyed by dotted path */
  origins: Record<string, Origin>;
}
