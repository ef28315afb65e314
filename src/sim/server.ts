/**
 * The simulator's HTTP face: an OpenAI-compatible server (vLLM's shapes) in front
 * of the Engine model, with injected faults. node:http with keep-alive; one
 * engine per server.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../util/clock.js';
import { Engine, type EngineCounters, type SeqHandle } from './engine.js';
import { FAULT_KINDS, FaultPlanner, type FaultKind } from './faults.js';
import { SimMetrics, renderMetrics } from './metrics.js';
import { badRequest, errorBody, loadTokenCounter, modelsBody, parseRequest, promptKey, type Api, type ApiError, type ParsedRequest, type TokenCounter } from './protocol.js';
import { simRealClock } from './timer.js';

const LISTEN_BACKLOG = 16_384;
import { resolveSimulatorConfig, type ResolvedSimulatorConfig, type SimulatorOptions } from './config.js';
import { Exchange, JSON_HEADERS, type ExchangeHost } from './exchange.js';

export { resolveSimulatorConfig, type ResolvedSimulatorConfig, type SimulatorOptions } from './config.js';

export interface SimStats {
  /** POSTs to /v1/completions and /v1/chat/completions, valid or not */
  requests: number;
  /** responses by HTTP status ("200", "400", "404", "429", "500", "503") */
  byStatus: Record<string, number>;
  /** prompt tokens of the requests handed to the engine (what usage.prompt_tokens reported) */
  promptTokens: number;
  /** output tokens written to clients, in chunks or bodies */
  generationTokens: number;
  /** responses sent in full ([DONE] written or body sent), faulted ones excluded */
  completed: number;
  /** requests whose client went away before the end */
  cancelled: number;
  /** faults injected, by kind */
  faults: Record<FaultKind, number>;
  engine: EngineCounters & { running: number; waiting: number; kvUsage: number };
}

