/**
 * The benchmark cases: what each one runs and how its figures are computed.
 * Each case runs in its own client process (bench/child.ts), with its own
 * server process (bench/server.ts), so JIT state, heap and peak RSS of one
 * case never leak into another.
 */
import { availableParallelism } from 'node:os';
import { stats } from '../src/metrics/histogram.js';
import type { ApiShape, ServerConfig } from './server.js';
import { pacedCase, stampEvery, type PacedFigures, type PacedRounds } from './paced.js';
import { drive, driveWorkers, makeLibrary, makeSut, percentile, scenario, schedule, sortedOf, startServer, type BenchServer, type DriveResult } from './harness.js';

export type CaseGroup = 'ingest' | 'paced' | 'scaling' | 'adherence' | 'fidelity' | 'memory';

export interface CaseSpec {
  id: string;
  group: CaseGroup;
  api: ApiShape;
  /** concurrent streams (closed loop / Offline bound) */
  streams?: number;
  /** measured requests */
  requests?: number;
  /** output tokens per response */
  tokens?: number;
  /** worker threads (`--workers`); absent: 1 (no threads) */
  workers?: number;
  /** paced: ms between events */
  gapMs?: number;
  /** paced: 2-4 tokens per event (speculative decoding) */
  spec?: boolean;
  /** paced: HTTP/2 (h2c) */
  http2?: boolean;
  /** paced: warm-up, short and long runs, in rounds of `streams` requests */
  rounds?: PacedRounds;
  /** adherence: target QPS and schedule length */
  qps?: number;
  durationMs?: number;
  /** hard bound on issuing, ms */
  maxDurationMs: number;
}

export interface CaseResult {
  id: string;
  group: CaseGroup;
  spec: CaseSpec;
  ok: boolean;
  error?: string;
  loadavgBefore: number[];
  loadavgAfter: number[];
  /**
   * Cores busy on the whole machine during the case (Linux /proc/stat), and what
   * is left after this case's client and server: other processes' load, the
   * noise in every other figure. Absent where /proc/stat is not.
   */
  machineCores?: number;
  otherCores?: number;
  /** of machineCores, time the hypervisor gave to other VMs (the vCPUs did not run at all) */
  stealCores?: number;
  wallS?: number;
  completed?: number;
  failed?: number;
  outputTokens?: number;
  outputTokensPerS?: number;
  cpuUsPerToken?: number;
  /** of which system (kernel) time */
  sysUsPerToken?: number;
  /** client CPU per completed request, µs */
  cpuUsPerRequest?: number;
  /** client CPU / wall: cores the client used */
  clientCores?: number;
  /** event-loop utilization of the client's main thread (near 1: the client was the bottleneck) */
  elu?: number;
  /** the server process: cores used and event-loop utilization during the measured run */
  serverCores?: number;
  serverElu?: number;
  /** event-loop delay of the client's main thread, ms */
  loopDelayMs?: { p50: number; p99: number; max: number };
  /** adherence */
  offeredQps?: number;
  achievedQps?: number;
  achievedVsOfferedPct?: number;
  issueDelayMs?: { p50: number; p99: number; max: number };
  /** fidelity: measured minus planted, ms */
  ttftErrMs?: { p50: number; p99: number; p99abs: number; max: number };
  itlErrMs?: { p50: number; p99: number; p99abs: number; max: number };
  matched?: number;
  mismatched?: number;
  /** memory */
  peakRssMB?: number;
  rssAtStartMB?: number;
  heapUsedMB?: number;
  recordsMB?: number;
  /** paced and scaling cases */
  paced?: PacedFigures;
  notes?: string[];
}

