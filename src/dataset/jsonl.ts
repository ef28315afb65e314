/**
 * JSONL datasets: one JSON object per line, in file order. A line gives its
 * prompt as exactly one of
 *   - `prompt`: text, sent as text or as [BOS +] its ids; counted as a server would (tokenizers.ts)
 *   - `input_ids` / `tok_input` / `input_tokens`: token ids, sent as given (MLPerf's
 *     Llama 2 `tok_input` already starts with BOS 1; nothing is added)
 *   - `messages`: a chat, counted through the model's chat template (chat.ts)
 * and optionally `output_tokens` (alias `max_tokens`) and `reference` (aliases
 * `output`, `answer`). Other keys are ignored, so richer records load as they are.
 */
import { ConfigError, didYouMean } from '../errors.js';
import { isChatRole, renderChatIds, type ChatRenderOptions } from './chat.js';
import { isPlainObject, preview, ProblemList, readDatasetFile } from './files.js';
import { promptIdsForText, VOCAB_SIZE } from './tokenizers.js';
import type { ChatMessage, Sample, SampleLibrary, Tokenizer } from './types.js';

export interface FileLoadOptions {
  /** how chat samples are rendered for counting (reasoning effort for harmony) */
  chat?: ChatRenderOptions;
}

const PROMPT_KEYS = ['prompt', 'input_ids', 'tok_input', 'input_tokens', 'messages'] as const;
const ID_KEYS: readonly string[] = ['input_ids', 'tok_input', 'input_tokens'];
const OUTPUT_KEYS = ['output_tokens', 'max_tokens'] as const;
const REFERENCE_KEYS = ['reference', 'output', 'answer'] as const;
const KNOWN_KEYS: readonly string[] = [...PROMPT_KEYS, ...OUTPUT_KEYS, ...REFERENCE_KEYS];

const LINE_HINT =
  'each line: {"prompt": "..."} or {"input_ids": [1, ...]} or {"messages": [{"role": "user", "content": "..."}]}, ' +
  'optionally "output_tokens": N and "reference": "..."';

export async function loadJsonl(path: string, tokenizer: Tokenizer, opts: FileLoadOptions = {}): Promise<SampleLibrary> {
  const bytes = await readDatasetFile(path);
  const problems = new ProblemList();
  const samples: Sample[] = [];

  let lineNo = 0;
  let start = 0;
  while (start <= bytes.length && !problems.full) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    lineNo++;
    let line = bytes.toString('utf8', start, end);
    start = end + 1;
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim() === '') continue;

    const where = `${path}:${lineNo}`;
    const fail = (message: string, hint = LINE_HINT): void => problems.add({ where, message, hint });
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      fail(`not valid JSON (${(err as Error).message})`);
      continue;
    }
    if (!isPlainObject(record)) {
      fail(`expected a JSON object, got ${preview(record)}`);
      continue;
    }
    const sample = parseRecord(record, samples.length, tokenizer, opts, where, fail);
    if (sample !== null) samples.push(sample);
  }

  problems.throwIfAny(path, 'JSONL dataset');
  if (samples.length === 0) {
    throw new ConfigError({ where: path, message: 'no samples: the file is empty or has only blank lines', hint: LINE_HINT });
  }
  return { samples, tokenizer: tokenizer.name, source: `jsonl(${path}, ${samples.length} samples)` };
}

type Fail = (message: string, hint?: string) => void;

function parseRecord(record: Record<string, unknown>, index: number, tokenizer: Tokenizer, opts: FileLoadOptions, where: string, fail: Fail): Sample | null {
  const key = promptKey(record, fail);
  if (key === null) return null;
  const prompt = parsePrompt(key, record[key], tokenizer, opts, where, fail);
  // Every field is checked, so one line's problems come out together.
  const output = parseOutputTokens(record, fail);
  const reference = parseReference(record, fail);
  if (!prompt.ok || !output.ok || !reference.ok || prompt.ids === null) return null;
  return {
    index,
    prompt: prompt.text,
    promptTokenIds: prompt.ids,
    messages: prompt.messages,
    inputTokens: prompt.ids.length,
    outputTokens: output.value,
    reference: reference.value,
  };
}

/** The one prompt field a record has, with a did-you-mean when it has none. */
function promptKey(record: Record<string, unknown>, fail: Fail): string | null {
  const given = PROMPT_KEYS.filter((k) => record[k] !== undefined && record[k] !== null);
  if (given.length === 0) {
    const keys = Object.keys(record);
    const guesses = keys
      .filter((k) => !KNOWN_KEYS.includes(k))
      .map((k) => [k, didYouMean(k, PROMPT_KEYS)] as const)
      .filter(([, g]) => g !== undefined);
    const guess = guesses.length > 0 ? ` (did you mean ${guesses[0]![1]} instead of ${guesses[0]![0]}?)` : '';
    fail(`no prompt: expected one of ${PROMPT_KEYS.join(', ')}; found keys ${keys.length ? keys.join(', ') : '(none)'}${guess}`);
    return null;
  }
  if (given.length > 1) {
    fail(`has both ${given.join(' and ')}; give exactly one prompt field`);
    return null;
  }
  return given[0]!;
}

