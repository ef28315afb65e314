/**
 * The finished summary of a run and its on-disk form, result.json
 * (schemaVersion 1). Field names are a public contract (DESIGN.md §4): CI scripts
 * and dashboards read them. Extend freely; rename only with a schema version bump.
 */
import type { ClientSelfCheck } from './client-check.js';
import type { ChunkTokenSource, TokenCountSource } from '../records/record.js';

/** Latency statistics in milliseconds (float), from an HDR histogram recorded in µs; count >= 1 always. */
export interface LatencyStats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p97: number;
  p99: number;
  p999: number;
  max: number;
}

/**
 * Each figure is null when no request gave a value (a non-streamed run has no
 * TTFT, TPOT or ITL; a run without reasoning no TTFA): absent, never a row of
 * zeros a reader could take for a measured 0 (docs/metrics.md "Absent figures").
 */
export interface LatencySet {
  /** time to first token, from the scheduled time */
  ttftMs: LatencyStats | null;
  /** time to first answer token (first content after reasoning), from the scheduled time: requests whose stream carried reasoning only */
  ttfaMs: LatencyStats | null;
  /** (e2e - ttft) / (outputTokens - 1), per request */
  tpotMs: LatencyStats | null;
  /** per token: a chunk carrying k tokens contributes k gaps of gap/k */
  itlMs: LatencyStats | null;
  /** per chunk: gaps between successive output chunks */
  chunkGapMs: LatencyStats | null;
  /** end to end, from the scheduled time */
  e2eMs: LatencyStats | null;
  /** issued - scheduled: the client's own lateness */
  issueDelayMs: LatencyStats | null;
  /** the part of issueDelayMs spent waiting for a connection (a full pool, connection setup) */
  connectWaitMs: LatencyStats | null;
}

export interface SummaryCore {
  /** queries issued in the measured phase (warm-up excluded) */
  issued: number;
  completed: number;
  failed: number;
  inputTokens: number;
  /** output tokens of completed requests */
  outputTokens: number;
  /** output tokens received by requests that then failed, reported apart */
  partialOutputTokens: number;
  /** HTTP retries made, over all requests (only with --retries N: tokbench never retries silently); always written, optional only for older results */
  retries?: number;
  /**
   * completed requests whose answer came as one JSON body, not SSE: with
   * `stream: true` a server or proxy that does not stream (flagged); they have
   * no TTFT, TPOT or ITL. Always written, optional only for older results
   */
  notStreamed?: number;
  /** the throughput window, ms (see docs/metrics.md per scenario) */
  durationMs: number;
  /**
   * which event ends the throughput window (MLPerf, mlperf.md §1.3): Offline and
   * closed loop end at the last completion; Server/Interactive at the completion
   * of the last-issued query
   */
  throughputWindow: 'lastCompletion' | 'lastIssuedCompletion';
  outputTokensPerSecond: number;
  totalTokensPerSecond: number;
  requestsPerSecond: number;
  /** completed requests meeting every SLO (TTFT and TPOT constraints) per second; null when no constraint is set */
  goodputRequestsPerSecond: number | null;
  /** completed requests meeting every SLO (the goodput numerator, so `merge` can add it); null when no constraint is set */
  goodputCompleted: number | null;
  latency: LatencySet;
  /** where token counts came from: one source, or `mixed` with counts in tokenCountSources */
  tokenCountSource: TokenCountSource | 'mixed';
  tokenCountSources: Partial<Record<TokenCountSource, number>>;
  /**
   * completed requests that gave per-token ITL values, by how their per-chunk
   * token counts were known (`estimated`: spread over the chunks, docs/metrics.md)
   */
  chunkTokenSources: Partial<Record<ChunkTokenSource, number>>;
  /** failures by kind (ErrorKind) */
  errors: Record<string, number>;
}

export interface Summary extends SummaryCore {
  /** steady state: the window between the end of ramp-up and the start of drain; null when too short to tell */
  steadyState: {
    startMs: number;
    endMs: number;
    outputTokensPerSecond: number;
    requestsPerSecond: number;
  } | null;
  /** confidence intervals of the headline figures (docs/metrics.md "Confidence intervals"); absent in results of older versions */
  intervals?: SummaryIntervals;
  /** energy over the throughput window from scraped GPU power (telemetry.energy has how); absent without GPU telemetry */
  energyJoules?: number;
  /** output tokens per joule of GPU energy; absent without GPU telemetry */
  outputTokensPerJoule?: number;
}

