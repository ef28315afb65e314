/**
 * Several SSE events in one socket read, and events cut at any byte: the
 * production consumer (SseScanner + StreamRecorder, and the whole client against
 * the fake server) must count every chunk and every token, whatever the framing.
 * Expected figures come from the generated script, not from another parse.
 */
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAiSut, type RequestSettings } from '../../../src/sut/openai.js';
import { SseScanner } from '../../../src/sut/sse.js';
import { StreamRecorder } from '../../../src/sut/stream.js';
import { realClock } from '../../../src/util/clock.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../../helpers/fakeOpenAiServer.js';

type Usage = 'every' | 'last' | 'separate';
interface Script {
  api: 'chat' | 'completions';
  usage: Usage;
  /** tokens per step, and whether the step's text is empty (a special token, held-back bytes) */
  steps: { tokens: number; empty: boolean }[];
  done: boolean;
  crlf: boolean;
}

interface Rendered {
  bytes: Buffer;
  /** byte offset of the byte that completes each output chunk's event, in order */
  outputEnds: number[];
  /** tokens of each output chunk */
  outputTokens: number[];
  total: number;
}

/** The stream a server following `s` sends; which chunks are output is decided here, from the script. */
function render(s: Script): Rendered {
  const nl = s.crlf ? '\r\n' : '\n';
  let out = '';
  const outputEnds: number[] = [];
  const outputTokens: number[] = [];
  let cum = 0;
  let word = 0;
  const usage = () => ({ prompt_tokens: 7, completion_tokens: cum, total_tokens: 7 + cum });
  const push = (o: Record<string, unknown>, output: number) => {
    out += `data: ${JSON.stringify(o)}${nl}${nl}`;
    if (output > 0) {
      // the byte that dispatches it: the last LF, or with CRLF the last CR (a CR alone ends a line)
      outputEnds.push(Buffer.byteLength(out) - (s.crlf ? 2 : 1));
      outputTokens.push(output);
    }
  };
  const base = { id: 'x-1', object: s.api === 'chat' ? 'chat.completion.chunk' : 'text_completion', created: 1, model: 'm' };
  if (s.api === 'chat') {
    const o: Record<string, unknown> = { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] };
    if (s.usage === 'every') o.usage = usage();
    push(o, 0);
  }
  s.steps.forEach((st, i) => {
    cum += st.tokens;
    let text = '';
    if (!st.empty) for (let k = 0; k < st.tokens; k++) text += ` w${++word}`;
    const last = i === s.steps.length - 1;
    const fr = last ? 'length' : null;
    const choice = s.api === 'chat' ? { index: 0, delta: { content: text }, logprobs: null, finish_reason: fr } : { index: 0, text, logprobs: null, finish_reason: fr };
    const o: Record<string, unknown> = { ...base, choices: [choice] };
    if (s.usage === 'every' || (s.usage === 'last' && last)) o.usage = usage();
    // output: it has text, or (continuous usage) its usage rose
    push(o, text !== '' || (s.usage === 'every' && st.tokens > 0) ? st.tokens : 0);
  });
  if (s.usage === 'separate') push({ ...base, choices: [], usage: usage() }, 0);
  if (s.done) out += `data: [DONE]${nl}${nl}`;
  return { bytes: Buffer.from(out), outputEnds, outputTokens, total: cum };
}

const scriptArb: fc.Arbitrary<Script> = fc
  .record({
    api: fc.constantFrom('chat' as const, 'completions' as const),
    usage: fc.constantFrom<Usage>('every', 'last', 'separate'),
    steps: fc.array(fc.record({ tokens: fc.integer({ min: 1, max: 4 }), empty: fc.boolean() }), { minLength: 1, maxLength: 8 }),
    done: fc.boolean(),
    crlf: fc.boolean(),
  })
  // Without continuous usage a token with no text cannot be seen as a token: the script keeps text there.
  // Nor can the finish chunk's, when its usage is the stream's first (completions, one step): that is
  // read as the usage-only chunk after the finish.
  .map((s) => ({ ...s, steps: s.usage === 'every' && !(s.api === 'completions' && s.steps.length === 1) ? s.steps : s.steps.map((st) => ({ ...st, empty: false })) }));

