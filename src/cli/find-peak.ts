/**
 * `tokbench find-peak SCENARIO [run flags]`: the highest Server target QPS whose
 * latency stays within the benchmark's constraints, found with short probe runs
 * (bracket, then bisect; src/metrics/find-peak.ts) and confirmed by one run of
 * full length. Every probe is an ordinary `run` (executeRun) into its own
 * directory, so each has its result.json, requests.jsonl and MLPerf logs.
 *
 * Writes find-peak.json (FindPeakResult, src/metrics/types.ts) and prints the
 * curve QPS → output tokens/s, p99 TTFT, p99 TPOT, valid.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { ConfigError, ExitCode, RunFailedError, type Problem } from '../errors.js';
import type { CliIo } from './io.js';
import { parseRunFlags, runCommand, runScenario, scenarioFlags, writeFileAtomic, type RunCliOptions, type RunFlags } from './run.js';
import { parseDurationMs } from '../util/units.js';
import { resolveScenario } from '../scenario/resolve.js';
import { readLoadgenConfFiles } from '../scenario/conf-wiring.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { startEmbeddedSimulator, type EmbeddedSimulator } from '../sim/embedded.js';
import { MetricsCollector } from '../metrics/collector.js';
import { readRecords } from '../records/jsonl.js';
import { RUN_INFO_FILE, type RunInfo } from '../records/run-info.js';
import { judgeProbe, PeakSearch, roundQps } from '../metrics/find-peak.js';
import type { FindPeakPoint, FindPeakResult, ResultJson } from '../metrics/types.js';
import { formatCount, padEnd, padStart } from '../report/format.js';

export const FIND_PEAK_FILE = 'find-peak.json';

/** run flags that make no sense for a probe, or that find-peak sets itself */
const NOT_FOR_PROBES = new Set([
  '--samples',
  '--json',
  '--junit',
  '--markdown',
  '--assert',
  '--mode',
  '--shard',
  '--shard-count',
  '--start-at',
  '--concurrency',
  '--duration',
  '--max-duration',
  '--html',
  '--report',
  '--baseline',
  '--system',
]);

interface FindPeakOptions extends RunCliOptions {
  lower?: string;
  upper?: string;
  probeDuration: string;
  confirmDuration?: string;
  tolerance: string;
  maxProbes: string;
  confirmRetries: string;
  confirm: boolean;
}

/** find-peak's own option keys, removed before the rest goes to `run` */
const OWN_KEYS = ['lower', 'upper', 'probeDuration', 'confirmDuration', 'tolerance', 'maxProbes', 'confirmRetries', 'confirm', 'json'] as const;

export function findPeakCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const cmd = new Command('find-peak')
    .description('Find the highest Server target QPS that meets the latency constraints: short probes narrow the range, one full-length run confirms')
    .argument('[scenario]', 'a Server or Interactive scenario: built-in name (llama2-70b/server, gpt-oss-120b/interactive, …) or a .yaml/.json file')
    .option('--lower <qps>', 'a rate expected to be valid; probed first')
    .option('--upper <qps>', 'a rate expected to be invalid; the search stays at or below it')
    .option('--probe-duration <time>', 'length of each probe run', '20s')
    .option('--confirm-duration <time>', "length of the confirming run (default: the scenario's min_duration, 600 s for MLPerf)")
    .option('--tolerance <pct>', 'stop when the highest valid and the lowest invalid rate are this close (e.g. 5% or 0.05)', '5%')
    .option('--max-probes <n>', 'most probe runs', '12')
    .option('--confirm-retries <n>', 'after an invalid confirming run, step down by the tolerance and confirm again, up to n times', '1')
    .option('--no-confirm', 'skip the confirming run')
    .option('--json', 'print find-peak.json to stdout instead of the table');
  // Every `run` flag works here too (endpoints, dataset, model, --user-conf …), except those a probe sets itself.
  for (const opt of runCommand(io, () => undefined).options) {
    if (opt.long !== undefined && !NOT_FOR_PROBES.has(opt.long)) cmd.addOption(opt);
  }
  return cmd.action(async (scenarioArg: string | undefined, options: FindPeakOptions) => {
    setExitCode(await executeFindPeak(scenarioArg, options, io));
  });
}

