/**
 * One line of requests.jsonl: everything measured about one query, as integers.
 * Times are µs from the run's start (the schedule's t = 0). Public: `tokbench
 * report --from` and `merge` rebuild summaries from these lines.
 */
import type { ErrorKind } from '../sut/types.js';

export type TokenCountSource = 'usage' | 'tokenizer' | 'none';
/** How per-chunk token counts (for per-token ITL) were known. */
export type ChunkTokenSource = 'server' | 'single' | 'estimated' | 'none';

export interface RequestRecord {
  seq: number;
  sampleIndex: number;
  endpoint: number;
  warmup: boolean;
  /** when the schedule said to issue it */
  scheduledUs: number;
  /** when the client actually issued it (issue delay = issuedUs - scheduledUs) */
  issuedUs: number;
  /** first output chunk; null when none arrived */
  firstTokenUs: number | null;
  /** response finished or failed */
  completedUs: number;
  inputTokens: number;
  outputTokens: number;
  /** where outputTokens came from */
  tokenSource: TokenCountSource;
  /** output chunks received */
  chunks: number;
  /** gaps between successive output chunks, µs (length chunks - 1); omitted with --no-record-chunks */
  chunkGapsUs?: number[];
  /** tokens per output chunk (length chunks), when known or estimated */
  chunkTokens?: number[];
  chunkTokenSource: ChunkTokenSource;
  ok: boolean;
  error: { kind: ErrorKind; httpStatus?: number; message: string } | null;
  retries: number;
}