export interface SimulatorHandle {
  url: string;
  host: string;
  port: number;
  model: string;
  config: ResolvedSimulatorConfig;
  stats(): SimStats;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 << 20;

export async function startSimulator(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const config = resolveSimulatorConfig(opts);
  const countTokens = await loadTokenCounter(config.promptTokenizer);
  const sim = new Simulator(config, opts.clock ?? simRealClock, countTokens);
  const server = http.createServer((req, res) => sim.handle(req, res));
  // Longer than clients' pool idle timeouts, so the client closes idle sockets first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 0;
  server.on('clientError', (_err, socket: Socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue (the kernel caps it at net.core.somaxconn): 10,000 clients connecting at
    // once overflow Node's default 511, and an overflowed handshake ends in a reset (issue 14).
    server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${hostForUrl}:${addr.port}`,
    host: addr.address,
    port: addr.port,
    model: config.model,
    config,
    stats: () => sim.stats(),
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await sim.close();
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

class Simulator implements ExchangeHost {
  private readonly engine: Engine;
  private readonly planner: FaultPlanner;
  private readonly metrics = new SimMetrics();
  private readonly modelJson: string;
  private readonly createdS: number;
  private readonly counters = {
    requests: 0,
    byStatus: {} as Record<string, number>,
    promptTokens: 0,
    generationTokens: 0,
    completed: 0,
    cancelled: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
  };
  private nextRequestId = 0;
  /** aborts pending slow-header delays on close */
  private readonly closing = new AbortController();

  constructor(
    private readonly config: ResolvedSimulatorConfig,
    private readonly clock: Clock,
    private readonly countTokens: TokenCounter,
  ) {
    this.engine = new Engine(config.engine, { clock, seed: config.seed });
    this.planner = new FaultPlanner(config.faults, config.seed);
    this.modelJson = JSON.stringify(config.model);
    this.createdS = Math.floor(clock.wallMs() / 1000);
  }

  stats(): SimStats {
    const c = this.counters;
    return {
      requests: c.requests,
      byStatus: { ...c.byStatus },
      promptTokens: c.promptTokens,
      generationTokens: c.generationTokens,
      completed: c.completed,
      cancelled: c.cancelled,
      faults: { ...c.faults },
      engine: { ...this.engine.counters, running: this.engine.numRunning, waiting: this.engine.numWaiting, kvUsage: this.engine.kvUsage },
    };
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('simulator closed'));
    await this.engine.close();
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    const route = (api: Api) => {
      if (method !== 'POST') return this.send(res, 405, errorBody({ status: 405, type: 'MethodNotAllowed', message: 'Method Not Allowed', param: null }));
      this.handleCompletion(api, req, res).catch((err: unknown) => {
        if (!res.headersSent) this.sendError(res, { status: 500, type: 'InternalServerError', message: String(err), param: null });
        else res.destroy();
      });
    };
    switch (path) {
      case '/v1/completions':
        return route('completions');
      case '/v1/chat/completions':
        return route('chat');
      case '/v1/models':
        return this.send(res, 200, modelsBody(this.config.model, this.createdS, this.config.engine.maxModelLenTokens));
      case '/health':
        res.writeHead(200, { 'content-length': '0' });
        res.end();
        return;
      case '/version':
        return this.send(res, 200, JSON.stringify({ version: 'tokbench-sim' }));
      case '/metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.renderMetrics());
        return;
      default:
        return this.send(res, 404, JSON.stringify({ detail: 'Not Found' }));
    }
  }

  private renderMetrics(): string {
    const m = this.metrics;
    return renderMetrics({
      modelName: this.config.model,
      running: this.engine.numRunning,
      waiting: this.engine.numWaiting,
      kvUsage: this.engine.kvUsage,
      promptTokens: this.engine.counters.promptTokens,
      generationTokens: this.engine.counters.generationTokens,
      success: m.success,
      ttft: m.ttft,
      itl: m.itl,
      e2e: m.e2e,
      queue: m.queue,
      faults: this.counters.faults,
      timeScale: this.config.engine.timeScale,
      lagDroppedS: this.engine.counters.lagDroppedUs / 1e6,
    });
  }

  private countStatus(status: number): void {
    const k = String(status);
    this.counters.byStatus[k] = (this.counters.byStatus[k] ?? 0) + 1;
  }

  private send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...JSON_HEADERS, 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  }

  private sendError(res: http.ServerResponse, e: ApiError, headers: Record<string, string> = {}): void {
    this.countStatus(e.status);
    this.send(res, e.status, errorBody(e), headers);
  }

  private async readBody(req: http.IncomingMessage): Promise<string | ApiError> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) return { status: 413, type: 'BadRequestError', message: `request body over ${MAX_BODY_BYTES} bytes`, param: null };
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private async handleCompletion(api: Api, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const arrivalUs = this.clock.nowUs();
    this.counters.requests++;
    const text = await this.readBody(req);
    // The unread rest of an oversized body would be parsed as the next request.
    if (typeof text !== 'string') return this.sendError(res, text, { connection: 'close' });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return this.sendError(res, badRequest(`Invalid JSON body: ${(err as Error).message}`));
    }
    const parsed = parseRequest(api, json);
    if ('status' in parsed) return this.sendError(res, parsed);
    if (parsed.model !== null && parsed.model !== this.config.model) {
      return this.sendError(res, { status: 404, type: 'NotFoundError', message: `The model \`${parsed.model}\` does not exist.`, param: 'model' });
    }
    const checked = this.checkLengths(parsed);
    if ('status' in checked) return this.sendError(res, checked);
    const { promptTokens, maxTokens } = checked;

