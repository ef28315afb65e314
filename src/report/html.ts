/**
 * report.html: one self-contained page that opens offline (no CDN, no fetch):
 * uPlot's script and stylesheet are inlined from node_modules at render time,
 * the data is embedded as JSON, and a Content-Security-Policy forbids any
 * network access. A pure function of its inputs (plus the uPlot files).
 *
 * Plots (docs/reports.md says what each shows and how it is computed):
 * output tokens/s and requests in flight over time (per-second buckets), TTFT,
 * TPOT, ITL and e2e latency CDFs from the HDR histograms with percentile
 * marks, TTFT against scheduled time (result.requestSample), per-endpoint
 * bars, server telemetry series by panel, and a find-peak curve when given.
 * Panels: headline figures, validity, thresholds, the scenario with where each
 * value came from. Several results overlay in one page (`report A B --format html`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decode } from '../metrics/histogram.js';
import type { FindPeakResult, LatencyStats, ResultJson, TelemetrySeries } from '../metrics/types.js';
import { PANEL_TITLES, PANEL_UNITS, catalogEntry, type TelemetryPanel } from '../telemetry/catalog.js';
import { DASH, formatCount, formatDurationMs, formatNumber, formatPlain } from './format.js';
import { CLIENT_JS } from './html-client.js';
import { REPORT_CSS } from './html-style.js';

export interface HtmlRun {
  /** short name shown in legends (a file or directory name) */
  label: string;
  result: ResultJson;
}

export interface HtmlOptions {
  findPeak?: FindPeakResult | null;
  /** label of the find-peak result */
  findPeakLabel?: string;
  /** override the inlined uPlot (tests) */
  uplot?: { js: string; css: string };
}

const PALETTE = ['#2563eb', '#dc2626', '#059669', '#7c3aed', '#d97706', '#0891b2', '#db2777', '#4b5563'];
const MAX_TELEMETRY_CHARTS = 30;
const MAX_SERIES_PER_CHART = 16;

interface SeriesSpec {
  label: string;
  color: string;
  x: number[];
  y: (number | null)[];
  unit?: string;
  scale?: 'y' | 'y2';
  dash?: number[];
  width?: number;
  show?: boolean;
  points?: boolean;
  size?: number;
  align?: -1 | 0 | 1;
  fill?: string;
}

export interface ChartSpec {
  id: string;
  title: string;
  kind: 'line' | 'scatter' | 'bars';
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  xLog?: boolean;
  yLog?: boolean;
  yRange?: [number, number];
  y2Range?: [number, number];
  height?: number;
  xTicks?: string[];
  xTickLabels?: Record<string, string>;
  series: SeriesSpec[];
  /** vertical marks; with y, drawn up to (x, y) with a dot (percentile marks on a CDF) */
  marks?: { x: number; y?: number; label: string; color: string }[];
  hlines?: { y: number; label: string; color: string; scale?: 'y' | 'y2' }[];
  bands?: { from: number; to: number; label: string; color?: string }[];
  flagged?: { x: number; y: number; scale?: 'y' | 'y2' }[];
}

let uplotCache: { js: string; css: string } | null = null;

