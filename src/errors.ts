/**
 * Typed, user-facing errors. Every error that reaches the user names what was
 * wrong (a field, flag, file line or URL) and carries a hint saying how to fix it.
 * The CLI maps the class to an exit code (DESIGN.md §4); nothing below src/cli
 * calls process.exit.
 */

/** Exit codes are a public contract: CI scripts branch on them. */
export const ExitCode = {
  ok: 0,
  /** an assertion or validity check asked for by --assert failed */
  assertionFailed: 1,
  /** usage or configuration error; nothing was sent */
  usage: 2,
  /** the run failed: endpoint unreachable mid-run, every request failed */
  runFailed: 3,
  /** interrupted by a signal; a partial result was written */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One problem found in user input. */
export interface Problem {
  /** where: a field path (`load.targetQps`), a flag (`--target-qps`), `file:line`, or a URL */
  where: string;
  message: string;
  hint?: string;
}

export class TokbenchError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(message: string, opts: { exitCode: ExitCode; hint?: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode;
    this.hint = opts.hint;
  }
}

/**
 * Bad configuration or usage: exit 2, before any load is sent. Holds every
 * problem found at once, as k6's config validation does, so a user fixes a file
 * in one pass instead of one error per run.
 */
export class ConfigError extends TokbenchError {
  readonly problems: Problem[];
  constructor(problems: Problem[] | Problem, heading = 'invalid configuration') {
    const list = Array.isArray(problems) ? problems : [problems];
    super(formatProblems(heading, list), {
      exitCode: ExitCode.usage,
      ...(list.length === 1 && list[0]?.hint !== undefined ? { hint: list[0].hint } : {}),
    });
    this.problems = list;
  }
}

/** The endpoint could not be used (unreachable, TLS, auth, unknown model): exit 2, nothing was measured. */
export class EndpointError extends TokbenchError {
  readonly url: string;
  constructor(url: string, message: string, hint?: string, cause?: unknown) {
    super(`${url}: ${message}`, {
      exitCode: ExitCode.usage,
      ...(hint === undefined ? {} : { hint }),
      cause,
    });
    this.url = url;
  }
}

/** The run started but produced nothing usable (e.g. every request failed): exit 3. */
export class RunFailedError extends TokbenchError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.runFailed, ...(hint === undefined ? {} : { hint }) });
  }
}

export function formatProblems(heading: string, problems: Problem[]): string {
  if (problems.length === 1) {
    const p = problems[0]!;
    return `${heading}: ${p.where}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ''}`;
  }
  const lines = problems.map((p) => `  - ${p.where}: ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ''}`);
  return `${heading} (${problems.length} problems):\n${lines.join('\n')}`;
}

/** Levenshtein-based suggestion for unknown names (fields, flags, metrics, scenarios). */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const a = input.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(a, c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  const limit = Math.max(2, Math.floor(a.length / 3));
  return bestDistance <= limit ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
