import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/dataset/types.js';
import { createOpenAiSut, type OpenAiSutOptions, type RequestSettings } from '../../../src/sut/openai.js';
import type { Sut, SutOutcome } from '../../../src/sut/types.js';
import { realClock } from '../../../src/util/clock.js';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeScript } from '../../helpers/fakeOpenAiServer.js';

const API_KEY = 'sk-test-SECRET-0123456789';

const settings = (over: Partial<RequestSettings> = {}): RequestSettings => ({
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
const sample = (over: Partial<Sample> = {}): Sample => ({
  index: 0,
  prompt: 'hello there',
  promptTokenIds: null,
  messages: null,
  inputTokens: 2,
  outputTokens: null,
  reference: null,
  ...over,
});

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
  server.requests.length = 0;
  server.completionRequests.length = 0;
});

function makeSut(request: Partial<RequestSettings> = {}, over: Partial<OpenAiSutOptions> = {}, url = server.url): Sut {
  const sut = createOpenAiSut({
    endpoints: [{ url, model: 'fake-model', servedModels: ['fake-model'], labels: {} }],
    clock: realClock,
    request: settings(request),
    apiKey: API_KEY,
    requestTimeoutMs: 5_000,
    idleTimeoutMs: 2_000,
    keepText: false,
    retries: 0,
    connectionsPerEndpoint: 2,
    ...over,
  });
  open.push(sut);
  return sut;
}

async function run(script: FakeScript, request: Partial<RequestSettings> = {}, over: Partial<OpenAiSutOptions> = {}, s: Partial<Sample> = {}): Promise<SutOutcome> {
  server.setScript(script);
  const sut = makeSut(request, over);
  return sut.issue({ seq: 0, sample: sample(s), endpointIndex: 0, maxTokens: 16 }, new AbortController().signal);
}

const ms = (us: number) => us / 1000;
const gapsMs = (o: SutOutcome) => o.chunkTimesUs.slice(1).map((t, i) => ms(t - o.chunkTimesUs[i]!));
/** Loopback timers on a shared 2-core box: a few ms either way. */
const TOL_MS = 8;

const planted: FakeScript = {
  ttftMs: 50,
  steps: [{ tokens: 1 }, { delayMs: 10, tokens: 1 }, { delayMs: 10, tokens: 3 }, { delayMs: 10, tokens: 1 }, { delayMs: 10, tokens: 3 }],
};

