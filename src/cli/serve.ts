/**
 * `tokbench serve`: run the simulated inference server (src/sim) until SIGINT or
 * SIGTERM. Flags are read as strings and validated together, so one run reports
 * every bad flag at once.
 */
import { Command } from 'commander';
import type { CliIo } from './io.js';
import { ConfigError, type Problem } from '../errors.js';
import { lowLoadTpotUs, lowLoadTtftUs, saturationCapacity, type EngineParams, type OutputLengthDistribution } from '../sim/engine.js';
import { FAULT_KINDS, parseFaultSpec, type FaultRates } from '../sim/faults.js';
import { PROFILE_NAMES, PROMPT_TOKENIZERS, type PromptTokenizer } from '../sim/profiles.js';
import { resolveSimulatorConfig, startSimulator, type ResolvedSimulatorConfig, type SimulatorOptions } from '../sim/server.js';

/** Engine parameter ↔ flag. Numbers; integers are checked by the engine's validation. */
const ENGINE_FLAGS: readonly [keyof EngineParams, string, string][] = [
  ['maxNumSeqs', '--max-num-seqs', 'most sequences in the running batch'],
  ['maxBatchedTokens', '--max-batched-tokens', 'token budget of one engine step (decode first, then prefill chunks)'],
  ['kvCapacityTokens', '--kv-capacity-tokens', 'KV cache capacity, tokens (a sequence reserves prompt + output)'],
  ['maxModelLenTokens', '--max-model-len', 'largest prompt + max_tokens accepted, tokens'],
  ['stepBaseUs', '--step-base-us', 'fixed cost of an engine step, µs'],
  ['prefillUsPerToken', '--prefill-us-per-token', 'cost per prompt token prefilled in a step, µs'],
  ['decodeUsPerSeq', '--decode-us-per-seq', 'cost per sequence decoding in a step, µs'],
  ['tokensPerStep', '--tokens-per-step', 'tokens a decoding sequence gains per step (speculative decoding)'],
  ['tokensPerChunk', '--tokens-per-chunk', 'tokens per streamed chunk (stream interval)'],
  ['timeScale', '--time-scale', 'serve every modelled duration this many times slower'],
];

const FLAG_OF: Record<string, string> = {
  ...Object.fromEntries(ENGINE_FLAGS.map(([k, f]) => [k, f])),
  outputLength: '--output-len',
  promptTokenizer: '--prompt-tokenizer',
  profile: '--profile',
  model: '--model',
  port: '--port',
  host: '--host',
  seed: '--seed',
  slowHeadersMs: '--slow-headers-ms',
  retryAfterS: '--retry-after-s',
  faults: '--faults',
};

function flagFor(key: string): string {
  if (key.startsWith('faults.')) return `--faults (${key.slice('faults.'.length)})`;
  return FLAG_OF[key] ?? key;
}

/**
 * Parse `fixed:N`, `uniform:MIN-MAX`, `normal:MEAN,STDDEV,MIN-MAX` or
 * `lognormal:MEAN,STDDEV,MIN-MAX` (tokens).
 */
export function parseOutputLength(spec: string): OutputLengthDistribution | null {
  const m = /^(fixed|uniform|normal|lognormal):(.*)$/.exec(spec.trim());
  if (!m) return null;
  const kind = m[1]!;
  const rest = m[2]!.trim();
  const range = (s: string) => {
    const r = /^(\d+)-(\d+)$/.exec(s.trim());
    return r ? { min: Number(r[1]), max: Number(r[2]) } : null;
  };
  if (kind === 'fixed') return /^\d+$/.test(rest) ? { kind, value: Number(rest) } : null;
  if (kind === 'uniform') {
    const r = range(rest);
    return r ? { kind, ...r } : null;
  }
  const parts = rest.split(',');
  if (parts.length !== 3) return null;
  const mean = Number(parts[0]);
  const stddev = Number(parts[1]);
  const r = range(parts[2]!);
  if (!r || !Number.isFinite(mean) || !Number.isFinite(stddev)) return null;
  return { kind: kind as 'normal' | 'lognormal', mean, stddev, ...r };
}

