/**
 * What matters in one OpenAI-compatible stream event: [DONE], whether it carries
 * output (for TTFT and chunk times), tokens it says it carries, usage, finish
 * reason, an error event inside a 200 stream, malformed JSON.
 *
 * Two paths give the same answer (test/unit/sut/chunk.test.ts proves it on the
 * same bytes):
 * - the slow path decodes the bytes and JSON.parses them; it is the definition;
 * - the fast path walks the bytes once, validating JSON as it goes, without
 *   allocating: it reads only the keys that matter (choices[0].delta.content and
 *   friends, text, finish_reason, token_ids, usage) and records where their string
 *   literals lie. Whenever the input is outside what it handles exactly (escaped
 *   keys, duplicate keys that matter, several choices, tool calls, error objects,
 *   floats in usage, deep nesting, any syntax error...) it gives up and the slow
 *   path decides. Giving up is always safe; answering differently never is.
 *
 * Text is kept as raw JSON string literals (bytes) in a TextSink and decoded only
 * if asked for (tokenizer fallback when usage is missing, accuracy mode).
 *
 * Servers disagree (see /work/shared/reference/servers.md §0-1): output may be in
 * delta.content, delta.reasoning (vLLM), delta.reasoning_content (SGLang,
 * llama.cpp, TRT-LLM, older vLLM), delta.tool_calls, choices[].text (completions)
 * or token_ids; the role-only first chunk (content "" or null) is not output;
 * usage may come on any chunk; errors come as {"error": {...}}, {"error": "..."}
 * (TGI) or {"object": "error", "message": ...} (SGLang, older vLLM).
 */

export type ChunkKind =
  /** an ordinary JSON chunk (may or may not carry output) */
  | 'data'
  /** `[DONE]` */
  | 'done'
  /** an error event inside the stream */
  | 'error'
  /** not JSON, or JSON that is not an object */
  | 'malformed'
  /** empty (whitespace-only) data */
  | 'ignored';

/** Per-event result; reused by the caller across events (no allocation per event). */
export interface ChunkInfo {
  kind: ChunkKind;
  /** carries output: non-empty content / reasoning / text, tool calls, or token ids */
  hasOutput: boolean;
  /** total length of choices[].token_ids; -1 when no token_ids field */
  tokenIdsCount: number;
  /** the chunk has a usage object */
  hasUsage: boolean;
  /** usage.prompt_tokens; -1 when absent or not a non-negative integer */
  usagePromptTokens: number;
  /** usage.completion_tokens; -1 when absent or not a non-negative integer */
  usageCompletionTokens: number;
  finishReason: string | null;
  errorMessage: string | null;
  /** answered by the fast path (for tests and counters; never changes the answer) */
  fast: boolean;
}

export function newChunkInfo(): ChunkInfo {
  return {
    kind: 'ignored',
    hasOutput: false,
    tokenIdsCount: -1,
    hasUsage: false,
    usagePromptTokens: -1,
    usageCompletionTokens: -1,
    finishReason: null,
    errorMessage: null,
    fast: false,
  };
}

function resetInfo(out: ChunkInfo, kind: ChunkKind, fast: boolean): ChunkInfo {
  out.kind = kind;
  out.hasOutput = false;
  out.tokenIdsCount = -1;
  out.hasUsage = false;
  out.usagePromptTokens = -1;
  out.usageCompletionTokens = -1;
  out.finishReason = null;
  out.errorMessage = null;
  out.fast = fast;
  return out;
}

const ERROR_MESSAGE_MAX_CHARS = 500;
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Output text collected as JSON string literals, comma-separated, so decoding all
 * of it is one JSON.parse at the end. Appending is a byte copy.
 */
export class TextSink {
  private buf = new Uint8Array(1024);
  private len = 0;
  private pieces = 0;

  /** Append a JSON string literal, quotes included, already validated. */
  appendLiteral(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    const need = this.len + n + 1;
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len), 0);
      this.buf = next;
    }
    if (this.pieces > 0) this.buf[this.len++] = 0x2c;
    this.buf.set(src.subarray(start, end), this.len);
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

/** Classify one event: the fast path when it can answer, else JSON.parse. */
export function extractChunk(data: Uint8Array, eventType: string, text: TextSink | null, out: ChunkInfo): ChunkInfo {
  if (extractChunkFast(data, eventType, text, out)) return out;
  return extractChunkSlow(data, eventType, text, out);
}

