/**
 * --workers N: the same schedule driven from N threads gives one result of the
 * same shape as a single-thread run, with the same queries at the same
 * scheduled offsets; an interrupt still stops it with a partial result.
 * (Worker threads load the built worker script: `npm run build` first.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type SimulatorHandle } from '../../../src/sim/index.js';
import { defaultWorkers, effectiveWorkers, epochNowUs, localUsOfEpoch } from '../../../src/runner/workers.js';
import { runMain, spawnCli, tempDir } from '../../helpers/cli.js';
import type { ResultJson } from '../../../src/metrics/types.js';
import type { RequestRecord } from '../../../src/records/record.js';

describe('how many workers', () => {
  it('defaults to cores - 1, at most 8, one per 64 queries, and 1 on a 2-core machine', () => {
    expect(defaultWorkers(2, 100_000)).toBe(1);
    expect(defaultWorkers(1, 100_000)).toBe(1);
    expect(defaultWorkers(4, 100_000)).toBe(3);
    expect(defaultWorkers(64, 100_000)).toBe(8);
    expect(defaultWorkers(16, 200)).toBe(3);
    expect(defaultWorkers(16, 10)).toBe(1);
  });

  it('never gives a worker nothing to do', () => {
    expect(effectiveWorkers(4, 2, { length: 3, maxConcurrency: null })).toBe(3);
    expect(effectiveWorkers(4, 2, { length: 1000, maxConcurrency: 2 })).toBe(2);
    expect(effectiveWorkers(null, 32, { length: 1000, maxConcurrency: 512 })).toBe(8);
    expect(effectiveWorkers(3, 2, { length: 0, maxConcurrency: null })).toBe(1);
  });

  it('refuses a bad --workers before sending anything', async () => {
    const r = await runMain(['run', 'llama2-70b/offline', '--endpoint', 'http://127.0.0.1:9', '--workers', 'many']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--workers: expected a whole number from 1 to 256 or auto, got "many"/);
  });

  it('puts every thread on one epoch timeline', () => {
    const e = epochNowUs();
    expect(Math.abs(e - Date.now() * 1000)).toBeLessThan(50_000);
    expect(Math.abs(localUsOfEpoch(e) - performance.now() * 1000)).toBeLessThan(50_000);
  });
});

/** every key path of a JSON value (arrays by their first element), for comparing shapes */
function shape(v: unknown, path = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) {
    out.add(`${path}[]`);
    if (v.length > 0) shape(v[0], `${path}[]`, out);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      // maps keyed by data, not by schema
      if (['errors', 'tokenCountSources', 'chunkTokenSources', 'origins', 'labels', 'tags'].includes(k)) out.add(`${path}.${k}{}`);
      else shape(x, `${path}.${k}`, out.add(`${path}.${k}`));
    }
  }
  return out;
}

let sim: SimulatorHandle;
beforeAll(async () => {
  if (!existsSync(join(__dirname, '../../../dist/src/runner/worker-entry.js'))) throw new Error('build first: npm run build');
  sim = await startSimulator({ profile: 'tiny', seed: 4 });
});
afterAll(async () => {
  await sim?.close();
});

async function run(workers: number, extra: string[] = []) {
  const out = tempDir('tokbench-workers-');
  const r = await runMain(['run', 'llama2-70b/server', '--endpoint', sim.url, '--samples', '160', '--target-qps', '60', '--seed', '8', '--workers', String(workers), '--out', out, ...extra]);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
  const records = readFileSync(join(out, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
  return { result, records, stderr: r.stderr };
}

describe('--workers 2 against the simulator', () => {
  it('gives the same completed counts, queries and shape as --workers 1', async () => {
    const one = await run(1, ['--quiet']);
    const two = await run(2);
    expect(two.stderr).toContain('2 worker threads');
    expect(one.result.client?.workers).toBe(1);
    expect(two.result.client?.workers).toBe(2);
    expect(two.result.summary.completed).toBe(one.result.summary.completed);
    expect(two.result.summary.issued).toBe(160);
    expect(two.result.summary.failed).toBe(0);
    expect(two.result.summary.outputTokens).toBe(one.result.summary.outputTokens);
    expect([...shape(two.result)].sort()).toEqual([...shape(one.result)].sort());

    // the same queries at the same scheduled offsets, each once
    const plan = (recs: RequestRecord[]) => recs.filter((r) => !r.warmup).map((r) => [r.seq, r.sampleIndex, r.scheduledUs]).sort((a, b) => a[0]! - b[0]!);
    expect(plan(two.records)).toEqual(plan(one.records));
    // issued on time from the worker threads too (the common t = 0 is honoured)
    expect(two.result.summary.latency.issueDelayMs!.p50).toBeLessThan(20);
    expect(two.result.clock!.t0EpochUs).toBeGreaterThan(Date.parse(two.result.startedAt) * 1000);
  });

  it('splits warm-up between the workers and keeps it out of the figures', async () => {
    const { result, records } = await run(2, ['--warmup', '5', '--samples', '40', '--quiet']);
    expect(records.filter((r) => r.warmup).length).toBe(5);
    expect(result.summary.completed).toBe(40);
    expect(result.summary.issued).toBe(40);
  });

  it('stops on SIGINT: grace, then a partial result and exit 130', async () => {
    const out = tempDir('tokbench-workers-int-');
    let child: { kill(sig: NodeJS.Signals): boolean } | null = null;
    const started = Date.now();
    const p = spawnCli(
      ['run', 'llama2-70b/server', '--endpoint', sim.url, '--samples', '2000', '--target-qps', '40', '--seed', '8', '--workers', '2', '--grace', '2s', '--out', out],
      { onStarted: (c) => (child = c), timeoutMs: 40_000 },
    );
    // interrupt once the measured run is under way
    for (let i = 0; i < 200 && !existsSync(join(out, 'requests.jsonl')); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 2000));
    child!.kill('SIGINT');
    const r = await p;
    expect(r.code, r.stderr).toBe(130);
    expect(Date.now() - started).toBeLessThan(30_000);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
    expect(result.interrupted).toBe(true);
    expect(result.client?.workers).toBe(2);
    expect(result.summary.issued).toBeGreaterThan(0);
    expect(result.summary.issued).toBeLessThan(2000);
    expect(result.summary.completed + result.summary.failed).toBe(result.summary.issued);
  });
});
