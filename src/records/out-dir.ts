/**
 * A run's output directory holds exactly one run: requests.jsonl is what
 * `report --from` and `merge` rebuild figures from, so a second run appended
 * to it would be counted with the first. An explicit --out that already holds
 * a run is refused before any load; the default directory, named by the
 * second, gets a fresh suffix instead.
 */
import { existsSync, readdirSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { RUN_INFO_FILE } from './run-info.js';

/** Files whose presence means a directory already holds a run. */
export const RUN_FILES = ['requests.jsonl', 'result.json', RUN_INFO_FILE, 'mlperf_log_summary.txt'] as const;

/** The first run file found in `dir`, or null (also when dir does not exist). */
export function previousRunFile(dir: string): string | null {
  if (!existsSync(dir)) return null;
  const names = new Set(readdirSync(dir));
  return RUN_FILES.find((f) => names.has(f)) ?? null;
}

/** Throws a ConfigError (exit 2) when an explicit --out already holds a run. */
export function assertFreshOutDir(dir: string, where = '--out'): void {
  const found = previousRunFile(dir);
  if (found === null) return;
  throw new ConfigError({
    where,
    message: `${dir} already holds a run (${found}); a second run would be mixed into its requests.jsonl`,
    hint: 'give a new --out directory, or remove the old run first',
  });
}

/** `base`, or `base-2`, `base-3`... : the first that holds no run. */
export function freshRunDir(base: string): string {
  if (previousRunFile(base) === null) return base;
  for (let i = 2; ; i++) {
    const dir = `${base}-${i}`;
    if (previousRunFile(dir) === null) return dir;
  }
}
