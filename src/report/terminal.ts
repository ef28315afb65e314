/**
 * The end-of-run summary printed to the terminal: a pure function of a finished
 * result (as hyperfine's exporters and k6's end-of-test summary are), so it
 * renders the same from a live run, from `tokbench report result.json`, or in a
 * test. Colour is decided by the caller; with `color: false` the output holds
 * no escape code at all.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { EndpointSummary, LatencyStats, RateInterval, ResultJson, Summary, SummaryCore, SummaryIntervals } from '../metrics/types.js';
import {
  DASH,
  formatCount,
  formatDurationMs,
  formatDurationRange,
  formatHalfWidth,
  formatNumber,
  formatPercent,
  formatPlain,
  formatRate,
  padEnd,
  padStart,
  wrap,
} from './format.js';
import { renderScaleOut } from './scale-out.js';
import { explainVerdict } from '../metrics/thresholds.js';

export interface TerminalOptions {
  color: boolean;
  /** terminal columns; long lines (recommendations, details) wrap to it. Default 80 */
  width?: number;
}

const LABEL_WIDTH = 14;
const LAT_LABEL_WIDTH = 15;
const LAT_COL_WIDTH = 10;
const MAX_LISTED_ENDPOINTS = 4;

type Stat = keyof Pick<LatencyStats, 'mean' | 'p50' | 'p90' | 'p99' | 'p999' | 'max'>;
const LAT_COLUMNS: readonly [Stat, string][] = [
  ['mean', 'mean'],
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
  ['p999', 'p99.9'],
  ['max', 'max'],
];
const LAT_ROWS: readonly [keyof SummaryCore['latency'], string][] = [
  ['ttftMs', 'TTFT'],
  ['tpotMs', 'TPOT'],
  ['itlMs', 'ITL per token'],
  ['chunkGapMs', 'ITL per chunk'],
  ['e2eMs', 'E2E'],
  ['issueDelayMs', 'Issue delay'],
];
/** rows shown only when they hold data: reasoning streams, and connection waits of a millisecond or more */
const LAT_ROWS_WHEN_MEASURED: readonly [keyof SummaryCore['latency'], string, (st: LatencyStats) => boolean][] = [
  ['ttfaMs', 'TTFA (answer)', () => true],
  ['connectWaitMs', '  connect wait', (st) => st.max >= 1],
];
/** the series a non-streamed answer cannot have: their rows say why they are empty */
const STREAM_ONLY_ROWS: ReadonlySet<keyof SummaryCore['latency']> = new Set(['ttftMs', 'tpotMs', 'itlMs', 'chunkGapMs']);

const TOKEN_SOURCE_TEXT: Record<string, string> = {
  usage: 'server usage',
  tokenizer: 'tokenizer on the returned text',
  none: 'nothing (no usage, no tokenizer)',
};
const CHUNK_SOURCE_TEXT: Record<string, string> = {
  server: 'from the server',
  single: 'one per chunk',
  estimated: 'estimated (spread over chunks)',
  none: 'unknown',
};

const row = (label: string, value: string): string => `  ${padEnd(label, LABEL_WIDTH)}${value}`;
const flat = (label: string, value: string): string => `${padEnd(label, LABEL_WIDTH + 2)}${value}`;

