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
  /**
   * when the request's bytes were handed to a socket (issue delay = issuedUs -
   * scheduledUs: every wait inside the client, for a concurrency slot, a pooled
   * connection or a new one, is in it)
   */
  issuedUs: number;
  /** the part of the issue delay spent waiting for a connection (pool full, connection setup); absent in older files */
  connectWaitUs?: number;
  /** first chunk carrying a token (text, reasoning, token ids, or a rise in usage); null when none arrived or not streamed */
  firstTokenUs: number | null;
  /**
   * first chunk carrying answer text after reasoning (time to first answer
   * token); present only when the stream carried reasoning; null when no answer came
   */
  firstAnswerUs?: number | null;
  /** a successful stream: the last token's chunk; otherwise the response's end or the failure */
  completedUs: number;
  /** a successful stream: from the last token's chunk to [DONE] or the end of the body (not part of e2e) */
  closeWaitUs?: number;
  /** false when the response was one JSON body, not SSE (no TTFT, TPOT or ITL); absent in older files: true */
  streamed?: boolean;
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
