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
const EMPTY_TEXT = new Uint8Array(0);
const EMPTY_BUFFER = Buffer.alloc(0);
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

/** Classify one event: the fast path when it can answer, else JSON.parse. */
export function extractChunk(data: Uint8Array, eventType: string, text: TextSink | null, out: ChunkInfo): ChunkInfo {
  if (extractChunkFast(data, eventType, text, out)) return out;
  return extractChunkSlow(data, eventType, text, out);
}

/**
 * extractChunk on the bytes `src[start, end)`, without making a view of them
 * unless the slow path must decide. `memo` (one per stream, optional) lets the
 * fast path skip re-validating the leading members of the chunk object when they
 * are byte-identical to the last chunk's (`"id"`, `"object"`, `"created"`,
 * `"model"` repeat on every chunk of a stream); the answer is the same with or
 * without it.
 */
export function extractChunkRange(
  src: Uint8Array,
  start: number,
  end: number,
  eventType: string,
  text: TextSink | null,
  out: ChunkInfo,
  memo: ChunkMemo | null = null,
): ChunkInfo {
  if (eventType !== 'error') {
    const answered = walker.walk(src, start, end, text, out, memo);
    walker.b = EMPTY_BYTES;
    if (answered) return out;
  }
  return extractChunkSlow(src.subarray(start, end), eventType, text, out);
}

/**
 * What the fast path remembers of the last chunk of a stream it read whole, to
 * read the next one cheaply. Chunks of one stream repeat their bytes except the
 * token text: `{"id":…,"object":…,"created":…,"model":…,"choices":[{"index":0,
 * "delta":{"content":" the"},"logprobs":null,"finish_reason":null}]}`.
 *
 * - Template: the whole chunk, with its one text literal as a hole. A chunk whose
 *   bytes before the hole and after a valid string literal in it equal the
 *   template's is the same JSON with another string at the same place: the same
 *   walk, so the same answer with that literal as the text. Only taken when no
 *   other text field could contribute (all others null, absent or "").
 * - Root prefix: the leading root members that set no state (up to the comma
 *   before `choices`/`usage`): when only those bytes match, the walk resumes
 *   after them with the seen-keys bits it had there.
 *
 * Either way the answer is the one a full walk gives; the memo only skips
 * re-reading bytes already validated (test/unit/perf/ pins this).
 */
export class ChunkMemo {
  /** the last chunk read whole, from the event's first byte (whitespace included) */
  bytes: Buffer = EMPTY_BUFFER;
  length = 0;
  /** root prefix: its end (relative; 0 = none) and the seen-keys bits there */
  rootEnd = 0;
  rootSeen = 0;
  /** template hole: the text literal's range (relative, quotes included); -1 = no template */
  holeS = -1;
  holeE = -1;
  // the template's answer apart from the hole
  hasUsage = false;
  usagePrompt = -1;
  usageCompletion = -1;
  tokenIds = -1;
  finishReason: string | null = null;
  /** consecutive chunks that did not fit the template (streams whose suffix changes every chunk) */
  misses = 0;
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
// Fast path: one validating walk over the bytes, no allocation. A class with
// fields (not module-level `let`s, which pay TDZ checks) and an explicit switch
// per object kind (not callbacks, which make the member loop polymorphic).

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

const OBJ_ROOT = 0;
const OBJ_CHOICE = 1;
const OBJ_DELTA = 2;
const OBJ_USAGE = 3;

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
const EMPTY_BYTES = new Uint8Array(0);

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

class FastWalker {
  b: Uint8Array = EMPTY_BYTES;
  e = 0;
  /** the string just scanned contained a backslash escape */
  esc = false;
  /** value of the unsigned integer just scanned */
  uintValue = 0;
  /** range of the last string-or-null value (quotes included; -1: null) */
  strS = -1;
  strE = -1;
  // What the walk found (string literal ranges include the quotes; -1: absent).
  contentS = -1;
  contentE = -1;
  reasoningS = -1;
  reasoningE = -1;
  reasoningContentS = -1;
  reasoningContentE = -1;
  textS = -1;
  textE = -1;
  finishS = -1;
  finishE = -1;
  tokenIds = -1;
  hasUsage = false;
  usagePrompt = -1;
  usageCompletion = -1;
  /** keys already seen per object kind (a repeated key that matters gives up) */
  rootSeen = 0;
  choiceSeen = 0;
  deltaSeen = 0;
  usageSeen = 0;

