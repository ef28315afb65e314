/**
 * The scale-out part of the terminal summary: figures per label group, scaling
 * efficiency against a baseline, the system description, the client's worker
 * threads and, for a merged result, its shards. Pure: ResultJson → lines.
 */
import type { ChalkInstance } from 'chalk';
import type { LatencyStats, ResultJson } from '../metrics/types.js';
import { DASH, formatCount, formatDurationMs, formatNumber, formatPercent, padEnd, padStart, wrap } from './format.js';

const LABEL_WIDTH = 14;

export function renderScaleOut(result: ResultJson, c: ChalkInstance, width = 80): string[] {
  const out: string[] = [];
  const row = (label: string, value: string) => `  ${padEnd(label, LABEL_WIDTH)}${value}`;
  const p99 = (st: LatencyStats | null) => (st === null ? DASH : formatDurationMs(st.p99));
  const st50 = (st: LatencyStats | null) => (st === null ? DASH : formatDurationMs(st.p50));

  // per label: only when it says more than the per-endpoint table (several endpoints share a value)
  const groups = result.perLabel ?? [];
  if (groups.length > 0 && groups.some((g) => g.endpoints.length > 1) && result.endpoints.length > 1) {
    const names = groups.map((g) => `${g.label}=${g.value}`);
    const w = Math.min(36, Math.max(...names.map((n) => n.length)) + 2);
    out.push(c.bold('Per label'));
    out.push(c.dim(`  ${padEnd('label', w)}${padStart('endpoints', 10)}${padStart('completed', 11)}${padStart('failed', 8)}${padStart('tok/s', 10)}${padStart('p99 TTFT', 10)}${padStart('p50 TPOT', 10)}${padStart('p99 TPOT', 10)}`));
    groups.forEach((g, i) => {
      out.push(
        `  ${padEnd(names[i]!, w)}${padStart(formatCount(g.endpoints.length), 10)}${padStart(formatCount(g.completed), 11)}${padStart(formatCount(g.failed), 8)}` +
          `${padStart(g.durationMs > 0 ? formatNumber(g.outputTokensPerSecond) : DASH, 10)}${padStart(p99(g.latency.ttftMs), 10)}${padStart(st50(g.latency.tpotMs), 10)}${padStart(p99(g.latency.tpotMs), 10)}`,
      );
    });
    out.push('');
  }

  const sc = result.scaling;
  if (sc) {
    out.push(
      row(
        c.bold('Scaling'),
        `${formatPercent(sc.efficiency)} efficiency` +
          c.dim(`  (${formatNumber(result.summary.outputTokensPerSecond)} tok/s over ${sc.endpoints} × ${formatNumber(sc.baselineOutputTokensPerSecond)} tok/s baseline, ${sc.baselineFile})`),
      ),
    );
    if (sc.perEndpoint.length > 1) {
      const w = Math.min(40, Math.max(...sc.perEndpoint.map((e) => e.url.length)) + 2);
      for (const e of sc.perEndpoint) out.push(`    ${padEnd(e.url, w)}${padStart(formatPercent(e.efficiency), 8)}`);
    }
    for (const g of sc.perLabel) if (g.endpoints > 1) out.push(`    ${padEnd(`${g.label}=${g.value}`, 30)}${padStart(formatPercent(g.efficiency), 8)}${c.dim(`  ${g.endpoints} endpoints`)}`);
    for (const wng of sc.warnings) out.push(`  ${c.yellow('!')} ${wrap(wng, width - 4, '    ')}`);
  }

  if (result.system) {
    const s = result.system;
    const str = (k: string) => (typeof s[k] === 'string' || typeof s[k] === 'number' ? String(s[k]) : null);
    const name = str('system_name') ?? str('name') ?? 'system description';
    const nodes = str('number_of_nodes');
    const acc = str('accelerators_per_node');
    const model = str('accelerator_model_name');
    const shape = [nodes === null ? null : `${nodes} node${nodes === '1' ? '' : 's'}`, acc === null ? null : `${acc} × ${model ?? 'accelerator'} per node`].filter((x) => x !== null).join(', ');
    out.push(row(c.bold('System'), `${name}${shape ? c.dim(`  (${shape})`) : ''}`));
  }

  if (result.client && result.client.workers > 1) out.push(row(c.bold('Client'), `${result.client.workers} worker threads on ${result.client.hostname}`));

  const m = result.mergedFrom;
  if (m && m.length > 0) {
    const maxOff = Math.max(...m.map((s) => s.offsetUs));
    const hosts = new Set(m.map((s) => s.hostname).filter((h) => h !== null));
    out.push(
      row(
        c.bold('Merged'),
        `${m.length} shards${hosts.size > 0 ? ` on ${hosts.size} host${hosts.size === 1 ? '' : 's'}` : ''}` +
          c.dim(`  (starts ${maxOff === 0 ? 'aligned by --start-at' : `spread over ${formatDurationMs(maxOff / 1000)}`})`),
      ),
    );
  }
  if (out.length > 0 && out[out.length - 1] !== '') out.push('');
  return out;
}
