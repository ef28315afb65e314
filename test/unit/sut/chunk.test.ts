import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  extractChunk,
  extractChunkFast,
  extractChunkSlow,
  extractResponseBody,
  newChunkInfo,
  TextSink,
  type ChunkInfo,
} from '../../../src/sut/chunk.js';

const enc = new TextEncoder();

/** Run both paths on the same bytes; when the fast one answers, it must answer exactly as JSON.parse does. */
function both(data: Uint8Array, type = 'message'): { info: ChunkInfo; text: string; fast: boolean } {
  const fastText = new TextSink();
  const slowText = new TextSink();
  const fastOut = newChunkInfo();
  const slowOut = newChunkInfo();
  const fast = extractChunkFast(data, type, fastText, fastOut);
  extractChunkSlow(data, type, slowText, slowOut);
  if (fast) {
    expect({ ...fastOut, fast: false }).toEqual(slowOut);
    expect(fastText.text()).toBe(slowText.text());
  } else {
    expect(fastText.byteLength).toBe(0); // giving up leaves nothing behind
  }
  return { info: slowOut, text: slowText.text(), fast };
}

const ev = (o: unknown) => both(enc.encode(typeof o === 'string' ? o : JSON.stringify(o)));
const chat = (delta: unknown, extra: Record<string, unknown> = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
  ...extra,
});

describe('extractChunk: what each server sends', () => {
  it('role-only first chunks are not output (vLLM/SGLang "", llama.cpp null, TRT-LLM no content)', () => {
    for (const delta of [{ role: 'assistant', content: '' }, { role: 'assistant', content: null }, { role: 'assistant' }]) {
      const r = ev(chat(delta));
      expect(r.info).toMatchObject({ kind: 'data', hasOutput: false });
      expect(r.fast).toBe(true);
    }
  });

  it('content, reasoning and reasoning_content are output; empty text is not', () => {
    expect(ev(chat({ content: ' hi' }))).toMatchObject({ fast: true, text: ' hi', info: { hasOutput: true } });
    expect(ev(chat({ reasoning: 'think' }))).toMatchObject({ fast: true, text: 'think', info: { hasOutput: true } });
    expect(ev(chat({ reasoning_content: 'hmm', content: null }))).toMatchObject({ fast: true, text: 'hmm' });
    // vLLM in transition may send both names with the same text: count it once.
    expect(ev(chat({ reasoning: 'a', reasoning_content: 'a' })).text).toBe('a');
    const completions = { id: 'c', object: 'text_completion', choices: [{ index: 0, text: '', logprobs: null, finish_reason: null }] };
    expect(ev(completions)).toMatchObject({ fast: true, info: { hasOutput: false } });
    completions.choices[0]!.text = 'x\n"y"';
    expect(ev(completions)).toMatchObject({ fast: true, text: 'x\n"y"', info: { hasOutput: true } });
  });

  it('tool calls are output (slow path) and their arguments are text', () => {
    const r = ev(chat({ tool_calls: [{ index: 0, function: { name: 'f', arguments: '{"a":1}' } }] }));
    expect(r).toMatchObject({ fast: false, text: 'f{"a":1}', info: { hasOutput: true } });
  });

  it('token_ids count tokens and make a chunk output even with empty text', () => {
    const o = { choices: [{ index: 0, text: '', token_ids: [5, 6, 7], finish_reason: null }] };
    expect(ev(o)).toMatchObject({ fast: true, info: { hasOutput: true, tokenIdsCount: 3 } });
  });

  it('usage on any chunk: the final choices:[] chunk, continuous usage, the last content chunk', () => {
    const usage = { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 };
    expect(ev({ id: 'x', choices: [], usage })).toMatchObject({
      fast: true,
      info: { hasUsage: true, usagePromptTokens: 12, usageCompletionTokens: 34, hasOutput: false },
    });
    expect(ev(chat({ content: 'a' }, { usage }))).toMatchObject({ fast: true, info: { hasUsage: true, hasOutput: true } });
    expect(ev(chat({ content: 'a' }, { usage: null }))).toMatchObject({ fast: true, info: { hasUsage: false } });
    expect(ev({ choices: [], usage: { completion_tokens: 3.5 } }).info).toMatchObject({ hasUsage: true, usageCompletionTokens: -1 });
    // Number spellings the fast path must not misread: JSON.parse says 5, or rejects the chunk.
    expect(ev('{"choices":[],"usage":{"completion_tokens":5.0}}').info.usageCompletionTokens).toBe(5);
    expect(ev('{"choices":[],"usage":{"completion_tokens":5e0}}').info.usageCompletionTokens).toBe(5);
    expect(ev('{"choices":[],"usage":{"completion_tokens":05}}').info.kind).toBe('malformed');
  });

  it('finish_reason', () => {
    const o = chat({}, {});
    o.choices[0]!.finish_reason = 'stop' as unknown as null;
    expect(ev(o)).toMatchObject({ fast: true, info: { finishReason: 'stop', hasOutput: false } });
  });

  it('error events in a 200 stream: vLLM, SGLang/older vLLM, TGI, and `event: error`', () => {
    expect(ev({ error: { message: 'boom', type: 'BadRequestError', code: 400 } }).info).toMatchObject({
      kind: 'error',
      errorMessage: 'boom (BadRequestError, 400)',
    });
    expect(ev({ object: 'error', message: 'The request queue is full.', type: 'x', code: 503 }).info).toMatchObject({
      kind: 'error',
      errorMessage: 'The request queue is full. (x, 503)',
    });
    expect(ev({ error: 'Model is overloaded', error_type: 'overloaded' }).info.errorMessage).toBe('Model is overloaded (overloaded)');
    expect(both(enc.encode('{"message":"nope"}'), 'error').info).toMatchObject({ kind: 'error', errorMessage: 'nope' });
  });

  it('[DONE], blank data and malformed data', () => {
    expect(ev('[DONE]')).toMatchObject({ fast: true, info: { kind: 'done' } });
    expect(ev(' [DONE]\n')).toMatchObject({ fast: true, info: { kind: 'done' } });
    expect(ev('')).toMatchObject({ fast: true, info: { kind: 'ignored' } });
    for (const bad of ['{"choices":[', 'hello', '[1]', '"s"', '{"a":1}x', '\uFEFF{}', '{"choices":[{"delta":{"content":"\u0001"}}]}']) {
      expect(ev(bad).info.kind).toBe('malformed');
    }
  });

  it('extractChunk gives the slow answer whichever path answers', () => {
    const data = enc.encode(JSON.stringify(chat({ content: 'z' })));
    const out = extractChunk(data, 'message', null, newChunkInfo());
    expect(out).toMatchObject({ kind: 'data', hasOutput: true, fast: true });
  });
});

