/**
 * Soak benchmark: tokbench's own client under sustained load for a bounded time,
 * to show that its memory stays flat and that it does not leak sockets or
 * handles. Not a test (it takes minutes); run it by hand:
 *
 *   npm run build && node dist/bench/soak.js                 # 10 minutes
 *   node --expose-gc dist/bench/soak.js --minutes 2 --qps 30 # shorter; GC before each sample
 *
 * The client runs in this process, through the real CLI entry (main(argv, io)):
 * a Server-scenario run (Poisson arrivals) against the simulator (`tokbench
 * serve --profile tiny`) in a child process on loopback, so the simulator's
 * memory is not counted with the client's. Every --interval-s seconds this
 * process samples its RSS, heap, external memory, active handles
 * (process.getActiveResourcesInfo()) and sockets (TCP handles, and socket fds in
 * /proc/self/fd on Linux), and the simulator's RSS. It prints a table, then
 * writes everything to bench/results/soak.json.
 *
 * Bounded on every side: the run has --max-duration (the soak length) and
 * --drain-timeout; a watchdog interrupts the run (as Ctrl-C would) a minute
 * after it should have ended, and aborts it a little later; the simulator is
 * killed at the end whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/io.js';
import type { ResultJson } from '../src/metrics/types.js';

interface SoakOptions {
  minutes: number;
  qps: number;
  intervalS: number;
  inputTokens: number;
  outputTokens: number;
  maxConcurrency: number;
  out: string | null;
}

interface Sample {
  /** seconds since the run started */
  t: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** process.getActiveResourcesInfo().length */
  handles: number;
  /** by resource type (TCPSocketWrap, Timeout, FSReqCallback, ...) */
  handleTypes: Record<string, number>;
  /** TCP handles of this process */
  tcpHandles: number;
  /** socket fds of this process (/proc/self/fd), -1 where unavailable */
  socketFds: number;
  /** all open fds (/proc/self/fd), -1 where unavailable */
  fds: number;
  /** requests finished so far (lines of requests.jsonl) */
  finished: number;
  /** the simulator's RSS (MB), -1 where unavailable */
  simRssMb: number;
}

const USAGE = `usage: node dist/bench/soak.js [--minutes N] [--qps Q] [--interval-s S] [--input-tokens N] [--output-tokens N] [--max-concurrency N] [--out FILE]`;

function parseArgs(argv: string[]): SoakOptions {
  const o: SoakOptions = { minutes: 10, qps: 30, intervalS: 10, inputTokens: 128, outputTokens: 128, maxConcurrency: 256, out: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const num = (min: number): number => {
      const n = Number(value);
      if (value === undefined || !Number.isFinite(n) || n < min) {
        process.stderr.write(`soak: ${flag} needs a number >= ${min}\n${USAGE}\n`);
        process.exit(2);
      }
      i++;
      return n;
    };
    switch (flag) {
      case '--minutes':
        o.minutes = num(0.1);
        break;
      case '--qps':
        o.qps = num(0.1);
        break;
      case '--interval-s':
        o.intervalS = num(1);
        break;
      case '--input-tokens':
        o.inputTokens = Math.round(num(1));
        break;
      case '--output-tokens':
        o.outputTokens = Math.round(num(1));
        break;
      case '--max-concurrency':
        o.maxConcurrency = Math.round(num(1));
        break;
      case '--out':
        if (value === undefined) {
          process.stderr.write(`soak: --out needs a file\n${USAGE}\n`);
          process.exit(2);
        }
        o.out = value;
        i++;
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        process.stderr.write(`soak: unknown argument ${flag}\n${USAGE}\n`);
        process.exit(2);
    }
  }
  return o;
}

/** the package root: the first directory up from this file with a package.json (works from bench/ and dist/bench/) */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('soak: cannot find the package root');
}

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

