/**
 * The benchmark cases: what each one runs and how its figures are computed.
 * Each case runs in its own client process (bench/child.ts), with its own
 * server process (bench/server.ts), so JIT state, heap and peak RSS of one
 * case never leak into another.
 */
import { stats } from '../src/metrics/histogram.js';
import type { ApiShape, ServerConfig } from './server.js';
import { drive, makeLibrary, makeSut, percentile, scenario, schedule, sortedOf, startServer, type BenchServer } from './harness.js';

export type CaseGroup = 'ingest' | 'paced' | 'adherence' | 'fidelity' | 'memory';

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
  /** paced: ms between events */
  gapMs?: number;
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
  wallS?: number;
  completed?: number;
  failed?: number;
  outputTokens?: number;
  outputTokensPerS?: number;
  cpuUsPerToken?: number;
  /** client CPU / wall: cores the client used */
  clientCores?: number;
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
  notes?: string[];
}

export function caseList(quick: boolean): CaseSpec[] {
  const ingestTokens = quick ? 1_000_000 : 4_000_000;
  const list: CaseSpec[] = [];
  for (const streams of [64, 256, 1024]) {
    list.push({ id: `ingest-chat-${streams}`, group: 'ingest', api: 'chat', streams, tokens: 256, requests: Math.max(2 * streams, Math.round(ingestTokens / 256)), maxDurationMs: 120_000 });
  }
  list.push({ id: 'ingest-completions-256', group: 'ingest', api: 'completions', streams: 256, tokens: 256, requests: Math.round(ingestTokens / 256), maxDurationMs: 120_000 });
  for (const streams of [64, 256, 1024]) {
    list.push({ id: `paced-chat-${streams}`, group: 'paced', api: 'chat', streams, tokens: 256, gapMs: 1, requests: streams * (quick ? 3 : 6), maxDurationMs: 60_000 });
  }
  for (const qps of [100, 1000, 5000]) {
    list.push({ id: `adherence-${qps}qps`, group: 'adherence', api: 'chat', qps, tokens: 1, durationMs: quick ? 3_000 : 10_000, maxDurationMs: 30_000 });
  }
  list.push({ id: 'fidelity-1000', group: 'fidelity', api: 'chat', streams: 1000, tokens: 64, requests: quick ? 2_000 : 5_000, maxDurationMs: 60_000 });
  list.push({ id: quick ? 'memory-100k' : 'memory-1M', group: 'memory', api: 'chat', streams: 256, tokens: 1, requests: quick ? 100_000 : 1_000_000, maxDurationMs: 600_000 });
  return list;
}

const MB = 1024 * 1024;

