/**
 * Incremental Server-Sent Events scanner for the hot path.
 *
 * Follows the WHATWG EventSource parsing rules (html.spec.whatwg.org, "Event
 * stream interpretation") on raw bytes: LF, CRLF and CR line ends (a CR ending one
 * chunk and an LF starting the next is one line end), `:` comments, `data:` lines
 * joined with LF, `event:` and `id:` fields, one optional space after the colon, a
 * leading UTF-8 BOM, an empty line dispatching. `sse-reference.ts` is the
 * string-based oracle it is tested against.
 *
 * Why bytes: a benchmark client sees tens of thousands of events per second, and
 * decoding every chunk to a string and splitting it allocates more than the
 * measurement itself. Here line ends are found with Buffer#indexOf (memchr), the
 * common event (one `data:` line inside one network chunk) is handed over as a
 * view of the chunk without copying, and only events spanning chunks or lines are
 * copied into a reused buffer. The caller classifies the payload bytes itself
 * (see chunk.ts) without building a string.
 *
 * Hostile input never throws: an event over `maxEventBytes` is dropped and
 * reported through `onProblem`, as is an event cut off by the end of the stream.
 */

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const NUL = 0x00;
const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);
const LF_LF = Uint8Array.of(LF, LF);
const EMPTY = new Uint8Array(0);

/** 16 MiB: far above any real completion chunk, low enough to bound memory per request. */
export const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

/**
 * One dispatched event. The object and its `data` view are reused: they are
 * valid only during the `onEvent` call. Copy what you keep.
 */
export interface SseEvent {
  /** the data payload (data lines joined with LF), as UTF-8 bytes */
  readonly data: Uint8Array;
  /** `event:` field, or 'message' when the event gave none (as EventSource does) */
  type: string;
  /** the last `id:` seen on the stream so far ('' when none); sticky across events, per spec */
  lastEventId: string;
  /**
   * The same payload as a range of a buffer: `data` is `src[start, end)`. The
   * scanner always sets them (reading them allocates nothing, where `data`
   * makes a view); hand-built events may leave them out.
   */
  readonly src?: Uint8Array;
  readonly start?: number;
  readonly end?: number;
}

/** The scanner's reused event: the payload is a range; `data` builds a view only when read. */
class ScannedEvent implements SseEvent {
  src: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  type = 'message';
  lastEventId = '';
  get data(): Uint8Array {
    return this.src.subarray(this.start, this.end);
  }
}

export type SseProblem =
  /** an event (or a line) grew past maxEventBytes; it was dropped */
  | { kind: 'event_too_large'; limitBytes: number }
  /** the stream ended in the middle of an event (no empty line after it); it was dropped */
  | { kind: 'incomplete_event'; pendingBytes: number };

export interface SseSink {
  onEvent(event: SseEvent): void;
  onProblem?(problem: SseProblem): void;
}

export interface SseScannerOptions {
  maxEventBytes?: number;
}

/** Decoder for field values: keeps a U+FEFF inside a value (only the stream's leading BOM is dropped). */
const fieldDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

export class SseScanner {
  private readonly maxEventBytes: number;
  /** the start of a line that continues in the next chunk */
  // Both buffers are allocated on first use: most events never need them, and a typed array
  // over 64 bytes lives off-heap, costly to make once per request.
  private carry: Uint8Array = EMPTY;
  private carryLen = 0;
  /** data of the pending event once it spans lines or chunks */
  private dataBuf: Uint8Array = EMPTY;
  private dataLen = 0;
  private dataLines = 0;
  /** zero-copy first data line: a view into the chunk being pushed */
  private viewSrc: Uint8Array | null = null;
  private viewStart = 0;
  private viewEnd = 0;
  private eventType = '';
  private lastEventId = '';
  /** the previous chunk ended with CR: an LF starting the next chunk belongs to it */
  private skipLf = false;
  /** BOM bytes matched at the start of the stream; 3 = decided (stripped or absent) */
  private bomState = 0;
  private oversized = false;
  /** the line being carried went past the limit: drop its bytes until its end */
  private discardLine = false;
  private readonly event = new ScannedEvent();

  constructor(opts: SseScannerOptions = {}) {
    this.maxEventBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  }

