/**
 * Per-request recorder: turns the events of one response into the timeline the
 * runner records. Network-free so it can be tested event by event; openai.ts
 * feeds it bytes and arrival times.
 *
 * Hot path (one call per event): integers into preallocated-growth arrays, no
 * strings, no JSON.parse for ordinary chunks (chunk.ts fast path). Everything
 * else (chunk token diffs, text decoding) happens once at the end.
 */
import { ChunkMemo, extractChunk, extractChunkRange, newChunkInfo, TextSink, type ChunkInfo } from './chunk.js';
import type { SseEvent, SseProblem, SseSink } from './sse.js';
import type { ErrorKind } from './types.js';

const PREVIEW_BYTES = 120;
/** beyond this, per-chunk arrays grow as needed instead of being sized up front */
const MAX_PREALLOCATED_CHUNKS = 1024;
const previewDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

export interface StreamFailure {
  kind: ErrorKind;
  message: string;
}

export class StreamRecorder implements SseSink {
  firstTokenUs = -1;
  /** first chunk with answer text (content, text, tool calls); -1 until one came */
  firstAnswerUs = -1;
  /** the last output chunk's arrival; -1 until one came */
  lastTokenUs = -1;
  /** some chunk carried reasoning text */
  sawReasoning = false;
  /**
   * Arrival times of the output chunks, in a preallocated array when the caller
   * said how many to expect (its max_tokens): filled in place, no growth and
   * copying per request. `chunkCount` are in use; `chunkTimesUs` trims to them.
   */
  private times: number[];
  private count = 0;
  // Per output chunk, kept only while they can still be used (each is all-or-nothing), so the
  // common stream allocates one of them, not four: a few KB less garbage per request.
  /** token_ids length per output chunk; null once a chunk came without token_ids */
  private chunkIds: number[] | null = [];
  /** usage.completion_tokens per output chunk (continuous usage); null once a chunk came without */
  private chunkUsage: number[] | null = [];
  /** output text bytes per output chunk (the estimate's weights); null once text was no longer kept */
  private chunkWeights: number[] | null;
  /** text sink size and literal count at the previous output chunk */
  private prevTextEnd = 0;
  private prevTextPieces = 0;
  private weightCount = 0;
  usagePromptTokens = -1;
  usageCompletionTokens = -1;
  finishReason: string | null = null;
  sawDone = false;
  /** the stream said it is over: [DONE], an error event, or bytes we cannot trust */
  finished = false;
  failure: StreamFailure | null = null;
  /** arrival time of the chunk being scanned; set by the caller before push() */
  nowUs = 0;
  private text: TextSink | null;
  private readonly info: ChunkInfo = newChunkInfo();
  /** what this stream's chunks repeat (id, object, created, model, the JSON around the text), validated once */
  private readonly memo = new ChunkMemo();

  /**
   * @param keepText keep the output text even when usage arrives (accuracy mode);
   *   without it text is kept only until the server reports usage, since it is
   *   needed only to count tokens when the server does not.
   */
  constructor(
    private readonly keepText: boolean,
    /** output chunks to expect at most (e.g. max_tokens): sizes the per-chunk arrays once; 0: unknown */
    expectedChunks = 0,
  ) {
    this.text = new TextSink();
    const cap = expectedChunks > 0 ? Math.min(expectedChunks, MAX_PREALLOCATED_CHUNKS) : 0;
    this.times = cap > 0 ? doubleArray(cap) : [];
    this.chunkWeights = cap > 0 ? new Array<number>(cap) : [];
  }

  /** output chunks so far (cheap; the live progress reads it per network read) */
  get chunkCount(): number {
    return this.count;
  }

  /** arrival times of the output chunks (the array itself, trimmed to the chunks received) */
  get chunkTimesUs(): number[] {
    if (this.times.length !== this.count) this.times.length = this.count;
    return this.times;
  }

