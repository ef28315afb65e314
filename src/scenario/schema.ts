/**
 * The scenario file format (YAML or JSON), schemaVersion 1, derived from the
 * declarations of settings.ts: every setting with a `path` is a field, grouped
 * as its path says (`load.targetQps` is `targetQps` under `load:`). Every field
 * is optional, `schemaVersion` included (it defaults to the current version):
 * a file states only what differs from its benchmark profile and the defaults.
 * Every problem of a file is reported at once, unknown fields with a did-you-mean.
 */
import { didYouMean, type Problem } from '../errors.js';
import { SCENARIO_SETTINGS, type SettingDecl, type SettingPath } from './settings.js';
import { emptyLayer, type Layer } from './layers.js';

export const SCENARIO_SCHEMA_VERSION = 1;

/** Fields of a file that are not settings. */
const STRUCTURE = ['schemaVersion', 'extends'] as const;

const FILE_SETTINGS = SCENARIO_SETTINGS.filter((s) => s.inFile !== false);

/** Known fields, by level: '' is the top, else a group (`load`, `run`…). */
export const FILE_FIELDS: Readonly<Record<string, readonly string[]>> = (() => {
  const top: string[] = [...STRUCTURE];
  const out: Record<string, string[]> = { '': top };
  for (const s of FILE_SETTINGS) {
    const [group, leaf] = s.path.includes('.') ? s.path.split('.') : ['', s.path];
    if (group !== '' && !top.includes(group!)) top.push(group!);
    (out[group!] ??= []).push(leaf!);
  }
  return out;
})();

const BY_FILE_PATH: ReadonlyMap<string, SettingDecl & { path: SettingPath }> = new Map(FILE_SETTINGS.map((s) => [s.path, s]));
const ALL_LEAVES = FILE_SETTINGS.map((s) => s.path);

export interface ScenarioFileRead {
  /** `extends: llama2-70b/server`, when given */
  extends?: string;
  layer: Layer;
  problems: Problem[];
}

/** A parsed file (a mapping) as a layer of typed settings, with every problem found. */
export function scenarioFileLayer(raw: Record<string, unknown>, where: string): ScenarioFileRead {
  const layer = emptyLayer('file');
  const problems: Problem[] = [];
  const out: ScenarioFileRead = { layer, problems };
  const version = raw.schemaVersion ?? SCENARIO_SCHEMA_VERSION;
  if (version !== SCENARIO_SCHEMA_VERSION) problems.push({ where: `${where}: schemaVersion`, message: `unsupported version ${JSON.stringify(version)}`, hint: `use schemaVersion: ${SCENARIO_SCHEMA_VERSION} (or leave it out)` });
  if (raw.extends !== undefined) {
    if (typeof raw.extends === 'string') out.extends = raw.extends;
    else problems.push({ where: `${where}: extends`, message: 'expected a built-in scenario name', hint: 'e.g. extends: llama2-70b/server' });
  }
  for (const [key, value] of Object.entries(raw)) {
    if ((STRUCTURE as readonly string[]).includes(key)) continue;
    const fields = FILE_FIELDS[key];
    if (fields === undefined || !FILE_FIELDS['']!.includes(key)) {
      if (BY_FILE_PATH.has(key as SettingPath)) readLeaf(key, value, where, layer, problems);
      else problems.push(unknownField('', key, where));
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ where: `${where}: ${key}`, message: 'expected a mapping of fields', hint: `fields here: ${fields.join(', ')}` });
      continue;
    }
    for (const [leaf, v] of Object.entries(value as Record<string, unknown>)) {
      if (fields.includes(leaf)) readLeaf(`${key}.${leaf}`, v, where, layer, problems);
      else problems.push(unknownField(key, leaf, where));
    }
  }
  return out;
}

function readLeaf(path: string, value: unknown, where: string, layer: Layer, problems: Problem[]): void {
  const s = BY_FILE_PATH.get(path as SettingPath)!;
  const at = `${where}: ${path}`;
  const r = s.type!.fromFile(value, at);
  if (!r.ok) {
    problems.push(...r.problems);
    return;
  }
  (layer.values as Record<string, unknown>)[s.path] = r.value;
  layer.where[s.path] = at;
}

function unknownField(group: string, key: string, where: string): Problem {
  const known = FILE_FIELDS[group] ?? [];
  const here = didYouMean(key, known);
  // `maxConcurency` at the top is most likely `load.maxConcurrency`
  const elsewhere = here === undefined ? didYouMean(key, ALL_LEAVES.map((p) => p.split('.').pop()!)) : undefined;
  const full = elsewhere === undefined ? undefined : ALL_LEAVES.find((p) => p.split('.').pop() === elsewhere);
  const hint = here !== undefined ? `did you mean "${here}"?` : full !== undefined ? `did you mean "${full}"?${full.includes('.') ? ` (write it under ${full.split('.')[0]}:)` : ''}` : `known fields here: ${known.join(', ')}`;
  return { where: `${where}: ${group ? `${group}.` : ''}${key}`, message: 'unknown field', hint };
}
