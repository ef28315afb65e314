/**
 * `tokbench merge`: the shards of one distributed run (each a `--shard i/N`
 * client's --out directory) made into the result one client would have
 * written. Pure: the CLI reads the files and writes the output.
 *
 * How (docs/cluster.md "Merging"):
 * - The shards must be one run: same tokbench version, scenario, seeds and
 *   shard count, each index 0..N-1 exactly once. Anything else is refused
 *   (ConfigError, exit 2) with every problem named at once.
 * - One timeline: each shard recorded where its t = 0 lies on the wall clock
 *   (result.json `clock.t0EpochUs`: the --start-at time when given, so shards
 *   started together share t = 0 exactly). The merged t = 0 is the earliest;
 *   each shard's record times are shifted by its offset. Latencies do not move
 *   (they are differences of one shard's own times).
 * - Histograms and counters are added (HDR histograms add exactly, bucket by
 *   bucket), so the merged percentiles are those of the union of the requests.
 * - Everything that needs per-request values (MLPerf validity and early
 *   stopping, per-endpoint and per-label figures, the time series and steady
 *   state, the throughput window, the MLPerf logs) is recomputed from the union
 *   of the shards' requests.jsonl, as a single client's collector would have it.
 *   Throughput divides by the union's window: t = 0 to the completion of the
 *   last-issued query (Server) or to the last completion (Offline), on the
 *   merged timeline.
 * - Endpoints are the union of the shards' endpoints (by URL and model), so
 *   shards may drive different nodes; record endpoint indices are remapped.
 */
import { ConfigError, type Problem } from '../errors.js';
import type { RequestRecord } from '../records/record.js';
import type { RunInfo } from '../records/run-info.js';
import type { ResolvedScenario, EndpointSpec } from '../scenario/types.js';
import { buildResultJson, decodeHistograms } from '../report/result-json.js';
import { MetricsCollector } from './collector.js';
import { createHistogramSet, HISTOGRAM_KEYS, type HistogramSet } from './histogram.js';
import { judgeValidity } from './judge.js';
import { goodRequestRows, summarize, summaryFromHistograms, type EndpointIdentity } from './summary.js';
import { DEFAULT_CONFIDENCE } from './intervals.js';
import { summaryIntervals } from './summary-intervals.js';
import { evaluateThresholds } from './thresholds.js';
import { addScaleOutFigures } from './scale-out.js';
import type { MergedShard, ResultJson, Summary } from './types.js';

export interface ShardInput {
  /** the shard's --out directory, as given (for messages and `mergedFrom`) */
  dir: string;
  result: ResultJson;
  info: RunInfo;
  /** every line of its requests.jsonl, warm-up included */
  records: RequestRecord[];
}

export interface MergeOptions {
  /** extra thresholds (merge --assert), evaluated after the scenario's own */
  asserts?: readonly string[];
  baseline?: { result: ResultJson; file: string } | null;
  tokbenchVersion: string;
  /** confidence of summary.intervals; default: the shards' own, else 0.95 */
  confidence?: number;
  /** notes for the user (a shard without a clock, tags that disagree) */
  warn?: (message: string) => void;
}

export interface MergeOutput {
  result: ResultJson;
  /** the merged run's run.json (what `report --from OUT/requests.jsonl` needs) */
  info: RunInfo;
  scenario: ResolvedScenario;
  /** the union of the records on the merged timeline with merged endpoint indices, in completion order */
  records: RequestRecord[];
  /** filled with the union of the records (for the MLPerf logs) */
  collector: MetricsCollector;
}

/** a shard whose t = 0 is this close to its --start-at started on time */
const START_AT_TOLERANCE_US = 2_000;

/** Fields of the resolved scenario every shard of one run must share. */
const SCENARIO_FIELDS: readonly string[] = [
  'benchmark',
  'scenario',
  'load',
  'run.mode',
  'run.minDurationMs',
  'run.maxDurationMs',
  'run.minQueryCount',
  'run.samples',
  'run.equalIssue',
  'dataset.source',
  'dataset.size',
  'dataset.tokenizer',
  'dataset.inputTokens',
  'dataset.outputTokens',
  'request.api',
  'request.maxTokens',
  'request.ignoreEos',
  'request.temperature',
  'request.stream',
  'request.promptFormat',
  'constraints',
];

