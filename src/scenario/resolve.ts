/**
 * Scenario resolution: defaults < built-in benchmark profile < --mlperf-conf <
 * scenario file < --user-conf < environment < CLI flags (conf-wiring.ts says
 * why the confs sit there). Each layer is a typed SettingsLayer built from the
 * declarations of settings.ts; every value remembers its origin, and every
 * problem of every layer is reported at once, naming the flag when a flag set
 * it, the variable when the environment did, and `file: field` for the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve as resolvePath, extname } from 'node:path';
import YAML from 'yaml';
import { datasetKindOf, pickleProblem } from '../dataset/columns.js';
import { ConfigError, didYouMean, type Problem } from '../errors.js';
import { BUILTIN_NAMES, BUILTIN_PROFILES, type BenchmarkProfile } from './builtins.js';
import type { BenchmarkName, ResolvedScenario, ScenarioKind } from './types.js';
import { confLayer, parseLoadgenConfInput, type LoadgenConfInput, type ParsedConfInput } from './conf-wiring.js';
import { SCENARIO_SETTINGS, type ScenarioFlags, type Settings } from './settings.js';
import { defaultsLayer, deriveDefaults, emptyLayer, envLayer, flagsLayer, mergeLayers, profileLayer, shortcutWarnings, type Layer, type Merged } from './layers.js';
import { scenarioFileLayer, type ScenarioFileRead } from './schema.js';

export type { ScenarioFlags } from './settings.js';
export { parseEndpointArg } from './endpoint-arg.js';

export interface ResolveInput {
  /** built-in name (`llama2-70b/server`) or a file path; undefined → llama2-70b/offline */
  scenario?: string;
  flags: ScenarioFlags;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** --mlperf-conf / --user-conf: LoadGen conf layers (conf-wiring.ts explains where they sit) */
  loadgenConfs?: LoadgenConfInput;
  /** problems the caller found already (malformed flags), reported with these, all at once */
  problems?: readonly Problem[];
  /** what is allowed but worth saying (a shortcut flag making a file's value unused) */
  onWarning?: (p: Problem) => void;
}

export const DEFAULT_SCENARIO = 'llama2-70b/offline';

interface Source {
  profileName: string | null;
  file: ScenarioFileRead | null;
  fileWhere: string;
}

export function resolveScenario(input: ResolveInput): ResolvedScenario {
  const problems: Problem[] = [...(input.problems ?? [])];
  const { profileName, file, fileWhere } = scenarioSource(input.scenario ?? DEFAULT_SCENARIO, input.cwd, problems);
  const profile = profileName === null ? null : BUILTIN_PROFILES[profileName]!;
  const confs = input.loadgenConfs ? collect(problems, () => parseLoadgenConfInput(input.loadgenConfs!)) : null;
  const merged = mergeLayers(layersOf(profile, file, confs, input, problems));
  deriveDefaults(merged);
  for (const w of shortcutWarnings(input.flags, merged)) input.onWarning?.(w);
  problems.push(...validate(merged), ...streamOnlyLimits(merged));
  if (problems.length > 0) throw new ConfigError(problems);
  return assemble(merged, profileName ?? fileWhere);
}

function layersOf(profile: BenchmarkProfile | null, file: ScenarioFileRead | null, confs: ParsedConfInput | null, input: ResolveInput, problems: Problem[]): Layer[] {
  const base = [defaultsLayer(), profile ? profileLayer(profile) : emptyLayer('profile')];
  const fileLayer = file?.layer ?? emptyLayer('file');
  // LoadGen keys are looked up for the benchmark and scenario the profile and file give
  const below = mergeLayers([...base, fileLayer]).values;
  const at = { benchmark: below.benchmark as BenchmarkName, scenario: below.scenario as ScenarioKind };
  const mlperf = confs?.mlperf ? confLayer([confs.mlperf], 'mlperf.conf', at, confs.onWarning) : emptyLayer('mlperf.conf');
  const user = confs ? confLayer(confs.user, 'user.conf', at, confs.onWarning) : emptyLayer('user.conf');
  return [...base, mlperf, fileLayer, user, envLayer(input.env, problems), flagsLayer(input.flags, problems)];
}

function collect<T>(problems: Problem[], fn: () => T): T | null {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return null;
  }
}

/** The built-in profile and the scenario file the argument names. */
function scenarioSource(arg: string, cwd: string, problems: Problem[]): Source {
  if (BUILTIN_PROFILES[arg]) return { profileName: arg, file: null, fileWhere: '' };
  if (!looksLikePath(arg, cwd)) {
    problems.push(unknownBuiltin(arg, 'SCENARIO'));
    return { profileName: null, file: null, fileWhere: '' };
  }
  const raw = collect(problems, () => readScenarioFile(resolvePath(cwd, arg), arg));
  if (raw === null) return { profileName: null, file: null, fileWhere: arg };
  const file = scenarioFileLayer(raw, arg);
  problems.push(...file.problems);
  let profileName: string | null = null;
  const { benchmark, scenario } = file.layer.values;
  if (file.extends !== undefined) {
    if (BUILTIN_PROFILES[file.extends]) profileName = file.extends;
    else problems.push(unknownBuiltin(file.extends, `${arg}: extends`));
  } else if (benchmark && benchmark !== 'custom' && scenario) {
    profileName = BUILTIN_PROFILES[`${benchmark}/${scenario}`] ? `${benchmark}/${scenario}` : null;
  }
  return { profileName, file, fileWhere: arg };
}

