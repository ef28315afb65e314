/**
 * Scenario resolution: defaults < built-in benchmark profile < scenario file <
 * environment < CLI flags. Every leaf remembers where its value came from, and
 * validation reports every problem at once, naming the flag when a flag set it
 * and the file field when the file did.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve as resolvePath, extname } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError, didYouMean, type Problem } from '../errors.js';
import type { LengthDistribution } from '../dataset/types.js';
import { DEFAULT_LENGTHS } from '../dataset/defaults.js';
import { parseLengthSpec, validateLengthDistribution } from '../dataset/lengths.js';
import { BUILTIN_NAMES, BUILTIN_PROFILES, MLPERF_V60_SEEDS, type BenchmarkProfile } from './builtins.js';
import { scenarioFileSchema, type ScenarioFile } from './schema.js';
import type { EndpointSpec, Origin, ResolvedScenario } from './types.js';
import { applyLoadgenConfLayer, parseLoadgenConfInput, type LoadgenConfInput } from './conf-wiring.js';

/** What the CLI collected from flags; undefined = not given. Units as in the names. */
export interface ScenarioFlags {
  endpoints?: string[];
  model?: string;
  api?: string;
  targetQps?: number;
  burstiness?: number;
  maxConcurrency?: number;
  /** closed loop with this many in flight */
  concurrency?: number;
  durationMs?: number;
  maxDurationMs?: number;
  samples?: number;
  minQueryCount?: number;
  dataset?: string;
  datasetSize?: number;
  inputTokens?: string;
  outputTokens?: string;
  tokenizer?: string;
  seed?: string;
  maxTokens?: number;
  ignoreEos?: boolean;
  temperature?: number;
  stream?: boolean;
  promptFormat?: string;
  continuousUsage?: boolean;
  headers?: string[];
  warmup?: number;
  requestTimeoutMs?: number;
  idleTimeoutMs?: number;
  firstTokenTimeoutMs?: number;
  drainTimeoutMs?: number;
  graceMs?: number;
  retries?: number;
  mode?: string;
  asserts?: string[];
  reasoningEffort?: string;
}

/** The flag that sets each path, so an error can name what the user typed. */
const FLAG_FOR_PATH: Record<string, string> = {
  'load.targetQps': '--target-qps',
  'load.burstiness': '--burstiness',
  'load.maxConcurrency': '--max-concurrency',
  'load.pattern': '--concurrency',
  'run.minDurationMs': '--duration',
  'run.maxDurationMs': '--max-duration',
  'run.samples': '--samples',
  'run.minQueryCount': '--min-query-count',
  'run.warmupRequests': '--warmup',
  'run.requestTimeoutMs': '--request-timeout',
  'run.idleTimeoutMs': '--idle-timeout',
  'run.firstTokenTimeoutMs': '--first-token-timeout',
  'run.drainTimeoutMs': '--drain-timeout',
  'run.graceMs': '--grace',
  'run.retries': '--retries',
  'run.mode': '--mode',
  'dataset.path': '--dataset',
  'dataset.source': '--dataset',
  'dataset.size': '--dataset-size',
  'dataset.inputTokens': '--input-tokens',
  'dataset.outputTokens': '--output-tokens',
  'dataset.tokenizer': '--tokenizer',
  'request.api': '--api',
  'request.model': '--model',
  'request.maxTokens': '--max-tokens',
  'request.ignoreEos': '--ignore-eos',
  'request.temperature': '--temperature',
  'request.stream': '--no-stream',
  'request.promptFormat': '--prompt-format',
  'request.continuousUsage': '--no-continuous-usage',
  'request.headers': '--header',
  'request.reasoningEffort': '--reasoning-effort',
  'seeds.qsl': '--seed',
  'seeds.sampleIndex': '--seed',
  'seeds.schedule': '--seed',
  thresholds: '--assert',
  endpoints: '--endpoint',
};

type Tree = Record<string, unknown>;

