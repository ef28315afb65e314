/**
 * `tokbench run [SCENARIO]`: flags → resolve → plan → execute → finish →
 * write → exit code. The stages live in src/run/; this file reads the command
 * line and the environment, starts what prints and what interrupts, and hands
 * the stages what they need. Everything that can be wrong with the input is
 * found before the first request is sent.
 */
import { join, resolve as resolvePath } from 'node:path';
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import { ConfigError, type Problem } from '../errors.js';
import type { CliIo } from './io.js';
import { realClock } from '../util/clock.js';
import { resolveScenario } from '../scenario/resolve.js';
import { SETTINGS, flagAttribute, type RunCliOptions, type ScenarioFlags } from '../scenario/settings.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { createOpenAiSut, type OpenAiSutOptions } from '../sut/openai.js';
import { preflight } from '../sut/preflight.js';
import { readOsLimits } from '../sut/os-limits.js';
import type { EndpointInfo } from '../sut/types.js';
import type { Tokenizer } from '../dataset/types.js';
import { type Balancing } from '../runner/runner.js';
import { ProgressReporter } from '../runner/progress.js';
import { createScraper, parseObserveFlags } from '../telemetry/run-hooks.js';
import { RequestSampler } from '../telemetry/request-sample.js';
import { RecordWriter } from '../records/jsonl.js';
import { assertFreshOutDir, freshRunDir } from '../records/out-dir.js';
import { RUN_INFO_FILE } from '../records/run-info.js';
import { MetricsCollector } from '../metrics/collector.js';
import { ConnectWaitCounter } from '../metrics/client-check.js';
import { endpointSelectorProblems, parseThresholds } from '../metrics/thresholds.js';
import { readLoadgenConfFiles } from '../scenario/conf-wiring.js';
import { AccuracyRecorder, describeAccuracy } from '../accuracy/run-accuracy.js';
import { makeDirs, outputTarget, outputTargetProblems, type OutputTarget } from '../run/outputs.js';
import { planRun, type RunPlan } from '../run/plan.js';
import { executeRun as executePlan } from '../run/execute.js';
import { finishRun } from '../run/finish.js';
import { resolveApiKey } from './api-key.js';
import { parseShard } from './shard.js';
import { applyScaleOutFlags, clientInfo } from './scale-out.js';
import { exitCodeOf, interruptsFrom, runInfoOf, writeOutputs } from './run-output.js';
import { announce, loadRunLibrary, parseTags, readTls, startSimulatorIfNoEndpoint } from './run-input.js';
import { startClientMonitor } from './client-monitor.js';
import { parseConfidence } from './confidence.js';
import { parseEcosystemFlags, startLiveMetrics, writeVllmJson, type LiveMetricsServer } from './ecosystem.js';
import { writeFileAtomic } from './atomic.js';

export type { RunCliOptions } from '../scenario/settings.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `run`'s options, from the declarations of src/scenario/settings.ts. */
export function addRunOptions(cmd: Command): Command {
  for (const s of SETTINGS) {
    if (s.flag === undefined) continue;
    const flags = `${s.short ? `${s.short}, ` : ''}${s.flag}${s.arg ? ` ${s.arg}` : ''}`;
    const opt = new Option(flags, s.help ?? s.doc ?? '');
    if (s.repeatable) opt.argParser(collect);
    if (s.choices) opt.choices(s.choices);
    if (s.cliDefault !== undefined) opt.default(s.cliDefault);
    cmd.addOption(opt);
    if (s.negation !== undefined) cmd.addOption(new Option(s.flag.replace(/^--/, '--no-'), s.negation));
  }
  return cmd;
}

export function runCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const cmd = new Command('run')
    .description('Run a scenario against an OpenAI-compatible endpoint (or the built-in simulator when none is given)')
    .argument('[scenario]', 'built-in name (llama2-70b/offline|server|interactive, gpt-oss-120b/offline|server|interactive) or a .yaml/.json file', undefined);
  return addRunOptions(cmd).action(async (scenarioArg: string | undefined, options: RunCliOptions) => {
    setExitCode(await executeRun(scenarioArg, options, io));
  });
}

/** flags → ScenarioFlags, read with each setting's value type; every malformed value is a problem, all at once */
export function scenarioFlags(o: RunCliOptions, problems: Problem[]): ScenarioFlags {
  const raw = o as Record<string, string | string[] | boolean | undefined>;
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    if (s.key === undefined || s.flag === undefined || s.type === undefined) continue;
    const v = raw[flagAttribute(s.flag)];
    // a `--no-x` switch is true (commander's default) unless given
    if (v === undefined || (s.flag.startsWith('--no-') && v === true)) continue;
    if (typeof v === 'boolean') {
      out[s.key] = v;
      continue;
    }
    const r = s.type.fromText(v, s.flag);
    if (r.ok) out[s.key] = r.value;
    else problems.push(...r.problems);
  }
  return out as ScenarioFlags;
}

