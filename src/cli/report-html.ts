/**
 * `tokbench report FILE... --format html [-o OUT]`: reads results (and at most
 * one find-peak result), names each run after its file, renders one page and
 * writes it. The I/O goes through the CliIo the command passes in.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { ConfigError, ExitCode } from '../errors.js';
import type { CliIo } from './io.js';
import type { FindPeakResult, ResultJson } from '../metrics/types.js';
import { parseResultJson } from '../report/result-json.js';
import { isFindPeakResult, renderHtml, type HtmlRun } from '../report/html.js';
import { writeReportFile } from './check.js';
import { readRecords } from '../records/jsonl.js';
import { RequestSampler } from '../telemetry/request-sample.js';

/** A short, unique label per file: the directory of a result.json, else the file name without .json. */
export function runLabels(paths: readonly string[]): string[] {
  const base = paths.map((p) => {
    const name = basename(p);
    if (/^result\.json$/i.test(name)) return basename(dirname(resolvePath(p))) || name;
    return name.replace(/\.json$/i, '');
  });
  return base.map((b, i) => (base.indexOf(b) !== i || base.lastIndexOf(b) !== i ? `${b} (${i + 1})` : b));
}

export async function renderReportFiles(paths: readonly string[], output: string | undefined, io: CliIo, preloaded?: ResultJson): Promise<number> {
  const runs: HtmlRun[] = [];
  let findPeak: FindPeakResult | null = null;
  let findPeakLabel = '';
  if (preloaded) runs.push({ label: 'run', result: preloaded });
  if (paths.length === 0 && !preloaded) {
    throw new ConfigError({ where: 'tokbench report', message: 'nothing to report', hint: 'give a result.json (several overlay; a find-peak result plots its curve)' });
  }
  const labels = runLabels(paths);
  for (const [i, p] of paths.entries()) {
    let text: string;
    try {
      text = readFileSync(resolvePath(io.cwd, p), 'utf8');
    } catch (err) {
      throw new ConfigError({ where: p, message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, hint: 'give the result.json of a run (in its --out directory)' });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (isFindPeakResult(json)) {
      if (findPeak !== null) throw new ConfigError({ where: p, message: 'a second find-peak result', hint: 'give one find-peak result per report' });
      findPeak = json;
      findPeakLabel = labels[i]!;
      continue;
    }
    const result = parseResultJson(text, p);
    await sampleFromRecords(result, resolvePath(io.cwd, p));
    runs.push({ label: labels[i]!, result });
  }
  const html = renderHtml(runs, { findPeak, findPeakLabel });
  if (output !== undefined) await writeReportFile(output, html, io);
  else io.stdout.write(html);
  return ExitCode.ok;
}

/**
 * A result written before requestSample existed (or rebuilt without it) gets
 * its TTFT-against-scheduled-time points from the requests.jsonl beside it.
 */
async function sampleFromRecords(result: ResultJson, resultPath: string): Promise<void> {
  if (result.requestSample !== undefined) return;
  const records = join(dirname(resultPath), 'requests.jsonl');
  if (!existsSync(records)) return;
  const sampler = new RequestSampler();
  try {
    await readRecords(records, (rec) => sampler.add(rec));
  } catch {
    return; // the plot is left out; the rest of the report stands
  }
  if (sampler.toJson().seen > 0) result.requestSample = sampler.toJson();
}
