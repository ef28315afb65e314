/**
 * `--mlperf-conf FILE` and `--user-conf FILE` as layers of scenario resolution.
 *
 * LoadGen loads mlperf.conf, then user.conf, and a key found in a later file wins
 * whatever its lookup level (reference/mlperf.md §3.5; user-conf.ts). tokbench's
 * built-in benchmark profiles already are mlperf.conf (v6.0) for its models, so:
 *
 *   defaults < profile (= built-in mlperf.conf) < --mlperf-conf < scenario file
 *            < --user-conf < environment < flags
 *
 * - `--mlperf-conf` replaces the built-in values: it sits just above the profile
 *   (origin `mlperf.conf`). Its `target_qps` is skipped: mlperf.conf's
 *   `*.Server.target_qps = 1.0` is a placeholder "to be overridden by user.conf".
 * - `--user-conf` (repeatable; later files win, as LoadGen) sits above the
 *   scenario file (origin `user.conf`): the scenario file describes a workload,
 *   the user.conf is the submitter's tuning of this system, given for this run.
 *   Environment and flags stay on top, so `--user-conf user.conf --duration 30s`
 *   rehearses a submission's settings briefly.
 *
 * Keys are looked up for LoadGen's model and scenario: `<benchmark>` or
 * `<benchmark>-interactive`, and `Server` or `Offline` (Interactive is Server).
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { ConfigError, type Problem } from '../errors.js';
import {
  loadgenNames,
  parseLoadgenConf,
  resolveLoadgenConf,
  type ConfFileText,
  type LoadgenConfSettings,
  type ParsedConf,
} from './user-conf.js';
import type { BenchmarkName, ScenarioKind } from './types.js';
import { SCENARIO_SETTINGS, type SettingPath } from './settings.js';
import { emptyLayer, type Layer } from './layers.js';

export interface LoadgenConfInput {
  /** --mlperf-conf; absent: the built-in profiles (tokbench's v6.0 mlperf.conf) */
  mlperfConf?: ConfFileText;
  /** --user-conf files, in the order given */
  userConfs: readonly ConfFileText[];
  /** lines that parse but cannot matter, and LoadGen's own warnings */
  onWarning?: (p: Problem) => void;
}

export interface ParsedConfInput {
  mlperf: ParsedConf | null;
  user: ParsedConf[];
  onWarning: (p: Problem) => void;
}

/**
 * Read the conf files named by the flags (paths relative to cwd); null when none
 * was given. Unreadable files are thrown, or added to `collected` when given (so
 * they are reported with the other problems).
 */
export function readLoadgenConfFiles(
  flags: { userConf?: readonly string[]; mlperfConf?: string },
  cwd: string,
  onWarning?: (p: Problem) => void,
  collected?: Problem[],
): LoadgenConfInput | null {
  const user = flags.userConf ?? [];
  if (user.length === 0 && flags.mlperfConf === undefined) return null;
  const problems: Problem[] = collected ?? [];
  const read = (path: string, flag: string): ConfFileText | null => {
    try {
      return { path, text: readFileSync(resolvePath(cwd, path), 'utf8') };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({
        where: `${flag} ${path}`,
        message: code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`,
        hint: 'give the path of a LoadGen conf file (model.scenario.key = value lines)',
      });
      return null;
    }
  };
  const mlperfConf = flags.mlperfConf === undefined ? null : read(flags.mlperfConf, '--mlperf-conf');
  const userConfs = user.map((p) => read(p, '--user-conf')).filter((f): f is ConfFileText => f !== null);
  if (collected === undefined && problems.length > 0) throw new ConfigError(problems);
  return { ...(mlperfConf ? { mlperfConf } : {}), userConfs, ...(onWarning ? { onWarning } : {}) };
}

/** Parse every file at once, so one error lists every bad line of every file. */
export function parseLoadgenConfInput(input: LoadgenConfInput): ParsedConfInput {
  const onWarning = input.onWarning ?? (() => undefined);
  const files = [...(input.mlperfConf ? [input.mlperfConf] : []), ...input.userConfs];
  const parsed = files.map((f) => parseLoadgenConf(f.text, f.path));
  const problems = parsed.flatMap((p) => p.problems);
  if (problems.length > 0) throw new ConfigError(problems, 'invalid LoadGen conf');
  for (const p of parsed) for (const w of p.warnings) onWarning(w);
  if (input.userConfs.length > 1) {
    // LoadGen's own warning when more than one user conf is loaded
    onWarning({ where: input.userConfs.map((f) => f.path).join(', '), message: 'Multiple conf files are used. This is not valid for official submission.' });
  }
  const confs = parsed.map((p) => p.conf);
  return { mlperf: input.mlperfConf ? confs[0]! : null, user: input.mlperfConf ? confs.slice(1) : confs, onWarning };
}

/** One setting set from a conf file. */
export interface ConfScenarioPatch {
  path: SettingPath;
  value: unknown;
  /** `file:line` */
  where: string;
}

/**
 * The conf values as settings, by the `conf` of each declaration (settings.ts).
 * `userOnly` leaves out keys whose mlperf.conf value is a placeholder: mlperf.conf's
 * `*.Server.target_qps = 1.0` is "to be overridden by user.conf".
 */
export function confSettingsToScenarioPatch(settings: LoadgenConfSettings, { userOnly = true } = {}): ConfScenarioPatch[] {
  const out: ConfScenarioPatch[] = [];
  for (const s of SCENARIO_SETTINGS) {
    if (s.conf === undefined || (s.conf.userConfOnly && !userOnly)) continue;
    const v = s.conf.read(settings);
    if (v !== undefined) out.push({ path: s.path, value: v.value, where: v.where });
  }
  return out;
}

/**
 * Look the confs up for the scenario's LoadGen model and scenario: a layer of
 * every mapped key, blamed on its `file:line`.
 */
export function confLayer(confs: readonly ParsedConf[], origin: 'mlperf.conf' | 'user.conf', at: { benchmark: BenchmarkName; scenario: ScenarioKind }, onWarning: (p: Problem) => void): Layer {
  const layer = emptyLayer(origin);
  if (confs.length === 0) return layer;
  const names = loadgenNames(at.benchmark, at.scenario);
  const { settings, warnings } = resolveLoadgenConf(confs, names.model, names.scenario);
  for (const w of warnings) onWarning(w);
  for (const patch of confSettingsToScenarioPatch(settings, { userOnly: origin === 'user.conf' })) {
    (layer.values as Record<string, unknown>)[patch.path] = patch.value;
    layer.where[patch.path] = `${patch.where} (${patch.path})`;
  }
  return layer;
}
