/**
 * The inputs of `run` that are read before the plan: the embedded simulator
 * when no endpoint is given, the sample library as the API will send it, tags
 * and TLS material. Kept apart so run.ts only wires the stages.
 */
import { resolve as resolvePath } from 'node:path';
import { ConfigError, type Problem } from '../errors.js';
import type { CliIo } from './io.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { loadTokenizer } from '../dataset/tokenizers.js';
import { loadSampleLibrary } from '../dataset/library.js';
import { countChatTokens } from '../dataset/chat.js';
import type { SampleLibrary, Tokenizer } from '../dataset/types.js';
import type { RunPlan } from '../run/plan.js';
import { startEmbeddedSimulator, type EmbeddedSimulator } from '../sim/embedded.js';

/** Starts the built-in simulator when the scenario names no endpoint, and points the scenario at it. */
export async function startSimulatorIfNoEndpoint(scenario: ResolvedScenario, profile: string | undefined, log: (l: string) => void): Promise<EmbeddedSimulator | null> {
  if (scenario.endpoints.length > 0) return null;
  const sim = await startEmbeddedSimulator({ scenario, ...(profile === undefined ? {} : { profile }) });
  scenario.endpoints.push({ url: sim.url, model: sim.model, labels: { simulated: 'true' } });
  log(`no --endpoint given: started the built-in simulator (profile ${sim.profile}) on ${sim.url}; figures are simulated`);
  if (scenario.load.pattern === 'poisson' && scenario.load.targetQps === null) {
    scenario.load.targetQps = sim.suggestedQps;
    scenario.origins['load.targetQps'] = 'default';
    log(`no --target-qps given: using ${sim.suggestedQps} QPS (about 60% of the simulator's modelled capacity)`);
  }
  return sim;
}

/** The tokenizer and the sample library, with input counts as the chosen API will send them. */
export async function loadRunLibrary(scenario: ResolvedScenario, cwd: string): Promise<{ tokenizer: Tokenizer; library: SampleLibrary; datasetPath: string | null }> {
  const tokenizer = await loadTokenizer(scenario.dataset.tokenizer);
  const datasetPath = scenario.dataset.path === null ? null : resolvePath(cwd, scenario.dataset.path);
  const library = await loadSampleLibrary({
    source: scenario.dataset.source,
    path: datasetPath,
    size: librarySizeFor(scenario),
    tokenizer: scenario.dataset.tokenizer,
    inputTokens: scenario.dataset.inputTokens,
    outputTokens: scenario.dataset.outputTokens,
    seed: scenario.seeds.qsl,
    ...(scenario.dataset.columns ? { columns: scenario.dataset.columns } : {}),
  });
  adaptLibraryToApi(library, scenario, tokenizer);
  return { tokenizer, library, datasetPath };
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

/** The plan line: what will be issued, and how many in flight per endpoint (or that nothing bounds it, as in LoadGen). */
export function announce(s: ResolvedScenario, plan: RunPlan, log: (l: string) => void): void {
  const { schedule } = plan;
  const bound = schedule.maxConcurrency;
  const endpointCount = plan.endpoints.length;
  const perEndpoint = bound === null || endpointCount < 2 ? '' : `, ${plan.connectionsPerEndpoint} per endpoint`;
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
  log(`${s.name}: ${what}, ${plan.library.samples.length} distinct samples${schedule.shard ? `, shard ${schedule.shard.index}/${schedule.shard.count}` : ''}`);
  if (schedule.sizing.rule !== 'explicit' && (s.run.minDurationMs >= 60_000 || schedule.length > 5000)) {
    log(`sized by MLPerf rules (min duration ${s.run.minDurationMs / 1000}s, min queries ${s.run.minQueryCount}); use --samples N or --duration for a shorter rehearsal`);
  }
}

export function parseTags(tags: string[] | undefined): Record<string, string> {
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

export async function readTls(o: { caCert?: string; insecure?: boolean }, io: CliIo): Promise<{ caCertPem?: string; insecure?: boolean } | null> {
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
