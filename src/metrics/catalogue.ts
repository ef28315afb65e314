/**
 * The metric catalogue: every metric an assertion, `check`, `compare` and the
 * reporters can name, what it measures, its unit and which way is better, and
 * how its values are formatted. Parsing and judging assertions is in
 * thresholds.ts; reading their limits in quantities.ts.
 */
import type { LatencySet, LatencyStats, ResultJson, SummaryCore } from './types.js';


/** What a metric measures; decides which suffixes a limit may carry. */
export type MetricKind = 'duration' | 'rate' | 'count' | 'ratio' | 'boolean';

/** Which way is better; `none` metrics are shown by `compare` but never flagged. */
export type Direction = 'higher' | 'lower' | 'none';

interface MetricDefBase {
  /** canonical name, as written in assertions */
  name: string;
  kind: MetricKind;
  /** the natural unit of values and of `ThresholdVerdict.actual`: ms, tokens/s, requests/s, requests, fraction */
  unit: 'ms' | 'tokens/s' | 'requests/s' | 'requests' | 'fraction' | 'boolean';
  direction: Direction;
  description: string;
  /** why the value can be absent, said when an assertion on it fails for that reason */
  whenMissing: string;
}

/** A metric every summary has, the run's and each endpoint's, so it can take an `endpoint[...]` selector. */
export interface SummaryMetricDef extends MetricDefBase {
  scope: 'summary';
  get(summary: SummaryCore): number | null;
}

/** A metric only the whole run has (validity, steady state). */
export interface RunMetricDef extends MetricDefBase {
  scope: 'run';
  get(result: ResultJson): number | boolean | null;
}

export type MetricDef = SummaryMetricDef | RunMetricDef;

/** Latency series: assertion name → LatencySet field (ms). */
export const LATENCY_SERIES = {
  ttft: { field: 'ttftMs', label: 'TTFT', description: 'time to first token, from the scheduled time' },
  tpot: { field: 'tpotMs', label: 'TPOT', description: 'time per output token after the first, per request' },
  itl: { field: 'itlMs', label: 'ITL', description: 'inter-token latency, per token' },
  chunk_gap: { field: 'chunkGapMs', label: 'chunk gap', description: 'gap between successive output chunks' },
  e2e: { field: 'e2eMs', label: 'E2E', description: 'end-to-end latency, from the scheduled time' },
  issue_delay: { field: 'issueDelayMs', label: 'issue delay', description: 'client lateness: issued - scheduled' },
  ttfa: { field: 'ttfaMs', label: 'TTFA', description: 'time to first answer token (after reasoning), from the scheduled time' },
  connect_wait: { field: 'connectWaitMs', label: 'connect wait', description: 'the part of issue delay spent waiting for a connection' },
} as const satisfies Record<string, { field: keyof LatencySet; label: string; description: string }>;
export type LatencySeriesName = keyof typeof LATENCY_SERIES;

/** Statistics of a latency series: assertion name → LatencyStats field. */
export const LATENCY_STATS = {
  min: 'min',
  mean: 'mean',
  p50: 'p50',
  p90: 'p90',
  p95: 'p95',
  p97: 'p97',
  p99: 'p99',
  p999: 'p999',
  max: 'max',
} as const satisfies Record<string, keyof LatencyStats>;
export type LatencyStatName = keyof typeof LATENCY_STATS;

/** Accepted spellings that are not canonical names. */
export const STAT_ALIASES: Record<string, LatencyStatName> = { 'p99.9': 'p999' };
/** Common guesses that are not accepted, mapped to what to write instead (hints only). */
export const STAT_HINTS: Record<string, LatencyStatName> = { avg: 'mean', average: 'mean', median: 'p50', p100: 'max', p0: 'min' };

function errorRate(s: SummaryCore): number | null {
  // Of the requests that finished; queries still in flight at an interrupt are neither.
  const finished = s.completed + s.failed;
  return finished === 0 ? null : s.failed / finished;
}

