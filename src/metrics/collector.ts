/**
 * The metrics sink the runner feeds while the run goes: `onIssued` when a query
 * leaves, `record` when it ends. Both do integer arithmetic, typed-array writes
 * and histogram increments only (no strings, no console, no per-call
 * allocation beyond amortised array doubling), so the collector cannot make the
 * client late. Everything derived (rates, stats, steady state) is computed
 * after the run by summary.ts and time-series.ts from what is kept here.
 *
 * Rules (docs/metrics.md has the long form):
 * - Warm-up records are counted apart and enter no figure.
 * - Latencies are measured from `scheduledUs` (coordinated-omission-free, as
 *   LoadGen); the client's own lateness `issuedUs - scheduledUs` goes to the
 *   issue-delay histogram, for every measured query (ok or failed), because it
 *   is a property of the client, not of the server's answer.
 * - Only completed (ok) requests enter the server-latency histograms (TTFT,
 *   TPOT, ITL, chunk gap, e2e). TTFT needs a first token; TPOT needs a first
 *   token and outputTokens >= 2 (LoadGen: n_tokens > 1).
 * - TPOT = (e2e - TTFT) / (outputTokens - 1), floored (LoadGen integer division).
 * - ITL per chunk: one value per chunk gap. ITL per token: the gap before a
 *   chunk is split evenly over the tokens that chunk carries (k values of
 *   floor(gap / k)); a chunk carrying 0 tokens passes its gap on to the next
 *   chunk that carries some. The first chunk has no gap before it: its extra
 *   tokens (beyond the first token) give no ITL value, their time is inside
 *   TTFT. Per-chunk token counts come from `chunkTokens` when the record has
 *   them; otherwise, when outputTokens is known, the first chunk is taken to
 *   carry 1 token and the remaining outputTokens - 1 are spread as evenly as
 *   integers allow over the remaining chunks (so the mean per-token ITL equals
 *   TPOT's (e2e - TTFT) / (n - 1) up to flooring). No ITL when chunks <= 1 or
 *   the chunk carries <= 1 token in total, or when chunk gaps were not recorded.
 * - Histograms are kept per endpoint only; the run's histograms are their sum,
 *   built once after the run (halves the hot-path work with one endpoint).
 */
import type { ChunkTokenSource, RequestRecord, TokenCountSource } from '../records/record.js';
import { createHistogramSet, mergeSets, recordUs, type HistogramSet } from './histogram.js';

const US_PER_S = 1_000_000;

/** Counters of one endpoint or of the whole run. */
export interface Counters {
  /** queries issued (max of onIssued calls and records seen, so a run rebuilt from requests.jsonl counts right) */
  issued: number;
  completed: number;
  failed: number;
  /** input tokens of completed requests */
  inputTokens: number;
  /** output tokens of completed requests */
  outputTokens: number;
  /** output tokens received by requests that then failed */
  partialOutputTokens: number;
  /** HTTP retries made (opt-in --retries), over completed and failed requests */
  retries: number;
  /** completed requests answered with one JSON body instead of SSE (no TTFT, TPOT or ITL) */
  notStreamed: number;
  /** failed requests by ErrorKind (`other` when a failed record carries no error) */
  errors: Record<string, number>;
  /** completed requests by where their token counts came from */
  tokenCountSources: Partial<Record<TokenCountSource, number>>;
  /** completed requests that gave per-token ITL values, by how their per-chunk token counts were known */
  chunkTokenSources: Partial<Record<ChunkTokenSource, number>>;
}

/**
 * Times (µs from the run's t = 0) that the throughput windows and MLPerf's
 * validity and logs need. -1 when no measured query was seen.
 */
export interface Timeline {
  /** earliest scheduled time */
  firstScheduledUs: number;
  /** LoadGen final_query_scheduled_time: the latest scheduled time */
  lastScheduledUs: number;
  /** seq of the last-issued query (the highest seq: the schedule issues in seq order) */
  lastIssuedSeq: number;
  /** LoadGen final_query_issued_time: when the last-issued query was actually issued */
  lastIssuedUs: number;
  /** LoadGen final_query_all_samples_done_time: completion of the last-issued query (ok or failed) */
  lastIssuedCompletedUs: number;
  /** LoadGen max_latency for Offline: the last completion of any query (ok or failed) */
  lastCompletedUs: number;
}

