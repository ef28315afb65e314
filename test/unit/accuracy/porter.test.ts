/**
 * NLTK's PorterStemmer (NLTK_EXTENSIONS, the default rouge_score uses).
 * Expected stems: NLTK's own doctest (nltk/test/stem.doctest) and unit test
 * (test_stem.py: 'oed' → 'o'); the NLTK-only departures documented in
 * nltk/stem/porter.py, derived by hand from its rules.
 */
import { describe, expect, it } from 'vitest';
import { measure, porterStem } from '../../../src/accuracy/porter.js';

describe('NLTK PorterStemmer()', () => {
  it('stem.doctest: the pluralised words', () => {
    const plurals = [
      'caresses', 'flies', 'dies', 'mules', 'denied', 'died', 'agreed', 'owned', 'humbled', 'sized',
      'meeting', 'stating', 'siezing', 'itemization', 'sensational', 'traditional', 'reference', 'colonizer', 'plotted',
    ];
    expect(plurals.map(porterStem).join(' ')).toBe(
      'caress fli die mule deni die agre own humbl size meet state siez item sensat tradit refer colon plot',
    );
  });

  it("test_stem.py test_oed_bug: 'oed' → 'o'", () => {
    expect(porterStem('oed')).toBe('o');
  });

  it('irregular forms bypass the rules', () => {
    expect(['sky', 'skies', 'dying', 'lying', 'tying', 'news', 'innings', 'outings', 'cannings', 'howe', 'proceed', 'exceed', 'succeed'].map(porterStem)).toEqual([
      'sky', 'sky', 'die', 'lie', 'tie', 'news', 'inning', 'outing', 'canning', 'howe', 'proceed', 'exceed', 'succeed',
    ]);
  });

  it("NLTK departures from Martin Porter's version (which gives di, spi, enjoi, plai)", () => {
    expect(porterStem('dies')).toBe('die'); // 4-letter -ies keeps "ie"
    expect(porterStem('died')).toBe('die'); // 4-letter -ied → -ie
    expect(porterStem('spied')).toBe('spi');
    expect(porterStem('enjoy')).toBe('enjoy'); // y → i only after a consonant
    expect(porterStem('play')).toBe('play');
    expect(porterStem('happy')).toBe('happi');
    expect(porterStem('generously')).toBe('gener'); // -ousli → -ous, then -ous off (m > 1)
  });

  it('the examples of the paper, run through every step', () => {
    const pairs: [string, string][] = [
      ['caress', 'caress'], ['cats', 'cat'], ['ponies', 'poni'], ['feed', 'feed'], ['agreed', 'agre'],
      ['plastered', 'plaster'], ['bled', 'bled'], ['motoring', 'motor'], ['sing', 'sing'], ['conflated', 'conflat'],
      ['troubled', 'troubl'], ['hopping', 'hop'], ['tanned', 'tan'], ['falling', 'fall'], ['hissing', 'hiss'],
      ['fizzed', 'fizz'], ['failing', 'fail'], ['filing', 'file'], ['relational', 'relat'], ['conditional', 'condit'],
      ['rational', 'ration'], ['digitizer', 'digit'], ['operator', 'oper'], ['hopeful', 'hope'], ['goodness', 'good'],
      ['adjustment', 'adjust'], ['controll', 'control'], ['roll', 'roll'], ['probate', 'probat'], ['rate', 'rate'], ['cease', 'ceas'],
    ];
    for (const [word, stem] of pairs) expect(porterStem(word), word).toBe(stem);
  });

  it('leaves words of one or two letters alone and lowercases', () => {
    expect(porterStem('is')).toBe('is');
    expect(porterStem('Running')).toBe('run');
  });

  it('measure m of [C](VC){m}[V], the paper examples', () => {
    for (const w of ['tr', 'ee', 'tree', 'y', 'by']) expect(measure(w), w).toBe(0);
    for (const w of ['trouble', 'oats', 'trees', 'ivy']) expect(measure(w), w).toBe(1);
    for (const w of ['troubles', 'private', 'oaten', 'orrery']) expect(measure(w), w).toBe(2);
  });
});