/** What ran against what: scenario, target, endpoints, query counts, the window. */
function headerLines(result: ResultJson, c: ChalkInstance): string[] {
  const s = result.summary;
  const out: string[] = [];
  const sc = result.scenario;
  out.push(
    `${c.bold('tokbench')} ${c.dim(result.tokbenchVersion)}  ${c.bold.cyan(sc.name)}  ${c.dim(`${sc.benchmark} · ${sc.scenario} · ${loadText(result)}`)}`,
  );
  const target = result.simulated ? c.yellow('simulated (tokbench serve, no real server)') : 'real server';
  out.push(row('Target', target));
  const eps = result.endpoints;
  if (eps.length === 0) out.push(row('Endpoint', DASH));
  eps.slice(0, MAX_LISTED_ENDPOINTS).forEach((e, i) => {
    out.push(row(i === 0 ? (eps.length > 1 ? 'Endpoints' : 'Endpoint') : '', `${e.url}${e.model ? c.dim(`  ${e.model}`) : ''}`));
  });
  if (eps.length > MAX_LISTED_ENDPOINTS) out.push(row('', c.dim(`+ ${eps.length - MAX_LISTED_ENDPOINTS} more`)));
  const failedText = s.failed > 0 ? c.red(`${formatCount(s.failed)} failed`) : `${formatCount(s.failed)} failed`;
  out.push(
    row(
      'Queries',
      `${formatCount(s.issued)} issued · ${formatCount(s.completed)} completed · ${failedText}` +
        c.dim(`  (${formatCount(sc.samples)} scheduled)`),
    ),
  );
  out.push(
    row(
      'Window',
      s.durationMs > 0
        ? `${formatDurationMs(s.durationMs)} ${c.dim(`(t = 0 to ${windowText(s.throughputWindow)})`)}`
        : `${DASH} ${c.dim('(nothing finished)')}`,
    ),
  );
  if (result.shard !== null) out.push(row('Shard', `${result.shard.index + 1} of ${result.shard.count}`));
  if (result.interrupted) out.push(row('', c.yellow('interrupted: partial result, figures cover what finished')));
  return out;
}

function throughputLines(result: ResultJson, c: ChalkInstance): string[] {
  const s = result.summary;
  const out: string[] = [c.bold('Throughput')];
  // a rate over an empty window is undefined, not 0
  const rate = (x: number, unit: string) => (s.durationMs > 0 ? formatRate(x, unit) : DASH);
  const iv = s.intervals;
  const pm = (r: RateInterval | null | undefined) => (s.durationMs > 0 ? formatHalfWidth(r?.halfWidthPct) : '');
  out.push(row('Output', `${rate(s.outputTokensPerSecond, 'tok/s')}${pm(iv?.outputTokensPerSecond)}${intervalNote(s, c)}`));
  out.push(row('Total', `${rate(s.totalTokensPerSecond, 'tok/s')}${pm(iv?.totalTokensPerSecond)}${c.dim('  input + output')}`));
  out.push(row('Requests', `${rate(s.requestsPerSecond, 'req/s')}${pm(iv?.requestsPerSecond)}`));
  out.push(row('Goodput', goodputText(result, c)));
  const ss = s.steadyState;
  out.push(
    row(
      'Steady state',
      ss === null
        ? c.dim(`${DASH}  (run too short, or no ramp-up/drain to separate)`)
        : `${formatRate(ss.outputTokensPerSecond, 'tok/s')} · ${formatRate(ss.requestsPerSecond, 'req/s')}` +
            c.dim(`  (${formatPlain(ss.startMs / 1000)} s to ${formatPlain(ss.endMs / 1000)} s)`),
    ),
  );
  const energy = result.telemetry?.energy;
  if (typeof s.outputTokensPerJoule === 'number' && energy) {
    out.push(row('Energy', `${formatRate(s.outputTokensPerJoule, 'tok/J')}` + c.dim(`  (${formatNumber(energy.joules)} J, ${formatNumber(energy.averagePowerW)} W average over ${energy.gpus} GPU${energy.gpus === 1 ? '' : 's'}, ${energy.metric})`)));
  }
  return out;
}

