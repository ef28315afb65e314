/**
 * The benchmark tokenizers, from npm packages that carry their vocabularies
 * (no downloads at run time): Llama 2 SentencePiece BPE via llama-tokenizer-js,
 * GPT-OSS o200k_harmony via gpt-tokenizer. Both vocabularies are large (the
 * o200k ranks take ~300 ms to load), so each is imported on first use and cached.
 */
import { ConfigError } from '../errors.js';
import type { Tokenizer, TokenizerName } from './types.js';

/** Llama 2 specials (SentencePiece `<s>`, `</s>`). */
export const LLAMA2_BOS_ID = 1;
export const LLAMA2_EOS_ID = 2;

/** o200k_harmony specials (servers.md §6.1). */
export const HARMONY_IDS = {
  return: 200002,
  channel: 200005,
  start: 200006,
  end: 200007,
  message: 200008,
} as const;

/** Valid ids are [0, VOCAB_SIZE). o200k_harmony reserves up to 201087 (servers.md §6.1). */
export const VOCAB_SIZE: Record<TokenizerName, number> = {
  llama2: 32_000,
  o200k_harmony: 201_088,
};

export const TOKENIZER_NAMES: readonly TokenizerName[] = ['llama2', 'o200k_harmony'];

/**
 * Ids a server puts in front of an encoded text prompt (`add_special_tokens`):
 * Llama 2 servers prepend BOS, as MLPerf's `tok_input` does; harmony has no BOS.
 */
export function bosIdsFor(name: TokenizerName): readonly number[] {
  return name === 'llama2' ? [LLAMA2_BOS_ID] : [];
}

/**
 * The ids a server sees for a text prompt sent to /v1/completions: BOS (if the
 * model has one) followed by the text's tokens. Its length is the sample's
 * `inputTokens` for text prompts.
 */
export function promptIdsForText(tokenizer: Tokenizer, text: string): number[] {
  const bos = bosIdsFor(tokenizer.name);
  const body = tokenizer.encode(text);
  return bos.length === 0 ? body : [...bos, ...body];
}

const cache = new Map<TokenizerName, Promise<Tokenizer>>();

export function loadTokenizer(name: TokenizerName): Promise<Tokenizer> {
  let pending = cache.get(name);
  if (pending === undefined) {
    // The name may come straight from an untyped scenario file.
    if (!TOKENIZER_NAMES.includes(name)) {
      return Promise.reject(
        new ConfigError({
          where: 'dataset.tokenizer',
          message: `unknown tokenizer ${JSON.stringify(name)}`,
          hint: `use one of ${TOKENIZER_NAMES.join(', ')}`,
        }),
      );
    }
    pending = name === 'llama2' ? loadLlama2() : loadHarmony();
    // A failed import must not poison the cache for a later retry.
    pending.catch(() => cache.delete(name));
    cache.set(name, pending);
  }
  return pending;
}

// ---------------------------------------------------------------- Llama 2

interface LlamaModule {
  vocabById: string[];
  encode(text: string, addBos?: boolean, addPrecedingSpace?: boolean): number[];
  decode(ids: number[], addBos?: boolean, addPrecedingSpace?: boolean): string;
}

/** Bounded so a huge file of distinct words cannot grow memory without limit. */
const LLAMA_CHUNK_CACHE_MAX_ENTRIES = 200_000;

async function loadLlama2(): Promise<Tokenizer> {
  const mod = (await import('llama-tokenizer-js')) as unknown as { default: LlamaModule };
  const llama = mod.default;
  const forEachChunk = llamaChunker(llama);
  const countIds = (text: string, dummyPrefix: boolean): number => {
    let n = 0;
    forEachChunk(
      text,
      (ids) => {
        n += ids.length;
      },
      dummyPrefix,
    );
    return n;
  };
  return {
    name: 'llama2',
    encode(text: string): number[] {
      const out: number[] = [];
      forEachChunk(text, (ids) => {
        for (const id of ids) out.push(id);
      });
      return out;
    },
    count: (text: string): number => countIds(text, true),
    // Generated text has no dummy prefix: a server's detokenizer renders the first token's ▁ as
    // the text's leading space (vLLM decodes output with the prompt as context), so the text as it
    // stands is what the tokens spell.
    countOutput: (text: string): number => countIds(text, false),
    decode(ids: readonly number[]): string {
      // Drop <unk>/<s>/</s> as servers do with skip_special_tokens.
      const plain: number[] = [];
      for (const id of ids) {
        checkId(id, 'llama2');
        if (id > LLAMA2_EOS_ID) plain.push(id);
      }
      return llama.decode(plain, false, true);
    },
  };
}

