/**
 * Text and Markdown renderings of `compare` and `compare --reproduce`: pure
 * functions of a Comparison or Reproduction.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { formatMetricValue, type MetricDef } from '../metrics/thresholds.js';
import type { Comparison, DeltaStatus, MetricDelta } from './compare.js';
import type { Reproduction, ReproduceStatus, SpreadRow } from './reproduce.js';

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
  noise: 'within noise',
  insufficient: 'not enough data',
  info: '',
  missing: 'n/a',
};

function confText(confidence: number): string {
  return `${Number((confidence * 100).toFixed(2))}%`;
}

/** `-3.1% … +0.4%` for an interval of a change; '' without one. */
function rangeText(low: number | null, high: number | null): string {
  return low === null || high === null ? '' : `${pct(low)} … ${pct(high)}`;
}

function longerText(f: number | null): string {
  return f === null || !Number.isFinite(f) ? '' : f < 1.05 ? ' (slightly longer runs)' : ` (about ${f < 10 ? f.toFixed(1) : Math.ceil(f)}× longer runs)`;
}

/** Lines under the table: which metrics lack data and what would give it. */
function needsLines(deltas: readonly MetricDelta[]): string[] {
  return deltas
    .filter((d) => d.status === 'insufficient')
    .map((d) => `not enough data for ${d.metric}: needs ${d.needs ?? 'longer runs'}${longerText(d.longerFactor)}`);
}

/** Plain-text table of a comparison, for the terminal. */
export function renderComparison(c: Comparison, opts: RenderOptions): string {
  const k = chalkFor(opts.color);
  const header = ['metric', c.baseLabel, c.nextLabel, 'delta', 'delta %', `${confText(c.confidence)} CI`, `verdict (tolerance ${c.tolerancePct}%)`];
  const rows = c.deltas.map((d) => [
    d.metric + (d.tolerancePct !== c.tolerancePct ? ` (±${d.tolerancePct}%)` : ''),
    formatMetricValue(d.base, d),
    formatMetricValue(d.next, d),
    signedValue(d.deltaAbs, d),
    pct(d.deltaPct),
    rangeText(d.changeLowPct, d.changeHighPct),
    STATUS_TEXT[d.status],
  ]);
  const paint = (row: string[], i: number): string[] => {
    const status = c.deltas[i]!.status;
    const p = status === 'regression' ? k.red.bold : status === 'improvement' ? k.green : status === 'missing' || status === 'insufficient' ? k.dim : (s: string) => s;
    return row.map((cell, j) => (j >= 3 ? p(cell) : cell));
  };
  const lines = [table([header, ...rows], (row, i) => (i === 0 ? row.map((h) => k.bold(h)) : paint(row, i - 1)))];
  lines.push(...needsLines(c.deltas).map((l) => k.dim(l)));
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
  const icon: Record<DeltaStatus, string> = { regression: '❌', improvement: '🟢', within: '✅', noise: '〰️', insufficient: '⏳', info: 'ℹ️', missing: '➖' };
  const out = [
    `## tokbench compare ${c.passed ? '✅' : '❌'}`,
    '',
    `\`${mdCell(c.nextLabel)}\` against baseline \`${mdCell(c.baseLabel)}\`, tolerance ${c.tolerancePct}%; a regression only when the whole ${confText(c.confidence)} interval of the change is beyond it.`,
    '',
    `| | metric | base | new | delta | delta % | ${confText(c.confidence)} CI | verdict |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...c.deltas.map((d) =>
      `| ${icon[d.status]} | \`${mdCell(d.metric)}\` | ${formatMetricValue(d.base, d)} | ${formatMetricValue(d.next, d)} | ${signedValue(d.deltaAbs, d)} | ${pct(d.deltaPct)} | ${rangeText(d.changeLowPct, d.changeHighPct)} | ${STATUS_TEXT[d.status]} |`,
    ),
  ];
  const needs = needsLines(c.deltas);
  if (needs.length > 0) out.push('', ...needs.map((l) => `- ${mdText(l)}`));
  if (c.warnings.length > 0) out.push('', '> [!WARNING]', ...c.warnings.map((w) => `> - ${mdText(w)}`));
  return `${out.join('\n')}\n`;
}

const REPRO_TEXT: Record<ReproduceStatus, string> = {
  reproduces: 'yes',
  differs: 'NO',
  noise: 'within noise',
  insufficient: 'not enough data',
  missing: 'n/a',
};

