/** Reading dataset files, with errors a user can act on. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, type Problem } from '../errors.js';

/** A bad file stops being read after this many problems; the first ones are what a user fixes first. */
export const MAX_FILE_PROBLEMS = 20;

/**
 * The file's bytes. Kept as a Buffer, not a string: ShareGPT_V3 is ~670 MB,
 * beyond V8's largest string, so loaders slice it instead.
 */
export async function readDatasetFile(path: string, flag = '--dataset'): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const absolute = resolve(path);
    const message =
      code === 'ENOENT'
        ? `no such file (looked for ${absolute})`
        : code === 'EISDIR'
          ? 'is a directory, not a dataset file'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : `cannot read: ${(err as Error).message}`;
    throw new ConfigError({
      where: path,
      message,
      hint: `pass a readable file with ${flag} (relative paths are from the current directory)`,
    });
  }
}

/** Collects problems and says when to stop reading. */
export class ProblemList {
  readonly items: Problem[] = [];
  add(problem: Problem): void {
    if (this.items.length < MAX_FILE_PROBLEMS) this.items.push(problem);
  }
  get full(): boolean {
    return this.items.length >= MAX_FILE_PROBLEMS;
  }
  throwIfAny(path: string, what: string): void {
    if (this.items.length === 0) return;
    const heading = `${path}: invalid ${what}${this.full ? ` (stopped after the first ${MAX_FILE_PROBLEMS} problems)` : ''}`;
    throw new ConfigError(this.items, heading);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON.stringify, cut short for error messages. */
export function preview(value: unknown, maxChars = 40): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}