export async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const os = await import('node:os');
  const result: CaseResult = { id: spec.id, group: spec.group, spec, ok: true, loadavgBefore: os.loadavg(), loadavgAfter: [] };
  const serverCfg: ServerConfig =
    spec.group === 'paced'
      ? { mode: 'paced', api: spec.api, tokens: spec.tokens!, gapMs: spec.gapMs! }
      : spec.group === 'fidelity'
        ? { mode: 'planted', api: spec.api, tokens: spec.tokens!, ttftMs: [20, 60], gapRangeMs: [4, 16] }
        : spec.group === 'ingest'
          ? { mode: 'burst', api: spec.api, tokens: spec.tokens! }
          : { mode: 'instant', api: spec.api, tokens: spec.tokens! };
  const server = await startServer(serverCfg);
  try {
    switch (spec.group) {
      case 'ingest':
      case 'paced':
        await throughputCase(spec, server, result);
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
  return result;
}

/** Closed loop at `streams` in flight: warm up, then measure. */
async function throughputCase(spec: CaseSpec, server: BenchServer, r: CaseResult): Promise<void> {
  const streams = spec.streams!;
  const library = makeLibrary(1000, spec.tokens!);
  const flags = { api: spec.api, concurrency: streams, maxTokens: spec.tokens! };
  const sut = makeSut(scenario('llama2-70b/offline', flags), server.url, streams);
  try {
    // Warm-up: JIT, connections, pools; its figures are thrown away.
    const wsc = scenario('llama2-70b/offline', { ...flags, samples: Math.max(streams, spec.group === 'paced' ? streams : 2_000) });
    await drive({ sc: wsc, sut, library, schedule: schedule(wsc, library.samples.length), maxDurationMs: spec.maxDurationMs });
    const sc = scenario('llama2-70b/offline', { ...flags, samples: spec.requests! });
    const d = await drive({ sc, sut, library, schedule: schedule(sc, library.samples.length), maxDurationMs: spec.maxDurationMs });
    const c = d.collector.counters();
    r.wallS = d.wallS;
    r.completed = c.completed;
    r.failed = c.failed;
    r.outputTokens = c.outputTokens;
    r.outputTokensPerS = c.outputTokens / d.wallS;
    r.cpuUsPerToken = d.cpuUs / c.outputTokens;
    r.clientCores = d.cpuUs / 1e6 / d.wallS;
    if (c.failed > 0) r.notes = [`${c.failed} failed: ${JSON.stringify(c.errors)}`];
  } finally {
    await sut.close();
  }
}

/** Poisson arrivals at a target QPS against an instant server. */
async function adherenceCase(spec: CaseSpec, server: BenchServer, r: CaseResult): Promise<void> {
  const library = makeLibrary(100, 1);
  const base = { api: spec.api, maxTokens: 1 };
  const sut = makeSut(scenario('llama2-70b/server', { ...base, targetQps: spec.qps! }), server.url, 1024);
  try {
    const wsc = scenario('llama2-70b/offline', { ...base, concurrency: 32, samples: 3_000 });
    await drive({ sc: wsc, sut, library, schedule: schedule(wsc, library.samples.length), maxDurationMs: 20_000 });
    const sc = scenario('llama2-70b/server', { ...base, targetQps: spec.qps!, durationMs: spec.durationMs! });
    const sched = schedule(sc, library.samples.length);
    const d = await drive({ sc, sut, library, schedule: sched, maxDurationMs: spec.maxDurationMs });
    const c = d.collector.counters();
    const tl = d.collector.timeline();
    const delay = stats(d.collector.histograms().issueDelayUs);
    r.wallS = d.wallS;
    r.completed = c.completed;
    r.failed = c.failed;
    r.offeredQps = sched.length / (sched.scheduledAtUs[sched.length - 1]! / 1e6);
    r.achievedQps = d.outcome.issued / (tl.lastIssuedUs / 1e6);
    r.achievedVsOfferedPct = (r.achievedQps / r.offeredQps - 1) * 100;
    r.issueDelayMs = { p50: delay.p50, p99: delay.p99, max: delay.max };
    r.clientCores = d.cpuUs / 1e6 / d.wallS;
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
  const flags = { api: spec.api, concurrency: streams, maxTokens: spec.tokens! };
  const sut = makeSut(scenario('llama2-70b/offline', flags), server.url, streams);
  try {
    const wsc = scenario('llama2-70b/offline', { ...flags, samples: streams });
    await drive({ sc: wsc, sut, library, schedule: schedule(wsc, n), maxDurationMs: spec.maxDurationMs });
    await server.stamps(); // drop the warm-up's
    // explicit --samples equal to the library size: every sample exactly once, so the prompt index names the request
    const sc = scenario('llama2-70b/offline', { ...flags, samples: n });
    const measured = new Map<number, { ttftUs: number; gaps: number[] | undefined; chunks: number }>();
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
    r.matched = ttftErr.length;
    r.mismatched = mismatched;
    r.ttftErrMs = summarize(ttftErr);
    r.itlErrMs = summarize(itlErr);
    if (c.failed > 0) r.notes = [`${c.failed} failed: ${JSON.stringify(c.errors)}`];
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
    const d = await drive({ sc, sut, library, schedule: schedule(sc, library.samples.length), maxDurationMs: spec.maxDurationMs });
    const c = d.collector.counters();
    r.wallS = d.wallS;
    r.completed = c.completed;
    r.failed = c.failed;
    r.outputTokens = c.outputTokens;
    r.clientCores = d.cpuUs / 1e6 / d.wallS;
    r.peakRssMB = process.resourceUsage().maxRSS / 1024;
    r.heapUsedMB = process.memoryUsage().heapUsed / MB;
    r.recordsMB = d.recordsBytes / MB;
    r.notes = [`${(c.completed / d.wallS).toFixed(0)} req/s`];
    if (c.failed > 0) r.notes.push(`${c.failed} failed: ${JSON.stringify(c.errors)}`);
  } finally {
    await sut.close();
  }
}
