/**
 * The OpenAI-compatible client: the Sut the runner drives.
 *
 * One undici Pool group per endpoint origin (keep-alive, pipelining 1, explicit
 * timeouts) and the low-level dispatch API: response bytes arrive in
 * onResponseData straight from the socket parser, are time-stamped there with
 * the injected clock and scanned in place (exchange.ts, sse.ts, chunk.ts). No
 * Readable stream, no async iteration, no string per chunk: the arrival time
 * recorded is the time the bytes reached JS.
 *
 * Connections open as requests need them (undici opens one when none is free,
 * up to the pool's size): HTTP/1.1 carries one stream per connection, so the
 * size is the most requests in flight per origin. The runner decides it from
 * the schedule (no bound of its own: Server runs are unbounded unless
 * --max-concurrency says otherwise, as in LoadGen); a request that waits for a
 * connection is not issued until it gets one (exchange.ts: issuedUs).
 *
 * Servers disagree (servers.md §0): stream ends on [DONE] or end of body, usage
 * may be anywhere, errors may come inside a 200 stream, a server may answer a
 * streaming request with plain JSON. Each is handled as it comes, by content
 * type and content, not by server name.
 */
import { failedOutcome } from './outcome.js';
import type { Clock } from '../util/clock.js';
import { parseEndpointUrl } from './endpoint-url.js';
import { Exchange, type Attempt, type ExchangeHost } from './exchange.js';
import { loopbackSources, PoolGroup } from './pool-group.js';
import { makeRedactor, secretHeaderValues } from './redact.js';
import { buildRequestBody, type RequestSettings } from './request-body.js';
import type { EndpointInfo, Sut, SutOutcome, SutQuery } from './types.js';

export { buildRequestBody, type RequestSettings } from './request-body.js';
export { isSensitiveHeader, makeRedactor, redactHeaders, secretHeaderValues } from './redact.js';
export { classifyError, errorCode, isTlsError, statusKind } from './transport-errors.js';

export interface OpenAiSutOptions {
  endpoints: EndpointInfo[];
  clock: Clock;
  request: RequestSettings;
  apiKey: string | null;
  /** whole request, retries included */
  requestTimeoutMs: number;
  /** no bytes of body for this long once the first token arrived: idle_timeout (0: off) */
  idleTimeoutMs: number;
  /** no first token this long after the request was sent: first_token_timeout (default requestTimeoutMs: the server's queue may be long) */
  firstTokenTimeoutMs?: number;
  /** no response headers for this long: headers_timeout (default requestTimeoutMs: a non-streaming server sends headers only when done) */
  headersTimeoutMs?: number;
  /** keep output text even when usage arrives (accuracy mode) */
  keepText: boolean;
  /** retries for connect errors, 429 and 5xx (0: none) */
  retries: number;
  /** connections per endpoint at most: the requests that can be in flight to it at once */
  connectionsPerEndpoint: number;
  tls?: { caCertPem?: string; insecure?: boolean };
  /**
   * How a query picks its endpoint: the runner's query.endpointIndex when it is in
   * range, else round-robin over the endpoints (the only policy so far).
   */
  balancing?: 'round-robin';
  /**
   * bumped once per streamed output chunk as it arrives (live progress; one integer add on the hot
   * path), and `reads` (when present) once per piece of a streamed body undici hands over
   */
  liveCounters?: { outputChunks: number; reads?: number };
  /**
   * HTTP/2 where the endpoint speaks it (`--http2`): https by ALPN (falls back to
   * HTTP/1.1), http by prior knowledge (h2c); up to H2_STREAMS_PER_CONNECTION
   * streams share a connection, so 1,024 streams need 11 connections, not 1,024.
   */
  http2?: boolean;
}

/** streams per HTTP/2 connection: Node's and most servers' default SETTINGS_MAX_CONCURRENT_STREAMS is 100 or more */
export const H2_STREAMS_PER_CONNECTION = 100;

const CONNECT_TIMEOUT_MAX_MS = 10_000;
const RETRY_BACKOFF_BASE_MS = 100;
const RETRY_BACKOFF_MAX_MS = 2_000;