function defaultOutDir(io: CliIo, scenario: ResolvedScenario): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  const name = `${scenario.benchmark}-${scenario.scenario}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return resolvePath(io.cwd, 'tokbench-out', `${stamp}-${name}`);
}

export { writeFileAtomic };

export async function executeRun(scenarioArg: string | undefined, o: RunCliOptions, io: CliIo): Promise<number> {
  const problems: Problem[] = [];
  const warn = (p: Problem) => io.stderr.write(`tokbench: warning: ${p.where}: ${p.message}${p.hint ? ` (${p.hint})` : ''}\n`);
  const flags = scenarioFlags(o, problems);
  const runFlags = parseRunFlags(o, io, problems);
  const loadgenConfs = readLoadgenConfFiles(o, io.cwd, warn, problems);
  // the flags' problems go in with the scenario's, so every one is reported at once
  const scenario = resolveScenario({ ...(scenarioArg === undefined ? {} : { scenario: scenarioArg }), flags, env: io.env, cwd: io.cwd, ...(loadgenConfs ? { loadgenConfs } : {}), problems, onWarning: warn });
  return runScenario(scenario, runFlags, o, io);
}

/** The flags of `run` that are not scenario settings, parsed once (find-peak reuses them for every probe). */
export interface RunFlags {
  shard: { index: number; count: number } | null;
  observe: ReturnType<typeof parseObserveFlags>;
  ecosystem: ReturnType<typeof parseEcosystemFlags>;
  confidence: number | undefined;
  startAtWallMs: number | null;
}

export function parseRunFlags(o: RunCliOptions, io: CliIo, problems: Problem[]): RunFlags {
  const shard = parseShard(o.shard, o.shardCount, io.env, problems);
  const observe = parseObserveFlags(o, problems);
  const ecosystem = parseEcosystemFlags(o, problems);
  const confidence = parseConfidence(o.confidence, '--confidence', problems);
  let startAtWallMs: number | null = null;
  if (o.startAt !== undefined) {
    const t = /^\d+(\.\d+)?$/.test(o.startAt) ? Number(o.startAt) * 1000 : Date.parse(o.startAt);
    if (!Number.isFinite(t)) problems.push({ where: '--start-at', message: `not a time: ${JSON.stringify(o.startAt)}`, hint: 'ISO 8601 (2026-11-28T12:00:00Z) or epoch seconds' });
    else startAtWallMs = t;
  }
  return { shard, observe, ecosystem, confidence, startAtWallMs };
}

/** What `run` reads and checks before the simulator starts or any request is sent. */
interface RunInputs {
  tags: Record<string, string>;
  scaleOut: ReturnType<typeof applyScaleOutFlags>;
  apiKey: string | null;
  tls: Awaited<ReturnType<typeof readTls>>;
  outDir: string;
  targets: OutputTarget[];
}

async function readRunInputs(scenario: ResolvedScenario, runFlags: RunFlags, o: RunCliOptions, io: CliIo): Promise<RunInputs> {
  // Parse thresholds now: a bad --assert must fail before any load is sent.
  const thresholdWhere = (i: number) => (scenario.origins.thresholds === 'flag' ? `--assert ${JSON.stringify(scenario.thresholds[i])}` : `thresholds[${i}]`);
  parseThresholds(scenario.thresholds, thresholdWhere);
  const tags = parseTags(o.tag);
  const scaleOut = applyScaleOutFlags(o, scenario, io.cwd);
  const apiKey = resolveApiKey({ flag: o.apiKey, file: o.apiKeyFile, env: io.env, cwd: io.cwd, warn: (m) => io.stderr.write(`tokbench: warning: ${m}\n`) });
  const tls = await readTls(o, io);
  // One run per directory (records/out-dir.ts): an --out that holds a run is refused before anything is sent.
  if (o.out) assertFreshOutDir(resolvePath(io.cwd, o.out));
  const outDir = o.out ? resolvePath(io.cwd, o.out) : freshRunDir(defaultOutDir(io, scenario));
  const targets = outputTargets(o, runFlags.observe, outDir, io);
  const outputProblems = outputTargetProblems(targets);
  if (outputProblems.length > 0) throw new ConfigError(outputProblems, 'cannot write the results');
  return { tags, scaleOut, apiKey, tls, outDir, targets };
}

/**
 * One run of a resolved scenario: plan → execute → finish → write → exit code.
 * find-peak calls this with the probe's numbers set on the scenario, not as flag strings.
 */
export async function runScenario(scenario: ResolvedScenario, runFlags: RunFlags, o: RunCliOptions, io: CliIo): Promise<number> {
  const log = (line: string) => {
    if (!o.quiet || line.startsWith('warning')) io.stderr.write(`tokbench: ${line}\n`);
  };
  const inputs = await readRunInputs(scenario, runFlags, o, io);
  const sim = await startSimulatorIfNoEndpoint(scenario, o.simProfile, log);
  try {
    const { plan, tokenizer, accuracy } = await planWithEndpoints(scenario, runFlags, inputs, o, io);
    announce(plan.scenario, plan, log);
    if (plan.workers > 1) log(`${plan.workers} worker threads`);
    const { outDir, tags, scaleOut } = inputs;
    makeDirs(outDir);
    const runInfo = runInfoOf(plan, { simulated: sim !== null, tags });
    writeFileAtomic(join(outDir, RUN_INFO_FILE), JSON.stringify(runInfo, null, 2) + '\n');
    const driven = await drive(plan, { inputs, runFlags, o, io, log, tokenizer, accuracy, simUrl: sim === null ? null : sim.url });
    const accuracyResult = accuracy ? accuracy.finish(outDir, tokenizer) : null;
    const { result, warnings } = finishRun(driven.outcome, {
      simulated: sim !== null, tags, baseline: scaleOut.baseline, system: scaleOut.system, client: clientInfo(plan.workers),
      scraper: driven.scraper, sampler: driven.sampler, accuracy: accuracyResult, clientLoad: driven.clientLoad,
      ...(runFlags.confidence === undefined ? {} : { confidence: runFlags.confidence }),
    });
    writeFileAtomic(join(outDir, RUN_INFO_FILE), JSON.stringify({ ...runInfo, clock: result.clock, client: result.client }, null, 2) + '\n');
    for (const w of warnings) log(`warning: ${w}`);
    if (result.accuracy) log(describeAccuracy(result.accuracy));
    await writeOutputs(result, { o, io, outDir, observe: runFlags.observe, scenario: plan.scenario, sizing: plan.sizing, collector: driven.outcome.collector });
    if (runFlags.ecosystem.vllmJson) log(`vLLM-shaped result in ${await writeVllmJson(outDir, result, writeFileAtomic)}`);
    log(`results in ${outDir}`);
    return exitCodeOf(result, driven.outcome, outDir);
  } finally {
    if (sim) await sim.close();
  }
}

/** Preflight the endpoints, load the samples, and plan: the last checks before any load. */
async function planWithEndpoints(scenario: ResolvedScenario, runFlags: RunFlags, inputs: RunInputs, o: RunCliOptions, io: CliIo) {
  if (scenario.load.pattern === 'poisson' && scenario.load.targetQps === null) {
    throw new ConfigError({ where: '--target-qps', message: `${scenario.name} issues Poisson arrivals and needs a target rate`, hint: 'give --target-qps N (queries/s), e.g. the rate your cluster should sustain' });
  }
  const parsed = parseThresholds(scenario.thresholds, (i) => (scenario.origins.thresholds === 'flag' ? `--assert ${JSON.stringify(scenario.thresholds[i])}` : `thresholds[${i}]`));
  const selectorProblems = endpointSelectorProblems(parsed, scenario.endpoints, '--assert');
  if (selectorProblems.length > 0) throw new ConfigError(selectorProblems);
  const endpoints: EndpointInfo[] = await preflight(
    scenario.endpoints.map((e) => ({ ...e, model: e.model ?? scenario.request.model })),
    { apiKey: inputs.apiKey, timeoutMs: 10_000, headers: scenario.request.headers, ...(inputs.tls ? { tls: inputs.tls } : {}), ...(o.http2 === true ? { http2: true } : {}) },
  );
  const { tokenizer, library, datasetPath } = await loadRunLibrary(scenario, io.cwd);
  // Accuracy mode: every sample once, responses kept and scored (src/accuracy/run-accuracy.ts).
  const accuracy = scenario.run.mode === 'accuracy' ? await AccuracyRecorder.prepare(scenario, library, datasetPath) : null;
  const plan = planRun(scenario, {
    endpoints,
    library,
    shard: runFlags.shard,
    workers: inputs.scaleOut.workers,
    cores: availableParallelism(),
    outputs: inputs.targets,
    balancing: (o.balancing ?? 'least-outstanding') as Balancing,
    startAtWallMs: runFlags.startAtWallMs,
    osLimits: readOsLimits(),
  });
  return { plan, tokenizer, accuracy };
}

interface DriveContext {
  inputs: RunInputs;
  runFlags: RunFlags;
  o: RunCliOptions;
  io: CliIo;
  log: (l: string) => void;
  tokenizer: Tokenizer;
  accuracy: AccuracyRecorder | null;
  simUrl: string | null;
}

/** The Sut and the sinks (requests.jsonl, progress, telemetry, live metrics, self-check) around executeRun, closed whatever happens. */
async function drive(plan: RunPlan, c: DriveContext) {
  const { scenario, endpoints } = plan;
  const { o, io, inputs } = c;
  const live = { outputChunks: 0 };
  const sutOptions: OpenAiSutOptions = {
    endpoints: [...endpoints],
    clock: realClock,
    request: scenario.request,
    apiKey: inputs.apiKey,
    requestTimeoutMs: scenario.run.requestTimeoutMs,
    idleTimeoutMs: scenario.run.idleTimeoutMs,
    ...(scenario.run.firstTokenTimeoutMs !== null ? { firstTokenTimeoutMs: scenario.run.firstTokenTimeoutMs } : {}),
    keepText: scenario.run.mode === 'accuracy',
    retries: scenario.run.retries,
    connectionsPerEndpoint: plan.connectionsPerEndpoint,
    ...(inputs.tls ? { tls: inputs.tls } : {}),
    liveCounters: live,
    ...(o.http2 === true ? { http2: true } : {}),
  };
  const writer = new RecordWriter(join(inputs.outDir, 'requests.jsonl'), { recordChunks: o.recordChunks !== false });
  const sut = createOpenAiSut(sutOptions);
  const stops = interruptsFrom(io, scenario.run.graceMs);
  const scraper = createScraper(c.runFlags.observe, c.simUrl, realClock);
  const sampler = new RequestSampler();
  const collector = new MetricsCollector(endpoints.length);
  const liveMetrics = await startLiveMetricsIfAsked(c.runFlags.ecosystem.metricsListen, collector, scenario, c.simUrl !== null, c.log);
  // client self-check (issue 14): the client's own load while the schedule runs
  const connectWaits = new ConnectWaitCounter();
  const progress = o.quiet
    ? null
    : new ProgressReporter({ io, collector, clock: realClock, schedule: plan.schedule, scenario, color: o.color !== false && !io.env.NO_COLOR, live, interrupt: stops.interrupt, ...(scraper ? { telemetry: scraper } : {}) });
  const startAtWallMs = plan.startAtWallMs;
  if (startAtWallMs !== null && startAtWallMs > Date.now()) c.log(`waiting ${Math.round((startAtWallMs - Date.now()) / 1000)}s for --start-at ${new Date(startAtWallMs).toISOString()}`);
  const clientMonitor = startClientMonitor(plan.workers);
  try {
    progress?.start();
    scraper?.start();
    const outcome = await executePlan(plan, {
      clock: realClock,
      sut,
      tokenizer: c.tokenizer,
      workerSut: sutOptions,
      signal: stops.interrupt,
      hardStop: stops.hardStop,
      sinks: [
        { onRecord: (rec, raw) => c.accuracy?.onRecord(rec, raw) },
        { onRecord: (rec) => writer.write(rec) },
        { onRecord: (rec) => sampler.add(rec) },
        { onRecord: (rec) => connectWaits.add(rec) },
        { onIssued: () => progress?.onIssued(), onRecord: (rec) => progress?.onRecord(rec) },
      ],
      collector,
    });
    return { outcome, scraper, sampler, clientLoad: { load: clientMonitor.stop(), connectWaits } };
  } finally {
    clientMonitor.stop();
    progress?.stop();
    await scraper?.stop();
    stops.unsubscribe();
    writer.close();
    await sut.close();
    await liveMetrics?.close();
  }
}

/** Every file and directory the run will write, checked before the first request. */
function outputTargets(o: RunCliOptions, observe: { htmlFile: string | null }, outDir: string, io: CliIo): OutputTarget[] {
  const targets = [outputTarget('--out', io.cwd, outDir, 'dir')];
  if (o.junit) targets.push(outputTarget('--junit', io.cwd, o.junit, 'file'));
  if (o.markdown) targets.push(outputTarget('--markdown', io.cwd, o.markdown, 'file'));
  if (observe.htmlFile !== null) targets.push(outputTarget('--html', io.cwd, observe.htmlFile, 'file'));
  if (io.env.GITHUB_STEP_SUMMARY) targets.push(outputTarget('$GITHUB_STEP_SUMMARY', io.cwd, io.env.GITHUB_STEP_SUMMARY, 'file'));
  return targets;
}

/** --metrics-listen: live figures for Prometheus, read from the collector at scrape time. */
async function startLiveMetricsIfAsked(listen: ReturnType<typeof parseEcosystemFlags>['metricsListen'], collector: MetricsCollector, scenario: ResolvedScenario, simulated: boolean, log: (l: string) => void): Promise<LiveMetricsServer | null> {
  if (listen === null) return null;
  const server = await startLiveMetrics(listen, collector, {
    benchmark: scenario.benchmark,
    scenario: scenario.scenario,
    mlperfRound: scenario.mlperfRound ?? null,
    simulated,
    targetQps: scenario.load.targetQps,
  });
  log(`live metrics at ${server.url}`);
  return server;
}
