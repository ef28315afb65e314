/**
 * `tokbench compare`: a new result against a baseline (regressions beyond a
 * tolerance), and `--reproduce`: the spread of several runs of one setup.
 * Pure functions over ResultJson; the CLI reads files and picks exit codes.
 *
 * Which way is "worse" comes from the metric catalogue (metrics/thresholds.ts):
 * throughput down, latency and errors up.
 */
import { ConfigError } from '../errors.js';
import type { ResultJson } from '../metrics/types.js';
import {
  parseMetricRef,
  readSingleValue,
  type Direction,
  type MetricDef,
  type MetricRef,
} from '../metrics/thresholds.js';
import { DEFAULT_CONFIDENCE } from '../metrics/intervals.js';
import { changeInterval } from './compare-intervals.js';

/** Compared by default: the headline figures a regression shows up in. */
export const DEFAULT_COMPARE_METRICS: readonly string[] = [
  'output_tokens_per_sec',
  'total_tokens_per_sec',
  'requests_per_sec',
  'goodput',
  'ttft.p50',
  'ttft.p99',
  'tpot.p50',
  'tpot.p99',
  'itl.p50',
  'itl.p99',
  'e2e.p50',
  'e2e.p99',
  'error_rate',
];

/**
 * Checked by `--reproduce` by default. Error rate is left out: relative spread
 * of small counts (0, 0, 1 errors) is noise, not irreproducibility.
 */
export const DEFAULT_REPRODUCE_METRICS: readonly string[] = [
  'output_tokens_per_sec',
  'total_tokens_per_sec',
  'requests_per_sec',
  'goodput',
  'ttft.p50',
  'ttft.p99',
  'tpot.p50',
  'tpot.p99',
  'itl.p50',
  'e2e.p99',
];

export type DeltaStatus = 'regression' | 'improvement' | 'within' | 'noise' | 'insufficient' | 'info' | 'missing';

export interface MetricDelta {
  /** canonical metric reference, e.g. `ttft.p99`, `endpoint[0].output_tokens_per_sec` */
  metric: string;
  unit: MetricDef['unit'];
  kind: MetricDef['kind'];
  direction: Direction;
  /** the tolerance applied to this metric, % (per-metric `name:10%` or the global one) */
  tolerancePct: number;
  base: number | null;
  next: number | null;
  /** next - base, in the metric's unit */
  deltaAbs: number | null;
  /** (next - base) / base × 100; ±Infinity when base is 0 and next is not */
  deltaPct: number | null;
  /** the change in the worse direction, %: positive is worse, negative better; null for `none` metrics */
  worsePct: number | null;
  /**
   * With an interval (method other than `point`): regression: the whole
   * interval of the change is worse than the tolerance; improvement: wholly
   * better than it; within: wholly inside ±tolerance; noise: it straddles the
   * tolerance (within noise); insufficient: the runs are too short for an
   * interval (not enough data, see `needs`). With `point`: the point change
   * against the tolerance (regression, improvement, within). info: a metric
   * with no better direction; missing: no value on one side
   */
  status: DeltaStatus;
  /** how the change's interval was found: batch means, order statistics, or none (`point`: compared by value) */
  method: 'batchMeans' | 'orderStatistics' | 'point';
  /** the interval of deltaPct at the comparison's confidence; null with `point` or not enough data */
  changeLowPct: number | null;
  changeHighPct: number | null;
  /** not enough data: what the runs lack */
  needs: string | null;
  /** insufficient: how many times longer the runs would need to be; noise: about how much longer to tell the change from the tolerance (null when it cannot be told) */
  longerFactor: number | null;
}

export interface Comparison {
  tolerancePct: number;
  /** of the change intervals, e.g. 0.95 */
  confidence: number;
  baseLabel: string;
  nextLabel: string;
  deltas: MetricDelta[];
  /** differences in setup that make the comparison questionable */
  warnings: string[];
  /** no metric regressed beyond its tolerance */
  passed: boolean;
}

export interface CompareOptions {
  /** allowed change in the worse direction, % (e.g. 4 for 4%) */
  tolerancePct: number;
  /** metric references, each optionally with its own tolerance: `ttft.p99:10%`. Default DEFAULT_COMPARE_METRICS */
  metrics?: readonly string[];
  /** names for the two sides in output (file paths, by the CLI) */
  baseLabel?: string;
  nextLabel?: string;
  /** of the change intervals; default 0.95 */
  confidence?: number;
}

