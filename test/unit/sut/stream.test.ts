import { describe, expect, it } from 'vitest';
import { StreamRecorder } from '../../../src/sut/stream.js';

const enc = new TextEncoder();

/** Feed JSON events at the given µs times. */
function feed(rec: StreamRecorder, events: [number, unknown][]): StreamRecorder {
  for (const [t, o] of events) {
    rec.nowUs = t;
    rec.onEvent({ data: enc.encode(typeof o === 'string' ? o : JSON.stringify(o)), type: 'message', lastEventId: '' });
  }
  return rec;
}
const c = (content: string | null, extra: Record<string, unknown> = {}) => ({ choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra });
const u = (completion: number) => ({ usage: { prompt_tokens: 5, completion_tokens: completion } });

describe('StreamRecorder', () => {
  it('continuous usage: tokens per chunk are usage diffs; a text-less chunk whose usage rises carried a token', () => {
    const rec = feed(new StreamRecorder(false), [
      [10, c('', u(0))], // role chunk
      [20, c('a', u(1))],
      [30, c('', u(2))], // detokenizer held the text back: the token still arrived here
      [40, c(' b c', u(4))],
      [50, { choices: [], ...u(4) }],
      [60, '[DONE]'],
    ]);
    expect(rec.firstTokenUs).toBe(20);
    expect(rec.chunkTimesUs).toEqual([20, 30, 40]);
    expect(rec.lastTokenUs).toBe(40);
    expect(rec.chunkTokens()).toEqual([1, 1, 2]);
    expect(rec.usageCompletionTokens).toBe(4);
    expect(rec.sawDone).toBe(true);
    expect(rec.textOrNull()).toBeNull(); // usage came: no text kept
  });

  it('an empty-text first token (special token, held-back bytes) is the first token when its usage rises', () => {
    const rec = feed(new StreamRecorder(false), [
      [10, c('', u(0))], // role chunk
      [100, c('', u(1))], // <|channel|>: a token with no text
      [120, c('Paris', u(2))],
      [140, { choices: [], ...u(2) }],
    ]);
    expect(rec.firstTokenUs).toBe(100);
    expect(rec.chunkTimesUs).toEqual([100, 120]);
  });

  it('without continuous usage, the final usage-only chunk after the finish is not output', () => {
    const rec = feed(new StreamRecorder(false), [
      [20, c('a')],
      [40, { choices: [{ index: 0, delta: { content: 'b' }, finish_reason: 'length' }] }],
      [300, { choices: [], ...u(2) }],
      [310, '[DONE]'],
    ]);
    expect(rec.chunkTimesUs).toEqual([20, 40]);
    expect(rec.lastTokenUs).toBe(40);
  });

  it('reasoning first: the first token is the first reasoning token, the first answer token comes apart', () => {
    const r = (reasoning: string) => ({ choices: [{ index: 0, delta: { reasoning }, finish_reason: null }] });
    const rec = feed(new StreamRecorder(false), [
      [20, r('think')],
      [40, r(' more')],
      [70, c('answer')],
      [90, '[DONE]'],
    ]);
    expect(rec.firstTokenUs).toBe(20);
    expect(rec.sawReasoning).toBe(true);
    expect(rec.firstAnswerUs).toBe(70);
  });

  it('usage only on the last content chunk (TGI 2.x) says nothing per chunk', () => {
    const rec = feed(new StreamRecorder(false), [
      [1, c('a')],
      [2, c('b', u(2))],
    ]);
    expect(rec.chunkTokens()).toBeNull();
    expect(rec.usageCompletionTokens).toBe(2);
  });

  it('keeps the text when usage never comes, or when asked to', () => {
    expect(feed(new StreamRecorder(false), [[1, c('a')], [2, c(' b')]]).textOrNull()).toBe('a b');
    expect(feed(new StreamRecorder(true), [[1, c('a')], [2, c(' b', u(2))]]).textOrNull()).toBe('a b');
  });

  it('stops at an error event or malformed data and keeps what came before', () => {
    const rec = feed(new StreamRecorder(false), [
      [1, c('a')],
      [2, { error: { message: 'out of KV cache', code: 500 } }],
      [3, c('b')],
    ]);
    expect(rec.failure).toEqual({ kind: 'stream_error', message: 'out of KV cache (500)' });
    expect(rec.chunkTimesUs).toEqual([1]);
    expect(feed(new StreamRecorder(false), [[1, '{"choices":']]).failure?.kind).toBe('malformed_stream');
  });
});
