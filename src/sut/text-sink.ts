const EMPTY_TEXT = new Uint8Array(0);
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Output text collected as JSON string literals, comma-separated, so decoding all
 * of it is one JSON.parse at the end. Appending is a byte copy.
 */
export class TextSink {
  /** allocated on first append (a response whose usage comes first may never need it) */
  private buf: Uint8Array = EMPTY_TEXT;
  private len = 0;
  private pieces = 0;

  /** Append a JSON string literal, quotes included, already validated. */
  appendLiteral(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    const need = this.len + n + 1;
    if (need > this.buf.length) {
      let size = Math.max(this.buf.length * 2, 1024);
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len), 0);
      this.buf = next;
    }
    const buf = this.buf;
    if (this.pieces > 0) buf[this.len++] = 0x2c;
    // Most literals are a token's worth of bytes: a loop beats allocating a view for set().
    if (n <= 64) {
      let o = this.len;
      for (let i = start; i < end; i++) buf[o++] = src[i]!;
    } else buf.set(src.subarray(start, end), this.len);
    this.len += n;
    this.pieces++;
  }

  appendString(s: string): void {
    const lit = encoder.encode(JSON.stringify(s));
    this.appendLiteral(lit, 0, lit.length);
  }

  get byteLength(): number {
    return this.len;
  }

  /** literals appended so far */
  get pieceCount(): number {
    return this.pieces;
  }

  clear(): void {
    this.len = 0;
    this.pieces = 0;
  }

  text(): string {
    if (this.pieces === 0) return '';
    const parts = JSON.parse('[' + decoder.decode(this.buf.subarray(0, this.len)) + ']') as string[];
    return parts.join('');
  }
}
