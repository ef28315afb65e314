/**
 * The zero-cost server of one benchmark case, run as a child process of the
 * case (bench/child.ts) so its CPU is not the client's: a tiny node:http
 * server on loopback that answers every request with pre-rendered SSE bytes in
 * vLLM's shape. It never parses JSON on the hot path except in `planted` mode,
 * where it reads the prompt to know which request it answers.
 *
 * Modes (one per server; the config comes as JSON in argv[2]):
 * - burst:   the whole response (role chunk, N one-token events, usage, [DONE]) in one write
 * - paced:   one event per socket write, `gapMs` apart, driven by one shared timer tick
 * - instant: a tiny stream (role, one token with finish_reason, usage, [DONE]) in one write
 * - planted: first token after `ttftMs`, then one event every `gapMs` (per request, from a
 *            seeded spread); the server stamps each write's real time (µs, its own monotonic
 *            clock) and returns the stamps over IPC at the end: the truth the client is checked against
 *
 * Protocol (IPC): the child sends {type:'ready', port}; the parent may send
 * {type:'stamps'} (answered with {type:'stamps', stamps}) and {type:'exit'}.
 * The server exits on its own when its parent goes away.
 */
import { createServer, type ServerResponse } from 'node:http';
import { createServer as createH2Server, type ServerHttp2Stream } from 'node:http2';
import { personalize, render, specGroups, type ApiShape } from './render.js';

export type { ApiShape } from './render.js';

export type ServerMode = 'burst' | 'paced' | 'instant' | 'planted';

export interface ServerConfig {
  mode: ServerMode;
  api: ApiShape;
  /** output tokens per response (one token per event) */
  tokens: number;
  /** paced: gap between events, ms */
  gapMs?: number;
  /** paced: 2-4 tokens per event (speculative decoding, render.ts specGroups) instead of one */
  spec?: boolean;
  /** paced: stamp the writes of every request whose prompt index is a multiple of this (0: none) */
  stampEvery?: number;
  /** paced: HTTP/2 cleartext (h2c, prior knowledge) instead of HTTP/1.1 */
  h2?: boolean;
  /** port to listen on (default: any free one) */
  port?: number;
  /** planted: TTFT range [min, max] ms and gap range [min, max] ms, chosen per request by its prompt index */
  ttftMs?: [number, number];
  gapRangeMs?: [number, number];
}

/** Server-side truth for one planted request, µs on the server's clock. */
export interface PlantedStamps {
  /** prompt index (the client's sampleIndex) */
  id: number;
  /** request fully received */
  receivedUs: number;
  /** the same instant as wall-clock epoch µs (performance.timeOrigin + now: comparable across processes to a few µs) */
  receivedEpochUs: number;
  /** write time of each output event, in order */
  writesUs: number[];
}

const HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

const nowUs = (): number => Math.floor(performance.now() * 1000);

/** A deterministic spread in [lo, hi] from an integer (no RNG state to share between processes). */
function spread(id: number, salt: number, lo: number, hi: number): number {
  let x = (id * 2654435761 + salt * 40503) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0x5bd1e995) >>> 0;
  x ^= x >>> 15;
  return lo + ((x >>> 0) / 0x1_0000_0000) * (hi - lo);
}

/** Where a paced stream's parts go: an HTTP/1.1 socket (pre-framed chunks) or an h2 stream. */
interface PartSink {
  write(b: Buffer): void;
  /** the last part, then the end of the response; `done` once the bytes are out */
  end(b: Buffer, done: () => void): void;
}

interface PacedStream {
  out: PartSink;
  /** this response's bytes */
  body: Buffer;
  /** next part to write: 0 = head (planted: head + first event together), 1..N = events */
  next: number;
  dueUs: number;
  /** planted: this request's gap, µs */
  gapUs: number;
  stamps: PlantedStamps | null;
  /** the role chunk in its own write before the first event (paced), or with it (planted, as vLLM's first iteration) */
  headApart: boolean;
}

