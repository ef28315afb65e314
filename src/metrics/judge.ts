/**
 * The bridge from a filled collector to the MLPerf rules: exact per-request
 * latencies (ns, from the scheduled time), the LoadGen clocks, and the effective
 * LoadGen settings, fed to computeValidity / computeLoadgenResults. Shared by
 * result.json's `validity` and the mlperf_log_* files so both say the same thing.
 */
import type { MetricsCollector } from './collector.js';
import { computeLoadgenResults, computeValidity, type LoadgenResults, type LoadgenResultsInput } from './validity.js';
import { stats } from './histogram.js';
import { loadgenSettingsFromScenario, type LoadgenSettings } from '../scenario/user-conf.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { Schedule } from '../schedule/schedule.js';
import type { Summary, Validity } from './types.js';

const NS_PER_US = 1000;

export interface JudgeInput {
  collector: MetricsCollector;
  scenario: ResolvedScenario;
  sizing: Schedule['sizing'];
  /** queries in the measured schedule */
  samples: number;
  summary: Summary;
  interrupted: boolean;
  /** distinct samples loaded (QSL size) */
  datasetSize?: number;
}

export function loadgenSettingsFor(input: Pick<JudgeInput, 'scenario' | 'datasetSize'>): LoadgenSettings {
  return loadgenSettingsFromScenario(input.scenario, input.datasetSize === undefined ? {} : { qslTotalCount: input.datasetSize });
}

export function loadgenInputFor(input: JudgeInput, settings: LoadgenSettings): LoadgenResultsInput {
  const { collector, scenario } = input;
  const cols = collector.completedColumns();
  const tl = collector.timeline();
  const counters = collector.counters();
  const ttft: number[] = [];
  const tpot: number[] = [];
  const e2e = new Float64Array(cols.e2eUs.length);
  let underTwo = 0;
  for (let i = 0; i < cols.e2eUs.length; i++) {
    e2e[i] = cols.e2eUs[i]! * NS_PER_US;
    if (cols.ttftUs[i]! >= 0) ttft.push(cols.ttftUs[i]! * NS_PER_US);
    if (cols.tpotNs[i]! >= 0) tpot.push(cols.tpotNs[i]!);
    if (cols.outputTokens[i]! < 2) underTwo++;
  }
  const issueDelay = stats(collector.histograms().issueDelayUs);
  const isOffline = settings.effective.scenario === 'Offline';
  return {
    scenario: scenario.scenario,
    constraints: scenario.constraints,
    minDurationMs: settings.effective.minDurationMs,
    minQueryCount: settings.effective.minQueryCount,
    minSampleCount: settings.effective.minSampleCount,
    queriesIssued: isOffline ? (counters.issued > 0 ? 1 : 0) : counters.issued,
    sampleCount: counters.completed,
    ttftNs: Float64Array.from(ttft),
    tpotNs: Float64Array.from(tpot),
    lastCompletionNs: Math.max(0, tl.lastCompletedUs) * NS_PER_US,
    lastScheduledNs: Math.max(0, tl.lastScheduledUs) * NS_PER_US,
    issueDelayP99Ns: issueDelay === null ? null : Math.round(issueDelay.p99 * 1e6),
    targetQps: scenario.load.pattern === 'poisson' ? scenario.load.targetQps : null,
    failedQueries: counters.failed,
    failuresByKind: counters.errors,
    responsesUnderTwoTokens: underTwo,
    sampleLatenciesNs: e2e,
    tokenCount: counters.outputTokens,
    finalQueryIssuedNs: Math.max(0, tl.lastIssuedUs) * NS_PER_US,
    finalQueryAllSamplesDoneNs: Math.max(0, tl.lastIssuedCompletedUs) * NS_PER_US,
    targetLatencyNs: 0,
  };
}

export function judgeValidity(input: JudgeInput): Validity {
  const settings = loadgenSettingsFor(input);
  const v = computeValidity(loadgenInputFor(input, settings));
  const extra: Validity['checks'] = [];
  const recommendations = [...v.recommendations];
  // LoadGen has no notion of a stopped run; say plainly why it cannot count.
  if (input.interrupted) extra.push({ name: 'not_interrupted', passed: false, detail: 'the run was interrupted before its schedule finished' });
  const notStreamed = input.summary.notStreamed ?? 0;
  if (input.scenario.request.stream && notStreamed > 0) {
    // Without a stream there is no first token: its TTFT and TPOT were never measured.
    extra.push({
      name: 'responses_streamed',
      passed: false,
      detail: `${notStreamed} of ${input.summary.completed} answers came as one JSON body although stream: true was asked; they have no TTFT, TPOT or ITL`,
    });
    recommendations.push('a server or proxy answered stream: true without SSE: check for a buffering proxy (nginx proxy_buffering off) or a server without streaming support');
  }
  if (extra.length === 0) return v;
  return { valid: false, checks: [...v.checks, ...extra], recommendations };
}

export function loadgenResultsFor(input: JudgeInput): { settings: LoadgenSettings; results: LoadgenResults } {
  const settings = loadgenSettingsFor(input);
  return { settings, results: computeLoadgenResults(loadgenInputFor(input, settings)) };
}
