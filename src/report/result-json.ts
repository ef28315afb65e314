/**
 * result.json (schemaVersion 1): the public, machine-read form of a run
 * (DESIGN.md §4, fields in src/metrics/types.ts). buildResultJson is a pure
 * function of a finished run; parseResultJson reads one back for `report`,
 * `merge`, `compare` and `check`, and says exactly which file and field is
 * wrong when it cannot.
 */
import { ConfigError, type Problem } from '../errors.js';
import { createHistogram, decode, encodeSet, HISTOGRAM_KEYS, OPTIONAL_HISTOGRAM_KEYS, type HistogramSet } from '../metrics/histogram.js';
import type { EndpointIdentity } from '../metrics/summary.js';
import type {
  EndpointSummary,
  ResultJson,
  Summary,
  ThresholdVerdict,
  TimeBucket,
  Validity,
} from '../metrics/types.js';
import type { ResolvedScenario } from '../scenario/types.js';

export { summaryFromHistograms, type SummaryCounters } from '../metrics/summary.js';

export const SCHEMA_VERSION = 1;

export interface ResultJsonInput {
  tokbenchVersion: string;
  /** ISO 8601 wall-clock times */
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  /** the endpoint was tokbench's own simulator */
  simulated: boolean;
  scenario: ResolvedScenario;
  /** queries in the measured schedule (after MLPerf sizing and sharding) */
  samples: number;
  /** distinct samples actually loaded; default scenario.dataset.size */
  datasetSize?: number;
  endpoints: readonly EndpointIdentity[];
  shard: { index: number; count: number } | null;
  summary: Summary;
  perEndpoint: readonly EndpointSummary[];
  validity: Validity;
  thresholds: readonly ThresholdVerdict[];
  /** the run's histograms, encoded here */
  histograms: HistogramSet;
  timeSeries: readonly TimeBucket[];
  tags?: Record<string, string>;
}

export function buildResultJson(input: ResultJsonInput): ResultJson {
  const s = input.scenario;
  return {
    schemaVersion: SCHEMA_VERSION,
    tokbenchVersion: input.tokbenchVersion,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    interrupted: input.interrupted,
    simulated: input.simulated,
    scenario: {
      name: s.name,
      benchmark: s.benchmark,
      scenario: s.scenario,
      pattern: s.load.pattern,
      mode: s.run.mode,
      targetQps: s.load.targetQps,
      burstiness: s.load.burstiness,
      maxConcurrency: s.load.maxConcurrency,
      minDurationMs: s.run.minDurationMs,
      minQueryCount: s.run.minQueryCount,
      samples: input.samples,
      datasetSize: input.datasetSize ?? s.dataset.size,
      dataset: s.dataset.path ?? s.dataset.source,
      api: s.request.api,
      maxTokens: s.request.maxTokens,
      stream: s.request.stream,
      constraints: { ttftP99Ms: s.constraints.ttftP99Ms, tpotP99Ms: s.constraints.tpotP99Ms },
      ...(s.mlperfRound === undefined ? {} : { mlperfRound: s.mlperfRound }),
      seeds: { ...s.seeds },
      origins: { ...s.origins },
    },
    endpoints: input.endpoints.map((e) => ({ url: e.url, model: e.model, labels: { ...e.labels } })),
    shard: input.shard === null ? null : { ...input.shard },
    summary: input.summary,
    perEndpoint: [...input.perEndpoint],
    validity: input.validity,
    thresholds: [...input.thresholds],
    histograms: encodeSet(input.histograms),
    timeSeries: [...input.timeSeries],
    tags: { ...(input.tags ?? {}) },
  };
}