interface MetricSpec {
  ref: MetricRef;
  tolerancePct: number | null;
}

/**
 * Parse `--metrics` entries: a metric reference with an optional `:N%` tolerance
 * of its own (p99 latencies are noisier than throughput, so one tolerance rarely fits all).
 */
export function parseMetricSpecs(entries: readonly string[], where = '--metrics'): MetricSpec[] {
  const problems: ConfigError[] = [];
  const specs: MetricSpec[] = [];
  for (const entry of entries) {
    const m = /^(.*\S)\s*:\s*(\d+(?:\.\d+)?)\s*%$/.exec(entry.trim());
    try {
      const ref = parseMetricRef(m === null ? entry : m[1]!, where);
      if (ref.def.kind === 'boolean') {
        throw new ConfigError(
          { where, message: `'${ref.text}' is a boolean and has no delta`, hint: 'validity changes are shown as warnings; assert it with `tokbench check --assert valid`' },
          'invalid metric',
        );
      }
      specs.push({ ref, tolerancePct: m === null ? null : Number(m[2]) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.flatMap((e) => e.problems), 'invalid metric');
  return specs;
}

/** Compare `next` against the baseline `base`. */
export function compareResults(base: ResultJson, next: ResultJson, opts: CompareOptions): Comparison {
  assertTolerance(opts.tolerancePct);
  const specs = parseMetricSpecs(opts.metrics ?? DEFAULT_COMPARE_METRICS);
  const confidence = opts.confidence ?? DEFAULT_CONFIDENCE;
  const labels: [string, string] = [opts.baseLabel ?? 'base', opts.nextLabel ?? 'new'];
  const deltas = specs.map((s) => delta(s.ref, base, next, s.tolerancePct ?? opts.tolerancePct, confidence, labels));
  return {
    tolerancePct: opts.tolerancePct,
    confidence,
    baseLabel: opts.baseLabel ?? 'base',
    nextLabel: opts.nextLabel ?? 'new',
    deltas,
    warnings: setupDifferences(base, next, opts.baseLabel ?? 'base', opts.nextLabel ?? 'new'),
    passed: deltas.every((d) => d.status !== 'regression'),
  };
}

export function assertTolerance(tolerancePct: number): void {
  if (!Number.isFinite(tolerancePct) || tolerancePct < 0) {
    throw new ConfigError({ where: '--tolerance', message: `must be a non-negative percentage (got ${tolerancePct})`, hint: 'for example --tolerance 4%' });
  }
}

function delta(ref: MetricRef, base: ResultJson, next: ResultJson, tolerancePct: number, confidence: number, labels: [string, string]): MetricDelta {
  const b = readSingleValue(ref, base);
  const n = readSingleValue(ref, next);
  const common = {
    metric: ref.text, unit: ref.def.unit, kind: ref.def.kind, direction: ref.def.direction, tolerancePct, base: b, next: n,
    method: 'point' as MetricDelta['method'], changeLowPct: null, changeHighPct: null, needs: null, longerFactor: null,
  };
  if (b === null || n === null) {
    return { ...common, deltaAbs: null, deltaPct: null, worsePct: null, status: 'missing' };
  }
  const deltaAbs = n - b;
  // From 0 to anything is an unbounded relative change: errors appearing where
  // there were none is a regression at any tolerance.
  const deltaPct = b === 0 ? (n === 0 ? 0 : Math.sign(n) * Infinity) : (deltaAbs / Math.abs(b)) * 100;
  if (ref.def.direction === 'none') {
    return { ...common, deltaAbs, deltaPct, worsePct: null, status: 'info' };
  }
  const worsePct = ref.def.direction === 'higher' ? -deltaPct : deltaPct;
  const point = { ...common, deltaAbs, deltaPct, worsePct: worsePct === 0 ? 0 : worsePct };
  const ci = changeInterval(ref, base, next, confidence, labels);
  if (ci === null) {
    const status: DeltaStatus = worsePct > tolerancePct ? 'regression' : worsePct < -tolerancePct ? 'improvement' : 'within';
    return { ...point, status };
  }
  if ('needs' in ci) return { ...point, method: ci.method, status: 'insufficient', needs: ci.needs, longerFactor: ci.factor };
  const [wl, wh] = ref.def.direction === 'higher' ? [-ci.highPct, -ci.lowPct] : [ci.lowPct, ci.highPct];
  const verdict = intervalVerdict(wl, wh, tolerancePct);
  return { ...point, method: ci.method, changeLowPct: ci.lowPct, changeHighPct: ci.highPct, status: verdict.status, longerFactor: verdict.longerFactor };
}

/**
 * The verdict on an interval [wl, wh] of the change in the worse direction
 * (%, positive is worse) against ±tolerance. For one that straddles, the
 * factor by which runs would need to be longer for the half-width (shrinking
 * as 1/√length) to clear the nearest crossed boundary.
 */
export function intervalVerdict(wl: number, wh: number, tolerancePct: number): { status: DeltaStatus; longerFactor: number | null } {
  if (wl > tolerancePct) return { status: 'regression', longerFactor: null };
  if (wh < -tolerancePct) return { status: 'improvement', longerFactor: null };
  if (wh <= tolerancePct && wl >= -tolerancePct) return { status: 'within', longerFactor: null };
  const centre = (wl + wh) / 2;
  const half = (wh - wl) / 2;
  const boundary = wl <= tolerancePct && tolerancePct <= wh ? tolerancePct : -tolerancePct;
  const distance = Math.abs(centre - boundary);
  return { status: 'noise', longerFactor: distance > 0 && Number.isFinite(half) ? (half / distance) ** 2 : null };
}

// ---------------------------------------------------------------------------
// What makes two results not comparable

/**
 * Setup differences between two results, one readable line each. Each one
 * means a delta may come from the setup, not from the server.
 */
export function setupDifferences(a: ResultJson, b: ResultJson, aLabel: string, bLabel: string): string[] {
  const out: string[] = [];
  const diff = (what: string, x: unknown, y: unknown) => {
    const xs = show(x);
    const ys = show(y);
    if (xs !== ys) out.push(`${what} differs: ${xs} (${aLabel}) vs ${ys} (${bLabel})`);
  };
  const sa = a.scenario;
  const sb = b.scenario;
  diff('benchmark', sa.benchmark, sb.benchmark);
  diff('scenario', sa.scenario, sb.scenario);
  diff('load pattern', sa.pattern, sb.pattern);
  diff('mode', sa.mode, sb.mode);
  diff('target QPS', sa.targetQps, sb.targetQps);
  diff('burstiness', sa.burstiness, sb.burstiness);
  diff('max concurrency', sa.maxConcurrency, sb.maxConcurrency);
  diff('samples', sa.samples, sb.samples);
  diff('dataset', sa.dataset, sb.dataset);
  diff('dataset size', sa.datasetSize, sb.datasetSize);
  diff('API', sa.api, sb.api);
  diff('max tokens', sa.maxTokens, sb.maxTokens);
  diff('SLO constraints', sa.constraints, sb.constraints);
  diff('seeds', sa.seeds, sb.seeds);
  diff('endpoint count', a.endpoints.length, b.endpoints.length);
  diff('models', uniq(a.endpoints.map((e) => e.model)), uniq(b.endpoints.map((e) => e.model)));
  diff('shard', a.shard, b.shard);
  diff('simulated', a.simulated, b.simulated);
  diff('token count source', a.summary.tokenCountSource, b.summary.tokenCountSource);
  const tagKeys = uniq([...Object.keys(a.tags ?? {}), ...Object.keys(b.tags ?? {})]);
  for (const k of tagKeys) diff(`tag '${k}'`, a.tags?.[k], b.tags?.[k]);
  if (a.tokbenchVersion !== b.tokbenchVersion) {
    out.push(`tokbench version differs: ${a.tokbenchVersion} (${aLabel}) vs ${b.tokbenchVersion} (${bLabel}); metric definitions may have changed`);
  }
  for (const [r, label] of [[a, aLabel], [b, bLabel]] as const) {
    if (r.interrupted) out.push(`${label} was interrupted: its figures cover a partial run`);
    if (!r.validity.valid) out.push(`${label} is not a valid run (${r.validity.checks.filter((c) => !c.passed).map((c) => c.name).join(', ') || 'see validity'})`);
  }
  return out;
}

function show(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (v === null) return 'none';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)].sort();
}

export { reproduce, type Reproduction, type SpreadRow, type ReproduceStatus } from './reproduce.js';
export {
  renderComparison,
  renderComparisonMarkdown,
  renderReproduce,
  renderReproduceMarkdown,
  type RenderOptions,
} from './compare-render.js';