function parseTolerance(text: string, problems: Problem[]): number {
  const t = text.trim();
  const v = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (!Number.isFinite(v) || v <= 0 || v >= 1) {
    problems.push({ where: '--tolerance', message: `expected a fraction in (0, 1) or a percentage, got ${JSON.stringify(text)}`, hint: 'e.g. 5% or 0.05' });
    return 0.05;
  }
  return v;
}

function positiveNumber(flag: string, text: string | undefined, problems: Problem[], { int = false } = {}): number | null {
  if (text === undefined) return null;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || (int && !Number.isInteger(v))) {
    problems.push({ where: flag, message: `expected a ${int ? 'whole ' : ''}number > 0, got ${JSON.stringify(text)}` });
    return null;
  }
  return v;
}

function durationFlag(flag: string, text: string | undefined, problems: Problem[]): number | null {
  if (text === undefined) return null;
  const ms = parseDurationMs(text);
  if (ms === null || ms <= 0) {
    problems.push({ where: flag, message: `expected a duration, got ${JSON.stringify(text)}`, hint: 'e.g. 20s, 2m, 1500ms' });
    return null;
  }
  return ms;
}

const discard = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

interface ProbeOutcome {
  point: FindPeakPoint;
  code: number;
}

interface SearchFlags {
  lower: number | null;
  upper: number | null;
  probeMs: number;
  confirmMs: number | null;
  tolerance: number;
  maxProbes: number;
  confirmRetries: number;
}

/** find-peak's own flags; problems are added to `problems`. */
function parseSearchFlags(o: FindPeakOptions, problems: Problem[]): SearchFlags {
  const lower = positiveNumber('--lower', o.lower, problems);
  const upper = positiveNumber('--upper', o.upper, problems);
  const probeMs = durationFlag('--probe-duration', o.probeDuration, problems) ?? 20_000;
  const confirmMs = durationFlag('--confirm-duration', o.confirmDuration, problems);
  const tolerance = parseTolerance(o.tolerance, problems);
  const maxProbes = positiveNumber('--max-probes', o.maxProbes, problems, { int: true }) ?? 12;
  const retriesText = o.confirmRetries.trim();
  const confirmRetries = /^\d+$/.test(retriesText) ? Number(retriesText) : (problems.push({ where: '--confirm-retries', message: `expected a whole number ≥ 0, got ${JSON.stringify(o.confirmRetries)}` }), 1);
  if (lower !== null && upper !== null && lower >= upper) problems.push({ where: '--lower', message: `must be below --upper (${lower} ≥ ${upper})` });
  return { lower, upper, probeMs, confirmMs, tolerance, maxProbes, confirmRetries };
}

/** What every probe and confirming run of one search shares. */
interface ProbeContext {
  scenario: ResolvedScenario;
  sim: EmbeddedSimulator | null;
  runFlags: RunFlags;
  /** run's options for every probe (quiet; --out set per probe) */
  base: RunCliOptions;
  probeIo: CliIo;
  outDir: string;
  flags: SearchFlags;
  confirmDurationMs: number;
  log: (line: string) => void;
}

/** Each probe is the resolved scenario with its rate and size set as numbers (a fresh copy: a run fills in endpoints). */
function probeScenario(ctx: ProbeContext, set: { targetQps: number; samples?: number; drainTimeoutMs?: number; minDurationMs?: number }): ResolvedScenario {
  const s = structuredClone(ctx.scenario);
  if (ctx.sim) s.endpoints = [{ url: ctx.sim.url, model: null, labels: {} }];
  s.load.targetQps = set.targetQps;
  if (set.samples !== undefined) s.run.samples = set.samples;
  if (set.drainTimeoutMs !== undefined) s.run.drainTimeoutMs = set.drainTimeoutMs;
  if (set.minDurationMs !== undefined) s.run.minDurationMs = set.minDurationMs;
  return s;
}

async function runProbe(ctx: ProbeContext, qps: number, index: number): Promise<ProbeOutcome> {
  const { scenario, flags: { probeMs }, confirmDurationMs } = ctx;
  const dir = join(ctx.outDir, 'probes', `${String(index).padStart(2, '0')}-qps-${qps}`);
  const samples = Math.max(1, Math.ceil((qps * probeMs) / 1000));
  // an overloaded probe must not drain for minutes: its verdict is clear by then
  const drainTimeoutMs = scenario.origins['run.drainTimeoutMs'] === 'flag' ? scenario.run.drainTimeoutMs : Math.max(probeMs, 5000);
  const fullRunQueries = Math.max(scenario.run.minQueryCount, Math.ceil((qps * confirmDurationMs) / 1000));
  let code: number;
  try {
    code = await runScenario(probeScenario(ctx, { targetQps: qps, samples, drainTimeoutMs }), ctx.runFlags, { ...ctx.base, out: dir }, ctx.probeIo);
  } catch (err) {
    if (err instanceof RunFailedError) {
      return { code: ExitCode.ok, point: { qps, outputTokensPerSecond: 0, ttftP99Ms: null, tpotP99Ms: null, valid: false, reason: err.message } };
    }
    throw err;
  }
  const point = judgeProbe({ ...(await measureRun(dir, qps)), constraints: scenario.constraints, fullRunQueries, fullRunDurationMs: confirmDurationMs });
  return { code, point };
}