type RawOptions = Record<string, string | boolean | undefined>;

/** Flags → SimulatorOptions, collecting every problem; throws ConfigError naming the flags. */
export function serveOptionsFromFlags(raw: RawOptions): SimulatorOptions {
  const problems: Problem[] = [];
  const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  const number = (k: string, flag: string): number | undefined => {
    const s = str(k);
    if (s === undefined) return undefined;
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v)) {
      problems.push({ where: flag, message: `expected a number, got "${s}"` });
      return undefined;
    }
    return v;
  };
  const engine: Partial<EngineParams> = {};
  for (const [key, flag] of ENGINE_FLAGS) {
    const v = number(key, flag);
    if (v !== undefined) (engine as Record<string, number>)[key] = v;
  }
  const outputLen = str('outputLen');
  if (outputLen !== undefined) {
    const d = parseOutputLength(outputLen);
    if (d) engine.outputLength = d;
    else {
      problems.push({
        where: '--output-len',
        message: `cannot read "${outputLen}"`,
        hint: 'fixed:N, uniform:MIN-MAX, normal:MEAN,STDDEV,MIN-MAX or lognormal:MEAN,STDDEV,MIN-MAX (tokens)',
      });
    }
  }
  const tokenizer = str('promptTokenizer');
  if (tokenizer !== undefined && !PROMPT_TOKENIZERS.includes(tokenizer as PromptTokenizer)) {
    problems.push({ where: '--prompt-tokenizer', message: `unknown tokenizer "${tokenizer}"`, hint: `one of ${PROMPT_TOKENIZERS.join(', ')}` });
  }
  let faults: FaultRates | undefined;
  const spec = str('faults');
  if (spec !== undefined) {
    const parsed = parseFaultSpec(spec);
    problems.push(...parsed.problems);
    faults = parsed.rates;
  }
  const seed = str('seed');
  if (seed !== undefined && !/^\d+$/.test(seed.trim())) {
    problems.push({ where: '--seed', message: `expected an unsigned integer, got "${seed}"` });
  }
  const port = number('port', '--port');
  const slowHeadersMs = number('slowHeadersMs', '--slow-headers-ms');
  const retryAfterS = number('retryAfterS', '--retry-after-s');
  const opts: SimulatorOptions = {
    engine,
    ...(str('profile') !== undefined ? { profile: str('profile')! } : {}),
    ...(str('model') !== undefined ? { model: str('model')! } : {}),
    ...(str('host') !== undefined ? { host: str('host')! } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(seed !== undefined && problems.every((p) => p.where !== '--seed') ? { seed: seed.trim() } : {}),
    ...(tokenizer !== undefined && problems.every((p) => p.where !== '--prompt-tokenizer') ? { promptTokenizer: tokenizer as PromptTokenizer } : {}),
    ...(faults !== undefined ? { faults } : {}),
    ...(slowHeadersMs !== undefined ? { slowHeadersMs } : {}),
    ...(retryAfterS !== undefined ? { retryAfterS } : {}),
  };
  // Parameter-level checks (ranges, profile names, rate sums), reported with the ones above.
  try {
    resolveSimulatorConfig(opts, flagFor);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) if (!problems.some((q) => q.where === p.where)) problems.push(p);
  }
  if (problems.length > 0) throw new ConfigError(problems, 'tokbench serve');
  return opts;
}