// ---------------------------------------------------------------------------
// Slow path: the definition.

const DONE_RE = /^[ \t\n\r]*\[DONE\][ \t\n\r]*$/;
const BLANK_RE = /^[ \t\n\r]*$/;

export function extractChunkSlow(
  data: Uint8Array,
  eventType: string,
  text: TextSink | null,
  out: ChunkInfo,
): ChunkInfo {
  resetInfo(out, 'data', false);
  const s = decoder.decode(data);
  if (eventType === 'error') {
    out.kind = 'error';
    out.errorMessage = describeErrorText(s);
    return out;
  }
  if (DONE_RE.test(s)) return resetInfo(out, 'done', false);
  if (BLANK_RE.test(s)) return resetInfo(out, 'ignored', false);
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    return resetInfo(out, 'malformed', false);
  }
  if (!isRecord(v)) return resetInfo(out, 'malformed', false);
  if (isErrorBody(v)) {
    out.kind = 'error';
    out.errorMessage = errorMessageOf(v);
    return out;
  }
  readUsage(v, out);
  readChoices(v.choices, 'delta', text, out);
  return out;
}

/**
 * A whole non-streaming response body (chat `message` or completions `text`).
 * Same rules as a stream chunk; kind is 'malformed' for non-JSON or no `choices`.
 */
export function extractResponseBody(body: Uint8Array, text: TextSink | null, out: ChunkInfo): ChunkInfo {
  resetInfo(out, 'data', false);
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(body));
  } catch {
    return resetInfo(out, 'malformed', false);
  }
  if (!isRecord(v)) return resetInfo(out, 'malformed', false);
  if (isErrorBody(v)) {
    out.kind = 'error';
    out.errorMessage = errorMessageOf(v);
    return out;
  }
  if (!Array.isArray(v.choices)) return resetInfo(out, 'malformed', false);
  readUsage(v, out);
  readChoices(v.choices, 'message', text, out);
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isErrorBody(v: Record<string, unknown>): boolean {
  return (v.error !== undefined && v.error !== null) || v.object === 'error';
}

function nonNegativeInt(x: unknown): number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? x : -1;
}

function nonEmptyString(x: unknown): x is string {
  return typeof x === 'string' && x !== '';
}

function readUsage(v: Record<string, unknown>, out: ChunkInfo): void {
  const u = v.usage;
  if (!isRecord(u)) return;
  out.hasUsage = true;
  out.usagePromptTokens = nonNegativeInt(u.prompt_tokens);
  out.usageCompletionTokens = nonNegativeInt(u.completion_tokens);
}

function readChoices(choices: unknown, field: 'delta' | 'message', text: TextSink | null, out: ChunkInfo): void {
  if (!Array.isArray(choices)) return;
  for (const c of choices as unknown[]) {
    if (!isRecord(c)) continue;
    const d = c[field];
    if (isRecord(d)) {
      // vLLM renamed reasoning_content to reasoning in late 2025; a server sending both means the same text.
      let r = d.reasoning;
      if (!nonEmptyString(r)) r = d.reasoning_content;
      if (nonEmptyString(r)) {
        out.hasOutput = true;
        text?.appendString(r);
      }
      if (nonEmptyString(d.content)) {
        out.hasOutput = true;
        text?.appendString(d.content);
      }
      const calls = d.tool_calls;
      if (Array.isArray(calls) && calls.length > 0) {
        out.hasOutput = true;
        for (const call of calls as unknown[]) {
          const fn = isRecord(call) ? call.function : undefined;
          if (!isRecord(fn)) continue;
          if (nonEmptyString(fn.name)) text?.appendString(fn.name);
          if (nonEmptyString(fn.arguments)) text?.appendString(fn.arguments);
        }
      }
    }
    if (nonEmptyString(c.text)) {
      out.hasOutput = true;
      text?.appendString(c.text);
    }
    const ids = c.token_ids;
    if (Array.isArray(ids)) {
      out.tokenIdsCount = (out.tokenIdsCount < 0 ? 0 : out.tokenIdsCount) + ids.length;
      if (ids.length > 0) out.hasOutput = true;
    }
    if (typeof c.finish_reason === 'string') out.finishReason = c.finish_reason;
  }
}

