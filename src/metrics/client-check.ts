/**
 * The client's self-check: did tokbench itself limit this run?
 *
 * A benchmark client that cannot keep up measures itself: data waits in socket
 * buffers until the loop gets to it (arrival times late, ITL and TTFT too
 * high), queries leave after their scheduled time (issue delay charged to
 * TTFT), requests wait for connections. Every result carries the figures that
 * show it and a verdict, `clientBound`, with one reason per bound crossed.
 * The bounds are documented in docs/metrics.md ("Client self-check").
 *
 * Pure: the figures are measured by the caller (src/cli/client-monitor.ts)
 * and by the collector (issue delay), the records (connection waits).
 */
import type { RequestRecord } from '../records/record.js';

/** How busy the client process was during the measured run. */
export interface ClientLoad {
  /** delay of the main thread's event loop (perf_hooks.monitorEventLoopDelay, sampling interval removed), ms */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** share of the run the main thread's event loop was busy (0..1) */
  eventLoopUtilization: number;
  /** CPU time of the process, every thread (main and workers), user + system, per second of the run */
  cpuCores: number;
  /** cpuCores / cores: share of the machine's cores the client used (0..1) */
  cpuUtilization: number;
  /** cores the process may use (os.availableParallelism) */
  cores: number;
  /** worker threads running the hot path (1: the main thread itself) */
  workers: number;
}

/** The client block of result.json: the load, and the verdict. */
export interface ClientSelfCheck extends ClientLoad {
  /** requests that waited longer than CLIENT_BOUNDS.connectWaitMs for a connection, of the measured ones */
  connectWaits: { over: number; requests: number };
  /** tokbench itself limited the run: at least one bound below was crossed */
  clientBound: boolean;
  /** one line per bound crossed: the figure, the bound, and what it means */
  clientBoundReasons: string[];
}

/** The documented bounds (docs/metrics.md, "Client self-check"). */
export const CLIENT_BOUNDS = {
  /** the main loop busy this share of the run (without workers, where it runs the hot path): bytes waited for it */
  loopUtilization: 0.95,
  /** p99 event-loop delay: any arrival time may be this late */
  loopDelayP99Ms: 10,
  /** the process used this share of every core: nothing left for the kernel's socket work or for the server on loopback */
  cpuUtilization: 0.95,
  /** p99 issue delay of a timed schedule (Poisson/constant arrivals): queries left late, and TTFT counts from the scheduled time */
  issueDelayP99Ms: 2,
  /** a request waiting this long for a connection (pool full, connection set-up) is a client-side wait */
  connectWaitMs: 10,
  /** ... and more than this share of requests did */
  connectWaitShare: 0.01,
} as const;

/** Counts measured requests that waited for a connection longer than the bound (on the record path: integers only). */
export class ConnectWaitCounter {
  over = 0;
  requests = 0;

  add(rec: RequestRecord): void {
    if (rec.warmup) return;
    this.requests++;
    if ((rec.connectWaitUs ?? 0) > CLIENT_BOUNDS.connectWaitMs * 1000) this.over++;
  }
}

export interface ClientCheckInput {
  load: ClientLoad;
  /** the schedule's arrival pattern: issue delay is a bound only where queries have times to keep */
  timedArrivals: boolean;
  /** issue delay p99 of the measured queries, ms; null when none was issued */
  issueDelayP99Ms: number | null;
  connectWaits: { over: number; requests: number };
}

const f1 = (x: number): string => (Math.round(x * 10) / 10).toString();
const pct = (x: number): string => `${Math.round(x * 100)}%`;

export function judgeClient(input: ClientCheckInput): ClientSelfCheck {
  const { load, connectWaits } = input;
  const b = CLIENT_BOUNDS;
  const reasons: string[] = [];
  // With workers the main thread only collects records; its loop is not the hot path.
  if (load.workers <= 1 && load.eventLoopUtilization >= b.loopUtilization) {
    reasons.push(`loop saturated: the event loop was busy ${pct(load.eventLoopUtilization)} of the run (bound ${pct(b.loopUtilization)}): responses waited in socket buffers for the client, so arrival times and throughput are the client's; use --workers or more client machines`);
  }
  if (load.eventLoopDelayMs.p99 > b.loopDelayP99Ms) {
    reasons.push(`event-loop delay p99 ${f1(load.eventLoopDelayMs.p99)} ms (bound ${b.loopDelayP99Ms} ms, max ${f1(load.eventLoopDelayMs.max)} ms): chunk arrival times may be late by that much`);
  }
  if (load.cpuUtilization >= b.cpuUtilization) {
    reasons.push(`CPU: the client used ${f1(load.cpuCores)} of ${load.cores} cores (${pct(load.cpuUtilization)}, bound ${pct(b.cpuUtilization)}): the machine had nothing to spare`);
  }
  if (input.timedArrivals && input.issueDelayP99Ms !== null && input.issueDelayP99Ms > b.issueDelayP99Ms) {
    reasons.push(`issue delay p99 ${f1(input.issueDelayP99Ms)} ms (bound ${b.issueDelayP99Ms} ms): queries left after their scheduled time, and TTFT counts from it`);
  }
  if (connectWaits.requests > 0 && connectWaits.over / connectWaits.requests > b.connectWaitShare) {
    reasons.push(`connection waits: ${connectWaits.over} of ${connectWaits.requests} requests waited over ${b.connectWaitMs} ms for a connection (bound ${pct(b.connectWaitShare)} of requests): raise the connection limit or check the client's file-descriptor and port limits`);
  }
  return { ...load, connectWaits: { ...connectWaits }, clientBound: reasons.length > 0, clientBoundReasons: reasons };
}
