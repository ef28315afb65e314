/**
 * `npm run bench`: the client-performance suite (issue 7, docs/performance.md).
 *
 *   npm run bench                      every case, full size (several minutes; the 1M-request memory case dominates)
 *   npm run bench -- --quick           every case, smaller (a few minutes)
 *   npm run bench -- --case ingest     one group (ingest, paced, adherence, fidelity, memory) or one case id; repeatable
 *   npm run bench -- --list            the cases, without running them
 *
 * Each case runs in a fresh client process (dist/bench/child.js) that starts
 * its own server process (dist/bench/server.js) on loopback. Results: a table
 * on stdout and JSON in bench/results/ (gitignored). Benchmarks, not tests:
 * nothing here fails a build.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { caseList, type CaseResult, type CaseSpec } from './cases.js';
import { renderPaced, verdictOf } from './paced-table.js';
import { table } from './table.js';

const childScript = fileURLToPath(new URL('./child.js', import.meta.url));
const resultsDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));

interface Args {
  quick: boolean;
  cases: string[];
  list: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, cases: [], list: false };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--quick') a.quick = true;
    else if (x === '--list') a.list = true;
    else if (x === '--case') a.cases.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else if (x.startsWith('--case=')) a.cases.push(...x.slice(7).split(',').filter(Boolean));
    else if (x === '--help' || x === '-h') {
      process.stdout.write('usage: npm run bench -- [--quick] [--case GROUP|ID]... [--list]\n');
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument ${x}\n`);
      process.exit(2);
    }
  }
  return a;
}

function runChild(spec: CaseSpec): Promise<CaseResult> {
  return new Promise((resolve) => {
    const child = fork(childScript, [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: CaseResult | null = null;
    // Every case stops by itself; this is the backstop.
    const limitMs = spec.maxDurationMs + 180_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('message', (m: { type: string; result: CaseResult }) => {
      if (m.type === 'result') result = m.result;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(
        result ?? {
          id: spec.id,
          group: spec.group,
          spec,
          ok: false,
          error: `client process exited (${signal ?? code})${signal === 'SIGKILL' ? ` after the ${limitMs / 1000} s limit` : ''}`,
          loadavgBefore: [],
          loadavgAfter: loadavg(),
        },
      );
    });
  });
}

const fmt = {
  int: (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US')),
  f: (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d)),
  ms: (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(3)}`),
  load: (l: number[]) => (l.length === 0 ? '–' : l.map((x) => x.toFixed(2)).join(' ')),
};

/** other processes' cores during the measured run (from /proc/stat), else the 1-minute load average before it */
const other = (r: CaseResult) => (r.otherCores !== undefined ? fmt.f(r.otherCores) : `load ${fmt.load(r.loadavgBefore.slice(0, 1))}`);