/** Decodes result.json `histograms`; a bad one is a ConfigError naming the file and the field. */
export function decodeHistograms(histograms: ResultJson['histograms'], where: string): HistogramSet {
  const out: Partial<HistogramSet> = {};
  const problems: Problem[] = [];
  for (const k of HISTOGRAM_KEYS) {
    const encoded = histograms[k];
    if (encoded === undefined && OPTIONAL_HISTOGRAM_KEYS.has(k)) {
      out[k] = createHistogram();
      continue;
    }
    try {
      out[k] = decode(encoded!);
    } catch (err) {
      problems.push({ where: `histograms.${k}`, message: (err as Error).message });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, `${where}: unreadable histogram`);
  return out as HistogramSet;
}

// ---- parsing ----

type Json = unknown;

function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

class Checker {
  readonly problems: Problem[] = [];

  private fail(path: string, expected: string, v: Json): void {
    this.problems.push({ where: path, message: `expected ${expected}, found ${describe(v)}` });
  }

  obj(v: Json, path: string): Record<string, Json> | null {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, Json>;
    this.fail(path, 'an object', v);
    return null;
  }
  arr(v: Json, path: string): Json[] | null {
    if (Array.isArray(v)) return v;
    this.fail(path, 'an array', v);
    return null;
  }
  num(o: Record<string, Json>, key: string, path: string): void {
    if (typeof o[key] !== 'number' || !Number.isFinite(o[key])) this.fail(at(path, key), 'a number', o[key]);
  }
  numOrNull(o: Record<string, Json>, key: string, path: string): void {
    if (o[key] !== null) this.num(o, key, path);
  }
  str(o: Record<string, Json>, key: string, path: string): void {
    if (typeof o[key] !== 'string') this.fail(at(path, key), 'a string', o[key]);
  }
  bool(o: Record<string, Json>, key: string, path: string): void {
    if (typeof o[key] !== 'boolean') this.fail(at(path, key), 'true or false', o[key]);
  }
  countMap(o: Record<string, Json>, key: string, path: string): void {
    const m = this.obj(o[key], at(path, key));
    if (m !== null) for (const k of Object.keys(m)) this.num(m, k, at(path, key));
  }
}

function describe(v: Json): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

const STAT_KEYS = ['count', 'min', 'mean', 'p50', 'p90', 'p95', 'p97', 'p99', 'p999', 'max'] as const;
const LATENCY_KEYS = ['ttftMs', 'ttfaMs', 'tpotMs', 'itlMs', 'chunkGapMs', 'e2eMs', 'issueDelayMs', 'connectWaitMs'] as const;
/** latency figures added after the first schemaVersion 1 files: absent in an older file reads as no data */
const OPTIONAL_LATENCY_KEYS: ReadonlySet<string> = new Set(['ttfaMs', 'connectWaitMs']);
const CORE_NUMBERS = [
  'issued',
  'completed',
  'failed',
  'inputTokens',
  'outputTokens',
  'partialOutputTokens',
  'retries',
  'durationMs',
  'outputTokensPerSecond',
  'totalTokensPerSecond',
  'requestsPerSecond',
] as const;

function checkCore(c: Checker, o: Record<string, Json>, path: string, window: string): void {
  // fields that joined schema 1 after DESIGN.md §4's minimum: fill rather than reject
  if (o.issued === undefined) o.issued = (Number(o.completed) || 0) + (Number(o.failed) || 0);
  if (o.partialOutputTokens === undefined) o.partialOutputTokens = 0;
  if (o.retries === undefined) o.retries = 0;
  if (o.goodputCompleted === undefined) o.goodputCompleted = null;
  if (o.chunkTokenSources === undefined) o.chunkTokenSources = {};
  if (o.throughputWindow === undefined) o.throughputWindow = window;
  for (const k of CORE_NUMBERS) c.num(o, k, path);
  c.numOrNull(o, 'goodputRequestsPerSecond', path);
  c.str(o, 'tokenCountSource', path);
  c.countMap(o, 'tokenCountSources', path);
  c.countMap(o, 'errors', path);
  const lat = c.obj(o.latency, `${path}.latency`);
  if (lat !== null) {
    for (const lk of LATENCY_KEYS) {
      if (lat[lk] === undefined && OPTIONAL_LATENCY_KEYS.has(lk)) lat[lk] = null;
      // a figure with no data is null; older files wrote it as a row of zeros with count 0, read here as null
      const v = lat[lk];
      if (v === null) continue;
      if (typeof v === 'object' && !Array.isArray(v) && (v as Record<string, Json>).count === 0) {
        lat[lk] = null;
        continue;
      }
      const st = c.obj(v, `${path}.latency.${lk}`);
      if (st !== null) for (const sk of STAT_KEYS) c.num(st, sk, `${path}.latency.${lk}`);
    }
  }
}

/** The parsed top level, once it is an object of this schemaVersion (else a ConfigError at once). */
function readTopLevel(text: string, where: string, heading: string): { c: Checker; r: Record<string, Json> } {
  let root: Json;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      { where, message: `not valid JSON (${(err as Error).message})`, hint: 'pass the result.json a `tokbench run --out DIR` wrote' },
      heading,
    );
  }
  const c = new Checker();
  const r = c.obj(root, '(top level)');
  if (r === null) throw new ConfigError(c.problems, heading);
  if (r.schemaVersion !== SCHEMA_VERSION) {
    const v = r.schemaVersion;
    const newer = typeof v === 'number' && v > SCHEMA_VERSION;
    throw new ConfigError(
      {
        where: 'schemaVersion',
        message: `expected ${SCHEMA_VERSION}, found ${describe(v)}`,
        hint: newer
          ? `this file was written by a newer tokbench; upgrade tokbench to read schemaVersion ${String(v)}`
          : 'the file is not a tokbench result.json, or was edited by hand',
      },
      heading,
    );
  }
  return { c, r };
}

