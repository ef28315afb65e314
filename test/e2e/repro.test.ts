/**
 * Issue 16 acceptance, through the real built CLI against `tokbench serve` on
 * loopback: compare tells change from noise, and --reproduce says whether
 * runs reproduce within 4%.
 *
 * The simulator's step is long (20 ms) so its model, not the shared client
 * machine, sets the figures: the tiny profile's step is stepBaseUs +
 * decodeUsPerSeq × 16 sequences = 20,640 µs; "20% slower" is 24,768 µs
 * (24,000 + 48 × 16) and "10% slower" 22,704 µs (22,000 + 44 × 16).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawnCli, spawnServe, tempDir, type ServeProcess } from '../helpers/cli.js';
import type { Comparison } from '../../src/report/compare.js';
import type { Reproduction } from '../../src/report/reproduce.js';

const SIMS = {
  base: ['--step-base-us', '20000'],
  slower10: ['--step-base-us', '22000', '--decode-us-per-seq', '44'],
  slower20: ['--step-base-us', '24000', '--decode-us-per-seq', '48'],
} as const;

const dir = tempDir('tokbench-repro-');
const servers: ServeProcess[] = [];
const urls: Record<keyof typeof SIMS, string> = { base: '', slower10: '', slower20: '' };

/** A closed loop of 16 (the engine's batch), ~9 s: long enough for batch means over the steady state. */
async function run(name: string, url: string, samples = 200): Promise<string> {
  const out = join(dir, name);
  const r = await spawnCli(
    ['run', 'llama2-70b/server', '--endpoint', url, '--concurrency', '16', '--samples', String(samples), '--duration', '1s',
      '--input-tokens', '64', '--output-tokens', '32', '--seed', '1', '--out', out, '--quiet'],
    { timeoutMs: 60_000 },
  );
  // exit 1 only from validity asserts, which these runs do not ask for
  if (r.code !== 0) throw new Error(`run ${name} exited ${r.code}: ${r.stderr}`);
  return out;
}

beforeAll(async () => {
  for (const k of Object.keys(SIMS) as (keyof typeof SIMS)[]) {
    const s = await spawnServe(['--profile', 'tiny', ...SIMS[k]]);
    servers.push(s);
    urls[k] = s.url;
  }
}, 30_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('compare: change or noise', { retry: 1 }, () => {
  let a = '';
  beforeAll(async () => {
    a = await run('a', urls.base);
  }, 90_000);

  it('two runs of one setup at --tolerance 0% are within noise (exit 0)', async () => {
    const b = await run('b', urls.base);
    const r = await spawnCli(['compare', a, b, '--tolerance', '0%', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const c = JSON.parse(r.stdout) as Comparison;
    const tps = c.deltas.find((d) => d.metric === 'output_tokens_per_sec')!;
    expect(tps.method).toBe('batchMeans');
    expect(tps.status).toBe('noise');
    expect(tps.changeLowPct!).toBeLessThan(0);
    expect(tps.changeHighPct!).toBeGreaterThan(0);
    expect(c.deltas.every((d) => d.status !== 'regression')).toBe(true);
    const table = await spawnCli(['compare', a, b, '--tolerance', '0%']);
    expect(table.stdout).toContain('within noise');
    expect(table.stdout).toContain('95% CI');
  }, 90_000);

  it('a run against a simulator made 20% slower is a regression (exit 1)', async () => {
    const slow = await run('slow20', urls.slower20);
    const r = await spawnCli(['compare', a, slow, '--tolerance', '5%', '--json']);
    expect(r.code, r.stdout).toBe(1);
    const c = JSON.parse(r.stdout) as Comparison;
    const tpot = c.deltas.find((d) => d.metric === 'tpot.p50')!;
    expect(tpot.status).toBe('regression');
    // the whole interval of the change lies beyond the tolerance, in the worse direction
    expect(tpot.changeLowPct!).toBeGreaterThan(5);
    expect(c.passed).toBe(false);
  }, 90_000);

  it('a run too short to tell says not enough data, and how much longer', async () => {
    const short = await run('short', urls.base, 24);
    const r = await spawnCli(['compare', a, short, '--tolerance', '5%', '--json']);
    const c = JSON.parse(r.stdout) as Comparison;
    const tps = c.deltas.find((d) => d.metric === 'output_tokens_per_sec')!;
    expect(tps.status).toBe('insufficient');
    expect(tps.needs).toMatch(/s of steady state/);
    const p99 = c.deltas.find((d) => d.metric === 'ttft.p99')!;
    expect(p99.status).toBe('insufficient');
    expect(p99.longerFactor!).toBeGreaterThan(1);
    const table = await spawnCli(['compare', a, short, '--tolerance', '5%']);
    expect(table.stdout).toMatch(/not enough data for ttft\.p99: needs \d+ values in each run .*× longer runs/);
  }, 90_000);
});

describe('compare --reproduce --within 4%', { retry: 1 }, () => {
  const runs: string[] = [];
  beforeAll(async () => {
    for (const name of ['r1', 'r2', 'r3']) runs.push(await run(name, urls.base));
  }, 120_000);

  it('passes for three runs of one setup', async () => {
    const r = await spawnCli(['compare', '--reproduce', ...runs, '--within', '4%', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const rep = JSON.parse(r.stdout) as Reproduction;
    expect(rep.passed).toBe(true);
    expect(rep.largest).not.toBeNull();
    const text = await spawnCli(['compare', '--reproduce', ...runs, '--within', '4%']);
    expect(text.stdout).toMatch(/3 runs: largest difference [\d.]+% \((95% CI [\d.]+% … [\d.]+%|no interval: not enough data)\) in \S+, between .* and .*; they (reproduce|are not shown to differ beyond) 4%/);
  }, 60_000);

  it('fails when one of them is 10% slower', async () => {
    const slow = await run('slow10', urls.slower10);
    const r = await spawnCli(['compare', '--reproduce', runs[0]!, runs[1]!, slow, '--within', '4%', '--json']);
    expect(r.code, r.stdout).toBe(1);
    const rep = JSON.parse(r.stdout) as Reproduction;
    const tpot = rep.rows.find((x) => x.metric === 'tpot.p50')!;
    expect(tpot.status).toBe('differs');
    expect(tpot.diffLowPct!).toBeGreaterThan(4);
  }, 90_000);
});
