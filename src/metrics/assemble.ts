/**
 * From a filled collector to a finished result: summary, validity, thresholds.
 * Shared by `run` (at the end of a run) and `report --from` (rebuilding a run
 * from its requests.jsonl), so both give the same figures for the same records.
 */
import type { MetricsCollector } from './collector.js';
import { summarize, type EndpointIdentity } from './summary.js';
import { judgeValidity } from './judge.js';
import { evaluateThresholds } from './thresholds.js';
import { failureGate } from './failure-gate.js';
import { buildResultJson } from '../report/result-json.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { Schedule } from '../schedule/schedule.js';
import type { ResultJson, ThresholdVerdict } from './types.js';
import { judgeClient, type ClientLoad } from './client-check.js';

export interface AssembleInput {
  collector: MetricsCollector;
  scenario: ResolvedScenario;
  sizing: Schedule['sizing'];
  samples: number;
  datasetSize: number;
  endpoints: EndpointIdentity[];
  shard: { index: number; count: number } | null;
  tokbenchVersion: string;
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  simulated: boolean;
  tags: Record<string, string>;
  /** confidence of summary.intervals (run --confidence); default 0.95 */
  confidence?: number;
  /** the client's own load during the run (absent for `report --from`: it was not measured there) */
  client?: { load: ClientLoad; connectWaits: { over: number; requests: number } };
}

export function assembleResult(input: AssembleInput): ResultJson {
  const { collector, scenario } = input;
  const summarized = summarize(collector, scenario, {
    endpoints: input.endpoints,
    ...(input.confidence === undefined ? {} : { confidence: input.confidence }),
  });
  const validity = judgeValidity({
    collector,
    scenario,
    sizing: input.sizing,
    samples: input.samples,
    summary: summarized.summary,
    interrupted: input.interrupted,
  });
  const result = buildResultJson({
    tokbenchVersion: input.tokbenchVersion,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    interrupted: input.interrupted,
    simulated: input.simulated,
    scenario,
    samples: input.samples,
    datasetSize: input.datasetSize,
    endpoints: input.endpoints,
    shard: input.shard,
    summary: summarized.summary,
    perEndpoint: summarized.perEndpoint,
    validity,
    thresholds: [],
    histograms: summarized.histograms,
    timeSeries: summarized.timeSeries,
    tags: input.tags,
  });
  if (input.client !== undefined) {
    const check = judgeClient({
      load: input.client.load,
      timedArrivals: scenario.load.pattern === 'poisson',
      issueDelayP99Ms: summarized.summary.latency.issueDelayMs?.p99 ?? null,
      connectWaits: input.client.connectWaits,
    });
    result.client = check;
    // Said where a reader of the validity verdict looks, too (terminal, MLPerf summary, JUnit, HTML).
    for (const reason of check.clientBoundReasons) result.validity.recommendations.push(`The client limited this run (clientBound): ${reason}.`);
  }
  return { ...result, thresholds: judgeThresholds(scenario.thresholds, result) };
}

/**
 * The run's verdicts: the user's thresholds, and the default failure gate
 * (failure-gate.ts) unless the run was interrupted. Judged again once telemetry,
 * scale-out and accuracy figures are attached (run/finish.ts), so one rule decides both times.
 */
export function judgeThresholds(exprs: readonly string[], result: ResultJson): ThresholdVerdict[] {
  const thresholds = evaluateThresholds(exprs, result);
  const gate = result.interrupted ? null : failureGate(exprs, result.summary.failed);
  return gate === null ? thresholds : [...thresholds, gate];
}
