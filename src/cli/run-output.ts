/**
 * What `run` does around the pipeline that touches the process: signals,
 * run-info.json, the report files and the exit code. Kept apart from run.ts so
 * that file stays flags → resolve → plan → execute → write → exit code.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, RunFailedError } from '../errors.js';
import type { CliIo } from './io.js';
import type { ResultJson } from '../metrics/types.js';
import type { MetricsCollector } from '../metrics/collector.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { RunPlan } from '../run/plan.js';
import type { RunOutcome } from '../run/execute.js';
import { redactHeaders } from '../sut/openai.js';
import { TOKBENCH_VERSION } from '../version.js';
import type { RunInfo } from '../records/run-info.js';
import { writeReportFile } from './check.js';
import { renderTerminal } from '../report/terminal.js';
import { renderJunit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderHtmlReport } from '../report/html.js';
import { writeMlperfLogs } from '../report/mlperf-files.js';
import { writeFileAtomic } from './atomic.js';

/** What `tokbench report --from requests.jsonl` needs to rebuild the summary of a run that was killed. */
export function runInfoOf(plan: RunPlan, x: { simulated: boolean; tags: Record<string, string> }): RunInfo {
  const { scenario, schedule } = plan;
  return {
    tokbenchVersion: TOKBENCH_VERSION,
    startedAt: new Date().toISOString(),
    simulated: x.simulated,
    // credential headers (--header "Authorization: ...") must not land on disk
    scenario: { ...scenario, request: { ...scenario.request, headers: redactHeaders(scenario.request.headers) } },
    endpoints: plan.endpoints.map((e) => ({ url: e.url, model: e.model, labels: e.labels })),
    samples: schedule.length,
    datasetSize: plan.library.samples.length,
    shard: schedule.shard,
    sizing: plan.sizing,
    tags: x.tags,
  };
}

/** First Ctrl-C: stop issuing, grace for in-flight requests; second: abort now. */
export function interruptsFrom(io: CliIo, graceMs: number): { interrupt: AbortSignal; hardStop: AbortSignal; unsubscribe: () => void } {
  const interrupt = new AbortController();
  const hardStop = new AbortController();
  let signals = 0;
  const unsubscribe = io.onSignal((sig) => {
    signals++;
    if (signals === 1) {
      io.stderr.write(`\ntokbench: ${sig}: stopping; in-flight requests get ${graceMs / 1000}s to finish (again to abort now)\n`);
      interrupt.abort(new Error(sig));
    } else {
      io.stderr.write(`\ntokbench: ${sig}: aborting in-flight requests\n`);
      hardStop.abort(new Error(sig));
    }
  });
  return { interrupt: interrupt.signal, hardStop: hardStop.signal, unsubscribe };
}

export interface WriteOptions {
  o: { json?: boolean; junit?: string; markdown?: string; color?: boolean };
  io: CliIo;
  outDir: string;
  observe: { htmlInOut: boolean; htmlFile: string | null };
  scenario: ResolvedScenario;
  sizing: RunPlan['sizing'];
  collector: MetricsCollector;
}

/** result.json, the MLPerf logs, the report files asked for, and the summary on stdout. */
export async function writeOutputs(result: ResultJson, w: WriteOptions): Promise<void> {
  const { o, io, outDir, observe } = w;
  const resultText = JSON.stringify(result, null, 2) + '\n';
  writeFileAtomic(join(outDir, 'result.json'), resultText);
  writeMlperfLogs(outDir, { result, scenario: w.scenario, sizing: w.sizing, collector: w.collector });
  if (o.junit) await writeReportFile(o.junit, renderJunit(result), io);
  const markdown = o.markdown || io.env.GITHUB_STEP_SUMMARY ? renderMarkdown(result) : null;
  if (markdown !== null && o.markdown) await writeReportFile(o.markdown, markdown, io);
  if (markdown !== null && io.env.GITHUB_STEP_SUMMARY) appendFileSync(io.env.GITHUB_STEP_SUMMARY, markdown + '\n');
  if (observe.htmlInOut || observe.htmlFile !== null) {
    const html = renderHtmlReport(result);
    if (observe.htmlInOut) writeFileAtomic(join(outDir, 'report.html'), html);
    if (observe.htmlFile !== null) await writeReportFile(observe.htmlFile, html, io);
  }
  if (o.json) io.stdout.write(resultText);
  else io.stdout.write(renderTerminal(result, { color: o.color !== false && io.stdoutIsTTY && !io.env.NO_COLOR, width: 100 }));
}

export function exitCodeOf(result: ResultJson, outcome: RunOutcome, outDir: string): number {
  if (outcome.runner.interrupted) return ExitCode.interrupted;
  const s = result.summary;
  if (s.issued > 0 && s.completed === 0) {
    throw new RunFailedError(`every request failed (${s.failed} of ${s.issued}); first error: ${outcome.firstError ?? 'unknown'}`, 'check the server log; the per-request errors are in requests.jsonl');
  }
  if (s.issued === 0) throw new RunFailedError('no request was issued', 'the schedule was empty or the run was stopped before it began');
  // An endpoint that refused connections and never answered again went down mid-run: the figures cover only part of the run.
  if (outcome.down !== null) {
    const d = outcome.down;
    throw new RunFailedError(
      `${d.url} became unreachable mid-run: ${d.refused} requests refused, none completed after (first: ${d.first})`,
      `check that the server is still up (crash, OOM kill, restart); the partial result is in ${outDir}`,
    );
  }
  if (result.thresholds.some((v) => !v.passed)) return ExitCode.assertionFailed;
  return ExitCode.ok;
}