function fdCounts(): { fds: number; sockets: number } {
  try {
    const names = readdirSync('/proc/self/fd');
    let sockets = 0;
    for (const n of names) {
      try {
        if (readlinkSync(`/proc/self/fd/${n}`).startsWith('socket:')) sockets++;
      } catch {
        // closed between readdir and readlink
      }
    }
    return { fds: names.length, sockets };
  } catch {
    return { fds: -1, sockets: -1 };
  }
}

function rssOfPid(pid: number | undefined): number {
  if (pid === undefined) return -1;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : -1;
  } catch {
    return -1;
  }
}

/** lines of requests.jsonl, counted incrementally (only the new bytes are read) */
class LineCounter {
  private offset = 0;
  lines = 0;
  constructor(private readonly path: string) {}
  update(): number {
    if (!existsSync(this.path)) return this.lines;
    const size = statSync(this.path).size;
    if (size > this.offset) {
      const buf = readFileSync(this.path).subarray(this.offset, size);
      for (const b of buf) if (b === 0x0a) this.lines++;
      this.offset = size;
    }
    return this.lines;
  }
}

function sample(t: number, counter: LineCounter, sim: ChildProcess): Sample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  const m = process.memoryUsage();
  const resources = process.getActiveResourcesInfo();
  const handleTypes: Record<string, number> = {};
  for (const r of resources) handleTypes[r] = (handleTypes[r] ?? 0) + 1;
  const { fds, sockets } = fdCounts();
  return {
    t: Math.round(t),
    rssMb: mb(m.rss),
    heapUsedMb: mb(m.heapUsed),
    heapTotalMb: mb(m.heapTotal),
    externalMb: mb(m.external),
    arrayBuffersMb: mb(m.arrayBuffers),
    handles: resources.length,
    handleTypes,
    tcpHandles: handleTypes.TCPSocketWrap ?? 0,
    socketFds: sockets,
    fds,
    finished: counter.update(),
    simRssMb: rssOfPid(sim.pid),
  };
}

function startSimulatorProcess(root: string): Promise<{ url: string; child: ChildProcess }> {
  const bin = join(root, 'bin', 'tokbench.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--profile', 'tiny'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`soak: the simulator did not start within 20 s:\n${stderr}`));
    }, 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`soak: the simulator exited (${code}):\n${stderr}`));
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** a discarding stream that keeps the last few KB (for the error report) */
function sinkStream(keep: { text: string }): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      keep.text = (keep.text + chunk.toString()).slice(-8192);
      cb();
    },
  });
}

function pad(s: string | number, n: number): string {
  return String(s).padStart(n);
}

function table(samples: Sample[]): string {
  const head = `${pad('t(s)', 6)} ${pad('done', 8)} ${pad('rss MB', 8)} ${pad('heap MB', 8)} ${pad('ext MB', 7)} ${pad('handles', 8)} ${pad('tcp', 5)} ${pad('sock fd', 8)} ${pad('fds', 5)} ${pad('sim MB', 7)}`;
  const rows = samples.map(
    (s) =>
      `${pad(s.t, 6)} ${pad(s.finished, 8)} ${pad(s.rssMb.toFixed(1), 8)} ${pad(s.heapUsedMb.toFixed(1), 8)} ${pad(s.externalMb.toFixed(1), 7)} ${pad(s.handles, 8)} ${pad(s.tcpHandles, 5)} ${pad(s.socketFds, 8)} ${pad(s.fds, 5)} ${pad(s.simRssMb.toFixed(1), 7)}`,
  );
  return [head, ...rows].join('\n');
}

interface Verdict {
  /** heap used at the end minus after the first minute (warm-up: JIT, pools, tokenizer), MB */
  heapGrowthMb: number;
  /** heap growth per 10k finished requests after the first minute, MB */
  heapGrowthPer10kRequestsMb: number;
  rssGrowthMb: number;
  maxTcpHandles: number;
  maxSocketFds: number;
  /** during load vs the last sample under load: handles do not grow with time */
  handlesFirst: number;
  handlesLast: number;
  /** after the run: what is still open (the simulator's pipe and this process's own) */
  handlesAfter: number;
  socketFdsAfter: number;
}

