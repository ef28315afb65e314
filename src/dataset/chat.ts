/**
 * The token ids a server sees after applying the model's chat template, used to
 * count the input tokens of chat samples. This is a count, not a renderer the
 * server relies on: a server's own template can differ by a few tokens (vLLM
 * puts today's date in the GPT-OSS system message unless VLLM_SYSTEM_START_DATE
 * is set; SGLang renders harmony through Jinja). When the server reports
 * `usage.prompt_tokens`, that figure is preferred over this one.
 */
import { ConfigError } from '../errors.js';
import { HARMONY_IDS, LLAMA2_BOS_ID, LLAMA2_EOS_ID } from './tokenizers.js';
import type { ChatMessage, Tokenizer } from './types.js';

export type ReasoningEffort = 'low' | 'medium' | 'high';

export interface ChatRenderOptions {
  /** harmony `Reasoning:` line; default `medium`, the harmony default when a request does not say */
  reasoningEffort?: ReasoningEffort | null;
  /**
   * harmony `Current date:` (YYYY-MM-DD). Fixed by default so counts do not change
   * from day to day; every YYYY-MM-DD date encodes to the same number of o200k tokens.
   */
  conversationDate?: string;
  /** names the input in errors, e.g. `data.jsonl:12` */
  where?: string;
}

export const DEFAULT_CONVERSATION_DATE = '2025-06-28';
export const DEFAULT_REASONING_EFFORT: ReasoningEffort = 'medium';

const CHAT_ROLES: readonly ChatMessage['role'][] = ['system', 'developer', 'user', 'assistant'];

export function isChatRole(role: unknown): role is ChatMessage['role'] {
  return typeof role === 'string' && (CHAT_ROLES as readonly string[]).includes(role);
}

/** Rendered prompt ids, including BOS (Llama 2) and the trailing `<|start|>assistant` (harmony). */
export function renderChatIds(tokenizer: Tokenizer, messages: readonly ChatMessage[], opts: ChatRenderOptions = {}): number[] {
  const where = opts.where ?? 'messages';
  if (messages.length === 0) {
    throw new ConfigError({ where, message: 'a chat needs at least one message', hint: 'give e.g. [{"role":"user","content":"..."}]' });
  }
  return tokenizer.name === 'llama2' ? renderLlama2(tokenizer, messages, where) : renderHarmony(tokenizer, messages, opts, where);
}

/** Input tokens of a chat as the server would count them (see renderChatIds). */
export function countChatTokens(tokenizer: Tokenizer, messages: readonly ChatMessage[], opts: ChatRenderOptions = {}): number {
  return renderChatIds(tokenizer, messages, opts).length;
}

// ---------------------------------------------------------------- Llama 2 (servers.md §7)

const B_INST = '[INST]';
const E_INST = '[/INST]';
const B_SYS = '<<SYS>>\n';
const E_SYS = '\n<</SYS>>\n\n';

function renderLlama2(tokenizer: Tokenizer, messages: readonly ChatMessage[], where: string): number[] {
  // Meta's reference (and HF's chat template) accept one leading system message;
  // a `developer` message plays the same part for OpenAI-style clients.
  let dialog = messages.map((m) => ({ role: m.role === 'developer' ? 'system' : m.role, content: m.content }));
  if (dialog[0]?.role === 'system') {
    const system = dialog[0];
    const first = dialog[1];
    if (first === undefined || first.role !== 'user') {
      throw roleError(where, messages);
    }
    dialog = [{ role: 'user', content: B_SYS + system.content + E_SYS + first.content }, ...dialog.slice(2)];
  }
  for (let i = 0; i < dialog.length; i++) {
    if (dialog[i]!.role !== (i % 2 === 0 ? 'user' : 'assistant')) throw roleError(where, messages);
  }
  if (dialog.length % 2 === 0) throw roleError(where, messages);

  const ids: number[] = [];
  // Each earlier exchange is encoded on its own with BOS ... EOS, as Meta's
  // reference does; one string encode could not put </s><s> between turns.
  for (let i = 0; i + 1 < dialog.length; i += 2) {
    const text = `${B_INST} ${dialog[i]!.content.trim()} ${E_INST} ${dialog[i + 1]!.content.trim()} `;
    ids.push(LLAMA2_BOS_ID, ...tokenizer.encode(text), LLAMA2_EOS_ID);
  }
  const last = dialog[dialog.length - 1]!;
  ids.push(LLAMA2_BOS_ID, ...tokenizer.encode(`${B_INST} ${last.content.trim()} ${E_INST}`));
  return ids;
}

function roleError(where: string, messages: readonly ChatMessage[]): ConfigError {
  return new ConfigError({
    where,
    message: `Llama 2 chat needs roles system?, user, assistant, user, ... ending with user; got [${messages.map((m) => m.role).join(', ')}]`,
    hint: 'put at most one system message first, then alternate user and assistant, and end with a user turn',
  });
}

// ---------------------------------------------------------------- harmony (servers.md §6.2)

function renderHarmony(tokenizer: Tokenizer, messages: readonly ChatMessage[], opts: ChatRenderOptions, where: string): number[] {
  const effort = opts.reasoningEffort ?? DEFAULT_REASONING_EFFORT;
  const date = opts.conversationDate ?? DEFAULT_CONVERSATION_DATE;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new ConfigError({ where, message: `conversation date ${JSON.stringify(date)} is not YYYY-MM-DD`, hint: `e.g. ${DEFAULT_CONVERSATION_DATE}` });
  }
  const { start, end, message, channel } = HARMONY_IDS;
  const ids: number[] = [];
  const push = (header: string, content: string, channelName?: string): void => {
    ids.push(start, ...tokenizer.encode(header));
    if (channelName !== undefined) ids.push(channel, ...tokenizer.encode(channelName));
    ids.push(message, ...tokenizer.encode(content), end);
  };

  push(
    'system',
    'You are ChatGPT, a large language model trained by OpenAI.\n' +
      'Knowledge cutoff: 2024-06\n' +
      `Current date: ${date}\n\n` +
      `Reasoning: ${effort}\n\n` +
      '# Valid channels: analysis, commentary, final. Channel must be included for every message.',
  );
  for (const m of messages) {
    switch (m.role) {
      // The client's system prompt becomes the developer message's instructions (vLLM, servers.md §6.3).
      case 'system':
      case 'developer':
        push('developer', `# Instructions\n\n${m.content}`);
        break;
      case 'user':
        push('user', m.content);
        break;
      // Earlier answers are replayed on the final channel; their analysis is not kept.
      case 'assistant':
        push('assistant', m.content, 'final');
        break;
    }
  }
  ids.push(start, ...tokenizer.encode('assistant'));
  return ids;
}
