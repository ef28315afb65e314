/**
 * From a finished MetricsCollector to the Summary and EndpointSummary of
 * result.json. Throughput follows MLPerf LoadGen exactly (mlperf.md §1.3,
 * docs/metrics.md "Throughput"):
 *
 * - Offline and closed loop: the window runs from t = 0 to the last completion.
 * - Server / Interactive (Poisson arrivals): from t = 0 to the completion of
 *   the last-issued query, which need not be the last to finish.
 *
 * Per-endpoint figures divide by the run's window, not by a window of their
 * own, so per-endpoint throughputs add up to the run's.
 *
 * summaryFromHistograms is the single place rates and stats are computed: a
 * live run and a future `merge` of several result.json files (decoded and added
 * histograms, added counters) go through the same code and agree by design.
 */
import type { MetricsCollector } from './collector.js';
import { latencySet, type HistogramSet } from './histogram.js';
import { steadyState, timeSeries } from './time-series.js';
import type { EndpointSummary, Summary, SummaryCore, TimeBucket } from './types.js';
import type { ChunkTokenSource, TokenCountSource } from '../records/record.js';
import type { LoadPattern, ResolvedScenario } from '../scenario/types.js';

export type ThroughputWindow = SummaryCore['throughputWindow'];

/** Which event ends the throughput window for a load pattern (see the file comment). */
export function throughputWindowFor(pattern: LoadPattern): ThroughputWindow {
  return pattern === 'poisson' ? 'lastIssuedCompletion' : 'lastCompletion';
}

/** Counters that, with histograms, determine a SummaryCore. Everything here adds across shards. */
export interface SummaryCounters {
  issued: number;
  completed: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  partialOutputTokens: number;
  /** HTTP retries made (--retries); absent counts as 0 */
  retries?: number;
  /** completed requests answered with one JSON body, not SSE; absent counts as 0 */
  notStreamed?: number;
  /** the throughput window (for a merge: the caller's choice, e.g. the longest shard window on a shared t = 0) */
  durationMs: number;
  throughputWindow: ThroughputWindow;
  /** completed requests meeting every SLO; null when no SLO is set */
  goodputCompleted: number | null;
  errors: Record<string, number>;
  tokenCountSources: Partial<Record<TokenCountSource, number>>;
  chunkTokenSources: Partial<Record<ChunkTokenSource, number>>;
}

/**
 * SummaryCore from decoded (and possibly added) histograms and counters.
 * Rates are count / durationMs; a zero window gives 0 rates, never NaN.
 */
export function summaryFromHistograms(histograms: HistogramSet, c: SummaryCounters): SummaryCore {
  const rate = (count: number) => (c.durationMs > 0 ? (count * 1000) / c.durationMs : 0);
  return {
    issued: c.issued,
    completed: c.completed,
    failed: c.failed,
    inputTokens: c.inputTokens,
    outputTokens: c.outputTokens,
    partialOutputTokens: c.partialOutputTokens,
    retries: c.retries ?? 0,
    notStreamed: c.notStreamed ?? 0,
    durationMs: c.durationMs,
    throughputWindow: c.throughputWindow,
    outputTokensPerSecond: rate(c.outputTokens),
    totalTokensPerSecond: rate(c.inputTokens + c.outputTokens),
    requestsPerSecond: rate(c.completed),
    goodputRequestsPerSecond: c.goodputCompleted === null ? null : rate(c.goodputCompleted),
    goodputCompleted: c.goodputCompleted,
    latency: latencySet(histograms),
    tokenCountSource: tokenCountSourceOf(c.tokenCountSources),
    tokenCountSources: { ...c.tokenCountSources },
    chunkTokenSources: { ...c.chunkTokenSources },
    errors: { ...c.errors },
  };
}

/** One source when every completed request used it, `mixed` otherwise, `none` when nothing completed. */
export function tokenCountSourceOf(sources: Partial<Record<TokenCountSource, number>>): TokenCountSource | 'mixed' {
  const used = (Object.keys(sources) as TokenCountSource[]).filter((k) => (sources[k] ?? 0) > 0);
  if (used.length === 0) return 'none';
  return used.length === 1 ? used[0]! : 'mixed';
}

export interface EndpointIdentity {
  url: string;
  model: string;
  labels: Record<string, string>;
}

export interface SummarizeOptions {
  /**
   * Identity of each endpoint by index, as the Sut resolved it (the model an
   * endpoint actually serves). Default: scenario.endpoints, the model falling
   * back to scenario.request.model, then ''.
   */
  endpoints?: readonly EndpointIdentity[];
  /** Override scenario.constraints for goodput (e.g. `report --ttft-slo`); same units and null meaning. */
  constraints?: ResolvedScenario['constraints'];
}

export interface SummarizeResult {
  summary: Summary;
  perEndpoint: EndpointSummary[];
  /** the run's histograms (the collector's own objects: encode them, do not record into them) */
  histograms: HistogramSet;
  timeSeries: TimeBucket[];
}

