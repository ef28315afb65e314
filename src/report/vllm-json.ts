/**
 * The JSON `vllm bench serve --save-result --save-detailed` writes
 * (vllm/benchmarks/serve.py: `result_json` merged with `benchmark()`'s result),
 * key for key, filled with tokbench's figures, so scripts and dashboards that
 * read vLLM's file keep working. A pure function of (result.json, requests.jsonl).
 *
 * Where tokbench's figure means something else than vLLM's under the same key,
 * tokbench's is written and docs/reports.md says how they differ: TTFT and
 * E2EL from the scheduled time (vLLM: from the send), ITL per token (vLLM: per
 * chunk; the `itls` arrays stay per chunk, as vLLM's do), TPOT as LoadGen.
 */
import type { Histogram } from '../metrics/histogram.js';
import { decodeHistograms } from './result-json.js';
import type { LatencyStats, ResultJson } from '../metrics/types.js';
import type { RequestRecord } from '../records/record.js';

/** Percentiles written as pXX_<metric>_ms, as `--metric-percentiles 50,90,95,99,99.9` would. */
const PERCENTILES = [
  ['50', 'p50'],
  ['90', 'p90'],
  ['95', 'p95'],
  ['99', 'p99'],
  ['99.9', 'p999'],
] as const;

/** vLLM metric name → tokbench's latency figure and its histogram. */
const METRICS = [
  ['ttft', 'ttftMs', 'ttftUs'],
  ['tpot', 'tpotMs', 'tpotUs'],
  ['itl', 'itlMs', 'itlUs'],
  ['e2el', 'e2eMs', 'e2eUs'],
] as const;

export type VllmResult = Record<string, unknown>;

export function renderVllmJson(result: ResultJson, records: readonly RequestRecord[]): VllmResult {
  const s = result.summary;
  const sc = result.scenario;
  const measured = records.filter((r) => !r.warmup).sort((a, b) => a.seq - b.seq);
  const histograms = decodeHistograms(result.histograms, 'histograms');
  const backend = sc.api === 'chat' ? 'openai-chat' : 'openai';
  const out: VllmResult = {
    date: vllmDate(result.startedAt),
    endpoint_type: backend,
    backend,
    label: null,
    model_id: result.endpoints[0]?.model ?? null,
    tokenizer_id: tokenizerOf(sc.benchmark),
    num_prompts: sc.samples,
    // --tag key=value, where vLLM puts --metadata key=value (the keys after it win, as in vLLM)
    ...result.tags,
    request_rate: sc.pattern === 'poisson' && sc.targetQps !== null ? sc.targetQps : 'inf',
    burstiness: sc.burstiness,
    max_concurrency: sc.maxConcurrency,
    duration: s.durationMs / 1000,
    completed: s.completed,
    failed: s.failed,
    total_input_tokens: s.inputTokens,
    total_output_tokens: s.outputTokens,
    request_throughput: s.requestsPerSecond,
    request_goodput: s.goodputRequestsPerSecond,
    output_throughput: s.outputTokensPerSecond,
    total_token_throughput: s.totalTokensPerSecond,
    ...perRequestArrays(measured),
    ...peaks(result),
    // vLLM's inverse real-time factor is for speech models; it writes 0.0 for text ones
    rtfx: 0,
  };
  for (const [name, figure, hist] of METRICS) {
    Object.assign(out, metricKeys(name, s.latency[figure], histograms[hist]));
  }
  // vLLM adds client-side queueing only when --max-concurrency bounds the requests in flight
  if (sc.maxConcurrency !== null) Object.assign(out, metricKeys('client_queue_time', s.latency.issueDelayMs, histograms.issueDelayUs));
  return out;
}

/**
 * mean_, median_, std_ and pXX_ keys of one metric; null when nothing was
 * measured. vLLM writes 0 there (`np.mean(ttfts or 0)`), which a reader cannot
 * tell from a measured 0; tokbench keeps the key and writes null (docs/reports.md).
 */
function metricKeys(name: string, stats: LatencyStats | null, h: Histogram): Record<string, number | null> {
  const out: Record<string, number | null> = {
    [`mean_${name}_ms`]: stats === null ? null : stats.mean,
    [`median_${name}_ms`]: stats === null ? null : stats.p50,
    [`std_${name}_ms`]: stats === null ? null : stdDevMs(h, stats.mean),
  };
  for (const [word, key] of PERCENTILES) out[`p${word}_${name}_ms`] = stats === null ? null : stats[key];
  return out;
}

/**
 * Population standard deviation (numpy's np.std, as vLLM uses) from the
 * histogram, weighting each bucket's median value as `stats()` does for the mean.
 */
export function stdDevMs(h: Histogram, meanMs: number): number {
  const n = h.totalCount;
  if (n === 0) return 0;
  const meanUs = meanMs * 1000;
  let sum = 0;
  let seen = 0;
  for (let i = 0; i < h.countsArrayLength && seen < n; i++) {
    const c = h.getCountAtIndex(i);
    if (c === 0) continue;
    const d = h.medianEquivalentValue(h.valueFromIndex(i)) - meanUs;
    sum += d * d * c;
    seen += c;
  }
  return Math.round(Math.sqrt(sum / n)) / 1000;
}

/** The per-request lists of --save-detailed, in issue order, seconds as vLLM writes them. */
function perRequestArrays(records: readonly RequestRecord[]): VllmResult {
  const sec = (us: number) => us / 1e6;
  return {
    input_lens: records.map((r) => r.inputTokens),
    // a failed request has no output length (vLLM writes 0)
    output_lens: records.map((r) => (r.ok ? r.outputTokens : null)),
    ttfts: records.map((r) => (r.ok && r.firstTokenUs !== null ? sec(r.firstTokenUs - r.scheduledUs) : null)),
    // per chunk, as vLLM's lists are; null when --no-record-chunks left the gaps out
    itls: records.map((r) => (r.ok && r.chunkGapsUs !== undefined ? r.chunkGapsUs.map(sec) : null)),
    latencies: records.map((r) => (r.ok ? sec(r.completedUs - r.scheduledUs) : null)),
    start_times: records.map((r) => sec(r.issuedUs)),
    queue_times: records.map((r) => sec(r.issuedUs - r.scheduledUs)),
    // tokbench keeps response texts only in accuracy mode (mlperf_log_accuracy.json)
    generated_texts: records.map(() => null),
    errors: records.map((r) => (r.ok ? '' : r.error ? `${r.error.kind}${r.error.httpStatus ? ` (HTTP ${r.error.httpStatus})` : ''}: ${r.error.message}` : 'failed')),
  };
}

/** Peak output tokens per second and requests in flight, over the run's one-second buckets (vLLM buckets by the second too). */
function peaks(result: ResultJson): VllmResult {
  const series = result.timeSeries;
  if (series.length === 0) return { max_output_tokens_per_s: null, max_concurrent_requests: null };
  return {
    max_output_tokens_per_s: Math.max(...series.map((b) => b.outputTokens)),
    max_concurrent_requests: Math.max(...series.map((b) => b.inFlight)),
  };
}

/** vLLM's `%Y%m%d-%H%M%S`, of the run's start in UTC. */
function vllmDate(iso: string): string {
  return iso.slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

/** The tokenizer tokbench counted with; custom benchmarks do not record theirs. */
function tokenizerOf(benchmark: string): string | null {
  if (benchmark === 'llama2-70b') return 'llama2';
  if (benchmark === 'gpt-oss-120b') return 'o200k_harmony';
  return null;
}
