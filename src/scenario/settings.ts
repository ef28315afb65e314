/**
 * Every setting of `tokbench run`, declared once. From this list come the
 * commander options of `run` (cli/run.ts), the RunCliOptions and ScenarioFlags
 * types, the scenario-file fields and their did-you-mean (scenario-file.ts),
 * the layering with origins (resolve.ts), the environment variables, the
 * LoadGen conf keys (conf-wiring.ts), the benchmark profile fields, and the
 * settings table of docs/scenarios.md (settings-doc.ts; a test keeps them equal).
 *
 * To add a setting, add one entry (docs/scenarios.md "Adding a setting"):
 * a `path` (its leaf in ResolvedScenario, type-checked) makes it a scenario
 * setting; a `flag` makes it a `run` option; `key` names it in ScenarioFlags.
 */
import type { ConfValue, LoadgenConfSettings } from './user-conf.js';
import type { BenchmarkProfile } from './builtins.js';
import { MLPERF_ROUNDS, ROUND_SEEDS, type MlperfRound } from './builtins.js';
import { datasetKindOf } from '../dataset/columns.js';
import type { ResolvedScenario } from './types.js';
import { DEFAULT_LENGTHS } from '../dataset/defaults.js';
import {
  bool, choice, columns, count, duration, endpoints, headers, lengths, plainNumber, rate, record, seed, stringList, text,
  type ValueType,
} from './setting-types.js';

type Groups = 'load' | 'run' | 'dataset' | 'request' | 'constraints' | 'seeds';
/** A leaf of ResolvedScenario (and of the scenario file): `load.targetQps`, `thresholds`… */
export type SettingPath = { [G in Groups]: `${G}.${keyof ResolvedScenario[G] & string}` }[Groups] | 'benchmark' | 'scenario' | 'mlperfRound' | 'thresholds' | 'endpoints';
export type SettingValue<P extends SettingPath> = P extends `${infer G extends Groups}.${infer K}`
  ? K extends keyof ResolvedScenario[G] ? ResolvedScenario[G][K] : never
  : P extends keyof ResolvedScenario ? ResolvedScenario[P] : never;
/** Every setting's final value, by path. */
export type Settings = { [P in SettingPath]: SettingValue<P> };
/** What one layer (defaults, profile, file, conf, environment, flags) sets. */
export type SettingsLayer = Partial<Settings>;

/** How a commander option is spelled. */
export interface OptionSpelling {
  /** `--target-qps`; for a switch that only turns something off, `--no-stream` */
  flag: string;
  /** `<qps>`; absent for a switch */
  arg?: string;
  /** also declare `--no-<name>` (with this help) */
  negation?: string;
  repeatable?: boolean;
  short?: string;
  choices?: readonly string[];
  /** commander's default, shown in --help */
  cliDefault?: string;
  help: string;
}

export interface SettingDecl<T = unknown> extends Partial<OptionSpelling> {
  /** the ScenarioFlags field (the flag's value, typed); absent for file-only settings and CLI-only options */
  key?: string;
  /** the setting's leaf in ResolvedScenario and in the scenario file */
  path?: SettingPath;
  /** false: a flag shortcut or file-only-by-omission; default true when `path` is set */
  inFile?: boolean;
  type?: ValueType<T>;
  /** the lowest layer's value; a function is derived from the final values of the others when nothing set it */
  default?: T | ((s: SettingsLayer) => T);
  /** docs text for a derived default */
  defaultDoc?: string;
  env?: string;
  /** LoadGen conf key read into this setting, and how (user-conf.ts LoadgenConfSettings) */
  conf?: { key: string; read: (c: LoadgenConfSettings) => ConfValue<unknown> | undefined; userConfOnly?: boolean };
  /** the built-in benchmark profile field that sets it */
  profile?: keyof BenchmarkProfile;
  /** a flag that sets other settings than `path` (or several); must set the same paths for any value */
  toLayer?(value: T): SettingsLayer;
  /** `append`: add to what lower layers set (lists); `assign`: merge into it (mappings) */
  merge?: 'append' | 'assign';
  /** flags (ScenarioFlags keys) this one cannot be combined with, and why */
  conflicts?: readonly string[];
  conflictWhy?: string;
  /** docs: what the setting means, when it differs from `help` or there is no flag */
  doc?: string;
}

