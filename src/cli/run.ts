/**
 * `tokbench run [SCENARIO]`: the pipeline end to end. Resolve the scenario, check
 * the endpoint (or start the embedded simulator), load the samples, build the
 * schedule, run it, then summarize, judge and report. Everything that can be
 * wrong with the input is found before the first request is sent.
 */
import { join, resolve as resolvePath } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, type Problem } from '../errors.js';
import type { CliIo } from './io.js';
import { realClock } from '../util/clock.js';
import { parseDurationMs, parseCount } from '../util/units.js';
import { resolveScenario, type ScenarioFlags } from '../scenario/resolve.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { createOpenAiSut, type OpenAiSutOptions } from '../sut/openai.js';
import { preflight } from '../sut/preflight.js';
import type { EndpointInfo } from '../sut/types.js';
import { type Balancing } from '../runner/runner.js';
import { ProgressReporter } from '../runner/progress.js';
import { createScraper, parseObserveFlags } from '../telemetry/run-hooks.js';
import { RequestSampler } from '../telemetry/request-sample.js';
import { RecordWriter } from '../records/jsonl.js';
import { MetricsCollector } from '../metrics/collector.js';
import { endpointSelectorProblems, parseThresholds } from '../metrics/thresholds.js';
import { resolveApiKey } from './api-key.js';
import { parseShard } from './shard.js';
import { RUN_INFO_FILE } from '../records/run-info.js';
import { readLoadgenConfFiles } from '../scenario/conf-wiring.js';
import { AccuracyRecorder, describeAccuracy } from '../accuracy/run-accuracy.js';
import { applyScaleOutFlags, clientInfo } from './scale-out.js';
import { makeDirs, outputTarget, outputTargetProblems, type OutputTarget } from '../run/outputs.js';
import { planRun } from '../run/plan.js';
import { executeRun as executePlan } from '../run/execute.js';
import { finishRun } from '../run/finish.js';
import { exitCodeOf, interruptsFrom, runInfoOf, writeOutputs } from './run-output.js';
import { announce, loadRunLibrary, parseTags, readTls, startSimulatorIfNoEndpoint } from './run-input.js';
import { availableParallelism } from 'node:os';