  /** where the current prefix of state-free root members ends (-1: none), and the seen bits there */
  prefixEnd = -1;
  prefixSeen = 0;

  /** Forget what the last walk found (the template path needs none of it, so it skips this). */
  clearFound(): void {
    this.contentS = this.contentE = this.reasoningS = this.reasoningE = -1;
    this.reasoningContentS = this.reasoningContentE = -1;
    this.textS = this.textE = this.finishS = this.finishE = -1;
    this.tokenIds = -1;
    this.hasUsage = false;
    this.usagePrompt = this.usageCompletion = -1;
    this.rootSeen = this.choiceSeen = this.deltaSeen = this.usageSeen = 0;
  }

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

  /**
   * The root object's members, from the key at p (after `{` or after a memo
   * prefix). Same as members(, OBJ_ROOT), and it notes where the leading run of
   * state-free members ends, for the prefix memo.
   */
  rootMembers(p: number): number {
    const b = this.b;
    const e = this.e;
    let plain = true;
    for (;;) {
      if (p >= e || b[p] !== QUOTE) return -1;
      const ks = p + 1;
      p = this.str(p);
      if (p < 0 || this.esc) return -1;
      const kl = p - 1 - ks;
      if (plain) {
        const first = b[ks];
        if ((first === 0x63 && this.key(ks, kl, K_CHOICES)) || (first === 0x75 && this.key(ks, kl, K_USAGE))) plain = false;
      }
      p = this.ws(p);
      if (p >= e || b[p] !== COLON) return -1;
      p = this.ws(p + 1);
      p = this.rootMember(ks, kl, p);
      if (p < 0) return -1;
      p = this.ws(p);
      if (p >= e) return -1;
      if (b[p] === COMMA) {
        p = this.ws(p + 1);
        if (plain) {
          this.prefixEnd = p;
          this.prefixSeen = this.rootSeen;
        }
      } else if (b[p] === RBRACE) return p + 1;
      else return -1;
    }
  }

  /**
   * Walk the members of an object whose keys matter. Keys with escapes give up:
   * their bytes are not their names.
   */
  members(p: number, kind: number): number {
    const b = this.b;
    const e = this.e;
    p = this.ws(p + 1);
    if (p < e && b[p] === RBRACE) return p + 1;
    for (;;) {
      if (p >= e || b[p] !== QUOTE) return -1;
      const ks = p + 1;
      p = this.str(p);
      if (p < 0 || this.esc) return -1;
      const kl = p - 1 - ks;
      p = this.ws(p);
      if (p >= e || b[p] !== COLON) return -1;
      p = this.ws(p + 1);
      switch (kind) {
        case OBJ_ROOT:
          p = this.rootMember(ks, kl, p);
          break;
        case OBJ_CHOICE:
          p = this.choiceMember(ks, kl, p);
          break;
        case OBJ_DELTA:
          p = this.deltaMember(ks, kl, p);
          break;
        default:
          p = this.usageMember(ks, kl, p);
      }
      if (p < 0) return -1;
      p = this.ws(p);
      if (p >= e) return -1;
      if (b[p] === COMMA) p = this.ws(p + 1);
      else if (b[p] === RBRACE) return p + 1;
      else return -1;
    }
  }

  /** A string or null value: records the literal's range in strS/strE. Returns -1 for other types. */
  stringOrNull(p: number): number {
    if (this.isNull(p)) {
      this.strS = -1;
      this.strE = -1;
      return this.lit(p);
    }
    if (p >= this.e || this.b[p] !== QUOTE) return -1;
    const end = this.str(p);
    this.strS = p;
    this.strE = end;
    return end;
  }

  rootMember(ks: number, kl: number, p: number): number {
    const first = this.b[ks];
    if (first === 0x63 && this.key(ks, kl, K_CHOICES)) {
      if (this.rootSeen & 1) return -1;
      this.rootSeen |= 1;
      return this.choices(p);
    }
    if (first === 0x75 && this.key(ks, kl, K_USAGE)) {
      if (this.rootSeen & 2) return -1;
      this.rootSeen |= 2;
      if (this.isNull(p)) return this.lit(p);
      if (p >= this.e || this.b[p] !== LBRACE) return -1;
      this.hasUsage = true;
      return this.members(p, OBJ_USAGE);
    }
    if (first === 0x65 && this.key(ks, kl, K_ERROR)) return -1;
    if (first === 0x6f && this.key(ks, kl, K_OBJECT)) {
      if (this.rootSeen & 4) return -1;
      this.rootSeen |= 4;
      if (p < this.e && this.b[p] === QUOTE) {
        const end = this.str(p);
        if (end < 0 || this.esc) return -1;
        if (this.key(p + 1, end - p - 2, V_ERROR)) return -1;
        return end;
      }
    }
    return this.value(p, 1);
  }

