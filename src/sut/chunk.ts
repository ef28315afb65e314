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
import { newChunkInfo, resetInfo, type ChunkInfo } from './chunk-info.js';
import { extractChunkFast, walkChunk } from './chunk-fast.js';
import type { ChunkMemo } from './chunk-memo.js';
import { describeErrorText, errorMessageOf } from './error-text.js';
import type { TextSink } from './text-sink.js';

// The chunk module's public face, kept where its callers and tests import it.
export { ChunkMemo } from './chunk-memo.js';
export { describeErrorBytes, describeErrorText, errorMessageOf } from './error-text.js';
export { TextSink } from './text-sink.js';
export { extractChunkFast, newChunkInfo };
export type { ChunkInfo, ChunkKind } from './chunk-info.js';

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

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
    if (walkChunk(src, start, end, text, out, memo)) return out;
  }
  return extractChunkSlow(src.subarray(start, end), eventType, text, out);
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
        out.hasReasoning = true;
        text?.appendString(r);
      }
      if (nonEmptyString(d.content)) {
        out.hasOutput = true;
        out.hasAnswer = true;
        text?.appendString(d.content);
      }
      const calls = d.tool_calls;
      if (Array.isArray(calls) && calls.length > 0) {
        out.hasOutput = true;
        out.hasAnswer = true;
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
      out.hasAnswer = true;
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
