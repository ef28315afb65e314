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
import type { Socket } from 'node:net';
import { personalize, render, type ApiShape } from './render.js';

export type { ApiShape } from './render.js';

export type ServerMode = 'burst' | 'paced' | 'instant' | 'planted';

export interface ServerConfig {
  mode: ServerMode;
  api: ApiShape;
  /** output tokens per response (one token per event) */
  tokens: number;
  /** paced: gap between events, ms */
  gapMs?: number;
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

interface PacedStream {
  res: ServerResponse;
  /** headers are flushed: body chunks (pre-framed) go straight to the socket */
  socket: Socket;
  /** this response's bytes */
  body: Buffer;
  /** next part to write: 0 = head (planted: head + first event together), 1..N = events */
  next: number;
  dueUs: number;
  /** planted: this request's gap, µs */
  gapUs: number;
  stamps: PlantedStamps | null;
}

function main(): void {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
  const paced = cfg.mode === 'paced' || cfg.mode === 'planted';
  // Paced streams write pre-framed chunks straight to the socket: ServerResponse#write costs
  // several times more per event, and the server must stay cheap next to the client on 2 cores.
  const r = render(cfg.api, cfg.tokens, paced);
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
        if (s.stamps !== null) {
          // role chunk and first token in one write, as vLLM sends them in one iteration
          s.stamps.writesUs.push(nowUs());
          s.socket.write(part(s.body, 0, 2));
          s.next = 2;
        } else {
          s.socket.write(part(s.body, 0));
          s.next = 1;
        }
      } else {
        if (s.stamps !== null) s.stamps.writesUs.push(nowUs());
        s.socket.write(part(s.body, s.next));
        s.next++;
      }
      if (s.next >= tailPart) {
        // the tail, then ServerResponse ends the chunked body (0\r\n\r\n) and frees the connection
        s.socket.write(part(s.body, tailPart), () => pool.push(s.body));
        s.res.end();
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

  const handle = (res: ServerResponse, body: string): void => {
    const receivedUs = nowUs();
    const own = personalize(r, served++, paced ? pool.pop() : undefined);
    switch (cfg.mode) {
      case 'burst':
      case 'instant':
        res.writeHead(200, HEADERS);
        // write + end: chunked transfer encoding, as vLLM (Starlette StreamingResponse) sends it
        res.write(own);
        res.end();
        return;
      case 'paced': {
        res.writeHead(200, HEADERS);
        res.flushHeaders();
        const gapUs = (cfg.gapMs ?? 1) * 1000;
        active.add({ res, socket: res.socket!, body: own, next: 0, dueUs: receivedUs + gapUs, gapUs, stamps: null });
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
        res.writeHead(200, HEADERS);
        res.flushHeaders();
        active.add({ res, socket: res.socket!, body: own, next: 0, dueUs: receivedUs + ttftUs, gapUs, stamps: s });
        startTicking();
        return;
      }
    }
  };

  const server = createServer({ keepAliveTimeout: 60_000, noDelay: true }, (req, res) => {
    if (cfg.mode === 'planted') {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => handle(res, Buffer.concat(parts).toString('utf8')));
    } else {
      req.resume();
      req.on('end', () => handle(res, ''));
    }
  });
  server.maxHeadersCount = 64;
  server.headersTimeout = 60_000;
  server.requestTimeout = 0;
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    process.send?.({ type: 'ready', port });
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