const SCALAR_METRICS: readonly MetricDef[] = [
  {
    name: 'output_tokens_per_sec', scope: 'summary', kind: 'rate', unit: 'tokens/s', direction: 'higher',
    description: 'output token throughput (MLPerf definition per scenario)',
    whenMissing: 'not measured',
    get: (s) => s.outputTokensPerSecond,
  },
  {
    name: 'total_tokens_per_sec', scope: 'summary', kind: 'rate', unit: 'tokens/s', direction: 'higher',
    description: 'input + output token throughput',
    whenMissing: 'not measured',
    get: (s) => s.totalTokensPerSecond,
  },
  {
    name: 'requests_per_sec', scope: 'summary', kind: 'rate', unit: 'requests/s', direction: 'higher',
    description: 'completed requests per second',
    whenMissing: 'not measured',
    get: (s) => s.requestsPerSecond,
  },
  {
    name: 'goodput', scope: 'summary', kind: 'rate', unit: 'requests/s', direction: 'higher',
    description: 'completed requests meeting every SLO (TTFT and TPOT constraints) per second',
    whenMissing: 'goodput is only measured when the scenario sets SLO constraints (constraints.ttftP99Ms / tpotP99Ms)',
    get: (s) => s.goodputRequestsPerSecond,
  },
  {
    name: 'completed', scope: 'summary', kind: 'count', unit: 'requests', direction: 'higher',
    description: 'requests completed in the measured phase',
    whenMissing: 'not measured',
    get: (s) => s.completed,
  },
  {
    name: 'failed', scope: 'summary', kind: 'count', unit: 'requests', direction: 'lower',
    description: 'requests failed in the measured phase',
    whenMissing: 'not measured',
    get: (s) => s.failed,
  },
  {
    name: 'issued', scope: 'summary', kind: 'count', unit: 'requests', direction: 'none',
    description: 'queries issued in the measured phase',
    whenMissing: 'not measured',
    get: (s) => s.issued,
  },
  {
    name: 'error_rate', scope: 'summary', kind: 'ratio', unit: 'fraction', direction: 'lower',
    description: 'failed / (completed + failed)',
    whenMissing: 'no request finished',
    get: errorRate,
  },
  {
    name: 'steady_output_tokens_per_sec', scope: 'run', kind: 'rate', unit: 'tokens/s', direction: 'higher',
    description: 'output token throughput between the end of ramp-up and the start of drain',
    whenMissing: 'the run was too short to find a steady state',
    get: (r) => r.summary.steadyState?.outputTokensPerSecond ?? null,
  },
  {
    name: 'steady_requests_per_sec', scope: 'run', kind: 'rate', unit: 'requests/s', direction: 'higher',
    description: 'completed requests per second in the steady-state window',
    whenMissing: 'the run was too short to find a steady state',
    get: (r) => r.summary.steadyState?.requestsPerSecond ?? null,
  },
  {
    name: 'valid', scope: 'run', kind: 'boolean', unit: 'boolean', direction: 'higher',
    description: 'the MLPerf validity verdict (min duration, min queries, constraints...)',
    whenMissing: 'not measured',
    get: (r) => r.validity.valid,
  },
  {
    // issue 14: assert as `client_bound == false` (booleans compare only with true/false)
    name: 'client_bound', scope: 'run', kind: 'boolean', unit: 'boolean', direction: 'lower',
    description: 'tokbench itself limited the run (client self-check: event loop, CPU, issue delay, connection waits)',
    whenMissing: 'the result has no client self-check (a result from an older version, or merged from shards)',
    get: (r) => r.client?.clientBound ?? null,
  },
];

function latencyMetric(series: LatencySeriesName, stat: LatencyStatName): SummaryMetricDef {
  const { field, description } = LATENCY_SERIES[series];
  return {
    name: `${series}.${stat}`,
    scope: 'summary',
    kind: 'duration',
    unit: 'ms',
    direction: 'lower',
    description: `${stat} of ${description}`,
    whenMissing: `no data: no request gave a ${LATENCY_SERIES[series].label} value; ${missingWhy(series)}`,
    // An absent figure (null) fails an assertion; `p99 < 2s` on no data must not pass vacuously.
    // `?? null` also reads a series an older result.json lacks as absent.
    get: (s) => s.latency[field]?.[LATENCY_STATS[stat]] ?? null,
  };
}