interface Target {
  info: EndpointInfo;
  /** the origin's connections (pool-group.ts: undici Pools of at most 64 connections each) */
  pool: PoolGroup;
  path: string;
}

export function createOpenAiSut(opts: OpenAiSutOptions): Sut {
  return new OpenAiSut(opts);
}

class OpenAiSut implements Sut, ExchangeHost {
  readonly endpoints: readonly EndpointInfo[];
  private readonly targets: Target[];
  private readonly pools = new Map<string, PoolGroup>();
  private readonly headers: Record<string, string>;
  readonly clock: Clock;
  readonly request: RequestSettings;
  readonly keepText: boolean;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly firstTokenTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly liveCounters: { outputChunks: number; reads?: number } | undefined;
  private readonly http2: boolean;
  private rr = 0;
  readonly redact: (s: string) => string;
  /**
   * In-flight exchanges per abort signal. The runner shares one signal across
   * thousands of requests: one listener per signal instead of one per request
   * (EventTarget listeners are slow to add and Node warns past 10).
   */
  private readonly inflight = new WeakMap<AbortSignal, Set<Exchange>>();

  constructor(readonly opts: OpenAiSutOptions) {
    if (opts.endpoints.length === 0) throw new Error('createOpenAiSut: no endpoints');
    this.endpoints = opts.endpoints;
    this.clock = opts.clock;
    this.request = opts.request;
    this.keepText = opts.keepText;
    this.requestTimeoutMs = opts.requestTimeoutMs;
    this.headersTimeoutMs = opts.headersTimeoutMs ?? opts.requestTimeoutMs;
    this.firstTokenTimeoutMs = opts.firstTokenTimeoutMs ?? opts.requestTimeoutMs;
    this.idleTimeoutMs = opts.idleTimeoutMs;
    this.liveCounters = opts.liveCounters;
    this.http2 = opts.http2 === true;
    this.redact = makeRedactor(opts.apiKey, secretHeaderValues(opts.request.headers));

    const urls = opts.endpoints.map((e) => {
      const r = parseEndpointUrl(e.url);
      if (!r.ok) throw new Error(`createOpenAiSut: ${r.problem.message}`);
      return r.url;
    });
    const perOrigin = new Map<string, number>();
    for (const u of urls) perOrigin.set(u.origin, (perOrigin.get(u.origin) ?? 0) + 1);
    for (const [origin, count] of perOrigin) {
      const connect: Record<string, unknown> = {
        timeout: Math.min(CONNECT_TIMEOUT_MAX_MS, opts.requestTimeoutMs),
      };
      if (opts.tls?.caCertPem !== undefined) connect.ca = opts.tls.caCertPem;
      if (opts.tls?.insecure === true) connect.rejectUnauthorized = false;
      const streams = Math.max(1, opts.connectionsPerEndpoint * count);
      const connections = this.http2 ? Math.ceil(streams / H2_STREAMS_PER_CONNECTION) : streams;
      const u = new URL(origin);
      this.pools.set(
        origin,
        new PoolGroup(
          origin,
          connections,
          {
            // h2: undici counts streams in flight against pipelining
            pipelining: this.http2 ? H2_STREAMS_PER_CONNECTION : 1,
            headersTimeout: this.headersTimeoutMs,
            // Off: undici's body timer starts at the headers, so it would kill a request the server
            // queues after sending them; the exchange keeps its own idle timer from the first token.
            bodyTimeout: 0,
            // h2c goes in the connector's options: undici's Pool does not pass its own useH2c on
            connect: this.http2 && u.protocol === 'http:' ? { ...connect, useH2c: true } : connect,
            ...(this.http2 ? { allowH2: true, maxConcurrentStreams: H2_STREAMS_PER_CONNECTION } : {}),
          },
          loopbackSources(u.hostname, connections),
        ),
      );
    }
    const apiPath = opts.request.api === 'chat' ? '/v1/chat/completions' : '/v1/completions';
    this.targets = urls.map((u, i) => ({ info: opts.endpoints[i]!, pool: this.pools.get(u.origin)!, path: u.basePath + apiPath }));

    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: opts.request.stream ? 'text/event-stream' : 'application/json',
    };
    if (opts.apiKey !== null && opts.apiKey !== '') headers.authorization = `Bearer ${opts.apiKey}`;
    for (const [k, v] of Object.entries(opts.request.headers)) headers[k.toLowerCase()] = v;
    this.headers = headers;
  }

  async issue(query: SutQuery, signal: AbortSignal): Promise<SutOutcome> {
    const n = this.targets.length;
    const idx = query.endpointIndex >= 0 && query.endpointIndex < n ? query.endpointIndex : this.rr++ % n;
    const target = this.targets[idx]!;
    const body = JSON.stringify(buildRequestBody(this.opts.request, target.info.model, query.sample, query.maxTokens));
    const clock = this.opts.clock;
    const dispatchedUs = clock.nowUs();
    const deadlineUs = dispatchedUs + this.opts.requestTimeoutMs * 1000;
    let retries = 0;
    // A retried query was issued when its first attempt was sent.
    let firstSentUs = -1;
    const done = (o: SutOutcome): SutOutcome => {
      o.retries = retries;
      if (firstSentUs >= 0) {
        o.issuedUs = firstSentUs;
        o.connectWaitUs = firstSentUs - dispatchedUs;
      }
      return o;
    };
    for (;;) {
      const attempt = await this.attempt(target, body, signal, dispatchedUs, deadlineUs, query.maxTokens);
      if (firstSentUs < 0 && attempt.sent) firstSentUs = attempt.outcome.issuedUs;
      if (!attempt.retryable || retries >= this.opts.retries || signal.aborted) return done(attempt.outcome);
      const backoffMs = Math.min(RETRY_BACKOFF_MAX_MS, RETRY_BACKOFF_BASE_MS * 2 ** retries);
      const wakeUs = clock.nowUs() + backoffMs * 1000;
      if (wakeUs >= deadlineUs) return done(attempt.outcome);
      try {
        await clock.sleepUntil(wakeUs, signal);
      } catch {
        return done(failedOutcome(clock.nowUs(), clock.nowUs(), 'aborted', 'aborted by the run', retries));
      }
      retries++;
    }
  }

  private attempt(target: Target, body: string, signal: AbortSignal, dispatchedUs: number, deadlineUs: number, maxTokens: number): Promise<Attempt> {
    const clock = this.opts.clock;
    return new Promise<Attempt>((resolve) => {
      if (signal.aborted) {
        const t = clock.nowUs();
        resolve({ outcome: failedOutcome(t, t, 'aborted', 'aborted by the run', 0), retryable: false, sent: false });
        return;
      }
      // max_tokens bounds the output chunks: the recorder sizes its arrays once.
      const ex = new Exchange(this, dispatchedUs, resolve, signal, maxTokens);
      this.watch(signal, ex);
      ex.start(Math.max(1, Math.ceil((deadlineUs - clock.nowUs()) / 1000)));
      const member = target.pool.pick();
      ex.releaseTo(target.pool, member);
      target.pool.dispatchTo(
        member,
        {
          path: target.path,
          method: 'POST',
          headers: this.headers,
          body,
          // Backstop only: undici's own timers tick at ~1 s resolution; Exchange keeps precise ones.
          headersTimeout: this.headersTimeoutMs,
          bodyTimeout: 0,
          // undici sends a non-idempotent request (POST) on an h2 connection only when no other is
          // in flight on it; we never replay a request at this level, so many may share one.
          ...(this.http2 ? { idempotent: true } : {}),
        },
        ex,
      );
    });
  }

  private watch(signal: AbortSignal, ex: Exchange): void {
    let set = this.inflight.get(signal);
    if (set === undefined) {
      const exchanges = new Set<Exchange>();
      set = exchanges;
      this.inflight.set(signal, exchanges);
      signal.addEventListener(
        'abort',
        () => {
          for (const e of [...exchanges]) e.abortWith('aborted', 'aborted by the run');
        },
        { once: true },
      );
    }
    set.add(ex);
  }

  unwatch(signal: AbortSignal, ex: Exchange): void {
    this.inflight.get(signal)?.delete(ex);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.destroy()));
  }
}