const positive = (v: ConfValue<number> | undefined) => (v && v.value > 0 ? v : undefined);
const isGptOss = (s: SettingsLayer) => s.benchmark === 'gpt-oss-120b';
/** The round's seeds are the defaults; a seed a file, conf or flag gave still wins. */
// an unknown round is reported by its own check; the seeds then stay v6.0's
const roundSeeds = (s: SettingsLayer) => ROUND_SEEDS[(s.mlperfRound ?? '6.0') as MlperfRound] ?? ROUND_SEEDS['6.0'];
/** --dataset FILE: the extension says the source; a pickle is refused in resolve.ts with the conversion. */
const sourceOf = (f: string | null) => (f === null ? 'sharegpt' : ({ jsonl: 'jsonl', parquet: 'parquet', sharegpt: 'sharegpt', pickle: 'sharegpt' } as const)[datasetKindOf(f)]);

/** The order is the order of `tokbench run --help` and of the docs table. */
export const RUN_SETTINGS = [
  // ── endpoints and request ──
  { key: 'endpoints', path: 'endpoints', flag: '--endpoint', arg: '<url>', repeatable: true, type: endpoints(), default: [], env: 'TOKBENCH_ENDPOINT', help: 'server base URL, e.g. http://127.0.0.1:8000 (repeatable; ",model=M,key=value" adds a model and labels)' },
  { key: 'model', path: 'request.model', flag: '--model', arg: '<name>', type: text(), default: null, env: 'TOKBENCH_MODEL', help: 'model name to request (default: the one the server serves)' },
  { key: 'api', path: 'request.api', flag: '--api', arg: '<kind>', type: choice(['completions', 'chat']), default: 'completions', help: 'completions | chat' },
  // ── load ──
  { path: 'benchmark', type: choice(['llama2-70b', 'gpt-oss-120b', 'custom']), default: 'custom', profile: 'benchmark', doc: 'benchmark whose MLPerf rules and profile apply' },
  { path: 'scenario', type: choice(['offline', 'server', 'interactive']), default: 'offline', profile: 'scenario', doc: 'MLPerf scenario' },
  { path: 'load.pattern', type: choice(['offline', 'poisson', 'closed']), default: (s: SettingsLayer) => (s.scenario === 'offline' ? 'offline' : 'poisson'), defaultDoc: 'offline for Offline, else poisson', doc: 'offline (all at t=0) | poisson | closed (fixed concurrency)' },
  { key: 'targetQps', path: 'load.targetQps', flag: '--target-qps', arg: '<qps>', type: rate({ min: 0, gt: true, nullable: true, hint: 'a rate in queries per second, e.g. 10 or 2.5' }), default: null, conf: { key: 'target_qps', read: (c) => c.targetQps, userConfOnly: true }, help: 'Server: Poisson arrival rate (queries/s); Offline: expected QPS used to size the run' },
  { key: 'burstiness', path: 'load.burstiness', flag: '--burstiness', arg: '<k>', type: plainNumber({ min: 0, gt: true }), default: 1, help: 'gamma shape of inter-arrival times (1 = Poisson, <1 burstier)' },
  { key: 'maxConcurrency', path: 'load.maxConcurrency', flag: '--max-concurrency', arg: '<n>', type: count({ min: 1, nullable: true, hint: 'at least one request in flight, e.g. 64; leave it out for no bound' }), default: (s: SettingsLayer) => (s['load.pattern'] === 'poisson' ? null : 512), defaultDoc: '512; Server: unbounded', conf: { key: 'max_async_queries', read: (c) => positive(c.maxAsyncQueries) }, help: 'most requests in flight at once' },
  { key: 'concurrency', flag: '--concurrency', arg: '<n>', type: count({ min: 1 }), toLayer: (n: number | null) => ({ 'load.pattern': 'closed', 'load.maxConcurrency': n }), conflicts: ['maxConcurrency', 'targetQps', 'burstiness'], conflictWhy: 'a closed loop keeps a fixed number in flight, with no arrival rate, burstiness or other bound', help: 'closed loop: keep exactly n requests in flight (sets load.pattern closed and load.maxConcurrency)' },
  // ── run ──
  { key: 'durationMs', path: 'run.minDurationMs', flag: '--duration', arg: '<time>', type: duration({ min: 0 }), default: 60_000, profile: 'minDurationMs', conf: { key: 'min_duration', read: (c) => c.minDurationMs }, help: 'minimum run duration (MLPerf min_duration), e.g. 600s, 10m' },
  { key: 'maxDurationMs', path: 'run.maxDurationMs', flag: '--max-duration', arg: '<time>', type: duration({ min: 0 }), default: 0, conf: { key: 'max_duration', read: (c) => c.maxDurationMs }, help: 'stop issuing after this long (0 = no limit)' },
  { key: 'samples', path: 'run.samples', flag: '--samples', arg: '<n>', type: count({ min: 1, nullable: true }), default: null, conf: { key: 'max_query_count', read: (c) => positive(c.maxQueryCount) }, help: 'number of queries to issue (overrides MLPerf sizing)' },
  { key: 'minQueryCount', path: 'run.minQueryCount', flag: '--min-query-count', arg: '<n>', type: count({ min: 0 }), default: 100, profile: 'minQueryCount', conf: { key: 'min_query_count', read: (c) => c.minQueryCount }, help: 'MLPerf min_query_count' },
  { path: 'run.equalIssue', type: bool(), default: true, conf: { key: 'sample_concatenate_permutation', read: (c) => c.equalIssue }, doc: 'LoadGen equal issue: pad the count to whole multiples of the dataset' },
  { key: 'warmup', path: 'run.warmupRequests', flag: '--warmup', arg: '<n>', type: count({ min: 0 }), default: 0, help: 'warm-up requests before the measured run (excluded from figures)' },
  { key: 'requestTimeoutMs', path: 'run.requestTimeoutMs', flag: '--request-timeout', arg: '<time>', type: duration({ min: 0, gt: true }), default: 600_000, help: 'per-request total timeout (default 600s)' },
  { key: 'idleTimeoutMs', path: 'run.idleTimeoutMs', flag: '--idle-timeout', arg: '<time>', type: duration({ min: 0, gt: true }), default: 60_000, help: 'per-request timeout with no bytes received, after the first token (default 60s)' },
  { key: 'firstTokenTimeoutMs', path: 'run.firstTokenTimeoutMs', flag: '--first-token-timeout', arg: '<time>', type: duration({ min: 0, gt: true, nullable: true }), default: null, defaultDoc: 'the request timeout', help: 'per-request timeout from sending to the first token, covering server queueing (default: the request timeout)' },
  { key: 'drainTimeoutMs', path: 'run.drainTimeoutMs', flag: '--drain-timeout', arg: '<time>', type: duration({ min: 0 }), default: (s: SettingsLayer) => s['run.requestTimeoutMs'], defaultDoc: 'the request timeout', help: 'after issuing ends, how long to wait for in-flight requests' },
  { key: 'graceMs', path: 'run.graceMs', flag: '--grace', arg: '<time>', type: duration({ min: 0 }), default: 5_000, help: 'after Ctrl-C, how long in-flight requests may finish (default 5s)' },
  { key: 'retries', path: 'run.retries', flag: '--retries', arg: '<n>', type: count({ min: 0 }), default: 0, help: 'retry connect errors, 429 and 5xx up to n times (reported; default 0)' },
  { key: 'mode', path: 'run.mode', flag: '--mode', arg: '<mode>', type: choice(['performance', 'accuracy']), default: 'performance', conf: { key: 'mode', read: (c) => c.mode }, help: 'performance | accuracy' },
  // ── dataset ──
  { path: 'dataset.source', type: choice(['synthetic', 'jsonl', 'sharegpt', 'parquet']), default: 'synthetic', doc: 'synthetic | jsonl | sharegpt | parquet' },
  { path: 'dataset.path', type: text(), default: null, doc: 'the dataset file (for jsonl, sharegpt and parquet)' },
  { key: 'dataset', flag: '--dataset', arg: '<file>', type: text(), toLayer: (f: string | null) => ({ 'dataset.path': f, 'dataset.source': sourceOf(f) }), help: 'JSONL (prompt | input_ids | messages per line), ShareGPT JSON or MLPerf parquet (sets dataset.path and dataset.source)' },
  { key: 'datasetColumns', path: 'dataset.columns', flag: '--dataset-column', arg: '<role=name>', repeatable: true, merge: 'assign', type: columns(), default: {}, help: "parquet: the column for a role (prompt, ids, reference, outputTokens, dataset); default MLPerf's names (repeatable)" },
  { key: 'datasetSize', path: 'dataset.size', flag: '--dataset-size', arg: '<n>', type: count({ min: 1 }), default: 1000, profile: 'performanceSampleCount', conf: { key: 'performance_sample_count_override', read: (c) => c.performanceSampleCount }, help: 'number of distinct synthetic samples' },
  { key: 'inputTokens', path: 'dataset.inputTokens', flag: '--input-tokens', arg: '<spec>', type: lengths(), default: (s: SettingsLayer) => DEFAULT_LENGTHS[isGptOss(s) ? 'gpt-oss-120b' : 'llama2-70b'].input, defaultDoc: "the benchmark's (docs/datasets.md)", help: 'synthetic input lengths: 128 | uniform:100-900 | normal:mean=..,stddev=.. | lognormal:... | empirical:...' },
  { key: 'outputTokens', path: 'dataset.outputTokens', flag: '--output-tokens', arg: '<spec>', type: lengths(), default: (s: SettingsLayer) => DEFAULT_LENGTHS[isGptOss(s) ? 'gpt-oss-120b' : 'llama2-70b'].output, defaultDoc: "the benchmark's (docs/datasets.md)", help: 'synthetic output lengths (same forms as --input-tokens)' },
  { key: 'tokenizer', path: 'dataset.tokenizer', flag: '--tokenizer', arg: '<name>', type: choice(['llama2', 'o200k_harmony']), default: (s: SettingsLayer) => (isGptOss(s) ? 'o200k_harmony' : 'llama2'), defaultDoc: "the benchmark's", profile: 'tokenizer', help: 'llama2 | o200k_harmony' },
  // ── seeds ──
  { key: 'mlperfRound', path: 'mlperfRound', flag: '--mlperf-round', arg: '<round>', type: choice(MLPERF_ROUNDS), default: '6.0', help: 'MLPerf round whose seeds and constraints to use: 6.0 (default) | 6.1' },
  { key: 'seed', flag: '--seed', arg: '<n>', type: seed(), toLayer: (v: string) => ({ 'seeds.qsl': v, 'seeds.sampleIndex': v, 'seeds.schedule': v }), help: 'one seed for sample choice, order and schedule (default: MLPerf v6.0 seeds)' },
  { path: 'seeds.qsl', type: seed(), default: (s: SettingsLayer) => roundSeeds(s).qsl, defaultDoc: "the MLPerf round's", conf: { key: 'qsl_rng_seed', read: (c) => c.seeds.qsl }, doc: 'LoadGen qsl_rng_seed (sample choice)' },
  { path: 'seeds.sampleIndex', type: seed(), default: (s: SettingsLayer) => roundSeeds(s).sampleIndex, defaultDoc: "the MLPerf round's", conf: { key: 'sample_index_rng_seed', read: (c) => c.seeds.sampleIndex }, doc: 'LoadGen sample_index_rng_seed (order)' },
  { path: 'seeds.schedule', type: seed(), default: (s: SettingsLayer) => roundSeeds(s).schedule, defaultDoc: "the MLPerf round's", conf: { key: 'schedule_rng_seed', read: (c) => c.seeds.schedule }, doc: 'LoadGen schedule_rng_seed (arrivals)' },
  // ── request body ──
  { key: 'maxTokens', path: 'request.maxTokens', flag: '--max-tokens', arg: '<n>', type: count({ min: 1 }), default: 1024, profile: 'maxTokens', help: 'max output tokens when a sample does not say' },
  { key: 'ignoreEos', path: 'request.ignoreEos', flag: '--ignore-eos', negation: 'let the model stop at EOS', type: bool(), default: (s: SettingsLayer) => s['dataset.source'] === 'synthetic', defaultDoc: 'true for synthetic data', help: 'ask the server to ignore EOS (exact output lengths)' },
  { key: 'temperature', path: 'request.temperature', flag: '--temperature', arg: '<t>', type: plainNumber({ min: 0, nullable: true }), default: null, profile: 'temperature', help: 'sampling temperature' },
  { path: 'request.topP', type: plainNumber({ min: 0, gt: true, max: 1, nullable: true }), default: null, profile: 'topP', doc: 'nucleus sampling top_p' },
  { path: 'request.topK', type: count({ nullable: true }), default: null, profile: 'topK', doc: 'top_k' },
  { key: 'stream', path: 'request.stream', flag: '--no-stream', type: bool(), default: true, help: 'non-streaming requests (no TTFT/ITL)' },
  { key: 'promptFormat', path: 'request.promptFormat', flag: '--prompt-format', arg: '<fmt>', type: choice(['text', 'ids']), default: (s: SettingsLayer) => (s['dataset.source'] === 'parquet' && s['request.api'] !== 'chat' ? 'ids' : 'text'), defaultDoc: 'text; ids for a parquet dataset to /v1/completions', help: 'text | ids (token ids to /v1/completions, as MLPerf sends)' },
  { key: 'continuousUsage', path: 'request.continuousUsage', flag: '--no-continuous-usage', type: bool(), default: true, help: 'do not ask for per-chunk usage (stream_options.continuous_usage_stats)' },
  { key: 'headers', path: 'request.headers', flag: '--header', arg: '<h>', repeatable: true, merge: 'assign', type: headers(), default: {}, help: 'extra HTTP header "Name: value" (repeatable)' },
  { key: 'reasoningEffort', path: 'request.reasoningEffort', flag: '--reasoning-effort', arg: '<level>', type: choice(['low', 'medium', 'high'], { nullable: true }), default: null, profile: 'reasoningEffort', help: 'GPT-OSS reasoning effort: low | medium | high' },
  { path: 'request.extraBody', type: record(), default: {}, doc: 'extra fields merged into every request body' },
  // ── constraints and gates ──
  { path: 'constraints.ttftP99Ms', type: duration({ min: 0, gt: true, nullable: true }), default: null, profile: 'ttftP99Ms', conf: { key: 'ttft_latency', read: (c) => c.ttftP99Ms }, doc: 'p99 TTFT limit (ms)' },
  { path: 'constraints.tpotP99Ms', type: duration({ min: 0, gt: true, nullable: true }), default: null, profile: 'tpotP99Ms', conf: { key: 'tpot_latency', read: (c) => c.tpotP99Ms }, doc: 'p99 TPOT limit (ms)' },
  { key: 'asserts', path: 'thresholds', flag: '--assert', arg: '<expr>', repeatable: true, merge: 'append', type: stringList(), default: [], help: 'threshold, e.g. "output_tokens_per_sec >= 95k" (repeatable); exit 1 if one fails' },
  // ── output (CLI only) ──
  { flag: '--out', arg: '<dir>', help: 'output directory (default ./tokbench-out/<timestamp>-<scenario>)' },
  { flag: '--json', help: 'print result.json to stdout instead of the summary table' },
  { flag: '--junit', arg: '<file>', help: 'write a JUnit XML report of assertions and validity checks' },
  { flag: '--markdown', arg: '<file>', help: 'write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set)' },
  { flag: '--report', arg: '<format>', help: 'also write a report into --out: html (report.html, self-contained, opens offline)' },
  { flag: '--html', arg: '<file>', help: 'write the HTML report to this file' },
  { flag: '--format', arg: '<format>', help: 'also write another result format into --out: vllm-json (vllm_result.json, as `vllm bench serve --save-result --save-detailed`)' },
  { flag: '--metrics-listen', arg: '<host:port>', help: 'serve live figures in Prometheus text format at http://HOST:PORT/metrics during the run' },
  { flag: '--scrape', arg: '<url>', repeatable: true, help: 'Prometheus /metrics to poll during the run, e.g. http://host:8000/metrics (vLLM), http://host:9400/metrics (DCGM) (repeatable)' },
  { flag: '--scrape-interval', arg: '<time>', help: "how often to scrape (default 1s; 0 turns scraping off, including the simulator's)" },
  { flag: '--scrape-all', help: 'keep every scraped metric, not only the known server and GPU set' },
  { flag: '--quiet', short: '-q', help: 'no progress on stderr' },
  { flag: '--no-color', help: 'no colours' },
  // ── scale-out and connection (CLI only) ──
  { flag: '--balancing', arg: '<how>', choices: ['round-robin', 'least-outstanding'], cliDefault: 'least-outstanding', help: 'spread requests over endpoints' },
  { flag: '--shard', arg: '<i/N|auto>', help: 'run shard i of N of the schedule (auto: from SLURM_PROCID/SLURM_NTASKS or JOB_COMPLETION_INDEX)' },
  { flag: '--shard-count', arg: '<N>', help: 'shard count for --shard auto on Kubernetes (else TOKBENCH_SHARD_COUNT)' },
  { flag: '--start-at', arg: '<time>', help: 'start the measured run at this wall-clock time (ISO 8601 or epoch seconds), to align shards' },
  { flag: '--api-key-file', arg: '<file>', help: 'read the API key from a file (default: $TOKBENCH_API_KEY or $OPENAI_API_KEY)' },
  { flag: '--api-key', arg: '<key>', help: 'API key (warning: lands in shell history; prefer the environment or --api-key-file)' },
  { flag: '--ca-cert', arg: '<file>', help: 'PEM file of a private CA to trust' },
  { flag: '--insecure', help: 'do not verify TLS certificates' },
  { flag: '--no-record-chunks', help: 'leave per-chunk gaps out of requests.jsonl (smaller files)' },
  { flag: '--sim-profile', arg: '<name>', help: 'simulator profile for the embedded server (when no --endpoint)' },
  { flag: '--tag', arg: '<key=value>', repeatable: true, help: 'tag recorded in result.json (repeatable)' },
  { flag: '--http2', help: 'HTTP/2 (h2 over TLS, h2c over http): up to 100 streams share a connection; only for endpoints that speak it' },
  { flag: '--workers', arg: '<n>', help: 'worker threads driving the load (default: cores - 1, at most 8; 1 = no threads)' },
  { flag: '--endpoints-file', arg: '<file>', help: 'endpoints to spread the load over: YAML/JSON list of {url, model, labels}, or one URL[,key=value] per line' },
  { flag: '--baseline', arg: '<result.json>', help: 'single-node result: report scaling efficiency = throughput / (endpoints x baseline)' },
  { flag: '--confidence', arg: '<level>', help: 'confidence of the intervals on every headline figure (default 95%)' },
  { flag: '--system', arg: '<file>', help: 'MLPerf-style system description JSON, recorded under `system` in result.json' },
  { flag: '--user-conf', arg: '<file>', repeatable: true, help: 'LoadGen user.conf: model.scenario.key = value lines, looked up as LoadGen does (repeatable; later files win)' },
  { flag: '--mlperf-conf', arg: '<file>', help: 'LoadGen mlperf.conf (default: the built-in v6.0 values)' },
] as const satisfies readonly SettingDecl[];

