/**
 * What every case shares: start its server in a child process, build the
 * schedule and library the way `tokbench run` does, and drive the real client
 * (createOpenAiSut + planRun/executeRun + MetricsCollector + RecordWriter) with full
 * measurement on: per-chunk timestamps, histograms, every record on disk.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Sample, SampleLibrary } from '../src/dataset/types.js';
import { MetricsCollector } from '../src/metrics/collector.js';
import { RecordWriter } from '../src/records/jsonl.js';
import type { RequestRecord } from '../src/records/record.js';
import type { RunOutcome } from '../src/runner/runner.js';
import { planRun } from '../src/run/plan.js';
import { executeRun } from '../src/run/execute.js';
import { runWithWorkers } from '../src/runner/workers.js';
import { resolveScenario, type ScenarioFlags } from '../src/scenario/resolve.js';
import type { ResolvedScenario } from '../src/scenario/types.js';
import { buildSchedule, type Schedule } from '../src/schedule/schedule.js';
import { createOpenAiSut } from '../src/sut/openai.js';
import type { Sut, SutOutcome } from '../src/sut/types.js';
import { realClock } from '../src/util/clock.js';
import type { PlantedStamps, ServerConfig } from './server.js';

export interface BenchServer {
  url: string;
  /** planted mode: the server's stamps since the last call (cleared) */
  stamps(): Promise<PlantedStamps[]>;
  /** start measuring the server's own CPU and event-loop use */
  mark(): void;
  /** the server's cores used and event-loop utilization since mark() */
  stats(): Promise<{ cores: number; elu: number }>;
  close(): Promise<void>;
}

const serverScript = fileURLToPath(new URL('./server.js', import.meta.url));

/** Fork bench/server.js with its config; resolves once it listens. */
export function startServer(cfg: ServerConfig): Promise<BenchServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(serverScript, [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('bench server did not start within 10 s'));
    }, 10_000);
    child.once('error', reject);
    child.once('message', (m: { type: string; port: number }) => {
      clearTimeout(timer);
      if (m.type !== 'ready') return reject(new Error(`bench server: unexpected ${m.type}`));
      resolve({
        url: `http://127.0.0.1:${m.port}`,
        stamps: () =>
          new Promise((res) => {
            const on = (msg: { type: string; stamps: PlantedStamps[] }) => {
              if (msg.type !== 'stamps') return;
              child.off('message', on);
              res(msg.stamps);
            };
            child.on('message', on);
            child.send({ type: 'stamps' });
          }),
        mark: () => child.send({ type: 'mark' }),
        stats: () =>
          new Promise((res) => {
            const on = (msg: { type: string; cores: number; elu: number }) => {
              if (msg.type !== 'stats') return;
              child.off('message', on);
              res({ cores: msg.cores, elu: msg.elu });
            };
            child.on('message', on);
            child.send({ type: 'stats' });
          }),
        close: () =>
          new Promise((res) => {
            if (child.exitCode !== null) return res();
            const kill = setTimeout(() => child.kill('SIGKILL'), 2_000);
            child.once('exit', () => {
              clearTimeout(kill);
              res();
            });
            child.send({ type: 'exit' });
          }),
      });
    });
  });
}

/** Prompts `p<i>`: the planted server reads the index back to match its stamps to the client's records. */
export function makeLibrary(size: number, outputTokens: number): SampleLibrary {
  const samples: Sample[] = [];
  for (let i = 0; i < size; i++) {
    samples.push({ index: i, prompt: `p${i}`, promptTokenIds: null, messages: null, inputTokens: 8, outputTokens, reference: null });
  }
  return { samples, tokenizer: 'llama2', source: 'bench' };
}

/** A scenario resolved as the CLI resolves it (built-in profile + flags). */
export function scenario(name: string, flags: ScenarioFlags): ResolvedScenario {
  return resolveScenario({ scenario: name, flags: { warmup: 0, ...flags }, env: {}, cwd: process.cwd() });
}