/** Feed bytes cut at `cuts` (sorted offsets), read i arriving at time 1000·(i+1); the recorder after the end. */
function consume(bytes: Buffer, cuts: number[], expectedChunks: number): StreamRecorder {
  const rec = new StreamRecorder(false, expectedChunks);
  const sc = new SseScanner();
  const bounds = [0, ...cuts, bytes.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    if (bounds[i] === bounds[i + 1]) continue;
    rec.nowUs = 1000 * (i + 1);
    // a copy: a socket read is a buffer of its own
    sc.push(Buffer.from(bytes.subarray(bounds[i], bounds[i + 1])), rec);
  }
  rec.nowUs = 1000 * bounds.length;
  sc.end(rec, { dispatchPending: true });
  return rec;
}

/** The read (as consume numbers them) that holds byte `offset`. */
function readOf(offset: number, cuts: number[]): number {
  let i = 0;
  while (i < cuts.length && cuts[i]! <= offset) i++;
  return i;
}

function expectAsPlanted(r: Rendered, s: Script, rec: StreamRecorder, cuts: number[]): void {
  expect(rec.failure).toBeNull();
  expect(rec.chunkCount).toBe(r.outputEnds.length);
  expect(rec.usageCompletionTokens).toBe(r.total);
  expect(rec.usagePromptTokens).toBe(7);
  expect(rec.finishReason).toBe('length');
  expect(rec.sawDone).toBe(s.done);
  const times = r.outputEnds.map((e) => 1000 * (readOf(e, cuts) + 1));
  expect(rec.chunkTimesUs).toEqual(times);
  expect(rec.firstTokenUs).toBe(times[0]);
  expect(rec.lastTokenUs).toBe(times[times.length - 1]);
  if (s.usage === 'every') expect(rec.chunkTokens()).toEqual(r.outputTokens);
}

describe('stream consumer: several events per read, events cut anywhere', () => {
  it('every event in its own read', () => {
    fc.assert(
      fc.property(scriptArb, (s) => {
        const r = render(s);
        // a cut after each event
        const cuts: number[] = [];
        const nl = s.crlf ? '\r\n\r\n' : '\n\n';
        for (let p = r.bytes.indexOf(nl); p >= 0 && p + nl.length < r.bytes.length; p = r.bytes.indexOf(nl, p + nl.length)) cuts.push(p + nl.length);
        expectAsPlanted(r, s, consume(r.bytes, cuts, 16), cuts);
      }),
      { numRuns: 200 },
    );
  });

  it('the whole stream in one read (all events coalesced)', () => {
    fc.assert(
      fc.property(scriptArb, fc.constantFrom(0, 4, 64), (s, cap) => {
        const r = render(s);
        expectAsPlanted(r, s, consume(r.bytes, [], cap), []);
      }),
      { numRuns: 200 },
    );
  });

  it('any cuts: several events in one read and events split across reads', () => {
    fc.assert(
      fc.property(scriptArb, fc.array(fc.nat(), { maxLength: 12 }), (s, raw) => {
        const r = render(s);
        const cuts = [...new Set(raw.map((x) => x % (r.bytes.length + 1)))].sort((a, b) => a - b);
        expectAsPlanted(r, s, consume(r.bytes, cuts, 16), cuts);
      }),
      { numRuns: 400 },
    );
  });

  it('one cut at every byte position of streams with empty-text chunks, the final usage chunk and [DONE]', () => {
    const scripts: Script[] = [
      { api: 'chat', usage: 'every', steps: [{ tokens: 1, empty: false }, { tokens: 1, empty: true }, { tokens: 3, empty: false }, { tokens: 1, empty: false }], done: true, crlf: false },
      { api: 'chat', usage: 'separate', steps: [{ tokens: 1, empty: false }, { tokens: 3, empty: false }, { tokens: 1, empty: false }], done: true, crlf: true },
      { api: 'completions', usage: 'last', steps: [1, 3, 1, 3, 1, 1].map((tokens) => ({ tokens, empty: false })), done: true, crlf: false },
      { api: 'completions', usage: 'every', steps: [{ tokens: 2, empty: true }, { tokens: 1, empty: false }], done: false, crlf: false },
    ];
    for (const s of scripts) {
      const r = render(s);
      for (let c = 0; c <= r.bytes.length; c++) expectAsPlanted(r, s, consume(r.bytes, [c], 16), [c]);
      for (let c = 0; c + 7 <= r.bytes.length; c++) expectAsPlanted(r, s, consume(r.bytes, [c, c + 7], 16), [c, c + 7]);
    }
  });
});

