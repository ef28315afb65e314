/**
 * What the client's speed rests on, pinned as behaviour (never as timings):
 * the byte scanner (sse.ts), the JSON-free chunk reader with its per-stream
 * memo (chunk.ts) and the recorder (stream.ts) together give, for every way the
 * network may split a stream, exactly what a plain parser gives on the same
 * bytes: the same events, arrival times, token counts, text weights, usage,
 * finish reason and failures.
 *
 * The plain parser here is the string-based SSE oracle (sse-reference.ts),
 * JSON.parse per event (extractChunkSlow, the definition) and the recorder's
 * rules restated without any of its shortcuts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderEvents } from '../../../bench/render.js';
import { extractChunkSlow, newChunkInfo, TextSink } from '../../../src/sut/chunk.js';
import { ReferenceSseParser } from '../../../src/sut/sse-reference.js';
import { SseScanner } from '../../../src/sut/sse.js';
import { StreamRecorder } from '../../../src/sut/stream.js';

const enc = new TextEncoder();

interface Timeline {
  firstTokenUs: number;
  chunkTimesUs: number[];
  chunkTokens: number[] | null;
  chunkTextWeights: number[] | null;
  usagePromptTokens: number;
  usageCompletionTokens: number;
  finishReason: string | null;
  sawDone: boolean;
  finished: boolean;
  failure: string | null;
  text: string | null;
}

/** The fast path as openai.ts drives it: one scanner, one recorder, each piece stamped with its arrival time. */
function fast(pieces: Uint8Array[], times: number[], keepText: boolean, expectedChunks: number): Timeline {
  const scanner = new SseScanner();
  const rec = new StreamRecorder(keepText, expectedChunks);
  for (let i = 0; i < pieces.length; i++) {
    if (rec.finished) break;
    // The network buffer is reused once the handler returns: nothing may be kept from it.
    const copy = pieces[i]!.slice();
    rec.nowUs = times[i]!;
    scanner.push(copy, rec);
    copy.fill(0x20);
  }
  if (!rec.finished) {
    rec.nowUs = times[times.length - 1]! + 1;
    scanner.end(rec, { dispatchPending: true });
  }
  return {
    firstTokenUs: rec.firstTokenUs,
    chunkTimesUs: rec.chunkTimesUs.slice(),
    chunkTokens: rec.chunkTokens(),
    chunkTextWeights: rec.chunkTextWeights(),
    usagePromptTokens: rec.usagePromptTokens,
    usageCompletionTokens: rec.usageCompletionTokens,
    finishReason: rec.finishReason,
    sawDone: rec.sawDone,
    finished: rec.finished,
    failure: rec.failure === null ? null : rec.failure.kind,
    text: rec.textOrNull(),
  };
}

