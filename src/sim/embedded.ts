/**
 * The simulator as `tokbench run`'s embedded default: started on an ephemeral
 * loopback port when no --endpoint is given, stopped when the run ends. The
 * `tiny` profile is the default because it answers in milliseconds, so a
 * rehearsal of any scenario finishes in seconds; the node-sized profiles are
 * time-scaled (see docs/simulator.md) and chosen with --sim-profile.
 */
import { ConfigError } from '../errors.js';
import type { LengthDistribution } from '../dataset/types.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { startSimulator, type SimulatorHandle } from './server.js';
import { PROFILE_NAMES, getProfile } from './profiles.js';
import { saturationCapacity } from './engine.js';
import { meanLength } from '../dataset/lengths.js';

export interface EmbeddedSimulator {
  url: string;
  model: string;
  profile: string;
  /** about 60% of the modelled capacity for the scenario's mean lengths, requests/s */
  suggestedQps: number;
  handle: SimulatorHandle;
  close(): Promise<void>;
}

/** Share of the modelled saturation rate used when a Server run has no --target-qps. */
const SUGGESTED_LOAD = 0.6;

export async function startEmbeddedSimulator(opts: { scenario: ResolvedScenario; profile?: string }): Promise<EmbeddedSimulator> {
  const name = opts.profile ?? 'tiny';
  const profile = getProfile(name);
  if (!profile) {
    throw new ConfigError({ where: '--sim-profile', message: `unknown simulator profile "${name}"`, hint: `one of: ${PROFILE_NAMES.join(', ')}` });
  }
  // Count prompts with the benchmark's real tokenizer so the usage the simulator
  // reports (and tokbench records) is exact, not the tiny profile's chars/4.
  const handle = await startSimulator({
    profile,
    host: '127.0.0.1',
    port: 0,
    seed: opts.scenario.seeds.schedule,
    promptTokenizer: opts.scenario.dataset.tokenizer,
  });
  const capacity = saturationCapacity(profile.engine, {
    inputTokens: Math.max(1, Math.round(meanOf(opts.scenario.dataset.inputTokens))),
    outputTokens: Math.max(1, Math.round(meanOf(opts.scenario.dataset.outputTokens))),
  });
  const suggestedQps = Math.max(0.1, Math.round(capacity.requestsPerSecond * SUGGESTED_LOAD * 10) / 10);
  return {
    url: handle.url,
    model: handle.model,
    profile: name,
    suggestedQps,
    handle,
    close: () => handle.close(),
  };
}

/** Mean of a length distribution, clamped to its bounds (good enough to pick a load level). */
function meanOf(d: LengthDistribution): number {
  const m = meanLength(d);
  return 'min' in d && 'max' in d ? Math.min(d.max, Math.max(d.min, m)) : m;
}