describe('timing and tokens as planted', () => {
  // Timing asserts are tight; on a shared 2-core box another process can stall the loop for 20 ms. Retry such a run.
  it('chat stream with continuous usage: TTFT 50 ms, 10 ms gaps, 3-token chunks', { retry: 3 }, async () => {
    server.setScript({ ...planted, usage: 'every' });
    const sut = makeSut({ continuousUsage: true });
    const q = { seq: 0, sample: sample(), endpointIndex: 0, maxTokens: 16 };
    await sut.issue(q, new AbortController().signal); // warm: connection, undici's parser, JIT
    const o = await sut.issue(q, new AbortController().signal);
    expect(o.ok).toBe(true);
    expect(ms(o.firstTokenUs - o.issuedUs)).toBeGreaterThanOrEqual(49); // the role chunk at ~0 ms is not the first token
    expect(ms(o.firstTokenUs - o.issuedUs)).toBeLessThan(50 + 2 * TOL_MS);
    expect(o.chunkTimesUs[0]).toBe(o.firstTokenUs);
    for (const g of gapsMs(o)) expect(Math.abs(g - 10)).toBeLessThanOrEqual(TOL_MS);
    // Same process, same clock: each chunk is stamped within a few ms of the fake's write.
    const writes = server.completionRequests[1]!.outputWritesAtMs;
    o.chunkTimesUs.forEach((t, i) => {
      expect(ms(t) - writes[i]!).toBeGreaterThanOrEqual(0);
      expect(ms(t) - writes[i]!).toBeLessThan(3);
    });
    expect(o.chunkTokens).toEqual([1, 1, 3, 1, 3]);
    expect(o.usageCompletionTokens).toBe(9);
    expect(o.usagePromptTokens).toBe(11);
    expect(o.finishReason).toBe('length');
    expect(o.completedUs).toBeGreaterThanOrEqual(o.chunkTimesUs[4]!);
  });

  it('completions stream with token_ids; usage in a separate choices:[] chunk', { retry: 3 }, async () => {
    const o = await run({ ...planted, usage: 'separate', tokenIds: true, ttftMs: 30 }, { api: 'completions' });
    expect(o.chunkTokens).toEqual([1, 1, 3, 1, 3]);
    expect(o.usageCompletionTokens).toBe(9);
    expect(ms(o.firstTokenUs - o.issuedUs)).toBeGreaterThanOrEqual(29);
    for (const g of gapsMs(o)) expect(Math.abs(g - 10)).toBeLessThanOrEqual(TOL_MS);
  });

  it('usage on the last chunk only: totals known, tokens per chunk unknown', async () => {
    const o = await run({ ...planted, usage: 'last' });
    expect(o).toMatchObject({ ok: true, usageCompletionTokens: 9, chunkTokens: null, text: null });
    expect(o.chunkTimesUs).toHaveLength(5);
  });

  it('no usage at all: text is kept for the tokenizer', async () => {
    const o = await run({ ...planted, usage: 'none' });
    expect(o).toMatchObject({ ok: true, usageCompletionTokens: -1, usagePromptTokens: -1 });
    expect(o.text).toBe(' w1 w2 w3 w4 w5 w6 w7 w8 w9');
  });

  it('keepText keeps it even with usage; reasoning counts as output', async () => {
    const o = await run({ steps: [{ tokens: 2, reasoning: true }, { tokens: 1 }], usage: 'separate' }, {}, { keepText: true });
    expect(o.text).toBe(' w1 w2 w3');
    expect(o.chunkTimesUs).toHaveLength(2);
  });

  it('non-streaming chat and completions: no first token of their own, completion = arrival of the body', async () => {
    for (const api of ['chat', 'completions'] as const) {
      const o = await run({ ...planted, usage: 'separate' }, { api, stream: false });
      expect(o).toMatchObject({ ok: true, usageCompletionTokens: 9, finishReason: 'length', chunkTimesUs: [], chunkTokens: null, streamed: false });
      expect(o.firstTokenUs).toBe(-1);
      expect(ms(o.completedUs - o.issuedUs)).toBeGreaterThanOrEqual(89);
    }
  });

  it('a JSON answer to a streaming request is read as a body', async () => {
    // forceStream false: the fake answers with JSON although stream: true was asked (as some proxies do).
    const o = await run({ steps: [{ tokens: 4 }], forceStream: false });
    expect(o).toMatchObject({ ok: true, usageCompletionTokens: 4, chunkTimesUs: [], streamed: false, firstTokenUs: -1 });
    expect((server.completionRequests[0]!.body as { stream: boolean }).stream).toBe(true);
  });

  it('CRLF and CR framing, no [DONE] after a finish_reason', async () => {
    for (const lineEnd of ['\r\n', '\r'] as const) {
      const o = await run({ steps: [{ tokens: 1 }, { tokens: 2 }], lineEnd, done: false, usage: 'last' });
      expect(o).toMatchObject({ ok: true, usageCompletionTokens: 3, finishReason: 'length' });
      expect(o.chunkTimesUs).toHaveLength(2);
    }
  });
});