/** Token and error counts, and the notes that say what the figures do not cover. */
function tokensAndErrorsLines(result: ResultJson, c: ChalkInstance): string[] {
  const s = result.summary;
  const out: string[] = [];
  out.push(flat(c.bold('Tokens'), tokensText(s, c)));
  const chunkSources = Object.entries(s.chunkTokenSources ?? {}).filter(([, n]) => n > 0);
  if (chunkSources.length > 0) {
    out.push(
      flat('', c.dim(`per-chunk token counts: ${chunkSources.map(([k, n]) => `${CHUNK_SOURCE_TEXT[k] ?? k} ${formatCount(n)}`).join(' · ')}`)),
    );
  }
  const errors = Object.entries(s.errors).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  out.push(
    flat(c.bold('Errors'), errors.length === 0 ? c.green('none') : c.red(errors.map(([k, n]) => `${k} ${formatCount(n)}`).join(' · '))),
  );
  if (s.partialOutputTokens > 0) {
    out.push(flat('', c.dim(`${formatCount(s.partialOutputTokens)} output tokens of failed requests not counted in throughput`)));
  }
  if ((s.notStreamed ?? 0) > 0 && result.scenario.stream !== false) {
    out.push(flat('', c.yellow(`${formatCount(s.notStreamed ?? 0)} answers came as one JSON body although stream: true was asked (no SSE: a buffering proxy?): they have no TTFT, TPOT or ITL`)));
  }
  if (s.failed > 0) {
    out.push(flat('', c.dim(`latency figures rest on the ${formatCount(s.completed)} completed requests, not on the ${formatCount(s.failed)} failed`)));
  }
  if ((s.retries ?? 0) > 0) {
    out.push(flat('', c.yellow(`${formatCount(s.retries ?? 0)} HTTP retries (--retries): latency counts from the first attempt`)));
  }
  const client = clientText(result, c);
  if (client !== null) out.push(flat(c.bold('Client'), client));
  return out;
}

function validityLines(result: ResultJson, c: ChalkInstance, width: number): string[] {
  const out: string[] = [];
  const v = result.validity;
  out.push(flat(c.bold('Validity'), v.valid ? c.green.bold('VALID') : c.red.bold('INVALID')));
  const indent = ' '.repeat(4);
  for (const check of v.checks) {
    if (check.passed) continue;
    const text = `${check.name}${check.detail ? `: ${check.detail}` : ''}`;
    out.push(`  ${c.red('✗')} ${wrap(text, width - 4, indent)}`);
  }
  for (const rec of v.recommendations) out.push(`  ${c.cyan('→')} ${wrap(rec, width - 4, indent)}`);
  return out;
}

function thresholdLines(result: ResultJson, c: ChalkInstance): string[] {
  const out: string[] = [];
  const passed = result.thresholds.filter((t) => t.passed).length;
  out.push(c.bold(`Thresholds ${c.dim(`${passed}/${result.thresholds.length} passed`)}`));
  const exprWidth = Math.min(40, Math.max(...result.thresholds.map((t) => t.expr.length)) + 2);
  for (const t of result.thresholds) {
    const mark = t.passed ? c.green('✓') : c.red('✗');
    // no value: say why (e.g. `no data: no request gave a TTFA value; …`), so a failed gate is not a mystery
    const actual = typeof t.actual === 'number' ? formatNumber(t.actual) : t.actual === null ? `${DASH}  ${c.yellow(explainVerdict(t, result)?.missing ?? 'no value')}` : String(t.actual);
    out.push(`  ${mark} ${padEnd(t.expr, exprWidth)}${c.dim('actual')} ${actual}`);
  }
  return out;
}

export function renderTerminal(result: ResultJson, opts: TerminalOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const width = Math.max(40, opts.width ?? 80);
  const s = result.summary;
  const out: string[] = [...headerLines(result, c), ''];
  out.push(...throughputLines(result, c), '');

  // ---- latency ----
  // a server that answered `stream: true` with plain JSON every time leaves the same rows empty
  const streamed = result.scenario.stream !== false && !(s.completed > 0 && s.notStreamed === s.completed);
  out.push(renderLatencyTable(s.latency, c, streamed));
  if (s.intervals !== undefined) out.push(renderP99Intervals(s.intervals, c));
  out.push('');

  if (result.perEndpoint.length > 1) {
    out.push(renderEndpoints(result.perEndpoint, c));
    out.push('');
  }
  // per label, scaling efficiency, system, workers, shards (src/report/scale-out.ts)
  out.push(...renderScaleOut(result, c, width));
  out.push(...tokensAndErrorsLines(result, c), '');
  out.push(...validityLines(result, c, width));
  if (result.thresholds.length > 0) out.push('', ...thresholdLines(result, c));
  return `${out.join('\n')}\n`;
}