interface ParsedPrompt {
  ok: boolean;
  text: string | null;
  ids: number[] | null;
  messages: ChatMessage[] | null;
}

/** A text prompt, token ids, or chat messages, each turned into the token ids sent. */
function parsePrompt(key: string, value: unknown, tokenizer: Tokenizer, opts: FileLoadOptions, where: string, fail: Fail): ParsedPrompt {
  const failed: ParsedPrompt = { ok: false, text: null, ids: null, messages: null };
  if (key === 'prompt') {
    if (typeof value !== 'string' || value.length === 0) {
      fail(`prompt must be a non-empty string, got ${preview(value)}`);
      return failed;
    }
    return { ok: true, text: value, ids: promptIdsForText(tokenizer, value), messages: null };
  }
  if (ID_KEYS.includes(key)) {
    const problem = checkIds(value, key, tokenizer);
    if (problem !== null) {
      fail(problem, `token ids must be integers in [0, ${VOCAB_SIZE[tokenizer.name]}) for ${tokenizer.name}; is --tokenizer right?`);
      return failed;
    }
    return { ok: true, text: null, ids: value as number[], messages: null };
  }
  const problem = checkMessages(value);
  if (problem !== null) {
    fail(problem, 'messages: [{"role": "system"|"developer"|"user"|"assistant", "content": "..."}, ...]');
    return failed;
  }
  const messages = (value as ChatMessage[]).map((m) => ({ role: m.role, content: m.content }));
  try {
    return { ok: true, text: null, ids: renderChatIds(tokenizer, messages, { ...opts.chat, where }), messages };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) fail(p.message, p.hint);
    return failed;
  }
}

function parseOutputTokens(record: Record<string, unknown>, fail: Fail): { ok: boolean; value: number | null } {
  const outputTokens = pickAlias(record, OUTPUT_KEYS, fail);
  if (outputTokens === undefined || outputTokens === null) return { ok: true, value: null };
  if (typeof outputTokens !== 'number' || !Number.isInteger(outputTokens) || outputTokens < 1) {
    fail(`output_tokens must be a whole number >= 1, got ${preview(outputTokens)}`, 'the number of tokens to ask the server for (max_tokens)');
    return { ok: false, value: null };
  }
  return { ok: true, value: outputTokens };
}

function parseReference(record: Record<string, unknown>, fail: Fail): { ok: boolean; value: string | null } {
  const referenceValue = pickAlias(record, REFERENCE_KEYS, fail);
  if (referenceValue === undefined || referenceValue === null) return { ok: true, value: null };
  if (typeof referenceValue !== 'string') {
    fail(`reference must be a string, got ${preview(referenceValue)}`, 'the expected answer, used in accuracy mode');
    return { ok: false, value: null };
  }
  return { ok: true, value: referenceValue };
}

/** The value of whichever alias is present; two different aliases at once is a problem. */
function pickAlias(record: Record<string, unknown>, keys: readonly string[], fail: (message: string) => void): unknown {
  const present = keys.filter((k) => record[k] !== undefined && record[k] !== null);
  if (present.length > 1) {
    const first = JSON.stringify(record[present[0]!]);
    if (present.some((k) => JSON.stringify(record[k]) !== first)) {
      fail(`${present.join(' and ')} disagree; give one of them`);
    }
  }
  return present.length === 0 ? undefined : record[present[0]!];
}

export function checkIds(value: unknown, key: string, tokenizer: Tokenizer): string | null {
  if (!Array.isArray(value)) return `${key} must be an array of token ids, got ${preview(value)}`;
  if (value.length === 0) return `${key} is empty; a prompt needs at least one token`;
  const vocab = VOCAB_SIZE[tokenizer.name];
  for (let i = 0; i < value.length; i++) {
    const id: unknown = value[i];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocab) {
      return `${key}[${i}] = ${preview(id)} is not a ${tokenizer.name} token id (0..${vocab - 1})`;
    }
  }
  return null;
}

function checkMessages(value: unknown): string | null {
  if (!Array.isArray(value) || value.length === 0) return `messages must be a non-empty array, got ${preview(value)}`;
  for (let i = 0; i < value.length; i++) {
    const m: unknown = value[i];
    if (!isPlainObject(m)) return `messages[${i}] must be an object, got ${preview(m)}`;
    if (!isChatRole(m.role)) return `messages[${i}].role must be system, developer, user or assistant, got ${preview(m.role)}`;
    if (typeof m.content !== 'string') return `messages[${i}].content must be a string, got ${preview(m.content)}`;
  }
  return null;
}
