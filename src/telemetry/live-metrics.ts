/**
 * tokbench's own figures during a run, in the Prometheus text exposition format
 * (0.0.4), for `--metrics-listen`. Rendered at scrape time from the run's
 * MetricsCollector, so the live figures are the very counters and HDR
 * histograms result.json is built from, and the hot path does no extra work.
 *
 * Histograms are exposed as Prometheus histograms in seconds: each bucket counts
 * the recorded values at or below its bound (HDR buckets are 1 µs wide below
 * 2.048 ms and keep 3 significant digits above, so a count is exact to that
 * resolution). TTFT, e2e and issue delay are from the scheduled time, ITL is per
 * token, TPOT as LoadGen (docs/metrics.md). The listener is the CLI's
 * (src/cli/live-metrics-server.ts); this module only renders text.
 */
import type { MetricsCollector } from '../metrics/collector.js';
import type { Histogram, HistogramKey } from '../metrics/histogram.js';

export interface LiveRunInfo {
  benchmark: string;
  scenario: string;
  mlperfRound: string | null;
  simulated: boolean;
  targetQps: number | null;
}

/** Bucket bounds in seconds, including MLPerf's p99 limits (TTFT 0.45/2/3 s, TPOT 15/40/80/200 ms) so SLO lines fall on a bound. */
export const LIVE_BUCKETS_S: Readonly<Record<'ttft' | 'tpot' | 'itl' | 'e2e' | 'issueDelay', readonly number[]>> = {
  ttft: [0.01, 0.025, 0.05, 0.1, 0.25, 0.45, 0.5, 1, 2, 3, 5, 10, 30, 60],
  tpot: [0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.04, 0.06, 0.08, 0.1, 0.2, 0.5, 1],
  itl: [0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.04, 0.06, 0.08, 0.1, 0.2, 0.5, 1],
  e2e: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  issueDelay: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
};

const HISTOGRAMS: readonly [name: string, key: HistogramKey, buckets: readonly number[], help: string][] = [
  ['tokbench_ttft_seconds', 'ttftUs', LIVE_BUCKETS_S.ttft, 'Time to first token of completed queries, from the scheduled time'],
  ['tokbench_tpot_seconds', 'tpotUs', LIVE_BUCKETS_S.tpot, 'Time per output token, (e2e - TTFT) / (output tokens - 1), per completed query'],
  ['tokbench_itl_seconds', 'itlUs', LIVE_BUCKETS_S.itl, 'Inter-token latency, per token (a chunk of k tokens gives k values)'],
  ['tokbench_e2e_seconds', 'e2eUs', LIVE_BUCKETS_S.e2e, 'End-to-end latency of completed queries, from the scheduled time'],
  ['tokbench_issue_delay_seconds', 'issueDelayUs', LIVE_BUCKETS_S.issueDelay, 'Issued minus scheduled time: the client\'s own lateness'],
];

export function renderLiveMetrics(collector: MetricsCollector, info: LiveRunInfo): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const c = collector.counters();

  family('tokbench_run_info', 'gauge', 'The run being measured (value always 1)');
  const round = info.mlperfRound === null ? '' : `,mlperf_round="${info.mlperfRound}"`;
  lines.push(`tokbench_run_info{benchmark="${esc(info.benchmark)}",scenario="${esc(info.scenario)}"${round},simulated="${info.simulated}"} 1`);
  if (info.targetQps !== null) {
    family('tokbench_target_qps', 'gauge', 'Target query rate of the schedule (queries/s)');
    lines.push(`tokbench_target_qps ${info.targetQps}`);
  }
  family('tokbench_queries_issued_total', 'counter', 'Measured queries issued (warm-up excluded)');
  lines.push(`tokbench_queries_issued_total ${c.issued}`);
  family('tokbench_queries_completed_total', 'counter', 'Measured queries completed');
  lines.push(`tokbench_queries_completed_total ${c.completed}`);
  family('tokbench_queries_failed_total', 'counter', 'Measured queries failed, by error kind');
  for (const [kind, n] of Object.entries(c.errors).sort()) lines.push(`tokbench_queries_failed_total{kind="${esc(kind)}"} ${n}`);
  family('tokbench_queries_in_flight', 'gauge', 'Measured queries issued and not yet finished');
  lines.push(`tokbench_queries_in_flight ${collector.inFlight}`);
  family('tokbench_output_tokens_total', 'counter', 'Output tokens of completed queries');
  lines.push(`tokbench_output_tokens_total ${c.outputTokens}`);
  family('tokbench_input_tokens_total', 'counter', 'Input tokens of completed queries');
  lines.push(`tokbench_input_tokens_total ${c.inputTokens}`);
  family('tokbench_retries_total', 'counter', 'HTTP retries made (only with --retries)');
  lines.push(`tokbench_retries_total ${c.retries}`);

  const perEndpoint = Array.from({ length: collector.endpointCount }, (_, i) => collector.histograms(i));
  for (const [name, key, bounds, help] of HISTOGRAMS) {
    family(name, 'histogram', help);
    const { cumulative, count, sumS } = bucketCounts(perEndpoint.map((set) => set[key]), bounds);
    bounds.forEach((b, i) => lines.push(`${name}_bucket{le="${b}"} ${cumulative[i]}`));
    lines.push(`${name}_bucket{le="+Inf"} ${count}`, `${name}_sum ${sumS}`, `${name}_count ${count}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Cumulative counts at each bound (seconds) over several HDR histograms (µs):
 * a value counts toward every bound at or above it. The sum weights each HDR
 * bucket's median value, as the result's mean does.
 */
export function bucketCounts(hs: readonly Histogram[], boundsS: readonly number[]): { cumulative: number[]; count: number; sumS: number } {
  const perBound = new Array<number>(boundsS.length).fill(0);
  const boundsUs = boundsS.map((b) => Math.round(b * 1e6));
  let count = 0;
  let sumUs = 0;
  for (const h of hs) {
    const n = h.totalCount;
    let seen = 0;
    for (let i = 0; i < h.countsArrayLength && seen < n; i++) {
      const k = h.getCountAtIndex(i);
      if (k === 0) continue;
      seen += k;
      const v = h.valueFromIndex(i);
      sumUs += h.medianEquivalentValue(v) * k;
      const b = boundsUs.findIndex((bound) => v <= bound);
      if (b >= 0) perBound[b] = perBound[b]! + k;
    }
    count += n;
  }
  const cumulative: number[] = [];
  let running = 0;
  for (const k of perBound) cumulative.push((running += k));
  return { cumulative, count, sumS: sumUs / 1e6 };
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