/** uPlot's minified IIFE build and stylesheet, from the installed package. */
export function loadUplot(): { js: string; css: string } {
  if (uplotCache) return uplotCache;
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('uplot/package.json')), 'dist');
  const js = readFileSync(join(dir, 'uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(join(dir, 'uPlot.min.css'), 'utf8');
  uplotCache = { js, css };
  return uplotCache;
}

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script> element */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function scriptText(code: string): string {
  if (/<\/script/i.test(code) || /<!--/.test(code)) throw new Error('inlined script contains </script or <!--');
  return code;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

// ---------------------------------------------------------------------------
// charts

function throughputChart(runs: HtmlRun[]): ChartSpec | null {
  const series: SeriesSpec[] = [];
  const hlines: ChartSpec['hlines'] = [];
  const bands: ChartSpec['bands'] = [];
  runs.forEach((run, i) => {
    const ts = run.result.timeSeries ?? [];
    if (ts.length === 0) return;
    const color = PALETTE[i % PALETTE.length]!;
    const durS = run.result.summary.durationMs / 1000;
    const x: number[] = [];
    const y: number[] = [];
    for (const b of ts) {
      // the second holding the end of the window counts only its covered part
      let len = 1;
      if (b === ts[ts.length - 1] && durS > b.t && durS < b.t + 1) len = durS - b.t;
      x.push(b.t + len / 2);
      y.push(r3(b.outputTokens / len));
    }
    series.push({ label: runs.length > 1 ? `${run.label} output tok/s` : 'output tokens/s (per second)', color, x, y, unit: 'tok/s', points: ts.length < 30 });
    const s = run.result.summary;
    if (s.durationMs > 0) hlines.push({ y: s.outputTokensPerSecond, label: `${runs.length > 1 ? `${run.label}: ` : ''}run ${formatNumber(s.outputTokensPerSecond)} tok/s`, color });
    if (s.steadyState && runs.length === 1) bands.push({ from: s.steadyState.startMs / 1000, to: s.steadyState.endMs / 1000, label: 'steady state' });
  });
  if (series.length === 0) return null;
  return { id: 'throughput', title: 'Output tokens/s over time', kind: 'line', xLabel: 'time since start (s)', yLabel: 'output tokens/s', series, hlines, bands };
}

function inFlightChart(runs: HtmlRun[]): ChartSpec | null {
  const series: SeriesSpec[] = [];
  runs.forEach((run, i) => {
    const ts = run.result.timeSeries ?? [];
    if (ts.length === 0) return;
    const color = PALETTE[i % PALETTE.length]!;
    series.push({
      label: runs.length > 1 ? `${run.label} in flight` : 'requests in flight (end of each second)',
      color,
      x: ts.map((b) => b.t + 1),
      y: ts.map((b) => b.inFlight),
      unit: 'requests',
      points: ts.length < 30,
    });
    if (runs.length === 1) {
      series.push({ label: 'completed per second (right axis)', color: '#9ca3af', x: ts.map((b) => b.t + 0.5), y: ts.map((b) => b.completed), unit: 'req/s', width: 1.25, dash: [4, 3], scale: 'y2' });
    }
  });
  if (series.length === 0) return null;
  const spec: ChartSpec = { id: 'inflight', title: 'Requests in flight over time', kind: 'line', xLabel: 'time since start (s)', yLabel: 'requests in flight', series };
  if (series.some((s) => s.scale === 'y2')) spec.y2Label = 'completed (req/s)';
  return spec;
}

/** Percentiles at which the CDF is drawn: fine in the tail, where the interesting part is. */
export const CDF_PERCENTILES: readonly number[] = (() => {
  const ps: number[] = [];
  for (let p = 0; p < 90; p += 1) ps.push(p);
  for (let p = 90; p < 99; p += 0.5) ps.push(r3(p));
  for (let p = 99; p < 99.9; p += 0.1) ps.push(r3(p));
  for (let p = 99.9; p < 99.99; p += 0.01) ps.push(r3(p));
  ps.push(99.99, 99.995, 99.999, 100);
  return ps;
})();

/** (latency ms, cumulative %) points of an encoded histogram (µs); null when empty or unreadable. */
export function cdfPoints(encoded: string | undefined): { x: number[]; y: number[] } | null {
  if (!encoded) return null;
  let h;
  try {
    h = decode(encoded);
  } catch {
    return null;
  }
  if (h.totalCount === 0) return null;
  const x: number[] = [];
  const y: number[] = [];
  for (const p of CDF_PERCENTILES) {
    const v = h.getValueAtPercentile(p) / 1000;
    x.push(r3(v));
    y.push(p);
  }
  return { x, y };
}

const MARKS: readonly [keyof LatencyStats, string, number][] = [
  ['p50', 'p50', 50],
  ['p90', 'p90', 90],
  ['p99', 'p99', 99],
  ['p999', 'p99.9', 99.9],
];

function cdfChart(runs: HtmlRun[], key: 'ttftUs' | 'tpotUs' | 'itlUs' | 'e2eUs', statKey: 'ttftMs' | 'tpotMs' | 'itlMs' | 'e2eMs', title: string): ChartSpec | null {
  const series: SeriesSpec[] = [];
  const marks: NonNullable<ChartSpec['marks']> = [];
  let lo = Infinity;
  let hi = 0;
  runs.forEach((run, i) => {
    const pts = cdfPoints(run.result.histograms?.[key]);
    if (pts === null) return;
    const color = PALETTE[i % PALETTE.length]!;
    series.push({ label: runs.length > 1 ? run.label : title.split(' ')[0]!, color, x: pts.x, y: pts.y, unit: '%' });
    const st = run.result.summary.latency[statKey];
    const marksFor = runs.length > 1 ? MARKS.filter(([k]) => k === 'p50' || k === 'p99') : MARKS;
    for (const [k, name, p] of marksFor) {
      const v = st?.[k];
      if (typeof v === 'number' && Number.isFinite(v)) marks.push({ x: v, y: p, label: `${name} ${formatDurationMs(v)}`, color });
    }
    const p10 = pts.x[10]!;
    if (p10 > 0) lo = Math.min(lo, p10);
    hi = Math.max(hi, pts.x[pts.x.length - 1]!);
  });
  if (series.length === 0) return null;
  // a long tail squeezes the body of a linear plot against the axis: go logarithmic
  const xLog = Number.isFinite(lo) && lo > 0 && hi / lo > 30;
  if (xLog) for (const s of series) s.x = s.x.map((v) => Math.max(v, 0.001));
  return {
    id: `cdf-${key.replace(/Us$/, '')}`,
    title,
    kind: 'line',
    xLabel: `latency (ms${xLog ? ', log scale' : ''})`,
    yLabel: 'requests at or below (%)',
    ...(key === 'itlUs' ? { yLabel: 'tokens at or below (%)' } : {}),
    xLog,
    yRange: [0, 100],
    series,
    marks,
  };
}

function ttftScatter(runs: HtmlRun[]): { chart: ChartSpec | null; note: string } {
  const series: SeriesSpec[] = [];
  const notes: string[] = [];
  let byFirstToken = false;
  runs.forEach((run) => {
    const s = run.result.requestSample;
    if (!s || s.scheduledMs.length === 0) return;
    const allSame = s.scheduledMs.every((v) => v === s.scheduledMs[0]);
    if (allSame) byFirstToken = true;
  });
  runs.forEach((run, i) => {
    const s = run.result.requestSample;
    if (!s || s.scheduledMs.length === 0) return;
    const color = PALETTE[i % PALETTE.length]!;
    const pts: [number, number, number | null][] = [];
    for (let k = 0; k < s.scheduledMs.length; k++) {
      const ttft = s.ttftMs[k];
      if (ttft === null || ttft === undefined) continue;
      const x = byFirstToken ? s.scheduledMs[k]! + ttft : s.scheduledMs[k]!;
      pts.push([x / 1000, ttft, s.e2eMs[k] ?? null]);
    }
    if (pts.length === 0) return;
    pts.sort((a, b) => a[0] - b[0]);
    // uPlot needs strictly increasing x within a series: nudge ties by a nanosecond
    for (let k = 1; k < pts.length; k++) if (pts[k]![0] <= pts[k - 1]![0]) pts[k]![0] = pts[k - 1]![0] + 1e-9;
    const x = pts.map((p) => p[0]);
    series.push({ label: runs.length > 1 ? `${run.label} TTFT` : 'TTFT', color, x, y: pts.map((p) => p[1]), unit: 'ms', size: 4 });
    series.push({ label: runs.length > 1 ? `${run.label} E2E` : 'E2E (click to show)', color: runs.length > 1 ? color : '#9ca3af', x, y: pts.map((p) => p[2]), unit: 'ms', size: 3, show: false });
    notes.push(`${runs.length > 1 ? `${run.label}: ` : ''}${formatCount(pts.length)} of ${formatCount(s.seen)} queries`);
  });
  if (series.length === 0) return { chart: null, note: 'no per-request sample in this result (results from older versions have none)' };
  const ttftConstraint = runs[0]?.result.scenario.constraints.ttftP99Ms ?? null;
  const chart: ChartSpec = {
    id: 'ttft-scatter',
    title: byFirstToken ? 'TTFT against time of first token' : 'TTFT against scheduled time',
    kind: 'scatter',
    xLabel: byFirstToken ? 'first token at (s since start)' : 'scheduled at (s since start)',
    yLabel: 'TTFT (ms)',
    series,
    height: 300,
  };
  if (ttftConstraint !== null) chart.hlines = [{ y: ttftConstraint, label: `TTFT p99 constraint ${formatDurationMs(ttftConstraint)}`, color: '#dc2626' }];
  const note =
    `A deterministic sample: ${notes.join('; ')}. ` +
    (byFirstToken
      ? 'Every query was scheduled at t = 0 (Offline), so each is placed at the time its first token arrived: the slope is the queue draining.'
      : 'Latency counts from the scheduled time, so a server falling behind shows as TTFT climbing with time.');
  return { chart, note };
}

function endpointBars(runs: HtmlRun[]): ChartSpec | null {
  const urls: string[] = [];
  for (const run of runs) for (const e of run.result.perEndpoint ?? []) if (!urls.includes(e.url)) urls.push(e.url);
  if (urls.length === 0) return null;
  const series: SeriesSpec[] = [];
  runs.forEach((run, i) => {
    const y = urls.map((u) => {
      const e = run.result.perEndpoint.find((p) => p.url === u);
      return e && e.durationMs > 0 ? r3(e.outputTokensPerSecond) : null;
    });
    const align: -1 | 0 | 1 = runs.length === 2 ? (i === 0 ? -1 : 1) : 0;
    series.push({ label: runs.length > 1 ? `${run.label} output tok/s` : 'output tokens/s', color: PALETTE[i % PALETTE.length]!, x: urls.map((_, k) => k), y, unit: 'tok/s', align });
  });
  return { id: 'endpoints', title: 'Output tokens/s per endpoint', kind: 'bars', xLabel: 'endpoint', yLabel: 'output tokens/s', xTicks: urls.map(shortUrl), series, height: 240 };
}

function shortUrl(u: string): string {
  try {
    const url = new URL(u);
    return url.host + (url.pathname === '/' ? '' : url.pathname);
  } catch {
    return u;
  }
}

/** labels that tell apart the series of one chart (e.g. gpu="3"); the rest are noise in a legend */
function distinguishing(series: { labels: Record<string, string> }[]): string[] {
  const keys = new Set<string>();
  for (const s of series) for (const k of Object.keys(s.labels)) keys.add(k);
  return [...keys].filter((k) => new Set(series.map((s) => s.labels[k] ?? '')).size > 1).sort();
}

function telemetryCharts(runs: HtmlRun[]): { charts: ChartSpec[]; omitted: number } {
  interface Item {
    run: number;
    s: TelemetrySeries;
  }
  const groups = new Map<string, { title: string; unit: string; items: Item[] }>();
  runs.forEach((run, i) => {
    for (const s of run.result.telemetry?.series ?? []) {
      if (!Array.isArray(s.points) || s.points.length === 0) continue;
      const entry = catalogEntry(s.name);
      let key: string;
      let title: string;
      let unit: string;
      if (entry !== undefined) {
        key = `panel:${entry.panel}`;
        title = PANEL_TITLES[entry.panel as TelemetryPanel];
        unit = PANEL_UNITS[entry.panel as TelemetryPanel];
        if (entry.panel === 'requests' && s.unit === 'requests/s') {
          key = 'panel:preemptions';
          title = 'Server: preemptions';
          unit = 'per second';
        }
      } else {
        key = `metric:${s.name}`;
        title = s.name;
        unit = s.unit ?? (s.kind === 'rate' ? 'per second' : 'value');
      }
      let g = groups.get(key);
      if (g === undefined) {
        g = { title, unit, items: [] };
        groups.set(key, g);
      }
      g.items.push({ run: i, s });
    }
  });
  const charts: ChartSpec[] = [];
  let omitted = 0;
  let n = 0;
  for (const [key, g] of groups) {
    // a flat zero says nothing a note cannot (no preemption happened)
    if (key === 'panel:preemptions' && g.items.every((it) => it.s.points.every((p) => p[1] === 0))) continue;
    if (charts.length >= MAX_TELEMETRY_CHARTS) {
      omitted++;
      continue;
    }
    const items = g.items.slice(0, MAX_SERIES_PER_CHART);
    const diff = distinguishing(items.map((it) => it.s));
    const names = new Set(items.map((it) => it.s.title ?? it.s.name));
    const sources = new Set(items.map((it) => `${it.run}:${it.s.source}`));
    const series: SeriesSpec[] = items.map((it, k) => {
      const parts: string[] = [];
      if (runs.length > 1) parts.push(runs[it.run]!.label);
      if (names.size > 1 || (diff.length === 0 && parts.length === 0)) parts.push(it.s.title ?? catalogEntry(it.s.name)?.title ?? it.s.name);
      if (diff.length > 0) parts.push(diff.map((d) => `${d}=${it.s.labels[d] ?? ''}`).join(','));
      if (sources.size > 1 && runs.length === 1) parts.push(`source ${it.s.source + 1}`);
      const color = runs.length > 1 && names.size === 1 && diff.length === 0 ? PALETTE[it.run % PALETTE.length]! : PALETTE[k % PALETTE.length]!;
      return {
        label: parts.join(' '),
        color,
        x: it.s.points.map((p) => p[0] / 1000),
        y: it.s.points.map((p) => p[1]),
        unit: g.unit === 'value' ? '' : g.unit,
        points: it.s.points.length < 30,
      };
    });
    const kindNote = items.some((it) => it.s.kind === 'rate') ? ' (counter, as a rate)' : '';
    charts.push({
      id: `telemetry-${n++}`,
      title: g.title + (key.startsWith('metric:') ? kindNote : ''),
      kind: 'line',
      xLabel: 'time since start (s)',
      yLabel: g.unit,
      ...(g.unit === '%' ? { yRange: [0, 100] as [number, number] } : {}),
      series,
      height: 220,
    });
  }
  return { charts, omitted };
}

function findPeakChart(fp: FindPeakResult): ChartSpec | null {
  const curve = [...(fp.curve ?? [])].filter((p) => Number.isFinite(p.qps)).sort((a, b) => a.qps - b.qps);
  if (curve.length === 0) return null;
  const x = curve.map((p) => p.qps);
  const chart: ChartSpec = {
    id: 'find-peak',
    title: 'Find peak: throughput and p99 latency against offered load',
    kind: 'line',
    xLabel: 'offered load (queries/s)',
    yLabel: 'output tokens/s',
    y2Label: 'p99 latency (ms)',
    series: [
      { label: 'output tokens/s', color: PALETTE[0]!, x, y: curve.map((p) => p.outputTokensPerSecond), unit: 'tok/s', points: true, width: 2.25 },
      { label: 'TTFT p99', color: PALETTE[1]!, x, y: curve.map((p) => p.ttftP99Ms), unit: 'ms', scale: 'y2', points: true },
      { label: 'TPOT p99', color: PALETTE[3]!, x, y: curve.map((p) => p.tpotP99Ms), unit: 'ms', scale: 'y2', points: true, dash: [6, 4] },
    ],
    flagged: curve.filter((p) => !p.valid).map((p) => ({ x: p.qps, y: p.outputTokensPerSecond })),
    height: 320,
  };
  const c = fp.details?.constraints;
  const hl: NonNullable<ChartSpec['hlines']> = [];
  if (c?.ttftP99Ms != null) hl.push({ y: c.ttftP99Ms, label: `TTFT constraint ${formatDurationMs(c.ttftP99Ms)}`, color: PALETTE[1]!, scale: 'y2' });
  if (c?.tpotP99Ms != null) hl.push({ y: c.tpotP99Ms, label: `TPOT constraint ${formatDurationMs(c.tpotP99Ms)}`, color: PALETTE[3]!, scale: 'y2' });
  if (hl.length) chart.hlines = hl;
  if (fp.peakQps != null) chart.marks = [{ x: fp.peakQps, label: `peak ${formatPlain(fp.peakQps)} qps`, color: '#059669' }];
  return chart;
}

/** A find-peak result (has a `curve` array and no run summary). */
export function isFindPeakResult(v: unknown): v is FindPeakResult {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return Array.isArray(o.curve) && o.summary === undefined;
}

// ---------------------------------------------------------------------------
// panels

function kpi(label: string, value: string, unit: string, detail = ''): string {
  return `<div class="kpi"><div class="label">${esc(label)}</div><div class="value">${esc(value)}${unit ? `<span class="unit">${esc(unit)}</span>` : ''}</div>${detail ? `<div class="detail">${esc(detail)}</div>` : ''}</div>`;
}

function splitDuration(ms: number | null | undefined): [string, string] {
  const t = formatDurationMs(ms);
  const i = t.lastIndexOf(' ');
  return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1)];
}

