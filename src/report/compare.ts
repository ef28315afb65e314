/**
 * `tokbench compare`: a new result against a baseline (regressions beyond a
 * tolerance), and `--reproduce`: the spread of several runs of one setup.
 * Pure functions over ResultJson; the CLI reads files and picks exit codes.
 *
 * Which way is "worse" comes from the metric catalogue (metrics/thresholds.ts):
 * throughput down, latency and errors up.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { ConfigError } from '../errors.js';
import type { ResultJson } from '../metrics/types.js';
import {
  formatMetricValue,
  parseMetricRef,
  readSingleValue,
  type Direction,
  type MetricDef,
  type MetricRef,
} from '../metrics/thresholds.js';

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

export type DeltaStatus = 'regression' | 'improvement' | 'within' | 'info' | 'missing';

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
   * regression: worse by more than the tolerance; improvement: better by more;
   * within: inside the tolerance; info: a metric with no better direction;
   * missing: no value on one side
   */
  status: DeltaStatus;
}

export interface Comparison {
  tolerancePct: number;
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
  const deltas = specs.map((s) => delta(s.ref, base, next, s.tolerancePct ?? opts.tolerancePct));
  return {
    tolerancePct: opts.tolerancePct,
    baseLabel: opts.baseLabel ?? 'base',
    nextLabel: opts.nextLabel ?? 'new',
    deltas,
    warnings: setupDifferences(base, next, opts.baseLabel ?? 'base', opts.nextLabel ?? 'new'),
    passed: deltas.every((d) => d.status !== 'regression'),
  };
}

function assertTolerance(tolerancePct: number): void {
  if (!Number.isFinite(tolerancePct) || tolerancePct < 0) {
    throw new ConfigError({ where: '--tolerance', message: `must be a non-negative percentage (got ${tolerancePct})`, hint: 'for example --tolerance 4%' });
  }
}

function delta(ref: MetricRef, base: ResultJson, next: ResultJson, tolerancePct: number): MetricDelta {
  const b = readSingleValue(ref, base);
  const n = readSingleValue(ref, next);
  const common = { metric: ref.text, unit: ref.def.unit, kind: ref.def.kind, direction: ref.def.direction, tolerancePct, base: b, next: n };
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
  const status: DeltaStatus = worsePct > tolerancePct ? 'regression' : worsePct < -tolerancePct ? 'improvement' : 'within';
  return { ...common, deltaAbs, deltaPct, worsePct: worsePct === 0 ? 0 : worsePct, status };
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

function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)].sort();
}

// ---------------------------------------------------------------------------
// Reproducibility: several runs of one setup

export interface SpreadRow {
  metric: string;
  unit: MetricDef['unit'];
  kind: MetricDef['kind'];
  /** one per result, in input order; null where the result has no value */
  values: (number | null)[];
  mean: number | null;
  min: number | null;
  max: number | null;
  /** max |value - mean| / |mean| × 100; null when a value is missing */
  spreadPct: number | null;
  /** spreadPct <= tolerance; null when it cannot be told (a value missing) */
  within: boolean | null;
}

export interface Reproduction {
  tolerancePct: number;
  labels: string[];
  rows: SpreadRow[];
  warnings: string[];
  /** every metric with values on all runs is within tolerance */
  passed: boolean;
}

/**
 * The spread of each metric over several results of one setup: the largest
 * deviation of any run from the mean, relative to the mean. MLPerf-style
 * reproducibility: every run within tolerance of the others' centre.
 */