const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${Math.round(v * 100)}%`);


/** Target verdicts (issue 7), evaluated only on the cases the targets name. */
export function verdict(r: CaseResult): string {
  if (!r.ok) return 'ERROR';
  switch (r.group) {
    case 'ingest':
      return (r.outputTokensPerS ?? 0) >= 1e6 && (r.cpuUsPerToken ?? Infinity) <= 1 ? 'met' : 'MISSED';
    case 'adherence':
      if (r.spec.qps !== 1000) return 'info';
      return (r.issueDelayMs?.p99 ?? Infinity) <= 1 && Math.abs(r.achievedVsOfferedPct ?? Infinity) <= 0.5 ? 'met' : 'MISSED';
    case 'fidelity':
      if (r.spec.streams !== 1000) return 'info';
      return (r.ttftErrMs?.p99abs ?? Infinity) <= 1 && (r.itlErrMs?.p99abs ?? Infinity) <= 1 ? 'met' : 'MISSED';
    case 'memory':
      if (r.spec.requests !== 1_000_000) return 'info';
      return (r.peakRssMB ?? Infinity) <= 300 ? 'met' : 'MISSED';
    case 'paced':
      return verdictOf(r);
    default:
      return 'info';
  }
}

export function render(results: CaseResult[], meta: Record<string, unknown>): string {
  const out: string[] = [];
  out.push(`tokbench bench · ${String(meta.date)} · node ${String(meta.node)} · ${String(meta.cpus)} × ${String(meta.cpuModel)} · commit ${String(meta.commit)}${meta.quick ? ' · --quick' : ''}`);
  out.push(`load average at start: ${fmt.load(meta.loadavgStart as number[])} · at end: ${fmt.load(meta.loadavgEnd as number[])}`);
  const by = (g: string) => results.filter((r) => r.group === g);
  const err = (r: CaseResult) => (r.ok ? '' : ` (${(r.error ?? '').split('\n')[0]})`);
  const tp = by('ingest');
  if (tp.length > 0) {
    out.push('', 'Ingest (whole response in one write): closed loop, 256 one-token events per response');
    out.push(
      table(
        ['case', 'workers', 'streams', 'requests', 'output tok/s', 'client CPU µs/tok', 'of which kernel', 'client cores', 'loop busy', 'server cores', 'other load', 'target'],
        tp.map((r) => [
          r.id + err(r),
          String(r.spec.workers ?? 1),
          fmt.int(r.spec.streams),
          fmt.int(r.completed),
          fmt.int(r.outputTokensPerS),
          fmt.f(r.cpuUsPerToken, 3),
          fmt.f(r.sysUsPerToken, 3),
          fmt.f(r.clientCores),
          pct(r.elu),
          fmt.f(r.serverCores),
          other(r),
          verdict(r),
        ]),
      ),
    );
  }
  out.push(...renderPaced(by('paced'), by('scaling'), other));
  const ad = by('adherence');
  if (ad.length > 0) {
    out.push('', 'Schedule adherence: Poisson (Server) arrivals against an instant server');
    out.push(
      table(
        ['case', 'queries', 'offered QPS', 'achieved QPS', 'achieved vs offered', 'issue delay p50 ms', 'p99 ms', 'max ms', 'client CPU µs/req', 'client cores', 'loop busy', 'server cores', 'other load', 'target'],
        ad.map((r) => [
          r.id + err(r),
          fmt.int(r.completed),
          fmt.f(r.offeredQps, 1),
          fmt.f(r.achievedQps, 1),
          r.achievedVsOfferedPct === undefined ? '–' : `${r.achievedVsOfferedPct >= 0 ? '+' : ''}${r.achievedVsOfferedPct.toFixed(3)}%`,
          fmt.ms(r.issueDelayMs?.p50),
          fmt.ms(r.issueDelayMs?.p99),
          fmt.ms(r.issueDelayMs?.max),
          fmt.f(r.cpuUsPerRequest, 1),
          fmt.f(r.clientCores),
          pct(r.elu),
          fmt.f(r.serverCores),
          other(r),
          verdict(r),
        ]),
      ),
    );
  }
  const fi = by('fidelity');
  if (fi.length > 0) {
    out.push('', 'Timing fidelity: measured minus planted (server-stamped write times), ms');
    out.push(
      table(
        ['case', 'requests', 'TTFT err p50', 'p99', '|p99|', 'ITL err p50', 'p99', '|p99|', '|max| ITL', 'output tok/s', 'client cores', 'loop busy', 'server cores', 'other load', 'target'],
        fi.map((r) => [
          r.id + err(r),
          fmt.int(r.matched),
          fmt.ms(r.ttftErrMs?.p50),
          fmt.ms(r.ttftErrMs?.p99),
          fmt.ms(r.ttftErrMs?.p99abs),
          fmt.ms(r.itlErrMs?.p50),
          fmt.ms(r.itlErrMs?.p99),
          fmt.ms(r.itlErrMs?.p99abs),
          fmt.ms(r.itlErrMs?.max),
          fmt.int(r.outputTokensPerS),
          fmt.f(r.clientCores),
          pct(r.elu),
          fmt.f(r.serverCores),
          other(r),
          verdict(r),
        ]),
      ),
    );
  }
  const me = by('memory');
  if (me.length > 0) {
    out.push('', 'Memory: Offline run of tiny requests, 256 in flight, records streamed to disk');
    out.push(
      table(
        ['case', 'requests', 'wall s', 'req/s', 'client CPU µs/req', 'peak RSS MB', 'RSS at start MB', 'heap at end MB', 'requests.jsonl MB', 'target'],
        me.map((r) => [
          r.id + err(r),
          fmt.int(r.completed),
          fmt.f(r.wallS, 1),
          fmt.int(r.completed !== undefined && r.wallS ? r.completed / r.wallS : undefined),
          fmt.f(r.cpuUsPerRequest, 1),
          fmt.f(r.peakRssMB, 0),
          fmt.f(r.rssAtStartMB, 0),
          fmt.f(r.heapUsedMB, 0),
          fmt.f(r.recordsMB, 0),
          verdict(r),
        ]),
      ),
    );
  }
  const notes = results.filter((r) => (r.notes?.length ?? 0) > 0 || !r.ok);
  if (notes.length > 0) {
    out.push('', 'Notes:');
    for (const r of notes) {
      for (const n of r.notes ?? []) out.push(`  ${r.id}: ${n}`);
      if (!r.ok) out.push(`  ${r.id}: ${r.error ?? 'failed'}`);
    }
  }
  return out.join('\n') + '\n';
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty === '' ? head : `${head}+dirty`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const all = caseList(args.quick);
  const chosen = args.cases.length === 0 ? all : all.filter((c) => args.cases.some((k) => c.group === k || c.id === k));
  if (args.list || chosen.length === 0) {
    if (chosen.length === 0) process.stderr.write(`bench: no case matches ${args.cases.join(', ')}\n`);
    for (const c of all) process.stdout.write(`${c.group.padEnd(10)} ${c.id}\n`);
    process.exitCode = chosen.length === 0 ? 2 : 0;
    return;
  }
  const meta: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryMB: Math.round(totalmem() / 1024 / 1024),
    commit: gitCommit(),
    quick: args.quick,
    loadavgStart: loadavg(),
  };
  const results: CaseResult[] = [];
  for (const spec of chosen) {
    process.stderr.write(`bench: ${spec.id} …`);
    const t0 = performance.now();
    const r = await runChild(spec);
    process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s${r.ok ? '' : ' FAILED'}\n`);
    results.push(r);
  }
  meta.loadavgEnd = loadavg();
  const text = render(results, meta);
  process.stdout.write('\n' + text);
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}${(meta.date as string).replace(/[:.]/g, '-')}${args.quick ? '-quick' : ''}.json`;
  const json = JSON.stringify({ meta, results: results.map((r) => ({ ...r, target: verdict(r) })) }, null, 2) + '\n';
  writeFileSync(file, json);
  writeFileSync(`${resultsDir}latest.json`, json);
  process.stdout.write(`\nJSON: ${file}\n`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

void main();
