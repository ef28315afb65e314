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
import type { FindPeakResult, ResultJson } from '../metrics/types.js';
import { formatPlain } from './format.js';
import { CLIENT_JS } from './html-client.js';
import { REPORT_CSS } from './html-style.js';
import { cdfChart, endpointBars, findPeakChart, inFlightChart, telemetryCharts, throughputChart, ttftScatter, type ChartSpec, type HtmlRun } from './html-charts.js';
import { chartPanel, compareTable, endpointTable, energyNote, esc, findPeakTable, headline, latencyTable, loadText, scenarioPanel, telemetrySourcesTable, thresholdsPanel, validityPanel } from './html-panels.js';

export { CDF_PERCENTILES, cdfPoints, type ChartSpec, type HtmlRun } from './html-charts.js';
export { esc } from './html-panels.js';

export interface HtmlOptions {
  findPeak?: FindPeakResult | null;
  /** label of the find-peak result */
  findPeakLabel?: string;
  /** override the inlined uPlot (tests) */
  uplot?: { js: string; css: string };
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

/** JSON safe inside a <script> element */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function scriptText(code: string): string {
  if (/<\/script/i.test(code) || /<!--/.test(code)) throw new Error('inlined script contains </script or <!--');
  return code;
}

/** A find-peak result (has a `curve` array and no run summary). */
export function isFindPeakResult(v: unknown): v is FindPeakResult {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return Array.isArray(o.curve) && o.summary === undefined;
}


export function renderHtml(runs: HtmlRun[], opts: HtmlOptions = {}): string {
  const uplot = opts.uplot ?? loadUplot();
  // every section pushes the charts it places; the page embeds them as one JSON block
  const charts: ChartSpec[] = [];
  const first = runs[0]?.result;
  const header = first ? runHeader(runs, first) : findPeakHeader(opts);
  const body: string[] = [header.html];
  if (first) body.push(...runSections(runs, first, charts));
  if (opts.findPeak) body.push(findPeakSection(opts.findPeak, charts));
  if (first) body.push(...verdictSections(runs, first));
  body.push(footer(first));
  return htmlDocument(header.title, body, charts, uplot);
}

function runHeader(runs: HtmlRun[], first: ResultJson): { title: string; html: string } {
  const compare = runs.length > 1;
  const sc = first.scenario;
  const title = compare ? `tokbench: ${runs.map((r) => r.label).join(' vs ')}` : `tokbench: ${sc.name}`;
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
  const html = `<header class="top"><h1>${esc(compare ? runs.map((r) => r.label).join(' vs ') : sc.name)}</h1>${badges.join(' ')}<span class="sub">${esc(compare ? [...new Set(runs.map((r) => `${r.result.scenario.benchmark} · ${r.result.scenario.scenario}`))].join(', ') : `${sc.benchmark} · ${sc.scenario} · ${loadText(first)} · ${when}`)}</span></header>`;
  return { title, html };
}

function findPeakHeader(opts: HtmlOptions): { title: string; html: string } {
  const fp = opts.findPeak;
  const peak = fp && fp.peakQps != null ? `<span class="badge ${fp.confirmed ? 'ok' : 'warn'}">peak ${esc(formatPlain(fp.peakQps))} qps${fp.confirmed ? ', confirmed' : ', not confirmed'}</span>` : '<span class="badge bad">no valid load level</span>';
  return {
    title: 'tokbench: find peak',
    html: `<header class="top"><h1>Find peak: ${esc(fp?.scenario ?? opts.findPeakLabel ?? '')}</h1>${fp ? peak : ''}${fp?.details?.stoppedBecause ? `<span class="sub">${esc(fp.details.stoppedBecause)}</span>` : ''}</header>`,
  };
}

/** The measured sections of one or several runs, in page order; charts they place are appended to `charts`. */
function runSections(runs: HtmlRun[], first: ResultJson, charts: ChartSpec[]): string[] {
  const compare = runs.length > 1;
  const sections = [`<section><h2>${compare ? 'Side by side' : 'Summary'}</h2>${compare ? `<p class="note">Δ is against ${esc(runs[0]!.label)}; green is better, red worse.</p>${compareTable(runs)}` : headline(first)}</section>`];
  const overTime = overTimeSection(runs, charts);
  if (overTime) sections.push(overTime);
  sections.push(distributionSection(runs, first, charts), queueingSection(runs, charts));
  const perEndpoint = endpointSection(runs, charts);
  if (perEndpoint) sections.push(perEndpoint);
  if (runs.some((r) => r.result.telemetry)) sections.push(telemetrySection(runs, charts));
  return sections;
}

function overTimeSection(runs: HtmlRun[], charts: ChartSpec[]): string | null {
  const tp = throughputChart(runs);
  const inf = inFlightChart(runs);
  const timePanels: string[] = [];
  if (tp) {
    charts.push(tp);
    timePanels.push(chartPanel(tp, 'Output tokens of queries completed in each second (a query counts when it completes). Dashed: the run’s figure over its throughput window.'));
  }
  if (inf) {
    charts.push(inf);
    timePanels.push(chartPanel(inf, runs.length > 1 ? 'Issued but not yet finished, at the end of each second.' : 'Issued but not yet finished, at the end of each second; dotted: queries completed in each second.'));
  }
  return timePanels.length ? `<section><h2>Over time</h2><div class="grid2">${timePanels.join('')}</div></section>` : null;
}

const CDF_CAPTIONS: Record<string, string> = {
  'cdf-ttft': 'Time to first token, from the scheduled time (coordinated-omission free).',
  'cdf-tpot': '(E2E − TTFT) / (output tokens − 1), per request.',
  'cdf-itl': 'Gaps between tokens; a chunk of k tokens gives k gaps of gap/k.',
  'cdf-e2e': 'From the scheduled time to the last byte.',
};

function distributionSection(runs: HtmlRun[], first: ResultJson, charts: ChartSpec[]): string {
  const cdfs = [
    cdfChart(runs, 'ttftUs', 'ttftMs', 'TTFT distribution'),
    cdfChart(runs, 'tpotUs', 'tpotMs', 'TPOT distribution'),
    cdfChart(runs, 'itlUs', 'itlMs', 'ITL distribution (per token)'),
    cdfChart(runs, 'e2eUs', 'e2eMs', 'E2E latency distribution'),
  ].filter((c): c is ChartSpec => c !== null);
  for (const c of cdfs) charts.push(c);
  const distBody = cdfs.length ? `<div class="grid2">${cdfs.map((c) => chartPanel(c, CDF_CAPTIONS[c.id] ?? '')).join('')}</div>` : '<p class="note">No latency recorded (no query completed).</p>';
  return `<section><h2>Latency distributions</h2><p class="note">Cumulative distributions from the run’s HDR histograms (1 µs resolution, 3 significant digits).</p>${distBody}${runs.length > 1 ? '' : `<div style="margin-top:12px">${latencyTable(first)}</div>`}</section>`;
}

function queueingSection(runs: HtmlRun[], charts: ChartSpec[]): string {
  const sc = ttftScatter(runs);
  if (!sc.chart) return `<section><h2>Queueing</h2><p class="note">${esc(sc.note)}</p></section>`;
  charts.push(sc.chart);
  return `<section><h2>Queueing</h2>${chartPanel(sc.chart, esc(sc.note))}</section>`;
}

function endpointSection(runs: HtmlRun[], charts: ChartSpec[]): string | null {
  const bars = endpointBars(runs);
  if (!bars) return null;
  charts.push(bars);
  const compare = runs.length > 1;
  return `<section><h2>Per endpoint</h2><div class="grid2">${chartPanel(bars)}<div>${runs.map((r) => (compare ? `<p class="note">${esc(r.label)}</p>` : '') + endpointTable(r.result)).join('')}</div></div></section>`;
}

function telemetrySection(runs: HtmlRun[], charts: ChartSpec[]): string {
  const tc = telemetryCharts(runs);
  for (const c of tc.charts) charts.push(c);
  const chartsHtml = tc.charts.length ? `<div class="grid2">${tc.charts.map((c) => chartPanel(c)).join('')}</div>` : '<p class="note">No series were kept (no known metric was found; --scrape-all keeps every metric).</p>';
  const omitted = tc.omitted ? `<p class="note">${tc.omitted} more metric${tc.omitted === 1 ? '' : 's'} not drawn (see result.json telemetry.series).</p>` : '';
  const interval = runs.find((r) => r.result.telemetry)?.result.telemetry?.intervalMs ?? 0;
  return `<section><h2>Server telemetry</h2><p class="note">Prometheus metrics scraped every ${esc(interval >= 1000 ? `${formatPlain(interval / 1000)} s` : `${formatPlain(interval)} ms`)} during the run; counters are shown as per-second rates between scrapes. Time 0 is the start of the measured run.</p>${energyNote(runs)}${chartsHtml}${omitted}<div style="margin-top:12px">${telemetrySourcesTable(runs)}</div></section>`;
}

function findPeakSection(fp: FindPeakResult, charts: ChartSpec[]): string {
  const fc = findPeakChart(fp);
  if (!fc) return '';
  charts.push(fc);
  const invalid = fp.curve.filter((p) => !p.valid).length;
  return `<section><h2>Find peak</h2>${chartPanel(fc, `Each point is one run at a fixed offered load.${invalid ? ` Circled in red: ${invalid} load level${invalid === 1 ? '' : 's'} that failed the constraints or validity.` : ''}`)}${findPeakTable(fp)}</section>`;
}

/** Validity, thresholds and the scenario with its origins. */
function verdictSections(runs: HtmlRun[], first: ResultJson): string[] {
  const compare = runs.length > 1;
  const perRun = (panel: (r: ResultJson) => string) => runs.map((r) => (compare ? `<p class="note">${esc(r.label)}</p>` : '') + panel(r.result)).join('');
  return [
    `<section><h2>Validity</h2>${compare ? `<div class="grid2">${runs.map((r) => validityPanel(r.result, r.label)).join('')}</div>` : validityPanel(first, null)}</section>`,
    `<section><h2>Thresholds</h2>${perRun(thresholdsPanel)}</section>`,
    `<section><h2>Scenario</h2>${perRun(scenarioPanel)}</section>`,
  ];
}

function footer(first: ResultJson | undefined): string {
  const version = first?.tokbenchVersion ?? '';
  return `<footer>Generated by tokbench ${esc(version)}. Self-contained: charts drawn with uPlot (MIT), inlined; this file makes no network request.${first ? ` Run started ${esc(first.startedAt)}, finished ${esc(first.finishedAt)}.` : ''}</footer>`;
}

function htmlDocument(title: string, body: string[], charts: ChartSpec[], uplot: { js: string; css: string }): string {
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

/** The HTML report of one run. */
export function renderHtmlReport(result: ResultJson, opts: HtmlOptions = {}): string {
  return renderHtml([{ label: 'run', result }], opts);
}

