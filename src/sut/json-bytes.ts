/**
 * The JSON grammar on raw bytes, for the fast chunk walker (chunk-fast.ts):
 * validate and skip values without decoding or allocating. Every method returns
 * the index after what it scanned, or -1 when the bytes are not what it handles
 * exactly (the caller then gives up and the slow path decides).
 */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
/** Deeper than any real chunk; beyond it the slow path decides. */
const MAX_DEPTH = 32;
export const EMPTY_BYTES = new Uint8Array(0);

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export class JsonBytes {
  b: Uint8Array = EMPTY_BYTES;
  e = 0;
  /** the string just scanned contained a backslash escape */
  esc = false;
  /** value of the unsigned integer just scanned */
  uintValue = 0;
  /** range of the last string-or-null value (quotes included; -1: null) */
  strS = -1;
  strE = -1;

  key(s: number, len: number, k: Uint8Array): boolean {
    if (len !== k.length) return false;
    const b = this.b;
    for (let i = 0; i < len; i++) if (b[s + i] !== k[i]) return false;
    return true;
  }

  ws(p: number): number {
    const b = this.b;
    const e = this.e;
    while (p < e) {
      const c = b[p]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    return p;
  }

  /** p at the opening quote; returns the index after the closing quote, or -1. */
  str(p: number): number {
    const b = this.b;
    const e = this.e;
    let esc = false;
    p++;
    while (p < e) {
      const c = b[p]!;
      if (c === QUOTE) {
        this.esc = esc;
        return p + 1;
      }
      if (c === BACKSLASH) {
        esc = true;
        if (p + 1 >= e) return -1;
        const d = b[p + 1]!;
        if (d === 0x75) {
          if (p + 5 >= e || !isHex(b[p + 2]!) || !isHex(b[p + 3]!) || !isHex(b[p + 4]!) || !isHex(b[p + 5]!)) return -1;
          p += 6;
          continue;
        }
        // " \ / b f n r t
        if (d === QUOTE || d === BACKSLASH || d === 0x2f || d === 0x62 || d === 0x66 || d === 0x6e || d === 0x72 || d === 0x74) {
          p += 2;
          continue;
        }
        return -1;
      }
      if (c < 0x20) return -1;
      p++;
    }
    return -1;
  }

  num(p: number): number {
    const b = this.b;
    const e = this.e;
    if (p < e && b[p] === 0x2d) p++;
    if (p >= e) return -1;
    const c = b[p]!;
    if (c === 0x30) p++;
    else if (c >= 0x31 && c <= 0x39) {
      p++;
      while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
    } else return -1;
    if (p < e && b[p] === 0x2e) {
      p++;
      const s = p;
      while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
      if (p === s) return -1;
    }
    if (p < e && (b[p] === 0x65 || b[p] === 0x45)) {
      p++;
      if (p < e && (b[p] === 0x2b || b[p] === 0x2d)) p++;
      const s = p;
      while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
      if (p === s) return -1;
    }
    return p;
  }

  /** A plain non-negative integer (what usage fields are); anything else gives up. */
  uint(p: number): number {
    const b = this.b;
    const e = this.e;
    const s = p;
    let v = 0;
    while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) {
      v = v * 10 + (b[p]! - 0x30);
      p++;
    }
    const n = p - s;
    if (n === 0 || n > 15 || (n > 1 && b[s] === 0x30)) return -1;
    if (p < e && (b[p] === 0x2e || b[p] === 0x65 || b[p] === 0x45)) return -1;
    this.uintValue = v;
    return p;
  }

  lit(p: number): number {
    const b = this.b;
    const e = this.e;
    const c = b[p];
    if (c === 0x6e) return p + 3 < e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c ? p + 4 : -1; // null
    if (c === 0x74) return p + 3 < e && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65 ? p + 4 : -1; // true
    if (c === 0x66) {
      // false
      return p + 4 < e && b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65 ? p + 5 : -1;
    }
    return -1;
  }

  isNull(p: number): boolean {
    return p < this.e && this.b[p] === 0x6e;
  }

  /** Any JSON value, validated and skipped. */
  value(p: number, depth: number): number {
    if (p >= this.e) return -1;
    const c = this.b[p]!;
    if (c === QUOTE) return this.str(p);
    if (c === LBRACE) return this.skipContainer(p, depth + 1, RBRACE);
    if (c === LBRACKET) return this.skipContainer(p, depth + 1, RBRACKET);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.num(p);
    return this.lit(p);
  }

  skipContainer(p: number, depth: number, close: number): number {
    if (depth > MAX_DEPTH) return -1;
    const b = this.b;
    const e = this.e;
    p = this.ws(p + 1);
    if (p < e && b[p] === close) return p + 1;
    for (;;) {
      if (close === RBRACE) {
        if (p >= e || b[p] !== QUOTE) return -1;
        p = this.str(p);
        if (p < 0) return -1;
        p = this.ws(p);
        if (p >= e || b[p] !== COLON) return -1;
        p = this.ws(p + 1);
      }
      p = this.value(p, depth);
      if (p < 0) return -1;
      p = this.ws(p);
      if (p >= e) return -1;
      if (b[p] === COMMA) p = this.ws(p + 1);
      else if (b[p] === close) return p + 1;
      else return -1;
    }
  }
}
