import { describe, expect, it } from 'vitest';
import { renderMlperfAccuracy, tokenIdsToHex } from '../../../src/report/mlperf-accuracy.js';

/** Decode as the MLPerf evaluators do: np.frombuffer(bytes.fromhex(data), np.int32). */
function decode(hex: string): number[] {
  const buf = Buffer.from(hex, 'hex');
  const out: number[] = [];
  for (let i = 0; i < buf.length; i += 4) out.push(buf.readInt32LE(i));
  return out;
}

describe('mlperf_log_accuracy.json', () => {
  it('encodes token ids as uppercase int32 little-endian hex (the AMD v5.1 sample entry)', () => {
    // reference/mlperf.md §5.3: "data" : "EB490000E1350000…02000000", "token_data" : "EB490000"
    expect(tokenIdsToHex([0x49eb, 0x35e1, 2])).toBe('EB490000E135000002000000');
    expect(tokenIdsToHex([-1, 128256])).toBe('FFFFFFFF00F50100');
    expect(decode(tokenIdsToHex([18923, 13793, 2, 0, 199_999]))).toEqual([18923, 13793, 2, 0, 199_999]);
  });

  it('writes Server entries with token_data and token_count, in LoadGen’s layout', () => {
    const text = renderMlperfAccuracy([
      { seqId: 4, qslIdx: 10451, tokenIds: [18923, 13793, 2], firstTokenIds: [18923] },
      { seqId: 5, qslIdx: 7, tokenIds: [1, 2], firstTokenIds: [1], tokenCount: 2 },
    ]);
    expect(text).toBe(
      '[\n' +
        '{ "seq_id" : 4, "qsl_idx" : 10451, "data" : "EB490000E135000002000000", "token_data" : "EB490000", "token_count" : 3 },\n' +
        '{ "seq_id" : 5, "qsl_idx" : 7, "data" : "0100000002000000", "token_data" : "01000000", "token_count" : 2 }\n' +
        ']\n',
    );
    // and it is JSON the evaluators can load
    const parsed = JSON.parse(text) as { data: string; token_count: number }[];
    expect(decode(parsed[0]!.data)).toHaveLength(parsed[0]!.token_count);
  });

  it('writes Offline entries with token_count only', () => {
    expect(renderMlperfAccuracy([{ seqId: 0, qslIdx: 1, tokenIds: [7] }])).toBe(
      '[\n{ "seq_id" : 0, "qsl_idx" : 1, "data" : "07000000", "token_count" : 1 }\n]\n',
    );
  });

  it('writes no token fields when token latencies are off', () => {
    expect(renderMlperfAccuracy([{ seqId: 0, qslIdx: 1, tokenIds: [7], firstTokenIds: [7] }], { tokens: false })).toBe(
      '[\n{ "seq_id" : 0, "qsl_idx" : 1, "data" : "07000000" }\n]\n',
    );
  });

  it('writes an empty log as "[" newline "]"', () => {
    expect(renderMlperfAccuracy([])).toBe('[\n]\n');
  });

  it('rejects ids that do not fit an int32', () => {
    expect(() => tokenIdsToHex([2 ** 31])).toThrow(RangeError);
    expect(() => tokenIdsToHex([1.5])).toThrow(RangeError);
  });
});
