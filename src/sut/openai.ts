/**
 * The OpenAI-compatible client: the Sut the runner drives.
 *
 * One undici Pool per endpoint origin (keep-alive, pipelining 1, explicit
 * timeouts, connections sized to the concurrency) and the low-level dispatch API:
 * response bytes arrive in onResponseData straight from the socket parser, are
 * time-stamped there with the injected clock and scanned in place (sse.ts,
 * chunk.ts). No Readable stream, no async iteration, no string per chunk: the
 * arrival time recorded is the time the bytes reached JS.
 *
 * Servers disagree (servers.md §0): stream ends on [DONE] or end of body, usage
 * may be anywhere, errors may come inside a 200 stream, a server may answer a
 * streaming request with plain JSON. Each is handled as it comes, by content
 * type and content, not by server name.
 */
import { failedOutcome } from './outcome.js';
import type { Dispatcher } from 'undici';
import type { Sample } from '../dataset/types.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { Clock } from '../util/clock.js';
import { describeErrorBytes, extractResponseBody, newChunkInfo, TextSink } from './chunk.js';
import { parseEndpointUrl } from './endpoint-url.js';
import { PoolGroup } from './pool-group.js';
import { SseScanner } from './sse.js';
import { StreamRecorder } from './stream.js';
import type { EndpointInfo, ErrorKind, Sut, SutOutcome, SutQuery } from './types.js';

export type RequestSettings = ResolvedScenario['request'];

export interface OpenAiSutOptions {
  endpoints: EndpointInfo[];
  clock: Clock;
  request: RequestSettings;
  apiKey: string | null;
  /** whole request, retries included */
  requestTimeoutMs: number;
  /** no bytes of body for this long: idle_timeout (0: off) */
  idleTimeoutMs: number;
  /** no response headers for this long: headers_timeout (default requestTimeoutMs: a non-streaming server sends headers only when done) */
  headersTimeoutMs?: number;
  /** keep output text even when usage arrives (accuracy mode) */
  keepText: boolean;
  /** retries for connect errors, 429 and 5xx (0: none) */
  retries: number;
  connectionsPerEndpoint: number;
  tls?: { caCertPem?: string; insecure?: boolean };
  /**
   * How a query picks its endpoint: the runner's query.endpointIndex when it is in
   * range, else round-robin over the endpoints (the only policy so far).
   */
  balancing?: 'round-robin';
  /** bumped once per streamed output chunk as it arrives (live progress; one integer add on the hot path) */
  liveCounters?: { outputChunks: number };
}

/** A streamed body that never ends after [DONE] or an error event is cut after this long, freeing the connection. */
const LINGER_AFTER_DONE_MS = 2_000;
const ERROR_BODY_MAX_BYTES = 64 * 1024;
const RESPONSE_BODY_MAX_BYTES = 64 * 1024 * 1024;
const CONNECT_TIMEOUT_MAX_MS = 10_000;
const RETRY_BACKOFF_BASE_MS = 100;
const RETRY_BACKOFF_MAX_MS = 2_000;

/** The request body for one query, per API. Exported for tests and for `--dry-run` style tooling. */
export function buildRequestBody(
  request: RequestSettings,
  model: string,
  sample: Sample,
  maxTokens: number,
): Record<string, unknown> {
  const body: Record<string, unknown> = { model };
  if (request.api === 'chat') {
    body.messages = sample.messages ?? [{ role: 'user', content: sample.prompt ?? '' }];
    // llama.cpp (Feb 2025 build) ignores max_completion_tokens; OpenAI deprecates max_tokens. Send both.
    body.max_tokens = maxTokens;
    body.max_completion_tokens = maxTokens;
    if (request.reasoningEffort !== null) body.reasoning_effort = request.reasoningEffort;
  } else {
    // A sample that only has ids (JSONL input_ids, rendered chat) is sent as ids whatever the format.
    if ((request.promptFormat === 'ids' || sample.prompt === null) && sample.promptTokenIds !== null) body.prompt = sample.promptTokenIds;
    else body.prompt = sample.prompt ?? (sample.messages ?? []).map((m) => m.content).join('\n');
    body.max_tokens = maxTokens;
  }
  body.stream = request.stream;
  if (request.stream) {
    // TRT-LLM rejects stream_options without stream; continuous_usage_stats is vLLM/SGLang/TRT-LLM only,
    // so it is sent only when asked for (a strict server may reject an unknown option).
    body.stream_options = request.continuousUsage
      ? { include_usage: true, continuous_usage_stats: true }
      : { include_usage: true };
  }
  if (request.ignoreEos) body.ignore_eos = true;
  if (request.temperature !== null) body.temperature = request.temperature;
  if (request.topP !== null) body.top_p = request.topP;
  if (request.topK !== null) body.top_k = request.topK;
  return Object.assign(body, request.extraBody);
}

