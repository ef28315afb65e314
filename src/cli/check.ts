/**
 * `tokbench check RESULT.json --assert EXPR ...`: the CI gate on a saved result.
 * Verdicts are those a run with the same `--assert` would have given, because
 * both evaluate the same fields of result.json (metrics/thresholds.ts).
 *
 * Exit codes (DESIGN.md §4): 0 every assertion passed; 1 an assertion failed;
 * 2 a bad expression, a missing or unreadable file.
 *
 * Convention: commands never set process.exitCode (only bin/ does). `runCheck`
 * returns the code; the Command hands it to the `setExitCode` callback.
 */
import { Command } from 'commander';
import { Chalk } from 'chalk';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { makeDirs } from '../run/outputs.js';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, ExitCode, TokbenchError } from '../errors.js';
import type { ResultJson } from '../metrics/types.js';
import {
  describeOutcome,
  endpointSelectorProblems,
  evaluateThreshold,
  formatMetricValue,
  parseThresholds,
  type ThresholdOutcome,
} from '../metrics/thresholds.js';
import { renderJunit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import type { CliIo } from './io.js';

export interface CheckArgs {
  /** result.json, or the --out directory holding it */
  result: string;
  /** assertions; none: re-check the thresholds stored in the result */
  assert: string[];
  /** write JUnit XML here */
  junit?: string;
  /** write a Markdown summary here (appended when it is $GITHUB_STEP_SUMMARY) */
  markdown?: string;
  /** print verdicts as JSON on stdout instead of a table */
  json?: boolean;
  /** false: no colour even on a terminal */
  color?: boolean;
}

export async function runCheck(args: CheckArgs, io: CliIo): Promise<number> {
  try {
    const { path, result } = await readResultFile(args.result, io);
    const fromResult = args.assert.length === 0;
    const exprs = fromResult ? result.thresholds.map((t) => t.expr) : args.assert;
    if (exprs.length === 0) {
      throw new ConfigError(
        { where: path, message: 'nothing to check: no --assert given and the result stores no thresholds', hint: "add --assert, e.g. --assert 'output_tokens_per_sec >= 1k' --assert 'ttft.p99 <= 2s'" },
        'usage',
      );
    }
    const where = fromResult ? `${path} thresholds` : '--assert';
    const thresholds = parseThresholds(exprs, where);
    const selectorProblems = endpointSelectorProblems(thresholds, result.perEndpoint, where);
    if (selectorProblems.length > 0) throw new ConfigError(selectorProblems, 'invalid threshold');

    const outcomes = thresholds.map((t) => evaluateThreshold(t, result));
    const checked: ResultJson = { ...result, thresholds: outcomes.map((o) => o.verdict) };
    const passed = outcomes.every((o) => o.verdict.passed);

    if (result.interrupted) io.stderr.write(`tokbench: warning: ${path} is from an interrupted run; its figures cover a partial run\n`);
    if (args.junit !== undefined) await writeReportFile(args.junit, renderJunit(checked), io);
    if (args.markdown !== undefined) await writeReportFile(args.markdown, renderMarkdown(checked), io);

    if (args.json === true) {
      const verdicts = outcomes.map((o) => ({ ...o.verdict, detail: describeOutcome(o) }));
      io.stdout.write(`${JSON.stringify({ file: path, passed, verdicts }, null, 2)}\n`);
    } else {
      io.stdout.write(renderVerdicts(outcomes, colorEnabled(io, args.color)));
    }
    if (!passed) {
      const failed = outcomes.filter((o) => !o.verdict.passed);
      io.stderr.write(`tokbench: error: ${failed.length} of ${outcomes.length} assertion(s) failed: ${failed.map((o) => o.verdict.expr).join('; ')}\n`);
      return ExitCode.assertionFailed;
    }
    return ExitCode.ok;
  } catch (err) {
    return reportError(err, io);
  }
}

function renderVerdicts(outcomes: ThresholdOutcome[], color: boolean): string {
  const k = new Chalk({ level: color ? 1 : 0 });
  const width = Math.max(...outcomes.map((o) => o.verdict.expr.length));
  const lines = outcomes.map((o) => {
    const mark = o.verdict.passed ? k.green('✓') : k.red('✗');
    const def = o.threshold.ref.def;
    const actual = o.verdict.passed ? k.dim(formatMetricValue(o.verdict.actual, def)) : k.red(describeOutcome(o));
    return `${mark} ${o.verdict.expr.padEnd(width)}  ${actual}`;
  });
  const failed = outcomes.filter((o) => !o.verdict.passed).length;
  lines.push(failed === 0 ? k.green(`${outcomes.length} assertion(s) passed`) : k.red.bold(`${failed} of ${outcomes.length} assertion(s) failed`));
  return `${lines.join('\n')}\n`;
}

export function checkCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('check')
    .description('evaluate assertions on a saved result.json (a CI gate); exit 1 when one fails')
    .argument('<result>', 'result.json of a run, or its --out directory')
    .option('--assert <expr>', "assertion, repeatable: 'output_tokens_per_sec >= 95k', 'ttft.p99 <= 2s', 'valid' (default: the result's own thresholds)", collect, [])
    .option('--junit <file>', 'write JUnit XML (one testcase per assertion and validity check)')
    .option('--markdown <file>', 'write a Markdown summary (appended when it is $GITHUB_STEP_SUMMARY)')
    .option('--json', 'print verdicts as JSON')
    .option('--no-color', 'no colour')
    .addHelpText('after', '\nGrammar, metrics and CI recipes: docs/ci.md')
    .action(async (result: string, opts: { assert: string[]; junit?: string; markdown?: string; json?: boolean; color: boolean }) => {
      setExitCode(await runCheck({ result, ...opts }, io));
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

// ---------------------------------------------------------------------------
// Shared by check and compare

/**
 * Read a result.json (or DIR/result.json). Every failure is a ConfigError
 * naming the file: missing, unreadable, not JSON, not a tokbench result, or
 * written with a schema this version does not read.
 */
export async function readResultFile(file: string, io: Pick<CliIo, 'cwd'>): Promise<{ path: string; result: ResultJson }> {
  let path = resolve(io.cwd, file);
  // Name the file as the user wrote it, so the message matches their command line.
  let shownPath = file;
  try {
    if ((await stat(path)).isDirectory()) {
      path = join(path, 'result.json');
      shownPath = join(file, 'result.json');
    }
  } catch {
    // reported by readFile below
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      {
        where: shownPath,
        message: code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`,
        hint: code === 'ENOENT' ? 'pass the result.json written by `tokbench run --out DIR`, or DIR itself' : 'check the permissions',
      },
      'cannot read result',
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      { where: shownPath, message: `not valid JSON (${(err as Error).message})`, hint: 'was the run interrupted while writing it? re-run, or use `tokbench report --from requests.jsonl`' },
      'cannot read result',
    );
  }
  const problem = resultShapeProblem(data);
  if (problem !== null) throw new ConfigError({ where: shownPath, ...problem }, 'cannot read result');
  return { path: shownPath, result: data as ResultJson };
}

/** The few fields every reader here relies on; a deep schema check belongs to the writer. */
function resultShapeProblem(data: unknown): { message: string; hint: string } | null {
  const hint = 'pass the result.json written by `tokbench run --out DIR`';
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { message: 'not a tokbench result (not a JSON object)', hint };
  const r = data as Record<string, unknown>;
  if (!('schemaVersion' in r)) return { message: 'not a tokbench result (no schemaVersion)', hint };
  if (r.schemaVersion !== 1) {
    return typeof r.schemaVersion === 'number' && r.schemaVersion > 1
      ? { message: `schemaVersion ${r.schemaVersion} is newer than this tokbench reads (1)`, hint: 'upgrade tokbench: npm install -D tokbench@latest' }
      : { message: `unknown schemaVersion ${JSON.stringify(r.schemaVersion)}`, hint };
  }
  const summary = r.summary as Record<string, unknown> | undefined;
  if (typeof summary !== 'object' || summary === null || typeof summary.latency !== 'object') return { message: 'not a tokbench result (no summary.latency)', hint };
  if (typeof r.validity !== 'object' || r.validity === null) return { message: 'not a tokbench result (no validity)', hint };
  if (!Array.isArray(r.perEndpoint) || !Array.isArray(r.thresholds) || !Array.isArray(r.endpoints)) {
    return { message: 'not a tokbench result (perEndpoint, thresholds or endpoints missing)', hint };
  }
  return null;
}

/**
 * Write a report file, creating its directory. $GITHUB_STEP_SUMMARY is
 * appended to, not replaced: several commands in one step share it.
 */
export async function writeReportFile(file: string, content: string, io: Pick<CliIo, 'cwd' | 'env'>): Promise<void> {
  const path = resolve(io.cwd, file);
  const summary = io.env.GITHUB_STEP_SUMMARY;
  try {
    makeDirs(dirname(path));
    if (summary !== undefined && summary !== '' && resolve(io.cwd, summary) === path) await appendFile(path, content);
    else await writeFile(path, content);
  } catch (err) {
    throw new ConfigError(
      { where: file, message: `cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`, hint: 'check that the directory is writable' },
      'cannot write report',
    );
  }
}

/** Colour only on a terminal, never with NO_COLOR (no-color.org) or --no-color; FORCE_COLOR forces it. */
export function colorEnabled(io: Pick<CliIo, 'env' | 'stdoutIsTTY'>, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0' && io.env.FORCE_COLOR !== 'false') return true;
  return io.stdoutIsTTY;
}

/** Print a typed error with its hint and return its exit code; anything else is a bug and propagates. */
export function reportError(err: unknown, io: Pick<CliIo, 'stderr'>): number {
  if (err instanceof ConfigError) {
    // The message already carries the hint(s) (formatProblems).
    io.stderr.write(`tokbench: error: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof TokbenchError) {
    const hint = err.hint !== undefined && !err.message.includes(err.hint) ? `  hint: ${err.hint}\n` : '';
    io.stderr.write(`tokbench: error: ${err.message}\n${hint}`);
    return err.exitCode;
  }
  throw err;
}