/** Probes the search's rates until it stops or a probe is interrupted. */
async function searchPeak(ctx: ProbeContext, search: PeakSearch): Promise<{ curve: FindPeakPoint[]; interrupted: boolean }> {
  const curve: FindPeakPoint[] = [];
  for (let q = search.next(), i = 1; q !== null; q = search.next(), i++) {
    const { point, code } = await runProbe(ctx, q, i);
    curve.push(point);
    search.record(q, point.valid);
    ctx.log(`probe ${i}: ${describePoint(point)}`);
    if (code === ExitCode.interrupted) return { curve, interrupted: true };
  }
  return { curve, interrupted: false };
}

type ConfirmRun = NonNullable<FindPeakResult['details']>['confirmRuns'][number];

/**
 * A full-length run at the peak; on a failure a step down could fix (latency,
 * early stopping, incomplete queries), retried one tolerance lower.
 */
async function confirmPeak(ctx: ProbeContext, peak: number): Promise<{ peakQps: number; confirmed: boolean; interrupted: boolean; confirmRuns: ConfirmRun[] }> {
  const { confirmMs, confirmRetries, tolerance } = ctx.flags;
  const { confirmDurationMs, log } = ctx;
  const confirmRuns: ConfirmRun[] = [];
  let q = peak;
  for (let attempt = 0; attempt <= confirmRetries; attempt++) {
    const dir = join(ctx.outDir, `confirm-${attempt + 1}-qps-${q}`);
    log(`confirming ${q} QPS with a ${confirmDurationMs / 1000} s run`);
    let result: ResultJson | null = null;
    let failure: string | null = null;
    let code: number = ExitCode.ok;
    try {
      code = await runScenario(probeScenario(ctx, { targetQps: q, ...(confirmMs === null ? {} : { minDurationMs: confirmMs }) }), ctx.runFlags, { ...ctx.base, out: dir }, ctx.probeIo);
      result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ResultJson;
    } catch (err) {
      if (!(err instanceof RunFailedError)) throw err;
      failure = err.message;
    }
    const failedChecks = result ? result.validity.checks.filter((c) => !c.passed) : [];
    const valid = result !== null && result.validity.valid;
    const reason = valid ? null : (failure ?? failedChecks.map((c) => `${c.name}: ${c.detail}`).join('; '));
    confirmRuns.push({ qps: q, durationMs: confirmDurationMs, valid, reason, outputTokensPerSecond: result?.summary.outputTokensPerSecond ?? 0, outDir: dir });
    log(`confirming run at ${q} QPS: ${valid ? 'VALID' : `INVALID (${reason})`}`);
    if (code === ExitCode.interrupted) return { peakQps: peak, confirmed: false, interrupted: true, confirmRuns };
    if (valid) return { peakQps: q, confirmed: true, interrupted: false, confirmRuns };
    // a step down cannot fix a run that is too short or too small
    const fixable = failedChecks.length > 0 && failedChecks.every((c) => ['ttft_p99', 'tpot_p99', 'early_stopping', 'all_queries_completed'].includes(c.name));
    if (!fixable) break;
    q = roundQps(q * (1 - tolerance));
  }
  return { peakQps: peak, confirmed: false, interrupted: false, confirmRuns };
}

