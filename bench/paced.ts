/**
 * Paced cases (issue 14): a loopback server writing one SSE event per socket
 * write per stream every 2 ms (or 2-4 tokens per event, speculative decoding),
 * 256 tokens a response, a closed loop of N streams. What they measure:
 *
 * - client CPU per event, three ways: **marginal** (the CPU of a long run less
 *   a short one, over the events of the one less the other: what one more
 *   event costs, start-up and warm-up cancelled), **steady** (CPU over events in
 *   the middle half of the long run, sampled each 250 ms), **warm** (the long
 *   run's CPU over its events, after a warm-up run);
 * - events per second, and per client core (events per CPU-second);
 * - events per read (1.0: every event came in its own socket read, as asked);
 * - timing error: the client's gap between two events minus the server's
 *   (write times stamped on its clock), for a sample of requests;
 * - the client self-check of src/metrics/client-check.ts on the long run.
 *
 * With `workers`, the same through `--workers N` (marginal from two runs, each
 * on fresh worker threads; steady and reads are not visible from the main thread).
 */
import { availableParallelism } from 'node:os';
import { judgeClient } from '../src/metrics/client-check.js';
import type { RequestRecord } from '../src/records/record.js';
import type { CaseResult, CaseSpec } from './cases.js';
import { drive, driveWorkers, makeLibrary, makeSut, percentile, scenario, schedule, sortedOf, type BenchServer, type DriveResult } from './harness.js';

/** paced case figures (CaseResult.paced) */
export interface PacedFigures {
  events: number;
  eventsPerS: number;
  /** events per CPU-second of the client process (all threads) */
  eventsPerCoreS: number;
  marginalCpuUsPerEvent: number | null;
  steadyCpuUsPerEvent: number | null;
  warmCpuUsPerEvent: number;
  sysUsPerEvent: number;
  eventsPerRead: number | null;
  /** client gap minus server gap, ms, for the stamped requests */
  itlErrMs: { p50: number; p99: number; p99abs: number; max: number } | null;
  stamped: number;
  clientBound: boolean;
  clientBoundReasons: string[];
}

export interface PacedRounds {
  /** closed-loop rounds (× streams requests) of the warm-up, short and long runs */
  warm: number;
  short: number;
  long: number;
}

/** ~256 stamped requests per long run, whatever its size */
const STAMPED_REQUESTS = 256;
const STEADY_SAMPLE_MS = 250;

export async function pacedCase(spec: CaseSpec, server: BenchServer, r: CaseResult): Promise<void> {
  const streams = spec.streams!;
  const rounds = spec.rounds!;
  const longN = streams * rounds.long;
  // the long run's samples == the library's size: every prompt exactly once, so a prompt index names one request
  const library = makeLibrary(longN, spec.tokens!);
  const flags = { api: spec.api, concurrency: streams, maxTokens: spec.tokens! };
  const sc = (samples: number) => scenario('llama2-70b/offline', { ...flags, samples });
  // --workers 1 is the main thread itself, as in `tokbench run`
  if ((spec.workers ?? 1) > 1) return pacedWorkers(spec, server, r, sc);

  const live = { outputChunks: 0, reads: 0 };
  const sut = makeSut(sc(streams), server.url, streams, { http2: spec.http2 === true, live });
  try {
    const run = async (n: number, onRecord?: (rec: RequestRecord) => void) => {
      const s = sc(n);
      const sched = schedule(s, library.samples.length);
      const c0 = live.outputChunks;
      const r0 = live.reads;
      const d = await drive({ sc: s, sut, library, schedule: sched, maxDurationMs: spec.maxDurationMs, ...(onRecord ? { onRecord } : {}) });
      return { d, events: live.outputChunks - c0, reads: live.reads - r0 };
    };
    if (rounds.warm > 0) await run(streams * rounds.warm);
    const short = rounds.short > 0 ? await run(streams * rounds.short) : null;
    await server.stamps(); // the warm-up's and short run's
    const gaps = new Map<number, number[]>();
    server.mark();
    const steady = sampleSteady(live);
    const long = await run(longN, (rec) => {
      if (rec.ok && rec.chunkGapsUs !== undefined) gaps.set(rec.sampleIndex, rec.chunkGapsUs);
    });
    const window = steady.stop();
    r.serverCores = (await server.stats()).cores;
    common(r, long.d);
    const marginal = short === null || long.events <= short.events ? null : (long.d.cpuUs - short.d.cpuUs) / (long.events - short.events);
    r.paced = figures(long.d, long.events, marginal, window, long.events / Math.max(1, long.reads), itlError(await server.stamps(), gaps));
  } finally {
    await sut.close();
  }
}

type ScenarioOf = (samples: number) => ReturnType<typeof scenario>;