/** A rate's interval by batch means over the steady-state window (docs/metrics.md). */
export interface RateInterval {
  /** the headline figure the interval is around */
  value: number;
  /** null when the steady state is too short or absent (see minSteadySeconds) */
  low: number | null;
  high: number | null;
  /** ± half-width as a % of value */
  halfWidthPct: number | null;
  /** k batches of batchSeconds each (0 when there is no interval) */
  batches: number;
  batchSeconds: number;
  /** standard error of the steady-state rate relative to it (what `compare` combines) */
  relStdErr: number | null;
  /** seconds of steady state the run had, and the fewest that give an interval */
  steadySeconds: number;
  minSteadySeconds: number;
}

/** A percentile's distribution-free interval from order statistics, ms. */
export interface PercentileIntervalJson {
  /** null on a side the run has too few values to bound (see minCount) */
  low: number | null;
  high: number | null;
  count: number;
  /** the fewest values giving both bounds at this confidence */
  minCount: number;
}

export type IntervalPercentile = 'p50' | 'p90' | 'p95' | 'p97' | 'p99' | 'p999';
export type IntervalSeries = 'ttftMs' | 'tpotMs' | 'itlMs' | 'e2eMs';

export interface SummaryIntervals {
  /** e.g. 0.95 (run --confidence) */
  confidence: number;
  outputTokensPerSecond: RateInterval;
  totalTokensPerSecond: RateInterval;
  requestsPerSecond: RateInterval;
  /** null when goodput is (no SLO set) */
  goodputRequestsPerSecond: RateInterval | null;
  /** null for a series with no data (its latency figure is null too) */
  latency: Record<IntervalSeries, Record<IntervalPercentile, PercentileIntervalJson> | null>;
}

export interface EndpointSummary extends SummaryCore {
  url: string;
  model: string;
  labels: Record<string, string>;
}

export interface ValidityCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export interface Validity {
  valid: boolean;
  checks: ValidityCheck[];
  recommendations: string[];
}

export interface ThresholdVerdict {
  expr: string;
  passed: boolean;
  /** the metric's value the expression was evaluated against, in the metric's natural unit (ms, tokens/s, a count, a fraction); null when there was no data */
  actual: number | boolean | null;
}

/** One per-second bucket of the run's time series. */
export interface TimeBucket {
  /** seconds from the run's start */
  t: number;
  /** queries issued in this second (by issue time) */
  issued: number;
  completed: number;
  failed: number;
  outputTokens: number;
  /** queries in flight at the end of this second (issued so far minus completed or failed so far) */
  inFlight: number;
}

export interface ResultJson {
  schemaVersion: 1;
  tokbenchVersion: string;
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  /** true when the endpoint was tokbench's own simulator */
  simulated: boolean;
  scenario: {
    name: string;
    benchmark: string;
    scenario: string;
    pattern: string;
    mode: string;
    targetQps: number | null;
    burstiness: number;
    maxConcurrency: number | null;
    minDurationMs: number;
    minQueryCount: number;
    samples: number;
    datasetSize: number;
    dataset: string;
    api: string;
    maxTokens: number;
    /** the requests asked for a stream (`stream: true`); absent in older files: true */
    stream?: boolean;
    constraints: { ttftP99Ms: number | null; tpotP99Ms: number | null };
    /** the MLPerf round whose seeds and constraints were the defaults (--mlperf-round); absent in results of older versions */
    mlperfRound?: string;
    seeds: { qsl: string; sampleIndex: string; schedule: string };
    origins: Record<string, string>;
  };
  endpoints: { url: string; model: string; labels: Record<string, string> }[];
  shard: { index: number; count: number } | null;
  summary: Summary;
  perEndpoint: EndpointSummary[];
  validity: Validity;
  thresholds: ThresholdVerdict[];
  /** HdrHistogram, compressed base64, values in µs */
  histograms: {
    ttftUs: string;
    tpotUs: string;
    itlUs: string;
    chunkGapUs: string;
    e2eUs: string;
    issueDelayUs: string;
    /** absent in files written before they were added */
    ttfaUs?: string;
    connectWaitUs?: string;
  };
  timeSeries: TimeBucket[];
  tags: Record<string, string>;
  /** server telemetry scraped from Prometheus endpoints during the run (--scrape); absent when nothing was scraped */
  telemetry?: Telemetry;
  /** a bounded sample of per-request points (TTFT against scheduled time); absent in results from older versions */
  requestSample?: RequestSample;
  /** figures of the endpoints grouped by label (one entry per label key and value); absent when no endpoint has labels */
  perLabel?: LabelSummary[];
  /** scaling efficiency against a single-node baseline result (--baseline) */
  scaling?: ScalingEfficiency;
  /** MLPerf-style system description (--system FILE), verbatim */
  system?: Record<string, unknown>;
  /** where t = 0 is on the wall clock, so shards can be aligned by `merge` */
  clock?: RunClock;
  /**
   * how the client ran (worker threads, host) and its self-check (src/metrics/client-check.ts:
   * event-loop delay, CPU, clientBound with reasons); the self-check is absent in results from
   * older versions and in merged results
   */
  client?: { workers: number; hostname?: string } & Partial<Omit<ClientSelfCheck, 'workers'>>;
  /** set by `tokbench merge`: the shards this result was merged from */
  mergedFrom?: MergedShard[];
  /** accuracy mode (--mode accuracy): the scores, as the MLPerf evaluator computes them, and the targets */
  accuracy?: AccuracyResult;
}