export function summarize(
  collector: MetricsCollector,
  scenario: ResolvedScenario,
  opts: SummarizeOptions = {},
): SummarizeResult {
  const window = throughputWindowFor(scenario.load.pattern);
  const tl = collector.timeline();
  const endUs = window === 'lastCompletion' ? tl.lastCompletedUs : tl.lastIssuedCompletedUs;
  const durationMs = endUs > 0 ? endUs / 1000 : 0;
  const constraints = opts.constraints ?? scenario.constraints;
  const good = goodputCounts(collector, constraints);

  const histograms = collector.histograms();
  const series = timeSeries(collector);
  const core = summaryFromHistograms(histograms, {
    ...collector.counters(),
    durationMs,
    throughputWindow: window,
    goodputCompleted: good === null ? null : good.total,
  });
  const summary: Summary = { ...core, steadyState: steadyState(series) };

  const identities = opts.endpoints ?? defaultIdentities(scenario);
  const count = Math.max(collector.endpointCount, identities.length);
  const perEndpoint: EndpointSummary[] = [];
  for (let i = 0; i < count; i++) {
    const id = identities[i] ?? { url: `endpoint #${i}`, model: '', labels: {} };
    const epCore = summaryFromHistograms(collector.histograms(i), {
      ...collector.counters(i),
      durationMs,
      throughputWindow: window,
      goodputCompleted: good === null ? null : (good.byEndpoint[i] ?? 0),
    });
    perEndpoint.push({ url: id.url, model: id.model, labels: { ...id.labels }, ...epCore });
  }
  return { summary, perEndpoint, histograms, timeSeries: series };
}

function defaultIdentities(scenario: ResolvedScenario): EndpointIdentity[] {
  return scenario.endpoints.map((e) => ({
    url: e.url,
    model: e.model ?? scenario.request.model ?? '',
    labels: e.labels,
  }));
}

/**
 * Completed requests meeting every set SLO: TTFT <= ttftP99Ms and TPOT <=
 * tpotP99Ms (equal passes, as LoadGen fails only on ">"). A request with no
 * first token fails a TTFT SLO (its TTFT is unknown); a request with fewer
 * than 2 output tokens has no TPOT and cannot fail a TPOT SLO. null when no
 * SLO is set.
 */
export function goodputCounts(
  collector: MetricsCollector,
  constraints: ResolvedScenario['constraints'],
): { total: number; byEndpoint: number[] } | null {
  const { ttftP99Ms, tpotP99Ms } = constraints;
  if (ttftP99Ms === null && tpotP99Ms === null) return null;
  const cols = collector.completedColumns();
  const ttftLimitUs = ttftP99Ms === null ? -1 : ttftP99Ms * 1000;
  const tpotLimitNs = tpotP99Ms === null ? -1 : tpotP99Ms * 1e6;
  const byEndpoint = new Array<number>(collector.endpointCount).fill(0);
  let total = 0;
  for (let i = 0; i < cols.e2eUs.length; i++) {
    if (ttftLimitUs >= 0) {
      const ttft = cols.ttftUs[i]!;
      if (ttft < 0 || ttft > ttftLimitUs) continue;
    }
    if (tpotLimitNs >= 0) {
      const tpot = cols.tpotNs[i]!;
      if (tpot > tpotLimitNs) continue;
    }
    total++;
    const ep = cols.endpoint[i]!;
    byEndpoint[ep] = (byEndpoint[ep] ?? 0) + 1;
  }
  return { total, byEndpoint };
}

/**
 * The exact per-request latencies LoadGen computes its percentiles from
 * (mlperf.md §1.3), for MLPerf validity, early stopping and the MLPerf logs.
 *
 * - Units: integer nanoseconds, as LoadGen logs them (tokbench measures µs, so
 *   TTFT and e2e are µs × 1000; TPOT is LoadGen's integer division applied to
 *   those ns: floor((e2e − TTFT) / (outputTokens − 1))).
 * - Membership: completed (ok), non-warm-up requests. ttftNs: those with a
 *   first token. tpotNs: those with a first token and outputTokens >= 2
 *   (LoadGen n_tokens > 1). e2eNs: all of them. Lengths can therefore differ.
 * - Sorted ascending, so LoadGen's percentile p is `a[Math.floor(a.length * p)]`
 *   (exactPercentile). Fresh copies: the caller may keep or mutate them.
 * - `endpoint` restricts to one endpoint's requests.
 */
export interface ExactLatencies {
  ttftNs: Float64Array;
  tpotNs: Float64Array;
  e2eNs: Float64Array;
}

export function exactLatencies(collector: MetricsCollector, endpoint?: number): ExactLatencies {
  const cols = collector.completedColumns();
  const n = cols.e2eUs.length;
  const ttft = new Float64Array(n);
  const tpot = new Float64Array(n);
  const e2e = new Float64Array(n);
  let nt = 0;
  let np = 0;
  let ne = 0;
  for (let i = 0; i < n; i++) {
    if (endpoint !== undefined && cols.endpoint[i] !== endpoint) continue;
    e2e[ne++] = cols.e2eUs[i]! * 1000;
    const t = cols.ttftUs[i]!;
    if (t >= 0) ttft[nt++] = t * 1000;
    const p = cols.tpotNs[i]!;
    if (p >= 0) tpot[np++] = p;
  }
  return {
    ttftNs: ttft.slice(0, nt).sort(),
    tpotNs: tpot.slice(0, np).sort(),
    e2eNs: e2e.slice(0, ne).sort(),
  };
}

/** LoadGen's percentile of an ascending array: a[floor(n·p)] (size_t truncation); null when empty. */
export function exactPercentile(sortedAsc: ArrayLike<number>, p: number): number | null {
  const n = sortedAsc.length;
  if (n === 0) return null;
  return sortedAsc[Math.min(n - 1, Math.floor(n * p))]!;
}