function diffText(row: SpreadRow): string {
  if (row.largestDiffPct === null) return '';
  const ci = row.diffLowPct === null || row.diffHighPct === null ? '' : ` (${pct(row.diffLowPct, false)} … ${pct(row.diffHighPct, false)})`;
  return `${pct(row.largestDiffPct, false)}${ci}`;
}

/** The sentence a partner would write: the largest difference, its interval, and the verdict. */
export function reproduceStatement(r: Reproduction): string {
  const who = r.systems.every((s) => s !== null) && new Set(r.systems).size > 1 ? `${r.labels.length} systems` : `${r.labels.length} runs`;
  const per = r.perAccelerator ? ', rates per accelerator' : '';
  if (r.largest === null) return `${who}${per}: no metric has a value on every run`;
  const l = r.largest;
  const ci = l.lowPct === null || l.highPct === null ? ' (no interval: not enough data)' : ` (${confText(r.confidence)} CI ${pct(l.lowPct, false)} … ${pct(l.highPct, false)})`;
  const verdict = r.passed
    ? r.rows.every((x) => x.status === 'reproduces')
      ? `reproduce within ${r.tolerancePct}%`
      : `are not shown to differ beyond ${r.tolerancePct}% (some metrics within noise or short of data)`
    : `do NOT reproduce within ${r.tolerancePct}%`;
  return `${who}${per}: largest difference ${pct(l.pct, false)}${ci} in ${l.metric}, between ${l.between[0]} and ${l.between[1]}; they ${verdict}`;
}

/** Plain-text table of a reproducibility check. */
export function renderReproduce(r: Reproduction, opts: RenderOptions): string {
  const k = chalkFor(opts.color);
  const header = ['metric', ...r.labels, 'mean', 'spread', `largest diff (${confText(r.confidence)} CI)`, `within ${r.tolerancePct}%`];
  const rows = r.rows.map((row) => [
    row.metric + (row.perAccelerator ? ' /acc' : ''),
    ...row.values.map((v) => formatMetricValue(v, row)),
    formatMetricValue(row.mean, row),
    row.spreadPct === null ? '' : `±${pct(row.spreadPct, false)}`,
    diffText(row),
    REPRO_TEXT[row.status],
  ]);
  const lines = [
    table([header, ...rows], (row, i) => {
      if (i === 0) return row.map((h) => k.bold(h));
      return r.rows[i - 1]!.status === 'differs' ? row.map((cell) => k.red(cell)) : row;
    }),
  ];
  for (const row of r.rows) if (row.status === 'insufficient') lines.push(k.dim(`not enough data for ${row.metric}: needs ${row.needs ?? 'longer runs'}`));
  lines.push(...r.warnings.map((w) => k.yellow(`warning: ${w}`)));
  const outside = r.rows.filter((row) => row.status === 'differs');
  const pointOnly = r.rows.every((row) => row.method === 'point');
  if (pointOnly) {
    lines.push(
      outside.length === 0
        ? k.green(`all ${r.labels.length} runs within ±${r.tolerancePct}% of their mean`)
        : k.red.bold(`not reproducible within ±${r.tolerancePct}%: ${outside.map((row) => `${row.metric} ±${pct(row.spreadPct, false)}`).join(', ')}`),
    );
  } else {
    lines.push(r.passed ? k.green(reproduceStatement(r)) : k.red.bold(reproduceStatement(r)));
    if (outside.length > 0) lines.push(k.red.bold(`differ beyond ${r.tolerancePct}%: ${outside.map((row) => `${row.metric} ${diffText(row)}`).join(', ')}`));
  }
  return `${lines.join('\n')}\n`;
}

/** Markdown of a reproducibility check. */
export function renderReproduceMarkdown(r: Reproduction): string {
  const icon: Record<ReproduceStatus, string> = { reproduces: '✅', differs: '❌', noise: '〰️', insufficient: '⏳', missing: '➖' };
  const out = [
    `## tokbench reproducibility ${r.passed ? '✅' : '❌'}`,
    '',
    `${reproduceStatement(r)}.`,
    '',
    `| | metric | ${r.labels.map(mdCell).join(' | ')} | mean | spread | largest diff (${confText(r.confidence)} CI) |`,
    `| --- | --- | ${r.labels.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
    ...r.rows.map((row) =>
      `| ${icon[row.status]} | \`${mdCell(row.metric)}\`${row.perAccelerator ? ' per accelerator' : ''} | ${row.values.map((v) => formatMetricValue(v, row)).join(' | ')} | ${formatMetricValue(row.mean, row)} | ${row.spreadPct === null ? '' : `±${pct(row.spreadPct, false)}`} | ${diffText(row)} |`,
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