export function caseList(quick: boolean): CaseSpec[] {
  const ingestTokens = quick ? 1_000_000 : 4_000_000;
  const list: CaseSpec[] = [];
  for (const streams of [64, 256, 1024]) {
    list.push({ id: `ingest-chat-${streams}`, group: 'ingest', api: 'chat', streams, tokens: 256, requests: Math.max(2 * streams, Math.round(ingestTokens / 256)), maxDurationMs: 120_000 });
  }
  // All cores: the hot path in one worker thread per core (`--workers N`), records and collector on the main thread.
  const cores = Math.max(2, availableParallelism());
  for (const streams of [64, 256, 1024]) {
    list.push({ id: `ingest-chat-${streams}-w${cores}`, group: 'ingest', api: 'chat', streams, tokens: 256, workers: cores, requests: Math.max(2 * streams, Math.round(ingestTokens / 256)), maxDurationMs: 120_000 });
  }
  list.push({ id: 'ingest-completions-256', group: 'ingest', api: 'completions', streams: 256, tokens: 256, requests: Math.round(ingestTokens / 256), maxDurationMs: 120_000 });
  // Paced (issue 14): one event per write every 2 ms per stream, 256 tokens (10,000 streams: 64, one round).
  const paced = (streams: number, rounds: PacedRounds, more: Partial<CaseSpec> = {}): CaseSpec => ({
    id: `paced-chat-${streams}${more.spec ? '-spec' : ''}${more.http2 ? '-h2' : ''}${more.workers ? `-w${more.workers}` : ''}`,
    group: more.workers ? 'scaling' : 'paced',
    api: 'chat',
    streams,
    tokens: 256,
    gapMs: 2,
    rounds,
    requests: streams * rounds.long,
    maxDurationMs: 120_000,
    ...more,
  });
  const r64: PacedRounds = quick ? { warm: 1, short: 1, long: 3 } : { warm: 2, short: 2, long: 8 };
  const r1k: PacedRounds = quick ? { warm: 1, short: 1, long: 2 } : { warm: 1, short: 1, long: 3 };
  list.push(paced(64, r64), paced(64, r64, { spec: true }), paced(1024, r1k), paced(1024, r1k, { spec: true }), paced(1024, r1k, { http2: true }));
  // 10,000 streams × 256 tokens is 2.6 M events: ~5 minutes at the ~9,000 events/s a shared 2-core box gives it. 64 tokens keep it bounded.
  list.push(paced(10_000, { warm: 0, short: 0, long: 1 }, { tokens: 64 }));
  // Scaling: --workers 1..cores at 256 streams, each run on fresh worker threads (marginal from a 1- and a 3-round run)
  for (let w = 1; w <= cores; w++) list.push(paced(256, { warm: 1, short: 1, long: quick ? 2 : 3 }, { workers: w }));
  for (const qps of [100, 1000, 5000]) {
    list.push({ id: `adherence-${qps}qps`, group: 'adherence', api: 'chat', qps, tokens: 1, durationMs: quick ? 3_000 : 10_000, maxDurationMs: 30_000 });
  }
  // 1,000 streams decoding at 25-50 tokens/s each (a busy server's per-sequence speed): ~35,000 events/s.
  // The same at 100 streams: what is left when the machine is far from busy.
  list.push({ id: 'fidelity-100', group: 'fidelity', api: 'chat', streams: 100, tokens: 32, requests: quick ? 500 : 1_000, maxDurationMs: 60_000 });
  list.push({ id: 'fidelity-1000', group: 'fidelity', api: 'chat', streams: 1000, tokens: 32, requests: quick ? 3_000 : 6_000, maxDurationMs: 60_000 });
  list.push({ id: quick ? 'memory-100k' : 'memory-1M', group: 'memory', api: 'chat', streams: 256, tokens: 1, requests: quick ? 100_000 : 1_000_000, maxDurationMs: 600_000 });
  return list;
}

const MB = 1024 * 1024;
/**
 * Ingest warm-up: the client's cost per token keeps falling for the first ~5,000
 * requests (JIT tiers, heap sizing): measured after 2,000 it read 1.04-1.1 µs per
 * token where the steady state is 0.76-0.85.
 */
const INGEST_WARMUP_REQUESTS = 6_000;

/** planted TTFT and gap ranges (ms); each request gets its own values from its prompt index */
const FIDELITY_TTFT_MS: [number, number] = [50, 150];
const FIDELITY_GAP_MS: [number, number] = [20, 40];