  choices(p: number): number {
    if (this.isNull(p)) return this.lit(p);
    const b = this.b;
    const e = this.e;
    if (p >= e || b[p] !== LBRACKET) return -1;
    p = this.ws(p + 1);
    if (p < e && b[p] === RBRACKET) return p + 1;
    // One choice only: several (n > 1) are rare in benchmarks and left to the slow path.
    if (p >= e || b[p] !== LBRACE) return -1;
    p = this.members(p, OBJ_CHOICE);
    if (p < 0) return -1;
    p = this.ws(p);
    return p < e && b[p] === RBRACKET ? p + 1 : -1;
  }

  choiceMember(ks: number, kl: number, p: number): number {
    if (this.key(ks, kl, K_DELTA)) {
      if (this.choiceSeen & 1) return -1;
      this.choiceSeen |= 1;
      if (this.isNull(p)) return this.lit(p);
      if (p >= this.e || this.b[p] !== LBRACE) return -1;
      return this.members(p, OBJ_DELTA);
    }
    if (this.key(ks, kl, K_TEXT)) {
      if (this.choiceSeen & 2) return -1;
      this.choiceSeen |= 2;
      const end = this.stringOrNull(p);
      this.textS = this.strS;
      this.textE = this.strE;
      return end;
    }
    if (this.key(ks, kl, K_FINISH)) {
      if (this.choiceSeen & 4) return -1;
      this.choiceSeen |= 4;
      const end = this.stringOrNull(p);
      if (end < 0 || (this.strS >= 0 && this.esc)) return -1;
      this.finishS = this.strS;
      this.finishE = this.strE;
      return end;
    }
    if (this.key(ks, kl, K_TOKEN_IDS)) {
      if (this.choiceSeen & 8) return -1;
      this.choiceSeen |= 8;
      if (this.isNull(p)) return this.lit(p);
      return this.tokenIdArray(p);
    }
    if (this.key(ks, kl, K_MESSAGE)) return -1;
    return this.value(p, 3);
  }

  tokenIdArray(p: number): number {
    const b = this.b;
    const e = this.e;
    if (p >= e || b[p] !== LBRACKET) return -1;
    let n = 0;
    p = this.ws(p + 1);
    if (p < e && b[p] === RBRACKET) {
      this.tokenIds = 0;
      return p + 1;
    }
    for (;;) {
      p = this.num(p);
      if (p < 0) return -1;
      n++;
      p = this.ws(p);
      if (p >= e) return -1;
      if (b[p] === COMMA) p = this.ws(p + 1);
      else if (b[p] === RBRACKET) {
        this.tokenIds = n;
        return p + 1;
      } else return -1;
    }
  }

  deltaMember(ks: number, kl: number, p: number): number {
    if (this.key(ks, kl, K_CONTENT)) {
      if (this.deltaSeen & 1) return -1;
      this.deltaSeen |= 1;
      const end = this.stringOrNull(p);
      this.contentS = this.strS;
      this.contentE = this.strE;
      return end;
    }
    if (this.key(ks, kl, K_REASONING)) {
      if (this.deltaSeen & 2) return -1;
      this.deltaSeen |= 2;
      const end = this.stringOrNull(p);
      this.reasoningS = this.strS;
      this.reasoningE = this.strE;
      return end;
    }
    if (this.key(ks, kl, K_REASONING_CONTENT)) {
      if (this.deltaSeen & 4) return -1;
      this.deltaSeen |= 4;
      const end = this.stringOrNull(p);
      this.reasoningContentS = this.strS;
      this.reasoningContentE = this.strE;
      return end;
    }
    // Tool calls are rare in benchmarks; their text extraction lives in the slow path.
    if (this.key(ks, kl, K_TOOL_CALLS)) return this.isNull(p) ? this.lit(p) : -1;
    return this.value(p, 4);
  }

  usageMember(ks: number, kl: number, p: number): number {
    const isPrompt = this.key(ks, kl, K_PROMPT_TOKENS);
    if (isPrompt || this.key(ks, kl, K_COMPLETION_TOKENS)) {
      const bit = isPrompt ? 1 : 2;
      if (this.usageSeen & bit) return -1;
      this.usageSeen |= bit;
      let end: number;
      let v = -1;
      if (this.isNull(p)) end = this.lit(p);
      else {
        end = this.uint(p);
        v = this.uintValue;
      }
      if (end < 0) return -1;
      if (isPrompt) this.usagePrompt = v;
      else this.usageCompletion = v;
      return end;
    }
    return this.value(p, 2);
  }

