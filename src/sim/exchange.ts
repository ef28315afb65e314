/**
 * One simulated request's response, fed by the engine's token events: SSE
 * chunks or a JSON body in vLLM's shapes, with any fault the planner chose for
 * it applied at its token.
 */
import type http from 'node:http';
import type { SeqHandle, TokenEvent } from './engine.js';
import { isMidStream, strikeAtToken, type FaultDecision, type FaultKind } from './faults.js';
import { DONE_LINE, contentChunk, errorBody, errorEvent, generatedText, nonStreamBody, roleChunk, usageChunk, type Api, type ParsedRequest, type ResponseContext } from './protocol.js';

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
export const JSON_HEADERS = { 'content-type': 'application/json' };

/** What an exchange needs from its server: the engine, ids, and the counters it feeds. */
export interface ExchangeHost {
  submit(parsed: ParsedRequest, promptTokens: number, maxTokens: number, sink: Exchange): SeqHandle;
  readonly model: string;
  readonly nowS: number;
  newId(api: Api): string;
  readonly record: {
    status(s: number): void;
    accepted(promptTokens: number): void;
    sent(tokens: number): void;
    completed(): void;
    cancelled(): void;
    fault(k: FaultKind): void;
    firstToken(seconds: number): void;
    interToken(seconds: number, tokens: number): void;
    queued(seconds: number): void;
    finished(reason: 'stop' | 'length', e2eSeconds: number): void;
  };
}

/** One request's response, fed by the engine's token events. */
export class Exchange {
  private handle: SeqHandle | null = null;
  private readonly ctx: ResponseContext;
  private sentTokens = 0;
  private lastEventUs = 0;
  /** 'live' until the response is complete, or a fault or the client ended it */
  private state: 'live' | 'done' | 'faulted' = 'live';
  private strikeAt = Infinity;

  constructor(
    private readonly sim: ExchangeHost,
    private readonly req: ParsedRequest,
    private readonly res: http.ServerResponse,
    private readonly fault: FaultDecision | null,
    private readonly arrivalUs: number,
    promptTokens: number,
    private readonly maxTokens: number,
  ) {
    this.ctx = {
      api: req.api,
      id: sim.newId(req.api),
      created: sim.nowS,
      modelJson: sim.model,
      promptTokens,
      includeUsage: req.includeUsage,
      continuousUsage: req.continuousUsage,
    };
  }

  start(): void {
    const { res, req } = this;
    res.on('close', () => {
      if (this.state !== 'live') return;
      this.state = 'done';
      this.handle?.cancel();
      this.sim.record.cancelled();
    });
    this.handle = this.sim.submit(req, this.ctx.promptTokens, this.maxTokens, this);
    this.sim.record.accepted(this.ctx.promptTokens);
    if (this.fault && isMidStream(this.fault.kind)) this.strikeAt = strikeAtToken(this.fault, this.handle.targetTokens);
    if (req.stream) {
      // Headers go out at once, as vLLM's StreamingResponse does: time to headers is not TTFT.
      this.sim.record.status(200);
      res.writeHead(200, SSE_HEADERS);
      res.flushHeaders();
    }
  }

  onAdmitted(timeUs: number): void {
    this.sim.record.queued(Math.max(0, timeUs - this.arrivalUs) / 1e6);
  }

  onTokens(ev: TokenEvent): void {
    if (this.state !== 'live') return;
    if (ev.generatedTokens >= this.strikeAt && this.strike()) return;
    const first = this.sentTokens === 0;
    if (first) this.sim.record.firstToken(Math.max(0, ev.timeUs - this.arrivalUs) / 1e6);
    else this.sim.record.interToken((ev.timeUs - this.lastEventUs) / 1e6 / ev.tokens, ev.tokens);
    this.lastEventUs = ev.timeUs;
    const text = generatedText(this.sentTokens, ev.tokens);
    this.sentTokens += ev.tokens;
    this.sim.record.sent(ev.tokens);
    if (this.req.stream) {
      let out = first && this.req.api === 'chat' ? roleChunk(this.ctx) : '';
      out += contentChunk(this.ctx, text, ev.finishReason, this.sentTokens);
      if (ev.finishReason !== null) {
        if (this.req.includeUsage && this.fault?.kind !== 'no-usage') out += usageChunk(this.ctx, this.sentTokens);
        out += DONE_LINE;
      }
      this.res.write(out);
    } else {
      this.textParts.push(text);
    }
    if (ev.finishReason !== null) this.finish(ev);
  }

  private textParts: string[] = [];

  private finish(ev: TokenEvent): void {
    const reason = ev.finishReason!;
    this.sim.record.finished(reason, Math.max(0, ev.timeUs - this.arrivalUs) / 1e6);
    // Counted only where a usage would have been sent.
    if (this.fault?.kind === 'no-usage' && (!this.req.stream || this.req.includeUsage)) this.sim.record.fault('no-usage');
    if (!this.req.stream) {
      let body = nonStreamBody(this.ctx, this.textParts.join(''), reason, this.sentTokens, this.fault?.kind !== 'no-usage');
      if (this.fault?.kind === 'malformed') {
        // A truncated body: status and length say 200/complete, the JSON does not parse.
        body = body.slice(0, Math.floor(body.length / 2));
        this.state = 'faulted';
      } else this.state = 'done';
      this.sim.record.status(200);
      this.res.writeHead(200, { ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(body)) });
      this.res.end(body);
    } else {
      this.state = 'done';
      this.res.end();
    }
    if (this.state === 'done') this.sim.record.completed();
  }

  /** Apply a mid-stream fault; returns true when the chunk must not be written. */
  private strike(): boolean {
    const kind = this.fault!.kind;
    this.strikeAt = Infinity;
    this.sim.record.fault(kind);
    if (kind === 'malformed') {
      if (this.req.stream) {
        // Invalid JSON on a data line; the stream then goes on as if nothing happened.
        this.res.write(`data: {"id":"${this.ctx.id}","object":"broken","choices":[{"index":0,"te\n\n`);
        return false;
      }
      return false; // non-streaming: the body is truncated in finish()
    }
    this.state = 'faulted';
    this.handle?.cancel();
    switch (kind) {
      case 'reset': {
        const socket = this.res.socket;
        if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
        else this.res.destroy();
        break;
      }
      case 'stall':
        // Nothing more is written; the socket stays open until the client gives up.
        break;
      case 'error-event':
        if (this.req.stream) {
          this.res.end(errorEvent('Simulated engine error during generation') + DONE_LINE);
        } else {
          this.sim.record.status(500);
          const body = errorBody({ status: 500, type: 'InternalServerError', message: 'Simulated engine error during generation', param: null });
          this.res.writeHead(500, { ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(body)) });
          this.res.end(body);
        }
        break;
      default:
        break;
    }
    return true;
  }
}
