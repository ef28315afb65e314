/**
 * A scriptable OpenAI-compatible fake on loopback (node:http, port 0), for the
 * client's tests and the end-to-end tests. Not a model of a server (that is
 * src/sim/): it plays back exactly what a test scripts, with accurate timing:
 * every write is scheduled against an absolute target from the request's
 * arrival (no drift), one write per chunk, Nagle off.
 *
 * A chunk step with `tokens: k` carries k words (" w1 w2 ..."), so a tokenizer
 * fallback and a usage count agree on k.
 *
 * It records every request (method, path, headers, parsed body) so tests can
 * assert what the client sent.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type UsagePlacement =
  /** on the last chunk that carries choices (TGI 2.x, llama.cpp b6097) */
  | 'last'
  /** a separate `choices: []` chunk before [DONE] (vLLM, SGLang, OpenAI) */
  | 'separate'
  | 'none'
  /** cumulative usage on every chunk, role chunk included (continuous_usage_stats) */
  | 'every';

export type FakeStep =
  /** a chunk carrying `tokens` words of content (or reasoning) */
  | { kind?: 'tokens'; delayMs?: number; tokens: number; reasoning?: boolean; /** the chunk's text instead of the words (e.g. '' for a special token) */ text?: string }
  /** raw bytes written as they are (malformed data, comments, odd framing) */
  | { kind: 'raw'; delayMs?: number; raw: string | Uint8Array }
  /** an error event inside the 200 stream: `data: {"error": ...}` */
  | { kind: 'error'; delayMs?: number; error: unknown };

export interface FakeScript {
  /** HTTP status (default 200); non-2xx sends `errorBody` as JSON */
  status?: number;
  errorBody?: unknown;
  /** delay before the response headers, from the request's arrival */
  headersDelayMs?: number;
  /** from the request's arrival to the first step (at least headersDelayMs) */
  ttftMs?: number;
  /** the output, one write each; a step's delayMs is its gap after the previous step */
  steps?: FakeStep[];
  usage?: UsagePlacement;
  /** chat: send the role-only first chunk (content "") with the headers (default true) */
  roleChunk?: boolean;
  /** where finish_reason goes: on the last step's chunk, a separate chunk, or nowhere (default 'last') */
  finish?: 'last' | 'separate' | 'none';
  finishReason?: string;
  /** send `data: [DONE]` (default true) */
  done?: boolean;
  /** from the last step to what follows it (finish chunk, usage chunk, [DONE], end): a server slow to close */
  closeDelayMs?: number;
  /** after the last write: end the response, stall (keep the socket open), or cut the connection */
  end?: 'normal' | 'stall' | 'reset';
  promptTokens?: number;
  /** add token_ids arrays (vLLM return_token_ids) to each output chunk */
  tokenIds?: boolean;
  /** line end used in the SSE framing (default '\n') */
  lineEnd?: '\n' | '\r\n' | '\r';
  /** answer as a stream or as one JSON body regardless of the request's `stream` */
  forceStream?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** parsed JSON body, or the raw text when it is not JSON */
  body: unknown;
  rawBody: string;
  /** performance.now() (ms, this process) of each write of an output step, so tests can compare arrival times with send times */
  outputWritesAtMs: number[];
}

export interface FakeServerOptions {
  /** the script for each completion request, or a function of the request and its 0-based index */
  script?: FakeScript | ((req: RecordedRequest, index: number) => FakeScript);
  /** ids listed by GET /v1/models (default ['fake-model']) */
  models?: string[];
  /** replace the /v1/models answer entirely */
  modelsResponse?: { status: number; body: string; contentType?: string };
  /** when set, requests without `authorization: Bearer <apiKey>` get a 401 */
  apiKey?: string;
}

export interface FakeOpenAiServer {
  /** base URL, e.g. http://127.0.0.1:43123 */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** completion requests only (chat or completions) */
  readonly completionRequests: RecordedRequest[];
  /** completion requests received and not yet answered in full (or closed) */
  readonly inFlight: number;
  /** the most completion requests in flight at once */
  readonly maxInFlight: number;
  setScript(script: FakeServerOptions['script']): void;
  close(): Promise<void>;
}

const MODEL_NAME_DEFAULT = 'fake-model';

