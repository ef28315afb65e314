/**
 * GitHub-flavoured Markdown summary of a result, for `--markdown FILE` and
 * `$GITHUB_STEP_SUMMARY`. Pure: ResultJson in, string out.
 */
import type { LatencyStats, ResultJson } from '../metrics/types.js';
import { formatDurationRange, formatHalfWidth } from './format.js';
import {
  LATENCY_SERIES,
  explainVerdict,
  formatMetricValue,
  formatMs,
  formatNumber,
  type LatencySeriesName,
} from '../metrics/thresholds.js';

const RATE = { kind: 'rate', unit: 'tokens/s' } as const;

export function renderMarkdown(result: ResultJson): string {
  const s = result.summary;
  const sc = result.scenario;
  const gatesPassed = result.thresholds.every((t) => t.passed);
  const status = result.interrupted ? '⚠️ interrupted' : result.thresholds.length === 0 ? '' : gatesPassed ? '✅' : '❌';
  const out: string[] = [];

  out.push(`## tokbench: ${esc(sc.benchmark)} ${esc(sc.scenario)} ${status}`.trimEnd(), '');
  const iv = s.intervals;
  const goodput = s.goodputRequestsPerSecond === null ? '' : ` · goodput **${formatNumber(s.goodputRequestsPerSecond)}** req/s${formatHalfWidth(iv?.goodputRequestsPerSecond?.halfWidthPct)}`;
  out.push(
    `**${formatNumber(s.outputTokensPerSecond)} output tokens/s${formatHalfWidth(iv?.outputTokensPerSecond.halfWidthPct)}** · ` +
      `${formatNumber(s.totalTokensPerSecond)} total tokens/s${formatHalfWidth(iv?.totalTokensPerSecond.halfWidthPct)} · ` +
      `${formatNumber(s.requestsPerSecond)} req/s${formatHalfWidth(iv?.requestsPerSecond.halfWidthPct)}${goodput}`,
    '',
  );
  if (iv !== undefined) out.push(`± is the ${formatNumber(iv.confidence * 100)}% confidence interval (docs/metrics.md "Confidence intervals").`, '');
  const load = [
    sc.pattern,
    sc.targetQps === null ? null : `target ${formatNumber(sc.targetQps)} QPS`,
    sc.maxConcurrency === null ? null : `max concurrency ${sc.maxConcurrency}`,
  ].filter((x) => x !== null);
  out.push(
    `${count(s.completed)} completed, ${count(s.failed)} failed of ${count(s.issued)} issued in ${formatMs(s.durationMs)} ` +
      `(${esc(load.join(', '))}; ${count(s.inputTokens)} input / ${count(s.outputTokens)} output tokens, counted by ${esc(s.tokenCountSource)}).`,
  );
  const endpoints = result.endpoints.map((e) => `\`${code(e.url)}\` (${esc(e.model)})`).join(', ');
  out.push(
    `Endpoint${result.endpoints.length === 1 ? '' : 's'}: ${endpoints || 'none'}${result.simulated ? ' — **tokbench simulator**, not a real server' : ''}. ` +
      `tokbench ${esc(result.tokbenchVersion)}, started ${esc(result.startedAt)}${result.shard === null ? '' : `, shard ${result.shard.index}/${result.shard.count}`}.`,
  );
  if (result.interrupted) out.push('', '> [!WARNING]', '> The run was interrupted: these figures cover a partial run.');

  out.push('', '### Latency', '', latencyTable(s.latency, iv));

  const errors = Object.entries(s.errors).filter(([, n]) => n > 0);
  if (errors.length > 0) {
    out.push('', '### Errors', '', '| kind | count |', '| --- | ---: |', ...errors.map(([kind, n]) => `| ${cell(kind)} | ${count(n)} |`));
  }

  const v = result.validity;
  out.push('', `### Validity: ${v.valid ? '✅ VALID' : '❌ INVALID'}`, '');
  if (v.checks.length > 0) {
    out.push('| | check | detail |', '| --- | --- | --- |', ...v.checks.map((c) => `| ${c.passed ? '✅' : '❌'} | ${cell(c.name)} | ${cell(c.detail)} |`));
  }
  if (v.recommendations.length > 0) out.push('', '**Recommendations**', '', ...v.recommendations.map((r) => `- ${esc(r)}`));

  if (result.thresholds.length > 0) {
    out.push('', `### Thresholds: ${result.thresholds.filter((t) => t.passed).length} of ${result.thresholds.length} passed`, '');
    out.push('| | assertion | actual |', '| --- | --- | --- |');
    for (const t of result.thresholds) {
      out.push(`| ${t.passed ? '✅' : '❌'} | \`${code(t.expr)}\` | ${cell(actualText(t, result))} |`);
    }
  }

  if (result.perEndpoint.length > 1) {
    out.push(
      '', '### Per endpoint', '',
      '| endpoint | completed | failed | output tokens/s | TTFT p99 | TPOT p99 |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...result.perEndpoint.map((e) =>
        `| \`${code(e.url)}\`${labels(e.labels)} | ${count(e.completed)} | ${count(e.failed)} | ${formatMetricValue(e.outputTokensPerSecond, RATE).replace(' tokens/s', '')} | ${ms(e.latency.ttftMs, 'p99')} | ${ms(e.latency.tpotMs, 'p99')} |`,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

/** The actual value in its unit, where it came from, or why there is none. */
function actualText(t: ResultJson['thresholds'][number], result: ResultJson): string {
  const o = explainVerdict(t, result);
  if (o === null) return String(t.actual);
  if (t.actual === null) return `no value: ${o.missing ?? 'not measured'}`;
  const at = o.endpointUrl === null ? '' : ` at ${o.endpointUrl}`;
  return `${formatMetricValue(t.actual, o.threshold.ref.def)}${at}`;
}

function latencyTable(latency: ResultJson['summary']['latency'], iv: ResultJson['summary']['intervals']): string {
  const ci = iv === undefined ? '' : ` p99 ${formatNumber(iv.confidence * 100)}% CI |`;
  const rows = [`| | p50 | p90 | p99 |${ci} p99.9 | max | mean | count |`, `| --- | ---: | ---: | ---: |${iv === undefined ? '' : ' ---: |'} ---: | ---: | ---: | ---: |`];
  for (const name of Object.keys(LATENCY_SERIES) as LatencySeriesName[]) {
    const { field, label } = LATENCY_SERIES[name];
    // undefined: a series an older result.json lacks; null: measured nothing, shown as a row of dashes
    const st = latency[field];
    if (st === undefined) continue;
    const p99 = iv?.latency[field as keyof NonNullable<typeof iv>['latency']]?.p99;
    const ciCell = iv === undefined ? '' : ` ${p99 === undefined || st === null ? '' : formatDurationRange(p99.low, p99.high)} |`;
    rows.push(`| ${label} | ${ms(st, 'p50')} | ${ms(st, 'p90')} | ${ms(st, 'p99')} |${ciCell} ${ms(st, 'p999')} | ${ms(st, 'max')} | ${ms(st, 'mean')} | ${st === null ? '–' : count(st.count)} |`);
  }
  return rows.join('\n');
}

function ms(st: LatencyStats | null, key: keyof LatencyStats): string {
  return st === null ? '–' : formatMs(st[key]);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function labels(l: Record<string, string> | undefined): string {
  const entries = Object.entries(l ?? {});
  return entries.length === 0 ? '' : ` ${entries.map(([k, v]) => cell(`${k}=${v}`)).join(' ')}`;
}

/**
 * Markdown text: escape what starts emphasis, code, links and table cells, and
 * neutralise what could open an HTML tag (`<` before a letter); a lone `<` as
 * in `5 s < 60 s` stays readable.
 */
function esc(s: string): string {
  return s
    .replace(/[\\`*_[\]|]/g, (c) => `\\${c}`)
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;')
    .replace(/\r?\n/g, ' ');
}

/** A table cell: escaped text, one line. */
function cell(s: string): string {
  return esc(s);
}

/**
 * A code span inside a table: backslash escapes do not work in code spans, but
 * GitHub splits cells on `|` before parsing spans, so `\|` is still needed;
 * backticks would end the span, so they become quotes.
 */
function code(s: string): string {
  return s.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
