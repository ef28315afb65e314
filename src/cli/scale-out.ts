/**
 * The scale-out flags of `run` (--endpoints-file, --baseline, --system,
 * --workers), read and checked before any load is sent, and what `run` records
 * after the run (the clock of t = 0, the client). Kept here so run.ts only
 * wires them in.
 */
import { availableParallelism, hostname } from 'node:os';
import { ConfigError, type Problem } from '../errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { ResultJson } from '../metrics/types.js';
import { readBaselineFile, readEndpointsFile, readSystemFile } from './endpoints-file.js';

export interface ScaleOutCliOptions {
  workers?: string;
  endpointsFile?: string;
  baseline?: string;
  system?: string;
}

export interface ScaleOut {
  /** --workers; null: the default for the machine (effectiveWorkers) */
  workers: number | null;
  baseline: { result: ResultJson; file: string } | null;
  system: Record<string, unknown> | null;
}

/**
 * Reads the files the flags name and, with --endpoints-file, puts its endpoints
 * into the scenario: after any --endpoint flags, or instead of the scenario
 * file's or TOKBENCH_ENDPOINT's endpoints (a flag outranks them). Every problem
 * is reported at once.
 */
export function applyScaleOutFlags(o: ScaleOutCliOptions, scenario: ResolvedScenario, cwd: string): ScaleOut {
  const problems: Problem[] = [];
  const attempt = <T>(f: () => T): T | null => {
    try {
      return f();
    } catch (err) {
      if (err instanceof ConfigError) {
        problems.push(...err.problems);
        return null;
      }
      throw err;
    }
  };
  let workers: number | null = null;
  if (o.workers !== undefined && o.workers !== 'auto') {
    if (/^\d+$/.test(o.workers) && Number(o.workers) >= 1 && Number(o.workers) <= 256) workers = Number(o.workers);
    else problems.push({ where: '--workers', message: `expected a whole number from 1 to 256 or auto, got ${JSON.stringify(o.workers)}`, hint: `e.g. --workers 4 (this machine has ${availableParallelism()} cores; 1 runs without threads)` });
  }
  if (o.endpointsFile !== undefined) {
    const specs = attempt(() => readEndpointsFile(o.endpointsFile!, cwd));
    if (specs !== null) {
      scenario.endpoints = scenario.origins.endpoints === 'flag' ? [...scenario.endpoints, ...specs] : specs;
      scenario.origins.endpoints = 'flag';
    }
  }
  const baselineResult = o.baseline === undefined ? null : attempt(() => readBaselineFile(o.baseline!, cwd));
  const system = o.system === undefined ? null : attempt(() => readSystemFile(o.system!, cwd));
  if (problems.length > 0) throw new ConfigError(problems);
  return { workers, baseline: baselineResult === null ? null : { result: baselineResult, file: o.baseline! }, system };
}

export function clientInfo(workers: number): { workers: number; hostname: string } {
  return { workers, hostname: hostname() };
}