export async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const os = await import('node:os');
  const result: CaseResult = { id: spec.id, group: spec.group, spec, ok: true, loadavgBefore: os.loadavg(), loadavgAfter: [] };

  const serverCfg: ServerConfig =
    spec.group === 'paced' || spec.group === 'scaling'
      ? { mode: 'paced', api: spec.api, tokens: spec.tokens!, gapMs: spec.gapMs!, spec: spec.spec === true, h2: spec.http2 === true, stampEvery: spec.group === 'paced' ? stampEvery(spec) : 0 }
      : spec.group === 'fidelity'
        ? { mode: 'planted', api: spec.api, tokens: spec.tokens!, ttftMs: FIDELITY_TTFT_MS, gapRangeMs: FIDELITY_GAP_MS }
        : spec.group === 'ingest'
          ? { mode: 'burst', api: spec.api, tokens: spec.tokens! }
          : { mode: 'instant', api: spec.api, tokens: spec.tokens! };
  const server = await startServer(serverCfg);
  try {
    switch (spec.group) {
      case 'ingest':
        await throughputCase(spec, server, result);
        break;
      case 'paced':
      case 'scaling':
        await pacedCase(spec, server, result);
        break;
      case 'adherence':
        await adherenceCase(spec, server, result);
        break;
      case 'fidelity':
        await fidelityCase(spec, server, result);
        break;
      case 'memory':
        await memoryCase(spec, server, result);
        break;
    }
  } catch (err) {
    result.ok = false;
    result.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  } finally {
    await server.close();
  }
  result.loadavgAfter = os.loadavg();
  if (result.machineCores !== undefined && result.clientCores !== undefined && result.serverCores !== undefined) {
    result.otherCores = Math.max(0, result.machineCores - result.clientCores - result.serverCores);
  }
  return result;
}

/** Closed loop at `streams` in flight: warm up, then measure. */
async function throughputCase(spec: CaseSpec, server: BenchServer, r: CaseResult): Promise<void> {
  const streams = spec.streams!;
  const library = makeLibrary(1000, spec.tokens!);
  const flags = { api: spec.api, concurrency: streams, maxTokens: spec.tokens! };
  if ((spec.workers ?? 1) > 1) {
    const sc = scenario('llama2-70b/offline', { ...flags, samples: spec.requests! });
    server.mark();
    const d = await driveWorkers({
      sc,
      url: server.url,
      library,
      schedule: schedule(sc, library.samples.length),
      workers: spec.workers!,
      connections: streams,
      warmupRequests: Math.max(streams, INGEST_WARMUP_REQUESTS),
      maxDurationMs: spec.maxDurationMs,
    });
    Object.assign(r, serverFigures(await server.stats()));
    throughputFigures(d, r);
    return;
  }
  const sut = makeSut(scenario('llama2-70b/offline', flags), server.url, streams);
  try {
    // Warm-up: JIT, connections, pools; its figures are thrown away.
    const wsc = scenario('llama2-70b/offline', { ...flags, samples: Math.max(streams, INGEST_WARMUP_REQUESTS) });
    await drive({ sc: wsc, sut, library, schedule: schedule(wsc, library.samples.length), maxDurationMs: spec.maxDurationMs });
    const sc = scenario('llama2-70b/offline', { ...flags, samples: spec.requests! });
    server.mark();
    const d = await drive({ sc, sut, library, schedule: schedule(sc, library.samples.length), maxDurationMs: spec.maxDurationMs });
    Object.assign(r, serverFigures(await server.stats()));
    throughputFigures(d, r);
  } finally {
    await sut.close();
  }
}

function serverFigures(st: { cores: number; elu: number }): Pick<CaseResult, 'serverCores' | 'serverElu'> {
  return { serverCores: st.cores, serverElu: st.elu };
}

function throughputFigures(d: DriveResult, r: CaseResult): void {
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
    if (d.machineCores !== null) {
      r.machineCores = d.machineCores.busy;
      r.stealCores = d.machineCores.steal;
    }
    r.loopDelayMs = d.loopDelayMs;
  if (c.failed > 0) r.notes = [`${c.failed} failed: ${JSON.stringify(c.errors)}`];
}