/** Accuracy-mode scores (docs/mlperf.md "Accuracy mode"); the same numbers as accuracy.txt. */
export interface AccuracyResult {
  /** `rouge` (Llama 2 70B and custom benchmarks) or `exact_match` (GPT-OSS-120B) */
  metric: 'rouge' | 'exact_match';
  /** samples issued (each once) */
  samples: number;
  /** samples scored (with a reference, in a scorable set) */
  scored: number;
  /** requests that failed; scored as an empty output */
  failed: number;
  /** the evaluator's figures, e.g. rouge1, rouge2, rougeL, rougeLsum, gen_len, gen_num, gen_tok_len, tokens_per_sample; or exact_match */
  scores: Record<string, number>;
  /** exact_match only: per dataset (e.g. aime25, gpqa_diamond) */
  perDataset?: { dataset: string; correct: number; total: number; repeats: number; accuracy: number }[];
  /** samples left out of the score, by dataset, with the reason */
  notScored: { dataset: string; samples: number; reason: string }[];
  /** MLPerf targets of the benchmark, each set judged on its own (e.g. llama2-70b-99 and llama2-70b-99.9) */
  targets: {
    name: string;
    passed: boolean;
    checks: { metric: string; value: number; op: '>=' | '<='; limit: number; passed: boolean }[];
  }[];
  /** caveats a reader needs (approximations, sets not scored) */
  notes: string[];
}

/** One probe (or point) of `tokbench find-peak`: the figures at one Server target QPS. */
export interface FindPeakPoint {
  qps: number;
  outputTokensPerSecond: number;
  /** null when no request completed */
  ttftP99Ms: number | null;
  tpotP99Ms: number | null;
  /** the probe met the latency constraints (p99 TTFT/TPOT, early stopping projected to a full run, no failures) */
  valid: boolean;
  /** why it is not valid; null when valid */
  reason: string | null;
}

/** find-peak.json (schemaVersion 1), written by `tokbench find-peak`. */
export interface FindPeakResult {
  schemaVersion: 1;
  /** the scenario's name (built-in name or file) */
  scenario: string;
  /** the highest target QPS found valid; null when none was */
  peakQps: number | null;
  /** a full-length (or --confirm-duration) run at peakQps was VALID */
  confirmed: boolean;
  /** every probe, in the order run */
  curve: FindPeakPoint[];
  /** how the search ran (optional; not needed to plot the curve) */
  details?: {
    constraints: { ttftP99Ms: number | null; tpotP99Ms: number | null };
    probeDurationMs: number;
    tolerance: number;
    /** the confirming runs, in order (a step down follows an invalid one when --confirm-retries allows) */
    confirmRuns: { qps: number; durationMs: number; valid: boolean; reason: string | null; outputTokensPerSecond: number; outDir: string }[];
    /** why the search stopped */
    stoppedBecause: string;
  };
}