export function schedule(sc: ResolvedScenario, librarySize: number): Schedule {
  return buildSchedule({ scenario: sc, librarySize });
}

export function makeSut(sc: ResolvedScenario, url: string, connections: number, extra: { http2?: boolean; live?: { outputChunks: number; reads?: number } } = {}): Sut {
  return createOpenAiSut({
    ...(extra.http2 === true ? { http2: true } : {}),
    ...(extra.live === undefined ? {} : { liveCounters: extra.live }),
    endpoints: [{ url, model: 'bench', servedModels: ['bench'], labels: {} }],
    clock: realClock,
    request: sc.request,
    apiKey: null,
    requestTimeoutMs: 120_000,
    idleTimeoutMs: 60_000,
    keepText: false,
    retries: 0,
    connectionsPerEndpoint: connections,
  });
}

export interface DriveResult {
  outcome: RunOutcome;
  collector: MetricsCollector;
  wallS: number;
  /** client process CPU (user + system, all threads) during the run, µs */
  cpuUs: number;
  /** of which in the kernel (socket reads and writes, loopback TCP) */
  sysUs: number;
  /** event-loop utilization of this thread during the run (1: never idle, the client is the bottleneck) */
  elu: number;
  /** cores busy on the whole machine during the run, and of them stolen by the hypervisor (Linux /proc/stat; null elsewhere) */
  machineCores: { busy: number; steal: number } | null;
  /** event-loop delay of this thread (perf_hooks.monitorEventLoopDelay, 1 ms resolution), ms */
  loopDelayMs: { p50: number; p99: number; max: number };
  recordsBytes: number;
}

export interface DriveOptions {
  sc: ResolvedScenario;
  sut: Sut;
  library: SampleLibrary;
  schedule: Schedule;
  /** called with every record (after writer and collector), e.g. to keep what a case checks */
  onRecord?: (rec: RequestRecord, outcome: SutOutcome) => void;
  /** stop issuing after this long: every case is bounded in time as well as in count */
  maxDurationMs?: number;
}

/** One measured run through the pipeline `tokbench run` uses (planRun → executeRun), minus progress and reports. */
export async function drive(o: DriveOptions): Promise<DriveResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tokbench-bench-'));
  const path = join(dir, 'requests.jsonl');
  const writer = new RecordWriter(path, { recordChunks: true });
  const collector = new MetricsCollector(1);
  const onRecord = o.onRecord;
  try {
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const stat0 = machineBusy();
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    // the run pipeline `tokbench run` uses (src/run/), with the harness's own time bounds
    const sc = structuredClone(o.sc);
    sc.run.maxDurationMs = o.maxDurationMs ?? 0;
    sc.run.drainTimeoutMs = 60_000;
    sc.run.graceMs = 1_000;
    sc.run.warmupRequests = 0;
    const plan = planRun(sc, { endpoints: o.sut.endpoints, library: o.library, workers: 1 });
    if (plan.schedule.length !== o.schedule.length) throw new Error(`bench: the case's schedule (${o.schedule.length}) is not the plan's (${plan.schedule.length})`);
    const run = await executeRun(plan, {
      clock: realClock,
      sut: o.sut,
      collector,
      sinks: {
        onRecord: (rec, outcome) => {
          writer.write(rec);
          if (onRecord) onRecord(rec, outcome as SutOutcome);
        },
      },
    });
    const outcome = run.runner;
    writer.flush();
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0).utilization;
    loopDelay.disable();
    writer.close();
    return { outcome, collector, wallS, cpuUs: cpu.user + cpu.system, sysUs: cpu.system, elu, machineCores: machineCores(stat0, wallS), loopDelayMs: delayMs(loopDelay), recordsBytes: statSync(path).size };
  } finally {
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * CPU seconds of the whole machine so far (all CPUs, /proc/stat, USER_HZ = 100):
 * busy (steal included: time the hypervisor gave to other VMs) and steal alone;
 * null off Linux.
 */
function machineBusy(): { busy: number; steal: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    // user nice system idle iowait irq softirq steal
    return { busy: (f.reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0)) / 100, steal: (f[7] ?? 0) / 100 };
  } catch {
    return null;
  }
}

