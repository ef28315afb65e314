/** find-peak's pure parts: the probe verdict and the bracket-then-bisect search. */
import { describe, expect, it } from 'vitest';
import { judgeProbe, maxOverLimitForEarlyStopping, PeakSearch, projectTtftGrowth, roundQps, type ProbeJudgeInput } from '../../../src/metrics/find-peak.js';
import { minQueriesForEarlyStopping } from '../../../src/metrics/early-stopping.js';

const MS = 1e6;

function probe(over: Partial<ProbeJudgeInput> = {}): ProbeJudgeInput {
  const n = 200;
  return {
    qps: 10,
    issued: n,
    completed: n,
    failed: 0,
    ttftNs: new Float64Array(n).fill(100 * MS),
    tpotNs: new Float64Array(n).fill(20 * MS),
    outputTokensPerSecond: 1234,
    constraints: { ttftP99Ms: 2000, tpotP99Ms: 200 },
    fullRunQueries: 6000,
    fullRunDurationMs: 600_000,
    ...over,
  };
}

describe('judgeProbe', () => {
  it('valid when p99s are within the limits and nothing failed', () => {
    const p = judgeProbe(probe());
    expect(p).toEqual({ qps: 10, outputTokensPerSecond: 1234, ttftP99Ms: 100, tpotP99Ms: 20, valid: true, reason: null });
  });

  it('p99 as LoadGen takes it (sorted[floor(n·0.99)]); equal to the limit passes, above fails', () => {
    const tpot = new Float64Array(200).fill(20 * MS);
    tpot[199] = 500 * MS; // the maximum, above sorted[198]
    tpot[198] = 200 * MS; // exactly the limit at index floor(200 × 0.99) = 198
    expect(judgeProbe(probe({ tpotNs: tpot, fullRunQueries: 100_000 })).tpotP99Ms).toBe(200);
    expect(judgeProbe(probe({ tpotNs: tpot, fullRunQueries: 100_000 })).valid).toBe(true);
    tpot[198] = 201 * MS;
    const bad = judgeProbe(probe({ tpotNs: tpot, fullRunQueries: 100_000 }));
    expect(bad.valid).toBe(false);
    expect(bad.reason).toBe('p99 TPOT 201 ms > 200 ms');
  });

  it('early stopping projected to the full run: under the p99 limit can still be too many over it', () => {
    // 1 of 200 over (0.5 %): p99 passes; a 459-query run would have round(2.3) = 2 over and need 838
    const ttft = new Float64Array(200).fill(100 * MS);
    ttft[0] = 3000 * MS;
    const short = judgeProbe(probe({ ttftNs: ttft, fullRunQueries: 459 }));
    expect(short.ttftP99Ms).toBe(100);
    expect(short.valid).toBe(false);
    expect(short.reason).toMatch(/^early stopping \(TTFT\): 0\.5% over 2000 ms; a full run of 459 queries passes with at most 0 \(0%\) over$/);
    // a 100,000-query run allows ~0.96 % over: 0.5 % passes
    expect(judgeProbe(probe({ ttftNs: ttft, fullRunQueries: 100_000 })).valid).toBe(true);
  });

  it('failed requests make a probe invalid and count as over the limit', () => {
    const p = judgeProbe(probe({ issued: 210, failed: 10, failuresByKind: { request_timeout: 10 } }));
    expect(p.valid).toBe(false);
    expect(p.reason).toMatch(/^10 of 210 requests failed \(request_timeout: 10\)/);
  });

  it('a queue building up within the probe is caught before its p99 crosses the limit', () => {
    const n = 200;
    const scheduledUs = Float64Array.from({ length: n }, (_, i) => i * 10_000); // 2 s at 100 QPS
    const ttftUs = Float64Array.from({ length: n }, (_, i) => 20_000 + i * 4_000); // +0.4 s of waiting per second
    const ttftNs = Float64Array.from(ttftUs, (u) => u * 1000);
    const p = judgeProbe(probe({ ttftNs, ttftTrend: { scheduledUs, ttftUs }, fullRunDurationMs: 600_000 }));
    expect(p.ttftP99Ms).toBeLessThan(2000);
    expect(p.valid).toBe(false);
    expect(p.reason).toMatch(/^queue building: median TTFT rose from/);
    // a stationary TTFT with noise is not flagged
    const flat = Float64Array.from({ length: n }, (_, i) => 50_000 + ((i * 7919) % 13) * 1000);
    expect(projectTtftGrowth({ scheduledUs, ttftUs: flat }, 600_000)).toBeNull();
    expect(judgeProbe(probe({ ttftTrend: { scheduledUs, ttftUs: flat } })).valid).toBe(true);
  });

  it('maxOverLimitForEarlyStopping inverts LoadGen\'s minimum query count', () => {
    expect(maxOverLimitForEarlyStopping(458)).toBe(-1);
    expect(maxOverLimitForEarlyStopping(459)).toBe(0);
    expect(maxOverLimitForEarlyStopping(661)).toBe(0);
    expect(maxOverLimitForEarlyStopping(662)).toBe(1);
    expect(maxOverLimitForEarlyStopping(107_569)).toBe(1000);
    for (const n of [1000, 5000, 36_000]) {
      const t = maxOverLimitForEarlyStopping(n);
      expect(minQueriesForEarlyStopping(t)).toBeLessThanOrEqual(n);
      expect(minQueriesForEarlyStopping(t + 1)).toBeGreaterThan(n);
    }
  });
});