describe('the client against a server writing several events per write', () => {
  let server: FakeOpenAiServer;
  beforeAll(async () => {
    server = await startFakeOpenAiServer();
  });
  afterAll(async () => {
    await server.close();
  });

  const settings = (over: Partial<RequestSettings>): RequestSettings => ({
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

  it.each([
    ['chat', 'every'],
    ['chat', 'last'],
    ['chat', 'separate'],
    ['completions', 'every'],
    ['completions', 'last'],
  ] as const)('%s, usage %s: every chunk and token counted, in two, three or all-in-one writes', async (api, usage) => {
    const s: Script = { api, usage, steps: [{ tokens: 1, empty: false }, { tokens: 1, empty: usage === 'every' }, { tokens: 3, empty: false }, { tokens: 1, empty: false }, { tokens: 3, empty: false }], done: true, crlf: false };
    const r = render(s);
    const sut = createOpenAiSut({
      endpoints: [{ url: server.url, model: 'm', servedModels: ['m'], labels: {} }],
      clock: realClock,
      request: settings({ api, continuousUsage: usage === 'every' }),
      apiKey: null,
      requestTimeoutMs: 5_000,
      idleTimeoutMs: 2_000,
      keepText: false,
      retries: 0,
      connectionsPerEndpoint: 1,
    });
    try {
      const text = r.bytes.toString();
      const events = text.split(/(?<=\n\n)/);
      for (const per of [2, 3, events.length]) {
        const steps = [];
        for (let i = 0; i < events.length; i += per) steps.push({ kind: 'raw' as const, delayMs: i === 0 ? 0 : 5, raw: events.slice(i, i + per).join('') });
        server.setScript({ steps, done: false, roleChunk: false });
        const o = await sut.issue({ seq: 0, sample: { index: 0, prompt: 'hi', promptTokenIds: null, messages: null, inputTokens: 1, outputTokens: null, reference: null }, endpointIndex: 0, maxTokens: 16 }, new AbortController().signal);
        expect(o.ok).toBe(true);
        expect(o.chunkTimesUs.length).toBe(r.outputEnds.length);
        expect(o.usageCompletionTokens).toBe(r.total);
        expect(o.finishReason).toBe('length');
        expect(o.firstTokenUs).toBe(o.chunkTimesUs[0]);
        expect(o.completedUs).toBe(o.chunkTimesUs[o.chunkTimesUs.length - 1]);
        expect(o.streamEndUs).toBeGreaterThanOrEqual(o.completedUs);
        if (usage === 'every') expect(o.chunkTokens).toEqual(r.outputTokens);
      }
    } finally {
      await sut.close();
    }
  });
});

describe('the fake server keeps its planted order when its event loop runs late', () => {
  it('40 streams with a loop blocked for 60 ms every 37 ms: every stream whole and in order', async () => {
    const tokens = [1, 3, 1, 3, 1, 1];
    const server = await startFakeOpenAiServer({ script: { ttftMs: 50, steps: tokens.map((k, i) => ({ tokens: k, delayMs: i === 0 ? 0 : 10 * k })), usage: 'last' } });
    const u = new URL(server.url);
    const one = () =>
      new Promise<string>((resolve, reject) => {
        const req = http.request({ host: u.hostname, port: u.port, path: '/v1/completions', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'm', prompt: 'x', stream: true, max_tokens: 10 }));
      });
    const blocker = setInterval(() => {
      const t = performance.now();
      while (performance.now() - t < 60);
    }, 37);
    try {
      const bodies = await Promise.all(Array.from({ length: 40 }, (_, i) => new Promise((r) => setTimeout(r, i * 5)).then(one)));
      for (const b of bodies) {
        const texts = [...b.matchAll(/"text":"([^"]*)"/g)].map((m) => m[1]);
        expect(texts).toEqual([' w1', ' w2 w3 w4', ' w5', ' w6 w7 w8', ' w9', ' w10']);
        expect(b).toContain('"completion_tokens":10');
        expect(b.endsWith('data: [DONE]\n\n')).toBe(true);
      }
    } finally {
      clearInterval(blocker);
      await server.close();
    }
  }, 20_000);
});