export async function startFakeOpenAiServer(opts: FakeServerOptions = {}): Promise<FakeOpenAiServer> {
  let script = opts.script ?? {};
  const requests: RecordedRequest[] = [];
  const completionRequests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer({ keepAlive: true }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const arrivedMs = performance.now();
      const rawBody = Buffer.concat(parts).toString('utf8');
      let body: unknown = rawBody;
      try {
        body = rawBody === '' ? null : JSON.parse(rawBody);
      } catch {
        // keep the raw text
      }
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const rec: RecordedRequest = { method: req.method ?? 'GET', path, headers: { ...req.headers }, body, rawBody, outputWritesAtMs: [] };
      requests.push(rec);
      if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        sendJson(res, 401, { error: { message: 'Invalid API key', type: 'AuthenticationError', code: 401 } });
        return;
      }
      if (req.method === 'GET' && path.endsWith('/v1/models')) {
        if (opts.modelsResponse) {
          res.writeHead(opts.modelsResponse.status, { 'content-type': opts.modelsResponse.contentType ?? 'application/json' });
          res.end(opts.modelsResponse.body);
          return;
        }
        const ids = opts.models ?? [MODEL_NAME_DEFAULT];
        sendJson(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1, owned_by: 'fake' })) });
        return;
      }
      const api = path.endsWith('/v1/chat/completions') ? 'chat' : path.endsWith('/v1/completions') ? 'completions' : null;
      if (req.method !== 'POST' || api === null) {
        sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'NotFoundError', code: 404 } });
        return;
      }
      const index = completionRequests.length;
      completionRequests.push(rec);
      inFlight++;
      if (inFlight > maxInFlight) maxInFlight = inFlight;
      res.on('close', () => inFlight--);
      const s = typeof script === 'function' ? script(rec, index) : script;
      play(s, api, rec, res, arrivedMs);
    });
  });
  server.on('connection', (socket: Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  /** Run `fn` at `atMs` after `originMs` (absolute target, so delays do not accumulate drift). */
  const at = (originMs: number, atMs: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, Math.max(0, originMs + atMs - performance.now()));
    timers.add(t);
  };

  function play(s: FakeScript, api: 'chat' | 'completions', rec: RecordedRequest, res: ServerResponse, t0: number): void {
    const reqBody = (rec.body ?? {}) as { stream?: unknown; model?: unknown };
    const model = typeof reqBody.model === 'string' ? reqBody.model : MODEL_NAME_DEFAULT;
    const status = s.status ?? 200;
    const headersAt = s.headersDelayMs ?? 0;
    if (status < 200 || status >= 300) {
      at(t0, headersAt, () => sendJson(res, status, s.errorBody ?? { error: { message: `fake ${status}`, code: status } }));
      return;
    }
    const steps = s.steps ?? [{ tokens: 1 }, { tokens: 1 }, { tokens: 1 }];
    const stream = s.forceStream ?? reqBody.stream === true;
    const promptTokens = s.promptTokens ?? 11;
    const finishReason = s.finishReason ?? 'length';
    const finish = s.finish ?? 'last';
    const usage = s.usage ?? 'separate';
    const nl = s.lineEnd ?? '\n';
    const id = api === 'chat' ? 'chatcmpl-fake' : 'cmpl-fake';
    const object = api === 'chat' ? 'chat.completion.chunk' : 'text_completion';
    let word = 0;
    const words = (k: number) => {
      let out = '';
      for (let i = 0; i < k; i++) out += ` w${++word}`;
      return out;
    };

    // Schedule: absolute targets from the request's arrival.
    const targets: number[] = [];
    let tMs = Math.max(s.ttftMs ?? 0, headersAt);
    for (const step of steps) {
      tMs += step.delayMs ?? 0;
      targets.push(tMs);
    }
    const endMs = tMs + (s.closeDelayMs ?? 0);

    if (!stream) {
      at(t0, endMs, () => {
        let text = '';
        let reasoning = '';
        let tokens = 0;
        for (const step of steps) {
          if (step.kind !== undefined && step.kind !== 'tokens') continue;
          const w = words(step.tokens);
          tokens += step.tokens;
          if (step.reasoning === true) reasoning += w;
          else text += w;
        }
        const choice =
          api === 'chat'
            ? {
                index: 0,
                message: { role: 'assistant', content: text, ...(reasoning ? { reasoning_content: reasoning } : {}) },
                finish_reason: finish === 'none' ? null : finishReason,
              }
            : { index: 0, text, finish_reason: finish === 'none' ? null : finishReason };
        const out: Record<string, unknown> = { id, object: api === 'chat' ? 'chat.completion' : 'text_completion', created: 1, model, choices: [choice] };
        if (usage !== 'none') out.usage = { prompt_tokens: promptTokens, completion_tokens: tokens, total_tokens: promptTokens + tokens };
        sendJson(res, 200, out);
      });
      return;
    }

    let cumTokens = 0;
    const usageObj = () => ({ prompt_tokens: promptTokens, completion_tokens: cumTokens, total_tokens: promptTokens + cumTokens });
    const event = (obj: unknown) => `data: ${JSON.stringify(obj)}${nl}${nl}`;
    const chunk = (choice: Record<string, unknown> | null, withUsage: boolean) => {
      const o: Record<string, unknown> = { id, object, created: 1, model, choices: choice === null ? [] : [choice] };
      if (withUsage) o.usage = usageObj();
      else if (usage === 'separate') o.usage = null;
      return event(o);
    };
    const choiceOf = (k: number, reasoning: boolean, fr: string | null, ids: boolean, text?: string) => {
      const w = text ?? (k > 0 ? words(k) : '');
      const base: Record<string, unknown> =
        api === 'chat'
          ? { index: 0, delta: reasoning ? { reasoning_content: w } : { content: w }, logprobs: null, finish_reason: fr }
          : { index: 0, text: w, logprobs: null, finish_reason: fr };
      if (ids) base.token_ids = Array.from({ length: k }, (_, i) => 1000 + i);
      return base;
    };
    const lastTokenStep = (() => {
      for (let i = steps.length - 1; i >= 0; i--) if ((steps[i]!.kind ?? 'tokens') === 'tokens') return i;
      return -1;
    })();

    // One timer at a time, each armed by the one before: Node does not fire timers of different
    // (fractional) durations in order of their due times once the loop runs late, and a step written
    // after the finish chunk, or after the end, is a different stream from the one planted.
    const actions: { atMs: number; fn: () => void }[] = [];
    const then = (atMs: number, fn: () => void) => actions.push({ atMs, fn });
    const runInOrder = (k: number) => {
      if (k >= actions.length) return;
      at(t0, actions[k]!.atMs, () => {
        actions[k++]!.fn();
        // what is already due goes out now, in order (a late loop writes several events at once)
        while (k < actions.length && t0 + actions[k]!.atMs <= performance.now()) actions[k++]!.fn();
        runInOrder(k);
      });
    };

    then(headersAt, () => {
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (api === 'chat' && s.roleChunk !== false) {
        res.write(chunk({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }, usage === 'every'));
      } else {
        res.flushHeaders();
      }
    });

    steps.forEach((step, i) => {
      then(targets[i]!, () => {
        if (res.destroyed) return;
        if (step.kind === 'raw') {
          res.write(step.raw);
          return;
        }
        if (step.kind === 'error') {
          res.write(event({ error: step.error }));
          return;
        }
        cumTokens += step.tokens;
        const isLast = i === lastTokenStep;
        const fr = isLast && finish === 'last' ? finishReason : null;
        const withUsage = usage === 'every' || (usage === 'last' && isLast && finish !== 'separate');
        rec.outputWritesAtMs.push(performance.now());
        res.write(chunk(choiceOf(step.tokens, step.reasoning === true, fr, s.tokenIds === true, step.text), withUsage));
      });
    });

    then(endMs, () => {
      if (res.destroyed) return;
      if (s.end === 'reset') {
        // Let the last write leave the socket before cutting it.
        setImmediate(() => res.socket?.destroy());
        return;
      }
      if (finish === 'separate') {
        const c = api === 'chat' ? { index: 0, delta: {}, logprobs: null, finish_reason: finishReason } : { index: 0, text: '', logprobs: null, finish_reason: finishReason };
        res.write(chunk(c, usage === 'every' || usage === 'last'));
      }
      if (usage === 'separate') res.write(chunk(null, true));
      if (s.done !== false) res.write(`data: [DONE]${nl}${nl}`);
      if (s.end === 'stall') return;
      res.end();
    });
    runInOrder(0);
  }

  // A deep accept queue: thousands of clients connecting at once must not have their SYNs dropped (a 1 s retry).
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    completionRequests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    setScript(s) {
      script = s ?? {};
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