export function reproduce(
  results: readonly ResultJson[],
  tolerancePct: number,
  opts: { metrics?: readonly string[]; labels?: readonly string[] } = {},
): Reproduction {
  assertTolerance(tolerancePct);
  if (results.length < 2) {
    throw new ConfigError({ where: '--reproduce', message: `needs at least 2 results (got ${results.length})`, hint: 'tokbench compare --reproduce run1/result.json run2/result.json run3/result.json' });
  }
  const labels = results.map((_, i) => opts.labels?.[i] ?? `run ${i + 1}`);
  const specs = parseMetricSpecs(opts.metrics ?? DEFAULT_REPRODUCE_METRICS);
  const rows = specs.map(({ ref, tolerancePct: own }): SpreadRow => {
    const values = results.map((r) => readSingleValue(ref, r));
    const common = { metric: ref.text, unit: ref.def.unit, kind: ref.def.kind, values };
    const present = values.filter((v): v is number => v !== null);
    if (present.length === 0 || present.length !== values.length) {
      return { ...common, mean: null, min: null, max: null, spreadPct: null, within: null };
    }
    const mean = present.reduce((s, v) => s + v, 0) / present.length;
    const maxDev = Math.max(...present.map((v) => Math.abs(v - mean)));
    const spreadPct = maxDev === 0 ? 0 : mean === 0 ? Infinity : (maxDev / Math.abs(mean)) * 100;
    return {
      ...common,
      mean,
      min: Math.min(...present),
      max: Math.max(...present),
      spreadPct,
      within: spreadPct <= (own ?? tolerancePct),
    };
  });
  const warnings: string[] = [];
  for (let i = 1; i < results.length; i++) {
    warnings.push(...setupDifferences(results[0]!, results[i]!, labels[0]!, labels[i]!));
  }
  for (const row of rows) {
    if (row.within === null && row.values.some((v) => v !== null)) {
      warnings.push(`${row.metric} has no value on ${row.values.map((v, i) => (v === null ? labels[i] : null)).filter(Boolean).join(', ')}`);
    }
  }
  return { tolerancePct, labels, rows, warnings: uniqInOrder(warnings), passed: rows.every((r) => r.within !== false) };
}

function uniqInOrder(xs: string[]): string[] {
  return [...new Set(xs)];
}

// ---------------------------------------------------------------------------
// Rendering

export interface RenderOptions {
  color: boolean;
}

function chalkFor(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

function pct(p: number | null, signed = true): string {
  if (p === null) return '';
  if (!Number.isFinite(p)) return p > 0 ? '+∞%' : '-∞%';
  const s = Math.abs(p) < 10 ? p.toFixed(2) : p.toFixed(1);
  return signed && p > 0 ? `+${s}%` : `${s}%`;
}

function signedValue(v: number | null, d: Pick<MetricDef, 'kind' | 'unit'>): string {
  if (v === null) return '';
  // A change of a rate given in % is in percentage points, kept apart from the relative delta %.
  const s = d.kind === 'ratio' ? `${(Math.abs(v) * 100).toFixed(2)} pp` : formatMetricValue(Math.abs(v), d);
  return v > 0 ? `+${s}` : v < 0 ? `-${s}` : s;
}

const STATUS_TEXT: Record<DeltaStatus, string> = {
  regression: 'REGRESSION',
  improvement: 'better',
  within: 'ok',
  info: '',
  missing: 'n/a',
};

/** Plain-text table of a comparison, for the terminal. */
export function renderComparison(c: Comparison, opts: RenderOptions): string {
  const k = chalkFor(opts.color);
  const header = ['metric', c.baseLabel, c.nextLabel, 'delta', 'delta %', `verdict (tolerance ${c.tolerancePct}%)`];
  const rows = c.deltas.map((d) => [
    d.metric + (d.tolerancePct !== c.tolerancePct ? ` (±${d.tolerancePct}%)` : ''),
    formatMetricValue(d.base, d),
    formatMetricValue(d.next, d),
    signedValue(d.deltaAbs, d),
    pct(d.deltaPct),
    STATUS_TEXT[d.status],
  ]);
  const paint = (row: string[], i: number): string[] => {
    const status = c.deltas[i]!.status;
    const p = status === 'regression' ? k.red.bold : status === 'improvement' ? k.green : status === 'missing' ? k.dim : (s: string) => s;
    return row.map((cell, j) => (j >= 3 ? p(cell) : cell));
  };
  const lines = [table([header, ...rows], (row, i) => (i === 0 ? row.map((h) => k.bold(h)) : paint(row, i - 1)))];
  lines.push(...c.warnings.map((w) => k.yellow(`warning: ${w}`)));
  const regressions = c.deltas.filter((d) => d.status === 'regression');
  lines.push(
    regressions.length === 0
      ? k.green(`no regression beyond ${c.tolerancePct}%`)
      : k.red.bold(`${regressions.length} regression(s) beyond tolerance: ${regressions.map((d) => `${d.metric} ${pct(d.deltaPct)}`).join(', ')}`),
  );
  return `${lines.join('\n')}\n`;
}

/** GitHub-flavoured Markdown of a comparison, for PR comments and step summaries. */
export function renderComparisonMarkdown(c: Comparison): string {
  const icon: Record<DeltaStatus, string> = { regression: '❌', improvement: '🟢', within: '✅', info: 'ℹ️', missing: '➖' };
  const out = [
    `## tokbench compare ${c.passed ? '✅' : '❌'}`,
    '',
    `\`${mdCell(c.nextLabel)}\` against baseline \`${mdCell(c.baseLabel)}\`, tolerance ${c.tolerancePct}%.`,
    '',
    '| | metric | base | new | delta | delta % |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...c.deltas.map((d) =>
      `| ${icon[d.status]} | \`${mdCell(d.metric)}\` | ${formatMetricValue(d.base, d)} | ${formatMetricValue(d.next, d)} | ${signedValue(d.deltaAbs, d)} | ${pct(d.deltaPct)} |`,
    ),
  ];
  if (c.warnings.length > 0) out.push('', '> [!WARNING]', ...c.warnings.map((w) => `> - ${mdText(w)}`));
  return `${out.join('\n')}\n`;
}

