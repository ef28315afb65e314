/**
 * Transport choices of the client: HTTP/2 (`--http2`: many streams over few
 * connections, h2c by prior knowledge on http) and several loopback source
 * addresses where one address's ephemeral ports would run out.
 */
import { createServer as createH2Server, type ServerHttp2Session } from 'node:http2';
import { createServer as createH1Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAiSut, H2_STREAMS_PER_CONNECTION } from '../../../src/sut/openai.js';
import { LOOPBACK_CONNECTIONS_PER_SOURCE, loopbackSources, PoolGroup } from '../../../src/sut/pool-group.js';
import type { Sut } from '../../../src/sut/types.js';
import { realClock } from '../../../src/util/clock.js';

const events = (n: number) =>
  Array.from({ length: n }, (_, i) => `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" t${i}"},"finish_reason":${i === n - 1 ? '"length"' : 'null'}}]}\n\n`).join('') +
  'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":' + n + ',"total_tokens":' + (n + 2) + '}}\n\ndata: [DONE]\n\n';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function sutFor(url: string, streams: number, http2: boolean): Sut {
  const sut = createOpenAiSut({
    endpoints: [{ url, model: 'm', servedModels: ['m'], labels: {} }],
    clock: realClock,
    request: { api: 'chat', model: null, maxTokens: 4, ignoreEos: false, temperature: null, topP: null, topK: null, stream: true, promptFormat: 'text', continuousUsage: false, reasoningEffort: null, headers: {}, extraBody: {} },
    apiKey: null,
    requestTimeoutMs: 10_000,
    idleTimeoutMs: 5_000,
    keepText: false,
    retries: 0,
    connectionsPerEndpoint: streams,
    http2,
  });
  closers.push(() => sut.close());
  return sut;
}

const query = (seq: number) => ({ seq, sample: { index: seq, prompt: 'hi', promptTokenIds: null, messages: null, inputTokens: 2, outputTokens: null, reference: null }, endpointIndex: 0, maxTokens: 4 });

describe('--http2', () => {
  it('carries 250 concurrent streams over ceil(250 / 100) h2c connections, every one measured', async () => {
    const sessions = new Set<ServerHttp2Session>();
    let maxOpen = 0;
    let open = 0;
    const server = createH2Server({ settings: { maxConcurrentStreams: 1000 } });
    server.on('session', (s) => sessions.add(s));
    server.on('stream', (stream) => {
      stream.resume();
      stream.on('end', () => {
        open++;
        maxOpen = Math.max(maxOpen, open);
        stream.respond({ ':status': 200, 'content-type': 'text/event-stream' });
        // hold every stream until all are open: they really were in flight together
        const go = () => {
          stream.end(events(4));
          open--;
        };
        if (open >= 250) setImmediate(() => server.emit('release'));
        server.once('release', go);
      });
    });
    server.setMaxListeners(1000);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => { for (const s of sessions) s.destroy(); server.close(r); }));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sut = sutFor(url, 250, true);
    const out = await Promise.all(Array.from({ length: 250 }, (_, i) => sut.issue(query(i), new AbortController().signal)));
    expect(out.filter((o) => !o.ok).map((o) => o.error)).toEqual([]);
    expect(out.every((o) => o.chunkTimesUs.length === 4 && o.usageCompletionTokens === 4 && o.firstTokenUs >= o.issuedUs)).toBe(true);
    expect(maxOpen).toBe(250);
    expect(sessions.size).toBe(Math.ceil(250 / H2_STREAMS_PER_CONNECTION));
  });
});

describe('loopback source addresses', () => {
  it('one address up to the per-source bound, then 127.0.0.1, 127.0.0.2, ...; never for other hosts', () => {
    expect(loopbackSources('127.0.0.1', LOOPBACK_CONNECTIONS_PER_SOURCE)).toEqual([]);
    expect(loopbackSources('127.0.0.1', LOOPBACK_CONNECTIONS_PER_SOURCE + 1)).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(loopbackSources('127.0.0.1', 3 * LOOPBACK_CONNECTIONS_PER_SOURCE)).toHaveLength(3);
    expect(loopbackSources('10.0.0.5', 100_000)).toEqual([]);
    expect(loopbackSources('localhost', 100_000)).toEqual([]);
  });

  it("a pool group binds its members' connections to the addresses in turn", async () => {
    const seen = new Set<string>();
    const server = createH1Server((req, res) => {
      seen.add(req.socket.remoteAddress ?? '');
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // 3 members of 64 connections, bound to two sources
    const group = new PoolGroup(origin, 192, { pipelining: 1 }, ['127.0.0.2', '127.0.0.3']);
    closers.push(() => group.destroy());
    await Promise.all(group.pools.map((p) => p.request({ path: '/', method: 'GET' }).then((r) => r.body.text())));
    expect([...seen].sort()).toEqual(['127.0.0.2', '127.0.0.3']);
  });
});