export interface RunCliOptions {
  endpoint?: string[];
  model?: string;
  api?: string;
  targetQps?: string;
  burstiness?: string;
  maxConcurrency?: string;
  concurrency?: string;
  duration?: string;
  maxDuration?: string;
  samples?: string;
  minQueryCount?: string;
  dataset?: string;
  datasetSize?: string;
  inputTokens?: string;
  outputTokens?: string;
  tokenizer?: string;
  seed?: string;
  maxTokens?: string;
  ignoreEos?: boolean;
  temperature?: string;
  stream?: boolean;
  promptFormat?: string;
  continuousUsage?: boolean;
  header?: string[];
  warmup?: string;
  requestTimeout?: string;
  idleTimeout?: string;
  drainTimeout?: string;
  grace?: string;
  retries?: string;
  mode?: string;
  assert?: string[];
  reasoningEffort?: string;
  out?: string;
  json?: boolean;
  junit?: string;
  markdown?: string;
  report?: string;
  html?: string;
  scrape?: string[];
  scrapeInterval?: string;
  scrapeAll?: boolean;
  quiet?: boolean;
  color?: boolean;
  balancing?: string;
  shard?: string;
  shardCount?: string;
  startAt?: string;
  apiKeyFile?: string;
  apiKey?: string;
  caCert?: string;
  insecure?: boolean;
  recordChunks?: boolean;
  simProfile?: string;
  tag?: string[];
  workers?: string;
  endpointsFile?: string;
  baseline?: string;
  system?: string;
  userConf?: string[];
  mlperfConf?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function runCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('run')
    .description('Run a scenario against an OpenAI-compatible endpoint (or the built-in simulator when none is given)')
    .argument('[scenario]', 'built-in name (llama2-70b/offline|server|interactive, gpt-oss-120b/offline|server|interactive) or a .yaml/.json file', undefined)
    .option('--endpoint <url>', 'server base URL, e.g. http://127.0.0.1:8000 (repeatable; ",model=M,key=value" adds a model and labels)', collect)
    .option('--model <name>', 'model name to request (default: the one the server serves)')
    .option('--api <kind>', 'completions | chat')
    .option('--target-qps <qps>', 'Server: Poisson arrival rate (queries/s); Offline: expected QPS used to size the run')
    .option('--burstiness <k>', 'gamma shape of inter-arrival times (1 = Poisson, <1 burstier)')
    .option('--max-concurrency <n>', 'most requests in flight at once')
    .option('--concurrency <n>', 'closed loop: keep exactly n requests in flight')
    .option('--duration <time>', 'minimum run duration (MLPerf min_duration), e.g. 600s, 10m')
    .option('--max-duration <time>', 'stop issuing after this long')
    .option('--samples <n>', 'number of queries to issue (overrides MLPerf sizing)')
    .option('--min-query-count <n>', 'MLPerf min_query_count')
    .option('--dataset <file>', 'JSONL (prompt | input_ids | messages per line) or ShareGPT JSON')
    .option('--dataset-size <n>', 'number of distinct synthetic samples')
    .option('--input-tokens <spec>', 'synthetic input lengths: 128 | uniform:100-900 | normal:mean=..,stddev=.. | lognormal:... | empirical:...')
    .option('--output-tokens <spec>', 'synthetic output lengths (same forms as --input-tokens)')
    .option('--tokenizer <name>', 'llama2 | o200k_harmony')
    .option('--seed <n>', 'one seed for sample choice, order and schedule (default: MLPerf v6.0 seeds)')
    .option('--max-tokens <n>', 'max output tokens when a sample does not say')
    .option('--ignore-eos', 'ask the server to ignore EOS (exact output lengths)')
    .option('--no-ignore-eos', 'let the model stop at EOS')
    .option('--temperature <t>', 'sampling temperature')
    .option('--no-stream', 'non-streaming requests (no TTFT/ITL)')
    .option('--prompt-format <fmt>', 'text | ids (token ids to /v1/completions, as MLPerf sends)')
    .option('--no-continuous-usage', 'do not ask for per-chunk usage (stream_options.continuous_usage_stats)')
    .option('--header <h>', 'extra HTTP header "Name: value" (repeatable)', collect)
    .option('--reasoning-effort <level>', 'GPT-OSS reasoning effort: low | medium | high')
    .option('--warmup <n>', 'warm-up requests before the measured run (excluded from figures)')
    .option('--request-timeout <time>', 'per-request total timeout (default 600s)')
    .option('--idle-timeout <time>', 'per-request timeout with no bytes received (default 60s)')
    .option('--drain-timeout <time>', 'after issuing ends, how long to wait for in-flight requests')
    .option('--grace <time>', 'after Ctrl-C, how long in-flight requests may finish (default 5s)')
    .option('--retries <n>', 'retry connect errors, 429 and 5xx up to n times (reported; default 0)')
    .option('--mode <mode>', 'performance | accuracy')
    .option('--assert <expr>', 'threshold, e.g. "output_tokens_per_sec >= 95k" (repeatable); exit 1 if one fails', collect)
    .option('--out <dir>', 'output directory (default ./tokbench-out/<timestamp>-<scenario>)')
    .option('--json', 'print result.json to stdout instead of the summary table')
    .option('--junit <file>', 'write a JUnit XML report of assertions and validity checks')
    .option('--markdown <file>', 'write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set)')
    .option('--report <format>', 'also write a report into --out: html (report.html, self-contained, opens offline)')
    .option('--html <file>', 'write the HTML report to this file')
    .option('--scrape <url>', 'Prometheus /metrics to poll during the run, e.g. http://host:8000/metrics (vLLM), http://host:9400/metrics (DCGM) (repeatable)', collect)
    .option('--scrape-interval <time>', 'how often to scrape (default 1s; 0 turns scraping off, including the simulator\'s)')
    .option('--scrape-all', 'keep every scraped metric, not only the known server and GPU set')
    .option('-q, --quiet', 'no progress on stderr')
    .option('--no-color', 'no colours')
    .addOption(new Option('--balancing <how>', 'spread requests over endpoints').choices(['round-robin', 'least-outstanding']).default('least-outstanding'))
    .option('--shard <i/N|auto>', 'run shard i of N of the schedule (auto: from SLURM_PROCID/SLURM_NTASKS or JOB_COMPLETION_INDEX)')
    .option('--shard-count <N>', 'shard count for --shard auto on Kubernetes (else TOKBENCH_SHARD_COUNT)')
    .option('--start-at <time>', 'start the measured run at this wall-clock time (ISO 8601 or epoch seconds), to align shards')
    .option('--api-key-file <file>', 'read the API key from a file (default: $TOKBENCH_API_KEY or $OPENAI_API_KEY)')
    .option('--api-key <key>', 'API key (warning: lands in shell history; prefer the environment or --api-key-file)')
    .option('--ca-cert <file>', 'PEM file of a private CA to trust')
    .option('--insecure', 'do not verify TLS certificates')
    .option('--no-record-chunks', 'leave per-chunk gaps out of requests.jsonl (smaller files)')
    .option('--sim-profile <name>', 'simulator profile for the embedded server (when no --endpoint)')
    .option('--tag <key=value>', 'tag recorded in result.json (repeatable)', collect)
    .option('--workers <n>', 'worker threads driving the load (default: cores - 1, at most 8; 1 = no threads)')
    .option('--endpoints-file <file>', 'endpoints to spread the load over: YAML/JSON list of {url, model, labels}, or one URL[,key=value] per line')
    .option('--baseline <result.json>', 'single-node result: report scaling efficiency = throughput / (endpoints x baseline)')
    .option('--system <file>', 'MLPerf-style system description JSON, recorded under `system` in result.json')
    .option('--user-conf <file>', 'LoadGen user.conf: model.scenario.key = value lines, looked up as LoadGen does (repeatable; later files win)', collect)
    .option('--mlperf-conf <file>', 'LoadGen mlperf.conf (default: the built-in v6.0 values)')
    .action(async (scenarioArg: string | undefined, options: RunCliOptions) => {
      setExitCode(await executeRun(scenarioArg, options, io));
    });
}

