/**
 * `tokbench compare BASE.json NEW.json`: flag regressions against a baseline
 * beyond a tolerance (exit 1) only when the confidence interval of the change
 * lies wholly beyond it. `tokbench compare --reproduce A.json B.json ...`:
 * check several runs of one setup agree within a tolerance (exit 1 if not).
 * Exit 2 on bad flags or unreadable files. The command never sets
 * process.exitCode; `runCompare` returns the code (see cli/check.ts).
 */
import { Command } from 'commander';
import { basename, dirname } from 'node:path';
import { ConfigError, ExitCode, type Problem } from '../errors.js';
import { parseConfidence } from './confidence.js';
import {
  compareResults,
  renderComparison,
  renderComparisonMarkdown,
  renderReproduce,
  renderReproduceMarkdown,
  reproduce,
} from '../report/compare.js';
import { colorEnabled, readResultFile, reportError, writeReportFile } from './check.js';
import type { CliIo } from './io.js';

/** Used when --tolerance is not given: above typical run-to-run noise of throughput on a quiet server. */
export const DEFAULT_TOLERANCE_PCT = 5;

export interface CompareArgs {
  /** BASE NEW, or with reproduce: two or more results */
  results: string[];
  reproduce?: boolean;
  /** `4%` or `4` (both percent); default DEFAULT_TOLERANCE_PCT */
  tolerance?: string;
  /** --reproduce: how close the runs must be (`4%`); --tolerance is accepted for it too */
  within?: string;
  /** of the change intervals: `95%` (default), `0.99` */
  confidence?: string;
  /** metric references, comma-separated or repeated; each may carry its own tolerance: `ttft.p99:10%` */
  metrics?: string[];
  json?: boolean;
  markdown?: string;
  color?: boolean;
}

export async function runCompare(args: CompareArgs, io: CliIo): Promise<number> {
  try {
    if (args.within !== undefined && args.reproduce !== true) {
      throw new ConfigError({ where: '--within', message: 'applies to --reproduce only', hint: 'for a baseline comparison use --tolerance' }, 'usage');
    }
    const toleranceText = args.within ?? args.tolerance;
    const tolerancePct = toleranceText === undefined ? DEFAULT_TOLERANCE_PCT : parseTolerance(toleranceText, args.within !== undefined ? '--within' : '--tolerance');
    const problems: Problem[] = [];
    const confidence = parseConfidence(args.confidence, '--confidence', problems);
    if (problems.length > 0) throw new ConfigError(problems, 'usage');
    const metrics = args.metrics === undefined || args.metrics.length === 0 ? undefined : args.metrics.flatMap(splitMetricList);
    const color = colorEnabled(io, args.color);

    if (args.reproduce === true) {
      if (args.results.length < 2) {
        throw new ConfigError({ where: '--reproduce', message: `needs at least 2 results (got ${args.results.length})`, hint: 'tokbench compare --reproduce run1/result.json run2/result.json run3/result.json' }, 'usage');
      }
      const loaded = await readAll(args.results, io);
      const r = reproduce(loaded.map((l) => l.result), tolerancePct, {
        ...(metrics === undefined ? {} : { metrics }),
        ...(confidence === undefined ? {} : { confidence }),
        labels: labelsFor(loaded.map((l) => l.path)),
      });
      if (args.markdown !== undefined) await writeReportFile(args.markdown, renderReproduceMarkdown(r), io);
      io.stdout.write(args.json === true ? `${JSON.stringify(r, null, 2)}\n` : renderReproduce(r, { color }));
      return r.passed ? ExitCode.ok : ExitCode.assertionFailed;
    }

    if (args.results.length !== 2) {
      throw new ConfigError(
        { where: 'arguments', message: `compare takes a baseline and a new result (got ${args.results.length} file(s))`, hint: 'tokbench compare BASE.json NEW.json; for several runs of one setup: tokbench compare --reproduce A.json B.json C.json' },
        'usage',
      );
    }
    const [base, next] = await readAll(args.results, io);
    const [baseLabel, nextLabel] = labelsFor([base!.path, next!.path]);
    const c = compareResults(base!.result, next!.result, {
      tolerancePct,
      ...(metrics === undefined ? {} : { metrics }),
      ...(confidence === undefined ? {} : { confidence }),
      baseLabel: baseLabel!,
      nextLabel: nextLabel!,
    });
    if (args.markdown !== undefined) await writeReportFile(args.markdown, renderComparisonMarkdown(c), io);
    io.stdout.write(args.json === true ? `${JSON.stringify(c, null, 2)}\n` : renderComparison(c, { color }));
    return c.passed ? ExitCode.ok : ExitCode.assertionFailed;
  } catch (err) {
    return reportError(err, io);
  }
}

/** Read every file before failing, so all unreadable ones are named at once. */
async function readAll(files: readonly string[], io: CliIo) {
  const settled = await Promise.allSettled(files.map((f) => readResultFile(f, io)));
  const problems = settled.flatMap((s) => (s.status === 'rejected' ? (s.reason instanceof ConfigError ? s.reason.problems : [] ) : []));
  const other = settled.find((s) => s.status === 'rejected' && !(s.reason instanceof ConfigError));
  if (other !== undefined) throw (other as PromiseRejectedResult).reason;
  if (problems.length > 0) throw new ConfigError(problems, 'cannot read result');
  return settled.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof readResultFile>>>).value);
}

/** `4%`, `4` and `0.5%` are percentages. */
export function parseTolerance(text: string, where = '--tolerance'): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%?\s*$/.exec(text);
  if (m === null) {
    throw new ConfigError({ where, message: `'${text}' is not a percentage`, hint: `for example ${where} 4% (a bare number is also read as percent)` }, 'usage');
  }
  return Number(m[1]);
}

/** Split `a,b` on commas outside `[...]`, so endpoint selectors stay whole. */
export function splitMetricList(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Column labels: `out/base/result.json` reads best as `out/base`; full paths
 * when shortening would make two labels equal.
 */
function labelsFor(paths: readonly string[]): string[] {
  const short = paths.map((p) => (basename(p) === 'result.json' && dirname(p) !== '.' ? dirname(p) : p));
  return new Set(short).size === short.length ? short : [...paths];
}

export function compareCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('compare')
    .description('compare a result with a baseline (exit 1 on a regression), or check several runs agree (--reproduce)')
    .argument('<results...>', 'BASE.json NEW.json, or with --reproduce two or more results (files or --out directories)')
    .option('--tolerance <pct>', `allowed change in the worse direction, e.g. 4% (default ${DEFAULT_TOLERANCE_PCT}%)`)
    .option('--metrics <list>', 'metrics to compare, comma-separated, each optionally with its own tolerance: output_tokens_per_sec,ttft.p99:10%', collect, [])
    .option('--reproduce', 'check several runs (of one setup, or one benchmark on several --system descriptions) reproduce each other')
    .option('--within <pct>', 'with --reproduce: the largest difference allowed between runs, e.g. 4% (default: --tolerance, else 5%)')
    .option('--confidence <level>', 'confidence of the change intervals, e.g. 95% (default) or 99%')
    .option('--markdown <file>', 'also write the table as Markdown (appended when it is $GITHUB_STEP_SUMMARY)')
    .option('--json', 'print the comparison as JSON')
    .option('--no-color', 'no colour')
    .addHelpText('after', '\nMetric names and CI recipes: docs/ci.md')
    .action(async (results: string[], opts: Omit<CompareArgs, 'results'>) => {
      setExitCode(await runCompare({ results, ...opts }, io));
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
