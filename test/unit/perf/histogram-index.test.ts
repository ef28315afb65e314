/**
 * histogram.ts computes HDR bucket indexes in integer arithmetic (the hot path
 * records two values per streamed token). The index must be the library's own
 * for every value, or percentiles, merges and encoded histograms would differ.
 */
import fc from 'fast-check';
import { JsHistogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { createHistogram, encode, recordUs, stats } from '../../../src/metrics/histogram.js';

const libraryIndex = (h: JsHistogram, v: number) => JsHistogram.prototype.countsArrayIndex.call(h, v);

describe('histogram bucket index', () => {
  it('equals hdr-histogram-js for every value below 300,000 µs and around every power of two', () => {
    const h = createHistogram();
    for (let v = 0; v < 300_000; v++) if (h.countsArrayIndex(v) !== libraryIndex(h, v)) expect(h.countsArrayIndex(v)).toBe(libraryIndex(h, v));
    for (let k = 0; k <= 42; k++) {
      for (const d of [-2, -1, 0, 1, 2]) {
        const v = 2 ** k + d;
        if (v >= 0) expect(h.countsArrayIndex(v)).toBe(libraryIndex(h, v));
      }
    }
  });

  it('equals hdr-histogram-js for arbitrary values, integer or not, up to hours (property)', () => {
    const h = createHistogram();
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ min: 0, max: 1e7, noNaN: true })), (v) => {
        expect(h.countsArrayIndex(v)).toBe(libraryIndex(h, v));
      }),
      { numRuns: 20_000 },
    );
  });

  it('records exactly what a library histogram records: same stats, same encoding', () => {
    const ours = createHistogram();
    const theirs = createHistogram();
    // bypass the override: the library's own index for every value
    theirs.countsArrayIndex = (v: number) => libraryIndex(theirs, v);
    let x = 12345;
    for (let i = 0; i < 50_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const v = i % 3 === 0 ? x % 3000 : i % 3 === 1 ? x % 2_000_000 : x * 13;
      recordUs(ours, v, 1 + (i % 4));
      recordUs(theirs, v, 1 + (i % 4));
    }
    expect(stats(ours)).toEqual(stats(theirs));
    expect(encode(ours)).toBe(encode(theirs));
  });
});
