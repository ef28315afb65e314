/**
 * ROUGE against the reference implementation's published values: the cases in
 * test/fixtures/accuracy/rouge-cases.json (rouge_score's own tests, whose
 * "ground truth" numbers come from ROUGE-1.5.5 runs, plus hand-computed pairs;
 * provenance in test/fixtures/accuracy/README.md).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  lcsIndices,
  lcsLength,
  rougeScore,
  rougeTokenize,
  summaryLevelLcs,
  unionLcs,
  type RougeScore,
  type RougeType,
} from '../../../src/accuracy/rouge.js';

interface Case {
  id: string;
  source: string;
  places: number;
  target: string;
  prediction: string;
  useStemmer: boolean;
  expected: Partial<Record<RougeType, RougeScore>>;
}

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/accuracy/rouge-cases.json', import.meta.url)), 'utf8')) as {
  cases: Case[];
};

describe('rouge_score parity: published and hand-computed cases', () => {
  it('has the cases', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(20);
  });
  for (const c of fixture.cases) {
    it(c.id, () => {
      const got = rougeScore(c.target, c.prediction, { useStemmer: c.useStemmer });
      for (const [type, exp] of Object.entries(c.expected) as [RougeType, RougeScore][]) {
        const g = got[type]!;
        // assertAlmostEqual(a, b, places): |a - b| rounds to 0 at `places` decimals
        expect(g.precision, `${type} precision`).toBeCloseTo(exp.precision, c.places);
        expect(g.recall, `${type} recall`).toBeCloseTo(exp.recall, c.places);
        expect(g.fmeasure, `${type} fmeasure`).toBeCloseTo(exp.fmeasure, c.places);
      }
    });
  }
});

describe('rouge_score internals (rouge_scorer_test.py)', () => {
  it('testLcsTable: LCS length and the indices read back', () => {
    const ref = ['1', '2', '3', '4', '5'];
    expect(lcsLength(ref, ['2', '5', '3', '4'])).toBe(3);
    expect(lcsIndices(ref, ['2', '5', '3', '4'])).toEqual([1, 2, 3]);
    expect(lcsIndices(ref, ['2', '5', '3', '4']).map((i) => ref[i])).toEqual(['2', '3', '4']);
    expect(lcsLength(ref, ['8', '9'])).toBe(0);
    expect(lcsIndices(ref, ['8', '9'])).toEqual([]);
  });

  it('testUnionLcs: the example of Lin (2004) §3.2', () => {
    const ref = ['1', '2', '3', '4', '5'];
    expect(unionLcs(ref, [['1', '2', '6', '7', '8'], ['1', '3', '8', '9', '5']])).toEqual(['1', '2', '3', '5']);
  });

  it('testSummaryLevelLcs', () => {
    const s = summaryLevelLcs([['1', '2', '3', '4', '5']], [['1', '2', '6', '7', '8'], ['1', '3', '8', '9', '5']]);
    expect(s.recall).toBe(0.8);
    expect(s.precision).toBe(0.4);
    expect(s.fmeasure).toBeCloseTo(0.5333, 3);
    expect(summaryLevelLcs([['reference']], [[]]).recall).toBe(0);
  });
});

describe('tokenization as rouge_score/tokenize.py', () => {
  it('lowercases, splits on every non-alphanumeric run, drops empties', () => {
    expect(rougeTokenize("It's 3.5 km—isn't it?", false)).toEqual(['it', 's', '3', '5', 'km', 'isn', 't', 'it']);
    expect(rougeTokenize('  \n\t ', false)).toEqual([]);
  });
  it('treats non-ASCII letters as separators, as [^a-z0-9] does in Python', () => {
    expect(rougeTokenize('café naïve', false)).toEqual(['caf', 'na', 've']);
  });
  it('stems only tokens longer than 3 characters', () => {
    expect(rougeTokenize('flies dies was news running', true)).toEqual(['fli', 'die', 'was', 'news', 'run']);
  });
});