async function soak(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const root = packageRoot();
  const resultsPath = o.out ?? join(root, 'bench', 'results', 'soak.json');
  const seconds = Math.round(o.minutes * 60);
  const samples = Math.ceil(seconds * o.qps);
  const work = mkdtempSync(join(tmpdir(), 'tokbench-soak-'));
  const outDir = join(work, 'out');
  process.stderr.write(`soak: ${o.minutes} min at ${o.qps} QPS (${samples} queries, ${o.inputTokens} in / ${o.outputTokens} out), sampling every ${o.intervalS}s${(globalThis as { gc?: unknown }).gc ? ' (GC before each sample)' : ''}\n`);

  const { url, child: sim } = await startSimulatorProcess(root);
  process.stderr.write(`soak: simulator (profile tiny) on ${url}, pid ${sim.pid}\n`);

  // The CLI's io, with signals under our control: the watchdog "presses Ctrl-C".
  const signalHandlers = new Set<(s: 'SIGINT' | 'SIGTERM') => void>();
  const stdout = { text: '' };
  const stderr = { text: '' };
  const io: CliIo = {
    stdout: sinkStream(stdout),
    stderr: sinkStream(stderr),
    env: { ...process.env, NO_COLOR: '1' },
    cwd: work,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    onSignal(handler) {
      signalHandlers.add(handler);
      return () => signalHandlers.delete(handler);
    },
  };
  const interruptRun = (why: string) => {
    process.stderr.write(`soak: watchdog: ${why}\n`);
    for (const h of signalHandlers) h('SIGINT');
  };

  const before = sample(0, new LineCounter(join(outDir, 'requests.jsonl')), sim);
  const counter = new LineCounter(join(outDir, 'requests.jsonl'));
  const taken: Sample[] = [];
  const t0 = performance.now();
  const sampler = setInterval(() => {
    const s = sample((performance.now() - t0) / 1000, counter, sim);
    taken.push(s);
    process.stderr.write(`soak: t=${s.t}s finished ${s.finished} rss ${s.rssMb} MB heap ${s.heapUsedMb} MB handles ${s.handles} tcp ${s.tcpHandles} socket fds ${s.socketFds}\n`);
  }, o.intervalS * 1000);
  // Bounded: a minute past the planned end, interrupt (grace 5 s); 30 s later, abort.
  const watchdog = setTimeout(() => {
    interruptRun('the run did not end on time; interrupting');
    setTimeout(() => interruptRun('still running; aborting'), 30_000).unref();
  }, (seconds + 60) * 1000);

  let code = -1;
  let error: string | null = null;
  try {
    code = await main(
      [
        'run',
        'llama2-70b/server',
        '--endpoint',
        url,
        '--target-qps',
        String(o.qps),
        '--samples',
        String(samples),
        '--max-duration',
        `${seconds}s`,
        '--drain-timeout',
        '30s',
        '--grace',
        '5s',
        '--idle-timeout',
        '10s',
        '--input-tokens',
        String(o.inputTokens),
        '--output-tokens',
        String(o.outputTokens),
        '--max-concurrency',
        String(o.maxConcurrency),
        '--workers',
        '1',
        '--seed',
        '1',
        '--no-record-chunks',
        '--quiet',
        '--json',
        '--out',
        outDir,
      ],
      io,
    );
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  } finally {
    clearInterval(sampler);
    clearTimeout(watchdog);
  }
  const underLoad = taken.slice();
  // After the run: pools closed, nothing of the run should stay open.
  await new Promise((r) => setTimeout(r, 1_000));
  const after = sample((performance.now() - t0) / 1000, counter, sim);
  await stopProcess(sim);

  let result: ResultJson | null = null;
  try {
    result = JSON.parse(readFileSync(join(outDir, 'result.json'), 'utf8')) as ResultJson;
  } catch {
    // reported below
  }

  const warm = underLoad.find((s) => s.t >= 60) ?? underLoad[0] ?? before;
  const last = underLoad[underLoad.length - 1] ?? after;
  const finishedSinceWarm = Math.max(1, last.finished - warm.finished);
  const verdict: Verdict = {
    heapGrowthMb: Math.round((last.heapUsedMb - warm.heapUsedMb) * 10) / 10,
    heapGrowthPer10kRequestsMb: Math.round(((last.heapUsedMb - warm.heapUsedMb) / finishedSinceWarm) * 10_000 * 100) / 100,
    rssGrowthMb: Math.round((last.rssMb - warm.rssMb) * 10) / 10,
    maxTcpHandles: Math.max(0, ...underLoad.map((s) => s.tcpHandles)),
    maxSocketFds: Math.max(0, ...underLoad.map((s) => s.socketFds)),
    handlesFirst: underLoad[0]?.handles ?? -1,
    handlesLast: last.handles,
    handlesAfter: after.handles,
    socketFdsAfter: after.socketFds,
  };

  process.stdout.write(`\n${table([before, ...underLoad, after])}\n\n`);
  process.stdout.write(`first row: before the run; last row: 1 s after it ended\n`);
  if (result) {
    const s = result.summary;
    process.stdout.write(
      `run: exit ${code}, ${s.issued} issued, ${s.completed} completed, ${s.failed} failed ${JSON.stringify(s.errors)}, ` +
        `${Math.round(s.outputTokensPerSecond)} output tok/s, ${s.requestsPerSecond.toFixed(1)} req/s, TTFT p99 ${s.latency.ttftMs?.p99.toFixed(1) ?? '–'} ms, issue delay p99 ${s.latency.issueDelayMs?.p99.toFixed(2) ?? '–'} ms\n`,
    );
  } else {
    process.stdout.write(`run: exit ${code}, no result.json${error ? `: ${error}` : ''}\n${stderr.text.slice(-2000)}\n`);
  }
  process.stdout.write(
    `heap after the first minute → end: ${verdict.heapGrowthMb >= 0 ? '+' : ''}${verdict.heapGrowthMb} MB (${verdict.heapGrowthPer10kRequestsMb} MB per 10k requests); ` +
      `RSS ${verdict.rssGrowthMb >= 0 ? '+' : ''}${verdict.rssGrowthMb} MB; TCP handles at most ${verdict.maxTcpHandles}; ` +
      `handles ${verdict.handlesFirst} → ${verdict.handlesLast} under load, ${verdict.handlesAfter} after\n`,
  );

  mkdirSync(dirname(resultsPath), { recursive: true });
  writeFileSync(
    resultsPath,
    JSON.stringify(
      {
        kind: 'tokbench-soak',
        at: new Date().toISOString(),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        gcBeforeSamples: Boolean((globalThis as { gc?: unknown }).gc),
        options: o,
        exitCode: code,
        error,
        summary: result
          ? {
              issued: result.summary.issued,
              completed: result.summary.completed,
              failed: result.summary.failed,
              errors: result.summary.errors,
              outputTokensPerSecond: result.summary.outputTokensPerSecond,
              requestsPerSecond: result.summary.requestsPerSecond,
              ttftP99Ms: result.summary.latency.ttftMs?.p99 ?? null,
              issueDelayP99Ms: result.summary.latency.issueDelayMs?.p99 ?? null,
              durationMs: result.summary.durationMs,
            }
          : null,
        verdict,
        before,
        samples: underLoad,
        after,
      },
      null,
      2,
    ) + '\n',
  );
  process.stderr.write(`soak: wrote ${resultsPath}\n`);
  rmSync(work, { recursive: true, force: true });
  process.exitCode = code === 0 ? 0 : 1;
}

soak().catch((err: unknown) => {
  process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