interface Target {
  info: EndpointInfo;
  /** the origin's connections (pool-group.ts: undici Pools of at most 64 connections each) */
  pool: PoolGroup;
  path: string;
}

interface Attempt {
  outcome: SutOutcome;
  retryable: boolean;
}

export function createOpenAiSut(opts: OpenAiSutOptions): Sut {
  return new OpenAiSut(opts);
}

class OpenAiSut implements Sut {
  readonly endpoints: readonly EndpointInfo[];
  private readonly targets: Target[];
  private readonly pools = new Map<string, PoolGroup>();
  private readonly headers: Record<string, string>;
  private readonly headersTimeoutMs: number;
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
    this.headersTimeoutMs = opts.headersTimeoutMs ?? opts.requestTimeoutMs;
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
      this.pools.set(
        origin,
        new PoolGroup(origin, Math.max(1, opts.connectionsPerEndpoint * count), {
          pipelining: 1,
          headersTimeout: this.headersTimeoutMs,
          bodyTimeout: opts.idleTimeoutMs,
          connect,
        }),
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
    const issuedUs = clock.nowUs();
    const deadlineUs = issuedUs + this.opts.requestTimeoutMs * 1000;
    let retries = 0;
    for (;;) {
      const attempt = await this.attempt(target, body, signal, issuedUs, deadlineUs, query.maxTokens);
      attempt.outcome.retries = retries;
      if (!attempt.retryable || retries >= this.opts.retries || signal.aborted) return attempt.outcome;
      const backoffMs = Math.min(RETRY_BACKOFF_MAX_MS, RETRY_BACKOFF_BASE_MS * 2 ** retries);
      const wakeUs = clock.nowUs() + backoffMs * 1000;
      if (wakeUs >= deadlineUs) return attempt.outcome;
      try {
        await clock.sleepUntil(wakeUs, signal);
      } catch {
        return failedOutcome(issuedUs, clock.nowUs(), 'aborted', 'aborted by the run', retries);
      }
      retries++;
    }
  }