type ChunkVisitor = (text: string, visit: (ids: number[]) => void, dummyPrefix?: boolean) => void;

/**
 * Encodes text chunk by chunk, visiting each chunk's ids in order.
 *
 * SentencePiece replaces spaces with U+2581. If no vocabulary piece holds U+2581
 * right after another character, no BPE merge can join a word to the space that
 * starts the next one, so the text can be encoded chunk by chunk at those spaces
 * with the exact result of one whole-string encode. llama-tokenizer-js is
 * ~50k tokens/s on a 1,000-token string (one priority queue over the whole
 * string); per-chunk encoding with a cache is two orders of magnitude faster.
 */
function llamaChunker(llama: LlamaModule): ChunkVisitor {
  const splitIsExact = !llama.vocabById.some((piece) => /[^\u2581]\u2581/u.test(piece));
  const chunkCache = new Map<string, number[]>();

  function encodeChunk(chunk: string): number[] {
    let ids = chunkCache.get(chunk);
    if (ids === undefined) {
      ids = llama.encode(chunk, false, false);
      if (chunkCache.size >= LLAMA_CHUNK_CACHE_MAX_ENTRIES) chunkCache.clear();
      chunkCache.set(chunk, ids);
    }
    return ids;
  }

  // The dummy prefix: SentencePiece (and so every Llama 2 server, via HF's
  // LlamaTokenizer) encodes "Hello" as "▁Hello" = 15043, and the ids quoted in
  // servers.md §7 start with 518 = "▁[". Encoding without the preceding space
  // would count differently from the server, so it is on for prompts.
  return function forEachChunk(text, visit, dummyPrefix = true): void {
    if (text.length === 0) return;
    const spaced = dummyPrefix ? ' ' + text : text;
    if (!splitIsExact) {
      visit(llama.encode(spaced, false, false));
      return;
    }
    let start = 0;
    for (let i = 1; i < spaced.length; i++) {
      if (isSpace(spaced.charCodeAt(i)) && !isSpace(spaced.charCodeAt(i - 1))) {
        visit(encodeChunk(spaced.slice(start, i)));
        start = i;
      }
    }
    visit(encodeChunk(spaced.slice(start)));
  };
}

/** A space, or a literal "▁", which llama-tokenizer-js cannot tell apart from one. */
function isSpace(code: number): boolean {
  return code === 32 || code === 0x2581;
}

// ---------------------------------------------------------------- o200k_harmony

interface HarmonyModule {
  encode(text: string, opts?: { disallowedSpecial?: Set<string> }): number[];
  decode(ids: Iterable<number>): string;
}

async function loadHarmony(): Promise<Tokenizer> {
  const mod = (await import('gpt-tokenizer/encoding/o200k_harmony')) as unknown as HarmonyModule;
  // Text that spells a special token ("<|end|>") is counted as plain text: by
  // default gpt-tokenizer throws on it, and a user prompt must never abort a run.
  const plainText = { disallowedSpecial: new Set<string>() };
  return {
    name: 'o200k_harmony',
    encode(text: string): number[] {
      return text.length === 0 ? [] : mod.encode(text, plainText);
    },
    count(text: string): number {
      return text.length === 0 ? 0 : mod.encode(text, plainText).length;
    },
    // o200k has no dummy prefix: output text counts as any text does.
    countOutput(text: string): number {
      return text.length === 0 ? 0 : mod.encode(text, plainText).length;
    },
    decode(ids: readonly number[]): string {
      for (const id of ids) checkId(id, 'o200k_harmony');
      return mod.decode(ids);
    },
  };
}

function checkId(id: number, name: TokenizerName): void {
  if (!Number.isInteger(id) || id < 0 || id >= VOCAB_SIZE[name]) {
    throw new RangeError(`token id ${id} is outside the ${name} vocabulary [0, ${VOCAB_SIZE[name]})`);
  }
}
