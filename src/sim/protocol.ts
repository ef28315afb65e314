/**
 * The OpenAI-compatible wire format as vLLM speaks it: request validation, prompt
 * token counting, generated text, and the JSON of chunks and bodies.
 *
 * Chunks are built from string templates rather than JSON.stringify of objects:
 * every field but the model name (escaped once per request) is a number or a
 * constant, and the engine writes one chunk per running sequence per step.
 */
import type { FinishReason } from './engine.js';
import type { PromptTokenizer } from './profiles.js';

export type Api = 'completions' | 'chat';

export interface ApiError {
  status: number;
  type: string;
  message: string;
  param: string | null;
}

export interface ParsedRequest {
  api: Api;
  /** `model` as sent; null when absent (then the served model is assumed) */
  model: string | null;
  stream: boolean;
  includeUsage: boolean;
  /** usage on every chunk (vLLM needs include_usage too) */
  continuousUsage: boolean;
  /** max_completion_tokens ?? max_tokens, null when absent */
  maxTokens: number | null;
  ignoreEos: boolean;
  /** request `seed`, mixed into the output-length key */
  seed: number | null;
  prompt: { kind: 'text'; text: string } | { kind: 'ids'; ids: number[] };
}

export function badRequest(message: string, param: string | null = null): ApiError {
  return { status: 400, type: 'BadRequestError', message, param };
}