/** The plain way: string SSE parsing, JSON.parse per event, the recorder's rules written out longhand. */
function plain(pieces: Uint8Array[], times: number[], keepText: boolean): Timeline {
  const parser = new ReferenceSseParser();
  const out: Timeline = {
    firstTokenUs: -1,
    chunkTimesUs: [],
    chunkTokens: null,
    chunkTextWeights: null,
    usagePromptTokens: -1,
    usageCompletionTokens: -1,
    finishReason: null,
    sawDone: false,
    finished: false,
    failure: null,
    text: null,
  };
  const ids: number[] = [];
  const usage: number[] = [];
  const textEnds: number[] = [];
  const textPieces: number[] = [];
  let text: TextSink | null = new TextSink();
  const info = newChunkInfo();
  const onEvent = (data: string, type: string, t: number) => {
    if (out.finished) return;
    extractChunkSlow(enc.encode(data), type, text, info);
    if (info.kind === 'ignored') return;
    if (info.kind === 'done') {
      out.sawDone = true;
      out.finished = true;
      return;
    }
    if (info.kind === 'error' || info.kind === 'malformed') {
      out.failure = info.kind === 'error' ? 'stream_error' : 'malformed_stream';
      out.finished = true;
      return;
    }
    const end = text === null ? -1 : text.byteLength;
    const count = text === null ? -1 : text.pieceCount;
    // usage that rises above the last usage seen (or a first usage before any finish_reason) carried tokens
    const prev = out.usageCompletionTokens;
    const rose = info.hasUsage && info.usageCompletionTokens > Math.max(prev, 0) && (prev >= 0 || (out.finishReason === null && info.finishReason === null));
    if (info.hasUsage) {
      if (info.usagePromptTokens >= 0) out.usagePromptTokens = info.usagePromptTokens;
      if (info.usageCompletionTokens >= 0) {
        out.usageCompletionTokens = info.usageCompletionTokens;
        if (!keepText) text = null;
      }
    }
    if (info.hasOutput || rose) {
      if (out.firstTokenUs < 0) out.firstTokenUs = t;
      out.chunkTimesUs.push(t);
      ids.push(info.tokenIdsCount);
      usage.push(info.hasUsage ? info.usageCompletionTokens : -1);
      textEnds.push(end);
      textPieces.push(count);
    }
    if (info.finishReason !== null) out.finishReason = info.finishReason;
  };
  for (let i = 0; i < pieces.length && !out.finished; i++) for (const ev of parser.push(pieces[i]!)) onEvent(ev.data, ev.type, times[i]!);
  if (!out.finished) for (const ev of parser.end({ dispatchPending: true })) onEvent(ev.data, ev.type, times[times.length - 1]! + 1);

  const n = out.chunkTimesUs.length;
  if (n > 0) {
    if (ids.every((x) => x >= 0)) out.chunkTokens = ids;
    else if (usage.every((x) => x >= 0)) {
      let prev = 0;
      out.chunkTokens = usage.map((cum) => {
        const k = cum > prev ? cum - prev : 0;
        prev = Math.max(prev, cum);
        return k;
      });
    }
    if (textEnds.every((x) => x >= 0)) {
      let prevEnd = 0;
      let prevPieces = 0;
      out.chunkTextWeights = textEnds.map((e, i) => {
        const p = textPieces[i]!;
        const overhead = (p - prevPieces) * 3 - (prevPieces === 0 && p > 0 ? 1 : 0);
        const w = Math.max(0, e - prevEnd - overhead);
        prevEnd = e;
        prevPieces = p;
        return w;
      });
    }
  }
  out.text = text === null || (!keepText && out.usageCompletionTokens >= 0) ? null : text.text();
  return out;
}

function splitAt(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  out.push(b.subarray(prev));
  return out;
}

/** Arrival time of piece i: strictly increasing, so every event's time names the piece that completed it. */
const timesFor = (pieces: Uint8Array[]) => pieces.map((_, i) => 1_000_000 + 7 * i);

function agree(bytes: Uint8Array, pieces: Uint8Array[], keepText = false, expectedChunks = 0): Timeline {
  const times = timesFor(pieces);
  const a = fast(pieces, times, keepText, expectedChunks);
  const b = plain(pieces, times, keepText);
  // a deep toEqual per split is slow; compare the serialisations and let toEqual explain a difference
  if (JSON.stringify(a) !== JSON.stringify(b)) expect(a).toEqual(b);
  // and the pieces really are the stream
  expect(Buffer.compare(Buffer.concat(pieces), bytes)).toBe(0);
  return a;
}

/** A stream in vLLM's shape (the bytes the benchmark server sends). */
function vllm(api: 'chat' | 'completions', tokens: number, id = 'abc123'): Uint8Array {
  const r = renderEvents(api, tokens, id);
  return enc.encode(r.head + r.events.join('') + r.tail);
}