  onEvent(ev: SseEvent): void {
    if (this.finished) return;
    // The scanner hands the payload as a range of its buffer: no view to allocate per event.
    const src = ev.src;
    const info =
      src !== undefined
        ? extractChunkRange(src, ev.start!, ev.end!, ev.type, this.text, this.info, this.memo)
        : extractChunk(ev.data, ev.type, this.text, this.info);
    switch (info.kind) {
      case 'ignored':
        return;
      case 'done':
        this.sawDone = true;
        this.finished = true;
        return;
      case 'error':
        this.fail('stream_error', info.errorMessage ?? 'error event in stream');
        return;
      case 'malformed':
        this.fail('malformed_stream', `not a JSON object: ${preview(ev.data)}`);
        return;
      case 'data':
        break;
    }
    // Read before usage may drop the text: the per-chunk text sizes weigh the
    // estimate of tokens per chunk when the server does not say.
    const textEnd = this.text === null ? -1 : this.text.byteLength;
    const textPieces = this.text === null ? -1 : this.text.pieceCount;
    // A token can arrive with no text (a detokenizer holding bytes back, a special token such as
    // GPT-OSS <|channel|>): a chunk whose usage rises carried tokens, so it is output. The
    // usage-only chunk after the finish (include_usage without continuous usage) rises from nothing
    // after a finish_reason: not output.
    const prevUsage = this.usageCompletionTokens;
    const usageRose =
      info.hasUsage &&
      info.usageCompletionTokens > (prevUsage > 0 ? prevUsage : 0) &&
      (prevUsage >= 0 || (this.finishReason === null && info.finishReason === null));
    if (info.hasUsage) {
      // Any chunk may carry usage (TGI 2.x: last content chunk; llama.cpp b6097: finish chunk; others: a
      // `choices: []` chunk; continuous usage: every chunk). The last one seen wins.
      if (info.usagePromptTokens >= 0) this.usagePromptTokens = info.usagePromptTokens;
      if (info.usageCompletionTokens >= 0) {
        this.usageCompletionTokens = info.usageCompletionTokens;
        if (!this.keepText && this.text !== null) this.text = null;
      }
    }
    if (info.hasOutput || usageRose) {
      const t = this.nowUs;
      if (this.firstTokenUs < 0) this.firstTokenUs = t;
      this.lastTokenUs = t;
      if (info.hasReasoning) this.sawReasoning = true;
      if (info.hasAnswer && this.firstAnswerUs < 0) this.firstAnswerUs = t;
      this.times[this.count++] = t;
      const ids = this.chunkIds;
      if (ids !== null) {
        if (info.tokenIdsCount >= 0) ids.push(info.tokenIdsCount);
        else this.chunkIds = null;
      }
      const usage = this.chunkUsage;
      if (usage !== null) {
        if (info.hasUsage && info.usageCompletionTokens >= 0) usage.push(info.usageCompletionTokens);
        else this.chunkUsage = null;
      }
      const weights = this.chunkWeights;
      if (weights !== null) {
        if (textEnd < 0) this.chunkWeights = null;
        else {
          // JSON string literals without their quotes and separators: each piece adds two
          // quotes, and each piece after the first a comma
          const pieces = textPieces - this.prevTextPieces;
          const overhead = pieces * 3 - (this.prevTextPieces === 0 && textPieces > 0 ? 1 : 0);
          weights[this.weightCount++] = Math.max(0, textEnd - this.prevTextEnd - overhead);
          this.prevTextEnd = textEnd;
          this.prevTextPieces = textPieces;
        }
      }
    }
    if (info.finishReason !== null) this.finishReason = info.finishReason;
  }

  onProblem(p: SseProblem): void {
    if (this.finished) return;
    if (p.kind === 'event_too_large') this.fail('malformed_stream', `stream event larger than ${p.limitBytes} bytes`);
  }

  fail(kind: ErrorKind, message: string): void {
    if (this.failure === null) this.failure = { kind, message };
    this.finished = true;
  }

  /**
   * Tokens per output chunk when the server said: token_ids on every output chunk,
   * else usage on every output chunk (continuous usage: diff of completion_tokens,
   * so tokens carried by a chunk with no text count toward the next one with text).
   * Usage on only some chunks (TGI puts the total on the last one) says nothing per chunk.
   */
  chunkTokens(): number[] | null {
    const n = this.count;
    if (n === 0) return null;
    if (this.chunkIds !== null) return this.chunkIds.slice();
    const usage = this.chunkUsage;
    if (usage === null) return null;
    const out = new Array<number>(n);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const cum = usage[i]!;
      out[i] = cum > prev ? cum - prev : 0;
      if (cum > prev) prev = cum;
    }
    return out;
  }

  /**
   * Bytes of output text per output chunk (JSON string literals without their
   * quotes and separators), or null when the text was not kept for every chunk.
   * Only a weight for estimating tokens per chunk; never a token count.
   */
  chunkTextWeights(): number[] | null {
    const w = this.chunkWeights;
    if (this.count === 0 || w === null) return null;
    // the recorder is done with it: hand over the array itself, trimmed, not a copy
    if (w.length !== this.weightCount) w.length = this.weightCount;
    return w;
  }

  /** Output text, when kept (keepText, or no usage reported). */
  textOrNull(): string | null {
    if (this.text === null) return null;
    if (!this.keepText && this.usageCompletionTokens >= 0) return null;
    try {
      return this.text.text();
    } catch {
      return null;
    }
  }

  /**
   * A non-streaming body: the same rules as a chunk. It has no first token, no
   * chunks and no last token of its own (firstTokenUs stays -1): only e2e.
   */
  static fromBody(info: ChunkInfo, text: TextSink, keepText: boolean): StreamRecorder {
    const r = new StreamRecorder(keepText);
    r.text = text;
    r.usagePromptTokens = info.usagePromptTokens;
    r.usageCompletionTokens = info.usageCompletionTokens;
    r.finishReason = info.finishReason;
    r.finished = true;
    return r;
  }
}

/**
 * An array of `n` holes with room for `n` doubles: `new Array(n)` makes room for
 * small integers, and the first time stamp stored then reallocates it.
 */
function doubleArray(n: number): number[] {
  const a = [0.5];
  a.length = n;
  return a;
}

function preview(data: Uint8Array): string {
  const s = previewDecoder.decode(data.subarray(0, PREVIEW_BYTES)).replace(/\s+/g, ' ');
  return data.length > PREVIEW_BYTES ? `${s}…` : s;
}
