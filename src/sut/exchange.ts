/**
 * One HTTP exchange, as an undici dispatch handler. undici calls these handlers
 * synchronously from the socket parser; everything here runs on the hot path.
 *
 * Times it takes (all on the injected clock, µs):
 * - sent: onRequestStart, which undici calls right before it writes the
 *   request to a socket (client-h1 writeH1). Any wait before it (a pooled
 *   connection to free up, a connection to be set up) is the client's, not the
 *   server's: the runner reports it as issue delay.
 * - first token: the first chunk that carries output, or whose usage rises
 *   (stream.ts); last token: the last such chunk; end: [DONE] or the end of the
 *   body. A successful stream is complete at its last token: the wait for
 *   [DONE] or close is kept apart (streamEndUs).
 *
 * Timeouts are our own native timers (undici's run at ~1 s resolution):
 * request (whole request), headers, first token (from sending to the first
 * token, which covers the server's queue), idle (between bytes, armed only
 * once the first token arrived: a server may send headers at once and then
 * queue the request for a long time, vLLM does).
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../util/clock.js';
import { describeErrorBytes, extractResponseBody, newChunkInfo, TextSink } from './chunk.js';
import type { PoolGroup } from './pool-group.js';
import type { RequestSettings } from './request-body.js';
import { SseScanner } from './sse.js';
import { StreamRecorder } from './stream.js';
import { classifyError, errorText, statusKind } from './transport-errors.js';
import type { ErrorKind, SutOutcome } from './types.js';

/** What an exchange needs from the client that made it. */
export interface ExchangeHost {
  readonly clock: Clock;
  readonly request: RequestSettings;
  readonly keepText: boolean;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** from sending to the first token (0: off) */
  readonly firstTokenTimeoutMs: number;
  /** between bytes once the first token arrived (0: off) */
  readonly idleTimeoutMs: number;
  readonly liveCounters: { outputChunks: number; reads?: number } | undefined;
  redact(s: string): string;
  unwatch(signal: AbortSignal, ex: Exchange): void;
}

export interface Attempt {
  outcome: SutOutcome;
  retryable: boolean;
  /** the request reached a socket (its outcome's issuedUs is when) */
  sent: boolean;
}

/** A streamed body that never ends after [DONE] or an error event is cut after this long, freeing the connection. */
const LINGER_AFTER_DONE_MS = 2_000;
const ERROR_BODY_MAX_BYTES = 64 * 1024;
const RESPONSE_BODY_MAX_BYTES = 64 * 1024 * 1024;

export class Exchange implements Dispatcher.DispatchHandler {
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
  private firstTokenTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** real time (ms) of the last body bytes, for the idle timeout; not a measurement */
  private lastBytesMs = 0;
  private readonly clock: Clock;
  /** the pool group member this exchange was sent to, told once when undici is done with it */
  private group: PoolGroup | null = null;
  private member = 0;
  /** when undici handed the request to a socket; -1 until then */
  sentUs = -1;
  /** the request's time left when it was handed to the pool (ms) */
  private remainingMs = 0;

  constructor(
    private readonly host: ExchangeHost,
    /** when the request was handed to undici (the pool) */
    private readonly dispatchedUs: number,
    private readonly resolve: (a: Attempt) => void,
    private readonly signal: AbortSignal,
    expectedChunks: number,
  ) {
    this.clock = host.clock;
    this.rec = new StreamRecorder(host.keepText, expectedChunks);
  }

  start(remainingMs: number): void {
    const h = this.host;
    this.remainingMs = remainingMs;
    this.deadlineTimer = setTimeout(() => this.abortWith('request_timeout', `no complete response within ${h.requestTimeoutMs} ms`), remainingMs);
  }