function headline(r: ResultJson): string {
  const s = r.summary;
  const has = s.durationMs > 0;
  const cards: string[] = [];
  cards.push(kpi('Output throughput', has ? formatNumber(s.outputTokensPerSecond) : DASH, 'tok/s', s.steadyState ? `steady state ${formatNumber(s.steadyState.outputTokensPerSecond)} tok/s` : `window ${formatDurationMs(s.durationMs)}`));
  cards.push(kpi('Total throughput', has ? formatNumber(s.totalTokensPerSecond) : DASH, 'tok/s', 'input + output'));
  cards.push(kpi('Requests', has ? formatNumber(s.requestsPerSecond) : DASH, 'req/s', s.goodputRequestsPerSecond === null ? 'no SLO set for goodput' : `goodput ${formatNumber(s.goodputRequestsPerSecond)} req/s`));
  const lat = (label: string, st: LatencyStats | null | undefined, constraint: number | null) => {
    const [v, u] = st ? splitDuration(st.p99) : [DASH, ''];
    return kpi(label, v, u, st ? `p50 ${formatDurationMs(st.p50)}${constraint !== null ? ` · limit ${formatDurationMs(constraint)}` : ''}` : r.scenario.stream === false ? 'not streamed' : 'no data');
  };
  cards.push(lat('TTFT p99', s.latency.ttftMs, r.scenario.constraints.ttftP99Ms));
  cards.push(lat('TPOT p99', s.latency.tpotMs, r.scenario.constraints.tpotP99Ms));
  cards.push(kpi('Queries', formatCount(s.completed), 'completed', `${formatCount(s.failed)} failed of ${formatCount(s.issued)} issued`));
  if (typeof s.outputTokensPerJoule === 'number') {
    const e = r.telemetry?.energy;
    cards.push(kpi('Energy efficiency', formatNumber(s.outputTokensPerJoule), 'tok/J', e ? `${formatNumber(e.averagePowerW)} W average, ${e.gpus} GPU${e.gpus === 1 ? '' : 's'}` : ''));
  }
  return `<div class="kpis">${cards.join('')}</div>`;
}