function get(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const MERGE_HEADING = 'these results cannot be merged into one run';

const shardLabel = (s: ShardInput): string => `shard ${s.result.shard!.index} (${s.dir})`;

/** Every field one run's shards must share, compared against the first shard. */
function checkShardsAgree(shards: readonly ShardInput[], problems: Problem[]): void {
  const ref = shards[0]!;
  const differ = (what: string, value: (s: ShardInput) => unknown, hint: string) => {
    const first = value(ref);
    const odd = shards.filter((s) => show(value(s)) !== show(first));
    if (odd.length > 0) {
      problems.push({
        where: what,
        message: `the shards disagree: ${show(first)} in ${shardLabel(ref)} but ${odd.map((s) => `${show(value(s))} in ${shardLabel(s)}`).join(', ')}`,
        hint,
      });
    }
  };
  differ('tokbenchVersion', (s) => s.result.tokbenchVersion, 'run every shard with the same tokbench version');
  differ('scenario', (s) => `${s.result.scenario.benchmark}/${s.result.scenario.scenario}`, 'merge shards of one scenario only');
  for (const f of SCENARIO_FIELDS) {
    if (f === 'benchmark' || f === 'scenario') continue;
    differ(`scenario ${f}`, (s) => get(s.info.scenario, f), 'every shard must run the same scenario with the same flags (only --shard and --out may differ)');
  }
  differ('seeds', (s) => s.result.scenario.seeds, 'give every shard the same --seed (or none): the shards split one seeded schedule');
  differ('dataset size', (s) => s.result.scenario.datasetSize, 'every shard must load the same dataset');
  differ('schedule sizing', (s) => s.info.sizing, 'every shard must build the same schedule');
  differ('shard count', (s) => s.result.shard!.count, 'every shard of one run has the same N in --shard i/N (or the same SLURM_NTASKS / --shard-count)');
}

/** Each index 0..count-1 given exactly once. */
function checkShardIndices(shards: readonly ShardInput[], count: number, problems: Problem[]): void {
  const byIndex = new Map<number, ShardInput[]>();
  for (const s of shards) {
    const i = s.result.shard!.index;
    byIndex.set(i, [...(byIndex.get(i) ?? []), s]);
  }
  for (const [i, list] of [...byIndex].sort((a, b) => a[0] - b[0])) {
    if (list.length > 1) problems.push({ where: `shard ${i}`, message: `is given ${list.length} times: ${list.map((s) => s.dir).join(', ')}`, hint: 'give each shard\'s directory once' });
  }
  if (shards.every((s) => s.result.shard!.count === count)) {
    const missing: number[] = [];
    for (let i = 0; i < count; i++) if (!byIndex.has(i)) missing.push(i);
    if (missing.length > 0) {
      problems.push({
        where: `shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count}`,
        message: `missing (${byIndex.size} of ${count} shards given)`,
        hint: 'every shard of the run must be merged (a missing shard would drop its share of the schedule); find its --out directory',
      });
    }
  }
}

/** Each shard's records must be its share of the schedule, each query once. */
function checkShardRecords(shards: readonly ShardInput[], problems: Problem[]): void {
  const seen = new Map<number, number>();
  for (const s of shards) {
    const { index, count: n } = s.result.shard!;
    let measured = 0;
    let foreign = 0;
    for (const r of s.records) {
      if (r.warmup) continue;
      measured++;
      if (n > 0 && r.seq % n !== index) foreign++;
      const prev = seen.get(r.seq);
      if (prev !== undefined && prev !== index) {
        problems.push({ where: `${s.dir}/requests.jsonl`, message: `query ${r.seq} was also issued by shard ${prev}`, hint: 'the shards did not split one schedule' });
      } else if (prev !== undefined) {
        problems.push({ where: `${s.dir}/requests.jsonl`, message: `query ${r.seq} is recorded twice`, hint: 'the file was appended to by two runs; use one run per --out directory' });
      }
      seen.set(r.seq, index);
    }
    if (foreign > 0) problems.push({ where: `${s.dir}/requests.jsonl`, message: `${foreign} records are not shard ${index}'s queries (seq mod ${n} != ${index})`, hint: 'the records do not belong to this shard' });
    const counted = s.result.summary.completed + s.result.summary.failed;
    if (measured !== counted) {
      problems.push({
        where: `${s.dir}/requests.jsonl`,
        message: `holds ${measured} measured records but result.json counts ${counted} completed + failed`,
        hint: 'the records and the result are of different runs, or requests.jsonl was cut short',
      });
    }
  }
}

/** Checks that the shards form one complete run; throws a ConfigError naming every problem. */
export function checkShardSet(shards: readonly ShardInput[]): { count: number } {
  const problems: Problem[] = [];
  if (shards.length === 0) {
    throw new ConfigError({ where: 'tokbench merge', message: 'no shard given', hint: 'give the --out directories of the shards, or a directory holding them' }, MERGE_HEADING);
  }
  const notShards = shards.filter((s) => s.result.shard === null);
  for (const s of notShards) {
    problems.push({ where: s.dir, message: 'is not a shard (it was run without --shard)', hint: 'merge takes the results of `tokbench run --shard i/N` (or --shard auto under srun or an Indexed Job)' });
  }
  if (notShards.length > 0) throw new ConfigError(problems, MERGE_HEADING);

  checkShardsAgree(shards, problems);
  const count = shards[0]!.result.shard!.count;
  checkShardIndices(shards, count, problems);
  checkShardRecords(shards, problems);
  if (problems.length > 0) throw new ConfigError(problems, MERGE_HEADING);
  return { count };
}

function endpointKey(e: { url: string; model: string }): string {
  return `${e.url}\u0000${e.model}`;
}

interface Timeline {
  /** the merged t = 0, epoch µs: the earliest shard's */
  t0: number;
  /** each shard's t = 0 after the merged one, µs, in shard order */
  offsets: number[];
  /** the --start-at every shard shared, else null */
  sharedStartAt: number | null;
}

/** One timeline: where each shard's t = 0 lies after the earliest. */
function alignTimelines(shards: readonly ShardInput[], warn: (message: string) => void): Timeline {
  const t0s = shards.map((s) => {
    const c = s.result.clock;
    // Started on time at --start-at: t = 0 is that instant (the measured value differs by clock-reading noise).
    if (c && c.startAtEpochUs !== null && Math.abs(c.t0EpochUs - c.startAtEpochUs) < START_AT_TOLERANCE_US) return c.startAtEpochUs;
    if (c) return c.t0EpochUs;
    warn(`${s.dir}: result.json has no clock (older tokbench); aligned by its startedAt, to the millisecond at best`);
    return Date.parse(s.result.startedAt) * 1000;
  });
  const t0 = Math.min(...t0s);
  const offsets = t0s.map((t) => Math.round(t - t0));
  const startAts = new Set(shards.map((s) => s.result.clock?.startAtEpochUs ?? null));
  const sharedStartAt = startAts.size === 1 ? [...startAts][0]! : null;
  if (sharedStartAt === null && shards.length > 1) {
    const spreadMs = (Math.max(...offsets) - Math.min(...offsets)) / 1000;
    warn(`the shards were not started with one --start-at; aligned by their wall clocks (start spread ${spreadMs.toFixed(1)} ms)`);
  }
  return { t0, offsets, sharedStartAt };
}

/** The union of the shards' endpoints by url and model, and each shard's index remap into it. */
function unionEndpoints(shards: readonly ShardInput[]): { union: EndpointIdentity[]; remaps: number[][] } {
  const union: EndpointIdentity[] = [];
  const indexOf = new Map<string, number>();
  const remaps = shards.map((s) =>
    s.result.endpoints.map((e) => {
      const key = endpointKey(e);
      let i = indexOf.get(key);
      if (i === undefined) {
        i = union.length;
        indexOf.set(key, i);
        union.push({ url: e.url, model: e.model, labels: { ...e.labels } });
      }
      return i;
    }),
  );
  return { union, remaps };
}

/** The records on the merged timeline with merged endpoint indices, in completion order. */
function shiftRecords(shards: readonly ShardInput[], offsets: readonly number[], remaps: readonly number[][]): RequestRecord[] {
  const records: RequestRecord[] = [];
  shards.forEach((s, k) => {
    const off = offsets[k]!;
    const remap = remaps[k]!;
    for (const r of s.records) {
      records.push({
        ...r,
        endpoint: remap[r.endpoint] ?? r.endpoint,
        scheduledUs: Number.isFinite(r.scheduledUs) ? r.scheduledUs + off : r.scheduledUs,
        issuedUs: r.issuedUs + off,
        firstTokenUs: r.firstTokenUs === null ? null : r.firstTokenUs + off,
        completedUs: r.completedUs + off,
      });
    }
  });
  records.sort((a, b) => a.completedUs - b.completedUs || a.seq - b.seq);
  return records;
}

/** The first shard's scenario driving the union of endpoints, with merge --assert added. */
function mergedScenario(ref: ShardInput, union: readonly EndpointIdentity[], asserts: readonly string[]): ResolvedScenario {
  const scenario: ResolvedScenario = structuredClone(ref.info.scenario);
  scenario.endpoints = union.map((e): EndpointSpec => ({ url: e.url, model: e.model || null, labels: { ...e.labels } }));
  const thresholds = [...scenario.thresholds];
  for (const a of asserts) if (!thresholds.includes(a)) thresholds.push(a);
  scenario.thresholds = thresholds;
  return scenario;
}

/** The shards' histograms, added bucket by bucket. */
function addHistograms(shards: readonly ShardInput[]): HistogramSet {
  const histograms: HistogramSet = createHistogramSet();
  for (const s of shards) {
    const h = decodeHistograms(s.result.histograms, `${s.dir}/result.json`);
    for (const k of HISTOGRAM_KEYS) histograms[k].add(h[k]);
  }
  return histograms;
}

/** Counters added across shards; percentiles from the added histograms; window and steady state from the union. */
function mergedSummary(
  shards: readonly ShardInput[],
  histograms: HistogramSet,
  collector: MetricsCollector,
  scenario: ResolvedScenario,
  summarized: ReturnType<typeof summarize>,
  confidence: number,
): Summary {
  const sum = (f: (x: Summary) => number) => shards.reduce((a, s) => a + f(s.result.summary), 0);
  const addMaps = (f: (x: Summary) => Partial<Record<string, number>>) => {
    const out: Record<string, number> = {};
    for (const s of shards) for (const [k, v] of Object.entries(f(s.result.summary) ?? {})) out[k] = (out[k] ?? 0) + (v ?? 0);
    return out;
  };
  const goodputs = shards.map((s) => s.result.summary.goodputCompleted);
  const core = summaryFromHistograms(histograms, {
    issued: sum((x) => x.issued),
    completed: sum((x) => x.completed),
    failed: sum((x) => x.failed),
    inputTokens: sum((x) => x.inputTokens),
    outputTokens: sum((x) => x.outputTokens),
    partialOutputTokens: sum((x) => x.partialOutputTokens),
    retries: sum((x) => (x as { retries?: number }).retries ?? 0),
    notStreamed: sum((x) => x.notStreamed ?? 0),
    durationMs: summarized.summary.durationMs,
    throughputWindow: summarized.summary.throughputWindow,
    goodputCompleted: goodputs.every((g) => g === null) ? null : goodputs.reduce<number>((a, g) => a + (g ?? 0), 0),
    errors: addMaps((x) => x.errors),
    tokenCountSources: addMaps((x) => x.tokenCountSources),
    chunkTokenSources: addMaps((x) => x.chunkTokenSources),
  });
  // Intervals from the merged inputs: the union's per-request columns and the added histograms.
  const intervals = summaryIntervals({
    histograms,
    columns: collector.completedColumns(),
    good: goodRequestRows(collector, scenario.constraints),
    steadyState: summarized.summary.steadyState,
    headline: core,
    confidence,
  });
  return { ...core, steadyState: summarized.summary.steadyState, intervals };
}

/** The shards' tags; the first shard's value wins where they differ (with a warning). */
function mergedTags(shards: readonly ShardInput[], warn: (message: string) => void): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const s of shards) {
    for (const [k, v] of Object.entries(s.result.tags ?? {})) {
      if (tags[k] === undefined) tags[k] = v;
      else if (tags[k] !== v) warn(`tag ${k} differs between shards (${JSON.stringify(tags[k])} and ${JSON.stringify(v)} in ${s.dir}); kept the first`);
    }
  }
  return tags;
}