/** scenario, endpoints and shard; returns the scenario object (null when it is not one). */
function checkScenario(c: Checker, r: Record<string, Json>): Record<string, Json> | null {
  const sc = c.obj(r.scenario, 'scenario');
  if (sc !== null) {
    for (const k of ['name', 'benchmark', 'scenario'] as const) c.str(sc, k, 'scenario');
    for (const k of ['minDurationMs', 'minQueryCount', 'samples'] as const) c.num(sc, k, 'scenario');
    c.numOrNull(sc, 'targetQps', 'scenario');
    const con = c.obj(sc.constraints, 'scenario.constraints');
    if (con !== null) {
      c.numOrNull(con, 'ttftP99Ms', 'scenario.constraints');
      c.numOrNull(con, 'tpotP99Ms', 'scenario.constraints');
    }
  }

  const eps = c.arr(r.endpoints, 'endpoints');
  eps?.forEach((e, i) => {
    const o = c.obj(e, `endpoints[${i}]`);
    if (o !== null) c.str(o, 'url', `endpoints[${i}]`);
  });
  if (r.shard !== null) {
    const sh = c.obj(r.shard, 'shard');
    if (sh !== null) {
      c.num(sh, 'index', 'shard');
      c.num(sh, 'count', 'shard');
    }
  }
  return sc;
}

/** summary and perEndpoint, old files' missing fields filled in. */
function checkSummaries(c: Checker, r: Record<string, Json>, window: string): void {
  const sum = c.obj(r.summary, 'summary');
  if (sum !== null) {
    checkCore(c, sum, 'summary', window);
    if (sum.steadyState === undefined) sum.steadyState = null;
    if (sum.steadyState !== null) {
      const ss = c.obj(sum.steadyState, 'summary.steadyState');
      if (ss !== null) {
        for (const k of ['startMs', 'endMs', 'outputTokensPerSecond', 'requestsPerSecond'] as const) {
          c.num(ss, k, 'summary.steadyState');
        }
      }
    }
  }
  const per = c.arr(r.perEndpoint, 'perEndpoint');
  per?.forEach((e, i) => {
    const o = c.obj(e, `perEndpoint[${i}]`);
    if (o !== null) {
      c.str(o, 'url', `perEndpoint[${i}]`);
      checkCore(c, o, `perEndpoint[${i}]`, window);
    }
  });
}

/** validity and thresholds */
function checkVerdicts(c: Checker, r: Record<string, Json>): void {
  const val = c.obj(r.validity, 'validity');
  if (val !== null) {
    c.bool(val, 'valid', 'validity');
    const checks = c.arr(val.checks, 'validity.checks');
    checks?.forEach((ch, i) => {
      const o = c.obj(ch, `validity.checks[${i}]`);
      if (o !== null) {
        c.str(o, 'name', `validity.checks[${i}]`);
        c.bool(o, 'passed', `validity.checks[${i}]`);
      }
    });
    c.arr(val.recommendations, 'validity.recommendations');
  }
  const th = c.arr(r.thresholds, 'thresholds');
  th?.forEach((t, i) => {
    const o = c.obj(t, `thresholds[${i}]`);
    if (o !== null) {
      c.str(o, 'expr', `thresholds[${i}]`);
      c.bool(o, 'passed', `thresholds[${i}]`);
    }
  });
}

/** histograms (as strings; decodeHistograms decodes them), timeSeries and tags */
function checkHistogramsAndSeries(c: Checker, r: Record<string, Json>): void {
  const h = c.obj(r.histograms, 'histograms');
  if (h !== null) for (const k of HISTOGRAM_KEYS) if (h[k] !== undefined || !OPTIONAL_HISTOGRAM_KEYS.has(k)) c.str(h, k, 'histograms');

  if (r.timeSeries === undefined) r.timeSeries = [];
  const ts = c.arr(r.timeSeries, 'timeSeries');
  ts?.forEach((b, i) => {
    const o = c.obj(b, `timeSeries[${i}]`);
    if (o !== null) {
      if (o.issued === undefined) o.issued = 0;
      for (const k of ['t', 'issued', 'completed', 'failed', 'outputTokens', 'inFlight'] as const) {
        c.num(o, k, `timeSeries[${i}]`);
      }
    }
  });
  if (r.tags === undefined) r.tags = {};
}

/**
 * Parses and checks result.json text. `where` names the file in errors. Every
 * problem found is reported at once (ConfigError, exit 2), each naming its
 * field: `out/result.json is not a readable tokbench result (2 problems):
 *   - summary.completed: expected a number, found the string "12"`.
 * Histograms are checked to be strings here; decodeHistograms decodes them.
 */
export function parseResultJson(text: string, where: string): ResultJson {
  const heading = `${where} is not a readable tokbench result`;
  const { c, r } = readTopLevel(text, where, heading);
  c.str(r, 'tokbenchVersion', '');
  c.str(r, 'startedAt', '');
  c.str(r, 'finishedAt', '');
  c.bool(r, 'interrupted', '');
  if (r.simulated === undefined) r.simulated = false;
  else c.bool(r, 'simulated', '');

  const sc = checkScenario(c, r);
  const window = sc?.pattern === 'poisson' ? 'lastIssuedCompletion' : 'lastCompletion';
  checkSummaries(c, r, window);
  checkVerdicts(c, r);
  checkHistogramsAndSeries(c, r);

  if (c.problems.length > 0) throw new ConfigError(c.problems, heading);
  return r as unknown as ResultJson;
}