/** One label value's endpoints taken together (e.g. every endpoint with gpu=MI355X). */
export interface LabelSummary extends SummaryCore {
  label: string;
  value: string;
  /** urls of the endpoints in the group */
  endpoints: string[];
}

export interface ScalingEfficiency {
  /** the baseline result.json, as given */
  baselineFile: string;
  /** the baseline's summary.outputTokensPerSecond (one node) */
  baselineOutputTokensPerSecond: number;
  /** endpoints of this run (N) */
  endpoints: number;
  /** summary.outputTokensPerSecond / (N × baseline) */
  efficiency: number;
  perEndpoint: { url: string; outputTokensPerSecond: number; efficiency: number }[];
  perLabel: { label: string; value: string; endpoints: number; outputTokensPerSecond: number; efficiency: number }[];
  /** differences between this run and the baseline that make the comparison weaker */
  warnings: string[];
}

export interface RunClock {
  /** wall-clock epoch µs of t = 0 (performance.timeOrigin + performance.now(), or the --start-at time) */
  t0EpochUs: number;
  /** --start-at as epoch µs; null when not given */
  startAtEpochUs: number | null;
}

export interface MergedShard {
  index: number;
  count: number;
  /** the shard's --out directory, as given to merge */
  dir: string;
  hostname: string | null;
  /** µs the shard's t = 0 lies after the merged t = 0 */
  offsetUs: number;
  issued: number;
  completed: number;
  failed: number;
  outputTokensPerSecond: number;
}

/** One scraped series: a gauge as read, or a counter turned into a per-second rate between scrapes. */
export interface TelemetrySeries {
  /** the metric name as exposed, e.g. `vllm:num_requests_running`, `DCGM_FI_DEV_POWER_USAGE` */
  name: string;
  labels: Record<string, string>;
  /** index into telemetry.sources */
  source: number;
  /** `gauge`: the value as read; `rate`: a counter's increase per second between two scrapes */
  kind: 'gauge' | 'rate';
  /** unit of the stored values, e.g. `W`, `%`, `tok/s`, `requests`, `fraction` */
  unit?: string;
  /** a human name for plots, e.g. `running requests` */
  title?: string;
  /** [ms from the run's t = 0 (negative before it, e.g. warm-up), value] */
  points: [number, number][];
}

export interface TelemetrySource {
  url: string;
  /** scraped automatically (the embedded simulator), not named by --scrape */
  auto?: boolean;
  /** scrapes that returned a parsable body */
  ok: number;
  /** scrapes that failed (connect, timeout, HTTP status, too large, unparsable) */
  errors: number;
  /** failures by kind: connect, timeout, http_<status>, too_large, parse */
  errorKinds?: Record<string, number>;
  lastError?: string;
}

/** Energy over the throughput window from GPU power telemetry (docs/reports.md). */
export interface TelemetryEnergy {
  joules: number;
  /** the throughput window it covers: [0, summary.durationMs] */
  windowMs: number;
  /** summary.outputTokens / joules */
  outputTokensPerJoule: number;
  averagePowerW: number;
  /** `energyCounter`: difference of an energy counter; `power`: ∫ power dt (trapezoids) */
  method: 'energyCounter' | 'power';
  /** the metric used, e.g. DCGM_FI_DEV_POWER_USAGE */
  metric: string;
  /** distinct GPUs (series) summed */
  gpus: number;
}

export interface Telemetry {
  /** scrape interval, ms */
  intervalMs: number;
  /** every metric was kept (--scrape-all), not only the known set */
  all: boolean;
  sources: TelemetrySource[];
  series: TelemetrySeries[];
  /** null when no GPU power or energy metric was scraped over the window */
  energy: TelemetryEnergy | null;
}

/**
 * A deterministic, bounded sample of measured queries (at most `max` points,
 * chosen by a hash of seq, so every part of the run is represented and shards
 * sample alike), sorted by scheduled time. Times in ms from the run's t = 0.
 */
export interface RequestSample {
  /** measured queries seen */
  seen: number;
  /** the bound on points kept */
  max: number;
  scheduledMs: number[];
  /** null: failed or no first token */
  ttftMs: (number | null)[];
  /** null: failed */
  e2eMs: (number | null)[];
  endpoint: number[];
}