function mergedFromRows(shards: readonly ShardInput[], count: number, offsets: readonly number[]): MergedShard[] {
  return shards.map((s, k): MergedShard => ({
    index: s.result.shard!.index,
    count,
    dir: s.dir,
    hostname: s.result.client?.hostname ?? null,
    offsetUs: offsets[k]!,
    issued: s.result.summary.issued,
    completed: s.result.summary.completed,
    failed: s.result.summary.failed,
    outputTokensPerSecond: s.result.summary.outputTokensPerSecond,
  }));
}

export function mergeShards(input: readonly ShardInput[], opts: MergeOptions): MergeOutput {
  const { count } = checkShardSet(input);
  const warn = opts.warn ?? (() => undefined);
  const shards = [...input].sort((a, b) => a.result.shard!.index - b.result.shard!.index);
  const ref = shards[0]!;

  const { t0, offsets, sharedStartAt } = alignTimelines(shards, warn);
  const { union, remaps } = unionEndpoints(shards);
  const records = shiftRecords(shards, offsets, remaps);
  const collector = new MetricsCollector(union.length);
  for (const r of records) collector.record(r);

  const scenario = mergedScenario(ref, union, opts.asserts ?? []);
  const thresholds = scenario.thresholds;
  const samples = shards.reduce((a, s) => a + s.result.scenario.samples, 0);
  const interrupted = shards.some((s) => s.result.interrupted);

  const histograms = addHistograms(shards);
  const confidence = opts.confidence ?? ref.result.summary.intervals?.confidence ?? DEFAULT_CONFIDENCE;
  const summarized = summarize(collector, scenario, { endpoints: union, confidence });
  const summary = mergedSummary(shards, histograms, collector, scenario, summarized, confidence);

  const validity = judgeValidity({
    collector,
    scenario,
    sizing: ref.info.sizing,
    samples,
    summary,
    interrupted,
    datasetSize: ref.result.scenario.datasetSize,
  });

  const tags = mergedTags(shards, warn);
  const startedAt = shards.map((s) => s.result.startedAt).sort()[0]!;
  const finishedAt = shards.map((s) => s.result.finishedAt).sort().at(-1)!;

  const result = buildResultJson({
    tokbenchVersion: ref.result.tokbenchVersion,
    startedAt,
    finishedAt,
    interrupted,
    simulated: shards.some((s) => s.result.simulated),
    scenario,
    samples,
    datasetSize: ref.result.scenario.datasetSize,
    endpoints: union,
    shard: null,
    summary,
    perEndpoint: summarized.perEndpoint,
    validity,
    thresholds: [],
    histograms,
    timeSeries: summarized.timeSeries,
    tags,
  });
  const system = shards.find((s) => s.result.system !== undefined)?.result.system ?? null;
  addScaleOutFigures(result, {
    collector,
    identities: union,
    constraints: scenario.constraints,
    baseline: opts.baseline ?? null,
    system,
    clock: { t0EpochUs: t0, startAtEpochUs: sharedStartAt },
  });
  result.mergedFrom = mergedFromRows(shards, count, offsets);
  result.thresholds = evaluateThresholds(thresholds, result);

  const info: RunInfo = {
    ...ref.info,
    startedAt,
    scenario,
    endpoints: union.map((e) => ({ url: e.url, model: e.model, labels: { ...e.labels } })),
    samples,
    shard: null,
    tags,
  };
  (info as RunInfo & { clock?: unknown }).clock = result.clock;
  return { result, info, scenario, records, collector };
}