function loadText(r: ResultJson): string {
  const sc = r.scenario;
  if (sc.pattern === 'poisson') {
    const qps = `${formatPlain(sc.targetQps)} qps`;
    const burst = sc.burstiness !== 1 ? ` burstiness ${formatPlain(sc.burstiness)}` : '';
    const cap = sc.maxConcurrency === null ? '' : ` max ${formatCount(sc.maxConcurrency)} in flight`;
    return `poisson ${qps}${burst}${cap}`;
  }
  if (sc.pattern === 'closed') return `closed loop, ${formatCount(sc.maxConcurrency)} in flight`;
  return `all at t = 0, ${sc.maxConcurrency === null ? 'unbounded' : `max ${formatCount(sc.maxConcurrency)}`} in flight`;
}

function windowText(w: SummaryCore['throughputWindow'] | undefined): string {
  return w === 'lastIssuedCompletion' ? 'completion of the last-issued query' : 'last completion';
}

/** Why the rates carry no ± (too little steady state), and the confidence when they do. */
function intervalNote(s: Summary, c: ChalkInstance): string {
  const r = s.intervals?.outputTokensPerSecond;
  if (r === undefined || s.durationMs <= 0) return '';
  const conf = `${formatPlain(s.intervals!.confidence * 100)}%`;
  if (r.halfWidthPct !== null) return c.dim(`  (${conf} interval, ${r.batches} batches of ${r.batchSeconds} s)`);
  return c.dim(`  (no ${conf} interval: ${r.steadySeconds} s of steady state, needs ${r.minSteadySeconds} s)`);
}

const P99_ROWS: readonly [keyof SummaryIntervals['latency'], string][] = [
  ['ttftMs', 'TTFT'],
  ['tpotMs', 'TPOT'],
  ['itlMs', 'ITL'],
  ['e2eMs', 'E2E'],
];

/** One line: the p99 of each series with its order-statistic interval, or how many requests it needs. */
function renderP99Intervals(iv: SummaryIntervals, c: ChalkInstance): string {
  const parts: string[] = [];
  const short: string[] = [];
  let need = 0;
  let have = Infinity;
  for (const [key, label] of P99_ROWS) {
    const p = iv.latency[key]?.p99;
    if (p === undefined || p.count === 0) continue;
    if (p.low !== null && p.high !== null) parts.push(`${label} ${formatDurationRange(p.low, p.high)}`);
    else {
      short.push(label);
      need = Math.max(need, p.minCount);
      have = Math.min(have, p.count);
    }
  }
  if (short.length > 0) parts.push(c.dim(`${short.join(', ')}: needs ≥ ${formatCount(need)} requests (has ${formatCount(have)})`));
  if (parts.length === 0) return '';
  return `  ${padEnd(`p99 ${formatPlain(iv.confidence * 100)}% CI`, LAT_LABEL_WIDTH)}${parts.join(c.dim(' · '))}`;
}

function goodputText(r: ResultJson, c: ChalkInstance): string {
  const s = r.summary;
  if (s.goodputRequestsPerSecond === null) return c.dim(`${DASH}  (no TTFT/TPOT constraint set)`);
  const value = s.durationMs > 0 ? `${formatRate(s.goodputRequestsPerSecond, 'req/s')}${formatHalfWidth(s.intervals?.goodputRequestsPerSecond?.halfWidthPct)}` : DASH;
  const { ttftP99Ms, tpotP99Ms } = r.scenario.constraints;
  const slos: string[] = [];
  if (ttftP99Ms !== null) slos.push(`TTFT ≤ ${formatDurationMs(ttftP99Ms)}`);
  if (tpotP99Ms !== null) slos.push(`TPOT ≤ ${formatDurationMs(tpotP99Ms)}`);
  if (slos.length === 0 || s.completed === 0) return value;
  const share = s.goodputCompleted !== null ? `${formatPercent(s.goodputCompleted / s.completed)} of completed meet ` : 'meeting ';
  return `${value}${c.dim(`  (${share}${slos.join(' and ')})`)}`;
}

