import llamaRaw from 'llama-tokenizer-js';
import { decode as harmonyDecode, encode as harmonyEncode } from 'gpt-tokenizer/encoding/o200k_harmony';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HARMONY_IDS, loadTokenizer, promptIdsForText } from '../../../src/dataset/tokenizers.js';

// Texts that exercise the Llama chunked encoder's edges: runs of spaces,
// leading/trailing spaces, newlines, digits, punctuation, byte fallback.
const TEXTS = [
  'Hello world!',
  '  two leading spaces and   three inside ',
  'trailing space ',
  ' leading space',
  'line one\nline two\n\n  indented line',
  'Numbers 12345 and 3.14159, dates 2025-06-28.',
  'Ünïcödé ñ 日本語のテキスト 😀 emoji',
  'code: for (let i = 0; i < n; i++) { sum += a[i]; }',
  'a',
  ' ',
  '[INST] <<SYS>>\nsys\n<</SYS>>\n\nhi [/INST]',
  "don't won't it's we'll they're",
];

describe('llama2 tokenizer', () => {
  it('encodes exactly as llama-tokenizer-js does on the whole string (no BOS, with the dummy prefix)', async () => {
    const tok = await loadTokenizer('llama2');
    for (const text of TEXTS) {
      expect(tok.encode(text), JSON.stringify(text)).toEqual(llamaRaw.encode(text, false, true));
      expect(tok.count(text)).toBe(llamaRaw.encode(text, false, true).length);
    }
  });

  it('chunked encoding equals whole-string encoding on arbitrary word/space/punctuation mixes', async () => {
    const tok = await loadTokenizer('llama2');
    const piece = fc.constantFrom('the', 'The', 'cat', 'ing', 'un', ' ', '  ', '\n', '.', ',', "'s", '-', '42', 'é', '語', '▁');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const text = pieces.join('');
        expect(tok.encode(text)).toEqual(llamaRaw.encode(text, false, true));
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('matches the ids quoted in servers.md §7 once BOS is added', async () => {
    const tok = await loadTokenizer('llama2');
    expect(promptIdsForText(tok, 'Hello world!')).toEqual([1, 15043, 3186, 29991]);
  });

  it('decodes back to the text and drops BOS/EOS', async () => {
    const tok = await loadTokenizer('llama2');
    const text = 'The quick brown fox jumps over the lazy dog.';
    expect(tok.decode([1, ...tok.encode(text), 2])).toBe(text);
  });

  it('counts nothing for empty text', async () => {
    const tok = await loadTokenizer('llama2');
    expect(tok.encode('')).toEqual([]);
    expect(promptIdsForText(tok, '')).toEqual([1]);
  });

  it('is loaded once and cached', async () => {
    const [a, b] = await Promise.all([loadTokenizer('llama2'), loadTokenizer('llama2')]);
    expect(a).toBe(b);
  });

  it('rejects an unknown tokenizer name with a hint', async () => {
    await expect(loadTokenizer('gpt2' as never)).rejects.toMatchObject({
      problems: [{ where: 'dataset.tokenizer', hint: expect.stringMatching(/llama2, o200k_harmony/) }],
    });
  });

  it('rejects ids outside the vocabulary when decoding', async () => {
    const tok = await loadTokenizer('llama2');
    expect(() => tok.decode([32_000])).toThrow(RangeError);
  });
});

describe('o200k_harmony tokenizer', () => {
  it('encodes as gpt-tokenizer does, with no BOS', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    for (const text of TEXTS) expect(tok.encode(text)).toEqual(harmonyEncode(text));
    expect(promptIdsForText(tok, 'Hello world!')).toEqual(harmonyEncode('Hello world!'));
  });

  it('treats text spelling a special token as plain text instead of throwing', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    const ids = tok.encode('before <|end|> after');
    expect(ids).not.toContain(HARMONY_IDS.end);
    expect(tok.decode(ids)).toBe('before <|end|> after');
  });

  it('exports the special ids of servers.md §6.1', () => {
    expect(harmonyDecode([HARMONY_IDS.start])).toBe('<|start|>');
    expect(harmonyDecode([HARMONY_IDS.end])).toBe('<|end|>');
    expect(harmonyDecode([HARMONY_IDS.message])).toBe('<|message|>');
    expect(harmonyDecode([HARMONY_IDS.channel])).toBe('<|channel|>');
    expect(harmonyDecode([HARMONY_IDS.return])).toBe('<|return|>');
  });
});

describe('output-text fallback count (no usage from the server)', () => {
  // What a server streams: text pieces whose join is the generated text, each
  // piece usually starting with the space of its token's ▁.
  const piece = fc.constantFrom(' Paris', ' the', ' cat', 'ing', ',', '.', ' 42', '\n', ' ', '  ', ' é', '語', "'s", ' The', ' un', '-', '😀');

  it('Llama 2: " Paris" is one token and 20 × " the" twenty, as the tokenizer counts the text itself', async () => {
    const tok = await loadTokenizer('llama2');
    expect(tok.countOutput(' Paris')).toBe(1);
    expect(tok.countOutput(' the'.repeat(20))).toBe(20);
    expect(tok.countOutput('')).toBe(0);
    for (const text of TEXTS) expect(tok.countOutput(text), JSON.stringify(text)).toBe(llamaRaw.encode(text, false, false).length);
  });

  it('Llama 2: streamed pieces are counted as the tokenizer counts the joined text', async () => {
    const tok = await loadTokenizer('llama2');
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 60 }), (pieces) => {
        const text = pieces.join('');
        expect(tok.countOutput(text)).toBe(llamaRaw.encode(text, false, false).length);
      }),
      { numRuns: 400, seed: 13 },
    );
  });

  it('o200k_harmony: the same count as gpt-tokenizer on the joined text', async () => {
    const tok = await loadTokenizer('o200k_harmony');
    expect(tok.countOutput(' Paris')).toBe(harmonyEncode(' Paris').length);
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 60 }), (pieces) => {
        const text = pieces.join('');
        expect(tok.countOutput(text)).toBe(harmonyEncode(text, { disallowedSpecial: new Set() }).length);
      }),
      { numRuns: 400, seed: 19 },
    );
    for (const text of TEXTS) expect(tok.countOutput(text)).toBe(harmonyEncode(text, { disallowedSpecial: new Set() }).length);
  });
});
