import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReferenceSseParser, type ReferenceSseEvent } from '../../../src/sut/sse-reference.js';
import { decodeSseData, scanSse, SseScanner, type SseProblem, type SseSink } from '../../../src/sut/sse.js';

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

/** Split `b` at the given cut points. */
function split(b: Uint8Array, cuts: number[]): Uint8Array[] {
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

/** Events per push, from both parsers; they must agree push by push (same dispatch latency, not just the same list). */
function runBoth(chunks: Uint8Array[], dispatchPending: boolean, maxEventBytes?: number) {
  const scanner = new SseScanner(maxEventBytes === undefined ? {} : { maxEventBytes });
  const ref = new ReferenceSseParser();
  const fast: ReferenceSseEvent[][] = [];
  const slow: ReferenceSseEvent[][] = [];
  const problems: SseProblem[] = [];
  let current: ReferenceSseEvent[] = [];
  const sink: SseSink = {
    onEvent: (ev) => current.push({ data: decodeSseData(ev.data), type: ev.type, lastEventId: ev.lastEventId }),
    onProblem: (p) => problems.push(p),
  };
  for (const c of chunks) {
    // The scanner must not depend on the chunk staying intact after push returns.
    const copy = c.slice();
    current = [];
    scanner.push(copy, sink);
    copy.fill(0x41);
    fast.push(current);
    slow.push(ref.push(c));
  }
  current = [];
  scanner.end(sink, { dispatchPending });
  fast.push(current);
  slow.push(ref.end({ dispatchPending }));
  return { fast, slow, problems };
}

const valueChars = fc.constantFrom('a', 'b', ' ', ':', '{', '"', 'é', '😀', '\u0000', '\uFEFF', 'data', 'id', '\t', '[DONE]');
const value = fc.array(valueChars, { maxLength: 8 }).map((a) => a.join(''));
const sep = fc.constantFrom(':', ': ', ':  ', '');
const line = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(sep, value).map(([s, v]) => `data${s}${s === '' ? '' : v}`) },
  fc.tuple(sep, value).map(([s, v]) => `event${s}${s === '' ? '' : v}`),
  fc.tuple(sep, value).map(([s, v]) => `id${s}${s === '' ? '' : v}`),
  value.map((v) => `retry: ${v}`),
  value.map((v) => `:${v}`),
  fc.tuple(fc.constantFrom('dat', 'datas', 'Data', ' data', 'foo', 'even', 'ids'), value).map(([f, v]) => `${f}: ${v}`),
  { weight: 4, arbitrary: fc.constant('') },
);
const eol = fc.constantFrom('\n', '\r\n', '\r');
const stream = fc
  .tuple(fc.boolean(), fc.array(fc.tuple(line, eol), { maxLength: 30 }), fc.option(line, { nil: undefined }))
  .map(([bom, lines, tail]) => (bom ? '\uFEFF' : '') + lines.map(([l, e]) => l + e).join('') + (tail ?? ''));

describe('SseScanner against the reference parser', () => {
  it('yields the same events, push by push, for arbitrary streams split arbitrarily', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (s, cuts, lenient) => {
        const { fast, slow } = runBoth(split(bytes(s), cuts), lenient);
        expect(fast).toEqual(slow);
      }),
      { numRuns: 600 },
    );
  });

  it('agrees on arbitrary bytes (invalid UTF-8, stray CR/LF/colons, partial BOMs) and never throws', () => {
    const byte = fc.oneof(fc.constantFrom(0x0a, 0x0d, 0x3a, 0x20, 0x64, 0x61, 0x74, 0xef, 0xbb, 0xbf, 0x00), fc.integer({ min: 0, max: 255 }));
    const partialBom = fc.constantFrom([], [0xef], [0xef, 0xbb], [0xef, 0xbb, 0xbf]);
    const prefix = fc.constantFrom('', 'data:', 'data: x\n', 'event: e\nid: 1\n');
    // Small cut points too, so the BOM and the first line get split.
    const cuts = fc.array(fc.oneof(fc.nat({ max: 4 }), fc.nat()), { maxLength: 8 });
    fc.assert(
      fc.property(partialBom, prefix, fc.array(byte, { maxLength: 200 }), cuts, fc.boolean(), (bom, p, bs, cutPoints, lenient) => {
        const b = new Uint8Array([...bom, ...bytes(p), ...bs]);
        const { fast, slow } = runBoth(split(b, cutPoints), lenient);
        expect(fast).toEqual(slow);
      }),
      { numRuns: 600 },
    );
  });

  it('handles very large events split into many chunks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 50_000, max: 400_000 }), fc.integer({ min: 2_000, max: 70_000 }), eol, (size, chunkSize, e) => {
        const big = 'x'.repeat(size);
        const s = `data: ${big}${e}data: y${e}${e}data: small${e}${e}`;
        const b = bytes(s);
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < b.length; i += chunkSize) chunks.push(b.subarray(i, i + chunkSize));
        const { fast, slow } = runBoth(chunks, false);
        expect(fast).toEqual(slow);
        expect(fast.flat().map((ev) => ev.data.length)).toEqual([size + 2, 5]);
      }),
      { numRuns: 20 },
    );
  });
});

describe('SseScanner', () => {
  it('follows the spec on the classic examples', () => {
    const { events } = scanSse([bytes('\uFEFFdata: a\r\ndata:b\r\n\r\n: comment\nevent: error\nid: 7\ndata\n\nid: 8\0\ndata: {"x":1}\r\r')]);
    expect(events).toEqual([
      { data: 'a\nb', type: 'message', lastEventId: '' },
      { data: '', type: 'error', lastEventId: '7' },
      { data: '{"x":1}', type: 'message', lastEventId: '7' },
    ]);
  });

  it('joins a CR at the end of one chunk with an LF at the start of the next, and dispatches without waiting', () => {
    const scanner = new SseScanner();
    const seen: string[] = [];
    const sink: SseSink = { onEvent: (ev) => seen.push(decodeSseData(ev.data)) };
    scanner.push(bytes('data: 1\r\n\r'), sink);
    expect(seen).toEqual(['1']); // the CR ending the empty line dispatches at once
    scanner.push(bytes('\ndata: 2\r'), sink);
    scanner.push(bytes('\n\r\n'), sink);
    expect(seen).toEqual(['1', '2']);
  });

  it('hands over a one-line event inside one chunk as a view of that chunk (no copy)', () => {
    const chunk = bytes('data: {"a":1}\n\n');
    let same = false;
    new SseScanner().push(chunk, { onEvent: (ev) => (same = ev.data.buffer === chunk.buffer) });
    expect(same).toBe(true);
  });

  it('drops an event over maxEventBytes, reports it once, and carries on', () => {
    const s = `data: ${'x'.repeat(100)}\ndata: more\n\ndata: ok\n\n`;
    for (const size of [1, 7, 40, 1000]) {
      const b = bytes(s);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < b.length; i += size) chunks.push(b.subarray(i, i + size));
      const { events, problems } = scanSse(chunks, { maxEventBytes: 50 });
      expect(events.map((e) => e.data)).toEqual(['ok']);
      expect(problems).toEqual([{ kind: 'event_too_large', limitBytes: 50 }]);
    }
  });

  it('reports an event cut off by the end of the stream, or dispatches it when asked', () => {
    expect(scanSse([bytes('data: 1\n\ndata: {"cut')]).problems).toEqual([{ kind: 'incomplete_event', pendingBytes: 11 }]);
    expect(scanSse([bytes('data: 1\n\ndata: [DONE]')], { dispatchPending: true }).events.map((e) => e.data)).toEqual(['1', '[DONE]']);
  });
});