  /** Feed the next chunk; complete events go to `sink.onEvent` before this returns. */
  push(chunk: Uint8Array, sink: SseSink): void {
    const len = chunk.length;
    let pos = 0;
    if (this.bomState < 3) {
      pos = this.consumeBom(chunk, sink);
      if (this.bomState < 3) return;
    }
    if (this.skipLf && pos < len) {
      if (chunk[pos] === LF) pos++;
      this.skipLf = false;
    }
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // -2: not searched yet; -1: none left in this chunk (never search again).
    let nextLf = -2;
    let nextCr = -2;
    while (pos < len) {
      // The empty line that ends an event usually follows at once: no search (indexOf would return pos).
      if (nextLf !== -1 && nextLf < pos) nextLf = chunk[pos] === LF ? pos : buf.indexOf(LF, pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = buf.indexOf(CR, pos);
      let eol: number;
      if (nextLf === -1) {
        if (nextCr === -1) break;
        eol = nextCr;
      } else {
        eol = nextCr === -1 || nextLf < nextCr ? nextLf : nextCr;
      }
      if (this.discardLine) {
        this.discardLine = false;
      } else if (this.carryLen > 0) {
        if (this.appendCarry(chunk, pos, eol, sink)) this.processLine(this.carry, 0, this.carryLen, false, sink);
        else this.discardLine = false;
        this.carryLen = 0;
      } else {
        this.processLine(chunk, pos, eol, true, sink);
      }
      if (chunk[eol] === CR) {
        if (eol + 1 < len) {
          pos = chunk[eol + 1] === LF ? eol + 2 : eol + 1;
        } else {
          pos = len;
          this.skipLf = true;
        }
      } else {
        pos = eol + 1;
      }
    }
    if (pos < len && !this.discardLine) this.appendCarry(chunk, pos, len, sink);
    // The caller may reuse its chunk after push returns: keep our own copy.
    if (this.viewSrc !== null) this.materializeView();
  }

  /**
   * The stream ended. Strict (the spec): a pending event without its empty line is
   * dropped and reported as `incomplete_event`. With `dispatchPending`, end of stream
   * terminates the last line and dispatches the pending event, which is kinder to a
   * server that closes right after its last `data:` line.
   * The scanner is reset afterwards and can read a new stream.
   */
  end(sink: SseSink, opts: { dispatchPending?: boolean } = {}): void {
    if (this.bomState < 3) {
      const matched = this.bomState;
      this.bomState = 3;
      if (matched > 0) this.appendCarry(BOM, 0, matched, sink);
    }
    if (opts.dispatchPending === true) {
      this.push(LF_LF, sink);
    } else if (this.carryLen > 0 || this.dataLines > 0 || this.oversized || this.discardLine) {
      sink.onProblem?.({ kind: 'incomplete_event', pendingBytes: this.carryLen + this.pendingDataLen() });
    }
    this.reset();
  }

  reset(): void {
    this.carryLen = 0;
    this.dataLen = 0;
    this.dataLines = 0;
    this.viewSrc = null;
    this.eventType = '';
    this.lastEventId = '';
    this.skipLf = false;
    this.bomState = 0;
    this.oversized = false;
    this.discardLine = false;
  }

  private consumeBom(chunk: Uint8Array, sink: SseSink): number {
    let pos = 0;
    while (this.bomState < 3 && pos < chunk.length) {
      if (chunk[pos] === BOM[this.bomState]) {
        this.bomState++;
        pos++;
        continue;
      }
      // Not a BOM: bytes matched in earlier chunks are content of the first line.
      const fromEarlierChunks = this.bomState - pos;
      this.bomState = 3;
      if (fromEarlierChunks > 0) this.appendCarry(BOM, 0, fromEarlierChunks, sink);
      return 0;
    }
    return pos;
  }

  private pendingDataLen(): number {
    return this.viewSrc !== null ? this.viewEnd - this.viewStart : this.dataLen;
  }

  /** Returns false when the line went over the limit (it is then dropped). */
  private appendCarry(src: Uint8Array, start: number, end: number, sink: SseSink): boolean {
    const n = end - start;
    if (this.carryLen + n + this.pendingDataLen() > this.maxEventBytes) {
      this.markOversized(sink);
      this.carryLen = 0;
      this.discardLine = true;
      return false;
    }
    const need = this.carryLen + n;
    if (need > this.carry.length) this.carry = grow(this.carry, this.carryLen, need);
    this.carry.set(src.subarray(start, end), this.carryLen);
    this.carryLen = need;
    return true;
  }

  private processLine(b: Uint8Array, s: number, e: number, fromChunk: boolean, sink: SseSink): void {
    if (s === e) {
      this.dispatch(sink);
      return;
    }
    const c0 = b[s];
    if (c0 === COLON) return;
    // Only field names of 2, 4 and 5 bytes matter: stop looking for the colon after 6.
    const lim = e < s + 6 ? e : s + 6;
    let colon = s;
    while (colon < lim && b[colon] !== COLON) colon++;
    if (colon === lim && lim !== e) return;
    const nameLen = colon - s;
    let vs = colon < e ? colon + 1 : e;
    if (vs < e && b[vs] === SPACE) vs++;
    if (nameLen === 4) {
      // data
      if (c0 === 0x64 && b[s + 1] === 0x61 && b[s + 2] === 0x74 && b[s + 3] === 0x61) {
        this.appendData(b, vs, e, fromChunk, sink);
      }
    } else if (nameLen === 5) {
      // event
      if (c0 === 0x65 && b[s + 1] === 0x76 && b[s + 2] === 0x65 && b[s + 3] === 0x6e && b[s + 4] === 0x74) {
        this.eventType = vs === e ? '' : fieldDecoder.decode(b.subarray(vs, e));
      }
    } else if (nameLen === 2) {
      // id: a value containing NUL is ignored (spec)
      if (c0 === 0x69 && b[s + 1] === 0x64) {
        for (let i = vs; i < e; i++) if (b[i] === NUL) return;
        this.lastEventId = vs === e ? '' : fieldDecoder.decode(b.subarray(vs, e));
      }
    }
    // `retry` and unknown fields are ignored.
  }

  private appendData(b: Uint8Array, vs: number, e: number, fromChunk: boolean, sink: SseSink): void {
    if (this.oversized) return;
    const n = e - vs;
    const add = this.dataLines === 0 ? n : n + 1;
    if (this.pendingDataLen() + add > this.maxEventBytes) {
      this.markOversized(sink);
      return;
    }
    if (this.dataLines === 0 && fromChunk) {
      this.viewSrc = b;
      this.viewStart = vs;
      this.viewEnd = e;
      this.dataLines = 1;
      return;
    }
    if (this.viewSrc !== null) this.materializeView();
    const need = this.dataLen + add;
    if (need > this.dataBuf.length) this.dataBuf = grow(this.dataBuf, this.dataLen, need);
    if (this.dataLines > 0) this.dataBuf[this.dataLen++] = LF;
    this.dataBuf.set(b.subarray(vs, e), this.dataLen);
    this.dataLen += n;
    this.dataLines++;
  }

  private materializeView(): void {
    const src = this.viewSrc!;
    const n = this.viewEnd - this.viewStart;
    if (n > this.dataBuf.length) this.dataBuf = new Uint8Array(Math.max(n, this.dataBuf.length * 2, 256));
    this.dataBuf.set(src.subarray(this.viewStart, this.viewEnd), 0);
    this.dataLen = n;
    this.viewSrc = null;
  }

  private markOversized(sink: SseSink): void {
    this.viewSrc = null;
    this.dataLen = 0;
    this.dataLines = 0;
    if (this.oversized) return;
    this.oversized = true;
    sink.onProblem?.({ kind: 'event_too_large', limitBytes: this.maxEventBytes });
  }

  private dispatch(sink: SseSink): void {
    if (this.oversized) {
      this.oversized = false;
      this.eventType = '';
      return;
    }
    if (this.dataLines === 0) {
      this.eventType = '';
      return;
    }
    const ev = this.event;
    if (this.viewSrc !== null) {
      ev.src = this.viewSrc;
      ev.start = this.viewStart;
      ev.end = this.viewEnd;
    } else {
      ev.src = this.dataBuf;
      ev.start = 0;
      ev.end = this.dataLen;
    }
    ev.type = this.eventType === '' ? 'message' : this.eventType;
    ev.lastEventId = this.lastEventId;
    this.viewSrc = null;
    this.dataLen = 0;
    this.dataLines = 0;
    this.eventType = '';
    sink.onEvent(ev);
    // Do not keep the chunk alive until the next event.
    ev.src = EMPTY;
  }
}

function grow(buf: Uint8Array, used: number, need: number): Uint8Array {
  let size = Math.max(buf.length * 2, 256);
  while (size < need) size *= 2;
  const next = new Uint8Array(size);
  next.set(buf.subarray(0, used), 0);
  return next;
}

/** A decoded event, for tools and tests (the hot path uses SseEvent views). */
export interface DecodedSseEvent {
  data: string;
  type: string;
  lastEventId: string;
}

const dataDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Decode a view's payload; U+FEFF inside the data is kept, as EventSource keeps it. */
export function decodeSseData(data: Uint8Array): string {
  return dataDecoder.decode(data);
}

/** Scan a whole stream given as chunks. Not for the hot path: decodes and copies every event. */
export function scanSse(
  chunks: Iterable<Uint8Array>,
  opts: SseScannerOptions & { dispatchPending?: boolean } = {},
): { events: DecodedSseEvent[]; problems: SseProblem[] } {
  const events: DecodedSseEvent[] = [];
  const problems: SseProblem[] = [];
  const sink: SseSink = {
    onEvent: (ev) => events.push({ data: decodeSseData(ev.data), type: ev.type, lastEventId: ev.lastEventId }),
    onProblem: (p) => problems.push(p),
  };
  const scanner = new SseScanner(opts);
  for (const c of chunks) scanner.push(c, sink);
  scanner.end(sink, { dispatchPending: opts.dispatchPending === true });
  return { events, problems };
}