async function pacedWorkers(spec: CaseSpec, server: BenchServer, r: CaseResult, sc: ScenarioOf): Promise<void> {
  const streams = spec.streams!;
  const rounds = spec.rounds!;
  const library = makeLibrary(streams * rounds.long, spec.tokens!);
  const run = async (n: number) => {
    let events = 0;
    const s = sc(n);
    const d = await driveWorkers({
      sc: s,
      url: server.url,
      library,
      schedule: schedule(s, library.samples.length),
      workers: spec.workers!,
      connections: streams,
      http2: spec.http2 === true,
      warmupRequests: streams * rounds.warm,
      maxDurationMs: spec.maxDurationMs,
      onRecord: (rec) => (events += rec.chunks),
    });
    return { d, events };
  };
  const short = await run(streams * rounds.short);
  server.mark();
  const long = await run(streams * rounds.long);
  r.serverCores = (await server.stats()).cores;
  common(r, long.d);
  // CPU counts from the first query the workers report, warm-up included: the same in both runs
  const marginal = long.events > short.events ? (long.d.cpuUs - short.d.cpuUs) / (long.events - short.events) : null;
  r.paced = figures(long.d, long.events, marginal, null, null, null);
}

function common(r: CaseResult, d: DriveResult): void {
  const c = d.collector.counters();
  r.wallS = d.wallS;
  r.completed = c.completed;
  r.failed = c.failed;
  r.outputTokens = c.outputTokens;
  r.outputTokensPerS = c.outputTokens / d.wallS;
  r.cpuUsPerToken = d.cpuUs / c.outputTokens;
  r.sysUsPerToken = d.sysUs / c.outputTokens;
  r.clientCores = d.cpuUs / 1e6 / d.wallS;
  r.elu = d.elu;
  r.loopDelayMs = d.loopDelayMs;
  if (d.machineCores !== null) {
    r.machineCores = d.machineCores.busy;
    r.stealCores = d.machineCores.steal;
  }
  if (c.failed > 0) r.notes = [`${c.failed} failed: ${JSON.stringify(c.errors)}`];
}

function figures(d: DriveResult, events: number, marginal: number | null, steady: number | null, eventsPerRead: number | null, itl: { err: PacedFigures['itlErrMs']; stamped: number } | null): PacedFigures {
  const cores = Math.max(1, availableParallelism());
  const cpuCores = d.cpuUs / 1e6 / d.wallS;
  const delay = d.loopDelayMs;
  const check = judgeClient({
    load: {
      eventLoopDelayMs: Number.isFinite(delay.p99) ? delay : { p50: 0, p99: 0, max: 0 },
      eventLoopUtilization: d.elu,
      cpuCores,
      cpuUtilization: Math.min(1, cpuCores / cores),
      cores,
      workers: 1,
    },
    // closed loop: no times to keep
    timedArrivals: false,
    issueDelayP99Ms: null,
    connectWaits: { over: 0, requests: 0 },
  });
  return {
    events,
    eventsPerS: events / d.wallS,
    eventsPerCoreS: events / (d.cpuUs / 1e6),
    marginalCpuUsPerEvent: marginal,
    steadyCpuUsPerEvent: steady,
    warmCpuUsPerEvent: d.cpuUs / events,
    sysUsPerEvent: d.sysUs / events,
    eventsPerRead,
    itlErrMs: itl?.err ?? null,
    stamped: itl?.stamped ?? 0,
    clientBound: check.clientBound,
    clientBoundReasons: check.clientBoundReasons,
  };
}

/** CPU per event in the middle half of a run: samples (cpu, events) every STEADY_SAMPLE_MS. */
function sampleSteady(live: { outputChunks: number }): { stop(): number | null } {
  const samples: { cpuUs: number; events: number }[] = [];
  const take = () => {
    const u = process.cpuUsage();
    samples.push({ cpuUs: u.user + u.system, events: live.outputChunks });
  };
  take();
  const timer = setInterval(take, STEADY_SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      take();
      if (samples.length < 5) return null;
      const a = samples[Math.floor(samples.length / 4)]!;
      const b = samples[Math.floor((samples.length * 3) / 4)]!;
      return b.events > a.events ? (b.cpuUs - a.cpuUs) / (b.events - a.events) : null;
    },
  };
}

function itlError(stamps: { id: number; writesUs: number[] }[], gaps: Map<number, number[]>): { err: PacedFigures['itlErrMs']; stamped: number } {
  const err: number[] = [];
  let stamped = 0;
  for (const s of stamps) {
    const g = gaps.get(s.id);
    if (g === undefined || g.length !== s.writesUs.length - 1) continue;
    stamped++;
    for (let i = 1; i < s.writesUs.length; i++) err.push(g[i - 1]! - (s.writesUs[i]! - s.writesUs[i - 1]!));
  }
  if (err.length === 0) return { err: null, stamped };
  const sorted = sortedOf(err);
  const abs = sortedOf(err.map(Math.abs));
  return { err: { p50: percentile(sorted, 0.5) / 1000, p99: percentile(sorted, 0.99) / 1000, p99abs: percentile(abs, 0.99) / 1000, max: abs[abs.length - 1]! / 1000 }, stamped };
}

export function stampEvery(spec: CaseSpec): number {
  return Math.max(1, Math.floor((spec.streams! * spec.rounds!.long) / STAMPED_REQUESTS));
}