  finishReasonString(): string {
    const s = this.finishS + 1;
    const n = this.finishE - 1 - s;
    if (this.key(s, n, V_STOP)) return 'stop';
    if (this.key(s, n, V_LENGTH)) return 'length';
    return decoder.decode(this.b.subarray(s, s + n));
  }

  /** The answer of a chunk that fits memo's template, with data[ls, le) as its text literal. */
  fromTemplate(memo: ChunkMemo, data: Uint8Array, ls: number, le: number, text: TextSink | null, out: ChunkInfo): void {
    resetInfo(out, 'data', true);
    out.hasUsage = memo.hasUsage;
    out.usagePromptTokens = memo.usagePrompt;
    out.usageCompletionTokens = memo.usageCompletion;
    out.tokenIdsCount = memo.tokenIds;
    const hasHole = le - ls > 2;
    out.hasOutput = hasHole || memo.tokenIds > 0;
    if (text !== null && hasHole) text.appendLiteral(data, ls, le);
    out.finishReason = memo.finishReason;
  }

  /** After a full walk of data[start, end): keep it as the stream's template and root prefix. */
  remember(memo: ChunkMemo, data: Uint8Array, start: number, end: number): void {
    const n = end - start;
    // The hole: the one non-empty text literal, or with none, the first one present. With two
    // non-empty ones there is no template. Either way every other literal is null, absent or "",
    // so none of them can contribute, whatever the hole holds.
    let hs = -1;
    let he = -1;
    let nonEmpty = 0;
    const fields = [this.reasoningS, this.reasoningE, this.reasoningContentS, this.reasoningContentE, this.contentS, this.contentE, this.textS, this.textE];
    for (let i = 0; i < 8; i += 2) {
      const fs = fields[i]!;
      const fe = fields[i + 1]!;
      if (fs < 0) continue;
      if (fe - fs > 2) {
        nonEmpty++;
        hs = fs;
        he = fe;
      } else if (hs < 0) {
        hs = fs;
        he = fe;
      }
    }
    const template = hs >= 0 && nonEmpty <= 1 && n <= MEMO_MAX_TEMPLATE_BYTES;
    const keep = template ? n : this.prefixEnd > start ? this.prefixEnd - start : 0;
    if (keep === 0) {
      memo.length = 0;
      memo.rootEnd = 0;
      memo.holeS = -1;
      return;
    }
    if (memo.bytes.length < keep) memo.bytes = Buffer.allocUnsafe(Math.max(keep, 2 * memo.bytes.length, 256));
    memo.bytes.set(data.subarray(start, start + keep), 0);
    memo.length = keep;
    memo.rootEnd = this.prefixEnd > start ? this.prefixEnd - start : 0;
    memo.rootSeen = this.prefixSeen;
    if (template) {
      memo.holeS = hs - start;
      memo.holeE = he - start;
      memo.hasUsage = this.hasUsage;
      memo.usagePrompt = this.usagePrompt;
      memo.usageCompletion = this.usageCompletion;
      memo.tokenIds = this.tokenIds;
      memo.finishReason = this.finishS >= 0 ? this.finishReasonString() : null;
    } else memo.holeS = -1;
  }

