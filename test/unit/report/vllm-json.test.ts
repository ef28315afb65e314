import { describe, expect, it } from 'vitest';
import { createHistogram, recordUs } from '../../../src/metrics/histogram.js';
import { stdDevMs } from '../../../src/report/vllm-json.js';

describe('stdDevMs', () => {
  it("is the population standard deviation (numpy's np.std, as vLLM writes)", () => {
    const h = createHistogram();
    for (const us of [1000, 1000, 3000, 3000]) recordUs(h, us);
    // mean 2 ms, every value 1 ms away; values below 2048 µs are exact, 3000 µs within its 2 µs bucket
    expect(stdDevMs(h, 2)).toBeCloseTo(1, 2);
    expect(stdDevMs(createHistogram(), 0)).toBe(0);
  });
});
