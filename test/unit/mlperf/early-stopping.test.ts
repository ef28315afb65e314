import { describe, expect, it } from 'vitest';
import {
  earlyStoppingMessage,
  earlyStoppingOdds,
  evaluateEarlyStopping,
  logGamma,
  minPassingUnderLimitQueries,
  minQueriesForEarlyStopping,
  regularizedIncompleteBeta,
} from '../../../src/metrics/early-stopping.js';

/**
 * P(X ≤ t) for X ~ Binomial(n, q), summed term by term in log space, written
 * independently of the continued-fraction code under test: term_0 = (1−q)^n and
 * term_x / term_{x−1} = (n − x + 1)/x · q/(1 − q).
 */
function binomialCdfAtMost(t: number, n: number, q: number): number {
  const logRatio = Math.log(q) - Math.log1p(-q);
  let logTerm = n * Math.log1p(-q);
  let logSum = logTerm;
  for (let x = 1; x <= t; x++) {
    logTerm += Math.log(n - x + 1) - Math.log(x) + logRatio;
    const hi = Math.max(logSum, logTerm);
    logSum = hi + Math.log(Math.exp(logSum - hi) + Math.exp(logTerm - hi));
  }
  return Math.exp(logSum);
}

/**
 * A direct port of LoadGen's own formula (early_stopping.cc): BetaRegularized via
 * x^a (1−x)^(b−1) 2F1(1, 1−b; 1+a; x/(x−1)) / (a·B(a, b)), the series summed
 * until a term is below 2^-33, and its binary search over the range it derives
 * from t = 0. A second oracle: what LoadGen itself decides.
 */
function loadgenPortMinH(t: number): number {
  const lgamma = (x: number): number => {
    // Lanczos (g = 7, n = 9), independent of the Stirling series under test
    const c = [
      0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
      12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];
    const z = x - 1;
    let a = c[0]!;
    const tt = z + 7.5;
    for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(tt) - tt + Math.log(a);
  };
  const hyp = (b: number, c: number, x: number): number => {
    let term = 1;
    let result = 1;
    for (let i = 0; Math.abs(term) > 1 / 2 ** 33; i++) {
      term *= ((b + i) * x) / (c + i);
      result += term;
    }
    return result;
  };
  const odds = (h: number): number => {
    const x = 0.99;
    const a = h;
    const b = 1 + t;
    return (
      (Math.exp(a * Math.log(x) + (b - 1) * Math.log(1 - x) - (lgamma(a) + lgamma(b) - lgamma(a + b))) / a) *
      hyp(1 - b, 1 + a, x / (x - 1))
    );
  };
  let minH = Math.trunc(t * 99 + 459);
  let count = Math.trunc(t * 459 + 460) - minH;
  while (count > 0) {
    const step = Math.floor(count / 2);
    const h = minH + step;
    if (odds(h) < 0.01) count = step;
    else {
      minH = h + 1;
      count -= step + 1;
    }
  }
  return minH;
}

describe('regularizedIncompleteBeta', () => {
  it('matches closed forms', () => {
    for (const x of [0.01, 0.3, 0.5, 0.77, 0.99]) {
      expect(regularizedIncompleteBeta(x, 1, 1)).toBeCloseTo(x, 14);
      // I_x(a, 1) = x^a ; I_x(1, b) = 1 − (1 − x)^b
      expect(regularizedIncompleteBeta(x, 7, 1)).toBeCloseTo(x ** 7, 14);
      expect(regularizedIncompleteBeta(x, 1, 9)).toBeCloseTo(1 - (1 - x) ** 9, 14);
    }
    // symmetric case
    expect(regularizedIncompleteBeta(0.5, 40, 40)).toBeCloseTo(0.5, 13);
    expect(regularizedIncompleteBeta(0, 3, 4)).toBe(0);
    expect(regularizedIncompleteBeta(1, 3, 4)).toBe(1);
  });

  it('stays accurate for counts in the hundred thousands (no overflow in the prefactor)', () => {
    const h = 106_569;
    const t = 1000;
    const viaBeta = earlyStoppingOdds(h, t);
    const viaSum = binomialCdfAtMost(t, h + t, 0.01);
    expect(Math.abs(viaBeta - viaSum) / viaSum).toBeLessThan(1e-9);
  });

  it('logGamma matches log factorials', () => {
    let logFact = 0;
    for (let n = 1; n <= 200; n++) {
      // Γ(n) = (n − 1)!
      expect(logGamma(n)).toBeCloseTo(logFact, 9);
      logFact += Math.log(n);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });
});

describe('minQueriesForEarlyStopping (p = 0.99, d = 0, c = 0.99)', () => {
  it('reproduces the table of reference/mlperf.md §2.2 exactly', () => {
    const table: [number, number][] = [
      [0, 459],
      [1, 662],
      [2, 838],
      [5, 1307],
      [10, 2010],
      [50, 6898],
      [100, 12571],
      [500, 55427],
      [1000, 107569],
    ];
    for (const [t, minQueries] of table) expect(minQueriesForEarlyStopping(t)).toBe(minQueries);
  });

  it('is the smallest h with binomial CDF < 1 − c, for every t up to 1000', () => {
    // For each t the CDF of h is decreasing in h, so h is the minimum iff it passes and h − 1 fails.
    const mismatches: string[] = [];
    for (let t = 0; t <= 1000; t++) {
      const h = minPassingUnderLimitQueries(t);
      const atH = binomialCdfAtMost(t, h + t, 0.01);
      const below = binomialCdfAtMost(t, h - 1 + t, 0.01);
      if (!(atH < 0.01 && below >= 0.01)) mismatches.push(`t=${t} h=${h} cdf(h)=${atH} cdf(h-1)=${below}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("agrees with a direct port of LoadGen's series formula for every t up to 1000", () => {
    const mismatches: number[] = [];
    for (let t = 0; t <= 1000; t++) if (loadgenPortMinH(t) !== minPassingUnderLimitQueries(t)) mismatches.push(t);
    expect(mismatches).toEqual([]);
  });

  it('grows with t', () => {
    let previous = 0;
    for (let t = 0; t <= 300; t++) {
      const q = minQueriesForEarlyStopping(t);
      expect(q).toBeGreaterThan(previous);
      previous = q;
    }
  });

  it('rejects a negative or fractional count', () => {
    expect(() => minQueriesForEarlyStopping(-1)).toThrow(RangeError);
    expect(() => minQueriesForEarlyStopping(1.5)).toThrow(RangeError);
  });
});

describe('evaluateEarlyStopping and its messages', () => {
  it('passes at exactly h + t queries, fails one below', () => {
    expect(evaluateEarlyStopping(459, 0).passed).toBe(true);
    const short = evaluateEarlyStopping(458, 0);
    expect(short.passed).toBe(false);
    expect(short.additionalQueriesNeeded).toBe(1);
    expect(evaluateEarlyStopping(662, 1).passed).toBe(true);
    expect(evaluateEarlyStopping(661, 1).passed).toBe(false);
  });

  it("uses LoadGen's exact strings", () => {
    expect(earlyStoppingMessage(true, 1000, 0)).toBe(' * Run successful.');
    expect(evaluateEarlyStopping(1000, 10).message).toBe(
      ' * Run unsuccessful.\n' +
        ' * Processed 1000 queries.\n' +
        ' * Would need to run at least 1010 more queries,\n' +
        ' with the run being successful if every additional\n' +
        ' query were under latency.',
    );
  });
});
