/**
 * `tokbench report RESULT.json --format text|md|json|junit` renders a saved
 * result; `tokbench report --from out/requests.jsonl` rebuilds the summary of a
 * run from its records (e.g. one killed before it wrote result.json), using the
 * run.json written beside them at the start of the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, ExitCode } from '../errors.js';
import type { CliIo } from './io.js';
import { readRecords } from '../records/jsonl.js';
import { RUN_INFO_FILE, type RunInfo } from '../records/run-info.js';
import { MetricsCollector } from '../metrics/collector.js';
import { assembleResult } from '../metrics/assemble.js';
import { parseResultJson } from '../report/result-json.js';
import { renderTerminal } from '../report/terminal.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderJunit } from '../report/junit.js';
import { renderReportFiles } from './report-html.js';
import { RequestSampler } from '../telemetry/request-sample.js';
import type { ResultJson } from '../metrics/types.js';
import { TOKBENCH_VERSION } from '../version.js';
import { renderVllmJson } from '../report/vllm-json.js';
import { writeFileAtomic } from './run.js';

interface ReportOptions {
  from?: string;
  format: 'text' | 'md' | 'json' | 'junit' | 'html' | 'vllm-json';
  /** --format html: write here instead of stdout */
  output?: string;
  out?: string;
  color?: boolean;
}

export function reportCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('report')
    .description('Render a saved result.json, or rebuild one from requests.jsonl (--from)')
    .argument('[results...]', 'a result.json (with --format html: several overlay, and a find-peak result plots its curve)')
    .option('--from <requests.jsonl>', 'rebuild the summary from per-request records (run.json must be beside them)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'md', 'json', 'junit', 'html', 'vllm-json']).default('text'))
    .option('--out <file>', 'also write the rebuilt result.json here (with --from)')
    .option('-o, --output <file>', 'with --format html: write the page to this file (default: stdout)')
    .option('--no-color', 'no colours')
    .action(async (resultArgs: string[], o: ReportOptions) => {
      setExitCode(await runReport(resultArgs, o, io));
    });
}

export async function runReport(resultArgs: string | string[] | undefined, o: ReportOptions, io: CliIo): Promise<number> {
  const args = resultArgs === undefined ? [] : Array.isArray(resultArgs) ? resultArgs : [resultArgs];
  if (o.format === 'html' && o.from === undefined) return renderReportFiles(args, o.output, io);
  if (args.length > 1) {
    throw new ConfigError({ where: 'tokbench report', message: `${args.length} results given; only --format html overlays several`, hint: 'tokbench report A.json B.json --format html -o compare.html, or tokbench compare BASE.json NEW.json' });
  }
  const resultArg = args[0];
  let result: ResultJson;
  // [ecosystem] vllm-json needs the per-request records beside the result
  let recordsPath: string | null = null;
  if (o.from !== undefined) {
    recordsPath = resolvePath(io.cwd, o.from);
    result = await rebuildFromRecords(resolvePath(io.cwd, o.from), io);
    if (o.out) writeFileAtomic(resolvePath(io.cwd, o.out), JSON.stringify(result, null, 2) + '\n');
  } else if (resultArg !== undefined) {
    const path = resolvePath(io.cwd, resultArg);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError({ where: resultArg, message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, hint: 'give the result.json of a run (in its --out directory)' });
    }
    result = parseResultJson(text, resultArg);
    recordsPath = join(dirname(path), 'requests.jsonl');
  } else {
    throw new ConfigError({ where: 'tokbench report', message: 'nothing to report', hint: 'give a result.json, or --from out/requests.jsonl' });
  }
  const color = o.color !== false && io.stdoutIsTTY && !io.env.NO_COLOR;
  switch (o.format) {
    case 'json':
      io.stdout.write(JSON.stringify(result, null, 2) + '\n');
      break;
    case 'md':
      io.stdout.write(renderMarkdown(result));
      break;
    case 'junit':
      io.stdout.write(renderJunit(result));
      break;
    case 'html':
      return renderReportFiles([], o.output, io, result);
    case 'vllm-json': {
      if (recordsPath === null || !existsSync(recordsPath)) {
        throw new ConfigError({ where: recordsPath ?? 'tokbench report', message: 'no requests.jsonl beside the result', hint: 'vllm-json lists every request: give the result.json inside its --out directory, or --from out/requests.jsonl' });
      }
      const { records } = await readRecords(recordsPath);
      io.stdout.write(JSON.stringify(renderVllmJson(result, records)) + '\n');
      break;
    }
    default:
      io.stdout.write(renderTerminal(result, { color, width: 100 }));
  }
  return ExitCode.ok;
}

async function rebuildFromRecords(path: string, io: CliIo): Promise<ResultJson> {
  const infoPath = join(dirname(path), RUN_INFO_FILE);
  if (!existsSync(infoPath)) {
    throw new ConfigError({ where: infoPath, message: 'run.json not found beside the records', hint: 'give the requests.jsonl inside a tokbench --out directory (run.json is written there when a run starts)' });
  }
  const info = JSON.parse(readFileSync(infoPath, 'utf8')) as RunInfo;
  const collector = new MetricsCollector(info.endpoints.length);
  const sampler = new RequestSampler();
  let last = 0;
  const { truncatedTail } = await readRecords(path, (rec) => {
    collector.record(rec);
    sampler.add(rec);
    if (rec.completedUs > last) last = rec.completedUs;
  });
  if (truncatedTail) io.stderr.write(`tokbench: warning: ${path}: the last line was cut short (the run was killed mid-write); it was skipped\n`);
  const counters = collector.counters();
  const finished = new Date(Date.parse(info.startedAt) + last / 1000).toISOString();
  // Queries that were never recorded were in flight or not yet issued when the
  // run died; the rebuilt result counts only what finished, and says so.
  const interrupted = counters.completed + counters.failed < info.samples;
  if (interrupted) {
    io.stderr.write(`tokbench: ${counters.completed + counters.failed} of ${info.samples} scheduled queries finished before the run ended; the summary covers those\n`);
  }
  const rebuilt = assembleResult({
    collector,
    scenario: info.scenario,
    sizing: info.sizing,
    samples: info.samples,
    datasetSize: info.datasetSize,
    endpoints: info.endpoints,
    shard: info.shard,
    tokbenchVersion: TOKBENCH_VERSION,
    startedAt: info.startedAt,
    finishedAt: finished,
    interrupted,
    simulated: info.simulated,
    tags: info.tags,
  });
  rebuilt.requestSample = sampler.toJson();
  return rebuilt;
}