/** The resolved profile and what the model predicts for it, as printed by --describe. */
export function describeConfig(c: ResolvedSimulatorConfig): Record<string, unknown> {
  const w = c.profile.referenceWorkload;
  const cap = saturationCapacity(c.engine, w);
  return {
    profile: c.profile.name,
    description: c.profile.description,
    reference: c.profile.reference,
    model: c.model,
    promptTokenizer: c.promptTokenizer,
    engine: c.engine,
    faults: c.faults,
    predictions: {
      workload: w,
      servedTimeline: {
        lowLoadTtftMs: lowLoadTtftUs(c.engine, w.inputTokens) / 1000,
        lowLoadTpotMs: lowLoadTpotUs(c.engine) / 1000,
        saturationTpotMs: cap.tpotUs / 1000,
        outputTokensPerSecond: cap.outputTokensPerSecond,
        requestsPerSecond: cap.requestsPerSecond,
        concurrency: cap.concurrency,
        bound: cap.bound,
      },
      modelledHardware: {
        lowLoadTtftMs: lowLoadTtftUs(c.engine, w.inputTokens) / 1000 / c.engine.timeScale,
        lowLoadTpotMs: lowLoadTpotUs(c.engine) / 1000 / c.engine.timeScale,
        saturationTpotMs: cap.tpotUs / 1000 / c.engine.timeScale,
        ...cap.modelled,
      },
    },
  };
}

export function serveCommand(io: CliIo): Command {
  const cmd = new Command('serve')
    .description(
      'Run the simulated OpenAI-compatible inference server (a model of a continuous-batching engine, with optional faults) until Ctrl-C.',
    )
    .option('--profile <name>', `engine preset: ${PROFILE_NAMES.join(', ')}`, 'tiny')
    .option('--model <name>', 'served model name (default: the profile\'s)')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', '8000')
    .option('--seed <n>', 'seed for output lengths and faults', '0');
  for (const [key, flag, help] of ENGINE_FLAGS) cmd.option(`${flag} <${key === 'timeScale' ? 'x' : 'n'}>`, help);
  cmd
    .option('--output-len <dist>', 'output length without ignore_eos: fixed:N | uniform:MIN-MAX | normal:MEAN,SD,MIN-MAX | lognormal:MEAN,SD,MIN-MAX')
    .option('--prompt-tokenizer <name>', `how text prompts are counted: ${PROMPT_TOKENIZERS.join(', ')}`)
    .option('--faults <spec>', `fault rates, e.g. 500=0.01,429=0.02,reset=0.005; kinds: ${FAULT_KINDS.join(', ')}`)
    .option('--slow-headers-ms <ms>', 'delay of the slow-headers fault', '2000')
    .option('--retry-after-s <s>', 'Retry-After of the 429 fault', '1')
    .option('--describe', 'print the resolved parameters and the model\'s predictions as JSON, then exit')
    .action(async (raw: RawOptions) => {
      const opts = serveOptionsFromFlags(raw);
      if (raw.describe) {
        io.stdout.write(JSON.stringify(describeConfig(resolveSimulatorConfig(opts, flagFor)), null, 2) + '\n');
        return;
      }
      const sim = await startSimulator(opts);
      const c = sim.config;
      const d = describeConfig(c) as { predictions: { servedTimeline: { outputTokensPerSecond: number; concurrency: number } } };
      const w = c.profile.referenceWorkload;
      const scale = c.engine.timeScale;
      const lines = [
        `tokbench serve: listening on ${sim.url}`,
        `  profile ${c.profile.name}, model "${c.model}", seed ${String(c.seed)}`,
        `  model capacity at ${w.inputTokens} in / ${w.outputTokens} out: ${Math.round(d.predictions.servedTimeline.outputTokensPerSecond)} output tokens/s with ${d.predictions.servedTimeline.concurrency} requests in flight`,
        scale === 1
          ? '  time scale 1: figures are those of the modelled engine'
          : `  time scale ${scale}: served ${scale}x slower than modelled; multiply measured throughput by ${scale} and divide latencies by ${scale}`,
      ];
      const active = Object.entries(c.faults).filter(([, r]) => (r ?? 0) > 0);
      if (active.length > 0) lines.push(`  faults: ${active.map(([k, r]) => `${k}=${r}`).join(', ')}`);
      lines.push('  Ctrl-C to stop');
      io.stderr.write(lines.join('\n') + '\n');
      await new Promise<void>((resolve) => {
        const off = io.onSignal((signal) => {
          off();
          io.stderr.write(`tokbench serve: ${signal}, stopping\n`);
          resolve();
        });
      });
      await sim.close();
    });
  return cmd;
}
