/**
 * The fast path of chunk.ts: one validating walk over an event's bytes, no
 * allocation, reading only the keys that matter and recording where their
 * string literals lie. Whenever the input is outside what it handles exactly it
 * gives up (returns false) and the slow path decides. A class with fields (not
 * module-level `let`s, which pay TDZ checks) and an explicit switch per object
 * kind (not callbacks, which make the member loop polymorphic).
 */
import { resetInfo, type ChunkInfo } from './chunk-info.js';
import { ChunkMemo, MEMO_MAX_MISSES, MEMO_MAX_TEMPLATE_BYTES, sameBytes, sameRange } from './chunk-memo.js';
import { COLON, COMMA, EMPTY_BYTES, JsonBytes, LBRACE, LBRACKET, QUOTE, RBRACE, RBRACKET } from './json-bytes.js';
import type { TextSink } from './text-sink.js';

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

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

class FastWalker extends JsonBytes {
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
    out.hasReasoning = hasHole && memo.holeReasoning;
    out.hasAnswer = hasHole && !memo.holeReasoning;
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
    let holeReasoning = false;
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
        holeReasoning = i < 4;
      } else if (hs < 0) {
        hs = fs;
        he = fe;
        holeReasoning = i < 4;
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
      memo.holeReasoning = holeReasoning;
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
    out.hasReasoning = hasReasoning;
    out.hasAnswer = hasContent || hasText;
    if (text !== null) {
      if (hasReasoning) text.appendLiteral(data, rS, rE);
      if (hasContent) text.appendLiteral(data, this.contentS, this.contentE);
      if (hasText) text.appendLiteral(data, this.textS, this.textE);
    }
    if (this.finishS >= 0) out.finishReason = this.finishReasonString();
    return true;
  }
}

const walker = new FastWalker();

/** The fast path on data[start, end) (no view made); false when the slow path must decide. */
export function walkChunk(data: Uint8Array, start: number, end: number, text: TextSink | null, out: ChunkInfo, memo: ChunkMemo | null): boolean {
  const answered = walker.walk(data, start, end, text, out, memo);
  // Do not keep the caller's buffer alive between events.
  walker.b = EMPTY_BYTES;
  return answered;
}

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