function machineCores(m0: { busy: number; steal: number } | null, wallS: number): { busy: number; steal: number } | null {
  const m1 = machineBusy();
  return m0 === null || m1 === null ? null : { busy: (m1.busy - m0.busy) / wallS, steal: (m1.steal - m0.steal) / wallS };
}

function delayMs(h: IntervalHistogram): { p50: number; p99: number; max: number } {
  // the histogram counts the 1 ms sampling interval itself: subtract it
  const ms = (ns: number) => Math.max(0, ns / 1e6 - 1);
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
}

/** Exact percentile (MLPerf rank rule: sorted[floor(n·p)]) of plain numbers. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export function sortedOf(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

export interface DriveWorkersOptions {
  sc: ResolvedScenario;
  url: string;
  library: SampleLibrary;
  schedule: Schedule;
  workers: number;
  /** for the whole run (divided between workers) */
  connections: number;
  http2?: boolean;
  warmupRequests: number;
  maxDurationMs?: number;
  /** called with every measured record (after writer and collector) */
  onRecord?: (rec: RequestRecord) => void;
}

/**
 * The same run on `workers` worker threads (`tokbench run --workers N`): each
 * has its own Sut and runner; records come back to this thread, which writes
 * and collects them. CPU is the whole process's (every thread). Wall time runs
 * from the common t = 0; CPU from the first query the workers report (a batch
 * arrives within 25 ms of t = 0, so their first few ms of work are not counted).
 */
export async function driveWorkers(o: DriveWorkersOptions): Promise<DriveResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tokbench-bench-'));
  const path = join(dir, 'requests.jsonl');
  const writer = new RecordWriter(path, { recordChunks: true });
  const collector = new MetricsCollector(1);
  const interrupt = new AbortController();
  const hardStop = new AbortController();
  let cpu0: NodeJS.CpuUsage | null = null;
  let stat0: { busy: number; steal: number } | null = null;
  const elu0 = performance.eventLoopUtilization();
  try {
    const outcome = await runWithWorkers({
      workers: o.workers,
      schedule: o.schedule,
      library: o.library,
      endpoints: [{ url: o.url, model: 'bench', servedModels: ['bench'], labels: {} }],
      request: o.sc.request,
      apiKey: null,
      requestTimeoutMs: 120_000,
      idleTimeoutMs: 60_000,
      keepText: false,
      retries: 0,
      connectionsPerEndpoint: o.connections,
      ...(o.http2 === true ? { http2: true } : {}),
      tokenizer: null,
      defaultMaxTokens: o.sc.request.maxTokens,
      warmupRequests: o.warmupRequests,
      warmupSeed: o.sc.seeds.sampleIndex,
      maxDurationMs: o.maxDurationMs ?? 0,
      drainTimeoutMs: 60_000,
      graceMs: 1_000,
      balancing: 'least-outstanding',
      interrupt: interrupt.signal,
      hardStop: hardStop.signal,
      onIssued: (endpoint) => {
        if (cpu0 === null) {
          cpu0 = process.cpuUsage();
          stat0 = machineBusy();
        }
        collector.onIssued(endpoint, 0);
      },
      onRecord: (rec) => {
        writer.write(rec);
        collector.record(rec);
        if (!rec.warmup && o.onRecord) o.onRecord(rec);
      },
    });
    writer.flush();
    const wallS = (Date.now() * 1000 - outcome.t0EpochUs) / 1e6;
    const cpu = process.cpuUsage(cpu0 ?? undefined);
    // the main thread's (records and collector); the workers' loops are not visible from here
    const elu = performance.eventLoopUtilization(elu0).utilization;
    writer.close();
    return { outcome, collector, wallS, cpuUs: cpu.user + cpu.system, sysUs: cpu.system, elu, machineCores: machineCores(stat0, wallS), loopDelayMs: { p50: NaN, p99: NaN, max: NaN }, recordsBytes: statSync(path).size };
  } finally {
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
