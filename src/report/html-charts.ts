/**
 * The data report.html draws: one ChartSpec per plot, built from finished
 * results (throughput and in-flight over time, latency CDFs from the HDR
 * histograms, TTFT against scheduled time, per-endpoint bars, telemetry
 * series, the find-peak curve). No HTML here; html-client.ts draws them.
 */
import { decode } from '../metrics/histogram.js';
import type { FindPeakResult, LatencyStats, ResultJson, TelemetrySeries } from '../metrics/types.js';
import { PANEL_TITLES, PANEL_UNITS, catalogEntry, type TelemetryPanel } from '../telemetry/catalog.js';
import { formatCount, formatDurationMs, formatNumber, formatPlain } from './format.js';

export interface HtmlRun {
  /** short name shown in legends (a file or directory name) */
  label: string;
  result: ResultJson;
}

export const PALETTE = ['#2563eb', '#dc2626', '#059669', '#7c3aed', '#d97706', '#0891b2', '#db2777', '#4b5563'];
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

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function throughputChart(runs: HtmlRun[]): ChartSpec | null {
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

export function inFlightChart(runs: HtmlRun[]): ChartSpec | null {
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

export function cdfChart(runs: HtmlRun[], key: 'ttftUs' | 'tpotUs' | 'itlUs' | 'e2eUs', statKey: 'ttftMs' | 'tpotMs' | 'itlMs' | 'e2eMs', title: string): ChartSpec | null {
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

export function ttftScatter(runs: HtmlRun[]): { chart: ChartSpec | null; note: string } {
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

export function endpointBars(runs: HtmlRun[]): ChartSpec | null {
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

export function telemetryCharts(runs: HtmlRun[]): { charts: ChartSpec[]; omitted: number } {
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

export function findPeakChart(fp: FindPeakResult): ChartSpec | null {
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