function tokensText(s: SummaryCore, c: ChalkInstance): string {
  const counts = `${formatCount(s.inputTokens)} in · ${formatCount(s.outputTokens)} out`;
  if (s.completed === 0) return counts;
  if (s.tokenCountSource !== 'mixed') {
    const how = TOKEN_SOURCE_TEXT[s.tokenCountSource] ?? s.tokenCountSource;
    return s.tokenCountSource === 'none' ? `${counts}  ${c.yellow(`counted by ${how}`)}` : `${counts}${c.dim(`  counted by ${how}`)}`;
  }
  const parts = Object.entries(s.tokenCountSources)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([k, n]) => `${TOKEN_SOURCE_TEXT[k] ?? k} ${formatCount(n)}`);
  return `${counts}${c.dim(`  counted by ${parts.join(' · ')} requests`)}`;
}

function renderLatencyTable(lat: SummaryCore['latency'], c: ChalkInstance, streamed: boolean): string {
  const lines: string[] = [];
  lines.push(
    c.bold(padEnd('Latency', LAT_LABEL_WIDTH + 2)) +
      LAT_COLUMNS.map(([, h]) => c.dim(padStart(h, LAT_COL_WIDTH))).join(''),
  );
  const rows = [...LAT_ROWS];
  for (const [key, label, shown] of LAT_ROWS_WHEN_MEASURED) {
    // undefined: a series an older result.json lacks; null: nothing measured
    const st = lat[key] as LatencyStats | null | undefined;
    if (st && shown(st)) rows.splice(key === 'ttfaMs' ? 1 : rows.length, 0, [key, label]);
  }
  for (const [key, label] of rows) {
    const st = lat[key] as LatencyStats | null | undefined;
    const cells = LAT_COLUMNS.map(([k]) => padStart(st ? formatDurationMs(st[k]) : DASH, LAT_COL_WIDTH));
    const why = !st && !streamed && STREAM_ONLY_ROWS.has(key) ? c.dim('  not streamed') : '';
    lines.push(`  ${padEnd(label, LAT_LABEL_WIDTH)}${cells.join('')}${why}`);
  }
  return lines.join('\n');
}

function renderEndpoints(eps: readonly EndpointSummary[], c: ChalkInstance): string {
  const lines = [c.bold('Per endpoint')];
  const urlWidth = Math.min(40, Math.max(...eps.map((e) => e.url.length)) + 2);
  lines.push(
    c.dim(
      `  ${padEnd('url', urlWidth)}${padStart('completed', 11)}${padStart('failed', 8)}${padStart('tok/s', 10)}${padStart('p99 TTFT', 10)}${padStart('p50 TPOT', 10)}${padStart('p99 TPOT', 10)}`,
    ),
  );
  for (const e of eps) {
    const p99 = (st: LatencyStats | null) => (st === null ? DASH : formatDurationMs(st.p99));
    const p50 = (st: LatencyStats | null) => (st === null ? DASH : formatDurationMs(st.p50));
    lines.push(
      `  ${padEnd(e.url, urlWidth)}${padStart(formatCount(e.completed), 11)}${padStart(formatCount(e.failed), 8)}` +
        `${padStart(e.durationMs > 0 ? formatNumber(e.outputTokensPerSecond) : DASH, 10)}${padStart(p99(e.latency.ttftMs), 10)}${padStart(p50(e.latency.tpotMs), 10)}${padStart(p99(e.latency.tpotMs), 10)}`,
    );
  }
  return lines.join('\n');
}

/** The client self-check in one line (the reasons are among the recommendations below). */
function clientText(result: ResultJson, c: ChalkInstance): string | null {
  const k = result.client;
  if (k?.clientBound === undefined || k.eventLoopDelayMs === undefined) return null;
  const figures = c.dim(
    `event-loop delay p50 ${formatPlain(k.eventLoopDelayMs.p50)} / p99 ${formatPlain(k.eventLoopDelayMs.p99)} / max ${formatPlain(k.eventLoopDelayMs.max)} ms · ` +
      `loop busy ${Math.round((k.eventLoopUtilization ?? 0) * 100)}% · CPU ${formatPlain(k.cpuCores ?? 0)} of ${k.cores ?? '?'} cores`,
  );
  return `${k.clientBound ? c.yellow.bold('CLIENT-BOUND') : c.green('kept up')}  ${figures}`;
}
