/**
 * A deliberately plain SSE parser that follows the WHATWG "event stream
 * interpretation" text line by line, on decoded strings. It is the oracle the
 * byte scanner in sse.ts is tested against; do not optimise it.
 *
 * Spec steps, as implemented:
 * - the byte stream is decoded as UTF-8 (replacement characters for bad bytes),
 *   a single leading BOM is dropped;
 * - lines end with CRLF, LF or CR;
 * - empty line: dispatch; `:` first: comment; otherwise split at the first colon
 *   (no colon: the whole line is the field name, the value is empty) and drop one
 *   leading space of the value;
 * - `event` sets the type buffer, `data` appends value + LF, `id` sets the last
 *   event id buffer unless the value contains NUL, `retry` and others are ignored;
 * - dispatch: last event id := id buffer; an empty data buffer dispatches nothing
 *   and clears the type; else drop one trailing LF and emit;
 * - end of stream: an unfinished event is discarded.
 *
 * One choice beyond the spec, shared with sse.ts: a CR at the very end of a chunk
 * ends the line at once (an LF at the start of the next chunk is then skipped),
 * so an event is dispatched as soon as its last byte arrives.
 */

export interface ReferenceSseEvent {
  data: string;
  type: string;
  lastEventId: string;
}

export class ReferenceSseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private pending = '';
  private skipLf = false;
  private dataBuffer = '';
  private eventTypeBuffer = '';
  private lastEventIdBuffer = '';

  push(bytes: Uint8Array): ReferenceSseEvent[] {
    return this.feed(this.decoder.decode(bytes, { stream: true }));
  }

  /** End of stream. `dispatchPending` treats the end as a line end plus an empty line (sse.ts's lenient mode). */
  end(opts: { dispatchPending?: boolean } = {}): ReferenceSseEvent[] {
    const events = this.feed(this.decoder.decode());
    if (opts.dispatchPending === true) events.push(...this.feed('\n\n'));
    return events;
  }

  private feed(text: string): ReferenceSseEvent[] {
    const events: ReferenceSseEvent[] = [];
    const s = this.pending + text;
    this.pending = '';
    let i = 0;
    if (this.skipLf && s.length > 0) {
      if (s[0] === '\n') i = 1;
      this.skipLf = false;
    }
    for (;;) {
      const cr = s.indexOf('\r', i);
      const lf = s.indexOf('\n', i);
      if (cr === -1 && lf === -1) break;
      const eol = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      this.processLine(s.slice(i, eol), events);
      if (s[eol] === '\r') {
        if (eol + 1 < s.length) {
          i = s[eol + 1] === '\n' ? eol + 2 : eol + 1;
        } else {
          i = eol + 1;
          this.skipLf = true;
        }
      } else {
        i = eol + 1;
      }
    }
    this.pending = s.slice(i);
    return events;
  }

  private processLine(line: string, events: ReferenceSseEvent[]): void {
    if (line === '') {
      this.dispatch(events);
      return;
    }
    if (line.startsWith(':')) return;
    let field: string;
    let value: string;
    const colon = line.indexOf(':');
    if (colon >= 0) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
    } else {
      field = line;
      value = '';
    }
    switch (field) {
      case 'event':
        this.eventTypeBuffer = value;
        break;
      case 'data':
        this.dataBuffer += value + '\n';
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventIdBuffer = value;
        break;
      default:
        // `retry` sets the reconnection time, which a benchmark client does not use.
        break;
    }
  }

  private dispatch(events: ReferenceSseEvent[]): void {
    const lastEventId = this.lastEventIdBuffer;
    if (this.dataBuffer === '') {
      this.eventTypeBuffer = '';
      return;
    }
    let data = this.dataBuffer;
    if (data.endsWith('\n')) data = data.slice(0, -1);
    events.push({ data, type: this.eventTypeBuffer === '' ? 'message' : this.eventTypeBuffer, lastEventId });
    this.dataBuffer = '';
    this.eventTypeBuffer = '';
  }
}