/** The message of an error object, in the shapes vLLM, SGLang, TGI, llama.cpp and TRT-LLM use. */
export function errorMessageOf(v: Record<string, unknown>): string {
  const e = v.error;
  let msg: string | undefined;
  let type: unknown;
  let code: unknown;
  if (typeof e === 'string') {
    msg = e;
    type = v.error_type;
  } else if (isRecord(e)) {
    if (typeof e.message === 'string') msg = e.message;
    type = e.type;
    code = e.code;
  }
  if (msg === undefined && typeof v.message === 'string') {
    msg = v.message;
    type ??= v.type;
    code ??= v.code;
  }
  if (msg === undefined && v.detail !== undefined) {
    msg = typeof v.detail === 'string' ? v.detail : JSON.stringify(v.detail);
  }
  msg ??= JSON.stringify(v);
  const tags = [type, code].filter((x) => typeof x === 'string' || typeof x === 'number').join(', ');
  return truncate(tags === '' ? msg : `${msg} (${tags})`, ERROR_MESSAGE_MAX_CHARS);
}

/** A readable one-line description of an error body: its JSON message, else the text itself. */
export function describeErrorText(s: string): string {
  try {
    const v: unknown = JSON.parse(s);
    if (isRecord(v)) return errorMessageOf(v);
  } catch {
    // not JSON: show the text
  }
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat === '' ? '(empty body)' : truncate(flat, ERROR_MESSAGE_MAX_CHARS);
}