  /** The idle check costs nothing per chunk: data only stamps lastBytesMs, and the timer re-arms itself for the time left. */
  private readonly checkIdle = (): void => {
    this.idleTimer = null;
    if (this.settled) return;
    const idleMs = this.host.idleTimeoutMs;
    const leftMs = this.lastBytesMs + idleMs - performance.now();
    if (leftMs <= 0) this.abortWith('idle_timeout', `no bytes for ${idleMs} ms after the first token`);
    else this.idleTimer = setTimeout(this.checkIdle, Math.ceil(leftMs));
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.sentUs < 0) this.sentUs = this.clock.nowUs();
    if (this.pendingAbort !== null) {
      controller.abort(this.pendingAbort);
      return;
    }
    // The server's timeouts count from sending: a wait for a connection is the client's.
    const headersMs = this.host.headersTimeoutMs;
    if (headersMs > 0 && headersMs < this.remainingMs && !this.settled) {
      this.headersTimer = setTimeout(() => this.abortWith('headers_timeout', `no response headers within ${headersMs} ms`), headersMs);
    }
    const ftMs = this.host.firstTokenTimeoutMs;
    if (ftMs > 0 && this.host.request.stream && !this.settled) {
      this.firstTokenTimer = setTimeout(() => this.abortWith('first_token_timeout', `no first token within ${ftMs} ms of sending`), ftMs);
    }
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx informational
    this.status = statusCode;
    this.responseStarted = true;
    if (this.headersTimer !== null) {
      clearTimeout(this.headersTimer);
      this.headersTimer = null;
    }
    if (statusCode >= 200 && statusCode < 300) {
      const ct = headerValue(headers['content-type']).toLowerCase();
      // Go by what came back: a proxy may answer a streaming request with JSON.
      this.sse = ct.includes('text/event-stream') || (ct === '' && this.host.request.stream);
    }
    if (this.sse) this.scanner = new SseScanner();
    else {
      this.bodyParts = [];
      this.clearFirstTokenTimer();
    }
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    // Settled (after [DONE], an error event, a timeout): drain and ignore, so the connection is reused.
    if (this.settled) return;
    if (this.sse) {
      const rec = this.rec;
      rec.nowUs = this.clock.nowUs();
      const chunksBefore = rec.chunkCount;
      this.scanner!.push(chunk, rec);
      const added = rec.chunkCount - chunksBefore;
      const live = this.host.liveCounters;
      if (live !== undefined) {
        live.outputChunks += added;
        // socket reads that reached the stream (npm run bench: events per read)
        if (live.reads !== undefined) live.reads++;
      }
      if (added > 0 && chunksBefore === 0) this.firstToken();
      if (this.idleTimer !== null) this.lastBytesMs = performance.now();
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

  /** The first token arrived: the first-token timeout is met, the idle timeout starts. */
  private firstToken(): void {
    this.clearFirstTokenTimer();
    const idleMs = this.host.idleTimeoutMs;
    if (idleMs > 0 && this.idleTimer === null && !this.settled) {
      this.lastBytesMs = performance.now();
      this.idleTimer = setTimeout(this.checkIdle, idleMs);
    }
  }

  private clearFirstTokenTimer(): void {
    if (this.firstTokenTimer !== null) {
      clearTimeout(this.firstTokenTimer);
      this.firstTokenTimer = null;
    }
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
      this.rec = StreamRecorder.fromBody(info, text, this.host.keepText);
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
    const error: SutOutcome['error'] = { kind, message: this.host.redact(message) };
    if (httpStatus !== undefined) error.httpStatus = httpStatus;
    this.settle(t, false, error, retryable);
  }

  private settle(t: number, ok: boolean, error: SutOutcome['error'], retryable: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.host.unwatch(this.signal, this);
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    if (this.headersTimer !== null) clearTimeout(this.headersTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.clearFirstTokenTimer();
    const rec = this.rec;
    const chunkTokens = rec.chunkTokens();
    const lastTokenUs = rec.lastTokenUs;
    // Never sent (no connection came): the whole wait was the client's.
    const sentUs = this.sentUs >= 0 ? this.sentUs : t;
    this.resolve({
      outcome: {
        issuedUs: sentUs,
        connectWaitUs: sentUs - this.dispatchedUs,
        firstTokenUs: rec.firstTokenUs,
        firstAnswerUs: rec.sawReasoning ? rec.firstAnswerUs : null,
        // A successful stream is complete at its last token; the wait for [DONE] or close is apart.
        completedUs: ok && lastTokenUs >= 0 ? lastTokenUs : t,
        streamEndUs: this.sse ? t : -1,
        streamed: this.sse,
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
      sent: this.sentUs >= 0,
    });
  }
}

function headerValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  return Array.isArray(v) ? (v[0] ?? '') : v;
}

function concat(parts: Buffer[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  return Buffer.concat(parts, total);
}