interface CompareRow {
  label: string;
  get: (r: ResultJson) => number | null | undefined;
  fmt: (v: number) => string;
  /** higher is better */
  up: boolean;
}

function compareTable(runs: HtmlRun[]): string {
  const p99 = (k: 'ttftMs' | 'tpotMs' | 'itlMs' | 'e2eMs') => (r: ResultJson) => r.summary.latency[k]?.p99 ?? null;
  const p50 = (k: 'ttftMs' | 'tpotMs' | 'itlMs' | 'e2eMs') => (r: ResultJson) => r.summary.latency[k]?.p50 ?? null;
  const rows: CompareRow[] = [
    { label: 'Output tokens/s', get: (r) => (r.summary.durationMs > 0 ? r.summary.outputTokensPerSecond : null), fmt: formatNumber, up: true },
    { label: 'Total tokens/s', get: (r) => (r.summary.durationMs > 0 ? r.summary.totalTokensPerSecond : null), fmt: formatNumber, up: true },
    { label: 'Requests/s', get: (r) => (r.summary.durationMs > 0 ? r.summary.requestsPerSecond : null), fmt: formatNumber, up: true },
    { label: 'Goodput (req/s)', get: (r) => r.summary.goodputRequestsPerSecond, fmt: formatNumber, up: true },
    { label: 'TTFT p50', get: p50('ttftMs'), fmt: formatDurationMs, up: false },
    { label: 'TTFT p99', get: p99('ttftMs'), fmt: formatDurationMs, up: false },
    { label: 'TPOT p50', get: p50('tpotMs'), fmt: formatDurationMs, up: false },
    { label: 'TPOT p99', get: p99('tpotMs'), fmt: formatDurationMs, up: false },
    { label: 'ITL p99', get: p99('itlMs'), fmt: formatDurationMs, up: false },
    { label: 'E2E p99', get: p99('e2eMs'), fmt: formatDurationMs, up: false },
    { label: 'Failed', get: (r) => r.summary.failed, fmt: formatCount, up: false },
    { label: 'Output tokens/J', get: (r) => r.summary.outputTokensPerJoule, fmt: formatNumber, up: true },
  ];
  const head = `<tr><th>metric</th>${runs.map((r, i) => `<th class="num"><span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>${esc(r.label)}</th>`).join('')}${runs.slice(1).map((r) => `<th class="num">Δ ${esc(r.label)}</th>`).join('')}</tr>`;
  const body = rows
    .filter((row) => runs.some((r) => typeof row.get(r.result) === 'number'))
    .map((row) => {
      const vals = runs.map((r) => row.get(r.result));
      const base = vals[0];
      const cells = vals.map((v) => `<td class="num">${typeof v === 'number' ? esc(row.fmt(v)) : DASH}</td>`).join('');
      const deltas = vals
        .slice(1)
        .map((v) => {
          if (typeof v !== 'number' || typeof base !== 'number' || base === 0) return `<td class="num">${DASH}</td>`;
          const d = (v - base) / Math.abs(base);
          const cls = Math.abs(d) < 0.005 ? '' : (d > 0) === row.up ? 'better' : 'worse';
          return `<td class="num delta ${cls}">${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)}%</td>`;
        })
        .join('');
      return `<tr><td>${esc(row.label)}</td>${cells}${deltas}</tr>`;
    })
    .join('');
  return `<div class="tablewrap"><table>${head}${body}</table></div>`;
}

