/**
 * The schedule, computed up front as data and seeded, like LoadGen's
 * GenerateQueries: which sample each query sends and when. A run is then only
 * the execution of this plan, so two runs with one seed issue the same queries
 * at the same offsets, and N shards together issue exactly what one client would.
 */
import { Rng } from '../util/rng.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { loadgenSettingsFromScenario } from '../scenario/user-conf.js';
import { shareOf } from '../util/split.js';

export interface Schedule {
  pattern: ResolvedScenario['load']['pattern'];
  /** number of measured queries in this schedule (after sharding) */
  length: number;
  /** global query number (the same across shards) */
  seq: Uint32Array;
  sampleIndex: Uint32Array;
  /**
   * µs from the run's start. Offline: 0. Closed loop: NaN, meaning "when a
   * slot frees" (the query's latency then counts from its issue).
   */
  scheduledAtUs: Float64Array;
  /** requests in flight at most; null = unbounded */
  maxConcurrency: number | null;
  /** queries of the whole (unsharded) schedule */
  totalQueries: number;
  /** how the count was chosen, for the result and the MLPerf detail log */
  sizing: {
    rule: 'explicit' | 'offline' | 'server' | 'closed';
    /** LoadGen's samples_per_query before equal-issue padding (Offline) */
    requestedQueries: number;
    /** number of dataset-sized blocks issued (equal issue) */
    blocks: number;
    /** scheduled time of the last query, µs (Server) */
    lastScheduledUs: number;
    /**
     * LoadGen's generated_query_duration (Server): the timeline's end after its
     * last query, i.e. the last scheduled time plus one more inter-arrival gap
     * (GenerateQueries adds a gap after each query it makes). Absent in older
     * run.json files; 0 for schedules without times.
     */
    generatedDurationUs?: number;
  };
  shard: { index: number; count: number } | null;
}

export interface BuildScheduleInput {
  scenario: ResolvedScenario;
  /** number of distinct samples loaded (LoadGen's loaded set size) */
  librarySize: number;
}

export function buildSchedule({ scenario, librarySize }: BuildScheduleInput): Schedule {
  const { load, run, seeds } = scenario;
  if (librarySize < 1) throw new RangeError('buildSchedule needs at least one sample');
  const explicit = run.samples;

  if (load.pattern === 'poisson') {
    const qps = load.targetQps;
    if (qps === null || !(qps > 0)) throw new RangeError('a Poisson schedule needs targetQps > 0');
    return poissonSchedule(scenario, librarySize, qps);
  }

  let requested: number;
  let rule: Schedule['sizing']['rule'];
  if (explicit !== null) {
    requested = explicit;
    rule = 'explicit';
  } else {
    // LoadGen's samples_per_query, the very number the MLPerf logs and validity
    // judge the run by (computing it twice, in two float orders, gave 1000 vs 1001)
    requested = Math.max(1, loadgenSettingsFromScenario(scenario).effective.samplesPerQuery);
    rule = load.pattern === 'closed' ? 'closed' : 'offline';
  }
  // Equal issue pads to a whole multiple of the dataset (LoadGen
  // sample_concatenate_permutation); an explicit --samples is taken literally.
  const count = rule !== 'explicit' && run.equalIssue ? Math.ceil(requested / librarySize) * librarySize : requested;
  const sampleIndex = sampleOrder(count, librarySize, seeds.sampleIndex, rule !== 'explicit' && run.equalIssue);
  const scheduledAtUs = new Float64Array(count);
  if (load.pattern === 'closed') scheduledAtUs.fill(Number.NaN);
  return {
    pattern: load.pattern,
    length: count,
    seq: iota(count),
    sampleIndex,
    scheduledAtUs,
    maxConcurrency: load.maxConcurrency,
    totalQueries: count,
    sizing: { rule, requestedQueries: requested, blocks: Math.ceil(count / librarySize), lastScheduledUs: 0, generatedDurationUs: 0 },
    shard: null,
  };
}

function poissonSchedule(scenario: ResolvedScenario, librarySize: number, qps: number): Schedule {
  const { run, seeds, load } = scenario;
  const rng = new Rng(seeds.schedule);
  const explicit = run.samples;
  const minDurationUs = run.minDurationMs * 1000;
  // vLLM's burstiness: gamma inter-arrivals with shape k and mean 1/qps; k = 1 is Poisson.
  const gap = arrivalGap(rng, qps, load.burstiness);

  const times: number[] = [];
  let t = 0;
  const push = () => {
    t += gap();
    times.push(Math.round(t));
  };
  let rule: Schedule['sizing']['rule'];
  let requested: number;
  if (explicit !== null) {
    rule = 'explicit';
    requested = explicit;
    while (times.length < explicit) push();
  } else {
    rule = 'server';
    // Enough arrivals to cover min_duration and min_query_count, padded to a
    // whole multiple of the dataset; if the timeline is still short, another
    // whole multiple (LoadGen GenerateQueries, equal-issue mode).
    requested = Math.max(run.minQueryCount, Math.ceil((qps * run.minDurationMs) / 1000), 1);
    const block = run.equalIssue ? librarySize : 1;
    let target = Math.ceil(requested / block) * block;
    for (;;) {
      while (times.length < target) push();
      if (times[times.length - 1]! >= minDurationUs && times.length >= run.minQueryCount) break;
      target += block;
    }
  }
  const count = times.length;
  // drawn last, so the times above are what they were without it
  const generatedDurationUs = Math.round(t + gap());
  const sampleIndex = sampleOrder(count, librarySize, seeds.sampleIndex, rule !== 'explicit' && run.equalIssue);
  return {
    pattern: 'poisson',
    length: count,
    seq: iota(count),
    sampleIndex,
    scheduledAtUs: Float64Array.from(times),
    maxConcurrency: load.maxConcurrency,
    totalQueries: count,
    sizing: { rule, requestedQueries: requested, blocks: Math.ceil(count / librarySize), lastScheduledUs: times[count - 1] ?? 0, generatedDurationUs },
    shard: null,
  };
}

