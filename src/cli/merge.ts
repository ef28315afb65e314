/**
 * `tokbench merge FILES|DIR... -o OUT`: the shards of one distributed run
 * (Slurm `srun ... --shard auto`, a Kubernetes Indexed Job) into one result.
 * Each argument is a shard's --out directory (or its result.json), or a
 * directory holding shard directories. Writes OUT/result.json, run.json,
 * requests.jsonl (the union, on the merged timeline) and the MLPerf logs.
 * The merge logic is src/metrics/merge.ts.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { Command } from 'commander';
import { ConfigError, ExitCode, type Problem } from '../errors.js';
import type { CliIo } from './io.js';
import { readRecords } from '../records/jsonl.js';
import type { RequestRecord } from '../records/record.js';
import { RUN_INFO_FILE, type RunInfo } from '../records/run-info.js';
import { parseResultJson } from '../report/result-json.js';
import { renderTerminal } from '../report/terminal.js';
import { writeMlperfLogs } from '../report/mlperf-files.js';
import { mergeShards, type ShardInput } from '../metrics/merge.js';
import { parseThresholds } from '../metrics/thresholds.js';
import { readBaselineFile } from './endpoints-file.js';
import { parseConfidence } from './confidence.js';
import { writeFileAtomic } from './run.js';
import { TOKBENCH_VERSION } from '../version.js';

interface MergeCliOptions {
  out?: string;
  assert?: string[];
  baseline?: string;
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  confidence?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function mergeCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('merge')
    .description('Merge the shards of a distributed run (--shard i/N) into one result: histograms added, validity recomputed')
    .argument('<shards...>', "shard --out directories (or their result.json), or a directory holding them")
    .option('-o, --out <dir>', 'output directory for the merged result.json, requests.jsonl and MLPerf logs')
    .option('--assert <expr>', 'threshold on the merged result (repeatable); exit 1 if one fails', collect)
    .option('--baseline <result.json>', 'single-node result: report scaling efficiency against it')
    .option('--json', 'print the merged result.json to stdout instead of the summary table')
    .option('--confidence <level>', 'confidence of the intervals, e.g. 95% (default: the shards\' own)')
    .option('-q, --quiet', 'no notes on stderr')
    .option('--no-color', 'no colours')
    .action(async (args: string[], o: MergeCliOptions) => {
      setExitCode(await executeMerge(args, o, io));
    });
}

/**
 * The shard directories named by the arguments, in order. A directory that is
 * not itself a shard is searched one level down; there, the output directory
 * and results that are not shards (an earlier merge) are passed over.
 */
export function findShardDirs(args: readonly string[], cwd: string, skip: { outDir?: string; note?: (m: string) => void } = {}): string[] {
  const problems: Problem[] = [];
  const dirs: string[] = [];
  for (const arg of args) {
    const path = resolvePath(cwd, arg);
    let st;
    try {
      st = statSync(path);
    } catch {
      problems.push({ where: arg, message: 'not found', hint: 'give the --out directory of each shard, or a directory holding them' });
      continue;
    }
    if (st.isFile()) {
      dirs.push(dirname(path));
      continue;
    }
    if (existsSync(join(path, 'result.json')) || existsSync(join(path, RUN_INFO_FILE))) {
      dirs.push(path);
      continue;
    }
    const subs = readdirSync(path, { withFileTypes: true })
      .filter((d) => d.isDirectory() && (existsSync(join(path, d.name, 'result.json')) || existsSync(join(path, d.name, RUN_INFO_FILE))))
      .map((d) => join(path, d.name))
      .filter((d) => d !== skip.outDir && !isUnshardedResult(d, skip.note))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (subs.length === 0) problems.push({ where: arg, message: 'holds no shard (no result.json in it or in its subdirectories)', hint: 'give the --out directory of each shard, or a directory holding them' });
    dirs.push(...subs);
  }
  if (problems.length > 0) throw new ConfigError(problems, 'cannot find the shards');
  return dirs;
}

/** a result.json that says it is not a shard (e.g. an earlier merge kept beside the shards) */
function isUnshardedResult(dir: string, note?: (m: string) => void): boolean {
  try {
    const r = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { shard?: unknown };
    if (r.shard === null) {
      note?.(`${dir}: not a shard (shard: null), passed over`);
      return true;
    }
  } catch {
    // unreadable or missing: readShard reports it
  }
  return false;
}

