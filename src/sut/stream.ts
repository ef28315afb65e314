/**
 * Per-request recorder: turns the events of one response into the timeline the
 * runner records. Network-free so it can be tested event by event; openai.ts
 * feeds it bytes and arrival times.
 *
 * Hot path (one call per event): integers into preallocated-growth arrays, no
 * strings, no JSON.parse for ordinary chunks (chunk.ts fast path). Everything
 * else (chunk token diffs, text decoding) happens once at the end.
 */
import { extractChunk, newChunkInfo, TextSink, type ChunkInfo } from './chunk.js';
import type { SseEvent, SseProblem, SseSink } from './sse.js';
import type { ErrorKind } from './types.js';

const PREVIEW_BYTES = 120;
const previewDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

export interface StreamFailure {
  kind: ErrorKind;
  message: string;
}

export class StreamRecorder implements SseSink {
  firstTokenUs = -1;
  readonly chunkTimesUs: number[] = [];
  /** token_ids length per output chunk, -1 when the chunk had none */
  private readonly chunkIds: number[] = [];
  /** usage.completion_tokens carried by each output chunk, -1 when none (continuous usage gives them all) */
  private readonly chunkUsage: number[] = [];
  /** text bytes collected up to and including each output chunk, -1 once text is no longer kept */
  private readonly chunkTextEnd: number[] = [];
  private readonly chunkTextPieces: number[] = [];
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

  /**
   * @param keepText keep the output text even when usage arrives (accuracy mode);
   *   without it text is kept only until the server reports usage, since it is
   *   needed only to count tokens when the server does not.
   */
  constructor(private readonly keepText: boolean) {
    this.text = new TextSink();
  }

  onEvent(ev: SseEvent): void {
    if (this.finished) return;
    const info = extractChunk(ev.data, ev.type, this.text, this.info);
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
    if (info.hasUsage) {
      // Any chunk may carry usage (TGI 2.x: last content chunk; llama.cpp b6097: finish chunk; others: a
      // `choices: []` chunk; continuous usage: every chunk). The last one seen wins.
      if (info.usagePromptTokens >= 0) this.usagePromptTokens = info.usagePromptTokens;
      if (info.usageCompletionTokens >= 0) {
        this.usageCompletionTokens = info.usageCompletionTokens;
        if (!this.keepText && this.text !== null) this.text = null;
      }
    }
    if (info.hasOutput) {
      const t = this.nowUs;
      if (this.firstTokenUs < 0) this.firstTokenUs = t;
      this.chunkTimesUs.push(t);
      this.chunkIds.push(info.tokenIdsCount);
      this.chunkUsage.push(info.hasUsage ? info.usageCompletionTokens : -1);
      this.chunkTextEnd.push(textEnd);
      this.chunkTextPieces.push(textPieces);
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
    const n = this.chunkTimesUs.length;
    if (n === 0) return null;
    if (this.chunkIds.every((x) => x >= 0)) return this.chunkIds.slice();
    if (!this.chunkUsage.every((x) => x >= 0)) return null;
    const out = new Array<number>(n);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const cum = this.chunkUsage[i]!;
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
    const n = this.chunkTimesUs.length;
    if (n === 0) return null;
    const out = new Array<number>(n);
    let prevEnd = 0;
    let prevPieces = 0;
    for (let i = 0; i < n; i++) {
      const end = this.chunkTextEnd[i]!;
      const pieces = this.chunkTextPieces[i]!;
      if (end < 0) return null;
      // each piece adds two quotes, and each piece after the first a comma
      const overhead = (pieces - prevPieces) * 3 - (prevPieces === 0 && pieces > 0 ? 1 : 0);
      out[i] = Math.max(0, end - prevEnd - overhead);
      prevEnd = end;
      prevPieces = pieces;
    }
    return out;
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

  /** A non-streaming body: the same rules as a chunk; firstTokenUs = completedUs = arrival of the body. */
  static fromBody(info: ChunkInfo, text: TextSink, keepText: boolean, tUs: number): StreamRecorder {
    const r = new StreamRecorder(keepText);
    r.text = text;
    r.firstTokenUs = tUs;
    r.usagePromptTokens = info.usagePromptTokens;
    r.usageCompletionTokens = info.usageCompletionTokens;
    r.finishReason = info.finishReason;
    r.finished = true;
    return r;
  }
}

function preview(data: Uint8Array): string {
  const s = previewDecoder.decode(data.subarray(0, PREVIEW_BYTES)).replace(/\s+/g, ' ');
  return data.length > PREVIEW_BYTES ? `${s}…` : s;
}