/** The usual reasons a latency series has no values, for the "no data" actual of an assertion. */
function missingWhy(series: LatencySeriesName): string {
  switch (series) {
    case 'ttft':
    case 'chunk_gap':
      return 'the run was not streamed, or no request completed';
    case 'tpot':
    case 'itl':
      return 'the run was not streamed, no request completed, or none had 2+ output tokens';
    case 'ttfa':
      return 'no stream carried reasoning before its answer';
    case 'connect_wait':
      return 'no request waited for a connection';
    default:
      return 'no request completed';
  }
}

/** Every metric, in display order. */
export const METRICS: readonly MetricDef[] = [
  ...SCALAR_METRICS,
  ...(Object.keys(LATENCY_SERIES) as LatencySeriesName[]).flatMap((series) =>
    (Object.keys(LATENCY_STATS) as LatencyStatName[]).map((stat) => latencyMetric(series, stat)),
  ),
];

const METRICS_BY_NAME: ReadonlyMap<string, MetricDef> = new Map(METRICS.map((m) => [m.name, m]));

export const METRIC_NAMES: readonly string[] = METRICS.map((m) => m.name);

/** The metric names as a compact, readable list for error hints. */
export const KNOWN_METRICS_TEXT =
  `${SCALAR_METRICS.map((m) => m.name).join(', ')}, ` +
  `{${Object.keys(LATENCY_SERIES).join('|')}}.{${Object.keys(LATENCY_STATS).join('|')}}`;

export function metricDef(name: string): MetricDef | undefined {
  return METRICS_BY_NAME.get(name) ?? METRICS_BY_NAME.get(canonicalStatAlias(name));
}

function canonicalStatAlias(name: string): string {
  const dot = name.indexOf('.');
  if (dot < 0) return name;
  const alias = STAT_ALIASES[name.slice(dot + 1)];
  return alias === undefined ? name : `${name.slice(0, dot)}.${alias}`;
}
// ---------------------------------------------------------------------------
// Formatting values in their units (shared by the reporters)

/** Full precision (6 significant digits), for failure messages where the boundary matters. */
export function formatPrecise(value: number, def: Pick<MetricDef, 'kind' | 'unit'>): string {
  const p = (v: number) => String(Number(v.toPrecision(6)));
  switch (def.kind) {
    case 'duration': return `${p(value)} ms`;
    case 'ratio': return `${p(value * 100)}%`;
    case 'boolean': return String(Boolean(value));
    default: return `${p(value)} ${def.unit}`;
  }
}

const GROUPED = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Human-readable, about 3-4 significant digits: `812 ms`, `2.35 s`, `412 µs`, `95,210 tokens/s`, `0.50%`. */
export function formatMetricValue(value: number | boolean | null, def: Pick<MetricDef, 'kind' | 'unit'>): string {
  if (value === null) return 'n/a';
  if (typeof value === 'boolean') return String(value);
  switch (def.kind) {
    case 'duration': return formatMs(value);
    case 'ratio': return `${(value * 100).toFixed(value * 100 < 10 ? 2 : 1)}%`;
    case 'count': return `${GROUPED.format(value)}`;
    case 'boolean': return String(Boolean(value));
    case 'rate': return `${formatNumber(value)} ${def.unit}`;
  }
}

/** A duration given in ms, in the unit that reads best. */
export function formatMs(ms: number): string {
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${formatNumber(ms * 1000)} µs`;
  if (ms < 10_000) return `${formatNumber(ms)} ms`;
  return `${formatNumber(ms / 1000)} s`;
}

/** 3 significant digits below 100, whole numbers with grouping above. */
export function formatNumber(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 100) return GROUPED.format(n);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
