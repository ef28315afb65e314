/**
 * The run's per-second time series and the steady-state window derived from it.
 * Both work on TimeBucket[] alone, so `merge` can add the series of several
 * shards bucket by bucket and recompute the steady state exactly as a single
 * client would.
 */
import type { MetricsCollector } from './collector.js';
import type { Summary, TimeBucket } from './types.js';

/** A steady-state window shorter than this (in whole seconds) is "too short to tell": null. */
export const MIN_STEADY_STATE_S = 3;
/** In-flight counts this fraction of the plateau (median) are taken as "reached the plateau". */
export const PLATEAU_FRACTION = 0.9;

/**
 * One bucket per whole second from t = 0 to the last second with an event.
 * Issued counts by issue time; completed, failed and output tokens by
 * completion time; inFlight is a snapshot at the end of the second (all issued
 * so far minus all completed or failed so far).
 */
export function timeSeries(collector: MetricsCollector): TimeBucket[] {
  const s = collector.perSecond();
  const out: TimeBucket[] = [];
  let inFlight = 0;
  for (let t = 0; t < s.issued.length; t++) {
    const issued = s.issued[t]!;
    const completed = s.completed[t]!;
    const failed = s.failed[t]!;
    inFlight += issued - completed - failed;
    out.push({ t, issued, completed, failed, outputTokens: s.outputTokens[t]!, inFlight });
  }
  return out;
}

/** Adds series bucket by bucket (by `t`), e.g. the shards of one distributed run that share t = 0. */
export function mergeTimeSeries(series: readonly (readonly TimeBucket[])[]): TimeBucket[] {
  const byT = new Map<number, TimeBucket>();
  for (const s of series) {
    for (const b of s) {
      const acc = byT.get(b.t);
      if (acc === undefined) byT.set(b.t, { ...b });
      else {
        acc.issued += b.issued;
        acc.completed += b.completed;
        acc.failed += b.failed;
        acc.outputTokens += b.outputTokens;
        acc.inFlight += b.inFlight;
      }
    }
  }
  const ts = [...byT.keys()].sort((a, b) => a - b);
  const last = ts.length === 0 ? -1 : ts[ts.length - 1]!;
  // fill gaps so the series stays one bucket per second; in flight carries over an empty second
  const out: TimeBucket[] = [];
  let inFlight = 0;
  for (let t = 0; t <= last; t++) {
    const b = byT.get(t);
    if (b === undefined) out.push({ t, issued: 0, completed: 0, failed: 0, outputTokens: 0, inFlight });
    else {
      inFlight = b.inFlight;
      out.push(b);
    }
  }
  return out;
}

/**
 * The steady-state window: after ramp-up, before drain.
 *
 * - Drain begins with the second holding the last issue (L = last bucket with
 *   issued > 0): after it the load only empties. The window ends at L·1 s.
 * - The plateau P is the median in-flight snapshot over seconds [0, L).
 *   Ramp-up ends at the end of the first second whose snapshot is >= 0.9·P,
 *   and not before the end of the first second with a completion (a closed
 *   loop is "at plateau" at t = 0 but completes nothing for one e2e latency).
 * - null when no query was issued, nothing completed before L, or the window
 *   is shorter than MIN_STEADY_STATE_S seconds (e.g. Offline with unbounded
 *   concurrency: everything is issued in second 0, so there is no steady state).
 *
 * Rates are completions (and their output tokens) counted by completion
 * second inside [start, end), divided by the window length.
 */
export function steadyState(buckets: readonly TimeBucket[]): Summary['steadyState'] {
  let lastIssue = -1;
  for (let i = buckets.length - 1; i >= 0; i--) {
    if (buckets[i]!.issued > 0) {
      lastIssue = i;
      break;
    }
  }
  if (lastIssue < MIN_STEADY_STATE_S) return null;
  const before = buckets.slice(0, lastIssue);
  const snapshots = before.map((b) => b.inFlight).sort((a, b) => a - b);
  const plateau = median(snapshots);
  const rampEnd = before.findIndex((b) => b.inFlight >= PLATEAU_FRACTION * plateau);
  const firstCompletion = before.findIndex((b) => b.completed > 0);
  if (rampEnd < 0 || firstCompletion < 0) return null;
  const start = Math.max(rampEnd, firstCompletion) + 1;
  const end = lastIssue;
  const seconds = end - start;
  if (seconds < MIN_STEADY_STATE_S) return null;
  let completed = 0;
  let outputTokens = 0;
  for (let t = start; t < end; t++) {
    completed += buckets[t]!.completed;
    outputTokens += buckets[t]!.outputTokens;
  }
  return {
    startMs: start * 1000,
    endMs: end * 1000,
    outputTokensPerSecond: outputTokens / seconds,
    requestsPerSecond: completed / seconds,
  };
}

function median(sortedAsc: readonly number[]): number {
  const n = sortedAsc.length;
  if (n === 0) return 0;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sortedAsc[mid]! : (sortedAsc[mid - 1]! + sortedAsc[mid]!) / 2;
}