function latencyTable(r: ResultJson): string {
  const rows: [string, LatencyStats | null | undefined][] = [
    ['TTFT', r.summary.latency.ttftMs],
    ['TPOT', r.summary.latency.tpotMs],
    ['ITL per token', r.summary.latency.itlMs],
    ['ITL per chunk', r.summary.latency.chunkGapMs],
    ['E2E', r.summary.latency.e2eMs],
    ['Issue delay', r.summary.latency.issueDelayMs],
  ];
  const cols: [keyof LatencyStats, string][] = [['mean', 'mean'], ['p50', 'p50'], ['p90', 'p90'], ['p95', 'p95'], ['p99', 'p99'], ['p999', 'p99.9'], ['max', 'max']];
  const head = `<tr><th>latency</th>${cols.map(([, h]) => `<th class="num">${h}</th>`).join('')}<th class="num">count</th></tr>`;
  const body = rows
    .map(([name, st]) => `<tr><td>${name}</td>${cols.map(([k]) => `<td class="num">${st ? esc(formatDurationMs(st[k])) : DASH}</td>`).join('')}<td class="num">${st ? formatCount(st.count) : DASH}</td></tr>`)
    .join('');
  return `<div class="tablewrap"><table>${head}${body}</table></div>`;
}

function endpointTable(r: ResultJson): string {
  const head = '<tr><th>endpoint</th><th>model</th><th class="num">completed</th><th class="num">failed</th><th class="num">output tok/s</th><th class="num">TTFT p99</th><th class="num">TPOT p99</th></tr>';
  const body = (r.perEndpoint ?? [])
    .map((e) => {
      const p = (st: LatencyStats | null | undefined) => (st ? esc(formatDurationMs(st.p99)) : DASH);
      return `<tr><td class="mono">${esc(e.url)}</td><td>${esc(e.model ?? '')}</td><td class="num">${formatCount(e.completed)}</td><td class="num">${formatCount(e.failed)}</td><td class="num">${e.durationMs > 0 ? esc(formatNumber(e.outputTokensPerSecond)) : DASH}</td><td class="num">${p(e.latency?.ttftMs)}</td><td class="num">${p(e.latency?.tpotMs)}</td></tr>`;
    })
    .join('');
  return `<div class="tablewrap"><table>${head}${body}</table></div>`;
}

function validityPanel(r: ResultJson, label: string | null): string {
  const v = r.validity;
  const rows = (v?.checks ?? [])
    .map((c) => `<tr><td class="${c.passed ? 'pass' : 'fail'}">${c.passed ? '✓ pass' : '✗ fail'}</td><td class="mono">${esc(c.name)}</td><td>${esc(c.detail ?? '')}</td></tr>`)
    .join('');
  const recs = (v?.recommendations ?? []).map((x) => `<li>${esc(x)}</li>`).join('');
  return (
    `<div class="panel"><h3>${label ? `${esc(label)}: ` : ''}<span class="badge ${v?.valid ? 'ok' : 'bad'}">${v?.valid ? 'VALID' : 'INVALID'}</span></h3>` +
    `<p class="caption">MLPerf LoadGen's checks for this scenario (minimum duration and query count, constraints, early stopping).</p>` +
    `<div class="tablewrap"><table><tr><th>result</th><th>check</th><th>detail</th></tr>${rows}</table></div>` +
    (recs ? `<ul class="recs">${recs}</ul>` : '') +
    `</div>`
  );
}