/** Poisson arrivals at a target QPS against an instant server. */
async function adherenceCase(spec: CaseSpec, server: BenchServer, r: CaseResult): Promise<void> {
  const library = makeLibrary(100, 1);
  const base = { api: spec.api, maxTokens: 1 };
  const sut = makeSut(scenario('llama2-70b/server', { ...base, targetQps: spec.qps! }), server.url, 1024);
  try {
    // Warm up the timed path itself (waits, naps, issue on time): a closed loop would not. ~1-2 s.
    const wsc = scenario('llama2-70b/server', { ...base, targetQps: spec.qps!, samples: Math.max(200, spec.qps!) });
    await drive({ sc: wsc, sut, library, schedule: schedule(wsc, library.samples.length), maxDurationMs: 20_000 });
    const sc = scenario('llama2-70b/server', { ...base, targetQps: spec.qps!, durationMs: spec.durationMs! });
    const sched = schedule(sc, library.samples.length);
    server.mark();
    const d = await drive({ sc, sut, library, schedule: sched, maxDurationMs: spec.maxDurationMs });
    Object.assign(r, serverFigures(await server.stats()));
    const c = d.collector.counters();
    const tl = d.collector.timeline();
    const delay = stats(d.collector.histograms().issueDelayUs);
    r.wallS = d.wallS;
    r.completed = c.completed;
    r.failed = c.failed;
    r.offeredQps = sched.length / (sched.scheduledAtUs[sched.length - 1]! / 1e6);
    r.achievedQps = d.outcome.issued / (tl.lastIssuedUs / 1e6);
    r.achievedVsOfferedPct = (r.achievedQps / r.offeredQps - 1) * 100;
    if (delay !== null) r.issueDelayMs = { p50: delay.p50, p99: delay.p99, max: delay.max };
    r.clientCores = d.cpuUs / 1e6 / d.wallS;
    r.elu = d.elu;
    if (d.machineCores !== null) {
      r.machineCores = d.machineCores.busy;
      r.stealCores = d.machineCores.steal;
    }
    r.loopDelayMs = d.loopDelayMs;
    r.cpuUsPerRequest = d.cpuUs / Math.max(1, c.completed + c.failed);
    r.notes = [`${sched.length} queries over ${(sched.scheduledAtUs[sched.length - 1]! / 1e6).toFixed(2)} s`];
    if (c.failed > 0) r.notes.push(`${c.failed} failed: ${JSON.stringify(c.errors)}`);
  } finally {
    await sut.close();
  }
}

/**
 * Planted TTFT and gaps: the server stamps the real time of every write on its
 * own clock; the client's measured TTFT (from issue) and chunk gaps are compared
 * request by request (matched by prompt index, unique per request).
 */
