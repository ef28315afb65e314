import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHistogram, encodeSet, recordUs } from '../../../src/metrics/histogram.js';
import { parseResultJson } from '../../../src/report/result-json.js';
import { renderVllmJson, stdDevMs } from '../../../src/report/vllm-json.js';

describe('stdDevMs', () => {
  it("is the population standard deviation (numpy's np.std, as vLLM writes)", () => {
    const h = createHistogram();
    for (const us of [1000, 1000, 3000, 3000]) recordUs(h, us);
    // mean 2 ms, every value 1 ms away; values below 2048 µs are exact, 3000 µs within its 2 µs bucket
    expect(stdDevMs(h, 2)).toBeCloseTo(1, 2);
    expect(stdDevMs(createHistogram(), 0)).toBe(0);
  });
});

describe('renderVllmJson with an absent figure', () => {
  it('keeps the keys of a figure with no data and writes null, where vLLM would write 0', () => {
    const file = new URL('../../fixtures/results/server-2endpoints.json', import.meta.url);
    const r = parseResultJson(readFileSync(file, 'utf8'), 'fixture');
    // the fixture carries placeholder histograms; the keys of a null figure do not read them
    const h = createHistogram();
    recordUs(h, 20_000);
    const enc = encodeSet({ ttftUs: h, ttfaUs: h, tpotUs: createHistogram(), itlUs: h, chunkGapUs: h, e2eUs: h, issueDelayUs: h, connectWaitUs: h });
    r.histograms = enc;
    r.summary.latency.tpotMs = null;
    const out = renderVllmJson(r, []);
    for (const k of ['mean_tpot_ms', 'median_tpot_ms', 'std_tpot_ms', 'p50_tpot_ms', 'p99_tpot_ms', 'p99.9_tpot_ms']) {
      expect(out, k).toHaveProperty([k], null);
    }
    expect(out.p99_ttft_ms).toBe(r.summary.latency.ttftMs!.p99);
  });
});