describe('request body per API', () => {
  it('chat: messages from the prompt, max_tokens and max_completion_tokens, stream_options, auth', async () => {
    await run({}, { reasoningEffort: 'low', headers: { 'X-Team': 'perf' } });
    const req = server.completionRequests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.body).toEqual({
      model: 'fake-model',
      messages: [{ role: 'user', content: 'hello there' }],
      max_tokens: 16,
      max_completion_tokens: 16,
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req.headers['x-team']).toBe('perf');
  });

  it('completions with token ids; sampling fields, ignore_eos, continuous usage and extraBody', async () => {
    await run(
      {},
      { api: 'completions', promptFormat: 'ids', ignoreEos: true, temperature: 0, topP: 0.9, topK: 5, continuousUsage: true, extraBody: { min_tokens: 16 } },
      {},
      { promptTokenIds: [1, 2, 3] },
    );
    expect(server.completionRequests[0]!.body).toEqual({
      model: 'fake-model',
      prompt: [1, 2, 3],
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
      ignore_eos: true,
      temperature: 0,
      top_p: 0.9,
      top_k: 5,
      min_tokens: 16,
    });
  });

  it('no stream_options when not streaming (TRT-LLM rejects them); chat messages sent as given', async () => {
    const messages = [{ role: 'system' as const, content: 's' }, { role: 'user' as const, content: 'u' }];
    await run({}, { stream: false }, {}, { messages });
    const body = server.completionRequests[0]!.body as Record<string, unknown>;
    expect(body.stream).toBe(false);
    expect(body).not.toHaveProperty('stream_options');
    expect(body.messages).toEqual(messages);
  });
});

describe('errors', () => {
  it('maps HTTP statuses, with the server message and no API key', async () => {
    const cases: [number, string][] = [
      [400, 'http_400'],
      [422, 'http_400'],
      [401, 'http_401'],
      [403, 'http_401'],
      [404, 'http_404'],
      [429, 'http_429'],
      [500, 'http_5xx'],
      [503, 'http_5xx'],
    ];
    for (const [status, kind] of cases) {
      const o = await run({ status, errorBody: { error: { message: `nope for Bearer ${API_KEY} (key ${API_KEY})`, code: status } } });
      expect(o).toMatchObject({ ok: false, error: { kind, httpStatus: status }, retries: 0 });
      expect(o.error!.message).toContain('nope for');
      expect(o.error!.message).not.toContain(API_KEY);
    }
  });

  it('connection refused is `connect`', async () => {
    const port = await freePort();
    const sut = makeSut({}, {}, `http://127.0.0.1:${port}`);
    const o = await sut.issue({ seq: 0, sample: sample(), endpointIndex: 0, maxTokens: 4 }, new AbortController().signal);
    expect(o).toMatchObject({ ok: false, error: { kind: 'connect' }, firstTokenUs: -1 });
    expect(o.error!.message).toMatch(/ECONNREFUSED/);
  });

  it('reset mid-stream keeps the chunks received so far', async () => {
    const o = await run({ steps: [{ tokens: 1 }, { delayMs: 10, tokens: 2 }], end: 'reset' }, { continuousUsage: true }, {});
    expect(o).toMatchObject({ ok: false, error: { kind: 'reset' } });
    expect(o.chunkTimesUs).toHaveLength(2);
  });

  it('idle timeout fires on a stall, aborts, and keeps what came', async () => {
    const o = await run({ steps: [{ tokens: 1 }, { delayMs: 60_000, tokens: 1 }] }, {}, { idleTimeoutMs: 150 });
    expect(o).toMatchObject({ ok: false, error: { kind: 'idle_timeout' } });
    expect(o.chunkTimesUs).toHaveLength(1);
    const idleMs = ms(o.completedUs - o.chunkTimesUs[0]!);
    expect(idleMs).toBeGreaterThanOrEqual(149);
    expect(idleMs).toBeLessThan(400);
  });

  it('total request timeout, even while bytes keep coming', async () => {
    const steps = Array.from({ length: 40 }, () => ({ delayMs: 20, tokens: 1 }));
    const o = await run({ steps }, {}, { requestTimeoutMs: 200, idleTimeoutMs: 1_000 });
    expect(o).toMatchObject({ ok: false, error: { kind: 'request_timeout' } });
    expect(ms(o.completedUs - o.issuedUs)).toBeLessThan(400);
    expect(o.chunkTimesUs.length).toBeGreaterThan(3);
  });

  it('headers timeout', async () => {
    const o = await run({ headersDelayMs: 1_000 }, {}, { headersTimeoutMs: 100 });
    expect(o).toMatchObject({ ok: false, error: { kind: 'headers_timeout' } });
    expect(ms(o.completedUs - o.issuedUs)).toBeGreaterThanOrEqual(99);
    expect(ms(o.completedUs - o.issuedUs)).toBeLessThan(400);
  });

  it('malformed data, an error event in a 200 stream, a stream that just stops', async () => {
    expect(await run({ steps: [{ tokens: 1 }, { kind: 'raw', raw: 'data: {"choices": [\n\n' }] })).toMatchObject({
      ok: false,
      error: { kind: 'malformed_stream' },
      chunkTimesUs: [expect.any(Number)],
    });
    const e = await run({ steps: [{ tokens: 1 }, { kind: 'error', error: { message: `KV cache full ${API_KEY}`, type: 'InternalServerError', code: 500 } }] });
    expect(e).toMatchObject({ ok: false, error: { kind: 'stream_error' } });
    expect(e.error!.message).toContain('KV cache full');
    expect(e.error!.message).not.toContain(API_KEY);
    expect(await run({ steps: [{ tokens: 1 }], finish: 'none', done: false, usage: 'none' })).toMatchObject({
      ok: false,
      error: { kind: 'incomplete_stream' },
    });
  });

  it('abort via the signal ends the request at once', async () => {
    server.setScript({ steps: [{ tokens: 1 }, { delayMs: 60_000, tokens: 1 }] });
    const sut = makeSut();
    const ac = new AbortController();
    const p = sut.issue({ seq: 0, sample: sample(), endpointIndex: 0, maxTokens: 4 }, ac.signal);
    setTimeout(() => ac.abort(), 50);
    const o = await p;
    expect(o).toMatchObject({ ok: false, error: { kind: 'aborted' } });
    expect(o.chunkTimesUs).toHaveLength(1);
    expect(ms(o.completedUs - o.issuedUs)).toBeLessThan(500);
  });

  it('one shared signal aborts every request, queued in the pool or in flight, without listener warnings', async () => {
    server.setScript({ steps: [{ tokens: 1 }, { delayMs: 60_000, tokens: 1 }] });
    const sut = makeSut({}, { connectionsPerEndpoint: 2 });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const ac = new AbortController();
    const all = Array.from({ length: 20 }, (_, seq) => sut.issue({ seq, sample: sample(), endpointIndex: 0, maxTokens: 4 }, ac.signal));
    setTimeout(() => ac.abort(), 50);
    const outcomes = await Promise.all(all);
    process.off('warning', onWarning);
    expect(outcomes.map((o) => o.error?.kind)).toEqual(Array(20).fill('aborted'));
    expect(warnings).toEqual([]);
    expect(server.completionRequests.length).toBe(2); // queued ones were never sent
  });
});

