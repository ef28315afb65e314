/**
 * The finished summary of a run and its on-disk form, result.json
 * (schemaVersion 1). Field names are a public contract (DESIGN.md §4): CI scripts
 * and dashboards read them. Extend freely; rename only with a schema version bump.
 */
import type { ChunkTokenSource, TokenCountSource } from '../records/record.js';

/** Latency statistics in milliseconds (float), from an HDR histogram recorded in µs. */
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

export interface LatencySet {
  /** time to first token, from the scheduled time */
  ttftMs: LatencyStats;
  /** (e2e - ttft) / (outputTokens - 1), per request */
  tpotMs: LatencyStats;
  /** per token: a chunk carrying k tokens contributes k gaps of gap/k */
  itlMs: LatencyStats;
  /** per chunk: gaps between successive output chunks */
  chunkGapMs: LatencyStats;
  /** end to end, from the scheduled time */
  e2eMs: LatencyStats;
  /** issued - scheduled: the client's own lateness */
  issueDelayMs: LatencyStats;
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
    constraints: { ttftP99Ms: number | null; tpotP99Ms: number | null };
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
  };
  timeSeries: TimeBucket[];
  tags: Record<string, string>;
}
