import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../../src/dataset/tokenizers.js';
import { decodeIds, encodeIds, safeVocabulary, scanSafeVocabulary } from '../../../src/dataset/synthetic.js';

describe('the listed Llama 2 safe vocabulary (start-up without the scan)', () => {
  it('is exactly what a fresh scan of the installed tokenizer finds', async () => {
    const tok = await loadTokenizer('llama2');
    const listed = safeVocabulary(tok);
    const scanned = scanSafeVocabulary(tok);
    expect(Array.from(listed.leadIds)).toEqual(Array.from(scanned.leadIds));
    expect(Array.from(listed.wordIds)).toEqual(Array.from(scanned.wordIds));
    expect(listed.leadText).toEqual(scanned.leadText);
    expect(listed.wordText).toEqual(scanned.wordText);
  }, 60_000);

  it('ids survive the delta encoding', () => {
    const ids = [0, 1, 35, 36, 1295, 31999];
    expect(Array.from(decodeIds(encodeIds(ids)))).toEqual(ids);
  });
});
