/**
 * What every case shares: start its server in a child process, build the
 * schedule and library the way `tokbench run` does, and drive the real client
 * (createOpenAiSut + runSchedule + MetricsCollector + RecordWriter) with full
 * measurement on: per-chunk timestamps, histograms, every record on disk.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sample, SampleLibrary } from '../src/dataset/types.js';
import { MetricsCollector } from '../src/metrics/collector.js';
import { RecordWriter } from '../src/records/jsonl.js';
import type { RequestRecord } from '../src/records/record.js';
import { runSchedule, type RunOutcome } from '../src/runner/runner.js';
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

export function makeSut(sc: ResolvedScenario, url: string, connections: number): Sut {
  return createOpenAiSut({
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

/** One measured run, exactly as `tokbench run` wires it (minus progress and reports). */
export async function drive(o: DriveOptions): Promise<DriveResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tokbench-bench-'));
  const path = join(dir, 'requests.jsonl');
  const writer = new RecordWriter(path, { recordChunks: true });
  const collector = new MetricsCollector(1);
  const interrupt = new AbortController();
  const hardStop = new AbortController();
  const onRecord = o.onRecord;
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const outcome = await runSchedule({
      clock: realClock,
      sut: o.sut,
      library: o.library,
      schedule: o.schedule,
      defaultMaxTokens: o.sc.request.maxTokens,
      warmupRequests: 0,
      maxDurationMs: o.maxDurationMs ?? 0,
      drainTimeoutMs: 60_000,
      graceMs: 1_000,
      balancing: 'least-outstanding',
      countTokens: null,
      interrupt: interrupt.signal,
      hardStop: hardStop.signal,
      warmupSeed: o.sc.seeds.sampleIndex,
      onIssued: (endpoint, relUs) => collector.onIssued(endpoint, relUs),
      onRecord: (rec, outcome) => {
        writer.write(rec);
        collector.record(rec);
        if (onRecord) onRecord(rec, outcome);
      },
    });
    writer.flush();
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    writer.close();
    return { outcome, collector, wallS, cpuUs: cpu.user + cpu.system, recordsBytes: statSync(path).size };
  } finally {
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Exact percentile (MLPerf rank rule: sorted[floor(n·p)]) of plain numbers. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export function sortedOf(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}
