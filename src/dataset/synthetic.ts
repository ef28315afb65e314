/**
 * Synthetic prompts with an exact input token count under the benchmark's real
 * tokenizer.
 *
 * What `inputTokens` counts: the ids the server runs prefill on for the sample
 * sent to /v1/completions. For Llama 2 that includes BOS, as MLPerf's `tok_input`
 * does: `promptTokenIds` = [1, ...], `inputTokens` = promptTokenIds.length, and
 * `prompt` is text that the server (which adds BOS itself) encodes to the same
 * ids. GPT-OSS (o200k_harmony) has no BOS: the ids are the text's tokens. Sent
 * through /v1/chat/completions, the server adds its chat template around the
 * prompt (see chat.ts), so it counts more.
 *
 * How exactness is kept without encoding every prompt: a prompt is a capitalised
 * lead word followed by lowercase words, each a single vocabulary token that
 * round-trips (decode → encode gives back the same one id). Both tokenizers cut
 * text at the space before a word and never merge across it (o200k's
 * pre-tokenizer regex splits " word" pieces; no Llama 2 piece has "▁" after
 * another character, which tokenizers.ts checks at load), so N such words encode
 * to exactly N tokens. A sample of prompts is still encoded with the real
 * tokenizer after generation, and any mismatch switches to checking (and
 * repairing) every prompt.
 */
import { ConfigError, type Problem } from '../errors.js';
import { Rng } from '../util/rng.js';
import { describeLengthDistribution, drawLength, validateLengthDistribution } from './lengths.js';
import { datasetSeed } from './seed.js';
import { bosIdsFor, VOCAB_SIZE } from './tokenizers.js';
import { LLAMA2_SAFE_VOCAB } from './safe-vocab-llama2.js';
import type { LengthDistribution, Sample, SampleLibrary, Tokenizer } from './types.js';

export interface SyntheticOptions {
  /** number of distinct samples (LoadGen performance_sample_count) */
  size: number;
  tokenizer: Tokenizer;
  /** prompt length in tokens, BOS included for Llama 2 (see the module comment) */
  inputTokens: LengthDistribution;
  /** per-sample requested output length (Sample.outputTokens) */
  outputTokens: LengthDistribution;
  seed: string | bigint;
  /**
   * Which prompts are re-encoded with the real tokenizer to confirm their count:
   * `sample` (default) checks the first SPOT_CHECK_SAMPLES and escalates to all
   * on any mismatch; `all` checks every prompt (slower: a full encode).
   */
  verify?: 'sample' | 'all';
}

/** Prompts re-encoded after generation by the default `verify: 'sample'`. */
export const SPOT_CHECK_SAMPLES = 64;

interface SafeVocab {
  /** capitalised words that start a prompt (no leading space) */
  leadIds: Int32Array;
  leadText: string[];
  /** lowercase words with their leading space, in id order (lower ids = more frequent merges) */
  wordIds: Int32Array;
  wordText: string[];
}

const safeVocabCache = new WeakMap<Tokenizer, SafeVocab>();

/**
 * The single-token words of a tokenizer's vocabulary that survive a decode →
 * encode round trip unchanged, once per tokenizer: for Llama 2 from the list
 * bench/gen-safe-vocab.ts made with scanSafeVocabulary (the scan takes ~1 s at
 * start-up, issue 14), for o200k by the scan (~0.2 s). A list that no longer
 * fits the tokenizer is caught by the spot check of makeSyntheticLibrary.
 */
export function safeVocabulary(tokenizer: Tokenizer): SafeVocab {
  const cached = safeVocabCache.get(tokenizer);
  if (cached) return cached;
  const vocab = tokenizer.name === 'llama2' ? listedLlama2Vocabulary(tokenizer) : scanSafeVocabulary(tokenizer);
  safeVocabCache.set(tokenizer, vocab);
  return vocab;
}

function listedLlama2Vocabulary(tokenizer: Tokenizer): SafeVocab {
  const leadIds = decodeIds(LLAMA2_SAFE_VOCAB.lead);
  const wordIds = decodeIds(LLAMA2_SAFE_VOCAB.words);
  // Llama decode drops a piece's leading "▁": a word follows another with a space
  return {
    leadIds,
    leadText: Array.from(leadIds, (id) => tokenizer.decode([id])),
    wordIds,
    wordText: Array.from(wordIds, (id) => ' ' + tokenizer.decode([id])),
  };
}

/** Ascending ids as base-36 deltas, space-separated (safe-vocab-llama2.ts). */
export function encodeIds(ids: ArrayLike<number>): string {
  const out: string[] = [];
  let prev = 0;
  for (let i = 0; i < ids.length; i++) {
    out.push((ids[i]! - prev).toString(36));
    prev = ids[i]!;
  }
  return out.join(' ');
}

