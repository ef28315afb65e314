/**
 * Output targets (--out, --junit, --markdown, --html, report files) are checked
 * before the first request: a run that sends its whole load and only then finds
 * it cannot write is a wasted run, and exit 2 promises nothing was sent.
 *
 * Permission bits do not answer "can I write here" (root passes every access()
 * check, /proc refuses anyway), so the check does what the run will do: it makes
 * the directories and writes and removes a probe file.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmdirSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Problem } from '../errors.js';

export interface OutputTarget {
  /** the flag or field that named it, e.g. `--junit` */
  where: string;
  /** absolute path */
  path: string;
  /** a directory the run fills (--out) or a single file */
  kind: 'dir' | 'file';
}

export function outputTarget(where: string, cwd: string, path: string, kind: OutputTarget['kind']): OutputTarget {
  return { where, path: resolve(cwd, path), kind };
}

/** Every target that cannot be written, all at once. */
export function outputTargetProblems(targets: readonly OutputTarget[]): Problem[] {
  const problems: Problem[] = [];
  for (const t of targets) {
    const message = unwritableReason(t);
    if (message !== null) problems.push({ where: `${t.where} ${t.path}`, message, hint: 'give a path in a writable directory' });
  }
  return problems;
}

function unwritableReason(t: OutputTarget): string | null {
  const self = statOrNull(t.path);
  if (t.kind === 'dir' && self !== null && !self.isDirectory()) return 'exists and is not a directory';
  if (t.kind === 'file' && self !== null && self.isDirectory()) return 'is a directory';
  const dir = t.kind === 'dir' ? t.path : dirname(t.path);
  let created: string[] = [];
  try {
    created = makeDirs(dir);
    const probe = join(dir, `.tokbench-probe-${randomBytes(6).toString('hex')}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
    return null;
  } catch (err) {
    return `cannot be written (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  } finally {
    // a run refused later (bad endpoint) leaves no empty directories behind; the run makes them again
    for (const d of created.reverse()) rmdirSync(d, { maxRetries: 0 });
  }
}

/**
 * mkdir -p one level at a time. Node's mkdir({recursive: true}) never returns
 * for a path under /proc/self (it retries ENOENT forever); this loop is bounded
 * by the path's depth and fails with the first error. Returns the directories it made.
 */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    const st = statOrNull(d);
    if (st !== null) {
      if (!st.isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
      break;
    }
    missing.push(d);
    const up = dirname(d);
    if (up === d) break;
    d = up;
  }
  const created: string[] = [];
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]!);
      created.push(missing[i]!);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return created;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