export async function executeFindPeak(scenarioArg: string | undefined, o: FindPeakOptions, io: CliIo): Promise<number> {
  const log = (line: string) => {
    if (!o.quiet) io.stderr.write(`tokbench: ${line}\n`);
  };
  const problems: Problem[] = [];
  const flags = parseSearchFlags(o, problems);
  const { lower, upper, probeMs, confirmMs, tolerance, maxProbes } = flags;

  // The rest of the options are run's, passed to every probe.
  const runOptions: RunCliOptions = { ...o };
  for (const k of OWN_KEYS) delete (runOptions as Record<string, unknown>)[k];
  const scenarioFlagValues = scenarioFlags(runOptions, problems);
  const runFlags = parseRunFlags(runOptions, io, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const loadgenConfs = readLoadgenConfFiles(runOptions, io.cwd, (p) => log(`warning: ${p.where}: ${p.message}`));
  const scenario = resolveScenario({ ...(scenarioArg === undefined ? {} : { scenario: scenarioArg }), flags: scenarioFlagValues, env: io.env, cwd: io.cwd, ...(loadgenConfs ? { loadgenConfs } : {}) });
  checkScenario(scenario);

  const outDir = runOptions.out ? resolvePath(io.cwd, runOptions.out) : defaultOutDir(io, scenario);
  mkdirSync(outDir, { recursive: true });

  let sim: EmbeddedSimulator | null = null;
  if (scenario.endpoints.length === 0) {
    sim = await startEmbeddedSimulator({ scenario, ...(runOptions.simProfile === undefined ? {} : { profile: runOptions.simProfile }) });
    log(`no --endpoint given: started the built-in simulator (profile ${sim.profile}) on ${sim.url}; figures are simulated`);
  }
  try {
    const start = scenario.load.targetQps ?? sim?.suggestedQps ?? null;
    if (lower === null && upper === null && start === null) {
      throw new ConfigError({ where: 'find-peak', message: 'no rate to start from', hint: 'give --lower QPS and/or --upper QPS (or --target-qps as a first guess)' });
    }
    const search = new PeakSearch({ lower, upper, start, tolerance, maxProbes });
    const { ttftP99Ms, tpotP99Ms } = scenario.constraints;
    const confirmDurationMs = confirmMs ?? scenario.run.minDurationMs;
    log(
      `${scenario.name}: probes of ${probeMs / 1000} s; constraints p99 TTFT ≤ ${ttftP99Ms ?? '–'} ms, p99 TPOT ≤ ${tpotP99Ms ?? '–'} ms; ` +
        `tolerance ${Number((tolerance * 100).toFixed(2))}%; confirming run ${o.confirm ? `${confirmDurationMs / 1000} s` : 'skipped'}`,
    );
    const ctx: ProbeContext = { scenario, sim, runFlags, base: { ...runOptions, quiet: true }, probeIo: { ...io, stdout: discard() }, outDir, flags, confirmDurationMs, log };

    const searched = await searchPeak(ctx, search);
    let interrupted = searched.interrupted;
    const stoppedBecause = interrupted ? 'interrupted' : search.stoppedBecause;
    log(`search over: ${stoppedBecause}`);

    let peakQps = search.best;
    let confirmed = false;
    let confirmRuns: ConfirmRun[] = [];
    if (!interrupted && peakQps !== null && o.confirm) {
      ({ peakQps, confirmed, interrupted, confirmRuns } = await confirmPeak(ctx, peakQps));
    }

    const result: FindPeakResult = {
      schemaVersion: 1,
      scenario: scenario.name,
      peakQps,
      confirmed,
      curve: searched.curve,
      details: { constraints: { ttftP99Ms, tpotP99Ms }, probeDurationMs: probeMs, tolerance, confirmRuns, stoppedBecause },
    };
    const text = JSON.stringify(result, null, 2) + '\n';
    writeFileAtomic(join(outDir, FIND_PEAK_FILE), text);
    if (o.json) io.stdout.write(text);
    else io.stdout.write(renderFindPeak(result));
    log(`results in ${outDir}`);

    if (interrupted) return ExitCode.interrupted;
    if (peakQps === null) return ExitCode.assertionFailed;
    if (o.confirm && !confirmed) return ExitCode.assertionFailed;
    return ExitCode.ok;
  } finally {
    if (sim) await sim.close();
  }
}

function checkScenario(s: ResolvedScenario): void {
  const problems: Problem[] = [];
  if (s.load.pattern !== 'poisson') {
    problems.push({
      where: 'SCENARIO',
      message: `find-peak searches a Server target QPS; ${s.name} is ${s.load.pattern === 'closed' ? 'a closed loop' : 'Offline'}`,
      hint: 'use a Server or Interactive scenario, e.g. llama2-70b/server',
    });
  }
  if (s.constraints.ttftP99Ms === null && s.constraints.tpotP99Ms === null) {
    problems.push({
      where: 'constraints',
      message: `${s.name} sets no latency constraint, so every rate the server sustains would count as valid`,
      hint: 'set constraints.ttftP99Ms and/or constraints.tpotP99Ms in the scenario file (or ttft_latency/tpot_latency in a --user-conf)',
    });
  }
  if (s.run.mode !== 'performance') problems.push({ where: 'run.mode', message: 'find-peak runs in performance mode' });
  if (problems.length > 0) throw new ConfigError(problems);
}

function defaultOutDir(io: CliIo, s: ResolvedScenario): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  return resolvePath(io.cwd, 'tokbench-out', `${stamp}-find-peak-${`${s.benchmark}-${s.scenario}`.replace(/[^A-Za-z0-9._-]/g, '_')}`);
}

