/**
 * What a simulator is started with: the options, their resolution against a
 * profile, and validation of all of them at once (the `serve` flags and the
 * embedded simulator of `run --sim` both come through here).
 */
import type { Clock } from '../util/clock.js';
import { parseSeed, type Seed } from '../util/rng.js';
import { ConfigError, didYouMean, type Problem } from '../errors.js';
import { validateEngineParams, type EngineParams } from './engine-params.js';
import { DEFAULT_FAULT_OPTIONS, validateFaultOptions, type FaultRates } from './faults.js';
import { PROFILE_NAMES, PROMPT_TOKENIZERS, getProfile, type PromptTokenizer, type SimProfile } from './profiles.js';

export interface SimulatorOptions {
  /** profile name or a full profile; default 'tiny' */
  profile?: string | SimProfile;
  /** engine parameters overriding the profile's */
  engine?: Partial<EngineParams>;
  /** how text prompts are counted; default the profile's */
  promptTokenizer?: PromptTokenizer;
  /** served model name; default the profile's */
  model?: string;
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: an ephemeral port */
  port?: number;
  /** seeds output lengths and faults; default 0 */
  seed?: Seed;
  /** fault rates in 0..1 by kind, summing to at most 1 */
  faults?: FaultRates;
  /** delay of the 'slow-headers' fault, ms; default 2000 */
  slowHeadersMs?: number;
  /** Retry-After of the '429' fault, s; default 1 */
  retryAfterS?: number;
  /** default: a timer-based real clock (src/sim/timer.ts) */
  clock?: Clock;
}

export interface ResolvedSimulatorConfig {
  profile: SimProfile;
  engine: EngineParams;
  promptTokenizer: PromptTokenizer;
  model: string;
  host: string;
  port: number;
  seed: Seed;
  faults: FaultRates;
  slowHeadersMs: number;
  retryAfterS: number;
}

/**
 * Resolve options against the profile and validate everything at once. `where`
 * maps a parameter name (`maxNumSeqs`, `model`, `faults.500`, …) to what the user
 * typed, e.g. a CLI flag.
 */
export function resolveSimulatorConfig(opts: SimulatorOptions, where: (key: string) => string = (k) => k): ResolvedSimulatorConfig {
  const problems: Problem[] = [];
  let profile: SimProfile | undefined;
  if (typeof opts.profile === 'object') profile = structuredClone(opts.profile);
  else {
    const name = opts.profile ?? 'tiny';
    profile = getProfile(name);
    if (!profile) {
      const guess = didYouMean(name, PROFILE_NAMES);
      problems.push({
        where: where('profile'),
        message: `unknown profile "${name}"`,
        hint: guess ? `did you mean "${guess}"? profiles: ${PROFILE_NAMES.join(', ')}` : `profiles: ${PROFILE_NAMES.join(', ')}`,
      });
      profile = getProfile('tiny')!;
    }
  }
  const overrides = Object.fromEntries(Object.entries(opts.engine ?? {}).filter(([, v]) => v !== undefined));
  const engine: EngineParams = { ...profile.engine, ...overrides };
  problems.push(...validateEngineParams(engine, where));
  const promptTokenizer = opts.promptTokenizer ?? profile.promptTokenizer;
  if (!PROMPT_TOKENIZERS.includes(promptTokenizer)) {
    problems.push({ where: where('promptTokenizer'), message: `unknown tokenizer "${String(promptTokenizer)}"`, hint: `one of ${PROMPT_TOKENIZERS.join(', ')}` });
  }
  const model = opts.model ?? profile.modelName;
  if (typeof model !== 'string' || model.trim() === '') problems.push({ where: where('model'), message: 'must be a non-empty name' });
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push({ where: where('port'), message: `must be an integer in 0..65535, got ${String(port)}` });
  try {
    parseSeed(opts.seed ?? 0);
  } catch {
    problems.push({ where: where('seed'), message: `must be an unsigned 64-bit integer, got ${String(opts.seed)}` });
  }
  const faultOpts = {
    rates: opts.faults ?? {},
    slowHeadersMs: opts.slowHeadersMs ?? DEFAULT_FAULT_OPTIONS.slowHeadersMs,
    retryAfterS: opts.retryAfterS ?? DEFAULT_FAULT_OPTIONS.retryAfterS,
  };
  problems.push(
    ...validateFaultOptions(faultOpts, (k) =>
      k === 'slowHeadersMs' || k === 'retryAfterS' ? where(k) : where(k === 'rates' ? 'faults' : `faults.${k}`),
    ),
  );
  if (problems.length > 0) throw new ConfigError(problems, 'invalid simulator configuration');
  return {
    profile,
    engine,
    promptTokenizer,
    model,
    host: opts.host ?? '127.0.0.1',
    port,
    seed: opts.seed ?? 0,
    faults: faultOpts.rates,
    slowHeadersMs: faultOpts.slowHeadersMs,
    retryAfterS: faultOpts.retryAfterS,
  };
}
