/**
 * Writes mlperf_log_summary.txt and mlperf_log_detail.txt into --out, next to
 * result.json, from the same collector and the same LoadGen settings that
 * result.json's validity came from.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsCollector } from '../metrics/collector.js';
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
  const { settings, results } = loadgenResultsFor({
    collector,
    scenario,
    sizing: input.sizing,
    samples: result.scenario.samples,
    summary: result.summary,
    interrupted: result.interrupted,
    datasetSize: result.scenario.datasetSize,
  });
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
        queryDurationNs: input.sizing.lastScheduledUs * 1000,
      },
    }),
  );
}