    const fault = this.planner.next();
    if (fault && (fault.kind === '500' || fault.kind === '503' || fault.kind === '429')) {
      this.counters.faults[fault.kind]++;
      if (fault.kind === '500') return this.sendError(res, { status: 500, type: 'InternalServerError', message: 'Simulated internal server error', param: null });
      if (fault.kind === '503') return this.sendError(res, { status: 503, type: 'ServiceUnavailableError', message: 'The request queue is full.', param: null });
      return this.sendError(
        res,
        { status: 429, type: 'RateLimitError', message: 'Model is overloaded', param: null },
        { 'retry-after': String(this.config.retryAfterS) },
      );
    }
    if (fault?.kind === 'slow-headers') {
      this.counters.faults['slow-headers']++;
      const gone = new AbortController();
      const onClose = () => gone.abort(new Error('client gone'));
      res.once('close', onClose);
      const onClosing = () => gone.abort(new Error('closing'));
      this.closing.signal.addEventListener('abort', onClosing, { once: true });
      try {
        await this.clock.sleepUntil(this.clock.nowUs() + this.config.slowHeadersMs * 1000, gone.signal);
      } catch {
        return; // the client or the server went away while we held the headers
      } finally {
        res.off('close', onClose);
        this.closing.signal.removeEventListener('abort', onClosing);
      }
    }
    if (this.closing.signal.aborted) {
      res.destroy();
      return;
    }
    new Exchange(this, parsed, res, fault, arrivalUs, promptTokens, maxTokens).start();
  }

  /** vLLM's context-length checks and default max_tokens. */
  private checkLengths(r: ParsedRequest): { promptTokens: number; maxTokens: number } | ApiError {
    const maxLen = this.config.engine.maxModelLenTokens;
    let promptTokens: number;
    if (r.prompt.kind === 'ids') promptTokens = r.prompt.ids.length;
    else {
      if (r.api === 'completions' && r.prompt.text === '') return badRequest('prompt must not be empty', 'prompt');
      // A chat template always adds some tokens; count at least one.
      promptTokens = Math.max(1, this.countTokens(r.prompt.text));
    }
    if (promptTokens >= maxLen) {
      return {
        ...badRequest(
          `This model's maximum context length is ${maxLen} tokens. However, your request has ${promptTokens} input tokens. Please reduce the length of the input messages.`,
          'input_tokens',
        ),
      };
    }
    // /v1/completions defaults to 16 (vLLM, SGLang); chat to the rest of the context.
    const maxTokens = r.maxTokens ?? (r.api === 'completions' ? Math.min(16, maxLen - promptTokens) : maxLen - promptTokens);
    if (promptTokens + maxTokens > maxLen) {
      return badRequest(
        `'max_tokens' or 'max_completion_tokens' is too large: ${maxTokens}. This model's maximum context length is ${maxLen} tokens and your request has ${promptTokens} input tokens (${maxTokens} > ${maxLen} - ${promptTokens}).`,
        'max_tokens',
      );
    }
    return { promptTokens, maxTokens };
  }

  // --- used by Exchange -----------------------------------------------------

  submit(parsed: ParsedRequest, promptTokens: number, maxTokens: number, sink: Exchange): SeqHandle {
    return this.engine.submit({ promptTokens, maxTokens, ignoreEos: parsed.ignoreEos, lengthKey: promptKey(parsed) }, sink);
  }
  get model(): string {
    return this.modelJson;
  }
  get nowS(): number {
    return Math.floor(this.clock.wallMs() / 1000);
  }
  newId(api: Api): string {
    return `${api === 'chat' ? 'chatcmpl' : 'cmpl'}-sim-${(this.nextRequestId++).toString(16).padStart(8, '0')}`;
  }
  record = {
    status: (s: number) => this.countStatus(s),
    accepted: (promptTokens: number) => {
      this.counters.promptTokens += promptTokens;
    },
    sent: (tokens: number) => {
      this.counters.generationTokens += tokens;
    },
    completed: () => {
      this.counters.completed++;
    },
    cancelled: () => {
      this.counters.cancelled++;
      this.metrics.success.abort++;
    },
    fault: (k: FaultKind) => {
      this.counters.faults[k]++;
    },
    firstToken: (seconds: number) => this.metrics.ttft.observe(seconds),
    interToken: (seconds: number, tokens: number) => this.metrics.itl.observe(seconds, tokens),
    queued: (seconds: number) => this.metrics.queue.observe(seconds),
    finished: (reason: 'stop' | 'length', e2eSeconds: number) => {
      this.metrics.success[reason]++;
      this.metrics.e2e.observe(e2eSeconds);
    },
  };
}