export function errorBody(e: ApiError): string {
  return JSON.stringify({ error: { message: e.message, type: e.type, param: e.param, code: e.status } });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTokenId = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

function optionalPositiveInt(body: Record<string, unknown>, key: string): number | null | ApiError {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (!Number.isInteger(v)) return badRequest(`${key} must be an integer, got ${JSON.stringify(v)}`, key);
  if ((v as number) < 1) return badRequest(`${key} must be at least 1, got ${String(v)}.`, key);
  return v as number;
}

function optionalBool(body: Record<string, unknown>, key: string): boolean | ApiError {
  const v = body[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') return badRequest(`${key} must be a boolean, got ${JSON.stringify(v)}`, key);
  return v;
}

const isError = (v: unknown): v is ApiError => isObject(v) && typeof v.status === 'number' && typeof v.type === 'string';

/** Validate a parsed JSON body. Returns the request or the 400 to send. */
export function parseRequest(api: Api, body: unknown): ParsedRequest | ApiError {
  if (!isObject(body)) return badRequest('The request body must be a JSON object.');
  const model = body.model;
  if (model !== undefined && model !== null && typeof model !== 'string') return badRequest('model must be a string', 'model');
  const stream = optionalBool(body, 'stream');
  if (isError(stream)) return stream;
  const ignoreEos = optionalBool(body, 'ignore_eos');
  if (isError(ignoreEos)) return ignoreEos;

  let includeUsage = false;
  let continuousUsage = false;
  const so = body.stream_options;
  if (so !== undefined && so !== null) {
    if (!isObject(so)) return badRequest('stream_options must be an object', 'stream_options');
    if (!stream) return badRequest('Stream options can only be defined when `stream=True`.', 'stream_options');
    const iu = optionalBool(so, 'include_usage');
    if (isError(iu)) return { ...iu, param: 'stream_options.include_usage' };
    const cu = optionalBool(so, 'continuous_usage_stats');
    if (isError(cu)) return { ...cu, param: 'stream_options.continuous_usage_stats' };
    includeUsage = iu;
    continuousUsage = iu && cu;
  }

  const mct = optionalPositiveInt(body, 'max_completion_tokens');
  if (isError(mct)) return mct;
  const mt = optionalPositiveInt(body, 'max_tokens');
  if (isError(mt)) return mt;
  // vLLM, SGLang and llama.cpp prefer max_completion_tokens when both are sent.
  const maxTokens = api === 'chat' ? (mct ?? mt) : mt;

  const n = body.n;
  if (n !== undefined && n !== null && n !== 1) {
    return badRequest(`n must be 1: the simulator generates one choice per request, got ${JSON.stringify(n)}`, 'n');
  }
  const seedField = body.seed;
  if (seedField !== undefined && seedField !== null && !Number.isInteger(seedField)) return badRequest('seed must be an integer', 'seed');

  let prompt: ParsedRequest['prompt'];
  if (api === 'completions') {
    const p = parseCompletionPrompt(body.prompt);
    if (isError(p)) return p;
    prompt = p;
  } else {
    const p = parseMessages(body.messages);
    if (isError(p)) return p;
    prompt = p;
  }
  return {
    api,
    model: typeof model === 'string' ? model : null,
    stream,
    includeUsage,
    continuousUsage,
    maxTokens,
    ignoreEos,
    seed: typeof seedField === 'number' ? seedField : null,
    prompt,
  };
}

function parseCompletionPrompt(p: unknown): ParsedRequest['prompt'] | ApiError {
  if (p === undefined || p === null) return badRequest('prompt is required', 'prompt');
  if (typeof p === 'string') return { kind: 'text', text: p };
  if (!Array.isArray(p)) return badRequest('prompt must be a string, an array of strings, or an array of token ids', 'prompt');
  if (p.length === 0) return badRequest('prompt must not be empty', 'prompt');
  if (p.every(isTokenId)) return { kind: 'ids', ids: p as number[] };
  // Batched prompts (several strings or id lists) would need several choices.
  if (p.length === 1 && typeof p[0] === 'string') return { kind: 'text', text: p[0] };
  if (p.length === 1 && Array.isArray(p[0]) && p[0].length > 0 && p[0].every(isTokenId)) return { kind: 'ids', ids: p[0] as number[] };
  if (p.length > 1 && (p.every((x) => typeof x === 'string') || p.every((x) => Array.isArray(x)))) {
    return badRequest('batched prompts are not supported by the simulator: send one prompt per request', 'prompt');
  }
  return badRequest('prompt must be a string, an array of strings, or an array of non-negative integer token ids', 'prompt');
}

function parseMessages(m: unknown): ParsedRequest['prompt'] | ApiError {
  if (m === undefined || m === null) return badRequest('messages is required', 'messages');
  if (!Array.isArray(m) || m.length === 0) return badRequest('messages must be a non-empty array', 'messages');
  const parts: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const msg: unknown = m[i];
    const where = `messages[${i}]`;
    if (!isObject(msg)) return badRequest(`${where} must be an object`, where);
    if (typeof msg.role !== 'string') return badRequest(`${where}.role must be a string`, `${where}.role`);
    const c = msg.content;
    if (c === undefined || c === null) continue;
    if (typeof c === 'string') parts.push(c);
    else if (Array.isArray(c)) {
      for (const part of c) {
        if (isObject(part) && part.type === 'text' && typeof part.text === 'string') parts.push(part.text);
        else return badRequest(`${where}.content parts must be {"type":"text","text":string}`, `${where}.content`);
      }
    } else return badRequest(`${where}.content must be a string or an array of parts`, `${where}.content`);
  }
  // Contents are counted as one text; no chat-template tokens are added (docs/simulator.md).
  return { kind: 'text', text: parts.join('\n') };
}

// ---------------------------------------------------------------------------
// Prompt token counting

import { bosIdsFor, loadTokenizer } from '../dataset/tokenizers.js';

export type TokenCounter = (text: string) => number;

/** ceil(characters / 4): OpenAI's rule of thumb, exact for the simulator's own "the the …" text */
export const approxCount: TokenCounter = (text) => Math.ceil(text.length / 4);

/** Load a counter; the real vocabularies are imported only when asked for. */
export async function loadTokenCounter(kind: PromptTokenizer): Promise<TokenCounter> {
  switch (kind) {
    case 'approx':
      return approxCount;
    case 'llama2':
    case 'o200k_harmony': {
      // The same tokenizers the client uses (the Llama 2 one split at spaces is
      // ~50x faster than encoding whole prompts), counted as a server counts
      // usage.prompt_tokens: BOS included where the model has one.
      const tokenizer = await loadTokenizer(kind);
      const bos = bosIdsFor(kind).length;
      return (text) => (text === '' ? bos : bos + tokenizer.count(text));
    }
  }
}

/** FNV-1a of the prompt (and request seed): the key of the output-length draw. */
export function promptKey(req: ParsedRequest): number {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h ^= x & 0xffff;
    h = Math.imul(h, 0x01000193);
    h ^= x >>> 16;
    h = Math.imul(h, 0x01000193);
  };
  if (req.prompt.kind === 'text') {
    const t = req.prompt.text;
    for (let i = 0; i < t.length; i++) mix(t.charCodeAt(i));
  } else {
    for (const id of req.prompt.ids) mix(id);
  }
  if (req.seed !== null) mix(req.seed | 0);
  return h >>> 0;
}

// ---------------------------------------------------------------------------
// Generated text: "the" then " the" per token. Each repetition is exactly one
// token under the Llama 2 SentencePiece and o200k tokenizers, with or without
// SentencePiece's prefix space, so a client re-tokenizing the whole text gets the
// usage count (test/unit/sim/protocol.test.ts checks both vocabularies).