/** The exact per-request figures of a finished probe, from its requests.jsonl and result.json. */
async function measureRun(dir: string, qps: number) {
  const info = JSON.parse(readFileSync(join(dir, RUN_INFO_FILE), 'utf8')) as RunInfo;
  const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ResultJson;
  const collector = new MetricsCollector(info.endpoints.length);
  await readRecords(join(dir, 'requests.jsonl'), (rec) => collector.record(rec));
  const cols = collector.completedColumns();
  const counters = collector.counters();
  const ttft: number[] = [];
  const tpot: number[] = [];
  for (let i = 0; i < cols.ttftUs.length; i++) {
    if (cols.ttftUs[i]! >= 0) ttft.push(cols.ttftUs[i]! * 1000);
    if (cols.tpotNs[i]! >= 0) tpot.push(cols.tpotNs[i]!);
  }
  const trendSched: number[] = [];
  const trendTtft: number[] = [];
  await readRecords(join(dir, 'requests.jsonl'), (rec) => {
    if (rec.warmup || !rec.ok || rec.firstTokenUs === null) return;
    trendSched.push(rec.scheduledUs);
    trendTtft.push(rec.firstTokenUs - rec.scheduledUs);
  });
  return {
    qps,
    issued: counters.issued,
    completed: counters.completed,
    failed: counters.failed,
    failuresByKind: counters.errors,
    ttftNs: Float64Array.from(ttft),
    tpotNs: Float64Array.from(tpot),
    outputTokensPerSecond: result.summary.outputTokensPerSecond,
    ttftTrend: { scheduledUs: Float64Array.from(trendSched), ttftUs: Float64Array.from(trendTtft) },
  };
}

const ms = (v: number | null) => (v === null ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function describePoint(p: FindPeakPoint): string {
  return `${p.qps} QPS → ${formatCount(Math.round(p.outputTokensPerSecond))} tok/s, p99 TTFT ${ms(p.ttftP99Ms)} ms, p99 TPOT ${ms(p.tpotP99Ms)} ms: ${p.valid ? 'valid' : `not valid (${p.reason})`}`;
}

/** The terminal table: the curve in QPS order, then the verdict. */
export function renderFindPeak(r: FindPeakResult): string {
  const rows = [...r.curve].sort((a, b) => a.qps - b.qps);
  const head = ['target QPS', 'output tok/s', 'p99 TTFT ms', 'p99 TPOT ms', 'valid', 'reason'];
  const cells = rows.map((p) => [String(p.qps), formatCount(Math.round(p.outputTokensPerSecond)), ms(p.ttftP99Ms), ms(p.tpotP99Ms), p.valid ? 'yes' : 'no', p.reason ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : i >= 4 ? padEnd(v, widths[i]!) : padStart(v, widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [`find-peak ${r.scenario}`, '', line(head), ...cells.map(line), ''];
  const confirm = r.details?.confirmRuns ?? [];
  if (r.peakQps === null) out.push(`no valid rate found (${r.details?.stoppedBecause ?? ''})`);
  else if (r.confirmed) {
    const c = confirm[confirm.length - 1]!;
    out.push(`peak: ${r.peakQps} QPS, confirmed by a ${c.durationMs / 1000} s run (VALID, ${formatCount(Math.round(c.outputTokensPerSecond))} output tok/s)`);
  } else if (confirm.length > 0) {
    out.push(`peak: ${r.peakQps} QPS by the probes, NOT confirmed: ${confirm.map((c) => `${c.qps} QPS INVALID (${c.reason})`).join('; ')}`);
  } else out.push(`peak: ${r.peakQps} QPS by the probes (not confirmed by a full-length run)`);
  return out.join('\n') + '\n';
}