describe('extractResponseBody (non-streaming)', () => {
  it('reads chat message and completions text, usage and finish_reason', () => {
    const text = new TextSink();
    const body = { choices: [{ index: 0, message: { role: 'assistant', content: 'hello', reasoning_content: 'r' }, finish_reason: 'length' }], usage: { prompt_tokens: 3, completion_tokens: 9 } };
    const info = extractResponseBody(enc.encode(JSON.stringify(body)), text, newChunkInfo());
    expect(info).toMatchObject({ kind: 'data', hasOutput: true, finishReason: 'length', usagePromptTokens: 3, usageCompletionTokens: 9 });
    expect(text.text()).toBe('rhello');
    expect(extractResponseBody(enc.encode('{"object":"list"}'), null, newChunkInfo()).kind).toBe('malformed');
  });
});

// ---------------------------------------------------------------------------
// Property: the fast path agrees with JSON.parse on the same bytes.

/** A tiny PRNG so one fast-check seed drives every serialisation choice. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** JSON text with random whitespace, escapes (also in keys), number spellings and duplicate keys. */
function serialize(v: unknown, r: () => number): string {
  const ws = () => (r() < 0.15 ? [' ', '\n', '\t', '\r', '  '][Math.floor(r() * 5)]! : '');
  const str = (s: string, escapeRate = 0.05) => {
    let out = '"';
    for (const ch of s) {
      const code = ch.codePointAt(0)!;
      if (r() < escapeRate && code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
      else if (ch === '/' && r() < 0.5) out += '\\/';
      else out += JSON.stringify(ch).slice(1, -1);
    }
    return out + '"';
  };
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && r() < 0.1) return `${v}.0`;
    if (Number.isInteger(v) && r() < 0.1) return `${v}e0`;
    return JSON.stringify(v);
  }
  if (typeof v === 'string') return str(v);
  if (Array.isArray(v)) return `[${ws()}${v.map((x) => serialize(x, r)).join(`${ws()},${ws()}`)}${ws()}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  const parts: string[] = [];
  // Keys are escaped rarely (an escaped key sends the fast path to JSON.parse), values often.
  const key = (k: string) => str(k, r() < 0.03 ? 0.5 : 0);
  for (const [k, x] of entries) {
    if (r() < 0.03) parts.push(`${key(k)}${ws()}:${ws()}${serialize(r() < 0.5 ? null : 'dup', r)}`);
    parts.push(`${key(k)}${ws()}:${ws()}${serialize(x, r)}`);
  }
  return `{${ws()}${parts.join(`${ws()},${ws()}`)}${ws()}}`;
}

const text = fc.oneof(
  fc.constantFrom('', ' ', 'a', ' the', '\n', '"', '\\', '\u2028', 'é', '😀', '\u0000', '\uFEFF', 'stop', '/'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
);
const nullable = <T>(a: fc.Arbitrary<T>) => fc.oneof(a, fc.constant(null));
const count = fc.oneof({ weight: 6, arbitrary: fc.nat(5000) }, fc.constant(null), fc.constantFrom(-1, 2.5, 1e3, 2 ** 60));
const delta = fc.record(
  {
    role: fc.constant('assistant'),
    content: nullable(text),
    reasoning: nullable(text),
    reasoning_content: nullable(text),
    tool_calls: fc.oneof(
      { weight: 4, arbitrary: fc.constant(null) },
      fc.constant([]),
      fc.constant([{ index: 0, function: { name: 'f', arguments: '{}' } }]),
    ),
  },
  { requiredKeys: [] },
);
const choice = fc.record(
  {
    index: fc.nat(2),
    delta: nullable(delta),
    text: nullable(text),
    logprobs: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
    finish_reason: nullable(fc.oneof(fc.constantFrom('stop', 'length', 'tool_calls'), text)),
    stop_reason: nullable(fc.oneof(fc.nat(), text)),
    token_ids: nullable(fc.array(fc.nat(200_000), { maxLength: 4 })),
  },
  { requiredKeys: [] },
);
const usage = fc.record(
  { prompt_tokens: count, completion_tokens: count, total_tokens: count, completion_tokens_details: fc.jsonValue({ maxDepth: 1 }) },
  { requiredKeys: [] },
);
/** Chunks as servers send them (mostly within what the fast path handles). */
const ordinaryChunk = fc.record(
  {
    id: text,
    object: fc.constantFrom('chat.completion.chunk', 'text_completion'),
    created: fc.nat(),
    model: text,
    choices: fc.oneof(fc.constant([]), fc.array(choice, { minLength: 1, maxLength: 1 })),
    usage: nullable(usage),
    system_fingerprint: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['choices'] },
);
/** Anything goes: errors, several choices, odd types, messages in a stream. */
const wildChunk = fc.record(
  {
    id: text,
    object: fc.constantFrom('chat.completion.chunk', 'text_completion', 'error'),
    choices: fc.oneof(fc.constant(null), fc.array(fc.oneof(choice, choice.map((c) => ({ ...c, message: { content: 'm' } })), fc.jsonValue({ maxDepth: 1 })), { maxLength: 2 }), fc.constant('x')),
    usage: fc.oneof(nullable(usage), fc.jsonValue({ maxDepth: 1 })),
    error: fc.oneof(fc.constant(null), fc.constant('boom'), fc.constant({ message: 'boom', code: 500 })),
    message: text,
  },
  { requiredKeys: [] },
);
const chunkObject = fc.oneof({ weight: 3, arbitrary: ordinaryChunk }, wildChunk);

describe('fast path = JSON.parse path (property)', () => {
  it('agrees on arbitrary chunk objects serialised in arbitrary ways', () => {
    let fastAnswers = 0;
    fc.assert(
      fc.property(chunkObject, fc.nat(), (o, seed) => {
        if (both(enc.encode(serialize(o, rng(seed + 1)))).fast) fastAnswers++;
      }),
      { numRuns: 1500 },
    );
    // The fast path must actually be exercised, not give up on everything.
    expect(fastAnswers).toBeGreaterThan(150);
  });

  it('agrees on truncated and corrupted chunks', () => {
    const mutation = fc.tuple(fc.constantFrom('truncate', 'insert', 'replace', 'delete'), fc.nat(), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(chunkObject, fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (o, seed, muts) => {
        let b = Array.from(enc.encode(serialize(o, rng(seed + 1))));
        for (const [m, at, byte] of muts) {
          const i = b.length === 0 ? 0 : at % b.length;
          if (m === 'truncate') b = b.slice(0, i);
          else if (m === 'insert') b.splice(i, 0, byte);
          else if (m === 'replace') b[i] = byte;
          else b.splice(i, 1);
        }
        both(new Uint8Array(b));
      }),
      { numRuns: 1500 },
    );
  });
});