export const FIRST_TOKEN_TEXT = 'the';
export const NEXT_TOKEN_TEXT = ' the';

export function generatedText(startIndex: number, count: number): string {
  if (count <= 0) return '';
  return startIndex === 0 ? FIRST_TOKEN_TEXT + NEXT_TOKEN_TEXT.repeat(count - 1) : NEXT_TOKEN_TEXT.repeat(count);
}

// ---------------------------------------------------------------------------
// Response JSON

export interface ResponseContext {
  api: Api;
  id: string;
  created: number;
  /** JSON.stringify(model name) */
  modelJson: string;
  promptTokens: number;
  includeUsage: boolean;
  continuousUsage: boolean;
}

export function usageJson(promptTokens: number, completionTokens: number): string {
  return `{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens + completionTokens},"completion_tokens":${completionTokens}}`;
}

function chunkHead(ctx: ResponseContext): string {
  const object = ctx.api === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  return `{"id":"${ctx.id}","object":"${object}","created":${ctx.created},"model":${ctx.modelJson}`;
}

function chunkUsage(ctx: ResponseContext, completionTokens: number): string {
  if (ctx.continuousUsage) return `,"usage":${usageJson(ctx.promptTokens, completionTokens)}`;
  // OpenAI: with include_usage every other chunk carries "usage": null.
  return ctx.includeUsage ? ',"usage":null' : '';
}

/** vLLM's first chat chunk: the role, empty content, no tokens. */
export function roleChunk(ctx: ResponseContext): string {
  return `data: ${chunkHead(ctx)},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${chunkUsage(ctx, 0)}}\n\n`;
}

export function contentChunk(ctx: ResponseContext, text: string, finishReason: FinishReason | null, completionTokens: number): string {
  const fr = finishReason === null ? 'null' : `"${finishReason}"`;
  const choice =
    ctx.api === 'chat'
      ? `{"index":0,"delta":{"content":"${text}"},"logprobs":null,"finish_reason":${fr}}`
      : `{"index":0,"text":"${text}","logprobs":null,"finish_reason":${fr},"stop_reason":null}`;
  return `data: ${chunkHead(ctx)},"choices":[${choice}]${chunkUsage(ctx, completionTokens)}}\n\n`;
}

/** The include_usage chunk: `choices: []`, then [DONE] follows. */
export function usageChunk(ctx: ResponseContext, completionTokens: number): string {
  return `data: ${chunkHead(ctx)},"choices":[],"usage":${usageJson(ctx.promptTokens, completionTokens)}}\n\n`;
}

export const DONE_LINE = 'data: [DONE]\n\n';

/** vLLM's error event inside a 200 stream. */
export function errorEvent(message: string): string {
  return `data: ${errorBody({ status: 500, type: 'InternalServerError', message, param: null })}\n\n`;
}

export function nonStreamBody(ctx: ResponseContext, text: string, finishReason: FinishReason, completionTokens: number, withUsage: boolean): string {
  const object = ctx.api === 'chat' ? 'chat.completion' : 'text_completion';
  const choice =
    ctx.api === 'chat'
      ? `{"index":0,"message":{"role":"assistant","content":"${text}"},"logprobs":null,"finish_reason":"${finishReason}"}`
      : `{"index":0,"text":"${text}","logprobs":null,"finish_reason":"${finishReason}","stop_reason":null}`;
  const usage = withUsage ? `,"usage":${usageJson(ctx.promptTokens, completionTokens)}` : '';
  return `{"id":"${ctx.id}","object":"${object}","created":${ctx.created},"model":${ctx.modelJson},"choices":[${choice}]${usage}}`;
}

/** GET /v1/models in vLLM's shape. */
export function modelsBody(model: string, created: number, maxModelLen: number): string {
  return JSON.stringify({
    object: 'list',
    data: [
      {
        id: model,
        object: 'model',
        created,
        owned_by: 'vllm',
        root: model,
        parent: null,
        max_model_len: maxModelLen,
        permission: [
          {
            id: `modelperm-tokbench-sim`,
            object: 'model_permission',
            created,
            allow_create_engine: false,
            allow_sampling: true,
            allow_logprobs: true,
            allow_search_indices: false,
            allow_view: true,
            allow_fine_tuning: false,
            organization: '*',
            group: null,
            is_blocking: false,
          },
        ],
      },
    ],
  });
}
