/**
 * Many endpoints: four simulators, one of them slowed 20x per engine step.
 * Least-outstanding balancing must send the slow one fewer requests than
 * round-robin does, and the per-endpoint and per-label figures must show why
 * (its TPOT and latency). An --endpoints-file with labels, a --baseline and a
 * --system description end up in result.json and in the terminal summary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';
import { runMain, tempDir } from '../helpers/cli.js';
import type { ResultJson } from '../../src/metrics/types.js';
import type { RequestRecord } from '../../src/records/record.js';

const SLOW = 3;
const ARGS = ['llama2-70b/offline', '--samples', '200', '--max-concurrency', '32', '--input-tokens', '64', '--output-tokens', '32', '--seed', '1', '--workers', '1', '--quiet'];

let sims: SimulatorHandle[] = [];
let dir: string;
let endpointsFile: string;

beforeAll(async () => {
  sims = await Promise.all(
    [0, 1, 2, 3].map((i) => startSimulator({ profile: 'tiny', seed: i, ...(i === SLOW ? { engine: { stepBaseUs: 20_000 } } : {}) })),
  );
  dir = tempDir('tokbench-endpoints-');
  endpointsFile = join(dir, 'cluster.yaml');
  writeFileSync(
    endpointsFile,
    sims.map((s, i) => `- url: ${s.url}\n  labels: { gpu: ${i === SLOW ? 'MI300X' : 'MI355X'}, rack: r${i % 2} }\n`).join(''),
  );
});
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

async function run(args: string[], name: string) {
  const out = join(dir, name);
  const r = await runMain(['run', ...args, '--out', out]);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
  const records = readFileSync(join(out, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
  return { result, records, stdout: r.stdout };
}

const perEndpointCounts = (records: RequestRecord[]) => {
  const n = [0, 0, 0, 0];
  for (const r of records) if (!r.warmup) n[r.endpoint]!++;
  return n;
};

describe('four endpoints, one slowed', () => {
  it('least-outstanding sends the slow one fewer requests, and the per-endpoint figures show why', async () => {
    const endpointArgs = sims.flatMap((s) => ['--endpoint', s.url]);
    const rr = await run([...ARGS, ...endpointArgs, '--balancing', 'round-robin'], 'rr');
    const lo = await run([...ARGS, ...endpointArgs, '--balancing', 'least-outstanding'], 'lo');
    const rrCounts = perEndpointCounts(rr.records);
    const loCounts = perEndpointCounts(lo.records);
    expect(rrCounts).toEqual([50, 50, 50, 50]);
    expect(loCounts.reduce((a, b) => a + b, 0)).toBe(200);
    for (let i = 0; i < 4; i++) if (i !== SLOW) expect(loCounts[SLOW]!).toBeLessThan(loCounts[i]! / 2);
    expect(loCounts[SLOW]!).toBeLessThan(rrCounts[SLOW]! / 2);

    const eps = lo.result.perEndpoint;
    expect(eps.map((e) => e.completed)).toEqual(loCounts);
    const slow = eps[SLOW]!;
    for (let i = 0; i < 4; i++) {
      if (i === SLOW) continue;
      // why: each token takes ~20x longer there, so its requests stay outstanding
      expect(slow.latency.tpotMs!.p50).toBeGreaterThan(5 * eps[i]!.latency.tpotMs!.p50);
      expect(slow.latency.e2eMs!.mean).toBeGreaterThan(eps[i]!.latency.e2eMs!.mean);
      expect(slow.outputTokensPerSecond).toBeLessThan(eps[i]!.outputTokensPerSecond);
    }
    // per-endpoint throughputs add up to the run's (one window)
    const sum = eps.reduce((a, e) => a + e.outputTokensPerSecond, 0);
    expect(sum).toBeCloseTo(lo.result.summary.outputTokensPerSecond, 6);
    // and least-outstanding finished sooner than round-robin, which waited on the slow node
    expect(lo.result.summary.durationMs).toBeLessThan(rr.result.summary.durationMs);
    expect(lo.stdout).toContain('Per endpoint');
  });

  it('an --endpoints-file with labels, a --baseline and a --system description', async () => {
    const baseline = await run([...ARGS, '--endpoint', sims[0]!.url], 'baseline');
    const system = { system_name: 'rehearsal cluster', number_of_nodes: 4, accelerators_per_node: 8, accelerator_model_name: 'simulated' };
    writeFileSync(join(dir, 'system.json'), JSON.stringify(system));
    const { result, stdout } = await run(
      [...ARGS, '--endpoints-file', endpointsFile, '--baseline', join(dir, 'baseline', 'result.json'), '--system', join(dir, 'system.json'), '--tag', 'cluster=sim'],
      'labelled',
    );
    expect(result.endpoints.map((e) => e.labels.gpu)).toEqual(['MI355X', 'MI355X', 'MI355X', 'MI300X']);
    expect(result.system).toEqual(system);
    expect(result.tags).toEqual({ cluster: 'sim' });

    // per label: each key's groups partition the endpoints and add up to the run
    const groups = result.perLabel!;
    expect(groups.map((g) => `${g.label}=${g.value}:${g.endpoints.length}`)).toEqual(['gpu=MI355X:3', 'gpu=MI300X:1', 'rack=r0:2', 'rack=r1:2']);
    for (const key of ['gpu', 'rack']) {
      const of = groups.filter((g) => g.label === key);
      expect(of.reduce((a, g) => a + g.completed, 0)).toBe(result.summary.completed);
      expect(of.reduce((a, g) => a + g.outputTokensPerSecond, 0)).toBeCloseTo(result.summary.outputTokensPerSecond, 6);
    }
    const slowGroup = groups.find((g) => g.value === 'MI300X')!;
    expect(slowGroup.completed).toBe(result.perEndpoint[SLOW]!.completed);
    expect(slowGroup.latency).toEqual(result.perEndpoint[SLOW]!.latency);

    // scaling efficiency = aggregate / (N x baseline), per endpoint and per label too
    const sc = result.scaling!;
    const base = baseline.result.summary.outputTokensPerSecond;
    expect(sc.baselineOutputTokensPerSecond).toBe(base);
    expect(sc.endpoints).toBe(4);
    expect(sc.efficiency).toBeCloseTo(result.summary.outputTokensPerSecond / (4 * base), 9);
    expect(sc.perEndpoint[SLOW]!.efficiency).toBeCloseTo(result.perEndpoint[SLOW]!.outputTokensPerSecond / base, 9);
    expect(sc.perLabel.find((g) => g.value === 'MI355X')!.efficiency).toBeCloseTo(groups[0]!.outputTokensPerSecond / (3 * base), 9);

    expect(stdout).toContain('Per label');
    expect(stdout).toMatch(/gpu=MI355X\s+3/);
    expect(stdout).toMatch(/Scaling\s+\d+(\.\d+)?% efficiency/);
    expect(stdout).toContain('System        rehearsal cluster');
  });

  it('refuses a bad --endpoints-file before sending anything', async () => {
    writeFileSync(join(dir, 'bad.txt'), `${sims[0]!.url}\nftp://nope\n`);
    const before = sims.map((s) => s.stats().requests);
    const r = await runMain(['run', ...ARGS, '--endpoints-file', join(dir, 'bad.txt'), '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.txt:2');
    expect(sims.map((s) => s.stats().requests)).toEqual(before);
  });
});
