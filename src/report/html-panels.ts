/**
 * The HTML fragments of report.html that are not charts: headline figures,
 * the comparison table, latency and endpoint tables, validity, thresholds,
 * the scenario with where each value came from, telemetry sources. Every
 * value a result carries is escaped here.
 */
import type { FindPeakResult, LatencyStats, ResultJson } from '../metrics/types.js';
import { DASH, formatCount, formatDurationMs, formatNumber, formatPlain } from './format.js';
import { PALETTE, type ChartSpec, type HtmlRun } from './html-charts.js';

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function kpi(label: string, value: string, unit: string, detail = ''): string {
  return `<div class="kpi"><div class="label">${esc(label)}</div><div class="value">${esc(value)}${unit ? `<span class="unit">${esc(unit)}</span>` : ''}</div>${detail ? `<div class="detail">${esc(detail)}</div>` : ''}</div>`;
}

function splitDuration(ms: number | null | undefined): [string, string] {
  const t = formatDurationMs(ms);
  const i = t.lastIndexOf(' ');
  return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1)];
}

export function headline(r: ResultJson): string {
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

export function compareTable(runs: HtmlRun[]): string {
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

export function latencyTable(r: ResultJson): string {
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

export function endpointTable(r: ResultJson): string {
  const head = '<tr><th>endpoint</th><th>model</th><th class="num">completed</th><th class="num">failed</th><th class="num">output tok/s</th><th class="num">TTFT p99</th><th class="num">TPOT p99</th></tr>';
  const body = (r.perEndpoint ?? [])
    .map((e) => {
      const p = (st: LatencyStats | null | undefined) => (st ? esc(formatDurationMs(st.p99)) : DASH);
      return `<tr><td class="mono">${esc(e.url)}</td><td>${esc(e.model ?? '')}</td><td class="num">${formatCount(e.completed)}</td><td class="num">${formatCount(e.failed)}</td><td class="num">${e.durationMs > 0 ? esc(formatNumber(e.outputTokensPerSecond)) : DASH}</td><td class="num">${p(e.latency?.ttftMs)}</td><td class="num">${p(e.latency?.tpotMs)}</td></tr>`;
    })
    .join('');
  return `<div class="tablewrap"><table>${head}${body}</table></div>`;
}

export function validityPanel(r: ResultJson, label: string | null): string {
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

export function thresholdsPanel(r: ResultJson): string {
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

export function scenarioPanel(r: ResultJson): string {
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

export function telemetrySourcesTable(runs: HtmlRun[]): string {
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

export function energyNote(runs: HtmlRun[]): string {
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

export function chartPanel(spec: ChartSpec, caption = ''): string {
  return `<div class="panel"><h3>${esc(spec.title)}</h3>${caption ? `<p class="caption">${caption}</p>` : ''}<div class="chart" id="chart-${esc(spec.id)}" data-chart="${esc(spec.id)}"></div></div>`;
}


export function findPeakTable(fp: FindPeakResult): string {
  const rows = [...fp.curve]
    .sort((a, b) => a.qps - b.qps)
    .map(
      (p) =>
        `<tr><td class="num">${esc(formatPlain(p.qps))}</td><td class="num">${esc(formatNumber(p.outputTokensPerSecond))}</td><td class="num">${p.ttftP99Ms === null ? DASH : esc(formatDurationMs(p.ttftP99Ms))}</td><td class="num">${p.tpotP99Ms === null ? DASH : esc(formatDurationMs(p.tpotP99Ms))}</td><td class="${p.valid ? 'pass' : 'fail'}">${p.valid ? '✓ valid' : '✗ invalid'}</td><td>${esc(p.reason ?? '')}</td></tr>`,
    )
    .join('');
  return `<div class="tablewrap" style="margin-top:12px"><table><tr><th class="num">QPS</th><th class="num">output tok/s</th><th class="num">TTFT p99</th><th class="num">TPOT p99</th><th>verdict</th><th>why</th></tr>${rows}</table></div>`;
}

export function loadText(r: ResultJson): string {
  const sc = r.scenario;
  if (sc.pattern === 'poisson') return `Poisson ${formatPlain(sc.targetQps)} qps${sc.burstiness !== 1 ? `, burstiness ${formatPlain(sc.burstiness)}` : ''}`;
  if (sc.pattern === 'closed') return `closed loop, ${formatCount(sc.maxConcurrency)} in flight`;
  return `all at t = 0, ${sc.maxConcurrency === null ? 'unbounded' : `max ${formatCount(sc.maxConcurrency)}`} in flight`;
}