describe('fast path = plain parser, whole stream, every split', () => {
  it('vLLM chat: one piece, byte by byte, and every single cut point', () => {
    const b = vllm('chat', 6);
    const whole = agree(b, [b]);
    expect(whole.chunkTimesUs).toHaveLength(6);
    expect(whole.usageCompletionTokens).toBe(6);
    expect(whole.finishReason).toBe('length');
    expect(whole.sawDone).toBe(true);
    const bytewise = agree(b, Array.from(b, (x) => Uint8Array.of(x)));
    expect(bytewise.chunkTimesUs).toHaveLength(6);
    for (let cut = 0; cut <= b.length; cut++) agree(b, splitAt(b, [cut]));
  });

  it('vLLM completions: every single cut point, with text kept', () => {
    const b = vllm('completions', 5);
    for (let cut = 0; cut <= b.length; cut++) agree(b, splitAt(b, [cut]), true);
  });

  it('a 256-token vLLM stream split at random places, with and without preallocated arrays', () => {
    const b = vllm('chat', 256, 'f00dfeed');
    fc.assert(
      fc.property(fc.array(fc.nat(b.length), { maxLength: 40 }), fc.constantFrom(0, 16, 256, 1024), (cuts, expected) => {
        const t = agree(b, splitAt(b, cuts), false, expected);
        expect(t.chunkTimesUs).toHaveLength(256);
      }),
      { numRuns: 60 },
    );
  });

  // Other servers' shapes and what goes wrong on the wire, split at random places.
  const chunk = (o: Record<string, unknown>) => `data: ${JSON.stringify(o)}\n\n`;
  const c = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    chunk({ id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 5, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: null }], ...extra });
  const streams: Record<string, string> = {
    'continuous usage (vLLM/SGLang): tokens per chunk from usage diffs': [
      c({ role: 'assistant', content: '' }, { usage: { prompt_tokens: 7, completion_tokens: 0 } }),
      c({ content: 'a' }, { usage: { prompt_tokens: 7, completion_tokens: 1 } }),
      c({ content: '' }, { usage: { prompt_tokens: 7, completion_tokens: 2 } }),
      c({ content: ' b c' }, { usage: { prompt_tokens: 7, completion_tokens: 4 } }),
      c({ content: ' d' }, { usage: { prompt_tokens: 7, completion_tokens: 5 } }),
      'data: [DONE]\n\n',
    ].join(''),
    'token_ids on every chunk, reasoning then content, CRLF line ends': [
      c({ role: 'assistant', content: '' }),
      c({ reasoning: 'think' }, { choices: [{ index: 0, delta: { reasoning: 'think' }, token_ids: [1, 2] }] }),
      c({ reasoning: ' more' }, { choices: [{ index: 0, delta: { reasoning: ' more' }, token_ids: [3] }] }),
      c({ content: 'answer' }, { choices: [{ index: 0, delta: { content: 'answer' }, token_ids: [4, 5, 6] }] }),
      chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 6 } }),
      'data: [DONE]\n\n',
    ]
      .join('')
      .replace(/\n/g, '\r\n'),
    'TGI-like: usage on the last content chunk, keep-alive comments, no [DONE]': [
      ': ping\n\n',
      chunk({ object: 'chat.completion.chunk', id: '', created: 1, model: 'tgi', system_fingerprint: '2.4', choices: [{ index: 0, delta: { role: 'assistant', content: 'x' }, logprobs: null, finish_reason: null }] }),
      ': ping\n\n',
      chunk({ object: 'chat.completion.chunk', id: '', created: 1, model: 'tgi', system_fingerprint: '2.4', choices: [{ index: 0, delta: { role: 'assistant', content: 'y z' }, logprobs: null, finish_reason: null }] }),
      chunk({ object: 'chat.completion.chunk', id: '', created: 1, model: 'tgi', system_fingerprint: '2.4', choices: [{ index: 0, delta: { role: 'assistant', content: '!' }, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 2, completion_tokens: 4 } }),
    ].join(''),
    'no usage at all: text kept for the tokenizer, escapes and non-ASCII': [
      c({ role: 'assistant', content: '' }),
      c({ content: 'é"\\n' }),
      c({ content: '😀' }),
      c({ content: '\u2028 tab\t' }),
      c({ content: ' end' }, { choices: [{ index: 0, delta: { content: ' end' }, finish_reason: 'stop' }] }),
      'data: [DONE]\n\n',
    ].join(''),
    'an error event in a 200 stream after some output': [c({ content: 'a' }), c({ content: 'b' }), chunk({ error: { message: 'KV cache full', code: 500 } }), c({ content: 'c' })].join(''),
    'a corrupted chunk after some output': [c({ content: 'a' }), c({ content: 'b' }), 'data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":5,"model":"m","choices":[{"index":0,"delta":{"content":"c\\x"}}]}\n\n', c({ content: 'd' })].join(''),
    'multi-line data and event fields': ['event: message\ndata: {"choices":[{"index":0,\ndata: "delta":{"content":"a"}}]}\n\n', c({ content: 'b' }), 'event: error\ndata: {"message":"boom"}\n\n'].join(''),
  };
  for (const [name, s] of Object.entries(streams)) {
    it(name, () => {
      const b = enc.encode(s);
      for (const keepText of [false, true]) {
        agree(b, [b], keepText);
        agree(b, Array.from(b, (x) => Uint8Array.of(x)), keepText);
        fc.assert(
          fc.property(fc.array(fc.nat(b.length), { maxLength: 12 }), (cuts) => {
            agree(b, splitAt(b, cuts), keepText, 4);
          }),
          { numRuns: 80 },
        );
      }
    });
  }
});
