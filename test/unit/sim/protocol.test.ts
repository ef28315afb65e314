import { describe, expect, it } from 'vitest';
import llama from 'llama-tokenizer-js';
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_harmony';
import { approxCount, generatedText, loadTokenCounter, parseRequest, promptKey, type ParsedRequest } from '../../../src/sim/protocol.js';

describe('generated text', () => {
  it('is exactly one token per generated token under Llama 2 and o200k_harmony, however it is chunked', () => {
    for (const n of [1, 2, 3, 17, 100]) {
      // split into chunks of 1..4 tokens as tokensPerChunk would
      let text = '';
      for (let i = 0; i < n; ) {
        const k = Math.min(1 + (i % 4), n - i);
        text += generatedText(i, k);
        i += k;
      }
      expect(text).toBe(generatedText(0, n));
      expect(llama.encode(text, false, false)).toHaveLength(n);
      expect(llama.encode(text, false, true)).toHaveLength(n);
      expect(o200k(text)).toHaveLength(n);
      expect(approxCount(text)).toBe(n);
    }
  });
});

describe('prompt token counting', () => {
  it('uses the real vocabularies when asked, counting BOS as a server’s usage does', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    // llama.encode with BOS: what vLLM reports as prompt_tokens for a text prompt
    expect((await loadTokenCounter('llama2'))(text)).toBe(llama.encode(text, true, true).length);
    expect((await loadTokenCounter('o200k_harmony'))(text)).toBe(o200k(text).length);
    // harmony control strings in user text count as text, not as a crash
    expect((await loadTokenCounter('o200k_harmony'))('<|start|>x')).toBeGreaterThan(1);
    expect((await loadTokenCounter('approx'))(text)).toBe(Math.ceil(text.length / 4));
  });
});

describe('request parsing', () => {
  const ok = (r: ReturnType<typeof parseRequest>) => {
    if ('status' in r) throw new Error(r.message);
    return r;
  };

  it('reads prompts as text, token ids or a single-item batch', () => {
    expect(ok(parseRequest('completions', { prompt: 'hi' })).prompt).toEqual({ kind: 'text', text: 'hi' });
    expect(ok(parseRequest('completions', { prompt: [1, 2, 3] })).prompt).toEqual({ kind: 'ids', ids: [1, 2, 3] });
    expect(ok(parseRequest('completions', { prompt: [[4, 5]] })).prompt).toEqual({ kind: 'ids', ids: [4, 5] });
    expect(ok(parseRequest('completions', { prompt: ['only'] })).prompt).toEqual({ kind: 'text', text: 'only' });
    const batch = parseRequest('completions', { prompt: ['a', 'b'] });
    expect(batch).toMatchObject({ status: 400, param: 'prompt' });
  });

  it('reads chat contents given as strings or text parts', () => {
    const r = ok(
      parseRequest('chat', {
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: [{ type: 'text', text: 'hello' }] },
        ],
      }),
    );
    expect(r.prompt).toEqual({ kind: 'text', text: 'be brief\nhello' });
  });

  it('continuous usage needs include_usage, as in vLLM; max_completion_tokens is for chat', () => {
    const r = ok(parseRequest('completions', { prompt: 'x', stream: true, stream_options: { continuous_usage_stats: true } }));
    expect([r.includeUsage, r.continuousUsage]).toEqual([false, false]);
    expect(ok(parseRequest('completions', { prompt: 'x', max_completion_tokens: 5 })).maxTokens).toBeNull();
    expect(ok(parseRequest('chat', { messages: [{ role: 'user', content: 'x' }], max_tokens: 9, max_completion_tokens: 5 })).maxTokens).toBe(5);
  });

  it('rejects bad types with the parameter named', () => {
    expect(parseRequest('completions', { prompt: 'x', max_tokens: 0 })).toMatchObject({ status: 400, param: 'max_tokens' });
    expect(parseRequest('completions', { prompt: 'x', stream: 'yes' })).toMatchObject({ status: 400, param: 'stream' });
    expect(parseRequest('completions', { prompt: 'x', n: 2 })).toMatchObject({ status: 400, param: 'n' });
    expect(parseRequest('completions', { prompt: 'x', model: 3 })).toMatchObject({ status: 400, param: 'model' });
    expect(parseRequest('chat', { messages: [] })).toMatchObject({ status: 400, param: 'messages' });
    expect(parseRequest('chat', [])).toMatchObject({ status: 400 });
  });

  it('keys output lengths by prompt and request seed', () => {
    const base = ok(parseRequest('completions', { prompt: 'same' }));
    const seeded: ParsedRequest = { ...base, seed: 42 };
    expect(promptKey(base)).toBe(promptKey(ok(parseRequest('completions', { prompt: 'same' }))));
    expect(promptKey(base)).not.toBe(promptKey(seeded));
    expect(promptKey(ok(parseRequest('completions', { prompt: [1, 2] })))).not.toBe(promptKey(ok(parseRequest('completions', { prompt: [2, 1] }))));
  });
});