function thresholdsPanel(r: ResultJson): string {
  if (!r.thresholds || r.thresholds.length === 0) return '<p class="note">No thresholds were set (<span class="mono">--assert EXPR</span> or <span class="mono">thresholds:</span> in the scenario file).</p>';
  const rows = r.thresholds
    .map((t) => {
      const actual = typeof t.actual === 'number' ? formatNumber(t.actual) : t.actual === null ? DASH : String(t.actual);
      return `<tr><td class="${t.passed ? 'pass' : 'fail'}">${t.passed ? '✓ pass' : '✗ fail'}</td><td class="mono">${esc(t.expr)}</td><td class="num">${esc(actual)}</td></tr>`;
    })
    .join('');
  return `<div class="tablewrap"><table><tr><th>result</th><th>expression</th><th class="num">actual</th></tr>${rows}</table></div>`;
}

const SCENARIO_ROWS: [string, (s: ResultJson['scenario']) => unknown, string | null][] = [
  ['benchmark', (s) => s.benchmark, 'benchmark'],
  ['scenario', (s) => s.scenario, 'scenario'],
  ['load pattern', (s) => s.pattern, 'load.pattern'],
  ['target QPS', (s) => s.targetQps, 'load.targetQps'],
  ['burstiness', (s) => s.burstiness, 'load.burstiness'],
  ['max concurrency', (s) => s.maxConcurrency, 'load.maxConcurrency'],
  ['min duration (ms)', (s) => s.minDurationMs, 'run.minDurationMs'],
  ['min query count', (s) => s.minQueryCount, 'run.minQueryCount'],
  ['queries scheduled', (s) => s.samples, 'run.samples'],
  ['mode', (s) => s.mode, 'run.mode'],
  ['dataset', (s) => s.dataset, 'dataset.source'],
  ['distinct samples', (s) => s.datasetSize, 'dataset.size'],
  ['API', (s) => s.api, 'request.api'],
  ['max tokens', (s) => s.maxTokens, 'request.maxTokens'],
  ['TTFT p99 constraint (ms)', (s) => s.constraints?.ttftP99Ms, 'constraints.ttftP99Ms'],
  ['TPOT p99 constraint (ms)', (s) => s.constraints?.tpotP99Ms, 'constraints.tpotP99Ms'],
  ['seed: QSL', (s) => s.seeds?.qsl, 'seeds.qsl'],
  ['seed: sample index', (s) => s.seeds?.sampleIndex, 'seeds.sampleIndex'],
  ['seed: schedule', (s) => s.seeds?.schedule, 'seeds.schedule'],
];

function scenarioPanel(r: ResultJson): string {
  const s = r.scenario;
  const origins = s.origins ?? {};
  const rows = SCENARIO_ROWS.map(([label, get, key]) => {
    const v = get(s);
    const origin = key === null ? '' : (origins[key] ?? (key === 'dataset.source' ? origins['dataset.path'] : undefined) ?? '');
    return `<tr><td>${esc(label)}</td><td class="mono">${v === null || v === undefined ? 'none' : esc(typeof v === 'number' ? formatPlain(v) : String(v))}</td><td><span class="origin ${esc(origin)}">${esc(origin)}</span></td></tr>`;
  }).join('');
  const eps = (r.endpoints ?? [])
    .map((e) => `<tr><td>endpoint</td><td class="mono">${esc(e.url)}${e.model ? ` · ${esc(e.model)}` : ''}${Object.keys(e.labels ?? {}).length ? ` · ${esc(Object.entries(e.labels).map(([k, v]) => `${k}=${v}`).join(', '))}` : ''}</td><td></td></tr>`)
    .join('');
  const tags = Object.entries(r.tags ?? {})
    .map(([k, v]) => `<tr><td>tag</td><td class="mono">${esc(k)}=${esc(v)}</td><td></td></tr>`)
    .join('');
  return (
    `<p class="note">Where each value came from: <span class="mono">default</span> &lt; <span class="mono">profile</span> (the benchmark's MLPerf settings) &lt; <span class="mono">file</span> &lt; <span class="mono">env</span> &lt; <span class="mono">flag</span>.</p>` +
    `<div class="tablewrap"><table><tr><th>setting</th><th>value</th><th>from</th></tr>${rows}${eps}${tags}</table></div>`
  );
}

function telemetrySourcesTable(runs: HtmlRun[]): string {
  const rows: string[] = [];
  runs.forEach((run) => {
    const t = run.result.telemetry;
    if (!t) return;
    (t.sources ?? []).forEach((src, i) => {
      const count = (t.series ?? []).filter((s) => s.source === i).length;
      const kinds = src.errorKinds ? Object.entries(src.errorKinds).map(([k, n]) => `${k} ${n}`).join(', ') : '';
      rows.push(
        `<tr>${runs.length > 1 ? `<td>${esc(run.label)}</td>` : ''}<td class="mono">${esc(src.url)}${src.auto ? ' <span class="badge info">simulator, automatic</span>' : ''}</td><td class="num">${formatCount(src.ok)}</td><td class="num ${src.errors > 0 ? 'fail' : ''}">${formatCount(src.errors)}</td><td class="num">${formatCount(count)}</td><td>${esc(kinds)}${src.lastError ? `${kinds ? ' · ' : ''}last: ${esc(src.lastError)}` : ''}</td></tr>`,
      );
    });
  });
  if (rows.length === 0) return '';
  return `<div class="tablewrap"><table><tr>${runs.length > 1 ? '<th>run</th>' : ''}<th>source</th><th class="num">scrapes ok</th><th class="num">failed</th><th class="num">series</th><th>errors</th></tr>${rows.join('')}</table></div>`;
}

