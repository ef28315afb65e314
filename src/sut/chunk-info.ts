/**
 * The answer for one stream event (or one non-streaming body), shared by the
 * slow path (chunk.ts), the fast walker (chunk-fast.ts) and the recorder
 * (stream.ts). Reused across events: no allocation per event.
 */

export type ChunkKind =
  /** an ordinary JSON chunk (may or may not carry output) */
  | 'data'
  /** `[DONE]` */
  | 'done'
  /** an error event inside the stream */
  | 'error'
  /** not JSON, or JSON that is not an object */
  | 'malformed'
  /** empty (whitespace-only) data */
  | 'ignored';

/** Per-event result; reused by the caller across events (no allocation per event). */
export interface ChunkInfo {
  kind: ChunkKind;
  /** carries output: non-empty content / reasoning / text, tool calls, or token ids */
  hasOutput: boolean;
  /** carries answer output: non-empty content / completions text, or tool calls (not reasoning) */
  hasAnswer: boolean;
  /** carries non-empty reasoning text */
  hasReasoning: boolean;
  /** total length of choices[].token_ids; -1 when no token_ids field */
  tokenIdsCount: number;
  /** the chunk has a usage object */
  hasUsage: boolean;
  /** usage.prompt_tokens; -1 when absent or not a non-negative integer */
  usagePromptTokens: number;
  /** usage.completion_tokens; -1 when absent or not a non-negative integer */
  usageCompletionTokens: number;
  finishReason: string | null;
  errorMessage: string | null;
  /** answered by the fast path (for tests and counters; never changes the answer) */
  fast: boolean;
}

export function newChunkInfo(): ChunkInfo {
  return {
    kind: 'ignored',
    hasOutput: false,
    hasAnswer: false,
    hasReasoning: false,
    tokenIdsCount: -1,
    hasUsage: false,
    usagePromptTokens: -1,
    usageCompletionTokens: -1,
    finishReason: null,
    errorMessage: null,
    fast: false,
  };
}

export function resetInfo(out: ChunkInfo, kind: ChunkKind, fast: boolean): ChunkInfo {
  out.kind = kind;
  out.hasOutput = false;
  out.hasAnswer = false;
  out.hasReasoning = false;
  out.tokenIdsCount = -1;
  out.hasUsage = false;
  out.usagePromptTokens = -1;
  out.usageCompletionTokens = -1;
  out.finishReason = null;
  out.errorMessage = null;
  out.fast = fast;
  return out;
}