function main(): void {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
  const paced = cfg.mode === 'paced' || cfg.mode === 'planted';
  // Paced streams write pre-framed chunks straight to the socket: ServerResponse#write costs
  // several times more per event, and the server must stay cheap next to the client on 2 cores.
  const groups = cfg.spec === true ? specGroups(cfg.tokens) : undefined;
  // h2 frames each write itself: the parts go unframed
  const r = render(cfg.api, cfg.tokens, paced && cfg.h2 !== true, groups);
  /** response buffers of finished paced streams, reused (no per-request garbage in the server) */
  const pool: Buffer[] = [];
  /** parts: 0 = head, 1..N = events, N+1 = tail */
  const tailPart = r.bounds.length - 2;
  const part = (body: Buffer, i: number, j = i + 1): Buffer => body.subarray(r.bounds[i], r.bounds[j]);
  const stamps: PlantedStamps[] = [];
  let served = 0;

  // Paced and planted: one timer for every open stream, ticking each ms while any is open.
  const active = new Set<PacedStream>();
  let ticking = false;
  const tick = (): void => {
    const t = nowUs();
    for (const s of active) {
      if (s.dueUs > t) continue;
      if (s.next === 0) {
        if (!s.headApart) {
          // role chunk and first token in one write, as vLLM sends them in one iteration
          s.stamps?.writesUs.push(nowUs());
          s.out.write(part(s.body, 0, 2));
          s.next = 2;
        } else {
          s.out.write(part(s.body, 0));
          s.next = 1;
          // the role chunk carries no token: the first event follows a gap later
          s.dueUs = t + s.gapUs;
          continue;
        }
      } else {
        if (s.stamps !== null) s.stamps.writesUs.push(nowUs());
        s.out.write(part(s.body, s.next));
        s.next++;
      }
      if (s.next >= tailPart) {
        const body = s.body;
        s.out.end(part(body, tailPart), () => pool.push(body));
        active.delete(s);
        continue;
      }
      // The next event is due a full gap after this tick: late ticks do not bunch events into one write.
      s.dueUs = t + s.gapUs;
    }
    if (active.size > 0) setTimeout(tick, 1);
    else ticking = false;
  };
  const startTicking = (): void => {
    if (!ticking) {
      ticking = true;
      setTimeout(tick, 1);
    }
  };

  const h1Sink = (res: ServerResponse): PartSink => {
    res.writeHead(200, HEADERS);
    // headers flushed: body chunks (pre-framed) go straight to the socket
    res.flushHeaders();
    const socket = res.socket!;
    return {
      write: (b) => socket.write(b),
      end: (b, done) => {
        // the tail, then ServerResponse ends the chunked body (0\r\n\r\n) and frees the connection
        socket.write(b, done);
        res.end();
      },
    };
  };
  const h2Sink = (stream: ServerHttp2Stream): PartSink => {
    stream.respond({ ':status': 200, ...HEADERS });
    return { write: (b) => stream.write(b), end: (b, done) => stream.end(b, done) };
  };

  const handle = (res: ServerResponse | ServerHttp2Stream, body: string): void => {
    const receivedUs = nowUs();
    const own = personalize(r, served++, paced ? pool.pop() : undefined);
    const sink = (): PartSink => ('respond' in res ? h2Sink(res) : h1Sink(res));
    if (cfg.mode === 'burst' || cfg.mode === 'instant') {
      const h1 = res as ServerResponse;
      h1.writeHead(200, HEADERS);
      // write + end: chunked transfer encoding, as vLLM (Starlette StreamingResponse) sends it
      h1.write(own);
      h1.end();
      return;
    }
    switch (cfg.mode) {
      case 'paced': {
        const gapUs = (cfg.gapMs ?? 1) * 1000;
        const every = cfg.stampEvery ?? 0;
        const id = every > 0 ? promptIndex(body) : -1;
        let st: PlantedStamps | null = null;
        if (id >= 0 && id % every === 0) {
          st = { id, receivedUs, receivedEpochUs: Math.floor(performance.timeOrigin * 1000) + receivedUs, writesUs: [] };
          stamps.push(st);
        }
        active.add({ out: sink(), body: own, next: 0, dueUs: receivedUs + gapUs, gapUs, stamps: st, headApart: true });
        startTicking();
        return;
      }
      case 'planted': {
        const id = promptIndex(body);
        const [t0, t1] = cfg.ttftMs ?? [20, 50];
        const [g0, g1] = cfg.gapRangeMs ?? [5, 15];
        const ttftUs = Math.round(spread(id, 1, t0, t1) * 1000);
        const gapUs = Math.round(spread(id, 2, g0, g1) * 1000);
        const s: PlantedStamps = { id, receivedUs, receivedEpochUs: Math.floor(performance.timeOrigin * 1000) + receivedUs, writesUs: [] };
        stamps.push(s);
        active.add({ out: sink(), body: own, next: 0, dueUs: receivedUs + ttftUs, gapUs, stamps: s, headApart: false });
        startTicking();
        return;
      }
    }
  };

  const readBody = (req: NodeJS.ReadableStream, then: (body: string) => void): void => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => then(Buffer.concat(parts).toString('utf8')));
  };
  const needBody = cfg.mode === 'planted' || (cfg.stampEvery ?? 0) > 0;
  const h2server = cfg.h2 === true ? createH2Server({ settings: { maxConcurrentStreams: 1_000 } }) : null;
  h2server?.on('stream', (stream) => readBody(stream, (body) => handle(stream, needBody ? body : '')));
  const server = h2server ?? createServer({ keepAliveTimeout: 60_000, noDelay: true }, (req, res) => {
    if (needBody) readBody(req, (body) => handle(res, body));
    else {
      req.resume();
      req.on('end', () => handle(res, ''));
    }
  });
  if (h2server === null) {
    const h1 = server as ReturnType<typeof createServer>;
    h1.maxHeadersCount = 64;
    h1.headersTimeout = 60_000;
    h1.requestTimeout = 0;
  }
  // deep accept queue: 10,000 streams connect at once (capped by net.core.somaxconn)
  server.listen({ port: cfg.port ?? 0, host: '127.0.0.1', backlog: 16_384 }, () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    // run by hand (docs/performance.md, side by side with another client): say where
    if (process.send === undefined) process.stdout.write(`bench server (${cfg.mode}) on http://127.0.0.1:${port}\n`);
    else process.send({ type: 'ready', port });
  });
  let cpuMark = process.cpuUsage();
  let eluMark = performance.eventLoopUtilization();
  let wallMark = performance.now();
  process.on('message', (m: { type: string }) => {
    if (m.type === 'mark') {
      cpuMark = process.cpuUsage();
      eluMark = performance.eventLoopUtilization();
      wallMark = performance.now();
      return;
    }
    if (m.type === 'stats') {
      const cpu = process.cpuUsage(cpuMark);
      const wallS = (performance.now() - wallMark) / 1000;
      process.send?.({ type: 'stats', cores: (cpu.user + cpu.system) / 1e6 / wallS, elu: performance.eventLoopUtilization(eluMark).utilization });
      return;
    }
    if (m.type === 'stamps') process.send?.({ type: 'stamps', stamps: stamps.splice(0) });
    else if (m.type === 'exit') process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
}

/** The prompt is `p<index>`; chat sends it as the user message, completions as the prompt. */
function promptIndex(body: string): number {
  const m = /"(?:content|prompt)":"p(\d+)"/.exec(body);
  return m === null ? -1 : Number(m[1]);
}

main();