export function decodeIds(text: string): Int32Array {
  const parts = text.split(' ');
  const ids = new Int32Array(parts.length);
  let prev = 0;
  for (let i = 0; i < parts.length; i++) ids[i] = prev += parseInt(parts[i]!, 36);
  return ids;
}

/** The scan itself: decode and re-encode every ordinary id. */
export function scanSafeVocabulary(tokenizer: Tokenizer): SafeVocab {
  const leadIds: number[] = [];
  const leadText: string[] = [];
  const wordIds: number[] = [];
  const wordText: string[] = [];
  const llama = tokenizer.name === 'llama2';
  // Only ordinary ids: o200k's specials and reserved ids start at 199998.
  const limit = llama ? VOCAB_SIZE.llama2 : 199_998;
  for (let id = llama ? 3 : 0; id < limit; id++) {
    let text: string;
    try {
      text = tokenizer.decode([id]);
    } catch {
      continue;
    }
    // Llama decode drops the piece's leading "▁"; encode adds it back (dummy
    // prefix), so a word piece round-trips as bare text and is preceded by a
    // space only when it follows another word.
    const word = llama ? (/^[a-z]+$/.test(text) ? ' ' + text : null) : /^ [a-z]+$/.test(text) ? text : null;
    const isLead = /^[A-Z][a-z]+$/.test(text);
    if (word === null && !isLead) continue;
    const back = tokenizer.encode(text);
    if (back.length !== 1 || back[0] !== id) continue;
    if (isLead) {
      leadIds.push(id);
      leadText.push(text);
    } else if (word !== null) {
      wordIds.push(id);
      wordText.push(word);
    }
  }
  if (leadIds.length < 100 || wordIds.length < 1000) {
    throw new Error(`${tokenizer.name}: too few single-token words for synthetic prompts (${leadIds.length} lead, ${wordIds.length} words)`);
  }
  return { leadIds: Int32Array.from(leadIds), leadText, wordIds: Int32Array.from(wordIds), wordText };
}

export function makeSyntheticLibrary(opts: SyntheticOptions): SampleLibrary {
  const { size, tokenizer, inputTokens, outputTokens } = opts;
  validateSyntheticOptions(opts);
  const seed = datasetSeed(opts.seed);
  const layout = promptLayout(seed, size, tokenizer);
  const samples: Sample[] = new Array<Sample>(size);
  for (let index = 0; index < size; index++) samples[index] = makeSample(index, seed, layout, inputTokens, outputTokens);
  verifySamples(samples, opts.verify === 'all', tokenizer, layout);
  return {
    samples,
    tokenizer: tokenizer.name,
    source: `synthetic(${tokenizer.name}, input ${describeLengthDistribution(inputTokens)}, output ${describeLengthDistribution(outputTokens)}, seed ${String(opts.seed)})`,
  };
}

function validateSyntheticOptions(opts: SyntheticOptions): void {
  const problems: Problem[] = [];
  if (!Number.isInteger(opts.size) || opts.size < 1) {
    problems.push({ where: 'dataset.size', message: `must be a whole number >= 1, got ${opts.size}`, hint: 'e.g. 24576 (Llama 2) or 6396 (GPT-OSS)' });
  }
  problems.push(...validateLengthDistribution(opts.inputTokens, 'dataset.inputTokens'));
  problems.push(...validateLengthDistribution(opts.outputTokens, 'dataset.outputTokens'));
  if (problems.length > 0) throw new ConfigError(problems, 'invalid synthetic dataset');
}

/** What every prompt of one library is drawn from: the safe words, their shuffled orders, the BOS ids. */
interface PromptLayout {
  vocab: SafeVocab;
  bos: readonly number[];
  leadOrder: Uint32Array;
  wordOrder: Uint32Array;
  /** words of the distinct prefix */
  digits: number;
}

function promptLayout(seed: bigint, size: number, tokenizer: Tokenizer): PromptLayout {
  const vocab = safeVocabulary(tokenizer);
  const bos = bosIdsFor(tokenizer.name);
  const leadCount = vocab.leadIds.length;
  const wordCount = vocab.wordIds.length;
  // Stream 0 fixes the word orders that make prompt prefixes distinct.
  const layoutRng = new Rng(seed, 0);
  const leadOrder = Uint32Array.from({ length: leadCount }, (_, i) => i);
  const wordOrder = Uint32Array.from({ length: wordCount }, (_, i) => i);
  layoutRng.shuffle(leadOrder);
  layoutRng.shuffle(wordOrder);
  return { vocab, bos, leadOrder, wordOrder, digits: prefixDigits(size, leadCount, wordCount) };
}

