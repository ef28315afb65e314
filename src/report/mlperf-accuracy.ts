/**
 * mlperf_log_accuracy.json, byte-compatible with LoadGen's, so the MLPerf
 * accuracy scripts (`evaluate-accuracy.py`, the gpt-oss evaluator, TEST06's
 * run_verification.py) read tokbench's output unchanged.
 *
 * Source: reference/mlperf.md §5.3 and §5.4, from `inference: loadgen/logging.cc`
 * (`WriteAccuracyHeaderLocked` writes "[", `LogAccuracy` writes "\n{ " or
 * ",\n{ " then `"key" : value` pairs joined by ", " then " }",
 * `WriteAccuracyFooterLocked` writes "\n]\n").
 *
 * `data` is the response buffer as uppercase hex, two characters per byte
 * (`Bin2Hex`); for LLMs the buffer holds the output token ids as int32
 * little-endian, which the evaluators decode with
 * `np.frombuffer(bytes.fromhex(data), np.int32)`.
 */

export interface AccuracyLogEntry {
  /** LoadGen's sample sequence id */
  seqId: number;
  /** the sample's index in the dataset (QSL) */
  qslIdx: number;
  /** every output token id of the response (first token included, as TEST06 requires for Llama 2) */
  tokenIds: ArrayLike<number>;
  /**
   * Server scenario: the token id(s) delivered as the first chunk (what LoadGen
   * gets from FirstTokenComplete), logged as `token_data`. Omit for Offline.
   */
  firstTokenIds?: ArrayLike<number>;
  /** n_tokens reported to LoadGen; defaults to tokenIds.length */
  tokenCount?: number;
}

export interface AccuracyLogOptions {
  /**
   * Write `token_count` (and `token_data` for entries that carry firstTokenIds), as
   * LoadGen does when use_token_latencies is on. Default true: both LLM
   * benchmarks set it.
   */
  tokens?: boolean;
}

const HEX = '0123456789ABCDEF';

/** Token ids as LoadGen's Bin2Hex of an int32 little-endian buffer: 8 uppercase hex chars per id. */
export function tokenIdsToHex(tokenIds: ArrayLike<number>): string {
  const bytes = new Uint8Array(tokenIds.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < tokenIds.length; i++) {
    const id = tokenIds[i]!;
    if (!Number.isInteger(id) || id < -2147483648 || id > 2147483647) {
      throw new RangeError(`token id ${id} at position ${i} does not fit an int32`);
    }
    view.setInt32(i * 4, id, true);
  }
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 0xf]!;
  return out;
}

/** Render mlperf_log_accuracy.json (an empty log is "[\n]\n", as LoadGen writes it). */
export function renderMlperfAccuracy(entries: Iterable<AccuracyLogEntry>, opts: AccuracyLogOptions = {}): string {
  const tokens = opts.tokens ?? true;
  const parts: string[] = ['['];
  let first = true;
  for (const e of entries) {
    const fields = [`"seq_id" : ${e.seqId}`, `"qsl_idx" : ${e.qslIdx}`, `"data" : "${tokenIdsToHex(e.tokenIds)}"`];
    if (tokens) {
      if (e.firstTokenIds !== undefined) fields.push(`"token_data" : "${tokenIdsToHex(e.firstTokenIds)}"`);
      fields.push(`"token_count" : ${e.tokenCount ?? e.tokenIds.length}`);
    }
    parts.push(`${first ? '\n{ ' : ',\n{ '}${fields.join(', ')} }`);
    first = false;
  }
  parts.push('\n]\n');
  return parts.join('');
}
