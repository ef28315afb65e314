import { describe, expect, it } from 'vitest';
import { RequestSampler } from '../../../src/telemetry/request-sample.js';
import type { RequestRecord } from '../../../src/records/record.js';

function rec(seq: number, over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    seq,
    sampleIndex: 0,
    endpoint: 0,
    warmup: false,
    scheduledUs: seq * 1000,
    issuedUs: seq * 1000,
    firstTokenUs: seq * 1000 + 5000,
    completedUs: seq * 1000 + 20_000,
    inputTokens: 10,
    outputTokens: 10,
    tokenSource: 'usage',
    chunks: 10,
    chunkTokenSource: 'single',
    ok: true,
    error: null,
    retries: 0,
    ...over,
  } as RequestRecord;
}

describe('RequestSampler', () => {
  it('keeps everything while small, sorted by scheduled time, failures without latency', () => {
    const s = new RequestSampler(100);
    s.add(rec(2));
    s.add(rec(1, { ok: false, firstTokenUs: null }));
    s.add(rec(0));
    s.add(rec(-1, { warmup: true }));
    const j = s.toJson();
    expect(j.seen).toBe(3);
    expect(j.scheduledMs).toEqual([0, 1, 2]);
    expect(j.ttftMs).toEqual([5, null, 5]);
    expect(j.e2eMs).toEqual([20, null, 20]);
  });

  it('stays within its bound, spread over the whole run, and picks the same queries whatever the completion order', () => {
    const a = new RequestSampler(500);
    const b = new RequestSampler(500);
    const n = 20_000;
    for (let i = 0; i < n; i++) a.add(rec(i));
    for (let i = n - 1; i >= 0; i--) b.add(rec(i));
    const ja = a.toJson();
    expect(ja.scheduledMs.length).toBeLessThanOrEqual(500);
    expect(ja.scheduledMs.length).toBeGreaterThan(200);
    expect(ja).toEqual(b.toJson());
    // every tenth of the run is represented
    for (let d = 0; d < 10; d++) {
      const lo = (d * n) / 10;
      expect(ja.scheduledMs.some((x) => x >= lo && x < lo + n / 10)).toBe(true);
    }
  });

  it('samples a shard (every N-th seq) as well as the whole', () => {
    const s = new RequestSampler(300);
    for (let i = 1; i < 40_000; i += 4) s.add(rec(i));
    const j = s.toJson();
    expect(j.seen).toBe(10_000);
    expect(j.scheduledMs.length).toBeGreaterThan(100);
  });
});