async function fidelityCase(spec: CaseSpec, server: BenchServer, r: CaseResult): Promise<void> {
  const streams = spec.streams!;
  const n = spec.requests!;
  const library = makeLibrary(n, spec.tokens!);
  // Poisson arrivals (the Server scenario) at the rate that keeps `streams` in flight on average:
  // a closed loop would start all of them in one burst, and the client's own issue time for a
  // 1,000-request burst (~50 ms) would show up as TTFT error of the last ones.
  const [t0, t1] = FIDELITY_TTFT_MS;
  const [g0, g1] = FIDELITY_GAP_MS;
  const meanS = ((t0 + t1) / 2 + (spec.tokens! - 1) * ((g0 + g1) / 2)) / 1000;
  const qps = Math.round(streams / meanS);
  const flags = { api: spec.api, maxTokens: spec.tokens!, targetQps: qps };
  const sut = makeSut(scenario('llama2-70b/server', flags), server.url, 2 * streams);
  try {
    const wsc = scenario('llama2-70b/server', { ...flags, samples: Math.min(n, qps) });
    await drive({ sc: wsc, sut, library, schedule: schedule(wsc, n), maxDurationMs: spec.maxDurationMs });
    await server.stamps(); // drop the warm-up's
    // explicit --samples equal to the library size: every sample exactly once, so the prompt index names the request
    const sc = scenario('llama2-70b/server', { ...flags, samples: n });
    const measured = new Map<number, { ttftUs: number; gaps: number[] | undefined; chunks: number }>();
    server.mark();
    const d = await drive({
      sc,
      sut,
      library,
      schedule: schedule(sc, n),
      maxDurationMs: spec.maxDurationMs,
      onRecord: (rec) => {
        if (rec.ok && rec.firstTokenUs !== null) {
          measured.set(rec.sampleIndex, { ttftUs: rec.firstTokenUs - rec.issuedUs, gaps: rec.chunkGapsUs, chunks: rec.chunks });
        }
      },
    });
    Object.assign(r, serverFigures(await server.stats()));
    const stamps = await server.stamps();
    const ttftErr: number[] = [];
    const itlErr: number[] = [];
    let mismatched = 0;
    for (const s of stamps) {
      const m = measured.get(s.id);
      if (m === undefined || m.chunks !== s.writesUs.length) {
        mismatched++;
        continue;
      }
      ttftErr.push(m.ttftUs - (s.writesUs[0]! - s.receivedUs));
      const gaps = m.gaps ?? [];
      for (let i = 1; i < s.writesUs.length; i++) itlErr.push(gaps[i - 1]! - (s.writesUs[i]! - s.writesUs[i - 1]!));
    }
    const summarize = (v: number[]) => {
      const sorted = sortedOf(v);
      const abs = sortedOf(v.map(Math.abs));
      return { p50: percentile(sorted, 0.5) / 1000, p99: percentile(sorted, 0.99) / 1000, p99abs: percentile(abs, 0.99) / 1000, max: abs[abs.length - 1]! / 1000 };
    };
    const c = d.collector.counters();
    r.wallS = d.wallS;
    r.completed = c.completed;
    r.failed = c.failed;
    r.outputTokens = c.outputTokens;
    r.outputTokensPerS = c.outputTokens / d.wallS;
    r.cpuUsPerToken = d.cpuUs / c.outputTokens;
    r.clientCores = d.cpuUs / 1e6 / d.wallS;
    r.elu = d.elu;
    if (d.machineCores !== null) {
      r.machineCores = d.machineCores.busy;
      r.stealCores = d.machineCores.steal;
    }
    r.loopDelayMs = d.loopDelayMs;
    r.matched = ttftErr.length;
    r.notes = [`Poisson at ${qps} QPS: ${(c.outputTokens / d.wallS / (spec.tokens! / meanS)).toFixed(0)} streams in flight on average`];
    r.mismatched = mismatched;
    r.ttftErrMs = summarize(ttftErr);
    r.itlErrMs = summarize(itlErr);
    if (c.failed > 0) r.notes.push(`${c.failed} failed: ${JSON.stringify(c.errors)}`);
  } finally {
    await sut.close();
  }
}

/** Many tiny requests through an Offline run: peak RSS stays flat (records stream to disk). */
async function memoryCase(spec: CaseSpec, server: BenchServer, r: CaseResult): Promise<void> {
  const streams = spec.streams!;
  const library = makeLibrary(1000, 1);
  r.rssAtStartMB = process.memoryUsage().rss / MB;
  const sc = scenario('llama2-70b/offline', { api: spec.api, maxConcurrency: streams, maxTokens: 1, samples: spec.requests! });
  const sut = makeSut(sc, server.url, streams);
  try {
    server.mark();
    const d = await drive({ sc, sut, library, schedule: schedule(sc, library.samples.length), maxDurationMs: spec.maxDurationMs });
    Object.assign(r, serverFigures(await server.stats()));
    const c = d.collector.counters();
    r.wallS = d.wallS;
    r.completed = c.completed;
    r.failed = c.failed;
    r.outputTokens = c.outputTokens;
    r.clientCores = d.cpuUs / 1e6 / d.wallS;
    r.elu = d.elu;
    if (d.machineCores !== null) {
      r.machineCores = d.machineCores.busy;
      r.stealCores = d.machineCores.steal;
    }
    r.loopDelayMs = d.loopDelayMs;
    r.cpuUsPerRequest = d.cpuUs / Math.max(1, c.completed + c.failed);
    r.peakRssMB = process.resourceUsage().maxRSS / 1024;
    r.heapUsedMB = process.memoryUsage().heapUsed / MB;
    r.recordsMB = d.recordsBytes / MB;
    r.notes = [`${(c.completed / d.wallS).toFixed(0)} req/s`];
    if (c.failed > 0) r.notes.push(`${c.failed} failed: ${JSON.stringify(c.errors)}`);
  } finally {
    await sut.close();
  }
}
