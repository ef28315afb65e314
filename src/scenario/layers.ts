/**
 * The layers of scenario resolution, each a typed `SettingsLayer` plus where
 * each of its values came from (for error messages), built from the
 * declarations of settings.ts: defaults, the benchmark profile, the
 * environment and the flags. The scenario file's layer is schema.ts's, the
 * LoadGen conf layers conf-wiring.ts's.
 */
import type { Problem } from '../errors.js';
import type { BenchmarkProfile } from './builtins.js';
import type { Origin } from './types.js';
import { SCENARIO_SETTINGS, SETTINGS, SETTING_BY_KEY, SETTING_BY_PATH, type ScenarioFlags, type SettingDecl, type SettingPath, type SettingsLayer } from './settings.js';

export interface Layer {
  origin: Origin;
  values: SettingsLayer;
  /** what an error about a value of this layer names: a flag, a variable, `file: path`, `file:line` */
  where: Partial<Record<SettingPath, string>>;
}

export function emptyLayer(origin: Origin): Layer {
  return { origin, values: {}, where: {} };
}

function put(layer: Layer, path: SettingPath, value: unknown, where: string): void {
  (layer.values as Record<string, unknown>)[path] = value;
  layer.where[path] = where;
}

/** The declared static defaults (derived ones are filled in by `deriveDefaults`). */
export function defaultsLayer(): Layer {
  const layer = emptyLayer('default');
  for (const s of SCENARIO_SETTINGS) {
    if (s.default !== undefined && typeof s.default !== 'function') put(layer, s.path, structuredClone(s.default), s.path);
  }
  return layer;
}

export function profileLayer(p: BenchmarkProfile): Layer {
  const layer = emptyLayer('profile');
  for (const s of SCENARIO_SETTINGS) if (s.profile !== undefined) put(layer, s.path, p[s.profile], s.path);
  return layer;
}

/** Environment variables, read with the same value types as their flags, blamed on the variable. */
export function envLayer(env: NodeJS.ProcessEnv, problems: Problem[]): Layer {
  const layer = emptyLayer('env');
  for (const s of SCENARIO_SETTINGS) {
    const text = s.env === undefined ? undefined : env[s.env];
    if (text === undefined || text.trim() === '' || s.type === undefined) continue;
    const r = s.type.fromText(text, s.env!);
    if (r.ok) put(layer, s.path, r.value, s.env!);
    else problems.push(...r.problems);
  }
  return layer;
}

/** The flags' values (already typed) as a layer, with conflicting shortcuts reported as problems. */
export function flagsLayer(flags: ScenarioFlags, problems: Problem[]): Layer {
  const layer = emptyLayer('flag');
  const given = flags as Record<string, unknown>;
  for (const s of SETTINGS) {
    if (s.key === undefined || given[s.key] === undefined) continue;
    problems.push(...conflictsOf(s, given));
    const value = given[s.key];
    const sets: SettingsLayer = s.toLayer ? s.toLayer(value) : s.path ? { [s.path]: value } : {};
    for (const [path, v] of Object.entries(sets)) put(layer, path as SettingPath, v, s.flag ?? s.key);
  }
  return layer;
}

/** k6's ExecutionConflictError: two flags that ask for different load shapes are an error naming both. */
function conflictsOf(s: SettingDecl, given: Record<string, unknown>): Problem[] {
  return (s.conflicts ?? [])
    .filter((k) => given[k] !== undefined)
    .map((k) => {
      const other = SETTING_BY_KEY.get(k)?.flag ?? k;
      return {
        where: `${s.flag} and ${other}`,
        message: `cannot be combined${s.conflictWhy ? `: ${s.conflictWhy}` : ''}`,
        hint: `give ${s.flag} alone, or ${other} without ${s.flag}`,
      };
    });
}

/**
 * A shortcut flag that makes a lower layer's value unused (`--concurrency` over a
 * file's `load.targetQps`) is allowed, as flags win, but said.
 */
export function shortcutWarnings(flags: ScenarioFlags, merged: Merged): Problem[] {
  const out: Problem[] = [];
  const given = flags as Record<string, unknown>;
  for (const s of SETTINGS) {
    if (s.key === undefined || given[s.key] === undefined) continue;
    for (const k of s.conflicts ?? []) {
      const path = SETTING_BY_KEY.get(k)?.path;
      const origin = path === undefined ? undefined : merged.origins[path];
      if (path === undefined || given[k] !== undefined || origin === undefined || origin === 'default' || origin === 'profile' || origin === 'flag') continue;
      out.push({ where: merged.where[path] ?? path, message: `not used: ${s.flag} overrides it`, hint: `remove one of them to silence this warning` });
    }
  }
  return out;
}

export interface Merged {
  values: SettingsLayer;
  origins: Record<string, Origin>;
  where: Partial<Record<SettingPath, string>>;
}

/** Later layers win; lists marked `append` and mappings marked `assign` add to what is below. */
export function mergeLayers(layers: readonly Layer[]): Merged {
  const values: Record<string, unknown> = {};
  const origins: Record<string, Origin> = {};
  const where: Partial<Record<SettingPath, string>> = {};
  for (const layer of layers) {
    for (const [path, v] of Object.entries(layer.values) as [SettingPath, unknown][]) {
      const merge = SETTING_BY_PATH.get(path)?.merge;
      const below = values[path];
      if (merge === 'append' && Array.isArray(below) && Array.isArray(v)) values[path] = [...(below as unknown[]), ...(v as unknown[])];
      else if (merge === 'assign' && typeof below === 'object' && below !== null) values[path] = { ...below, ...(v as object) };
      else values[path] = v;
      origins[path] = layer.origin;
      where[path] = layer.where[path] ?? path;
    }
  }
  return { values: values as SettingsLayer, origins, where };
}

/** Derived defaults (`load.maxConcurrency` from the pattern…), in declaration order, for what no layer set. */
export function deriveDefaults(m: Merged): void {
  for (const s of SCENARIO_SETTINGS) {
    if (typeof s.default !== 'function' || (m.values as Record<string, unknown>)[s.path] !== undefined) continue;
    (m.values as Record<string, unknown>)[s.path] = (s.default as (x: SettingsLayer) => unknown)(m.values);
    m.origins[s.path] = 'default';
    m.where[s.path] = s.path;
  }
}
