/**
 * `tokbench compare --reproduce`: do several runs (of one setup, or of one
 * benchmark on several systems) reproduce each other within a percentage?
 * Pure functions over ResultJson (docs/ci.md "Reproducibility").
 *
 * - Per accelerator: when every result's `system` description gives an
 *   accelerator count (number_of_nodes × accelerators_per_node), rates are
 *   divided by it, so systems of different sizes compare per chip.
 * - The largest difference of a metric is max / min − 1 over the runs. Its
 *   interval, and that of every other pair, comes from the two runs' inputs
 *   (compare-intervals.ts). The metric reproduces when every pair's interval
 *   lies within the tolerance, does not when some pair's lies wholly beyond
 *   it, and is within noise otherwise.
 * - Results without summary.intervals (older versions) fall back to the
 *   spread: the largest deviation of any run from the mean, against the tolerance.
 */
import { ConfigError } from '../errors.js';
import { DEFAULT_CONFIDENCE } from '../metrics/intervals.js';
import { readSingleValue, type MetricDef } from '../metrics/thresholds.js';
import type { ResultJson } from '../metrics/types.js';
import { assertTolerance, DEFAULT_REPRODUCE_METRICS, parseMetricSpecs, setupDifferences } from './compare.js';
import { changeInterval, type IntervalMethod } from './compare-intervals.js';

/** reproduces: every pair within the tolerance; differs: some pair wholly beyond it; noise: cannot tell; insufficient: runs too short; missing: a value is absent */
export type ReproduceStatus = 'reproduces' | 'differs' | 'noise' | 'insufficient' | 'missing';

export interface SpreadRow {
  metric: string;
  unit: MetricDef['unit'];
  kind: MetricDef['kind'];
  /** one per result, in input order (per accelerator when `perAccelerator`); null where the result has no value */
  values: (number | null)[];
  mean: number | null;
  min: number | null;
  max: number | null;
  /** max |value - mean| / |mean| × 100; null when a value is missing */
  spreadPct: number | null;
  /** reproduces (true), differs (false), or cannot be told (null) */
  within: boolean | null;
  /** rates divided by each system's accelerator count */
  perAccelerator: boolean;
  /** the largest difference between two runs, (max / min − 1) × 100 */
  largestDiffPct: number | null;
  /** the labels of the runs it lies between (min first) */
  between: [string, string] | null;
  method: IntervalMethod | 'point';
  /** the interval of largestDiffPct; null with `point` or not enough data */
  diffLowPct: number | null;
  diffHighPct: number | null;
  status: ReproduceStatus;
  needs: string | null;
}

export interface Reproduction {
  tolerancePct: number;
  confidence: number;
  labels: string[];
  /** each result's system_name; null without a --system description */
  systems: (string | null)[];
  /** accelerators per result from the system description; null where it gives none */
  accelerators: (number | null)[];
  perAccelerator: boolean;
  rows: SpreadRow[];
  /** the row with the largest difference, as a partner would state it */
  largest: { metric: string; pct: number; lowPct: number | null; highPct: number | null; between: [string, string] } | null;
  warnings: string[];
  /** no metric differs beyond the tolerance */
  passed: boolean;
}

export interface ReproduceOptions {
  metrics?: readonly string[];
  labels?: readonly string[];
  confidence?: number;
}

/** number_of_nodes × accelerators_per_node of an MLPerf-style system description; null when it gives no count. */
export function acceleratorCount(system: Record<string, unknown> | undefined): number | null {
  if (system === undefined || system === null) return null;
  const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : null);
  const perNode = num(system['accelerators_per_node']);
  if (perNode === null || !(perNode > 0)) return null;
  const nodes = num(system['number_of_nodes']) ?? 1;
  return nodes > 0 ? nodes * perNode : null;
}

