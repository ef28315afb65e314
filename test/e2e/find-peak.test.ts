/**
 * `tokbench find-peak` against a simulator whose latency-constrained capacity is
 * known analytically.
 *
 * The engine (src/sim/engine.ts) runs steps of
 *   T = stepBase + prefillUsPerToken·(prompt tokens prefilled in the step) + decodeUsPerSeq·B
 * where B is the number of sequences decoding. No slot, token-budget or KV limit
 * binds (maxNumSeqs 256), so at arrival rate λ, in steady state:
 *   - each request decodes for O−1 steps, so by Little's law B = λ·(O−1)·T;
 *   - each step prefills λ·T prompts of P tokens;
 *   - T = s + d·λ(O−1)·T + p·P·λ·T  ⇒  T = s / (1 − λ·X),  X = d·(O−1) + p·P.
 * A request's TPOT = (e2e − TTFT)/(O−1) is the mean step time T over its decode,
 * so the TPOT constraint L holds iff T ≤ L, i.e.
 *   λ* = (1 − s/L) / X.
 * With s = 3000 µs, d = 175 µs, p = 1 µs, P = 32, O = 48, L = 9 ms:
 *   X = 175·47 + 32 = 8257 µs, λ* = (2/3) / 8.257 ms = 80.7 QPS.
 * Above λ* TPOT rises steeply (at 1.1·λ*: T = s/(1 − 0.733) = 11.3 ms), so the
 * knee is sharp. TTFT stays near 1.5·T ≪ its 500 ms limit, so TPOT binds.
 *
 * The probes use near-deterministic arrivals (gamma shape 100: inter-arrival CV
 * 0.1) so that B, hence every request's TPOT, sits at its steady-state value and
 * λ* is exact. (With Poisson arrivals B fluctuates around its mean, by about
 * sqrt(2B/3) over a request's life, and the p99 TPOT sits above the mean: the
 * valid peak is then lower than λ* by a queueing-dependent margin that this test
 * does not try to compute.)
 *
 * find-peak must land within 10 % of λ*. Budget: 2.5 s probes (~7 of them) and
 * one 7 s confirming run (≥ 459 queries, enough for early stopping to pass).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, tempDir } from '../helpers/cli.js';
import { startSimulator, type SimulatorHandle } from '../../src/sim/server.js';
import type { EngineParams } from '../../src/sim/engine.js';
import type { FindPeakResult } from '../../src/metrics/types.js';

const ENGINE: Partial<EngineParams> = {
  maxNumSeqs: 256,
  maxBatchedTokens: 4096,
  kvCapacityTokens: 1_000_000,
  maxModelLenTokens: 4096,
  stepBaseUs: 3000,
  prefillUsPerToken: 1,
  decodeUsPerSeq: 175,
  tokensPerStep: 1,
  tokensPerChunk: 8,
  timeScale: 1,
};
const P = 32;
const O = 48;
const TPOT_LIMIT_MS = 9;
const X_US = ENGINE.decodeUsPerSeq! * (O - 1) + ENGINE.prefillUsPerToken! * P;
const ANALYTIC_PEAK_QPS = (1 - ENGINE.stepBaseUs! / (TPOT_LIMIT_MS * 1000)) / (X_US / 1e6);

let sim: SimulatorHandle;
let dir: string;
let scenarioFile: string;

beforeAll(async () => {
  sim = await startSimulator({ engine: ENGINE, promptTokenizer: 'llama2', seed: 1 });
  dir = tempDir('tokbench-findpeak-');
  scenarioFile = join(dir, 'tpot-bound.yaml');
  writeFileSync(
    scenarioFile,
    [
      'schemaVersion: 1',
      'benchmark: custom',
      'scenario: server',
      'load:',
      '  burstiness: 100',
      'dataset:',
      '  source: synthetic',
      '  size: 64',
      '  tokenizer: llama2',
      `  inputTokens: ${P}`,
      `  outputTokens: ${O}`,
      'run:',
      '  minDurationMs: 7000',
      '  minQueryCount: 100',
      'constraints:',
      '  ttftP99Ms: 500',
      `  tpotP99Ms: ${TPOT_LIMIT_MS}`,
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await sim?.close();
});

describe('find-peak', () => {
  it('the analytic peak of the test engine is about 80.7 QPS', () => {
    expect(ANALYTIC_PEAK_QPS).toBeGreaterThan(80);
    expect(ANALYTIC_PEAK_QPS).toBeLessThan(81);
  });

  it(
    'lands within 10% of the analytic latency-constrained capacity, confirms it, and writes find-peak.json',
    async () => {
      const out = join(dir, 'out');
      const started = Date.now();
      const r = await spawnCli(
        ['find-peak', scenarioFile, '--endpoint', sim.url, '--lower', '30', '--upper', '160', '--probe-duration', '2.5s', '--confirm-duration', '7s', '--confirm-retries', '1', '--out', out],
        { timeoutMs: 110_000 },
      );
      const elapsedS = (Date.now() - started) / 1000;
      expect(r.stderr).not.toMatch(/internal error/);
      const result = JSON.parse(readFileSync(join(out, 'find-peak.json'), 'utf8')) as FindPeakResult;

      // the contract other reports read
      expect(Object.keys(result).sort()).toEqual(['confirmed', 'curve', 'details', 'peakQps', 'scenario', 'schemaVersion']);
      expect(result.schemaVersion).toBe(1);
      expect(result.scenario).toBe(scenarioFile);
      for (const p of result.curve) {
        expect(Object.keys(p).sort()).toEqual(['outputTokensPerSecond', 'qps', 'reason', 'tpotP99Ms', 'ttftP99Ms', 'valid']);
        expect(p.valid).toBe(p.reason === null);
      }

      // the search: the lower bound valid, the upper not, the peak where TPOT reaches its limit
      const byQps = [...result.curve].sort((a, b) => a.qps - b.qps);
      expect(byQps[0]!.qps).toBe(30);
      expect(byQps[0]!.valid).toBe(true);
      const invalid = result.curve.filter((p) => !p.valid);
      expect(invalid.length).toBeGreaterThan(0);
      for (const p of invalid) expect(p.reason).toMatch(/TPOT/);
      expect(result.peakQps).not.toBeNull();
      expect(Math.abs(result.peakQps! - ANALYTIC_PEAK_QPS) / ANALYTIC_PEAK_QPS).toBeLessThan(0.1);
      // valid probes sit below the analytic peak's TPOT limit, and the curve is monotone in validity
      const lowestInvalid = Math.min(...invalid.map((p) => p.qps));
      for (const p of result.curve) if (p.valid) expect(p.qps).toBeLessThan(lowestInvalid);

      // the confirming run: a full run of its own, with its own validity
      const runs = result.details!.confirmRuns;
      expect(runs.length).toBeGreaterThanOrEqual(1);
      const last = runs[runs.length - 1]!;
      expect(existsSync(join(last.outDir, 'mlperf_log_summary.txt'))).toBe(true);
      const confirmResult = JSON.parse(readFileSync(join(last.outDir, 'result.json'), 'utf8')) as { validity: { valid: boolean } };
      expect(confirmResult.validity.valid).toBe(last.valid);
      expect(result.confirmed).toBe(last.valid);
      if (result.confirmed) {
        expect(last.qps).toBe(result.peakQps);
        expect(r.code).toBe(0);
      } else {
        expect(r.code).toBe(1);
      }

      // the table
      expect(r.stdout).toContain('target QPS');
      expect(r.stdout).toMatch(/peak: [\d.]+ QPS/);
      // budget: about 30 s of runs on an idle 2-core machine; the bound only catches a runaway search
      expect(elapsedS).toBeLessThan(100);
    },
    120_000,
  );

  it('refuses an Offline scenario before sending anything (exit 2)', async () => {
    const r = await spawnCli(['find-peak', 'llama2-70b/offline', '--endpoint', sim.url, '--lower', '1'], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/find-peak searches a Server target QPS/);
  });
});