/** A Float64Array that grows by doubling. */
class Column {
  data: Float64Array<ArrayBuffer>;
  length = 0;
  constructor(initial = 1024) {
    this.data = new Float64Array(initial);
  }
  push(v: number): void {
    if (this.length === this.data.length) this.data = grow(this.data, this.length + 1);
    this.data[this.length++] = v;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Per-second counters indexed by whole seconds from t = 0; grows by doubling. */
class PerSecond {
  data: Float64Array<ArrayBuffer> = new Float64Array(64);
  length = 0;
  add(tUs: number, v: number): void {
    const i = tUs > 0 ? Math.floor(tUs / US_PER_S) : 0;
    if (i >= this.data.length) this.data = grow(this.data, i + 1);
    this.data[i] = this.data[i]! + v;
    if (i >= this.length) this.length = i + 1;
  }
  /** the first `length` seconds, zero-filled past what was touched */
  view(length: number): Float64Array {
    if (length > this.data.length) this.data = grow(this.data, length);
    return this.data.subarray(0, length);
  }
}

function grow(a: Float64Array, atLeast: number): Float64Array<ArrayBuffer> {
  let size = a.length * 2;
  while (size < atLeast) size *= 2;
  const b = new Float64Array(size);
  b.set(a);
  return b;
}

class EndpointState {
  readonly histograms: HistogramSet = createHistogramSet();
  issuedCalls = 0;
  records = 0;
  completed = 0;
  failed = 0;
  inputTokens = 0;
  outputTokens = 0;
  partialOutputTokens = 0;
  retries = 0;
  notStreamed = 0;
  readonly errors: Record<string, number> = {};
  readonly tokenCountSources: Partial<Record<TokenCountSource, number>> = {};
  readonly chunkTokenSources: Partial<Record<ChunkTokenSource, number>> = {};

  counters(): Counters {
    return {
      issued: Math.max(this.issuedCalls, this.records),
      completed: this.completed,
      failed: this.failed,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      partialOutputTokens: this.partialOutputTokens,
      retries: this.retries,
      notStreamed: this.notStreamed,
      errors: { ...this.errors },
      tokenCountSources: { ...this.tokenCountSources },
      chunkTokenSources: { ...this.chunkTokenSources },
    };
  }
}

/** Per completed request, in completion order; -1 marks "not defined for this request". */
export interface CompletedColumns {
  endpoint: Float64Array;
  ttftUs: Float64Array;
  /** (e2e - TTFT)·1000 / (outputTokens - 1), floored: LoadGen's integer ns division */
  tpotNs: Float64Array;
  e2eUs: Float64Array;
  outputTokens: Float64Array;
}

/** Per-second time series, all of the same length (seconds from t = 0 to the last event). */
export interface PerSecondSeries {
  issued: Float64Array;
  completed: Float64Array;
  failed: Float64Array;
  outputTokens: Float64Array;
}

export class MetricsCollector {
  private readonly endpoints: EndpointState[] = [];
  private warmupIssuedCount = 0;
  private warmupRecordCount = 0;

  private firstScheduledUs = -1;
  private lastScheduledUs = -1;
  private lastIssuedSeq = -1;
  private lastIssuedUs = -1;
  private lastIssuedCompletedUs = -1;
  private lastCompletedUs = -1;

  private readonly colEndpoint = new Column();
  private readonly colTtftUs = new Column();
  private readonly colTpotNs = new Column();
  private readonly colE2eUs = new Column();
  private readonly colOutputTokens = new Column();

  private readonly secIssued = new PerSecond();
  private readonly secCompleted = new PerSecond();
  private readonly secFailed = new PerSecond();
  private readonly secOutputTokens = new PerSecond();

  private mergedCache: HistogramSet | null = null;

  /** `endpointCount` pre-creates endpoint slots; more are added when a record names a higher index. */
  constructor(endpointCount = 1) {
    for (let i = 0; i < endpointCount; i++) this.endpoints.push(new EndpointState());
  }

  /** A query left the client (hot path). Drives the live in-flight count; summaries are built from records. */
  onIssued(endpoint: number, _tUs: number, warmup = false): void {
    if (warmup) {
      this.warmupIssuedCount++;
      return;
    }
    this.endpoint(endpoint).issuedCalls++;
  }

  /** A query ended, ok or not (hot path). */
  record(rec: RequestRecord): void {
    if (rec.warmup) {
      this.warmupRecordCount++;
      return;
    }
    this.mergedCache = null;
    const endpointIndex = rec.endpoint > 0 ? rec.endpoint : 0;
    const e = this.endpoint(endpointIndex);
    const h = e.histograms;
    e.records++;

    const scheduledUs = rec.scheduledUs;
    if (this.firstScheduledUs < 0 || scheduledUs < this.firstScheduledUs) this.firstScheduledUs = scheduledUs;
    if (scheduledUs > this.lastScheduledUs) this.lastScheduledUs = scheduledUs;
    if (rec.seq > this.lastIssuedSeq) {
      this.lastIssuedSeq = rec.seq;
      this.lastIssuedUs = rec.issuedUs;
      this.lastIssuedCompletedUs = rec.completedUs;
    }
    if (rec.completedUs > this.lastCompletedUs) this.lastCompletedUs = rec.completedUs;

    recordUs(h.issueDelayUs, rec.issuedUs - scheduledUs);
    if (rec.connectWaitUs !== undefined) recordUs(h.connectWaitUs, rec.connectWaitUs);
    this.secIssued.add(rec.issuedUs, 1);
    if (rec.retries > 0) e.retries += rec.retries;

    if (!rec.ok) {
      e.failed++;
      e.partialOutputTokens += rec.outputTokens;
      const kind = rec.error === null ? 'other' : rec.error.kind;
      e.errors[kind] = (e.errors[kind] ?? 0) + 1;
      this.secFailed.add(rec.completedUs, 1);
      return;
    }

    const n = rec.outputTokens;
    e.completed++;
    e.inputTokens += rec.inputTokens;
    e.outputTokens += n;
    e.tokenCountSources[rec.tokenSource] = (e.tokenCountSources[rec.tokenSource] ?? 0) + 1;
    this.secCompleted.add(rec.completedUs, 1);
    this.secOutputTokens.add(rec.completedUs, n);

    const e2eUs = Math.max(0, rec.completedUs - scheduledUs);
    recordUs(h.e2eUs, e2eUs);
    let ttftUs = -1;
    let tpotNs = -1;
    if (rec.streamed === false) e.notStreamed++;
    const answerUs = rec.firstAnswerUs;
    if (answerUs !== undefined && answerUs !== null) recordUs(h.ttfaUs, answerUs - scheduledUs);
    if (rec.firstTokenUs !== null) {
      ttftUs = Math.max(0, rec.firstTokenUs - scheduledUs);
      recordUs(h.ttftUs, ttftUs);
      if (n >= 2) {
        const decodeUs = Math.max(0, e2eUs - ttftUs);
        tpotNs = Math.floor((decodeUs * 1000) / (n - 1));
        recordUs(h.tpotUs, Math.floor(decodeUs / (n - 1)));
      }
    }
    this.colEndpoint.push(endpointIndex);
    this.colTtftUs.push(ttftUs);
    this.colTpotNs.push(tpotNs);
    this.colE2eUs.push(e2eUs);
    this.colOutputTokens.push(n);

    const gaps = rec.chunkGapsUs;
    if (gaps === undefined || gaps.length === 0) return;
    for (let i = 0; i < gaps.length; i++) recordUs(h.chunkGapUs, gaps[i]!);

    const chunks = gaps.length + 1;
    const given = rec.chunkTokens;
    if (given !== undefined && given.length >= chunks) {
      if (recordItlPerToken(h, gaps, given, 0, 0)) {
        const src = rec.chunkTokenSource;
        e.chunkTokenSources[src] = (e.chunkTokenSources[src] ?? 0) + 1;
      }
    } else if (n >= 2) {
      if (recordItlPerToken(h, gaps, null, n - 1, chunks - 1)) {
        // One token per chunk (n == chunks) is exact, not an estimate.
        const src = rec.chunkTokenSource === 'single' && n === chunks ? 'single' : 'estimated';
        e.chunkTokenSources[src] = (e.chunkTokenSources[src] ?? 0) + 1;
      }
    }
  }

  // ---- read side (after or during the run; not hot path) ----

  /** number of endpoint slots (the highest index seen + 1, at least the constructor's count) */
  get endpointCount(): number {
    return this.endpoints.length;
  }

  /** queries in flight now: measured onIssued calls not yet matched by a record */
  get inFlight(): number {
    let n = 0;
    for (const e of this.endpoints) n += Math.max(0, e.issuedCalls - e.records);
    return n;
  }

  get warmup(): { issued: number; records: number } {
    return { issued: this.warmupIssuedCount, records: this.warmupRecordCount };
  }

  /** counters of one endpoint, or of the whole run when `endpoint` is omitted (fresh objects) */
  counters(endpoint?: number): Counters {
    if (endpoint !== undefined) return (this.endpoints[endpoint] ?? new EndpointState()).counters();
    const total = new EndpointState().counters();
    for (const e of this.endpoints) {
      const c = e.counters();
      total.issued += c.issued;
      total.completed += c.completed;
      total.failed += c.failed;
      total.inputTokens += c.inputTokens;
      total.outputTokens += c.outputTokens;
      total.partialOutputTokens += c.partialOutputTokens;
      total.retries += c.retries;
      total.notStreamed += c.notStreamed;
      addCounts(total.errors, c.errors);
      addCounts(total.tokenCountSources, c.tokenCountSources);
      addCounts(total.chunkTokenSources, c.chunkTokenSources);
    }
    return total;
  }

  timeline(): Timeline {
    return {
      firstScheduledUs: this.firstScheduledUs,
      lastScheduledUs: this.lastScheduledUs,
      lastIssuedSeq: this.lastIssuedSeq,
      lastIssuedUs: this.lastIssuedUs,
      lastIssuedCompletedUs: this.lastIssuedCompletedUs,
      lastCompletedUs: this.lastCompletedUs,
    };
  }

  /**
   * The run's histograms (the sum of the endpoints'), or one endpoint's.
   * Live objects owned by the collector: read them, do not record into them.
   */
  histograms(endpoint?: number): HistogramSet {
    if (endpoint !== undefined) {
      const e = this.endpoints[endpoint];
      return e === undefined ? createHistogramSet() : e.histograms;
    }
    if (this.mergedCache === null) {
      this.mergedCache =
        this.endpoints.length === 1 ? this.endpoints[0]!.histograms : mergeSets(this.endpoints.map((e) => e.histograms));
    }
    return this.mergedCache;
  }

  /** Views (not copies) of the per-completed-request columns; valid until the next record(). */
  completedColumns(): CompletedColumns {
    return {
      endpoint: this.colEndpoint.view(),
      ttftUs: this.colTtftUs.view(),
      tpotNs: this.colTpotNs.view(),
      e2eUs: this.colE2eUs.view(),
      outputTokens: this.colOutputTokens.view(),
    };
  }

  /** Views of the per-second series, zero-filled to a common length; valid until the next record(). */
  perSecond(): PerSecondSeries {
    const length = Math.max(
      this.secIssued.length,
      this.secCompleted.length,
      this.secFailed.length,
      this.secOutputTokens.length,
    );
    return {
      issued: this.secIssued.view(length),
      completed: this.secCompleted.view(length),
      failed: this.secFailed.view(length),
      outputTokens: this.secOutputTokens.view(length),
    };
  }

  private endpoint(index: number): EndpointState {
    const i = index >= 0 ? index : 0;
    while (this.endpoints.length <= i) this.endpoints.push(new EndpointState());
    return this.endpoints[i]!;
  }
}

/**
 * Per-token ITL of one request. With `given`, chunk j carries given[j] tokens;
 * otherwise chunk j >= 1 carries its share of `spreadTokens` tokens over
 * `spreadChunks` chunks: floor(T·j/C) - floor(T·(j-1)/C), which sums to T and
 * differs by at most 1 between chunks. Returns whether any value was recorded.
 */
function recordItlPerToken(
  h: HistogramSet,
  gapsUs: readonly number[],
  given: readonly number[] | null,
  spreadTokens: number,
  spreadChunks: number,
): boolean {
  let carryUs = 0;
  let recorded = false;
  for (let j = 1; j <= gapsUs.length; j++) {
    const gap = gapsUs[j - 1]!;
    carryUs += gap > 0 ? gap : 0;
    const k =
      given !== null
        ? given[j]!
        : Math.floor((spreadTokens * j) / spreadChunks) - Math.floor((spreadTokens * (j - 1)) / spreadChunks);
    if (k > 0) {
      recordUs(h.itlUs, Math.floor(carryUs / k), k);
      carryUs = 0;
      recorded = true;
    }
  }
  return recorded;
}

function addCounts<K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void {
  for (const k of Object.keys(from) as K[]) into[k] = (into[k] ?? 0) + (from[k] ?? 0);
}
