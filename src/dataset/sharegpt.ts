/**
 * ShareGPT JSON (the file vLLM's `benchmark_serving --dataset-name sharegpt`
 * reads): an array of `{conversations: [{from: "human"|"gpt", value}, ...]}`.
 * A sample is the first human turn (prompt) and the gpt turn right after it
 * (reference; its token count is the sample's outputTokens). Pairs are kept
 * with vLLM's filters: prompt and output at least 4 tokens, prompt at most
 * 1,024, prompt + output at most 2,048.
 *
 * Differences from vLLM, on purpose: vLLM takes turns [0] and [1] whatever their
 * roles, and counts the output with the tokenizer's special tokens (so +1 BOS
 * for Llama 2); here the output is the reply's own tokens, what the server
 * generates. The prompt counts BOS, as the server does.
 */
import { ConfigError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { isPlainObject, preview, ProblemList, readDatasetFile } from './files.js';
import { datasetSeed } from './seed.js';
import { promptIdsForText } from './tokenizers.js';
import type { Sample, SampleLibrary, Tokenizer } from './types.js';

export interface ShareGptFilters {
  /** drop pairs whose prompt or output is shorter */
  minTokens: number;
  maxPromptTokens: number;
  maxTotalTokens: number;
}

/** vLLM benchmark_dataset.py `is_valid_sequence` defaults. */
export const SHAREGPT_FILTERS: ShareGptFilters = { minTokens: 4, maxPromptTokens: 1024, maxTotalTokens: 2048 };

export interface ShareGptOptions {
  /** stop after this many kept samples (vLLM's --num-prompts); default all */
  maxSamples?: number;
  /** visit entries in a seeded shuffled order, as vLLM does; default file order */
  seed?: string | bigint;
  filters?: Partial<ShareGptFilters>;
}

const HUMAN = new Set(['human', 'user']);
const GPT = new Set(['gpt', 'assistant', 'chatgpt', 'bard', 'model']);
const FORMAT_HINT = 'ShareGPT format: [{"conversations": [{"from": "human", "value": "..."}, {"from": "gpt", "value": "..."}]}, ...]';

export async function loadShareGpt(path: string, tokenizer: Tokenizer, opts: ShareGptOptions = {}): Promise<SampleLibrary> {
  const maxSamples = opts.maxSamples ?? Infinity;
  if (maxSamples !== Infinity && (!Number.isInteger(maxSamples) || maxSamples < 1)) {
    throw new ConfigError({ where: 'dataset.size', message: `must be a whole number >= 1, got ${maxSamples}`, hint: 'the number of ShareGPT samples to keep' });
  }
  const bytes = await readDatasetFile(path);
  const entries = splitTopLevelArray(bytes, path);
  const filters = { ...SHAREGPT_FILTERS, ...opts.filters };

  const order = Uint32Array.from({ length: entries.length }, (_, i) => i);
  if (opts.seed !== undefined) new Rng(datasetSeed(opts.seed), 0).shuffle(order);

  const problems = new ProblemList();
  const samples: Sample[] = [];
  const skipped = { noPair: 0, short: 0, long: 0 };
  for (let k = 0; k < order.length && samples.length < maxSamples && !problems.full; k++) {
    const index = order[k]!;
    const entry = entries[index]!;
    const where = `${path}[${index}] (line ${entry.line})`;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8', entry.start, entry.end));
    } catch (err) {
      problems.add({ where, message: `not valid JSON (${(err as Error).message})`, hint: FORMAT_HINT });
      continue;
    }
    const pair = findPair(value);
    if (typeof pair === 'string') {
      problems.add({ where, message: pair, hint: FORMAT_HINT });
      continue;
    }
    if (pair === null) {
      skipped.noPair++;
      continue;
    }
    const ids = promptIdsForText(tokenizer, pair.prompt);
    const outputTokens = tokenizer.count(pair.reply);
    if (ids.length < filters.minTokens || outputTokens < filters.minTokens) {
      skipped.short++;
      continue;
    }
    if (ids.length > filters.maxPromptTokens || ids.length + outputTokens > filters.maxTotalTokens) {
      skipped.long++;
      continue;
    }
    samples.push({
      index: samples.length,
      prompt: pair.prompt,
      promptTokenIds: ids,
      messages: null,
      inputTokens: ids.length,
      outputTokens,
      reference: pair.reply,
    });
  }

  problems.throwIfAny(path, 'ShareGPT dataset');
  const visited = samples.length + skipped.noPair + skipped.short + skipped.long;
  const summary =
    `kept ${samples.length} of ${visited} entries read (${entries.length} in the file); skipped ${skipped.noPair} without a human→gpt pair, ` +
    `${skipped.short} under ${filters.minTokens} tokens, ${skipped.long} over ${filters.maxPromptTokens} prompt / ${filters.maxTotalTokens} total tokens`;
  if (samples.length === 0) {
    throw new ConfigError({ where: path, message: `no usable samples: ${summary}`, hint: FORMAT_HINT });
  }
  return { samples, tokenizer: tokenizer.name, source: `sharegpt(${path}: ${summary})` };
}