/** Plain-text table of a reproducibility check. */
export function renderReproduce(r: Reproduction, opts: RenderOptions): string {
  const k = chalkFor(opts.color);
  const header = ['metric', ...r.labels, 'mean', 'spread', `within ${r.tolerancePct}%`];
  const rows = r.rows.map((row) => [
    row.metric,
    ...row.values.map((v) => formatMetricValue(v, row)),
    formatMetricValue(row.mean, row),
    row.spreadPct === null ? '' : `±${pct(row.spreadPct, false)}`,
    row.within === null ? 'n/a' : row.within ? 'yes' : 'NO',
  ]);
  const lines = [
    table([header, ...rows], (row, i) => {
      if (i === 0) return row.map((h) => k.bold(h));
      const within = r.rows[i - 1]!.within;
      return within === false ? row.map((cell) => k.red(cell)) : row;
    }),
  ];
  lines.push(...r.warnings.map((w) => k.yellow(`warning: ${w}`)));
  const outside = r.rows.filter((row) => row.within === false);
  lines.push(
    outside.length === 0
      ? k.green(`all ${r.labels.length} runs within ±${r.tolerancePct}% of their mean`)
      : k.red.bold(`not reproducible within ±${r.tolerancePct}%: ${outside.map((row) => `${row.metric} ±${pct(row.spreadPct, false)}`).join(', ')}`),
  );
  return `${lines.join('\n')}\n`;
}

/** Markdown of a reproducibility check. */
export function renderReproduceMarkdown(r: Reproduction): string {
  const out = [
    `## tokbench reproducibility ${r.passed ? '✅' : '❌'}`,
    '',
    `${r.labels.length} runs, tolerance ±${r.tolerancePct}% around the mean.`,
    '',
    `| | metric | ${r.labels.map(mdCell).join(' | ')} | mean | spread |`,
    `| --- | --- | ${r.labels.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...r.rows.map((row) =>
      `| ${row.within === null ? '➖' : row.within ? '✅' : '❌'} | \`${mdCell(row.metric)}\` | ${row.values.map((v) => formatMetricValue(v, row)).join(' | ')} | ${formatMetricValue(row.mean, row)} | ${row.spreadPct === null ? '' : `±${pct(row.spreadPct, false)}`} |`,
    ),
  ];
  if (r.warnings.length > 0) out.push('', '> [!WARNING]', ...r.warnings.map((w) => `> - ${mdText(w)}`));
  return `${out.join('\n')}\n`;
}

/** Left-aligned first column, right-aligned others; widths from the unstyled text. */
function table(rows: string[][], style: (row: string[], index: number) => string[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, j) => (widths[j] = Math.max(widths[j] ?? 0, [...cell].length)));
  return rows
    .map((row, i) => {
      const styled = style(row, i);
      return row
        .map((cell, j) => {
          const pad = ' '.repeat(widths[j]! - [...cell].length);
          return j === 0 ? styled[j] + pad : pad + styled[j];
        })
        .join('  ')
        .trimEnd();
    })
    .join('\n');
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/`/g, "'");
}

function mdText(s: string): string {
  return s.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}
