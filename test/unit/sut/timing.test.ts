/**
 * Where each time of a request is taken (exchange.ts), against a planted-timing
 * loopback server: issue at the socket, first token by usage, last token apart
 * from [DONE], idle timeout only after the first token, first-token timeout.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/dataset/types.js';
import { createOpenAiSut, type OpenAiSutOptions, type RequestSettings } from '../../../src/sut/openai.js';
import type { Sut, SutOutcome } from '../../../src/sut/types.js';
import { realClock } from '../../../src/util/clock.js';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeScript } from '../../helpers/fakeOpenAiServer.js';

const request = (over: Partial<RequestSettings> = {}): RequestSettings => ({
  api: 'chat',
  model: null,
  maxTokens: 16,
  ignoreEos: false,
  temperature: null,
  topP: null,
  topK: null,
  stream: true,
  promptFormat: 'text',
  continuousUsage: false,
  reasoningEffort: null,
  headers: {},
  extraBody: {},
  ...over,
});
const sample: Sample = { index: 0, prompt: 'hi', promptTokenIds: null, messages: null, inputTokens: 1, outputTokens: null, reference: null };

let server: FakeOpenAiServer;
const open: Sut[] = [];
beforeAll(async () => {
  server = await startFakeOpenAiServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function sut(over: Partial<OpenAiSutOptions> = {}, req: Partial<RequestSettings> = {}): Sut {
  const s = createOpenAiSut({
    endpoints: [{ url: server.url, model: 'fake-model', servedModels: ['fake-model'], labels: {} }],
    clock: realClock,
    request: request(req),
    apiKey: null,
    requestTimeoutMs: 10_000,
    idleTimeoutMs: 2_000,
    keepText: false,
    retries: 0,
    connectionsPerEndpoint: 4,
    ...over,
  });
  open.push(s);
  return s;
}

const issue = (s: Sut, seq = 0): Promise<SutOutcome> => s.issue({ seq, sample, endpointIndex: 0, maxTokens: 16 }, new AbortController().signal);
const ms = (us: number) => us / 1000;

describe('request timeline', () => {
  it('an empty-text first token whose usage rises is the first token (planted 100 ms)', async () => {
    server.setScript({
      usage: 'every',
      ttftMs: 100,
      steps: [{ tokens: 1, text: '' }, { delayMs: 200, tokens: 1 }, { delayMs: 20, tokens: 1 }],
    });
    const o = await issue(sut({}, { continuousUsage: true }));
    expect(o.ok).toBe(true);
    // from sending (the server plants 100 ms from the request's arrival)
    expect(ms(o.firstTokenUs - o.issuedUs)).toBeGreaterThanOrEqual(99);
    // the empty-text chunk is the first token: the next one came 200 ms after it, not with it
    expect(o.chunkTimesUs[0]).toBe(o.firstTokenUs);
    expect(ms(o.chunkTimesUs[1]! - o.firstTokenUs)).toBeGreaterThan(150);
    expect(o.chunkTokens).toEqual([1, 1, 1]);
  });

  it('a successful stream completes at its last token; the wait for [DONE] is kept apart', async () => {
    server.setScript({ ttftMs: 20, steps: [{ tokens: 1 }, { delayMs: 20, tokens: 1 }, { delayMs: 20, tokens: 1 }], closeDelayMs: 300 });
    const o = await issue(sut());
    expect(o.ok).toBe(true);
    expect(o.completedUs).toBe(o.chunkTimesUs[2]);
    expect(ms(o.streamEndUs - o.completedUs)).toBeGreaterThanOrEqual(295);
    // the 300 ms before [DONE] is not in the decode time (2 gaps of 20 ms)
    expect(ms(o.completedUs - o.firstTokenUs)).toBeLessThan(40 + 150);
  });

  it('a request waiting for a pooled connection is issued when it reaches the socket', async () => {
    server.setScript({ ttftMs: 150, steps: [{ tokens: 1 }] });
    const s = sut({ connectionsPerEndpoint: 1 });
    const t0 = realClock.nowUs();
    const [a, b] = await Promise.all([issue(s, 0), issue(s, 1)]);
    const [first, second] = a!.issuedUs <= b!.issuedUs ? [a!, b!] : [b!, a!];
    // the second waited for the first's connection: that wait is the client's
    expect(ms(second.issuedUs - t0)).toBeGreaterThanOrEqual(145);
    expect(ms(second.connectWaitUs)).toBeGreaterThanOrEqual(145);
    expect(ms(first.connectWaitUs)).toBeLessThan(100);
  });

  it('the idle timeout runs only after the first token: a request queued after its headers survives', async () => {
    server.setScript({ headersDelayMs: 0, ttftMs: 600, steps: [{ tokens: 1 }, { delayMs: 20, tokens: 1 }] });
    const o = await issue(sut({ idleTimeoutMs: 250 }));
    expect(o.ok).toBe(true);
  });

  it('the idle timeout still cuts a stream that stalls after its first token', async () => {
    server.setScript({ ttftMs: 10, steps: [{ tokens: 1 }, { delayMs: 5_000, tokens: 1 }] });
    const o = await issue(sut({ idleTimeoutMs: 200 }));
    expect(o.error?.kind).toBe('idle_timeout');
  });

  it('the first-token timeout covers the server queue', async () => {
    server.setScript({ ttftMs: 800, steps: [{ tokens: 1 }] });
    const o = await issue(sut({ idleTimeoutMs: 100, firstTokenTimeoutMs: 300 }));
    expect(o.error?.kind).toBe('first_token_timeout');
  });

  it('a streaming request answered with one JSON body is flagged as not streamed and has no first token', async () => {
    server.setScript({ forceStream: false, steps: [{ tokens: 3 }] } satisfies FakeScript);
    const o = await issue(sut());
    expect(o).toMatchObject({ ok: true, streamed: false, firstTokenUs: -1, streamEndUs: -1 });
  });
});