function looksLikePath(arg: string, cwd: string): boolean {
  return /\.(ya?ml|json)$/i.test(arg) || existsSync(resolvePath(cwd, arg));
}

function unknownBuiltin(name: string, where: string): Problem {
  const suggestion = didYouMean(name, BUILTIN_NAMES);
  return {
    where,
    message: `unknown scenario "${name}"`,
    hint: `${suggestion ? `did you mean "${suggestion}"? ` : ''}built-ins: ${BUILTIN_NAMES.join(', ')}; or give a .yaml/.json scenario file (tokbench scenarios lists them)`,
  };
}

/** A scenario file's mapping, parsed but not yet read as settings (schema.ts does that). */
export function readScenarioFile(absPath: string, where: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(absPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError({
      where,
      message: code === 'ENOENT' ? 'scenario file not found' : `cannot read scenario file (${code ?? String(err)})`,
      hint: `give a built-in name (${BUILTIN_NAMES.join(', ')}) or the path of a .yaml/.json file`,
    });
  }
  let raw: unknown;
  const isJson = extname(absPath).toLowerCase() === '.json';
  try {
    raw = isJson ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new ConfigError({
      where: line ? `${where}:${line}` : where,
      message: `not valid ${isJson ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
      hint: 'check indentation, quoting and brackets near that line',
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError({ where, message: 'a scenario file must hold a mapping (key: value pairs)', hint: 'see scenarios/*.yaml for examples' });
  }
  return raw as Record<string, unknown>;
}

/** Every declared constraint on each final value, then the rules that involve two settings. */
function validate(m: Merged): Problem[] {
  const v = m.values as Settings;
  const where = (path: keyof Settings) => m.where[path] ?? path;
  const problems = SCENARIO_SETTINGS.flatMap((s) => s.type?.validate(v[s.path], where(s.path)) ?? []);
  if (v['dataset.source'] !== 'synthetic' && v['dataset.path'] === null) {
    problems.push({ where: where('dataset.path'), message: `dataset.source "${v['dataset.source']}" needs a path`, hint: 'give --dataset FILE.jsonl or FILE.json' });
  }
  if (v['dataset.path'] && datasetKindOf(v['dataset.path']) === 'pickle') problems.push(pickleProblem(v['dataset.path'], where('dataset.path')));
  if (v['request.promptFormat'] === 'ids' && v['request.api'] === 'chat') {
    problems.push({ where: where('request.promptFormat'), message: 'token-id prompts are only accepted by /v1/completions', hint: 'use --api completions, or --prompt-format text' });
  }
  return problems;
}

/**
 * A non-streamed answer has no first token and no per-token times: a limit on
 * them could only pass vacuously. The benchmark's own limits do not apply to a
 * run that cannot measure them (dropped); a limit the user set is a mistake.
 */
function streamOnlyLimits(m: Merged): Problem[] {
  const v = m.values as Settings;
  if (v['request.stream'] !== false) return [];
  const problems: Problem[] = [];
  const where = (path: keyof Settings) => m.where[path] ?? path;
  for (const path of ['constraints.ttftP99Ms', 'constraints.tpotP99Ms'] as const) {
    if (v[path] === null || v[path] === undefined) continue;
    const origin = m.origins[path];
    if (origin === 'profile' || origin === 'default' || origin === 'mlperf.conf') {
      (m.values as Record<string, unknown>)[path] = null;
      m.origins[path] = 'default';
    } else {
      problems.push({ where: where(path), message: `${path.slice('constraints.'.length)} is a constraint on streamed tokens, but requests are not streamed (--no-stream)`, hint: 'stream the requests, or leave the constraint out' });
    }
  }
  for (const t of v.thresholds ?? []) {
    if (/(^|[\s.\]])(ttft|ttfa|tpot|itl|chunk_gap|goodput)\b/.test(t)) {
      problems.push({ where: where('thresholds'), message: `'${t}' asserts on streamed-token timing, but requests are not streamed (--no-stream): there is no TTFT, TPOT or ITL`, hint: 'stream the requests, or assert on e2e (e.g. e2e.p99 <= 30s)' });
    }
  }
  return problems;
}

/** The nested ResolvedScenario from the flat settings, in the order result.json has always had. */
function assemble(m: Merged, name: string): ResolvedScenario {
  const out: Record<string, unknown> = { name, benchmark: null, scenario: null, load: {}, run: {}, dataset: {}, request: {}, constraints: {}, seeds: {}, thresholds: [], endpoints: [] };
  for (const s of SCENARIO_SETTINGS) {
    const value = (m.values as Record<string, unknown>)[s.path];
    const dot = s.path.indexOf('.');
    if (dot < 0) out[s.path] = value;
    else (out[s.path.slice(0, dot)] as Record<string, unknown>)[s.path.slice(dot + 1)] = value;
  }
  out.origins = { ...m.origins };
  return out as unknown as ResolvedScenario;
}