describe('retries', () => {
  const flaky = (failures: number, status: number) => (_req: unknown, i: number): FakeScript => (i < failures ? { status } : {});

  it('retries 5xx and 429 only when asked, and counts them', async () => {
    server.setScript(flaky(2, 503));
    let o = await makeSut({}, { retries: 2 }).issue({ seq: 0, sample: sample(), endpointIndex: 0, maxTokens: 4 }, new AbortController().signal);
    expect(o).toMatchObject({ ok: true, retries: 2 });
    expect(server.completionRequests).toHaveLength(3);

    server.completionRequests.length = 0;
    server.setScript(flaky(1, 429));
    o = await makeSut().issue({ seq: 0, sample: sample(), endpointIndex: 0, maxTokens: 4 }, new AbortController().signal);
    expect(o).toMatchObject({ ok: false, retries: 0, error: { kind: 'http_429' } });
  });

  it('retries connect errors too, within the request deadline', async () => {
    const port = await freePort();
    const o = await makeSut({}, { retries: 2 }, `http://127.0.0.1:${port}`).issue(
      { seq: 0, sample: sample(), endpointIndex: 0, maxTokens: 4 },
      new AbortController().signal,
    );
    expect(o).toMatchObject({ ok: false, retries: 2, error: { kind: 'connect' } });
  });

  it('never retries a 400', async () => {
    server.setScript(flaky(5, 400));
    const o = await makeSut({}, { retries: 3 }).issue({ seq: 0, sample: sample(), endpointIndex: 0, maxTokens: 4 }, new AbortController().signal);
    expect(o).toMatchObject({ ok: false, retries: 0, error: { kind: 'http_400' } });
    expect(server.completionRequests).toHaveLength(1);
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