/** Inter-arrival gaps (µs) at `qps`: vLLM's burstiness, gamma with shape k and mean 1/qps; k = 1 is Poisson. */
function arrivalGap(rng: Rng, qps: number, shape: number): () => number {
  return shape === 1 ? () => rng.exponential(qps) * 1e6 : () => rng.gamma(shape, 1 / (qps * shape)) * 1e6;
}

/** Rng stream of shard i's own arrival process (stream 0 is the unsharded schedule's). */
const SHARD_ARRIVAL_STREAM = 0x5a4d;

/**
 * Shard i of N of a run spread over N clients (--shard i/N): the same queries as
 * shardSchedule (seq ≡ i mod N, the same samples, so merge finds the set
 * complete), but a Poisson (or gamma) schedule's times are the shard's own
 * arrival process at qps/N, drawn from the shard's own seeded stream. Taking
 * every N-th arrival of one Poisson process would give each node Erlang-N
 * gaps (coefficient of variation 1/√N): smoother than Poisson, and optimistic
 * tails. N independent Poisson processes at qps/N are each Poisson and
 * together Poisson at qps. Offline and closed-loop schedules have no times.
 */
export function shardScheduleForNode(s: Schedule, index: number, count: number, scenario: ResolvedScenario): Schedule {
  const sh = shardSchedule(s, index, count);
  if (s.pattern !== 'poisson' || count === 1) return sh;
  const qps = scenario.load.targetQps;
  if (qps === null || !(qps > 0)) throw new RangeError('a Poisson schedule needs targetQps > 0');
  const gap = arrivalGap(new Rng(scenario.seeds.schedule, SHARD_ARRIVAL_STREAM + index), qps / count, scenario.load.burstiness);
  let t = 0;
  for (let k = 0; k < sh.length; k++) {
    t += gap();
    sh.scheduledAtUs[k] = Math.round(t);
  }
  return sh;
}

/**
 * Which sample each query sends. Each block of `librarySize` queries is a fresh
 * seeded shuffle of the whole library, so every sample is sent equally often
 * (equal issue) and no block repeats the last one's order. Without equal issue
 * the same block-shuffle is used and the tail block is cut short.
 */
function sampleOrder(count: number, librarySize: number, seed: string, _equalIssue: boolean): Uint32Array {
  const out = new Uint32Array(count);
  const block = new Uint32Array(librarySize);
  for (let b = 0, offset = 0; offset < count; b++, offset += librarySize) {
    for (let i = 0; i < librarySize; i++) block[i] = i;
    new Rng(seed, b).shuffle(block);
    out.set(block.subarray(0, Math.min(librarySize, count - offset)), offset);
  }
  return out;
}

function iota(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/**
 * Shard i of N takes every N-th query of the one schedule (seq ≡ i mod N), keeping
 * each query's global seq and scheduled time, so the shards' union is exactly the
 * unsharded schedule and each shard's arrivals are still Poisson at qps/N.
 * maxConcurrency is divided between shards by shareOf (10 over 4 = 3+3+2+2), the
 * rule worker threads use too, so N clients together keep the bound one client would.
 */
export function shardSchedule(s: Schedule, index: number, count: number): Schedule {
  if (!(count >= 1) || !(index >= 0 && index < count)) throw new RangeError(`bad shard ${index}/${count}`);
  if (count === 1) return { ...s, shard: { index, count } };
  const n = Math.max(0, Math.ceil((s.length - index) / count));
  const seq = new Uint32Array(n);
  const sampleIndex = new Uint32Array(n);
  const scheduledAtUs = new Float64Array(n);
  for (let k = 0, i = index; i < s.length; k++, i += count) {
    seq[k] = s.seq[i]!;
    sampleIndex[k] = s.sampleIndex[i]!;
    scheduledAtUs[k] = s.scheduledAtUs[i]!;
  }
  return {
    ...s,
    length: n,
    seq,
    sampleIndex,
    scheduledAtUs,
    maxConcurrency: s.maxConcurrency === null ? null : shareOf(s.maxConcurrency, count, index),
    shard: { index, count },
  };
}