export function describeErrorBytes(body: Uint8Array): string {
  return describeErrorText(decoder.decode(body));
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

// ---------------------------------------------------------------------------
// Fast path. Module state instead of objects: one walk at a time, no allocation.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
/** Deeper than any real chunk; beyond it the slow path decides. */
const MAX_DEPTH = 32;

let B: Uint8Array = new Uint8Array(0);
let E = 0;
/** the string just scanned contained a backslash escape */
let esc = false;
/** value of the unsigned integer just scanned */
let uintValue = 0;

// What the walk found (string literal ranges include the quotes; -1: absent).
let contentS = -1;
let contentE = -1;
let reasoningS = -1;
let reasoningE = -1;
let reasoningContentS = -1;
let reasoningContentE = -1;
let textS = -1;
let textE = -1;
let finishS = -1;
let finishE = -1;
let tokenIds = -1;
let hasUsage = false;
let usagePrompt = -1;
let usageCompletion = -1;

function key(s: number, len: number, k: Uint8Array): boolean {
  if (len !== k.length) return false;
  for (let i = 0; i < len; i++) if (B[s + i] !== k[i]) return false;
  return true;
}

const K_CHOICES = encoder.encode('choices');
const K_USAGE = encoder.encode('usage');
const K_ERROR = encoder.encode('error');
const K_OBJECT = encoder.encode('object');
const K_DELTA = encoder.encode('delta');
const K_MESSAGE = encoder.encode('message');
const K_TEXT = encoder.encode('text');
const K_FINISH = encoder.encode('finish_reason');
const K_TOKEN_IDS = encoder.encode('token_ids');
const K_CONTENT = encoder.encode('content');
const K_REASONING = encoder.encode('reasoning');
const K_REASONING_CONTENT = encoder.encode('reasoning_content');
const K_TOOL_CALLS = encoder.encode('tool_calls');
const K_PROMPT_TOKENS = encoder.encode('prompt_tokens');
const K_COMPLETION_TOKENS = encoder.encode('completion_tokens');
const V_ERROR = K_ERROR;
const V_STOP = encoder.encode('stop');
const V_LENGTH = encoder.encode('length');
const DONE = encoder.encode('[DONE]');

function ws(p: number): number {
  while (p < E) {
    const c = B[p]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    else break;
  }
  return p;
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}

/** p at the opening quote; returns the index after the closing quote, or -1. */
function str(p: number): number {
  esc = false;
  p++;
  while (p < E) {
    const c = B[p]!;
    if (c === QUOTE) return p + 1;
    if (c === BACKSLASH) {
      esc = true;
      if (p + 1 >= E) return -1;
      const d = B[p + 1]!;
      if (d === 0x75) {
        if (p + 5 >= E || !isHex(B[p + 2]) || !isHex(B[p + 3]) || !isHex(B[p + 4]) || !isHex(B[p + 5])) return -1;
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

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function num(p: number): number {
  if (p < E && B[p] === 0x2d) p++;
  if (p >= E) return -1;
  const c = B[p]!;
  if (c === 0x30) p++;
  else if (c >= 0x31 && c <= 0x39) {
    p++;
    while (p < E && isDigit(B[p])) p++;
  } else return -1;
  if (p < E && B[p] === 0x2e) {
    p++;
    const s = p;
    while (p < E && isDigit(B[p])) p++;
    if (p === s) return -1;
  }
  if (p < E && (B[p] === 0x65 || B[p] === 0x45)) {
    p++;
    if (p < E && (B[p] === 0x2b || B[p] === 0x2d)) p++;
    const s = p;
    while (p < E && isDigit(B[p])) p++;
    if (p === s) return -1;
  }
  return p;
}

/** A plain non-negative integer (what usage fields are); anything else gives up. */
function uint(p: number): number {
  const s = p;
  let v = 0;
  while (p < E && isDigit(B[p])) {
    v = v * 10 + (B[p]! - 0x30);
    p++;
  }
  const n = p - s;
  if (n === 0 || n > 15 || (n > 1 && B[s] === 0x30)) return -1;
  if (p < E && (B[p] === 0x2e || B[p] === 0x65 || B[p] === 0x45)) return -1;
  uintValue = v;
  return p;
}

function lit(p: number): number {
  const c = B[p];
  if (c === 0x6e) return p + 3 < E && B[p + 1] === 0x75 && B[p + 2] === 0x6c && B[p + 3] === 0x6c ? p + 4 : -1; // null
  if (c === 0x74) return p + 3 < E && B[p + 1] === 0x72 && B[p + 2] === 0x75 && B[p + 3] === 0x65 ? p + 4 : -1; // true
  if (c === 0x66) {
    // false
    return p + 4 < E && B[p + 1] === 0x61 && B[p + 2] === 0x6c && B[p + 3] === 0x73 && B[p + 4] === 0x65 ? p + 5 : -1;
  }
  return -1;
}

function isNull(p: number): boolean {
  return p < E && B[p] === 0x6e;
}

/** Any JSON value, validated and skipped. */
function value(p: number, depth: number): number {
  if (p >= E) return -1;
  const c = B[p]!;
  if (c === QUOTE) return str(p);
  if (c === LBRACE) return skipObject(p, depth + 1);
  if (c === LBRACKET) return skipArray(p, depth + 1);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return num(p);
  return lit(p);
}

function skipObject(p: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  p = ws(p + 1);
  if (p < E && B[p] === RBRACE) return p + 1;
  for (;;) {
    if (p >= E || B[p] !== QUOTE) return -1;
    p = str(p);
    if (p < 0) return -1;
    p = ws(p);
    if (p >= E || B[p] !== COLON) return -1;
    p = value(ws(p + 1), depth);
    if (p < 0) return -1;
    p = ws(p);
    if (p >= E) return -1;
    if (B[p] === COMMA) p = ws(p + 1);
    else if (B[p] === RBRACE) return p + 1;
    else return -1;
  }
}

function skipArray(p: number, depth: number): number {
  if (depth > MAX_DEPTH) return -1;
  p = ws(p + 1);
  if (p < E && B[p] === RBRACKET) return p + 1;
  for (;;) {
    p = value(p, depth);
    if (p < 0) return -1;
    p = ws(p);
    if (p >= E) return -1;
    if (B[p] === COMMA) p = ws(p + 1);
    else if (B[p] === RBRACKET) return p + 1;
    else return -1;
  }
}

/**
 * Walk the members of an object whose keys matter. `member` is called with the
 * key's start and length and the value's start; it returns the index after the
 * value, or -1 to give up. Keys with escapes give up: their bytes are not their names.
 */
function members(p: number, member: (ks: number, kl: number, vp: number) => number): number {
  p = ws(p + 1);
  if (p < E && B[p] === RBRACE) return p + 1;
  for (;;) {
    if (p >= E || B[p] !== QUOTE) return -1;
    const ks = p + 1;
    p = str(p);
    if (p < 0 || esc) return -1;
    const kl = p - 1 - ks;
    p = ws(p);
    if (p >= E || B[p] !== COLON) return -1;
    p = member(ks, kl, ws(p + 1));
    if (p < 0) return -1;
    p = ws(p);
    if (p >= E) return -1;
    if (B[p] === COMMA) p = ws(p + 1);
    else if (B[p] === RBRACE) return p + 1;
    else return -1;
  }
}

/** A string or null value: records the literal's range. Returns -1 for other types. */
let strS = -1;
let strE = -1;
function stringOrNull(p: number): number {
  if (isNull(p)) {
    strS = -1;
    strE = -1;
    return lit(p);
  }
  if (p >= E || B[p] !== QUOTE) return -1;
  const e = str(p);
  strS = p;
  strE = e;
  return e;
}

let rootSeen = 0;
function rootMember(ks: number, kl: number, p: number): number {
  if (key(ks, kl, K_CHOICES)) {
    if (rootSeen & 1) return -1;
    rootSeen |= 1;
    return choices(p);
  }
  if (key(ks, kl, K_USAGE)) {
    if (rootSeen & 2) return -1;
    rootSeen |= 2;
    return usage(p);
  }
  if (key(ks, kl, K_ERROR)) return -1;
  if (key(ks, kl, K_OBJECT)) {
    if (rootSeen & 4) return -1;
    rootSeen |= 4;
    if (p < E && B[p] === QUOTE) {
      const e = str(p);
      if (e < 0 || esc) return -1;
      if (e - p - 2 === V_ERROR.length && key(p + 1, V_ERROR.length, V_ERROR)) return -1;
      return e;
    }
    return value(p, 1);
  }
  return value(p, 1);
}

function choices(p: number): number {
  if (isNull(p)) return lit(p);
  if (p >= E || B[p] !== LBRACKET) return -1;
  p = ws(p + 1);
  if (p < E && B[p] === RBRACKET) return p + 1;
  // One choice only: several (n > 1) are rare in benchmarks and left to the slow path.
  if (p >= E || B[p] !== LBRACE) return -1;
  choiceSeen = 0;
  p = members(p, choiceMember);
  if (p < 0) return -1;
  p = ws(p);
  return p < E && B[p] === RBRACKET ? p + 1 : -1;
}

let choiceSeen = 0;
function choiceMember(ks: number, kl: number, p: number): number {
  if (key(ks, kl, K_DELTA)) {
    if (choiceSeen & 1) return -1;
    choiceSeen |= 1;
    if (isNull(p)) return lit(p);
    if (p >= E || B[p] !== LBRACE) return -1;
    deltaSeen = 0;
    return members(p, deltaMember);
  }
  if (key(ks, kl, K_TEXT)) {
    if (choiceSeen & 2) return -1;
    choiceSeen |= 2;
    const e = stringOrNull(p);
    textS = strS;
    textE = strE;
    return e;
  }
  if (key(ks, kl, K_FINISH)) {
    if (choiceSeen & 4) return -1;
    choiceSeen |= 4;
    const e = stringOrNull(p);
    if (e < 0 || (strS >= 0 && esc)) return -1;
    finishS = strS;
    finishE = strE;
    return e;
  }
  if (key(ks, kl, K_TOKEN_IDS)) {
    if (choiceSeen & 8) return -1;
    choiceSeen |= 8;
    if (isNull(p)) return lit(p);
    return tokenIdArray(p);
  }
  if (key(ks, kl, K_MESSAGE)) return -1;
  return value(p, 3);
}

function tokenIdArray(p: number): number {
  if (p >= E || B[p] !== LBRACKET) return -1;
  let n = 0;
  p = ws(p + 1);
  if (p < E && B[p] === RBRACKET) {
    tokenIds = 0;
    return p + 1;
  }
  for (;;) {
    p = num(p);
    if (p < 0) return -1;
    n++;
    p = ws(p);
    if (p >= E) return -1;
    if (B[p] === COMMA) p = ws(p + 1);
    else if (B[p] === RBRACKET) {
      tokenIds = n;
      return p + 1;
    } else return -1;
  }
}

let deltaSeen = 0;
function deltaMember(ks: number, kl: number, p: number): number {
  if (key(ks, kl, K_CONTENT)) {
    if (deltaSeen & 1) return -1;
    deltaSeen |= 1;
    const e = stringOrNull(p);
    contentS = strS;
    contentE = strE;
    return e;
  }
  if (key(ks, kl, K_REASONING)) {
    if (deltaSeen & 2) return -1;
    deltaSeen |= 2;
    const e = stringOrNull(p);
    reasoningS = strS;
    reasoningE = strE;
    return e;
  }
  if (key(ks, kl, K_REASONING_CONTENT)) {
    if (deltaSeen & 4) return -1;
    deltaSeen |= 4;
    const e = stringOrNull(p);
    reasoningContentS = strS;
    reasoningContentE = strE;
    return e;
  }
  // Tool calls are rare in benchmarks; their text extraction lives in the slow path.
  if (key(ks, kl, K_TOOL_CALLS)) return isNull(p) ? lit(p) : -1;
  return value(p, 4);
}

let usageSeen = 0;
function usage(p: number): number {
  if (isNull(p)) return lit(p);
  if (p >= E || B[p] !== LBRACE) return -1;
  hasUsage = true;
  usageSeen = 0;
  return members(p, usageMember);
}

function usageMember(ks: number, kl: number, p: number): number {
  const isPrompt = key(ks, kl, K_PROMPT_TOKENS);
  if (isPrompt || key(ks, kl, K_COMPLETION_TOKENS)) {
    const bit = isPrompt ? 1 : 2;
    if (usageSeen & bit) return -1;
    usageSeen |= bit;
    let e: number;
    let v = -1;
    if (isNull(p)) e = lit(p);
    else {
      e = uint(p);
      v = uintValue;
    }
    if (e < 0) return -1;
    if (isPrompt) usagePrompt = v;
    else usageCompletion = v;
    return e;
  }
  return value(p, 2);
}

function literalNonEmpty(s: number, e: number): boolean {
  return s >= 0 && e - s > 2;
}

/**
 * The fast path. Returns false (and leaves `out` and `text` untouched) when it
 * cannot answer exactly; the caller then uses extractChunkSlow.
 */
export function extractChunkFast(
  data: Uint8Array,
  eventType: string,
  text: TextSink | null,
  out: ChunkInfo,
): boolean {
  if (eventType === 'error') return false;
  B = data;
  E = data.length;
  try {
    let p = ws(0);
    if (p === E) {
      resetInfo(out, 'ignored', true);
      return true;
    }
    const c = B[p];
    if (c === LBRACKET) {
      if (p + DONE.length <= E && key(p, DONE.length, DONE) && ws(p + DONE.length) === E) {
        resetInfo(out, 'done', true);
        return true;
      }
      return false;
    }
    if (c !== LBRACE) return false;
    contentS = contentE = reasoningS = reasoningE = reasoningContentS = reasoningContentE = -1;
    textS = textE = finishS = finishE = -1;
    tokenIds = -1;
    hasUsage = false;
    usagePrompt = usageCompletion = -1;
    rootSeen = 0;
    p = members(p, rootMember);
    if (p < 0 || ws(p) !== E) return false;

    resetInfo(out, 'data', true);
    out.hasUsage = hasUsage;
    out.usagePromptTokens = usagePrompt;
    out.usageCompletionTokens = usageCompletion;
    out.tokenIdsCount = tokenIds;
    let rS = reasoningS;
    let rE = reasoningE;
    if (!literalNonEmpty(rS, rE)) {
      rS = reasoningContentS;
      rE = reasoningContentE;
    }
    const hasReasoning = literalNonEmpty(rS, rE);
    const hasContent = literalNonEmpty(contentS, contentE);
    const hasText = literalNonEmpty(textS, textE);
    out.hasOutput = hasReasoning || hasContent || hasText || tokenIds > 0;
    if (text !== null) {
      if (hasReasoning) text.appendLiteral(B, rS, rE);
      if (hasContent) text.appendLiteral(B, contentS, contentE);
      if (hasText) text.appendLiteral(B, textS, textE);
    }
    if (finishS >= 0) out.finishReason = finishReasonString(finishS + 1, finishE - 1);
    return true;
  } finally {
    // Do not keep the caller's buffer alive between events.
    B = EMPTY_BYTES;
    E = 0;
  }
}

const EMPTY_BYTES = new Uint8Array(0);

function finishReasonString(s: number, e: number): string {
  const n = e - s;
  if (n === V_STOP.length && key(s, n, V_STOP)) return 'stop';
  if (n === V_LENGTH.length && key(s, n, V_LENGTH)) return 'length';
  return decoder.decode(B.subarray(s, e));
}
