import { resolveScenario, type ScenarioFlags } from '../../src/scenario/resolve.js';
import type { ResolvedScenario } from '../../src/scenario/types.js';

/** A resolved scenario from a built-in name and flags, as the CLI would build it. */
export function scenarioFor(name: string, flags: ScenarioFlags = {}, env: NodeJS.ProcessEnv = {}): ResolvedScenario {
  return resolveScenario({ scenario: name, flags, env, cwd: process.cwd() });
}