class Layers {
  readonly value: Tree = {};
  readonly origins: Record<string, Origin> = {};
  /** `file:line` of values set from mlperf.conf / user.conf */
  readonly confWhere: Record<string, string> = {};
  set(path: string, v: unknown, origin: Origin): void {
    if (v === undefined) return;
    const keys = path.split('.');
    let node = this.value;
    for (const k of keys.slice(0, -1)) {
      if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
      node = node[k] as Tree;
    }
    node[keys[keys.length - 1]!] = v;
    this.origins[path] = origin;
  }
  get(path: string): unknown {
    let node: unknown = this.value;
    for (const k of path.split('.')) {
      if (typeof node !== 'object' || node === null) return undefined;
      node = (node as Tree)[k];
    }
    return node;
  }
  /** copy every leaf of a parsed file (objects are descended, arrays and length objects are leaves) */
  merge(tree: Tree, origin: Origin, prefix = ''): void {
    for (const [k, v] of Object.entries(tree)) {
      const path = prefix ? `${prefix}.${k}` : k;
      const isLeafObject = Array.isArray(v) || v === null || typeof v !== 'object' || LEAF_OBJECTS.has(path);
      if (isLeafObject) this.set(path, v, origin);
      else this.merge(v as Tree, origin, path);
    }
  }
}

/** object-valued fields that are replaced whole, never merged key by key */
const LEAF_OBJECTS = new Set([
  'dataset.inputTokens',
  'dataset.outputTokens',
  'request.headers',
  'request.extraBody',
]);

export interface ResolveInput {
  /** built-in name (`llama2-70b/server`) or a file path; undefined → llama2-70b/offline */
  scenario?: string;
  flags: ScenarioFlags;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** --mlperf-conf / --user-conf: LoadGen conf layers (conf-wiring.ts explains where they sit) */
  loadgenConfs?: LoadgenConfInput;
}

export const DEFAULT_SCENARIO = 'llama2-70b/offline';

export function resolveScenario(input: ResolveInput): ResolvedScenario {
  const problems: Problem[] = [];
  const layers = new Layers();
  const arg = input.scenario ?? DEFAULT_SCENARIO;

  let file: ScenarioFile | null = null;
  let fileWhere = '';
  let profileName: string | null = null;
  if (BUILTIN_PROFILES[arg]) {
    profileName = arg;
  } else if (looksLikePath(arg, input.cwd)) {
    fileWhere = arg;
    file = readScenarioFile(resolvePath(input.cwd, arg), arg);
    if (file.extends !== undefined) {
      if (!BUILTIN_PROFILES[file.extends]) throw unknownBuiltin(file.extends, `${arg}: extends`);
      profileName = file.extends;
    } else if (file.benchmark && file.benchmark !== 'custom' && file.scenario) {
      profileName = `${file.benchmark}/${file.scenario}`;
    }
  } else {
    throw unknownBuiltin(arg, 'SCENARIO');
  }

  const profile = profileName ? BUILTIN_PROFILES[profileName]! : null;
  const confs = input.loadgenConfs ? parseLoadgenConfInput(input.loadgenConfs) : null;
  applyDefaults(layers, profile, file);
  if (profile) applyProfile(layers, profile);
  if (confs?.mlperf) applyLoadgenConfLayer(layers, [confs.mlperf], 'mlperf.conf', confs.onWarning);
  if (file) {
    const { extends: _extends, schemaVersion: _v, ...rest } = file;
    layers.merge(rest as Tree, 'file');
  }
  if (confs) applyLoadgenConfLayer(layers, confs.user, 'user.conf', confs.onWarning);
  applyEnv(layers, input.env);
  applyFlags(layers, input.flags, problems);
  deriveDependent(layers, profile, file, input.flags);

  const scenario = build(layers, profileName ?? fileWhere, problems, fileWhere);
  if (problems.length > 0) throw new ConfigError(problems);
  return scenario;
}

function looksLikePath(arg: string, cwd: string): boolean {
  return /\.(ya?ml|json)$/i.test(arg) || existsSync(resolvePath(cwd, arg));
}

