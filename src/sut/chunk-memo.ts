const EMPTY_BUFFER = Buffer.alloc(0);

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
  /** the hole is a reasoning field (reasoning, reasoning_content), not content or text */
  holeReasoning = false;
  // the template's answer apart from the hole
  hasUsage = false;
  usagePrompt = -1;
  usageCompletion = -1;
  tokenIds = -1;
  finishReason: string | null = null;
  /** consecutive chunks that did not fit the template (streams whose suffix changes every chunk) */
  misses = 0;
}

const bufferCompare = Buffer.prototype.compare;

/**
 * a[s, s + n) equals b[0, n). memcmp: on ~200 bytes a Buffer#compare call (~80 ns,
 * mostly its argument checks) beats a JS byte loop (~1.4 ns a byte here) and a
 * 4-bytes-at-a-time Int32Array loop over aligned copies (tried: ~100 ns).
 */
export function sameBytes(a: Uint8Array, s: number, b: Buffer, n: number): boolean {
  return bufferCompare.call(b, a, s, s + n, 0, n) === 0;
}

/** a[s, s + n) equals b[bs, bs + n); short ranges in JS, long ones with memcmp */
export function sameRange(a: Uint8Array, s: number, b: Buffer, bs: number, n: number): boolean {
  if (n > 48) return bufferCompare.call(b, a, s, s + n, bs, bs + n) === 0;
  for (let i = 0; i < n; i++) if (a[s + i] !== b[bs + i]) return false;
  return true;
}

/** after this many chunks in a row that miss the template, try it only every 16th chunk */
export const MEMO_MAX_MISSES = 4;
/** chunks longer than this are not kept as templates (copying them would cost more than it saves) */
export const MEMO_MAX_TEMPLATE_BYTES = 4096;
