/**
 * `tokbench merge` on real shards: three clients each run their `--shard i/3`
 * of one seeded Server schedule against one simulator, started together with
 * --start-at; the merge must equal what one client would have issued, its
 * percentiles must be those of the union of the shards' records, and a shard
 * set that is not one complete run must be refused with exit 2 naming the problem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';
import { runMain, tempDir } from '../helpers/cli.js';
import { MetricsCollector } from '../../src/metrics/collector.js';
import { latencySet } from '../../src/metrics/histogram.js';
import { latencyIntervals } from '../../src/metrics/summary-intervals.js';
import { decodeHistograms } from '../../src/report/result-json.js';
import type { ResultJson } from '../../src/metrics/types.js';
import type { RequestRecord } from '../../src/records/record.js';

const SAMPLES = 90;
const COMMON = ['llama2-70b/server', '--samples', String(SAMPLES), '--target-qps', '40', '--seed', '5', '--quiet'];

let sim: SimulatorHandle;
let root: string;
let reference: ResultJson;
let merged: ResultJson;
let mergeOut: { code: number | null; stdout: string; stderr: string };

const readResult = (dir: string) => JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ResultJson;
const readJsonl = (dir: string) =>
  readFileSync(join(dir, 'requests.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RequestRecord);

async function run(args: string[], out: string) {
  const r = await runMain(['run', ...args, '--endpoint', sim.url, '--out', out]);
  if (r.code !== 0) throw new Error(`run exited ${r.code}: ${r.stderr}`);
  return readResult(out);
}

beforeAll(async () => {
  sim = await startSimulator({ profile: 'tiny', seed: 1 });
  root = tempDir('tokbench-merge-');
  reference = await run(COMMON, join(root, 'single'));
  const startAt = String(Math.floor(Date.now() / 1000) + 3);
  await Promise.all([0, 1, 2].map((i) => run([...COMMON, '--shard', `${i}/3`, '--start-at', startAt], join(root, 'shards', `shard-${i}`))));
  mergeOut = await runMain(['merge', join(root, 'shards'), '-o', join(root, 'merged')]);
  merged = readResult(join(root, 'merged'));
}, 60_000);
afterAll(async () => {
  await sim?.close();
});

describe('merging the shards of one run', () => {
  it('issues what one client would: the same count, every query exactly once', () => {
    expect(mergeOut.code, mergeOut.stderr).toBe(0);
    expect(merged.shard).toBeNull();
    expect(merged.scenario.samples).toBe(SAMPLES);
    expect(merged.summary.completed).toBe(reference.summary.completed);
    expect(merged.summary.issued).toBe(reference.summary.issued);
    const seqs = readJsonl(join(root, 'merged')).filter((r) => !r.warmup).map((r) => r.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: SAMPLES }, (_, i) => i));
    expect(merged.mergedFrom?.map((s) => s.index)).toEqual([0, 1, 2]);
    // started by one --start-at: one t = 0, no offsets
    expect(merged.mergedFrom?.every((s) => s.offsetUs === 0)).toBe(true);
    expect(merged.clock?.t0EpochUs).toBe(merged.clock?.startAtEpochUs);
  });

  it('has the percentiles of the union of the shards\' requests.jsonl', () => {
    const collector = new MetricsCollector(1);
    for (const i of [0, 1, 2]) for (const r of readJsonl(join(root, 'shards', `shard-${i}`))) collector.record(r);
    const union = latencySet(collector.histograms());
    expect(merged.summary.latency).toEqual(union);
    expect(latencySet(decodeHistograms(merged.histograms, 'merged'))).toEqual(union);
    expect(merged.perEndpoint[0]!.latency).toEqual(union);
    expect(merged.summary.outputTokens).toBe(collector.counters().outputTokens);
  });

  it('takes throughput over the union of the windows, and rebuilds from its own records', async () => {
    const records = readJsonl(join(root, 'merged')).filter((r) => !r.warmup);
    const lastIssued = records.reduce((a, b) => (b.seq > a.seq ? b : a));
    expect(merged.summary.throughputWindow).toBe('lastIssuedCompletion');
    expect(merged.summary.durationMs).toBeCloseTo(lastIssued.completedUs / 1000, 6);
    expect(merged.summary.outputTokensPerSecond).toBeCloseTo((merged.summary.outputTokens * 1000) / merged.summary.durationMs, 6);
    const rebuilt = await runMain(['report', '--from', join(root, 'merged', 'requests.jsonl'), '--format', 'json']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const r = JSON.parse(rebuilt.stdout) as ResultJson;
    expect(r.summary.latency).toEqual(merged.summary.latency);
    expect(r.summary.durationMs).toBe(merged.summary.durationMs);
    expect(r.validity).toEqual(merged.validity);
    // intervals come from the merged inputs, so the rebuild from the union's records gives the same
    expect(r.summary.intervals).toEqual(merged.summary.intervals);
  });

  it('carries the intervals of the union of the shards\' requests (issue 16)', () => {
    const collector = new MetricsCollector(1);
    for (const i of [0, 1, 2]) for (const r of readJsonl(join(root, 'shards', `shard-${i}`))) collector.record(r);
    expect(merged.summary.intervals?.confidence).toBe(0.95);
    expect(merged.summary.intervals?.latency).toEqual(latencyIntervals(collector.histograms(), 0.95));
    expect(merged.summary.intervals?.outputTokensPerSecond.value).toBe(merged.summary.outputTokensPerSecond);
  });

  it('recomputes validity and thresholds, and writes the MLPerf logs', async () => {
    expect(merged.validity.checks.length).toBeGreaterThan(0);
    const summaryLog = readFileSync(join(root, 'merged', 'mlperf_log_summary.txt'), 'utf8');
    expect(summaryLog).toContain('Scenario : Server');
    expect(summaryLog).toMatch(/Completed tokens per second\s*: [\d.]+/);
    const out = join(root, 'merged-assert');
    const r = await runMain(['merge', join(root, 'shards'), '-o', out, '--assert', 'completed >= 1', '--assert', 'completed > 1000000', '--quiet']);
    expect(r.code).toBe(1);
    const withAsserts = readResult(out);
    expect(withAsserts.thresholds.map((t) => [t.expr, t.passed])).toEqual([
      ['completed >= 1', true],
      ['completed > 1000000', false],
    ]);
  });
});

it('can merge again into a directory beside the shards (it is passed over when searching)', async () => {
  const dir = tempDir('tokbench-remerge-');
  cpSync(join(root, 'shards'), join(dir, 'run'), { recursive: true });
  for (let i = 0; i < 2; i++) {
    const r = await runMain(['merge', join(dir, 'run'), '-o', join(dir, 'run', 'merged')]);
    expect(r.code, r.stderr).toBe(0);
  }
  expect(readResult(join(dir, 'run', 'merged')).summary.latency).toEqual(merged.summary.latency);
});

describe('refusing what is not one complete run (exit 2, naming the problem)', () => {
  const shard = (i: number) => join(root, 'shards', `shard-${i}`);
  /** a copy of shard i with result.json and run.json edited */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- edited as loose JSON on purpose
  const altered = (i: number, edit: (r: Record<string, any>, info: Record<string, any>) => void) => {
    const dir = join(tempDir('tokbench-alt-'), `shard-${i}`);
    cpSync(shard(i), dir, { recursive: true });
    const r = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
    const info = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    edit(r, info);
    writeFileSync(join(dir, 'result.json'), JSON.stringify(r));
    writeFileSync(join(dir, 'run.json'), JSON.stringify(info));
    return dir;
  };
  const merge = async (dirs: string[]) => {
    const r = await runMain(['merge', ...dirs, '-o', join(tempDir(), 'out')]);
    return { code: r.code, err: r.stderr };
  };

  it('a missing shard', async () => {
    const r = await merge([shard(0), shard(2)]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/shard 1 of 3: missing \(2 of 3 shards given\)/);
  });

  it('a duplicated shard', async () => {
    const r = await merge([shard(0), shard(1), shard(2), altered(1, () => undefined)]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/shard 1: is given 2 times/);
  });

  it('different seeds', async () => {
    const r = await merge([shard(0), shard(1), altered(2, (res, info) => {
      res.scenario.seeds.schedule = '6';
      info.scenario.seeds.schedule = '6';
    })]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/seeds: the shards disagree/);
    expect(r.err).toContain('"schedule":"6"');
  });

  it('different tokbench versions', async () => {
    const r = await merge([shard(0), shard(1), altered(2, (res) => (res.tokbenchVersion = '9.9.9'))]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/tokbenchVersion: the shards disagree: "[^"]+" in shard 0 .* but "9.9.9" in shard 2/);
  });

  it('different scenarios and load', async () => {
    const r = await merge([shard(0), shard(1), altered(2, (res, info) => {
      res.scenario.scenario = 'interactive';
      info.scenario.load.targetQps = 80;
    })]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('llama2-70b/interactive');
    expect(r.err).toMatch(/scenario load: the shards disagree/);
  });

  it('different shard counts', async () => {
    const r = await merge([shard(0), shard(1), altered(2, (res, info) => {
      res.shard.count = 4;
      info.shard.count = 4;
    })]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/shard count: the shards disagree: 3 in shard 0 .* but 4 in shard 2/);
  });

  it('a result that is not a shard, and records that do not match their result', async () => {
    const single = await merge([join(root, 'single')]);
    expect(single.code).toBe(2);
    expect(single.err).toContain('is not a shard');
    const dir = join(tempDir('tokbench-cut-'), 'shard-1');
    cpSync(shard(1), dir, { recursive: true });
    const lines = readFileSync(join(dir, 'requests.jsonl'), 'utf8').trim().split('\n');
    writeFileSync(join(dir, 'requests.jsonl'), lines.slice(1).join('\n') + '\n');
    const cut = await merge([shard(0), dir, shard(2)]);
    expect(cut.code).toBe(2);
    expect(cut.err).toMatch(/holds \d+ measured records but result.json counts \d+/);
  });
});

describe('shards started without --start-at', () => {
  it('are aligned by their recorded wall-clock t = 0', async () => {
    const dir = tempDir('tokbench-offline-');
    const args = ['llama2-70b/offline', '--samples', '40', '--seed', '2', '--quiet'];
    const a = await run([...args, '--shard', '0/2'], join(dir, 'a'));
    const b = await run([...args, '--shard', '1/2'], join(dir, 'b'));
    const r = await runMain(['merge', join(dir, 'a'), join(dir, 'b'), '-o', join(dir, 'm')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('not started with one --start-at');
    const m = readResult(join(dir, 'm'));
    expect(m.summary.completed).toBe(40);
    const offset = b.clock!.t0EpochUs - a.clock!.t0EpochUs;
    expect(offset).toBeGreaterThan(0);
    expect(m.mergedFrom!.map((s) => s.offsetUs)).toEqual([0, offset]);
    // Offline: t = 0 (shard a's start) to the last completion (shard b's, shifted by its offset)
    expect(m.summary.durationMs).toBeCloseTo((offset + b.summary.durationMs * 1000) / 1000, 0);
  });
});