  /** Returns false when it cannot answer exactly. */
  walk(data: Uint8Array, start: number, end: number, text: TextSink | null, out: ChunkInfo, memo: ChunkMemo | null): boolean {
    this.b = data;
    this.e = end;
    const e = end;
    let p = this.ws(start);
    if (p === e) {
      resetInfo(out, 'ignored', true);
      return true;
    }
    const c = data[p];
    if (c === LBRACKET) {
      if (p + DONE.length <= e && this.key(p, DONE.length, DONE) && this.ws(p + DONE.length) === e) {
        resetInfo(out, 'done', true);
        return true;
      }
      return false;
    }
    if (c !== LBRACE) return false;
    this.prefixEnd = -1;
    let resumeAt = -1;
    let templatePrefix = false;
    if (memo !== null && memo.length > 0) {
      const n = e - start;
      const hs = memo.holeS;
      if (hs >= 0 && n > hs && (memo.misses < MEMO_MAX_MISSES || (memo.misses & 15) === 0) && sameBytes(data, start, memo.bytes, hs)) {
        templatePrefix = true;
        const ls = start + hs;
        if (data[ls] === QUOTE) {
          const le = this.str(ls);
          const tail = memo.length - memo.holeE;
          if (le >= 0 && e - le === tail && sameRange(data, le, memo.bytes, memo.holeE, tail)) {
            memo.misses = 0;
            this.fromTemplate(memo, data, ls, le, text, out);
            return true;
          }
        }
        memo.misses++;
        // The root prefix lies before the hole: it matched too.
        if (memo.rootEnd > 0 && memo.rootEnd <= hs) resumeAt = start + memo.rootEnd;
      } else {
        if (hs >= 0) memo.misses++;
        const m = memo.rootEnd;
        if (m > 0 && n > m && sameBytes(data, start, memo.bytes, m)) resumeAt = start + m;
      }
    }
    this.clearFound();
    if (resumeAt >= 0) {
      // The same leading members as a chunk already read whole: same state, resume after them.
      this.rootSeen = memo!.rootSeen;
      this.prefixEnd = resumeAt;
      this.prefixSeen = memo!.rootSeen;
      p = this.rootMembers(resumeAt);
    } else {
      p = this.ws(p + 1);
      p = p < e && data[p] === RBRACE ? p + 1 : this.rootMembers(p);
    }
    if (p < 0 || this.ws(p) !== e) return false;
    if (memo !== null && !templatePrefix) this.remember(memo, data, start, e);

    resetInfo(out, 'data', true);
    out.hasUsage = this.hasUsage;
    out.usagePromptTokens = this.usagePrompt;
    out.usageCompletionTokens = this.usageCompletion;
    out.tokenIdsCount = this.tokenIds;
    // reasoning wins over reasoning_content when both are non-empty, as in the slow path
    let rS = this.reasoningS;
    let rE = this.reasoningE;
    if (!(rS >= 0 && rE - rS > 2)) {
      rS = this.reasoningContentS;
      rE = this.reasoningContentE;
    }
    const hasReasoning = rS >= 0 && rE - rS > 2;
    const hasContent = this.contentS >= 0 && this.contentE - this.contentS > 2;
    const hasText = this.textS >= 0 && this.textE - this.textS > 2;
    out.hasOutput = hasReasoning || hasContent || hasText || this.tokenIds > 0;
    if (text !== null) {
      if (hasReasoning) text.appendLiteral(data, rS, rE);
      if (hasContent) text.appendLiteral(data, this.contentS, this.contentE);
      if (hasText) text.appendLiteral(data, this.textS, this.textE);
    }
    if (this.finishS >= 0) out.finishReason = this.finishReasonString();
    return true;
  }
}

const bufferCompare = Buffer.prototype.compare;

/**
 * a[s, s + n) equals b[0, n). memcmp: on ~200 bytes a Buffer#compare call (~80 ns,
 * mostly its argument checks) beats a JS byte loop (~1.4 ns a byte here) and a
 * 4-bytes-at-a-time Int32Array loop over aligned copies (tried: ~100 ns).
 */
function sameBytes(a: Uint8Array, s: number, b: Buffer, n: number): boolean {
  return bufferCompare.call(b, a, s, s + n, 0, n) === 0;
}

/** a[s, s + n) equals b[bs, bs + n); short ranges in JS, long ones with memcmp */
function sameRange(a: Uint8Array, s: number, b: Buffer, bs: number, n: number): boolean {
  if (n > 48) return bufferCompare.call(b, a, s, s + n, bs, bs + n) === 0;
  for (let i = 0; i < n; i++) if (a[s + i] !== b[bs + i]) return false;
  return true;
}

/** after this many chunks in a row that miss the template, try it only every 16th chunk */
const MEMO_MAX_MISSES = 4;
/** chunks longer than this are not kept as templates (copying them would cost more than it saves) */
const MEMO_MAX_TEMPLATE_BYTES = 4096;

const walker = new FastWalker();

/**
 * The fast path. Returns false (and leaves `out` and `text` untouched) when it
 * cannot answer exactly; the caller then uses extractChunkSlow.
 */
export function extractChunkFast(data: Uint8Array, eventType: string, text: TextSink | null, out: ChunkInfo, memo: ChunkMemo | null = null): boolean {
  if (eventType === 'error') return false;
  const answered = walker.walk(data, 0, data.length, text, out, memo);
  // Do not keep the caller's buffer alive between events.
  walker.b = EMPTY_BYTES;
  return answered;
}