/** The first human turn and the gpt turn right after it; null if there is none; a string describes a malformed entry. */
function findPair(entry: unknown): { prompt: string; reply: string } | null | string {
  if (!isPlainObject(entry)) return `expected an object with "conversations", got ${preview(entry)}`;
  const turns = entry.conversations;
  if (!Array.isArray(turns)) return `"conversations" must be an array, got ${preview(turns)}`;
  for (let i = 0; i < turns.length; i++) {
    const turn: unknown = turns[i];
    if (!isPlainObject(turn) || typeof turn.from !== 'string' || typeof turn.value !== 'string') {
      return `conversations[${i}] must be {"from": string, "value": string}, got ${preview(turn)}`;
    }
  }
  for (let i = 0; i + 1 < turns.length; i++) {
    const turn = turns[i] as { from: string; value: string };
    if (!HUMAN.has(turn.from.toLowerCase())) continue;
    const next = turns[i + 1] as { from: string; value: string };
    return GPT.has(next.from.toLowerCase()) ? { prompt: turn.value, reply: next.value } : null;
  }
  return null;
}

interface EntrySpan {
  start: number;
  end: number;
  /** 1-based line of the entry's first byte */
  line: number;
}

/**
 * Byte spans of the elements of a top-level JSON array, found by a scan that
 * tracks strings and nesting only. Each element is parsed later on its own, so
 * a file larger than V8's biggest string still loads, and only visited entries
 * are parsed at all.
 */
export function splitTopLevelArray(bytes: Buffer, path: string): EntrySpan[] {
  const spans: EntrySpan[] = [];
  const syntax = (line: number, message: string): never => {
    throw new ConfigError({ where: `${path}:${line}`, message, hint: FORMAT_HINT });
  };
  let i = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  let depth = 0;
  let opened = false;
  let closed = false;
  let elementStart = -1;
  let elementLine = 0;
  let afterComma = false;
  for (; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0a) {
      line++;
      continue;
    }
    if (b === 0x20 || b === 0x09 || b === 0x0d) continue;
    if (closed) syntax(line, 'unexpected content after the closing ]');
    if (depth === 0) {
      if (opened || b !== 0x5b) syntax(line, 'expected a JSON array of conversations');
      opened = true;
      depth = 1;
      continue;
    }
    if (depth === 1) {
      if (b === 0x2c || b === 0x5d) {
        if (elementStart >= 0) spans.push({ start: elementStart, end: i, line: elementLine });
        else if (b === 0x2c || afterComma) syntax(line, b === 0x2c ? 'unexpected , (missing entry)' : 'trailing , before ]');
        afterComma = b === 0x2c;
        elementStart = -1;
        if (b === 0x5d) {
          depth = 0;
          closed = true;
        }
        continue;
      }
      if (elementStart < 0) {
        elementStart = i;
        elementLine = line;
      } else {
        // Back at depth 1 after a complete object, array or string: only , or ] may follow.
        const first = bytes[elementStart];
        if (first === 0x7b || first === 0x5b || first === 0x22) syntax(line, 'missing , between entries');
      }
    }
    if (b === 0x22) {
      // Skip the string, so brackets and quotes inside it do not count.
      for (i++; i < bytes.length; i++) {
        const c = bytes[i]!;
        if (c === 0x5c) i++;
        else if (c === 0x22) break;
        else if (c === 0x0a) line++;
      }
      if (i >= bytes.length) syntax(line, 'unterminated string');
    } else if (b === 0x7b || b === 0x5b) {
      depth++;
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
    }
  }
  if (!opened) syntax(line, 'empty file: expected a JSON array of conversations');
  if (!closed) syntax(line, 'unexpected end of file: the top-level array is not closed');
  return spans;
}