export async function readShard(dir: string, shown: string, warn: (m: string) => void): Promise<ShardInput> {
  const resultPath = join(dir, 'result.json');
  const infoPath = join(dir, RUN_INFO_FILE);
  const recordsPath = join(dir, 'requests.jsonl');
  const problems: Problem[] = [];
  if (!existsSync(resultPath)) {
    problems.push({
      where: shown,
      message: 'has no result.json: the shard did not finish',
      hint: `rebuild it from its records with \`tokbench report --from ${join(shown, 'requests.jsonl')} --format json --out ${join(shown, 'result.json')}\`, or rerun the shard`,
    });
  }
  if (!existsSync(infoPath)) problems.push({ where: shown, message: `has no ${RUN_INFO_FILE}`, hint: 'merge needs the whole --out directory of each shard' });
  if (!existsSync(recordsPath)) problems.push({ where: shown, message: 'has no requests.jsonl', hint: 'merge needs the whole --out directory of each shard' });
  if (problems.length > 0) throw new ConfigError(problems, 'cannot read a shard');
  const result = parseResultJson(readFileSync(resultPath, 'utf8'), join(shown, 'result.json'));
  let info: RunInfo;
  try {
    info = JSON.parse(readFileSync(infoPath, 'utf8')) as RunInfo;
  } catch (err) {
    throw new ConfigError({ where: join(shown, RUN_INFO_FILE), message: `not valid JSON (${(err as Error).message})` });
  }
  const { records, truncatedTail } = await readRecords(recordsPath);
  if (truncatedTail) warn(`${join(shown, 'requests.jsonl')}: the last line was cut short; it was skipped`);
  return { dir: shown, result, info, records };
}

function writeRecordsFile(path: string, records: readonly RequestRecord[]): void {
  const fd = openSync(path, 'w');
  try {
    const BATCH = 1000;
    for (let i = 0; i < records.length; i += BATCH) {
      const text = records.slice(i, i + BATCH).map((r) => JSON.stringify(r)).join('\n') + '\n';
      writeSync(fd, text);
    }
  } finally {
    closeSync(fd);
  }
}

export async function executeMerge(args: readonly string[], o: MergeCliOptions, io: CliIo): Promise<number> {
  const warn = (m: string) => {
    if (!o.quiet) io.stderr.write(`tokbench: ${m}\n`);
  };
  if (!o.out) {
    throw new ConfigError({ where: 'tokbench merge', message: 'no output directory', hint: 'give -o OUT (the merged result.json, requests.jsonl and MLPerf logs go there)' });
  }
  const asserts = o.assert ?? [];
  parseThresholds(asserts, (i) => `--assert ${JSON.stringify(asserts[i])}`);
  const baseline = o.baseline ? { result: readBaselineFile(o.baseline, io.cwd), file: o.baseline } : null;
  const outDir = resolvePath(io.cwd, o.out);
  const dirs = findShardDirs(args, io.cwd, { outDir, note: warn });
  if (dirs.includes(outDir)) {
    throw new ConfigError({ where: `-o ${o.out}`, message: 'is one of the shards', hint: 'write the merged result to a directory of its own, e.g. -o merged' });
  }
  const shards: ShardInput[] = [];
  const problems: Problem[] = [];
  const confidence = parseConfidence(o.confidence, '--confidence', problems);
  for (const dir of dirs) {
    const shown = dir.startsWith(io.cwd + '/') ? dir.slice(io.cwd.length + 1) : dir;
    try {
      shards.push(await readShard(dir, shown, warn));
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, 'cannot read the shards');

  const merged = mergeShards(shards, { asserts, baseline, tokbenchVersion: TOKBENCH_VERSION, warn, ...(confidence === undefined ? {} : { confidence }) });
  mkdirSync(outDir, { recursive: true });
  const text = JSON.stringify(merged.result, null, 2) + '\n';
  writeRecordsFile(join(outDir, 'requests.jsonl'), merged.records);
  writeFileAtomic(join(outDir, RUN_INFO_FILE), JSON.stringify(merged.info, null, 2) + '\n');
  writeFileAtomic(join(outDir, 'result.json'), text);
  writeMlperfLogs(outDir, { result: merged.result, scenario: merged.scenario, sizing: merged.info.sizing, collector: merged.collector });

  const r = merged.result;
  if (o.json) io.stdout.write(text);
  else io.stdout.write(renderTerminal(r, { color: o.color !== false && io.stdoutIsTTY && !io.env.NO_COLOR, width: 100 }));
  warn(`merged ${shards.length} shards (${r.summary.completed} completed, ${r.summary.failed} failed of ${r.scenario.samples} scheduled) into ${o.out}`);
  if (r.thresholds.some((t) => !t.passed)) return ExitCode.assertionFailed;
  return ExitCode.ok;
}
