/**
 * The per-stream chunk memo (chunk.ts ChunkMemo) lets the fast path skip bytes
 * it has already validated: the root members every chunk repeats, or the whole
 * chunk around its text. Skipping must never change an answer: event by event,
 * a stream read with one memo gives exactly what JSON.parse gives, whatever
 * the bytes — repeated, slightly different, corrupted at the edges of what the
 * memo remembers, or placed anywhere in a larger network buffer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkMemo, extractChunkRange, extractChunkSlow, newChunkInfo, TextSink } from '../../../src/sut/chunk.js';

const enc = new TextEncoder();

/** One event through the memo path (at `offset` in a larger buffer) and through JSON.parse; they must agree. */
function check(memo: ChunkMemo, data: Uint8Array, offset: number, type = 'message'): void {
  const buf = new Uint8Array(offset + data.length + 3).fill(0x7b); // '{' around it: the range must be respected
  buf.set(data, offset);
  const memoText = new TextSink();
  const slowText = new TextSink();
  const a = extractChunkRange(buf, offset, offset + data.length, type, memoText, newChunkInfo(), memo);
  const b = extractChunkSlow(data.slice(), type, slowText, newChunkInfo());
  expect({ ...a, fast: false }).toEqual(b);
  expect(memoText.text()).toBe(slowText.text());
}

const head = (id: string) => `{"id":"${id}","object":"chat.completion.chunk","created":1700000000,"model":"m"`;
const vllmChat = (id: string, content: string, finish: string | null = null) =>
  `${head(id)},"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"logprobs":null,"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}]}`;

describe('chunk memo: same answers as JSON.parse', () => {
  it('a vLLM stream: the template takes over after the first content chunk, and every answer is right', () => {
    const memo = new ChunkMemo();
    const events = [
      `${head('a1')},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
      ...[' the', ' of', 'x', '', ' "q"', '\\', 'é😀', ' and'].map((t) => vllmChat('a1', t)),
      vllmChat('a1', ' end', 'length'),
      `${head('a1')},"choices":[],"usage":{"prompt_tokens":8,"total_tokens":17,"completion_tokens":9}}`,
      '[DONE]',
    ];
    let templated = 0;
    for (const [i, e] of events.entries()) {
      check(memo, enc.encode(e), i % 5);
      if (memo.holeS >= 0 && i >= 2 && i <= 8) templated++;
    }
    expect(templated).toBe(7);
  });

  // A stream: one style of bytes (key order, whitespace, extra fields), chunks that vary in
  // their text and now and then in anything else, and damage anywhere.
  const text = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('', ' the', ' a', 'x', '\\n', '\\"', '\\u00e9', 'é', '😀', '\\\\', ' ') },
    fc.string({ maxLength: 5 }).map((s) => JSON.stringify(s).slice(1, -1)),
    // not valid inside a JSON string
    fc.constantFrom('\\x', '\t', '"', '\\u12', '\n'),
  );
  const field = fc.constantFrom('content', 'reasoning', 'reasoning_content', 'text');
  const ws = fc.constantFrom('', ' ', '\n ');
  const eventArb = fc.record({
    field: fc.oneof({ weight: 8, arbitrary: fc.constant('content') }, field),
    text,
    secondText: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, fc.constant('""'), fc.constant('"z"'), fc.constant('null')),
    finish: fc.oneof({ weight: 8, arbitrary: fc.constant('null') }, fc.constantFrom('"stop"', '"length"', '"st\\u006fp"', '7')),
    usage: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, fc.constantFrom(',"usage":{"prompt_tokens":3,"completion_tokens":4}', ',"usage":null', ',"usage":{"completion_tokens":1.5}')),
    tokenIds: fc.oneof({ weight: 6, arbitrary: fc.constant('') }, fc.constantFrom(',"token_ids":[1,2]', ',"token_ids":[]')),
    idChange: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, fc.constant(true)),
    extraRoot: fc.oneof({ weight: 8, arbitrary: fc.constant('') }, fc.constantFrom(',"object":"error"', ',"error":null', ',"x":[1,{"y":2}]', ',"choices":[]')),
    damage: fc.oneof(
      { weight: 8, arbitrary: fc.constant(null) },
      fc.tuple(fc.constantFrom('replace', 'insert', 'delete', 'truncate'), fc.nat(), fc.constantFrom(0x22, 0x2c, 0x7d, 0x5d, 0x5c, 0x20, 0x61, 0x3a, 0x00)),
    ),
    offset: fc.nat(7),
  });
  const styleArb = fc.record({ ws, sep: ws, idLen: fc.nat(6), model: fc.constantFrom('m', 'meta-llama/Llama-2-70b-chat-hf', 'é') });

  type Ev = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;
  type Style = typeof styleArb extends fc.Arbitrary<infer T> ? T : never;

  function render(style: Style, ev: Ev, n: number): Uint8Array {
    const w = style.ws;
    const s = style.sep;
    const id = 'c'.repeat(style.idLen) + (ev.idChange ? String(n) : '');
    const second = ev.secondText === null ? '' : `,${s}"${ev.field === 'content' ? 'reasoning' : 'content'}":${w}${ev.secondText}`;
    const str =
      `${w}{${w}"id":${w}"${id}",${s}"object":${w}"chat.completion.chunk",${s}"created":${w}1700000000,${s}"model":${w}${JSON.stringify(style.model)}${ev.extraRoot}` +
      `,${s}"choices":${w}[{"index":0,${s}${ev.field === 'text' ? '' : `"delta":{`}"${ev.field}":${w}"${ev.text}"${second}${ev.field === 'text' ? '' : '}'}` +
      `,${s}"logprobs":null,${s}"finish_reason":${w}${ev.finish}${ev.tokenIds}}]${ev.usage}${w}}${w}`;
    let b = Array.from(enc.encode(str));
    if (ev.damage !== null) {
      const [kind, at, byte] = ev.damage;
      const i = b.length === 0 ? 0 : at % b.length;
      if (kind === 'replace') b[i] = byte;
      else if (kind === 'insert') b.splice(i, 0, byte);
      else if (kind === 'delete') b.splice(i, 1);
      else b = b.slice(0, i);
    }
    return new Uint8Array(b);
  }

  it('streams of similar chunks with variations and damage (property)', () => {
    fc.assert(
      fc.property(styleArb, fc.array(eventArb, { minLength: 1, maxLength: 24 }), (style, events) => {
        const memo = new ChunkMemo();
        events.forEach((e, n) => check(memo, render(style, e, n), e.offset));
      }),
      { numRuns: 600 },
    );
  });

  it('a chunk equal to the template except one byte, for every byte', () => {
    const base = vllmChat('id42', ' tok');
    const baseBytes = enc.encode(base);
    for (let i = 0; i < baseBytes.length; i++) {
      for (const byte of [0x20, 0x22, 0x2c, 0x5c, 0x7d, 0x30]) {
        const memo = new ChunkMemo();
        check(memo, baseBytes, 0); // becomes the template
        check(memo, enc.encode(vllmChat('id42', ' next')), 1); // uses it
        const changed = baseBytes.slice();
        changed[i] = byte;
        check(memo, changed, 2);
        check(memo, enc.encode(vllmChat('id42', ' after')), 3);
      }
    }
  });

  it('error events never go through the memo', () => {
    const memo = new ChunkMemo();
    check(memo, enc.encode(vllmChat('e', 'a')), 0);
    check(memo, enc.encode(vllmChat('e', 'b')), 0, 'error');
    check(memo, enc.encode(vllmChat('e', 'c')), 0);
  });
});
