import llamaRaw from 'llama-tokenizer-js';
import { describe, expect, it } from 'vitest';
import { countChatTokens, renderChatIds } from '../../../src/dataset/chat.js';
import { HARMONY_IDS, LLAMA2_BOS_ID, LLAMA2_EOS_ID, loadTokenizer } from '../../../src/dataset/tokenizers.js';
import { ConfigError } from '../../../src/errors.js';

describe('Llama 2 chat template', () => {
  it('renders the single-turn example of servers.md §7 to the quoted ids', async () => {
    const tok = await loadTokenizer('llama2');
    const ids = renderChatIds(tok, [
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'hi' },
    ]);
    expect(ids).toEqual([
      1, 518, 25580, 29962, 3532, 14816, 29903, 6778, 13, 9675, 13, 29966, 829, 14816, 29903, 6778, 13, 13, 2918, 518, 29914,
      25580, 29962,
    ]);
  });

  it('wraps a lone user turn as <s>[INST] {user} [/INST], stripping its whitespace', async () => {
    const tok = await loadTokenizer('llama2');
    expect(renderChatIds(tok, [{ role: 'user', content: '  What is 2 + 2?\n' }])).toEqual(
      llamaRaw.encode('[INST] What is 2 + 2? [/INST]', true, true),
    );
  });

  it('encodes earlier exchanges as BOS ... EOS segments, then the last user turn with BOS only', async () => {
    const tok = await loadTokenizer('llama2');
    const ids = renderChatIds(tok, [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Bye' },
    ]);
    const first = llamaRaw.encode('[INST] Hi [/INST] Hello! ', true, true);
    const last = llamaRaw.encode('[INST] Bye [/INST]', true, true);
    expect(ids).toEqual([...first, LLAMA2_EOS_ID, ...last]);
    expect(ids.filter((id) => id === LLAMA2_BOS_ID)).toHaveLength(2);
  });

  it.each([
    [['assistant', 'user']],
    [['user', 'assistant']],
    [['user', 'user']],
    [['system', 'assistant', 'user']],
    [['system']],
  ] as const)('rejects role order %j with a hint', async (roles) => {
    const tok = await loadTokenizer('llama2');
    const messages = roles.map((role) => ({ role, content: 'x' }));
    let error: unknown;
    try {
      renderChatIds(tok, messages, { where: 'data.jsonl:3' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problem = (error as ConfigError).problems[0]!;
    expect(problem.where).toBe('data.jsonl:3');
    expect(problem.hint).toMatch(/alternate user and assistant/);
  });
});

describe('harmony chat rendering', () => {
  it('produces the layout of servers.md §6.2: system, developer instructions, user, then <|start|>assistant', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const ids = renderChatIds(
      tok,
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is 2 + 2?' },
      ],
      { reasoningEffort: 'high', conversationDate: '2025-06-28' },
    );
    expect(tok.decode(ids)).toBe(
      '<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\n' +
        'Knowledge cutoff: 2024-06\nCurrent date: 2025-06-28\n\nReasoning: high\n\n' +
        '# Valid channels: analysis, commentary, final. Channel must be included for every message.<|end|>' +
        '<|start|>developer<|message|># Instructions\n\nBe brief.<|end|>' +
        '<|start|>user<|message|>What is 2 + 2?<|end|><|start|>assistant',
    );
    // The specials are single ids, not text: `assistant` is 173781 in the harmony example stream.
    expect(ids.slice(-2)).toEqual([HARMONY_IDS.start, 173781]);
    expect(ids.filter((id) => id === HARMONY_IDS.start)).toHaveLength(4);
    expect(ids.filter((id) => id === HARMONY_IDS.end)).toHaveLength(3);
  });

  it('replays earlier assistant turns on the final channel', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const ids = renderChatIds(tok, [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'Bye' },
    ]);
    expect(tok.decode(ids)).toContain('<|start|>assistant<|channel|>final<|message|>Hello<|end|><|start|>user');
  });

  it('is deterministic by default (fixed date) and counts the same for any date', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const chat = [{ role: 'user' as const, content: 'Summarise this.' }];
    expect(renderChatIds(tok, chat)).toEqual(renderChatIds(tok, chat));
    const counts = ['2025-01-01', '2026-12-31', '2031-07-15'].map((d) => countChatTokens(tok, chat, { conversationDate: d }));
    expect(new Set(counts).size).toBe(1);
  });

  it('puts the reasoning effort in the system message', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const chat = [{ role: 'user' as const, content: 'x' }];
    expect(tok.decode(renderChatIds(tok, chat, { reasoningEffort: 'low' }))).toContain('Reasoning: low');
    expect(tok.decode(renderChatIds(tok, chat))).toContain('Reasoning: medium');
  });

  it('rejects an empty chat and a malformed date', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    expect(() => renderChatIds(tok, [])).toThrow(ConfigError);
    expect(() => renderChatIds(tok, [{ role: 'user', content: 'x' }], { conversationDate: 'today' })).toThrow(/YYYY-MM-DD/);
  });
});