export type RunSetting = (typeof RUN_SETTINGS)[number];

type Camel<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;
/** commander's attribute name of a flag: `--target-qps` → targetQps, `--no-stream` → stream */
export type FlagAttribute<F extends string> = F extends `--no-${infer N}` ? Camel<N> : F extends `--${infer N}` ? Camel<N> : never;
type RawValue<E> = E extends { arg: string } ? (E extends { repeatable: true } ? string[] : string) : boolean;

/** What commander hands `run`'s action: every flag's raw text (or switch), by attribute name. */
export type RunCliOptions = { [E in Extract<RunSetting, { flag: string }> as FlagAttribute<E['flag']>]?: RawValue<E> };

type ValueOf<E> = E extends { type: ValueType<infer T> } ? T : never;
/** The flags' values once read, by `key` (units as in the names); what resolveScenario takes as its top layer. */
export type ScenarioFlags = { [E in Extract<RunSetting, { key: string }> as E['key']]?: ValueOf<E> };

export function flagAttribute(flag: string): string {
  return flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The declarations as the general type, for code that walks them. */
export const SETTINGS: readonly SettingDecl[] = RUN_SETTINGS as readonly SettingDecl[];

/** Declarations that set a scenario path, in order. */
export const SCENARIO_SETTINGS: readonly (SettingDecl & { path: SettingPath })[] = SETTINGS.filter((s): s is SettingDecl & { path: SettingPath } => s.path !== undefined);

export const SETTING_BY_PATH: ReadonlyMap<SettingPath, SettingDecl & { path: SettingPath }> = new Map(SCENARIO_SETTINGS.map((s) => [s.path, s]));
export const SETTING_BY_KEY: ReadonlyMap<string, SettingDecl> = new Map(SETTINGS.filter((s) => s.key !== undefined).map((s) => [s.key!, s]));