function energyNote(runs: HtmlRun[]): string {
  const parts: string[] = [];
  for (const run of runs) {
    const e = run.result.telemetry?.energy;
    if (!e) continue;
    parts.push(
      `${runs.length > 1 ? `${esc(run.label)}: ` : ''}<b>${esc(formatNumber(e.outputTokensPerJoule))} output tokens per joule</b>: ${esc(formatNumber(e.joules))} J over the ${esc(formatDurationMs(e.windowMs))} throughput window (${esc(formatNumber(e.averagePowerW))} W average over ${e.gpus} GPU${e.gpus === 1 ? '' : 's'}, from ${esc(e.metric)}, ${e.method === 'energyCounter' ? 'energy counter difference' : '∫ power dt'}).`,
    );
  }
  return parts.length ? `<p class="note">${parts.join('<br>')}</p>` : '';
}

function chartPanel(spec: ChartSpec, caption = ''): string {
  return `<div class="panel"><h3>${esc(spec.title)}</h3>${caption ? `<p class="caption">${caption}</p>` : ''}<div class="chart" id="chart-${esc(spec.id)}" data-chart="${esc(spec.id)}"></div></div>`;
}

// ---------------------------------------------------------------------------

export function renderHtml(runs: HtmlRun[], opts: HtmlOptions = {}): string {
  const uplot = opts.uplot ?? loadUplot();
  const charts: ChartSpec[] = [];
  const body: string[] = [];
  const compare = runs.length > 1;
  const first = runs[0]?.result;

  // header
  let title: string;
  if (first) {
    const sc = first.scenario;
    title = compare ? `tokbench: ${runs.map((r) => r.label).join(' vs ')}` : `tokbench: ${sc.name}`;
    const badges: string[] = [];
    if (!compare) {
      badges.push(`<span class="badge ${first.validity?.valid ? 'ok' : 'bad'}">${first.validity?.valid ? 'VALID' : 'INVALID'}</span>`);
      if (first.thresholds?.length) {
        const failed = first.thresholds.filter((t) => !t.passed).length;
        badges.push(`<span class="badge ${failed ? 'bad' : 'ok'}">${failed ? `${failed} threshold${failed === 1 ? '' : 's'} failed` : 'thresholds passed'}</span>`);
      }
      if (first.simulated) badges.push('<span class="badge warn">simulated server</span>');
      if (first.interrupted) badges.push('<span class="badge warn">interrupted: partial result</span>');
    } else {
      badges.push(`<span class="badge info">comparing ${runs.length} runs</span>`);
    }
    const when = first.startedAt ? new Date(first.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '';
    body.push(
      `<header class="top"><h1>${esc(compare ? runs.map((r) => r.label).join(' vs ') : sc.name)}</h1>${badges.join(' ')}<span class="sub">${esc(compare ? [...new Set(runs.map((r) => `${r.result.scenario.benchmark} · ${r.result.scenario.scenario}`))].join(', ') : `${sc.benchmark} · ${sc.scenario} · ${loadText(first)} · ${when}`)}</span></header>`,
    );
  } else {
    title = 'tokbench: find peak';
    const fp = opts.findPeak;
    const peak = fp && fp.peakQps != null ? `<span class="badge ${fp.confirmed ? 'ok' : 'warn'}">peak ${esc(formatPlain(fp.peakQps))} qps${fp.confirmed ? ', confirmed' : ', not confirmed'}</span>` : '<span class="badge bad">no valid load level</span>';
    body.push(`<header class="top"><h1>Find peak: ${esc(fp?.scenario ?? opts.findPeakLabel ?? '')}</h1>${fp ? peak : ''}${fp?.details?.stoppedBecause ? `<span class="sub">${esc(fp.details.stoppedBecause)}</span>` : ''}</header>`);
  }

  if (first) {
    // headline
    body.push(`<section><h2>${compare ? 'Side by side' : 'Summary'}</h2>${compare ? `<p class="note">Δ is against ${esc(runs[0]!.label)}; green is better, red worse.</p>${compareTable(runs)}` : headline(first)}</section>`);

    // throughput over time
    const tp = throughputChart(runs);
    const inf = inFlightChart(runs);
    const timePanels: string[] = [];
    if (tp) {
      charts.push(tp);
      timePanels.push(chartPanel(tp, 'Output tokens of queries completed in each second (a query counts when it completes). Dashed: the run’s figure over its throughput window.'));
    }
    if (inf) {
      charts.push(inf);
      timePanels.push(chartPanel(inf, compare ? 'Issued but not yet finished, at the end of each second.' : 'Issued but not yet finished, at the end of each second; dotted: queries completed in each second.'));
    }
    if (timePanels.length) body.push(`<section><h2>Over time</h2><div class="grid2">${timePanels.join('')}</div></section>`);

    // distributions
    const cdfs = [
      cdfChart(runs, 'ttftUs', 'ttftMs', 'TTFT distribution'),
      cdfChart(runs, 'tpotUs', 'tpotMs', 'TPOT distribution'),
      cdfChart(runs, 'itlUs', 'itlMs', 'ITL distribution (per token)'),
      cdfChart(runs, 'e2eUs', 'e2eMs', 'E2E latency distribution'),
    ].filter((c): c is ChartSpec => c !== null);
    const captions: Record<string, string> = {
      'cdf-ttft': 'Time to first token, from the scheduled time (coordinated-omission free).',
      'cdf-tpot': '(E2E − TTFT) / (output tokens − 1), per request.',
      'cdf-itl': 'Gaps between tokens; a chunk of k tokens gives k gaps of gap/k.',
      'cdf-e2e': 'From the scheduled time to the last byte.',
    };
    for (const c of cdfs) charts.push(c);
    const distBody = cdfs.length ? `<div class="grid2">${cdfs.map((c) => chartPanel(c, captions[c.id] ?? '')).join('')}</div>` : '<p class="note">No latency recorded (no query completed).</p>';
    body.push(`<section><h2>Latency distributions</h2><p class="note">Cumulative distributions from the run’s HDR histograms (1 µs resolution, 3 significant digits).</p>${distBody}${compare ? '' : `<div style="margin-top:12px">${latencyTable(first)}</div>`}</section>`);

    // TTFT vs scheduled
    const sc = ttftScatter(runs);
    if (sc.chart) {
      charts.push(sc.chart);
      body.push(`<section><h2>Queueing</h2>${chartPanel(sc.chart, esc(sc.note))}</section>`);
    } else {
      body.push(`<section><h2>Queueing</h2><p class="note">${esc(sc.note)}</p></section>`);
    }

    // per endpoint
    const bars = endpointBars(runs);
    if (bars) {
      charts.push(bars);
      body.push(`<section><h2>Per endpoint</h2><div class="grid2">${chartPanel(bars)}<div>${runs.map((r) => (compare ? `<p class="note">${esc(r.label)}</p>` : '') + endpointTable(r.result)).join('')}</div></div></section>`);
    }

    // telemetry
    const hasTelemetry = runs.some((r) => r.result.telemetry);
    if (hasTelemetry) {
      const tc = telemetryCharts(runs);
      for (const c of tc.charts) charts.push(c);
      const chartsHtml = tc.charts.length ? `<div class="grid2">${tc.charts.map((c) => chartPanel(c)).join('')}</div>` : '<p class="note">No series were kept (no known metric was found; --scrape-all keeps every metric).</p>';
      const omitted = tc.omitted ? `<p class="note">${tc.omitted} more metric${tc.omitted === 1 ? '' : 's'} not drawn (see result.json telemetry.series).</p>` : '';
      const interval = runs.find((r) => r.result.telemetry)?.result.telemetry?.intervalMs ?? 0;
      body.push(
        `<section><h2>Server telemetry</h2><p class="note">Prometheus metrics scraped every ${esc(interval >= 1000 ? `${formatPlain(interval / 1000)} s` : `${formatPlain(interval)} ms`)} during the run; counters are shown as per-second rates between scrapes. Time 0 is the start of the measured run.</p>${energyNote(runs)}${chartsHtml}${omitted}<div style="margin-top:12px">${telemetrySourcesTable(runs)}</div></section>`,
      );
    }
  }

  // find peak
  if (opts.findPeak) {
    const fc = findPeakChart(opts.findPeak);
    if (fc) {
      charts.push(fc);
      const invalid = opts.findPeak.curve.filter((p) => !p.valid).length;
      body.push(`<section><h2>Find peak</h2>${chartPanel(fc, `Each point is one run at a fixed offered load.${invalid ? ` Circled in red: ${invalid} load level${invalid === 1 ? '' : 's'} that failed the constraints or validity.` : ''}`)}${findPeakTable(opts.findPeak)}</section>`);
    }
  }

  if (first) {
    // validity, thresholds, scenario
    body.push(`<section><h2>Validity</h2>${compare ? `<div class="grid2">${runs.map((r) => validityPanel(r.result, r.label)).join('')}</div>` : validityPanel(first, null)}</section>`);
    body.push(`<section><h2>Thresholds</h2>${runs.map((r) => (compare ? `<p class="note">${esc(r.label)}</p>` : '') + thresholdsPanel(r.result)).join('')}</section>`);
    body.push(`<section><h2>Scenario</h2>${runs.map((r) => (compare ? `<p class="note">${esc(r.label)}</p>` : '') + scenarioPanel(r.result)).join('')}</section>`);
  }

  const version = first?.tokbenchVersion ?? '';
  body.push(`<footer>Generated by tokbench ${esc(version)}. Self-contained: charts drawn with uPlot (MIT), inlined; this file makes no network request.${first ? ` Run started ${esc(first.startedAt)}, finished ${esc(first.finishedAt)}.` : ''}</footer>`);

  const data = { charts };
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    '<link rel="icon" href="data:,">',
    `<title>${esc(title)}</title>`,
    `<style>${uplot.css}</style>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    `<main>${body.join('\n')}</main>`,
    `<script type="application/json" id="tokbench-data">${scriptJson(data)}</script>`,
    `<script>${scriptText(uplot.js)}</script>`,
    `<script>${scriptText(CLIENT_JS)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function findPeakTable(fp: FindPeakResult): string {
  const rows = [...fp.curve]
    .sort((a, b) => a.qps - b.qps)
    .map(
      (p) =>
        `<tr><td class="num">${esc(formatPlain(p.qps))}</td><td class="num">${esc(formatNumber(p.outputTokensPerSecond))}</td><td class="num">${p.ttftP99Ms === null ? DASH : esc(formatDurationMs(p.ttftP99Ms))}</td><td class="num">${p.tpotP99Ms === null ? DASH : esc(formatDurationMs(p.tpotP99Ms))}</td><td class="${p.valid ? 'pass' : 'fail'}">${p.valid ? '✓ valid' : '✗ invalid'}</td><td>${esc(p.reason ?? '')}</td></tr>`,
    )
    .join('');
  return `<div class="tablewrap" style="margin-top:12px"><table><tr><th class="num">QPS</th><th class="num">output tok/s</th><th class="num">TTFT p99</th><th class="num">TPOT p99</th><th>verdict</th><th>why</th></tr>${rows}</table></div>`;
}

function loadText(r: ResultJson): string {
  const sc = r.scenario;
  if (sc.pattern === 'poisson') return `Poisson ${formatPlain(sc.targetQps)} qps${sc.burstiness !== 1 ? `, burstiness ${formatPlain(sc.burstiness)}` : ''}`;
  if (sc.pattern === 'closed') return `closed loop, ${formatCount(sc.maxConcurrency)} in flight`;
  return `all at t = 0, ${sc.maxConcurrency === null ? 'unbounded' : `max ${formatCount(sc.maxConcurrency)}`} in flight`;
}

/** The HTML report of one run. */
export function renderHtmlReport(result: ResultJson, opts: HtmlOptions = {}): string {
  return renderHtml([{ label: 'run', result }], opts);
}

