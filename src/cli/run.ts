/**
 * `tokbench run [SCENARIO]`: the pipeline end to end. Resolve the scenario, check
 * the endpoint (or start the embedded simulator), load the samples, build the
 * schedule, run it, then summarize, judge and report. Everything that can be
 * wrong with the input is found before the first request is sent.
 */
import { mkdirSync, renameSync, writeFileSync, appendFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, ExitCode, RunFailedError, type Problem } from '../errors.js';
import type { CliIo } from './io.js';
import { realClock } from '../util/clock.js';
import { resolveScenario } from '../scenario/resolve.js';
import { SETTINGS, flagAttribute, type RunCliOptions, type ScenarioFlags } from '../scenario/settings.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { loadTokenizer } from '../dataset/tokenizers.js';
import { loadSampleLibrary } from '../dataset/library.js';
import { countChatTokens } from '../dataset/chat.js';
import type { SampleLibrary, Tokenizer } from '../dataset/types.js';
import { buildSchedule, shardScheduleForNode, type Schedule } from '../schedule/schedule.js';
import { createOpenAiSut, redactHeaders, type OpenAiSutOptions } from '../sut/openai.js';
import { preflight } from '../sut/preflight.js';
import { planConnections, readOsLimits, type ConnectionPlan } from '../sut/os-limits.js';
import { assertFreshOutDir, freshRunDir } from '../records/out-dir.js';
import type { EndpointInfo } from '../sut/types.js';
import { runSchedule, type Balancing } from '../runner/runner.js';
import { ProgressReporter } from '../runner/progress.js';
import { attachObservations, createScraper, parseObserveFlags } from '../telemetry/run-hooks.js';
import { RequestSampler } from '../telemetry/request-sample.js';
import { renderHtmlReport } from '../report/html.js';
import { RecordWriter } from '../records/jsonl.js';
import { MetricsCollector } from '../metrics/collector.js';
import { assembleResult } from '../metrics/assemble.js';
import { parseConfidence } from './confidence.js';
import { endpointSelectorProblems, parseThresholds } from '../metrics/thresholds.js';
import { writeReportFile } from './check.js';
import { renderTerminal } from '../report/terminal.js';
import { renderJunit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import { writeMlperfLogs } from '../report/mlperf-files.js';
import { startEmbeddedSimulator, type EmbeddedSimulator } from '../sim/embedded.js';
import { TOKBENCH_VERSION } from '../version.js';
import type { ResultJson } from '../metrics/types.js';
import { resolveApiKey } from './api-key.js';
import { parseShard } from './shard.js';
import { RUN_INFO_FILE, type RunInfo } from '../records/run-info.js';
import { readLoadgenConfFiles } from '../scenario/conf-wiring.js';
import { AccuracyRecorder, describeAccuracy } from '../accuracy/run-accuracy.js';
import { applyScaleOutFlags, clientInfo, runClock, workersFor } from './scale-out.js';
import { localUsOfEpoch, workerRunner } from '../runner/workers.js';
import { addScaleOutFigures } from '../metrics/scale-out.js';
import { startClientMonitor } from './client-monitor.js';
import { ConnectWaitCounter } from '../metrics/client-check.js';
import { parseEcosystemFlags, startLiveMetrics, writeVllmJson, type LiveMetricsServer } from './ecosystem.js'; // [ecosystem]

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

/** write-then-rename, so a reader never sees half a result.json */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  // fsync before the rename: after a crash the file is the old one or the new one, never empty
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, content);
    try {
      fsyncSync(fd);
    } catch {
      // some filesystems refuse fsync; the rename still keeps readers from half a file
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export async function executeRun(scenarioArg: string | undefined, o: RunCliOptions, io: CliIo): Promise<number> {
  const log = (line: string) => {
    if (!o.quiet || line.startsWith('warning')) io.stderr.write(`tokbench: ${line}\n`);
  };
  const problems: Problem[] = [];
  const flags = scenarioFlags(o, problems);
  const shard = parseShard(o.shard, o.shardCount, io.env, problems);
  const observe = parseObserveFlags(o, problems);
  const ecosystem = parseEcosystemFlags(o, problems); // [ecosystem] --format vllm-json, --metrics-listen
  let startAtWallMs: number | null = null;
  if (o.startAt !== undefined) {
    const t = /^\d+(\.\d+)?$/.test(o.startAt) ? Number(o.startAt) * 1000 : Date.parse(o.startAt);
    if (!Number.isFinite(t)) problems.push({ where: '--start-at', message: `not a time: ${JSON.stringify(o.startAt)}`, hint: 'ISO 8601 (2026-11-28T12:00:00Z) or epoch seconds' });
    else startAtWallMs = t;
  }
  const warn = (p: Problem) => io.stderr.write(`tokbench: warning: ${p.where}: ${p.message}${p.hint ? ` (${p.hint})` : ''}\n`);
  const confidence = parseConfidence(o.confidence, '--confidence', problems);
  const loadgenConfs = readLoadgenConfFiles(o, io.cwd, warn, problems);
  // the flags' problems go in with the scenario's, so every one is reported at once
  const scenario = resolveScenario({ ...(scenarioArg === undefined ? {} : { scenario: scenarioArg }), flags, env: io.env, cwd: io.cwd, ...(loadgenConfs ? { loadgenConfs } : {}), problems, onWarning: warn });
  // Parse thresholds now: a bad --assert must fail before any load is sent.
  const thresholdWhere = (i: number) => (scenario.origins.thresholds === 'flag' ? `--assert ${JSON.stringify(scenario.thresholds[i])}` : `thresholds[${i}]`);
  const parsedThresholds = parseThresholds(scenario.thresholds, thresholdWhere);
  const tags = parseTags(o.tag);
  const scaleOut = applyScaleOutFlags(o, scenario, io.cwd);
  const apiKey = resolveApiKey({ flag: o.apiKey, file: o.apiKeyFile, env: io.env, cwd: io.cwd, warn: (m) => io.stderr.write(`tokbench: warning: ${m}\n`) });
  const tls = await readTls(o, io);

  // Embedded simulator when no endpoint is given.
  let sim: EmbeddedSimulator | null = null;
  if (scenario.endpoints.length === 0) {
    sim = await startEmbeddedSimulator({ scenario, ...(o.simProfile === undefined ? {} : { profile: o.simProfile }) });
    scenario.endpoints.push({ url: sim.url, model: sim.model, labels: { simulated: 'true' } });
    log(`no --endpoint given: started the built-in simulator (profile ${sim.profile}) on ${sim.url}; figures are simulated`);
    if (scenario.load.pattern === 'poisson' && scenario.load.targetQps === null) {
      scenario.load.targetQps = sim.suggestedQps;
      scenario.origins['load.targetQps'] = 'default';
      log(`no --target-qps given: using ${sim.suggestedQps} QPS (about 60% of the simulator's modelled capacity)`);
    }
  }
  try {
    // One run per directory (records/out-dir.ts): refuse an --out that holds a run before anything is sent.
    if (o.out) assertFreshOutDir(resolvePath(io.cwd, o.out));
    if (scenario.load.pattern === 'poisson' && scenario.load.targetQps === null) {
      throw new ConfigError({ where: '--target-qps', message: `${scenario.name} issues Poisson arrivals and needs a target rate`, hint: 'give --target-qps N (queries/s), e.g. the rate your cluster should sustain' });
    }
    const selectorProblems = endpointSelectorProblems(parsedThresholds, scenario.endpoints, '--assert');
    if (selectorProblems.length > 0) throw new ConfigError(selectorProblems);
    const endpoints: EndpointInfo[] = await preflight(
      scenario.endpoints.map((e) => ({ ...e, model: e.model ?? scenario.request.model })),
      { apiKey, timeoutMs: 10_000, headers: scenario.request.headers, ...(tls ? { tls } : {}), ...(o.http2 === true ? { http2: true } : {}) },
    );

    const tokenizer = await loadTokenizer(scenario.dataset.tokenizer);
    const library = await loadSampleLibrary({
      source: scenario.dataset.source,
      path: scenario.dataset.path === null ? null : resolvePath(io.cwd, scenario.dataset.path),
      size: librarySizeFor(scenario),
      tokenizer: scenario.dataset.tokenizer,
      inputTokens: scenario.dataset.inputTokens,
      outputTokens: scenario.dataset.outputTokens,
      seed: scenario.seeds.qsl,
      ...(scenario.dataset.columns ? { columns: scenario.dataset.columns } : {}), // [ecosystem]
    });
    adaptLibraryToApi(library, scenario, tokenizer);
    // Accuracy mode: every sample once, responses kept and scored (src/accuracy/run-accuracy.ts).
    const accuracy = scenario.run.mode === 'accuracy' ? await AccuracyRecorder.prepare(scenario, library, scenario.dataset.path === null ? null : resolvePath(io.cwd, scenario.dataset.path)) : null;
    // Offline's default bound is per endpoint (docs/metrics.md): N nodes get N × 512 in flight, not 512 between them.
    if (scenario.load.pattern === 'offline' && scenario.origins['load.maxConcurrency'] === 'default' && scenario.load.maxConcurrency !== null) {
      scenario.load.maxConcurrency *= endpoints.length;
    }
    let schedule: Schedule = buildSchedule({ scenario, librarySize: library.samples.length });
    if (shard) schedule = shardScheduleForNode(schedule, shard.index, shard.count, scenario);
    const connections = planClientConnections(schedule, endpoints, scenario.load.targetQps);
    announce(scenario, schedule, library.samples.length, log, endpoints.length, connections);

    const outDir = o.out ? resolvePath(io.cwd, o.out) : freshRunDir(defaultOutDir(io, scenario));
    mkdirSync(outDir, { recursive: true });
    const writer = new RecordWriter(join(outDir, 'requests.jsonl'), { recordChunks: o.recordChunks !== false });
    // What `tokbench report --from requests.jsonl` needs to rebuild the summary of a run that was killed.
    const runInfo: RunInfo = {
      tokbenchVersion: TOKBENCH_VERSION,
      startedAt: new Date().toISOString(),
      simulated: sim !== null,
      // credential headers (--header "Authorization: ...") must not land on disk
      scenario: { ...scenario, request: { ...scenario.request, headers: redactHeaders(scenario.request.headers) } },
      endpoints: endpoints.map((e) => ({ url: e.url, model: e.model, labels: e.labels })),
      samples: schedule.length,
      datasetSize: library.samples.length,
      shard: schedule.shard,
      sizing: schedule.sizing,
      tags,
    };
    writeFileAtomic(join(outDir, RUN_INFO_FILE), JSON.stringify(runInfo, null, 2) + '\n');

    const live = { outputChunks: 0 };
    const sutOptions: OpenAiSutOptions = {
      endpoints,
      clock: realClock,
      request: scenario.request,
      apiKey,
      requestTimeoutMs: scenario.run.requestTimeoutMs,
      idleTimeoutMs: scenario.run.idleTimeoutMs,
      ...(scenario.run.firstTokenTimeoutMs !== null ? { firstTokenTimeoutMs: scenario.run.firstTokenTimeoutMs } : {}),
      keepText: scenario.run.mode === 'accuracy',
      retries: scenario.run.retries,
      connectionsPerEndpoint: connectionsFor(schedule, endpoints.length, connections),
      ...(tls ? { tls } : {}),
      liveCounters: live,
      ...(o.http2 === true ? { http2: true } : {}),
    };
    const sut = createOpenAiSut(sutOptions);
    // accuracy mode needs each response's text, which worker threads do not hand back
    const workers = accuracy ? 1 : workersFor(scaleOut, schedule);
    if (workers > 1) log(`${workers} worker threads`);

    const collector = new MetricsCollector(endpoints.length);
    // [ecosystem] live figures for Prometheus, read from the collector at scrape time
    let liveMetrics: LiveMetricsServer | null = null;
    if (ecosystem.metricsListen !== null) {
      liveMetrics = await startLiveMetrics(ecosystem.metricsListen, collector, {
        benchmark: scenario.benchmark,
        scenario: scenario.scenario,
        mlperfRound: scenario.mlperfRound ?? null,
        simulated: sim !== null,
        targetQps: scenario.load.targetQps,
      });
      log(`live metrics at ${liveMetrics.url}`);
    }
    const interrupt = new AbortController();
    const hardStop = new AbortController();
    let signals = 0;
    const unsubscribe = io.onSignal((sig) => {
      signals++;
      if (signals === 1) {
        io.stderr.write(`\ntokbench: ${sig}: stopping; in-flight requests get ${scenario.run.graceMs / 1000}s to finish (again to abort now)\n`);
        interrupt.abort(new Error(sig));
      } else {
        io.stderr.write(`\ntokbench: ${sig}: aborting in-flight requests\n`);
        hardStop.abort(new Error(sig));
      }
    });
    const scraper = createScraper(observe, sim === null ? null : sim.url, realClock);
    const sampler = new RequestSampler();
    const progress = o.quiet
      ? null
      : new ProgressReporter({ io, collector, clock: realClock, schedule, scenario, color: o.color !== false && !io.env.NO_COLOR, live, interrupt: interrupt.signal, ...(scraper ? { telemetry: scraper } : {}) });

    const startedAt = new Date();
    let startAtUs: number | undefined;
    if (startAtWallMs !== null) {
      const delayMs = startAtWallMs - Date.now();
      if (delayMs > 0) log(`waiting ${Math.round(delayMs / 1000)}s for --start-at ${new Date(startAtWallMs).toISOString()}`);
      // on the epoch timeline worker threads and other shards use (Date.now() is whole ms)
      startAtUs = Math.max(realClock.nowUs(), localUsOfEpoch(startAtWallMs * 1000));
    }
    let firstError: string | null = null;
    // Per endpoint: the last completion and the refused connections, to tell an endpoint that went down and stayed down.
    const lastOkUs = endpoints.map(() => -1);
    const refused = endpoints.map(() => ({ lastUs: -1, count: 0, first: '' }));
    let outcome;
    // client self-check (issue 14): the client's own load while the schedule runs
    const connectWaits = new ConnectWaitCounter();
    const clientMonitor = startClientMonitor(workers);
    try {
      progress?.start();
      scraper?.start();
      const runner = workers > 1 ? workerRunner({ workers, sut: sutOptions, tokenizer: scenario.dataset.tokenizer }) : runSchedule;
      outcome = await runner({
        clock: realClock,
        sut,
        library,
        schedule,
        defaultMaxTokens: scenario.request.maxTokens,
        warmupRequests: scenario.run.warmupRequests,
        maxDurationMs: scenario.run.maxDurationMs,
        drainTimeoutMs: scenario.run.drainTimeoutMs,
        graceMs: scenario.run.graceMs,
        balancing: (o.balancing ?? 'least-outstanding') as Balancing,
        countTokens: (text) => tokenizer.countOutput(text),
        interrupt: interrupt.signal,
        hardStop: hardStop.signal,
        warmupSeed: scenario.seeds.sampleIndex,
        ...(startAtUs === undefined ? {} : { startAtUs }),
        onIssued: (endpoint, relUs) => {
          collector.onIssued(endpoint, relUs);
          progress?.onIssued();
        },
        onRecord: (rec, outcome) => {
          accuracy?.onRecord(rec, outcome ?? null);
          if (!rec.ok && firstError === null && rec.error && !rec.warmup) {
            firstError = `${rec.error.kind}${rec.error.httpStatus ? ` (HTTP ${rec.error.httpStatus})` : ''}: ${rec.error.message}`;
          }
          if (!rec.warmup && rec.endpoint >= 0 && rec.endpoint < endpoints.length) {
            if (rec.ok) lastOkUs[rec.endpoint] = Math.max(lastOkUs[rec.endpoint]!, rec.completedUs);
            else if (rec.error?.kind === 'connect') {
              const r = refused[rec.endpoint]!;
              if (r.count++ === 0) r.first = rec.error.message;
              r.lastUs = Math.max(r.lastUs, rec.completedUs);
            }
          }
          writer.write(rec);
          collector.record(rec);
          connectWaits.add(rec);
          sampler.add(rec);
          progress?.onRecord(rec);
        },
      });
    } finally {
      clientMonitor.stop();
      progress?.stop();
      await scraper?.stop();
      unsubscribe();
      writer.close();
      await sut.close();
      await liveMetrics?.close(); // [ecosystem]
    }
    const finishedAt = new Date();

    const identities = endpoints.map((e) => ({ url: e.url, model: e.model, labels: e.labels }));
    const result: ResultJson = assembleResult({
      collector,
      scenario,
      sizing: schedule.sizing,
      samples: schedule.length,
      datasetSize: library.samples.length,
      endpoints: identities,
      shard: schedule.shard,
      tokbenchVersion: TOKBENCH_VERSION,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      interrupted: outcome.interrupted,
      simulated: sim !== null,
      tags,
      ...(confidence === undefined ? {} : { confidence }),
      client: { load: clientMonitor.stop(), connectWaits },
    });
    addScaleOutFigures(result, {
      collector,
      identities,
      constraints: scenario.constraints,
      baseline: scaleOut.baseline,
      system: scaleOut.system,
      clock: runClock(outcome.startUs, startAtWallMs),
      client: clientInfo(workers),
    });
    writeFileAtomic(join(outDir, RUN_INFO_FILE), JSON.stringify({ ...runInfo, clock: result.clock, client: result.client }, null, 2) + '\n');
    const verdicts = result.thresholds;

    for (const w of attachObservations(result, { scraper, sampler, startUs: outcome.startUs })) log(`warning: ${w}`);
    if (accuracy) {
      result.accuracy = accuracy.finish(outDir, tokenizer);
      log(describeAccuracy(result.accuracy));
    }
    const resultText = JSON.stringify(result, null, 2) + '\n';
    writeFileAtomic(join(outDir, 'result.json'), resultText);
    writeMlperfLogs(outDir, { result, scenario, sizing: schedule.sizing, collector });
    if (ecosystem.vllmJson) log(`vLLM-shaped result in ${await writeVllmJson(outDir, result, writeFileAtomic)}`); // [ecosystem]
    if (o.junit) await writeReportFile(o.junit, renderJunit(result), io);
    const markdown = o.markdown || io.env.GITHUB_STEP_SUMMARY ? renderMarkdown(result) : null;
    if (markdown !== null && o.markdown) await writeReportFile(o.markdown, markdown, io);
    if (markdown !== null && io.env.GITHUB_STEP_SUMMARY) appendFileSync(io.env.GITHUB_STEP_SUMMARY, markdown + '\n');
    if (observe.htmlInOut || observe.htmlFile !== null) {
      const html = renderHtmlReport(result);
      if (observe.htmlInOut) writeFileAtomic(join(outDir, 'report.html'), html);
      if (observe.htmlFile !== null) await writeReportFile(observe.htmlFile, html, io);
    }

    if (o.json) io.stdout.write(resultText);
    else io.stdout.write(renderTerminal(result, { color: o.color !== false && io.stdoutIsTTY && !io.env.NO_COLOR, width: 100 }));
    log(`results in ${outDir}`);

    if (outcome.interrupted) return ExitCode.interrupted;
    const s = result.summary;
    if (s.issued > 0 && s.completed === 0) {
      throw new RunFailedError(`every request failed (${s.failed} of ${s.issued}); first error: ${firstError ?? 'unknown'}`, 'check the server log; the per-request errors are in requests.jsonl');
    }
    if (s.issued === 0) throw new RunFailedError('no request was issued', 'the schedule was empty or the run was stopped before it began');
    // An endpoint that refused connections and never answered again went down mid-run: the figures cover only part of the run.
    const down = endpoints.findIndex((_, i) => refused[i]!.count > 0 && refused[i]!.lastUs > lastOkUs[i]!);
    if (down >= 0) {
      const r = refused[down]!;
      throw new RunFailedError(
        `${endpoints[down]!.url} became unreachable mid-run: ${r.count} requests refused, none completed after (first: ${r.first})`,
        `check that the server is still up (crash, OOM kill, restart); the partial result is in ${outDir}`,
      );
    }
    if (verdicts.some((v) => !v.passed)) return ExitCode.assertionFailed;
    return ExitCode.ok;
  } finally {
    if (sim) await sim.close();
  }
}

/**
 * How many distinct samples to build. A synthetic library need not be bigger
 * than the run: generating 24,576 prompts for a 200-query rehearsal wastes
 * time. The result records the size actually used.
 */
function librarySizeFor(s: ResolvedScenario): number {
  if (s.dataset.source !== 'synthetic') return s.dataset.size;
  if (s.run.samples !== null) return Math.min(s.dataset.size, s.run.samples);
  return s.dataset.size;
}

/**
 * The chat API sends messages, and the server wraps them in its chat template,
 * so a sample's input count is that of the rendered conversation (the
 * server's usage.prompt_tokens still wins when it reports one). Samples that
 * exist only as token ids cannot be sent as chat.
 */
function adaptLibraryToApi(library: SampleLibrary, scenario: ResolvedScenario, tokenizer: Tokenizer): void {
  if (scenario.request.api !== 'chat') return;
  const idsOnly = library.samples.filter((s) => s.messages === null && s.prompt === null).length;
  if (idsOnly > 0) {
    throw new ConfigError({
      where: scenario.dataset.path ?? 'dataset',
      message: `${idsOnly} sample(s) are token ids only, which /v1/chat/completions cannot take`,
      hint: 'use --api completions (token-id prompts), or give prompts as text or chat messages',
    });
  }
  const effort = scenario.request.reasoningEffort ?? undefined;
  for (const s of library.samples) {
    if (s.messages !== null) continue;
    s.inputTokens = countChatTokens(tokenizer, [{ role: 'user', content: s.prompt ?? '' }], effort ? { reasoningEffort: effort } : {});
  }
}

function connectionsFor(schedule: Schedule, endpointCount: number, plan: ConnectionPlan): number {
  // No bound of the client's own (LoadGen has none for Server): the schedule's, else what the OS allows.
  if (schedule.maxConcurrency === null) return plan.connectionsPerOrigin;
  return Math.max(1, Math.ceil(schedule.maxConcurrency / endpointCount));
}

/** The OS limits on sockets and ports, checked against the schedule's bound before any load (sut/os-limits.ts). */
function planClientConnections(schedule: Schedule, endpoints: readonly EndpointInfo[], targetQps: number | null): ConnectionPlan {
  const origins = new Set(endpoints.map((e) => new URL(e.url).origin)).size;
  const bound = schedule.maxConcurrency;
  const plan = planConnections({
    limits: readOsLimits(),
    origins,
    maxConcurrency: bound,
    perOrigin: bound === null ? null : Math.ceil(bound / origins),
    targetQps: schedule.pattern === 'poisson' && targetQps !== null ? targetQps / (schedule.shard?.count ?? 1) : null,
    boundWhere: '--max-concurrency',
  });
  if (plan.problems.length > 0) throw new ConfigError(plan.problems);
  return plan;
}

function announce(s: ResolvedScenario, schedule: Schedule, librarySize: number, log: (l: string) => void, endpointCount: number, plan: ConnectionPlan): void {
  const bound = schedule.maxConcurrency;
  const perEndpoint = bound === null ? '' : endpointCount > 1 ? `, ${Math.ceil(bound / endpointCount)} per endpoint` : '';
  const inFlight =
    bound === null
      ? `unbounded in flight as in LoadGen${plan.osMaxPerOrigin === null ? '' : `; the OS allows ${plan.osMaxPerOrigin} connections per endpoint`}`
      : `max ${bound} in flight${perEndpoint}`;
  const what =
    schedule.pattern === 'poisson'
      ? `${schedule.length} queries at ${s.load.targetQps} QPS (Poisson${s.load.burstiness !== 1 ? `, burstiness ${s.load.burstiness}` : ''}, ~${Math.round(schedule.sizing.lastScheduledUs / 1e6)}s; ${inFlight})`
      : schedule.pattern === 'closed'
        ? `${schedule.length} queries, closed loop at concurrency ${schedule.maxConcurrency}`
        : `${schedule.length} queries at t=0 (${inFlight})`;
  log(`${s.name}: ${what}, ${librarySize} distinct samples${schedule.shard ? `, shard ${schedule.shard.index}/${schedule.shard.count}` : ''}`);
  if (schedule.sizing.rule !== 'explicit' && (s.run.minDurationMs >= 60_000 || schedule.length > 5000)) {
    log(`sized by MLPerf rules (min duration ${s.run.minDurationMs / 1000}s, min queries ${s.run.minQueryCount}); use --samples N or --duration for a shorter rehearsal`);
  }
}

function parseTags(tags: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: Problem[] = [];
  for (const t of tags ?? []) {
    const i = t.indexOf('=');
    if (i <= 0) problems.push({ where: `--tag ${JSON.stringify(t)}`, message: 'expected key=value', hint: 'e.g. --tag cluster=mi355x-a' });
    else out[t.slice(0, i)] = t.slice(i + 1);
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

async function readTls(o: RunCliOptions, io: CliIo): Promise<{ caCertPem?: string; insecure?: boolean } | null> {
  if (!o.caCert && !o.insecure) return null;
  const tls: { caCertPem?: string; insecure?: boolean } = {};
  if (o.insecure) {
    tls.insecure = true;
    io.stderr.write('tokbench: warning: --insecure: TLS certificates are not verified, so the API key goes to whoever answers; prefer --ca-cert FILE\n');
  }
  if (o.caCert) {
    const { readFileSync } = await import('node:fs');
    try {
      tls.caCertPem = readFileSync(resolvePath(io.cwd, o.caCert), 'utf8');
    } catch (err) {
      throw new ConfigError({ where: `--ca-cert ${o.caCert}`, message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, hint: 'give the path of a PEM file with your CA certificate' });
    }
  }
  return tls;
}