function unknownBuiltin(name: string, where: string): ConfigError {
  const suggestion = didYouMean(name, BUILTIN_NAMES);
  return new ConfigError({
    where,
    message: `unknown scenario "${name}"`,
    hint: `${suggestion ? `did you mean "${suggestion}"? ` : ''}built-ins: ${BUILTIN_NAMES.join(', ')}; or give a .yaml/.json scenario file (tokbench scenarios lists them)`,
  });
}

export function readScenarioFile(absPath: string, where: string): ScenarioFile {
  let text: string;
  try {
    text = readFileSync(absPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError({
      where,
      message: code === 'ENOENT' ? 'scenario file not found' : `cannot read scenario file (${code ?? String(err)})`,
      hint: `give a built-in name (${BUILTIN_NAMES.join(', ')}) or the path of a .yaml/.json file`,
    });
  }
  let raw: unknown;
  const isJson = extname(absPath).toLowerCase() === '.json';
  try {
    raw = isJson ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new ConfigError({
      where: line ? `${where}:${line}` : where,
      message: `not valid ${isJson ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
      hint: 'check indentation, quoting and brackets near that line',
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError({ where, message: 'a scenario file must hold a mapping (key: value pairs)', hint: 'see scenarios/*.yaml for examples' });
  }
  if ((raw as Tree).schemaVersion === undefined) {
    throw new ConfigError({ where: `${where}: schemaVersion`, message: 'missing', hint: 'add "schemaVersion: 1" at the top of the file' });
  }
  const parsed = scenarioFileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(zodProblems(parsed.error.issues, where));
  return parsed.data;
}

const SCHEMA_KEYS: Record<string, string[]> = {
  '': ['schemaVersion', 'extends', 'benchmark', 'scenario', 'load', 'dataset', 'request', 'run', 'constraints', 'seeds', 'thresholds', 'endpoints'],
  load: ['pattern', 'targetQps', 'burstiness', 'maxConcurrency'],
  dataset: ['source', 'path', 'size', 'tokenizer', 'inputTokens', 'outputTokens'],
  request: ['api', 'model', 'maxTokens', 'ignoreEos', 'temperature', 'topP', 'topK', 'stream', 'promptFormat', 'continuousUsage', 'reasoningEffort', 'headers', 'extraBody'],
  run: ['mode', 'minDurationMs', 'maxDurationMs', 'minQueryCount', 'samples', 'equalIssue', 'warmupRequests', 'requestTimeoutMs', 'idleTimeoutMs', 'firstTokenTimeoutMs', 'drainTimeoutMs', 'graceMs', 'retries'],
  constraints: ['ttftP99Ms', 'tpotP99Ms'],
  seeds: ['qsl', 'sampleIndex', 'schedule'],
};

function zodProblems(issues: z.core.$ZodIssue[], where: string): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = SCHEMA_KEYS[path] ?? [];
      for (const key of issue.keys) {
        const guess = didYouMean(key, known);
        out.push({
          where: `${where}: ${path ? `${path}.` : ''}${key}`,
          message: 'unknown field',
          hint: guess ? `did you mean "${guess}"?` : known.length ? `known fields here: ${known.join(', ')}` : undefined,
        } as Problem);
      }
      continue;
    }
    out.push({ where: `${where}: ${path || '(top)'}`, message: issue.message, hint: hintFor(path) } as Problem);
  }
  return out.map(stripUndefinedHint);
}

function hintFor(path: string): string | undefined {
  if (path.endsWith('Ms')) return 'a number of milliseconds, e.g. 600000 for 10 minutes';
  if (path.endsWith('Qps')) return 'queries per second, a number > 0';
  if (path.startsWith('dataset.inputTokens') || path.startsWith('dataset.outputTokens'))
    return 'a token count (e.g. 128), a spec string ("lognormal:mean=300,stddev=200,min=1,max=1024") or {kind: ...}';
  if (path.startsWith('seeds')) return 'an unsigned 64-bit integer, quoted in YAML if large';
  if (path === 'schemaVersion') return 'use schemaVersion: 1';
  return undefined;
}

function stripUndefinedHint(p: Problem): Problem {
  return p.hint === undefined ? { where: p.where, message: p.message } : p;
}

function applyDefaults(layers: Layers, profile: BenchmarkProfile | null, file: ScenarioFile | null): void {
  const d: Origin = 'default';
  const benchmark = profile?.benchmark ?? file?.benchmark ?? 'custom';
  const scenario = profile?.scenario ?? file?.scenario ?? 'offline';
  layers.set('benchmark', benchmark, d);
  layers.set('scenario', scenario, d);
  layers.set('load.burstiness', 1, d);
  layers.set('run.mode', 'performance', d);
  layers.set('run.minDurationMs', 60_000, d);
  layers.set('run.maxDurationMs', 0, d);
  layers.set('run.minQueryCount', 100, d);
  layers.set('run.equalIssue', true, d);
  layers.set('run.warmupRequests', 0, d);
  layers.set('run.requestTimeoutMs', 600_000, d);
  layers.set('run.idleTimeoutMs', 60_000, d);
  layers.set('run.firstTokenTimeoutMs', null, d);
  layers.set('run.graceMs', 5_000, d);
  layers.set('run.retries', 0, d);
  layers.set('dataset.source', 'synthetic', d);
  layers.set('dataset.size', 1000, d);
  const lengths = DEFAULT_LENGTHS[benchmark === 'gpt-oss-120b' ? 'gpt-oss-120b' : 'llama2-70b'];
  layers.set('dataset.tokenizer', benchmark === 'gpt-oss-120b' ? 'o200k_harmony' : 'llama2', d);
  layers.set('dataset.inputTokens', lengths.input, d);
  layers.set('dataset.outputTokens', lengths.output, d);
  layers.set('request.api', 'completions', d);
  layers.set('request.maxTokens', 1024, d);
  layers.set('request.temperature', null, d);
  layers.set('request.topP', null, d);
  layers.set('request.topK', null, d);
  layers.set('request.stream', true, d);
  layers.set('request.promptFormat', 'text', d);
  layers.set('request.continuousUsage', true, d);
  layers.set('request.reasoningEffort', null, d);
  layers.set('request.headers', {}, d);
  layers.set('request.extraBody', {}, d);
  layers.set('constraints.ttftP99Ms', null, d);
  layers.set('constraints.tpotP99Ms', null, d);
  layers.set('seeds.qsl', MLPERF_V60_SEEDS.qsl, d);
  layers.set('seeds.sampleIndex', MLPERF_V60_SEEDS.sampleIndex, d);
  layers.set('seeds.schedule', MLPERF_V60_SEEDS.schedule, d);
  layers.set('thresholds', [], d);
  layers.set('endpoints', [], d);
}

function applyProfile(layers: Layers, p: BenchmarkProfile): void {
  const o: Origin = 'profile';
  layers.set('benchmark', p.benchmark, o);
  layers.set('scenario', p.scenario, o);
  layers.set('run.minDurationMs', p.minDurationMs, o);
  layers.set('run.minQueryCount', p.minQueryCount, o);
  layers.set('dataset.size', p.performanceSampleCount, o);
  layers.set('dataset.tokenizer', p.tokenizer, o);
  layers.set('request.maxTokens', p.maxTokens, o);
  layers.set('request.temperature', p.temperature, o);
  layers.set('request.topP', p.topP, o);
  layers.set('request.topK', p.topK, o);
  layers.set('request.reasoningEffort', p.reasoningEffort, o);
  layers.set('constraints.ttftP99Ms', p.ttftP99Ms, o);
  layers.set('constraints.tpotP99Ms', p.tpotP99Ms, o);
}

/** A few environment variables, for CI jobs that configure through the environment. */
function applyEnv(layers: Layers, env: NodeJS.ProcessEnv): void {
  if (env.TOKBENCH_ENDPOINT) layers.set('endpoints', env.TOKBENCH_ENDPOINT.split(',').map((s) => s.trim()).filter(Boolean), 'env');
  if (env.TOKBENCH_MODEL) layers.set('request.model', env.TOKBENCH_MODEL, 'env');
}

function applyFlags(layers: Layers, f: ScenarioFlags, problems: Problem[]): void {
  const o: Origin = 'flag';
  if (f.endpoints && f.endpoints.length > 0) layers.set('endpoints', f.endpoints, o);
  layers.set('request.model', f.model, o);
  layers.set('request.api', f.api, o);
  layers.set('load.targetQps', f.targetQps, o);
  layers.set('load.burstiness', f.burstiness, o);
  layers.set('load.maxConcurrency', f.maxConcurrency, o);
  if (f.concurrency !== undefined) {
    layers.set('load.pattern', 'closed', o);
    layers.set('load.maxConcurrency', f.concurrency, o);
  }
  layers.set('run.minDurationMs', f.durationMs, o);
  layers.set('run.maxDurationMs', f.maxDurationMs, o);
  layers.set('run.samples', f.samples, o);
  layers.set('run.minQueryCount', f.minQueryCount, o);
  if (f.dataset !== undefined) {
    layers.set('dataset.path', f.dataset, o);
    layers.set('dataset.source', /\.jsonl$/i.test(f.dataset) ? 'jsonl' : 'sharegpt', o);
  }
  layers.set('dataset.size', f.datasetSize, o);
  for (const [flag, path, text] of [
    ['--input-tokens', 'dataset.inputTokens', f.inputTokens],
    ['--output-tokens', 'dataset.outputTokens', f.outputTokens],
  ] as const) {
    if (text === undefined) continue;
    try {
      layers.set(path, parseLengthSpec(text, flag), o);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  layers.set('dataset.tokenizer', f.tokenizer, o);
  if (f.seed !== undefined) {
    for (const k of ['qsl', 'sampleIndex', 'schedule']) layers.set(`seeds.${k}`, f.seed, o);
  }
  layers.set('request.maxTokens', f.maxTokens, o);
  layers.set('request.ignoreEos', f.ignoreEos, o);
  layers.set('request.temperature', f.temperature, o);
  layers.set('request.stream', f.stream, o);
  layers.set('request.promptFormat', f.promptFormat, o);
  layers.set('request.continuousUsage', f.continuousUsage, o);
  layers.set('request.reasoningEffort', f.reasoningEffort, o);
  if (f.headers && f.headers.length > 0) {
    const headers: Record<string, string> = { ...((layers.get('request.headers') as Record<string, string>) ?? {}) };
    for (const h of f.headers) {
      const i = h.indexOf(':');
      if (i <= 0) {
        problems.push({ where: `--header ${JSON.stringify(h)}`, message: 'expected "Name: value"', hint: 'e.g. --header "X-Tenant: bench"' });
        continue;
      }
      headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
    }
    layers.set('request.headers', headers, o);
  }
  layers.set('run.warmupRequests', f.warmup, o);
  layers.set('run.requestTimeoutMs', f.requestTimeoutMs, o);
  layers.set('run.idleTimeoutMs', f.idleTimeoutMs, o);
  layers.set('run.firstTokenTimeoutMs', f.firstTokenTimeoutMs, o);
  layers.set('run.drainTimeoutMs', f.drainTimeoutMs, o);
  layers.set('run.graceMs', f.graceMs, o);
  layers.set('run.retries', f.retries, o);
  layers.set('run.mode', f.mode, o);
  if (f.asserts && f.asserts.length > 0) {
    const existing = (layers.get('thresholds') as string[]) ?? [];
    layers.set('thresholds', [...existing, ...f.asserts], o);
  }
}

/** Values that follow from others unless set explicitly. */
function deriveDependent(layers: Layers, _profile: BenchmarkProfile | null, _file: ScenarioFile | null, _flags: ScenarioFlags): void {
  const scenario = layers.get('scenario') as string;
  if (layers.get('load.pattern') === undefined) {
    layers.set('load.pattern', scenario === 'offline' ? 'offline' : 'poisson', 'default');
  }
  if (layers.get('load.maxConcurrency') === undefined) {
    // An HTTP client cannot hand a server 24,576 requests "in one query" the way
    // LoadGen hands its SUT one; it must bound its connections. Server keeps
    // LoadGen's unbounded outstanding queries (max_async_queries = 0).
    layers.set('load.maxConcurrency', layers.get('load.pattern') === 'poisson' ? null : 512, 'default');
  }
  if (layers.get('request.ignoreEos') === undefined) {
    // Synthetic prompts are word salad: a real model would stop anywhere. Forcing
    // the drawn output length keeps the workload's shape the benchmark's.
    layers.set('request.ignoreEos', layers.get('dataset.source') === 'synthetic', 'default');
  }
  if (layers.get('run.drainTimeoutMs') === undefined) {
    layers.set('run.drainTimeoutMs', layers.get('run.requestTimeoutMs'), 'default');
  }
  if (layers.get('dataset.path') === undefined) layers.set('dataset.path', null, 'default');
  if (layers.get('run.samples') === undefined) layers.set('run.samples', null, 'default');
  if (layers.get('load.targetQps') === undefined) layers.set('load.targetQps', null, 'default');
  if (layers.get('request.model') === undefined) layers.set('request.model', null, 'default');
}

function whereOf(path: string, layers: Layers, fileWhere: string): string {
  const origin = layers.origins[path];
  if (origin === 'flag' && FLAG_FOR_PATH[path]) return FLAG_FOR_PATH[path]!;
  if (origin === 'file' && fileWhere) return `${fileWhere}: ${path}`;
  if (origin === 'env') return path === 'endpoints' ? 'TOKBENCH_ENDPOINT' : 'TOKBENCH_MODEL';
  if ((origin === 'user.conf' || origin === 'mlperf.conf') && layers.confWhere[path]) return `${layers.confWhere[path]} (${path})`;
  return path;
}

function build(layers: Layers, name: string, problems: Problem[], fileWhere: string): ResolvedScenario {
  const g = <T>(path: string): T => layers.get(path) as T;
  const where = (path: string) => whereOf(path, layers, fileWhere);
  const check = (ok: boolean, path: string, message: string, hint?: string) => {
    if (!ok) problems.push(hint === undefined ? { where: where(path), message } : { where: where(path), message, hint });
  };
  const num = (path: string, { min = -Infinity, int = false, gt = false, nullable = false, hint = '' } = {}) => {
    const v = g<unknown>(path);
    if (v === null && nullable) return;
    const ok = typeof v === 'number' && Number.isFinite(v) && (gt ? v > min : v >= min) && (!int || Number.isInteger(v));
    const unit = /Ms$/.test(path) ? ' (milliseconds in a file; 600s, 10m, 1500ms on the command line)' : '';
    check(ok, path, `must be ${int ? 'an integer' : 'a number'} ${gt ? '>' : '≥'} ${min}, got ${JSON.stringify(v)}`, hint || `give ${int ? 'an integer' : 'a number'} ${gt ? 'above' : 'at least'} ${min}${unit}`);
  };
  const oneOf = (path: string, options: readonly string[]) => {
    const v = g<unknown>(path);
    if (typeof v === 'string' && options.includes(v)) return;
    const guess = typeof v === 'string' ? didYouMean(v, options) : undefined;
    check(false, path, `unknown value ${JSON.stringify(v)}`, `${guess ? `did you mean "${guess}"? ` : ''}one of: ${options.join(', ')}`);
  };

  oneOf('benchmark', ['llama2-70b', 'gpt-oss-120b', 'custom']);
  oneOf('scenario', ['offline', 'server', 'interactive']);
  oneOf('load.pattern', ['offline', 'poisson', 'closed']);
  num('load.targetQps', { min: 0, gt: true, nullable: true, hint: 'a rate in queries per second, e.g. 10 or 2.5' });
  num('load.burstiness', { min: 0, gt: true });
  num('load.maxConcurrency', { min: 1, int: true, nullable: true, hint: 'at least one request in flight, e.g. 64; leave it out for no bound' });
  num('run.minDurationMs', { min: 0 });
  num('run.maxDurationMs', { min: 0 });
  num('run.minQueryCount', { min: 0, int: true });
  num('run.samples', { min: 1, int: true, nullable: true });
  num('run.warmupRequests', { min: 0, int: true });
  num('run.requestTimeoutMs', { min: 0, gt: true });
  num('run.idleTimeoutMs', { min: 0, gt: true });
  num('run.firstTokenTimeoutMs', { min: 0, gt: true, nullable: true });
  num('run.drainTimeoutMs', { min: 0 });
  num('run.graceMs', { min: 0 });
  num('run.retries', { min: 0, int: true });
  oneOf('run.mode', ['performance', 'accuracy']);
  oneOf('dataset.source', ['synthetic', 'jsonl', 'sharegpt']);
  num('dataset.size', { min: 1, int: true });
  oneOf('dataset.tokenizer', ['llama2', 'o200k_harmony']);
  oneOf('request.api', ['completions', 'chat']);
  oneOf('request.promptFormat', ['text', 'ids']);
  num('request.maxTokens', { min: 1, int: true });
  num('request.temperature', { min: 0, nullable: true });
  num('constraints.ttftP99Ms', { min: 0, gt: true, nullable: true });
  num('constraints.tpotP99Ms', { min: 0, gt: true, nullable: true });
  const effort = g<unknown>('request.reasoningEffort');
  if (effort !== null) oneOf('request.reasoningEffort', ['low', 'medium', 'high']);

  const lengths: Record<'input' | 'output', LengthDistribution> = { input: { kind: 'fixed', value: 1 }, output: { kind: 'fixed', value: 1 } };
  for (const [key, path] of [['input', 'dataset.inputTokens'], ['output', 'dataset.outputTokens']] as const) {
    const raw = g<unknown>(path);
    try {
      lengths[key] =
        typeof raw === 'number'
          ? { kind: 'fixed', value: raw }
          : typeof raw === 'string'
            ? parseLengthSpec(raw, where(path))
            : (raw as LengthDistribution);
      problems.push(...validateLengthDistribution(lengths[key], where(path)));
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }

  for (const path of ['seeds.qsl', 'seeds.sampleIndex', 'seeds.schedule']) {
    const v = String(g<unknown>(path));
    const ok = /^\d+$/.test(v) && BigInt(v) < 1n << 64n;
    check(ok, path, `not an unsigned 64-bit integer: ${JSON.stringify(v)}`, 'e.g. --seed 42');
  }

  const pattern = g<string>('load.pattern');
  const targetQps = g<number | null>('load.targetQps');
  if (pattern === 'poisson' && targetQps === null) {
    // Resolved later for the embedded simulator; a real endpoint needs an explicit rate.
  }
  const source = g<string>('dataset.source');
  const datasetPath = g<string | null>('dataset.path');
  check(source === 'synthetic' || datasetPath !== null, 'dataset.path', `dataset.source "${source}" needs a path`, 'give --dataset FILE.jsonl or FILE.json');
  if (g<string>('request.promptFormat') === 'ids' && g<string>('request.api') === 'chat') {
    check(false, 'request.promptFormat', 'token-id prompts are only accepted by /v1/completions', 'use --api completions, or --prompt-format text');
  }

  if (g<boolean>('request.stream') === false) {
    // A non-streamed answer has no first token and no per-token times: a limit on them could only pass vacuously.
    for (const path of ['constraints.ttftP99Ms', 'constraints.tpotP99Ms']) {
      if (g<number | null>(path) === null) continue;
      const origin = layers.origins[path];
      // The benchmark's own limits do not apply to a run that cannot measure them; a limit the user set is a mistake.
      if (origin === 'profile' || origin === 'default' || origin === 'mlperf.conf') layers.set(path, null, 'default');
      else check(false, path, `${path.slice('constraints.'.length)} is a constraint on streamed tokens, but requests are not streamed (--no-stream)`, 'stream the requests, or leave the constraint out');
    }
    for (const t of g<string[]>('thresholds')) {
      if (/(^|[\s.\]])(ttft|ttfa|tpot|itl|chunk_gap|goodput)\b/.test(t)) {
        check(false, 'thresholds', `'${t}' asserts on streamed-token timing, but requests are not streamed (--no-stream): there is no TTFT, TPOT or ITL`, 'stream the requests, or assert on e2e (e.g. e2e.p99 <= 30s)');
      }
    }
  }

  const headers = g<Record<string, string>>('request.headers');
  for (const [k, v] of Object.entries(headers)) {
    // A header value with CR/LF would smuggle extra headers into every request.
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v) || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(k)) {
      problems.push({ where: `${where('request.headers')} ${JSON.stringify(k)}`, message: 'invalid header name or value (CR/LF or illegal characters)', hint: 'header names are tokens like X-Tenant; values are one line' });
    }
  }

  const endpoints: EndpointSpec[] = [];
  for (const e of g<unknown[]>('endpoints')) {
    if (typeof e === 'string') endpoints.push(parseEndpointArg(e));
    else {
      const o = e as { url: string; model?: string; labels?: Record<string, string> };
      endpoints.push({ url: o.url, model: o.model ?? null, labels: o.labels ?? {} });
    }
  }

  return {
    name,
    benchmark: g('benchmark'),
    scenario: g('scenario'),
    load: {
      pattern: pattern as ResolvedScenario['load']['pattern'],
      targetQps,
      burstiness: g('load.burstiness'),
      maxConcurrency: g('load.maxConcurrency'),
    },
    run: {
      mode: g('run.mode'),
      minDurationMs: g('run.minDurationMs'),
      maxDurationMs: g('run.maxDurationMs'),
      minQueryCount: g('run.minQueryCount'),
      samples: g('run.samples'),
      equalIssue: g('run.equalIssue'),
      warmupRequests: g('run.warmupRequests'),
      requestTimeoutMs: g('run.requestTimeoutMs'),
      idleTimeoutMs: g('run.idleTimeoutMs'),
      firstTokenTimeoutMs: g('run.firstTokenTimeoutMs'),
      drainTimeoutMs: g('run.drainTimeoutMs'),
      graceMs: g('run.graceMs'),
      retries: g('run.retries'),
    },
    dataset: {
      source: source as ResolvedScenario['dataset']['source'],
      path: datasetPath,
      size: g('dataset.size'),
      tokenizer: g('dataset.tokenizer'),
      inputTokens: lengths.input,
      outputTokens: lengths.output,
    },
    request: {
      api: g('request.api'),
      model: g('request.model'),
      maxTokens: g('request.maxTokens'),
      ignoreEos: g('request.ignoreEos'),
      temperature: g('request.temperature'),
      topP: g('request.topP'),
      topK: g('request.topK'),
      stream: g('request.stream'),
      promptFormat: g('request.promptFormat'),
      continuousUsage: g('request.continuousUsage'),
      reasoningEffort: g('request.reasoningEffort'),
      headers,
      extraBody: g('request.extraBody'),
    },
    constraints: { ttftP99Ms: g('constraints.ttftP99Ms'), tpotP99Ms: g('constraints.tpotP99Ms') },
    seeds: { qsl: String(g('seeds.qsl')), sampleIndex: String(g('seeds.sampleIndex')), schedule: String(g('seeds.schedule')) },
    thresholds: g('thresholds'),
    endpoints,
    origins: { ...layers.origins },
  };
}

/**
 * `--endpoint URL`, optionally with `,model=NAME` and labels:
 * `http://node1:8000,model=llama,gpu=MI355X,precision=fp4`.
 */
export function parseEndpointArg(arg: string): EndpointSpec {
  const [url, ...rest] = arg.split(',');
  const labels: Record<string, string> = {};
  let model: string | null = null;
  for (const kv of rest) {
    const i = kv.indexOf('=');
    if (i <= 0) {
      throw new ConfigError({ where: `--endpoint ${arg}`, message: `expected key=value after the URL, got "${kv}"`, hint: 'e.g. --endpoint http://node1:8000,model=llama,gpu=MI355X' });
    }
    const k = kv.slice(0, i).trim();
    const v = kv.slice(i + 1).trim();
    if (k === 'model') model = v;
    else labels[k] = v;
  }
  return { url: url!.trim(), model, labels };
}