/** flags → ScenarioFlags, collecting every malformed value at once */
export function scenarioFlags(o: RunCliOptions, problems: Problem[]): ScenarioFlags {
  const num = (flag: string, v: string | undefined, { int = false, count = false } = {}): number | undefined => {
    if (v === undefined) return undefined;
    const n = count ? parseCount(v) : Number(v);
    if (n === null || !Number.isFinite(n) || (int && !Number.isInteger(n))) {
      problems.push({ where: flag, message: `expected ${int ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`, hint: count ? 'e.g. 200, 2k, 1M' : 'e.g. 12.5' });
      return undefined;
    }
    return n;
  };
  const dur = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const ms = parseDurationMs(v);
    if (ms === null) {
      problems.push({ where: flag, message: `expected a duration, got ${JSON.stringify(v)}`, hint: 'e.g. 600s, 10m, 1500ms (a bare number is seconds)' });
      return undefined;
    }
    return ms;
  };
  const f: ScenarioFlags = {};
  const put = <K extends keyof ScenarioFlags>(k: K, v: ScenarioFlags[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  put('endpoints', o.endpoint);
  put('model', o.model);
  put('api', o.api);
  put('targetQps', num('--target-qps', o.targetQps));
  put('burstiness', num('--burstiness', o.burstiness));
  put('maxConcurrency', num('--max-concurrency', o.maxConcurrency, { int: true, count: true }));
  put('concurrency', num('--concurrency', o.concurrency, { int: true, count: true }));
  put('durationMs', dur('--duration', o.duration));
  put('maxDurationMs', dur('--max-duration', o.maxDuration));
  put('samples', num('--samples', o.samples, { int: true, count: true }));
  put('minQueryCount', num('--min-query-count', o.minQueryCount, { int: true, count: true }));
  put('dataset', o.dataset);
  put('datasetSize', num('--dataset-size', o.datasetSize, { int: true, count: true }));
  put('inputTokens', o.inputTokens);
  put('outputTokens', o.outputTokens);
  put('tokenizer', o.tokenizer);
  if (o.seed !== undefined) {
    if (/^\d+$/.test(o.seed)) f.seed = o.seed;
    else problems.push({ where: '--seed', message: `expected an unsigned integer, got ${JSON.stringify(o.seed)}`, hint: 'e.g. --seed 42' });
  }
  put('maxTokens', num('--max-tokens', o.maxTokens, { int: true, count: true }));
  put('ignoreEos', o.ignoreEos);
  put('temperature', num('--temperature', o.temperature));
  if (o.stream === false) f.stream = false;
  put('promptFormat', o.promptFormat);
  if (o.continuousUsage === false) f.continuousUsage = false;
  put('headers', o.header);
  put('reasoningEffort', o.reasoningEffort);
  put('warmup', num('--warmup', o.warmup, { int: true, count: true }));
  put('requestTimeoutMs', dur('--request-timeout', o.requestTimeout));
  put('idleTimeoutMs', dur('--idle-timeout', o.idleTimeout));
  put('drainTimeoutMs', dur('--drain-timeout', o.drainTimeout));
  put('graceMs', dur('--grace', o.grace));
  put('retries', num('--retries', o.retries, { int: true }));
  put('mode', o.mode);
  put('asserts', o.assert);
  return f;
}

function defaultOutDir(io: CliIo, scenario: ResolvedScenario): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  const name = `${scenario.benchmark}-${scenario.scenario}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return resolvePath(io.cwd, 'tokbench-out', `${stamp}-${name}`);
}

import { writeFileAtomic } from './atomic.js';
export { writeFileAtomic };

export async function executeRun(scenarioArg: string | undefined, o: RunCliOptions, io: CliIo): Promise<number> {
  const problems: Problem[] = [];
  const flags = scenarioFlags(o, problems);
  const runFlags = parseRunFlags(o, io, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const loadgenConfs = readLoadgenConfFiles(o, io.cwd, (p) => io.stderr.write(`tokbench: warning: ${p.where}: ${p.message}${p.hint ? ` (${p.hint})` : ''}\n`));
  const scenario = resolveScenario({ ...(scenarioArg === undefined ? {} : { scenario: scenarioArg }), flags, env: io.env, cwd: io.cwd, ...(loadgenConfs ? { loadgenConfs } : {}) });
  return runScenario(scenario, runFlags, o, io);
}

/** The flags of `run` that are not scenario settings, parsed once (find-peak reuses them for every probe). */
export interface RunFlags {
  shard: { index: number; count: number } | null;
  observe: ReturnType<typeof parseObserveFlags>;
  startAtWallMs: number | null;
}

export function parseRunFlags(o: RunCliOptions, io: CliIo, problems: Problem[]): RunFlags {
  const shard = parseShard(o.shard, o.shardCount, io.env, problems);
  const observe = parseObserveFlags(o, problems);
  let startAtWallMs: number | null = null;
  if (o.startAt !== undefined) {
    const t = /^\d+(\.\d+)?$/.test(o.startAt) ? Number(o.startAt) * 1000 : Date.parse(o.startAt);
    if (!Number.isFinite(t)) problems.push({ where: '--start-at', message: `not a time: ${JSON.stringify(o.startAt)}`, hint: 'ISO 8601 (2026-11-28T12:00:00Z) or epoch seconds' });
    else startAtWallMs = t;
  }
  return { shard, observe, startAtWallMs };
}

/**
 * One run of a resolved scenario: plan → execute → finish → write → exit code.
 * find-peak calls this with the probe's numbers set on the scenario, not as flag strings.
 */
export async function runScenario(scenario: ResolvedScenario, runFlags: RunFlags, o: RunCliOptions, io: CliIo): Promise<number> {
  const log = (line: string) => {
    if (!o.quiet || line.startsWith('warning')) io.stderr.write(`tokbench: ${line}\n`);
  };
  const { shard, observe, startAtWallMs } = runFlags;
  // Parse thresholds now: a bad --assert must fail before any load is sent.
  const thresholdWhere = (i: number) => (scenario.origins.thresholds === 'flag' ? `--assert ${JSON.stringify(scenario.thresholds[i])}` : `thresholds[${i}]`);
  const parsedThresholds = parseThresholds(scenario.thresholds, thresholdWhere);
  const tags = parseTags(o.tag);
  const scaleOut = applyScaleOutFlags(o, scenario, io.cwd);
  const apiKey = resolveApiKey({ flag: o.apiKey, file: o.apiKeyFile, env: io.env, cwd: io.cwd, warn: (m) => io.stderr.write(`tokbench: warning: ${m}\n`) });
  const tls = await readTls(o, io);
  const outDir = o.out ? resolvePath(io.cwd, o.out) : defaultOutDir(io, scenario);
  const targets = outputTargets(o, observe, outDir, io);
  const outputProblems = outputTargetProblems(targets);
  if (outputProblems.length > 0) throw new ConfigError(outputProblems, 'cannot write the results');

  const sim = await startSimulatorIfNoEndpoint(scenario, o.simProfile, log);
  try {
    if (scenario.load.pattern === 'poisson' && scenario.load.targetQps === null) {
      throw new ConfigError({ where: '--target-qps', message: `${scenario.name} issues Poisson arrivals and needs a target rate`, hint: 'give --target-qps N (queries/s), e.g. the rate your cluster should sustain' });
    }
    const selectorProblems = endpointSelectorProblems(parsedThresholds, scenario.endpoints, '--assert');
    if (selectorProblems.length > 0) throw new ConfigError(selectorProblems);
    const endpoints: EndpointInfo[] = await preflight(
      scenario.endpoints.map((e) => ({ ...e, model: e.model ?? scenario.request.model })),
      { apiKey, timeoutMs: 10_000, headers: scenario.request.headers, ...(tls ? { tls } : {}) },
    );
    const { tokenizer, library, datasetPath } = await loadRunLibrary(scenario, io.cwd);
    // Accuracy mode: every sample once, responses kept and scored (src/accuracy/run-accuracy.ts).
    const accuracy = scenario.run.mode === 'accuracy' ? await AccuracyRecorder.prepare(scenario, library, datasetPath) : null;
    const plan = planRun(scenario, {
      endpoints,
      library,
      shard,
      workers: scaleOut.workers,
      cores: availableParallelism(),
      outputs: targets,
      balancing: (o.balancing ?? 'least-outstanding') as Balancing,
      startAtWallMs,
    });
    announce(scenario, plan.schedule, library.samples.length, log);
    if (plan.workers > 1) log(`${plan.workers} worker threads`);

    makeDirs(outDir);
    const writer = new RecordWriter(join(outDir, 'requests.jsonl'), { recordChunks: o.recordChunks !== false });
    const runInfo = runInfoOf(plan, { simulated: sim !== null, tags });
    writeFileAtomic(join(outDir, RUN_INFO_FILE), JSON.stringify(runInfo, null, 2) + '\n');

    const live = { outputChunks: 0 };
    const sutOptions: OpenAiSutOptions = {
      endpoints,
      clock: realClock,
      request: scenario.request,
      apiKey,
      requestTimeoutMs: scenario.run.requestTimeoutMs,
      idleTimeoutMs: scenario.run.idleTimeoutMs,
      keepText: scenario.run.mode === 'accuracy',
      retries: scenario.run.retries,
      connectionsPerEndpoint: plan.connectionsPerEndpoint,
      ...(tls ? { tls } : {}),
      liveCounters: live,
    };
    const sut = createOpenAiSut(sutOptions);
    const stops = interruptsFrom(io, scenario.run.graceMs);
    const scraper = createScraper(observe, sim === null ? null : sim.url, realClock);
    const sampler = new RequestSampler();
    const collector = new MetricsCollector(endpoints.length);
    const progress = o.quiet
      ? null
      : new ProgressReporter({ io, collector, clock: realClock, schedule: plan.schedule, scenario, color: o.color !== false && !io.env.NO_COLOR, live, interrupt: stops.interrupt, ...(scraper ? { telemetry: scraper } : {}) });
    if (startAtWallMs !== null && startAtWallMs > Date.now()) log(`waiting ${Math.round((startAtWallMs - Date.now()) / 1000)}s for --start-at ${new Date(startAtWallMs).toISOString()}`);
    let outcome;
    try {
      progress?.start();
      scraper?.start();
      outcome = await executePlan(plan, {
        clock: realClock,
        sut,
        tokenizer,
        workerSut: sutOptions,
        signal: stops.interrupt,
        hardStop: stops.hardStop,
        sinks: [
          { onRecord: (rec, raw) => accuracy?.onRecord(rec, raw) },
          { onRecord: (rec) => writer.write(rec) },
          { onRecord: (rec) => sampler.add(rec) },
          { onIssued: () => progress?.onIssued(), onRecord: (rec) => progress?.onRecord(rec) },
        ],
        collector,
      });
    } finally {
      progress?.stop();
      await scraper?.stop();
      stops.unsubscribe();
      writer.close();
      await sut.close();
    }
    const accuracyResult = accuracy ? accuracy.finish(outDir, tokenizer) : null;
    const { result, warnings } = finishRun(outcome, { simulated: sim !== null, tags, baseline: scaleOut.baseline, system: scaleOut.system, client: clientInfo(plan.workers), scraper, sampler, accuracy: accuracyResult });
    writeFileAtomic(join(outDir, RUN_INFO_FILE), JSON.stringify({ ...runInfo, clock: result.clock, client: result.client }, null, 2) + '\n');
    for (const w of warnings) log(`warning: ${w}`);
    if (result.accuracy) log(describeAccuracy(result.accuracy));
    await writeOutputs(result, { o, io, outDir, observe, scenario, sizing: plan.sizing, collector: outcome.collector });
    log(`results in ${outDir}`);
    return exitCodeOf(result, outcome, outDir);
  } finally {
    if (sim) await sim.close();
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
