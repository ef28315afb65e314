/**
 * Writes mlperf_log_summary.txt and mlperf_log_detail.txt into --out, next to
 * result.json, from the same collector and the same LoadGen settings that
 * result.json's validity came from.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsCollector } from '../metrics/collector.js';
import type { LoadgenResults } from '../metrics/validity.js';
import type { LoadgenSettings } from '../scenario/user-conf.js';
import { loadgenResultsFor } from '../metrics/judge.js';
import type { ResultJson } from '../metrics/types.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { Schedule } from '../schedule/schedule.js';
import { renderMlperfSummary } from './mlperf-summary.js';
import { renderMlperfDetail } from './mlperf-detail.js';
import { TOKBENCH_VERSION } from '../version.js';

export interface MlperfFilesInput {
  result: ResultJson;
  scenario: ResolvedScenario;
  sizing: Schedule['sizing'];
  collector: MetricsCollector;
}

export function writeMlperfLogs(outDir: string, input: MlperfFilesInput): void {
  const { result, scenario, collector } = input;
  const { settings, results: measured } = loadgenResultsFor({
    collector,
    scenario,
    sizing: input.sizing,
    samples: result.scenario.samples,
    summary: result.summary,
    interrupted: result.interrupted,
    datasetSize: result.scenario.datasetSize,
  });
  const results = result.interrupted ? interruptedResults(measured) : measured;
  const sutName = result.endpoints.length === 1 ? `tokbench→${result.endpoints[0]!.model || result.endpoints[0]!.url}` : `tokbench→${result.endpoints.length} endpoints`;
  const logInput = { sutName, settings, results };
  writeFileSync(join(outDir, 'mlperf_log_summary.txt'), renderMlperfSummary(logInput));
  writeFileSync(
    join(outDir, 'mlperf_log_detail.txt'),
    renderMlperfDetail({
      ...logInput,
      tokbenchVersion: TOKBENCH_VERSION,
      startedAt: new Date(result.startedAt),
      qslTotalCount: result.scenario.datasetSize,
      qslPerformanceCount: result.scenario.datasetSize,
      generated: {
        queryCount: settings.effective.scenario === 'Offline' ? 1 : result.scenario.samples,
        samplesPerQuery: settings.effective.scenario === 'Offline' ? result.scenario.samples : 1,
        queryDurationNs: generatedQueryDurationNs(settings, input.sizing),
      },
    }),
  );
}

/**
 * LoadGen has no notion of a stopped run, so it would call a partial one VALID
 * on its figures; tokbench's result.json says it is not, and the logs must agree.
 */
function interruptedResults(r: LoadgenResults): LoadgenResults {
  const reason = 'The run was interrupted before its schedule finished: its figures cover only part of it.';
  const v = r.verdict;
  return {
    ...r,
    verdict: {
      ...v,
      valid: false,
      summaryRecommendations: [...v.summaryRecommendations, ` * ${reason}`],
      invalidReason: v.invalidReason === null ? reason : `${v.invalidReason} ${reason}`,
    },
  };
}

/**
 * generated_query_duration as LoadGen logs it (loadgen.cc GenerateQueries):
 * the timeline's end after its last generated query. Offline generates one
 * query at t = 0 and then steps 1/QPS (its fixed period), so it logs 1/QPS;
 * Server logs the last arrival plus one more inter-arrival gap.
 */
export function generatedQueryDurationNs(settings: LoadgenSettings, sizing: Schedule['sizing']): number {
  if (settings.effective.scenario === 'Offline') {
    const qps = settings.effective.targetQps;
    return qps > 0 ? Math.floor(1e9 / qps) : 0;
  }
  return (sizing.generatedDurationUs ?? sizing.lastScheduledUs) * 1000;
}