  private attempt(target: Target, body: string, signal: AbortSignal, issuedUs: number, deadlineUs: number, maxTokens: number): Promise<Attempt> {
    const clock = this.opts.clock;
    return new Promise<Attempt>((resolve) => {
      if (signal.aborted) {
        resolve({ outcome: failedOutcome(issuedUs, clock.nowUs(), 'aborted', 'aborted by the run', 0), retryable: false });
        return;
      }
      // max_tokens bounds the output chunks: the recorder sizes its arrays once.
      const ex = new Exchange(this, issuedUs, resolve, signal, maxTokens);
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
          // Backstops only: undici's own timers tick at ~1 s resolution; Exchange keeps precise ones.
          headersTimeout: this.headersTimeoutMs,
          bodyTimeout: this.opts.idleTimeoutMs,
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

/**
 * One HTTP exchange. undici calls these handlers synchronously from the socket
 * parser; everything here runs on the hot path.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private pendingAbort: Error | null = null;
  private settled = false;
  private status = 0;
  private responseStarted = false;
  private sse = false;
  private scanner: SseScanner | null = null;
  private rec: StreamRecorder;
  private bodyParts: Buffer[] | null = null;
  private bodyBytes = 0;
  private lingerTimer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private headersTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** real time (ms) of the last body bytes, for the idle timeout; not a measurement */
  private lastBytesMs = 0;
  private readonly clock: Clock;
  /** the pool group member this exchange was sent to, told once when undici is done with it */
  private group: PoolGroup | null = null;
  private member = 0;

  constructor(
    private readonly sut: OpenAiSut,
    private readonly issuedUs: number,
    private readonly resolve: (a: Attempt) => void,
    private readonly signal: AbortSignal,
    expectedChunks: number,
  ) {
    this.clock = sut.opts.clock;
    this.rec = new StreamRecorder(sut.opts.keepText, expectedChunks);
  }

  /**
   * Timeouts are native timers here (undici's headers/body timers run at ~1 s
   * resolution). The idle check costs nothing per chunk: data only stamps
   * lastBytesMs, and the timer re-arms itself for the time left.
   */
  start(remainingMs: number): void {
    const opts = this.sut.opts;
    this.deadlineTimer = setTimeout(
      () => this.abortWith('request_timeout', `no complete response within ${opts.requestTimeoutMs} ms`),
      remainingMs,
    );
    const headersMs = opts.headersTimeoutMs ?? opts.requestTimeoutMs;
    if (headersMs > 0 && headersMs < remainingMs) {
      this.headersTimer = setTimeout(() => this.abortWith('headers_timeout', `no response headers within ${headersMs} ms`), headersMs);
    }
  }

  private readonly checkIdle = (): void => {
    this.idleTimer = null;
    if (this.settled) return;
    const idleMs = this.sut.opts.idleTimeoutMs;
    const leftMs = this.lastBytesMs + idleMs - performance.now();
    if (leftMs <= 0) this.abortWith('idle_timeout', `no bytes for ${idleMs} ms`);
    else this.idleTimer = setTimeout(this.checkIdle, Math.ceil(leftMs));
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort !== null) controller.abort(this.pendingAbort);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx informational
    this.status = statusCode;
    this.responseStarted = true;
    if (this.headersTimer !== null) {
      clearTimeout(this.headersTimer);
      this.headersTimer = null;
    }
    const idleMs = this.sut.opts.idleTimeoutMs;
    if (idleMs > 0 && !this.settled) {
      this.lastBytesMs = performance.now();
      this.idleTimer = setTimeout(this.checkIdle, idleMs);
    }
    if (statusCode >= 200 && statusCode < 300) {
      const ct = headerValue(headers['content-type']).toLowerCase();
      // Go by what came back: a proxy may answer a streaming request with JSON.
      this.sse = ct.includes('text/event-stream') || (ct === '' && this.sut.opts.request.stream);
    }
    if (this.sse) this.scanner = new SseScanner();
    else this.bodyParts = [];
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    // Settled (after [DONE], an error event, a timeout): drain and ignore, so the connection is reused.
    if (this.settled) return;
    this.lastBytesMs = performance.now();
    if (this.sse) {
      const rec = this.rec;
      rec.nowUs = this.clock.nowUs();
      const chunksBefore = rec.chunkCount;
      this.scanner!.push(chunk, rec);
      const live = this.sut.opts.liveCounters;
      if (live !== undefined) live.outputChunks += rec.chunkCount - chunksBefore;
      if (rec.finished) this.streamFinished(rec.nowUs);
      return;
    }
    if (this.bodyParts === null) return;
    const limit = this.status >= 300 ? ERROR_BODY_MAX_BYTES : RESPONSE_BODY_MAX_BYTES;
    if (this.bodyBytes + chunk.length > limit) {
      if (this.status >= 300) return; // the start of an error body says enough
      this.fail('malformed_stream', `response body larger than ${limit} bytes`, this.clock.nowUs(), false);
      this.controller?.abort(new Error('tokbench: response body too large'));
      return;
    }
    this.bodyParts.push(chunk);
    this.bodyBytes += chunk.length;
  }

  releaseTo(group: PoolGroup, member: number): void {
    this.group = group;
    this.member = member;
  }

  private released(): void {
    const g = this.group;
    if (g !== null) {
      this.group = null;
      g.release(this.member);
    }
  }

  onResponseEnd(): void {
    this.released();
    this.clearLinger();
    if (this.settled) return;
    const t = this.clock.nowUs();
    if (this.sse) {
      const rec = this.rec;
      rec.nowUs = t;
      // A server may close right after its last data line without the empty line: still read it.
      this.scanner!.end(rec, { dispatchPending: true });
      if (rec.failure !== null) this.fail(rec.failure.kind, rec.failure.message, t, false);
      else if (rec.sawDone || rec.finishReason !== null) this.succeed(t);
      else this.fail('incomplete_stream', 'the stream ended without [DONE] and without a finish_reason', t, false);
      return;
    }
    const body = concat(this.bodyParts ?? [], this.bodyBytes);
    if (this.status >= 300) {
      const retryable = this.status === 429 || this.status >= 500;
      this.fail(statusKind(this.status), `HTTP ${this.status}: ${describeErrorBytes(body)}`, t, retryable, this.status);
      return;
    }
    const text = new TextSink();
    const info = extractResponseBody(body, text, newChunkInfo());
    if (info.kind === 'error') {
      this.fail('stream_error', info.errorMessage ?? 'error in response body', t, false);
    } else if (info.kind !== 'data') {
      this.fail('malformed_stream', `response is not an OpenAI completion: ${describeErrorBytes(body.subarray(0, 200))}`, t, false);
    } else {
      this.rec = StreamRecorder.fromBody(info, text, this.sut.opts.keepText, t);
      this.succeed(t);
    }
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.released();
    this.clearLinger();
    if (this.settled) return;
    const kind = classifyError(err, this.responseStarted);
    this.fail(kind, errorText(err), this.clock.nowUs(), kind === 'connect');
  }

  /** Our own timeouts and the run's abort: settle now, then tell undici. */
  abortWith(kind: ErrorKind, message: string): void {
    if (this.settled) return;
    this.fail(kind, message, this.clock.nowUs(), false);
    const reason = new Error(`tokbench: ${message}`);
    if (this.controller !== null) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }

  private streamFinished(t: number): void {
    const failure = this.rec.failure;
    if (failure === null) {
      this.succeed(t);
    } else {
      this.fail(failure.kind, failure.message, t, false);
      // Garbage on the wire: do not reuse this connection.
      if (failure.kind === 'malformed_stream') {
        this.controller?.abort(new Error('tokbench: malformed stream'));
        return;
      }
    }
    this.lingerTimer = setTimeout(() => this.controller?.abort(new Error('tokbench: body did not end after [DONE]')), LINGER_AFTER_DONE_MS);
    this.lingerTimer.unref();
  }

  private clearLinger(): void {
    if (this.lingerTimer !== null) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
  }

  private succeed(t: number): void {
    this.settle(t, true, null, false);
  }

  private fail(kind: ErrorKind, message: string, t: number, retryable: boolean, httpStatus?: number): void {
    const error: SutOutcome['error'] = { kind, message: this.sut.redact(message) };
    if (httpStatus !== undefined) error.httpStatus = httpStatus;
    this.settle(t, false, error, retryable);
  }

  private settle(t: number, ok: boolean, error: SutOutcome['error'], retryable: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.sut.unwatch(this.signal, this);
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    if (this.headersTimer !== null) clearTimeout(this.headersTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    const rec = this.rec;
    const chunkTokens = rec.chunkTokens();
    this.resolve({
      outcome: {
        issuedUs: this.issuedUs,
        firstTokenUs: rec.firstTokenUs,
        completedUs: t,
        chunkTimesUs: rec.chunkTimesUs,
        chunkTokens,
        chunkWeights: chunkTokens === null ? rec.chunkTextWeights() : null,
        usagePromptTokens: rec.usagePromptTokens,
        usageCompletionTokens: rec.usageCompletionTokens,
        text: rec.textOrNull(),
        finishReason: rec.finishReason,
        ok,
        error,
        retries: 0,
      },
      retryable,
    });
  }
}


export function statusKind(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'http_401';
  if (status === 404) return 'http_404';
  if (status === 429) return 'http_429';
  if (status >= 500) return 'http_5xx';
  if (status >= 400) return 'http_400';
  return 'other';
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return '';
}

export function isTlsError(err: unknown): boolean {
  const code = errorCode(err);
  if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code === 'EPROTO') return true;
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH/.test(code)) return true;
  const msg = err instanceof Error ? err.message : '';
  return /certificate|ssl|tls/i.test(msg);
}

/** Map a transport error to an ErrorKind, by undici/Node error code (never by message wording). */
export function classifyError(err: unknown, responseStarted: boolean): ErrorKind {
  const code = errorCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'headers_timeout';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'idle_timeout';
  if (code === 'UND_ERR_ABORTED' || (err as { name?: unknown } | null)?.name === 'AbortError') return 'aborted';
  if (!responseStarted && (CONNECT_CODES.has(code) || isTlsError(err))) return 'connect';
  if (RESET_CODES.has(code) || CONNECT_CODES.has(code)) return 'reset';
  return 'other';
}

function errorText(err: unknown): string {
  const code = errorCode(err);
  let msg = err instanceof Error ? err.message : String(err);
  // Node reports a refused dual-stack connect as an AggregateError with an empty message.
  if (msg === '' && err instanceof AggregateError) {
    msg = err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  }
  if (code !== '' && !msg.includes(code)) msg = msg === '' ? code : `${code}: ${msg}`;
  return msg === '' ? 'unknown error' : msg;
}

/**
 * Error text must never carry the API key (servers sometimes echo it back), nor
 * the value of a credential header the user gave (`secrets`, see secretHeaderValues).
 */
export function makeRedactor(apiKey: string | null, secrets: readonly string[] = []): (s: string) => string {
  const all = [apiKey, ...secrets].filter((k): k is string => k !== null && k.length >= 4).sort((a, b) => b.length - a.length);
  return (s: string) => {
    let out = s.replace(/(Bearer\s+)[^\s"',;]+/gi, '$1***');
    for (const k of all) out = out.split(k).join('***');
    return out;
  };
}

/** Header names whose values are credentials (Authorization, X-Api-Key, Cookie, *-Token, ...). */
const SENSITIVE_HEADER_RE = /authorization|cookie|api[-_]?key|token|secret|password|passwd|credential|session|signature|^auth/i;

export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER_RE.test(name);
}

/** Headers as they may be written to disk (run.json): names kept, credential values replaced by `***`. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = isSensitiveHeader(k) ? '***' : v;
  return out;
}

/** The credential values among user headers (and the token of `Bearer TOKEN`), for makeRedactor. */
export function secretHeaderValues(headers: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(headers)) {
    if (!isSensitiveHeader(k)) continue;
    out.push(v);
    const token = /^\S+\s+(\S+)$/.exec(v.trim())?.[1];
    if (token !== undefined) out.push(token);
  }
  return out;
}

function headerValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  return Array.isArray(v) ? (v[0] ?? '') : v;
}

function concat(parts: Buffer[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts, total);
}
