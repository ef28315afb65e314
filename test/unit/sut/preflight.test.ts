import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EndpointError } from '../../../src/errors.js';
import { preflight, type PreflightOptions } from '../../../src/sut/preflight.js';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeServerOptions } from '../../helpers/fakeOpenAiServer.js';
import { TEST_CERT_PEM as CERT, TEST_KEY_PEM as KEY } from '../../helpers/tls.js';


const KEY_VALUE = 'sk-preflight-SECRET-42';
const opts = (over: Partial<PreflightOptions> = {}): PreflightOptions => ({ apiKey: null, timeoutMs: 2_000, ...over });
const spec = (url: string, model: string | null = null) => ({ url, model, labels: { rack: 'a' } });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});
async function fake(o: FakeServerOptions = {}): Promise<FakeOpenAiServer> {
  const s = await startFakeOpenAiServer(o);
  cleanups.push(() => s.close());
  return s;
}

/** The EndpointError preflight rejects with (fails the test if it resolves). */
async function failure(p: Promise<unknown>): Promise<EndpointError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EndpointError);
  return err as EndpointError;
}

describe('preflight', () => {
  it('uses the only served model when none is given; keeps labels; accepts a /v1 URL', async () => {
    const s = await fake({ models: ['llama-2-70b'] });
    const [info] = await preflight([spec(`${s.url}/v1/`)], opts());
    expect(info).toEqual({ url: s.url, model: 'llama-2-70b', servedModels: ['llama-2-70b'], labels: { rack: 'a' } });
    expect(s.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
  });

  it('accepts a served model; rejects an unknown one listing the served ones', async () => {
    const s = await fake({ models: ['llama-2-70b', 'gpt-oss-120b'] });
    expect((await preflight([spec(s.url, 'gpt-oss-120b')], opts()))[0]!.model).toBe('gpt-oss-120b');
    const e = await failure(preflight([spec(s.url, 'gpt-oss-12b')], opts()));
    expect(e.message).toContain('model "gpt-oss-12b" is not served here; served: llama-2-70b, gpt-oss-120b');
    expect(e.hint).toBe('did you mean --model gpt-oss-120b?');
  });

  it('several models and no --model: lists them and asks for one', async () => {
    const s = await fake({ models: ['a', 'b'] });
    const e = await failure(preflight([spec(s.url)], opts()));
    expect(e.message).toContain('several models: a, b');
    expect(e.hint).toBe('choose one with --model');
  });

  it('401 hints at the API key variables and never shows the key', async () => {
    const s = await fake({ apiKey: 'right-key' });
    let e = await failure(preflight([spec(s.url)], opts()));
    expect(e.hint).toMatch(/OPENAI_API_KEY or TOKBENCH_API_KEY/);
    e = await failure(preflight([spec(s.url)], opts({ apiKey: KEY_VALUE })));
    expect(e.message).toContain('HTTP 401');
    expect(e.hint).toMatch(/was rejected/);
    expect(`${e.message} ${e.hint}`).not.toContain(KEY_VALUE);
    expect(s.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY_VALUE}`);
  });

  it('404, HTML and a wrong JSON shape: not an OpenAI-compatible server, saying what came back', async () => {
    let s = await fake({ modelsResponse: { status: 404, body: '{"detail":"Not Found"}' } });
    let e = await failure(preflight([spec(s.url)], opts()));
    expect(e.message).toMatch(/not an OpenAI-compatible server: GET \/v1\/models returned 404 \(Not Found\)/);
    s = await fake({ modelsResponse: { status: 200, body: '<html><body>Grafana</body></html>', contentType: 'text/html' } });
    e = await failure(preflight([spec(s.url)], opts()));
    expect(e.message).toMatch(/returned text\/html, not JSON: <html><body>Grafana/);
    s = await fake({ modelsResponse: { status: 200, body: '{"models":["x"]}' } });
    e = await failure(preflight([spec(s.url)], opts()));
    expect(e.message).toMatch(/without a "data" list of models: \{"models":\["x"\]\}/);
  });

  it('503 while loading (llama.cpp)', async () => {
    const s = await fake({ modelsResponse: { status: 503, body: '{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}' } });
    const e = await failure(preflight([spec(s.url)], opts()));
    expect(e.message).toContain('not ready (HTTP 503: Loading model');
  });

  it('unreachable and silent servers: is the server running?', async () => {
    const port = await closedPort();
    let e = await failure(preflight([spec(`http://127.0.0.1:${port}`)], opts()));
    expect(e.message).toMatch(/unreachable: .*ECONNREFUSED/);
    expect(e.hint).toBe('is the server running? check host and port');

    const held: Socket[] = [];
    const silent = createNetServer((sock) => held.push(sock)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const sock of held) sock.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    });
    const t0 = Date.now();
    e = await failure(preflight([spec(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`)], opts({ timeoutMs: 200 })));
    expect(e.message).toContain('no answer to GET /v1/models within 200 ms');
    expect(Date.now() - t0).toBeLessThan(1_500);
  });

  it('TLS: an unknown CA hints --ca-cert/--insecure; both work; https to a plain server hints http://', async () => {
    const tls = createHttpsServer({ cert: CERT, key: KEY }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"object":"list","data":[{"id":"m"}]}');
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      tls.closeAllConnections();
      await new Promise<void>((r) => tls.close(() => r()));
    });
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
    const e = await failure(preflight([spec(url)], opts()));
    expect(e.message).toContain('TLS failure');
    expect(e.hint).toMatch(/--ca-cert FILE.*--insecure/);
    expect((await preflight([spec(url)], opts({ tls: { caCertPem: CERT } })))[0]!.model).toBe('m');
    expect((await preflight([spec(url)], opts({ tls: { insecure: true } })))[0]!.model).toBe('m');

    const plain = await fake();
    const p = await failure(preflight([spec(plain.url.replace('http://', 'https://'))], opts()));
    expect(p.hint).toMatch(/try http:\/\//);
  });

  it('reports the first failing endpoint of several', async () => {
    const good = await fake();
    const port = await closedPort();
    const e = await failure(preflight([spec(good.url), spec(`http://127.0.0.1:${port}`)], opts()));
    expect(e.url).toBe(`http://127.0.0.1:${port}`);
  });
});

async function closedPort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