export function reproduce(results: readonly ResultJson[], tolerancePct: number, opts: ReproduceOptions = {}): Reproduction {
  assertTolerance(tolerancePct);
  if (results.length < 2) {
    throw new ConfigError({ where: '--reproduce', message: `needs at least 2 results (got ${results.length})`, hint: 'tokbench compare --reproduce run1/result.json run2/result.json run3/result.json' });
  }
  const confidence = opts.confidence ?? DEFAULT_CONFIDENCE;
  const labels = results.map((_, i) => opts.labels?.[i] ?? `run ${i + 1}`);
  const accelerators = results.map((r) => acceleratorCount(r.system));
  const perAccelerator = accelerators.every((a) => a !== null);
  const warnings: string[] = [];
  if (!perAccelerator && accelerators.some((a) => a !== null)) {
    warnings.push(`only some results give an accelerator count (--system); rates are compared per system, not per accelerator`);
  }
  const scales = results.map((_, i) => (perAccelerator ? accelerators[i]! : 1));
  const specs = parseMetricSpecs(opts.metrics ?? DEFAULT_REPRODUCE_METRICS);
  const rows = specs.map(({ ref, tolerancePct: own }): SpreadRow => {
    const scaled = perAccelerator && ref.def.kind === 'rate';
    const values = results.map((r, i) => {
      const v = readSingleValue(ref, r);
      return v === null ? null : scaled ? v / scales[i]! : v;
    });
    const common = { metric: ref.text, unit: ref.def.unit, kind: ref.def.kind, values, perAccelerator: scaled };
    const present = values.filter((v): v is number => v !== null);
    if (present.length === 0 || present.length !== values.length) {
      return { ...common, mean: null, min: null, max: null, spreadPct: null, within: null, largestDiffPct: null, between: null, method: 'point', diffLowPct: null, diffHighPct: null, status: 'missing', needs: null };
    }
    const mean = present.reduce((s, v) => s + v, 0) / present.length;
    const maxDev = Math.max(...present.map((v) => Math.abs(v - mean)));
    const spreadPct = maxDev === 0 ? 0 : mean === 0 ? Infinity : (maxDev / Math.abs(mean)) * 100;
    const iMin = present.indexOf(Math.min(...present));
    const iMax = present.indexOf(Math.max(...present));
    const largestDiffPct = present[iMin]! > 0 ? (present[iMax]! / present[iMin]! - 1) * 100 : present[iMax] === present[iMin] ? 0 : Infinity;
    const base = { ...common, mean, min: present[iMin]!, max: present[iMax]!, spreadPct, largestDiffPct, between: [labels[iMin]!, labels[iMax]!] as [string, string] };
    const tol = own ?? tolerancePct;
    const judged = judgePairs(results, labels, scales.map((s) => (scaled ? s : 1)), ref, confidence, tol, iMin, iMax);
    if (judged === null) {
      const within = spreadPct <= tol;
      return { ...base, within, method: 'point', diffLowPct: null, diffHighPct: null, status: within ? 'reproduces' : 'differs', needs: null };
    }
    return { ...base, ...judged, within: judged.status === 'reproduces' ? true : judged.status === 'differs' ? false : null };
  });
  for (let i = 1; i < results.length; i++) {
    // Different systems are the point of a cross-system check; the setup must still match.
    warnings.push(...setupDifferences(results[0]!, results[i]!, labels[0]!, labels[i]!).filter((w) => !w.startsWith('endpoint count')));
  }
  for (const row of rows) {
    if (row.status === 'missing' && row.values.some((v) => v !== null)) {
      warnings.push(`${row.metric} has no value on ${row.values.map((v, i) => (v === null ? labels[i] : null)).filter(Boolean).join(', ')}`);
    }
  }
  const ranked = rows.filter((r) => r.largestDiffPct !== null && Number.isFinite(r.largestDiffPct)).sort((a, b) => b.largestDiffPct! - a.largestDiffPct!);
  const top = ranked[0];
  return {
    tolerancePct,
    confidence,
    labels,
    systems: results.map((r) => (typeof r.system?.['system_name'] === 'string' ? (r.system['system_name'] as string) : null)),
    accelerators,
    perAccelerator,
    rows,
    largest: top === undefined ? null : { metric: top.metric, pct: top.largestDiffPct!, lowPct: top.diffLowPct, highPct: top.diffHighPct, between: top.between! },
    warnings: [...new Set(warnings)],
    passed: rows.every((r) => r.status !== 'differs'),
  };
}

/** Every pair's change interval: the verdict over all pairs, and the interval of the (iMin, iMax) pair. null: no interval method. */
function judgePairs(
  results: readonly ResultJson[],
  labels: readonly string[],
  scales: readonly number[],
  ref: Parameters<typeof changeInterval>[0],
  confidence: number,
  tolerancePct: number,
  iMin: number,
  iMax: number,
): Pick<SpreadRow, 'method' | 'diffLowPct' | 'diffHighPct' | 'status' | 'needs'> | null {
  let method: IntervalMethod | null = null;
  let anyBeyond = false;
  let allWithin = true;
  let needs: string | null = null;
  let low: number | null = null;
  let high: number | null = null;
  for (let i = 0; i < results.length; i++) {
    for (let j = i + 1; j < results.length; j++) {
      const ci = changeInterval(ref, results[i]!, results[j]!, confidence, [labels[i]!, labels[j]!], [scales[i]!, scales[j]!]);
      if (ci === null) return null;
      method = ci.method;
      if ('needs' in ci) {
        needs ??= ci.needs;
        allWithin = false;
        continue;
      }
      // the size of the difference either way: |ratio − 1| bounded through the interval of the ratio
      const [lo, hi] = [ci.lowPct, ci.highPct];
      const absLow = lo > 0 ? lo : hi < 0 ? -hi / (1 + hi / 100) : 0;
      const absHigh = Math.max(hi, lo < 0 ? -lo / (1 + lo / 100) : 0);
      if (absLow > tolerancePct) anyBeyond = true;
      if (absHigh > tolerancePct) allWithin = false;
      if ((i === iMin && j === iMax) || (i === iMax && j === iMin)) [low, high] = [absLow, absHigh];
    }
  }
  if (method === null) return null;
  const status: ReproduceStatus = anyBeyond ? 'differs' : needs !== null ? 'insufficient' : allWithin ? 'reproduces' : 'noise';
  return { method, diffLowPct: low, diffHighPct: high, status, needs };
}
