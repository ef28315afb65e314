/**
 * Figures for runs over many endpoints: per-label groups (so a heterogeneous
 * cluster reads per hardware generation) and scaling efficiency against a
 * single-node baseline. Both are derived from the collector and the finished
 * summary, by the same code for a live run and for `tokbench merge`.
 *
 * - A label group is every endpoint carrying that label value (gpu=MI355X).
 *   Its histograms are the sum of its endpoints' histograms; its rates divide
 *   by the run's throughput window, like per-endpoint figures, so the groups of
 *   one label key add up to the run's figures when every endpoint has the key.
 * - Scaling efficiency = aggregate output tokens/s / (N × baseline tokens/s per
 *   endpoint), N the endpoints of this run. Per endpoint: its tokens/s over the
 *   baseline's; per label group: the group's over (its size × baseline).
 */
import type { MetricsCollector } from './collector.js';
import { mergeSets } from './histogram.js';
import { goodputCounts, summaryFromHistograms, type EndpointIdentity } from './summary.js';
import type { LabelSummary, ResultJson, ScalingEfficiency } from './types.js';
import type { ResolvedScenario } from '../scenario/types.js';

export function labelSummaries(
  collector: MetricsCollector,
  identities: readonly EndpointIdentity[],
  window: { durationMs: number; throughputWindow: ResultJson['summary']['throughputWindow'] },
  constraints: ResolvedScenario['constraints'],
): LabelSummary[] {
  // label key → value → endpoint indices, in order of first appearance
  const groups = new Map<string, Map<string, number[]>>();
  identities.forEach((id, i) => {
    for (const [k, v] of Object.entries(id.labels)) {
      let byValue = groups.get(k);
      if (byValue === undefined) groups.set(k, (byValue = new Map()));
      const members = byValue.get(v);
      if (members === undefined) byValue.set(v, [i]);
      else members.push(i);
    }
  });
  if (groups.size === 0) return [];
  const good = goodputCounts(collector, constraints);
  const out: LabelSummary[] = [];
  for (const [label, byValue] of groups) {
    for (const [value, members] of byValue) {
      const counters = members.map((i) => collector.counters(i));
      const total = counters.reduce((acc, c) => {
        acc.issued += c.issued;
        acc.completed += c.completed;
        acc.failed += c.failed;
        acc.inputTokens += c.inputTokens;
        acc.outputTokens += c.outputTokens;
        acc.partialOutputTokens += c.partialOutputTokens;
        acc.retries += (c as { retries?: number }).retries ?? 0;
        addCounts(acc.errors, c.errors);
        addCounts(acc.tokenCountSources, c.tokenCountSources);
        addCounts(acc.chunkTokenSources, c.chunkTokenSources);
        return acc;
      }, emptyCounters());
      const core = summaryFromHistograms(mergeSets(members.map((i) => collector.histograms(i))), {
        ...total,
        durationMs: window.durationMs,
        throughputWindow: window.throughputWindow,
        goodputCompleted: good === null ? null : members.reduce((a, i) => a + (good.byEndpoint[i] ?? 0), 0),
      });
      out.push({ label, value, endpoints: members.map((i) => identities[i]!.url), ...core });
    }
  }
  return out;
}

function emptyCounters() {
  return {
    issued: 0,
    completed: 0,
    failed: 0,
    inputTokens: 0,
    outputTokens: 0,
    partialOutputTokens: 0,
    retries: 0,
    errors: {} as Record<string, number>,
    tokenCountSources: {} as Record<string, number>,
    chunkTokenSources: {} as Record<string, number>,
  };
}

function addCounts(into: Record<string, number>, from: Partial<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + (v ?? 0);
}

/** Scaling efficiency of `result` against a single-node `baseline` result. */
export function scalingEfficiency(result: ResultJson, baseline: ResultJson, baselineFile: string): ScalingEfficiency {
  const warnings: string[] = [];
  const baseEndpoints = Math.max(1, baseline.endpoints.length);
  if (baseline.endpoints.length > 1) {
    warnings.push(`the baseline ran against ${baseline.endpoints.length} endpoints; its throughput per endpoint (aggregate / ${baseline.endpoints.length}) is used`);
  }
  const perNode = baseline.summary.outputTokensPerSecond / baseEndpoints;
  const n = Math.max(1, result.endpoints.length);
  if (baseline.scenario.benchmark !== result.scenario.benchmark || baseline.scenario.scenario !== result.scenario.scenario) {
    warnings.push(
      `the baseline is ${baseline.scenario.benchmark}/${baseline.scenario.scenario}, this run ${result.scenario.benchmark}/${result.scenario.scenario}: the efficiency compares different workloads`,
    );
  }
  if (baseline.simulated !== result.simulated) {
    warnings.push(`the baseline ran against ${baseline.simulated ? 'the simulator' : 'a real server'}, this run against ${result.simulated ? 'the simulator' : 'a real server'}`);
  }
  if (result.scenario.pattern === 'poisson' && baseline.scenario.targetQps !== null && result.scenario.targetQps !== null) {
    const baseQps = baseline.scenario.targetQps / baseEndpoints;
    const runQps = result.scenario.targetQps / n;
    if (Math.abs(runQps - baseQps) > 0.05 * baseQps) {
      warnings.push(
        `the baseline offered ${round(baseQps)} QPS per endpoint, this run ${round(runQps)}: a Server run's throughput follows the offered load, so scale --target-qps with the endpoint count (${round(baseQps * n)} for ${n})`,
      );
    }
  }
  if (!baseline.validity.valid) warnings.push('the baseline run is not MLPerf-valid');
  const eff = (tps: number, nodes: number) => (perNode > 0 && nodes > 0 ? tps / (nodes * perNode) : 0);
  return {
    baselineFile,
    baselineOutputTokensPerSecond: perNode,
    endpoints: n,
    efficiency: eff(result.summary.outputTokensPerSecond, n),
    perEndpoint: result.perEndpoint.map((e) => ({ url: e.url, outputTokensPerSecond: e.outputTokensPerSecond, efficiency: eff(e.outputTokensPerSecond, 1) })),
    perLabel: (result.perLabel ?? []).map((g) => ({
      label: g.label,
      value: g.value,
      endpoints: g.endpoints.length,
      outputTokensPerSecond: g.outputTokensPerSecond,
      efficiency: eff(g.outputTokensPerSecond, g.endpoints.length),
    })),
    warnings,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export interface ScaleOutExtras {
  collector: MetricsCollector;
  identities: readonly EndpointIdentity[];
  constraints: ResolvedScenario['constraints'];
  baseline?: { result: ResultJson; file: string } | null;
  system?: Record<string, unknown> | null;
  clock?: ResultJson['clock'];
  client?: ResultJson['client'];
}

/** Adds perLabel, scaling, system, clock and client to a finished result (in place; returns it). */
export function addScaleOutFigures(result: ResultJson, x: ScaleOutExtras): ResultJson {
  const groups = labelSummaries(x.collector, x.identities, result.summary, x.constraints);
  if (groups.length > 0) result.perLabel = groups;
  if (x.baseline) result.scaling = scalingEfficiency(result, x.baseline.result, x.baseline.file);
  if (x.system) result.system = x.system;
  if (x.clock) result.clock = x.clock;
  // keep the self-check assembleResult put there
  if (x.client) result.client = { ...result.client, ...x.client };
  return result;
}