/** Run a search against a step function: valid iff qps ≤ peak. */
function simulate(opts: ConstructorParameters<typeof PeakSearch>[0], peak: number): { probes: number[]; best: number | null; why: string } {
  const s = new PeakSearch(opts);
  const probes: number[] = [];
  for (let q = s.next(); q !== null; q = s.next()) {
    probes.push(q);
    s.record(q, q <= peak);
  }
  return { probes, best: s.best, why: s.stoppedBecause };
}

describe('PeakSearch', () => {
  it('brackets upward by doubling, then bisects to the tolerance', () => {
    const r = simulate({ lower: null, upper: null, start: 10, tolerance: 0.05, maxProbes: 20 }, 47);
    expect(r.probes.slice(0, 4)).toEqual([10, 20, 40, 80]);
    expect(r.best).not.toBeNull();
    expect(r.best!).toBeLessThanOrEqual(47);
    expect(r.best!).toBeGreaterThan(47 * 0.95);
    expect(r.why).toMatch(/^converged/);
  });

  it('brackets downward by halving when the start is invalid', () => {
    const r = simulate({ lower: null, upper: null, start: 100, tolerance: 0.05, maxProbes: 20 }, 30);
    expect(r.probes.slice(0, 3)).toEqual([100, 50, 25]);
    expect(r.best!).toBeGreaterThan(30 * 0.95);
    expect(r.best!).toBeLessThanOrEqual(30);
  });

  it('respects --lower and --upper: lower first, never above upper', () => {
    const r = simulate({ lower: 5, upper: 12, start: null, tolerance: 0.05, maxProbes: 20 }, 100);
    expect(r.probes).toEqual([5, 10, 12]);
    expect(r.best).toBe(12);
    expect(r.why).toMatch(/upper bound 12 QPS is valid/);
    const none = simulate({ lower: 5, upper: 12, start: null, tolerance: 0.05, maxProbes: 20 }, 1);
    expect(none.probes).toEqual([5]);
    expect(none.best).toBeNull();
    expect(none.why).toMatch(/lower bound 5 QPS is not valid/);
  });

  it('stops at the probe budget', () => {
    const r = simulate({ lower: null, upper: null, start: 1, tolerance: 0.001, maxProbes: 4 }, 1e9);
    expect(r.probes).toEqual([1, 2, 4, 8]);
    expect(r.why).toMatch(/probe budget/);
  });

  it('rounds rates to 4 significant digits', () => {
    expect(roundQps(52.83619)).toBe(52.84);
    expect(roundQps(1234.56)).toBe(1235);
    expect(roundQps(0.012345)).toBe(0.01235);
  });

  it('needs somewhere to start', () => {
    expect(() => new PeakSearch({ lower: null, upper: null, start: null, tolerance: 0.05, maxProbes: 5 })).toThrow(RangeError);
  });
});