function makeSample(index: number, seed: bigint, layout: PromptLayout, inputTokens: LengthDistribution, outputTokens: LengthDistribution): Sample {
  const { vocab, bos, leadOrder, wordOrder, digits } = layout;
  const leadCount = vocab.leadIds.length;
  const wordCount = vocab.wordIds.length;
  // Two streams per sample, so sample i does not depend on the library size,
  // and changing the output distribution does not change any prompt.
  const lengthRng = new Rng(seed, 2 * index + 1);
  const wordRng = new Rng(seed, 2 * index + 2);
  const total = drawLength(inputTokens, lengthRng);
  const output = drawLength(outputTokens, lengthRng);
  const bodyTokens = total - bos.length;

  const ids = new Array<number>(total);
  for (let i = 0; i < bos.length; i++) ids[i] = bos[i]!;
  const parts = new Array<string>(Math.max(0, bodyTokens));
  // Mixed-radix digits of the index pick the first `digits` words, so no two
  // samples share a first block of tokens (a prefix cache cannot hit across them).
  let rest = index;
  for (let k = 0; k < bodyTokens; k++) {
    let w: number;
    if (k === 0) {
      w = leadOrder[rest % leadCount]!;
      rest = Math.floor(rest / leadCount);
      ids[bos.length] = vocab.leadIds[w]!;
      parts[0] = vocab.leadText[w]!;
      continue;
    }
    if (k < digits) {
      w = wordOrder[rest % wordCount]!;
      rest = Math.floor(rest / wordCount);
    } else {
      // Squaring a uniform draw favours low ids, the tokenizer's most common
      // words, so prompts read more like text than a uniform vocabulary dump.
      const u = wordRng.next();
      w = Math.floor(u * u * wordCount);
    }
    ids[bos.length + k] = vocab.wordIds[w]!;
    parts[k] = vocab.wordText[w]!;
  }
  return { index, prompt: parts.join(''), promptTokenIds: ids, messages: null, inputTokens: total, outputTokens: output, reference: null };
}

/** Re-tokenize a spot check (or all) of the prompts; one mismatch and every sample is checked. */
function verifySamples(samples: Sample[], checkAll: boolean, tokenizer: Tokenizer, layout: PromptLayout): void {
  const size = samples.length;
  const spotChecked = checkAll ? size : Math.min(size, SPOT_CHECK_SAMPLES);
  let mismatched = false;
  for (let i = 0; i < spotChecked; i++) {
    if (!confirm(samples[i]!, tokenizer, layout.bos, layout.vocab)) mismatched = true;
  }
  if (mismatched) {
    for (let i = spotChecked; i < size; i++) confirm(samples[i]!, tokenizer, layout.bos, layout.vocab);
  }
}

/**
 * Words of the distinct prefix: the lead word and one more (38 M samples for
 * Llama 2), or more if `size` needs them. Never fewer than two, so a sample's
 * prompt does not depend on the library size.
 */
function prefixDigits(size: number, leadCount: number, wordCount: number): number {
  let digits = 2;
  let capacity = leadCount * wordCount;
  while (capacity < size) {
    capacity *= wordCount;
    digits++;
  }
  return digits;
}

/**
 * Re-encode a prompt with the real tokenizer; if its count is off, repair it by
 * trimming or adding words until it encodes to exactly the requested count, and
 * take the real ids. Returns whether the sample was already exact.
 */
function confirm(sample: Sample, tokenizer: Tokenizer, bos: readonly number[], vocab: SafeVocab): boolean {
  const want = sample.inputTokens - bos.length;
  const text = sample.prompt ?? '';
  let ids = tokenizer.encode(text);
  if (ids.length === want && sameTail(ids, sample.promptTokenIds!, bos.length)) return true;

  let words = text.length === 0 ? [] : text.split(/(?= )/);
  for (let attempt = 0; attempt < 4 * want + 64 && ids.length !== want; attempt++) {
    if (ids.length > want) words = words.slice(0, -1);
    else words.push(words.length === 0 ? vocab.leadText[attempt % vocab.leadText.length]! : vocab.wordText[attempt % vocab.wordText.length]!);
    ids = tokenizer.encode(words.join(''));
  }
  if (ids.length !== want) {
    throw new Error(`synthetic sample ${sample.index}: could not build a prompt of ${sample.inputTokens} ${tokenizer.name} tokens`);
  }
  sample.prompt = words.join('');
  sample.promptTokenIds = [...bos, ...ids];
  return false;
}

function sameTail(ids: readonly number[], withBos: readonly number[], offset: number): boolean {
  for (let i = 0; i < ids.length; i++) if (ids[i] !== withBos[offset + i]) return false;
  return true;
}
