/**
 * The evaluators' aggregation and printed output: Llama 2 (evaluate-accuracy.py)
 * and GPT-OSS (eval_accuracy.py parsers, eval_mlperf_accuracy.py scoring).
 */
import { describe, expect, it } from 'vitest';
import { evaluateExactMatch, evaluateLlama2, renderExactMatchAccuracyTxt, renderLlama2AccuracyTxt } from '../../../src/accuracy/evaluate.js';
import { npMean, npRound, pairwiseSum, pyFixed, pyFloatRepr, pyRound, rint } from '../../../src/accuracy/pyformat.js';
import { answerKindFor, extractFinalSection, gradeAnswer, inferDataset, parseAimeAnswer, parseMultipleChoice } from '../../../src/accuracy/exact-match.js';
import { splitSentences } from '../../../src/accuracy/sentences.js';
import { accuracyTargetsFor } from '../../../src/accuracy/targets.js';

describe('Python/numpy number behaviour', () => {
  it('repr(float)', () => {
    expect(pyFloatRepr(44.4312)).toBe('44.4312');
    expect(pyFloatRepr(294)).toBe('294.0');
    expect(pyFloatRepr(0.1)).toBe('0.1');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(123456789012345.6)).toBe('123456789012345.6');
  });
  it('rint and numpy round: half to even after the multiply', () => {
    expect(rint(2.5)).toBe(2);
    expect(rint(3.5)).toBe(4);
    expect(rint(-2.5)).toBe(-2);
    expect(npRound(1.25, 1)).toBe(1.2); // 12.5 exactly → 12
    expect(npRound(1.35, 1)).toBe(1.4); // 1.35 × 10 rounds to 13.5 → 14
    expect(npRound(60.29411764705882, 4)).toBe(60.2941);
  });
  it('Python round(float, 1) and format .3f round the exact binary value, ties to even', () => {
    expect(pyRound(0.25, 1)).toBe(0.2); // exact tie → even
    expect(pyRound(0.35, 1)).toBe(0.3); // 0.35 is 0.34999… in binary
    expect(pyRound(301.25, 1)).toBe(301.2);
    expect(pyFixed(82.2987, 3)).toBe('82.299');
    expect(pyFixed(0.0625, 3)).toBe('0.062');
  });
  it('numpy pairwise summation', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => 0.1 * ((i * 7919) % 13));
    let naive = 0;
    for (const x of xs) naive += x;
    expect(pairwiseSum(xs)).toBeCloseTo(naive, 9);
    expect(pairwiseSum([1, 2, 3])).toBe(6);
    // 8-way blocks: ((r0+r1)+(r2+r3)) + ((r4+r5)+(r6+r7)) then the rest
    expect(pairwiseSum([1e16, 1, -1e16, 1, 0, 0, 0, 0, 1])).toBe(((1e16 + 1 + (-1e16 + 1)) + 0) + 1);
    expect(npMean([1, 2, 3, 4])).toBe(2.5);
  });
});

describe('sentence splitting (approximating nltk.sent_tokenize)', () => {
  it('splits at sentence ends, not at abbreviations, initials or decimals', () => {
    expect(splitSentences('Dr. Smith arrived at 3.5 p.m. today. He left! Did J. Doe stay? Yes.')).toEqual([
      'Dr. Smith arrived at 3.5 p.m. today.',
      'He left!',
      'Did J. Doe stay?',
      'Yes.',
    ]);
  });
  it('keeps closing quotes with their sentence', () => {
    expect(splitSentences('He said "stop." Then he went.')).toEqual(['He said "stop."', 'Then he went.']);
  });
});

describe('Llama 2: evaluate-accuracy.py', () => {
  it('scores pairs, averages F-measures ×100 rounded to 4 decimals, counts tokens', () => {
    const s = evaluateLlama2([
      { output: 'The quick brown dog jumps on the log.', reference: 'The quick brown fox jumps over the lazy dog', tokenCount: 10 },
      { output: 'testing', reference: 'testing one two', tokenCount: 3 },
    ]);
    // rouge1 F: 12/17 and 1/2 (test/fixtures/accuracy/rouge-cases.json)
    expect(s.rouge1).toBe(npRound(((12 / 17 + 1 / 2) / 2) * 100, 4));
    expect(s.rouge1).toBe(60.2941);
    expect(s.rouge2).toBe(npRound(((4 / 15 + 0) / 2) * 100, 4));
    expect(s.rougeL).toBe(npRound(((10 / 17 + 1 / 2) / 2) * 100, 4));
    expect(s.gen_num).toBe(2);
    expect(s.gen_tok_len).toBe(13);
    expect(s.tokens_per_sample).toBe(6.5);
    expect(s.gen_len).toBe('The quick brown dog jumps on the log.'.length + 'testing'.length);
  });

  it('accuracy.txt as the script prints it', () => {
    const txt = renderLlama2AccuracyTxt({
      rouge1: 44.4312, rouge2: 22.0352, rougeL: 28.6162, rougeLsum: 42.1721, gen_len: 27604421, gen_num: 24576, gen_tok_len: 7002333, tokens_per_sample: 284.9,
    });
    expect(txt).toBe(
      "\nResults\n\n{'rouge1': 44.4312, 'rouge2': 22.0352, 'rougeL': 28.6162, 'rougeLsum': 42.1721, 'gen_len': 27604421, 'gen_num': 24576, 'gen_tok_len': 7002333, 'tokens_per_sample': 284.9}\n",
    );
  });

  it('targets: 99 % and 99.9 % of the reference, tokens per sample within ±10 % (lower 90 %)', () => {
    const [t99, t999] = accuracyTargetsFor('llama2-70b');
    expect(t99!.name).toBe('llama2-70b-99');
    expect(t99!.bounds.find((b) => b.metric === 'rouge1')!.limit).toBeCloseTo(43.986888, 6);
    expect(t999!.bounds.find((b) => b.metric === 'rougeL')!.limit).toBeCloseTo(28.5875838, 6);
    expect(t99!.bounds.filter((b) => b.metric === 'tokens_per_sample').map((b) => [b.op, Number(b.limit.toFixed(3))])).toEqual([
      ['>=', 265.005],
      ['<=', 323.895],
    ]);
    expect(accuracyTargetsFor('gpt-oss-120b')[0]!.bounds[0]!.limit).toBeCloseTo(82.2987, 6);
  });
});

describe('GPT-OSS: answer extraction (eval_accuracy.py)', () => {
  it('harmony final section', () => {
    expect(extractFinalSection('<|channel|>analysis<|message|>maybe B<|end|><|start|>assistant<|channel|>final<|message|>C<|return|>')).toBe('C');
    expect(extractFinalSection('<|channel|>final 明<|message|> D ')).toBe('D');
    expect(extractFinalSection('no markers')).toBe('no markers');
  });
  it('multiple choice priorities', () => {
    expect(parseMultipleChoice('<|channel|>analysis<|message|>Answer: A<|end|><|channel|>final<|message|>**C**<|return|>')).toBe('C');
    expect(parseMultipleChoice('(b) because …')).toBe('B'); // a letter at the start, case-insensitive
    expect(parseMultipleChoice('The right one. Answer: d')).toBe('D');
    expect(parseMultipleChoice('Therefore... FINAL ANSWER: (C) and so Final Answer: B.')).toBe('B'); // last ANSWER pattern
    expect(parseMultipleChoice("['The answer is clear\\nAnswer: A']")).toBe('A'); // list artifact, literal \n
    expect(parseMultipleChoice('The options were weighed; none fits.')).toBeNull();
    expect(parseMultipleChoice('Thus the choice is H', 'J')).toBe('H'); // MMLU-Pro fallback
  });
  it('AIME integers: last \\boxed, else last "Answer:", within 0..999', () => {
    expect(parseAimeAnswer('so \\boxed{12} … wait, \\boxed{ 204 }')).toBe(204);
    expect(parseAimeAnswer('Answer: 7\nanswer: 70')).toBe(70);
    expect(parseAimeAnswer('Answer: 12.5')).toBeNull();
    expect(parseAimeAnswer('\\boxed{1000}')).toBeNull();
    expect(parseAimeAnswer('no number')).toBeNull();
  });
  it('grading', () => {
    expect(gradeAnswer('aime', '\\boxed{042}', '42').correct).toBe(true);
    expect(gradeAnswer('aime', '\\boxed{41}', '42').correct).toBe(false);
    expect(gradeAnswer('multiple_choice_d', 'Answer: c', 'C').correct).toBe(true);
    expect(gradeAnswer('multiple_choice_d', 'E is right', 'E').correct).toBe(false);
  });
  it('evaluator lookup by dataset name, and inference from the reference', () => {
    expect(answerKindFor('aime25')).toBe('aime');
    expect(answerKindFor('gpqa_diamond')).toBe('multiple_choice_d');
    expect(answerKindFor('livecodebench_v6')).toBe('code');
    expect(answerKindFor('mmlu_pro')).toBe('multiple_choice_j');
    expect(answerKindFor('math500')).toBe('math');
    expect(answerKindFor('squad')).toBeNull();
    expect(inferDataset('B')).toBe('gpqa');
    expect(inferDataset('118')).toBe('aime');
    expect(inferDataset('def f(): pass')).toBeNull();
  });
});

describe('GPT-OSS: scoring (eval_mlperf_accuracy.py)', () => {
  const items = [
    ...Array.from({ length: 8 }, (_, i) => ({ dataset: 'aime25', reference: '42', output: i < 6 ? '\\boxed{42}' : '\\boxed{7}' })),
    ...Array.from({ length: 5 }, (_, i) => ({ dataset: 'gpqa_diamond', reference: 'B', output: i < 4 ? 'Answer: B' : 'Answer: A' })),
    ...Array.from({ length: 3 }, () => ({ dataset: 'livecodebench_v6', reference: '', output: '```python\nprint(1)\n```' })),
  ];
  it('final score = Σ correct/repeats over Σ total/repeats; code sets not scored', () => {
    const s = evaluateExactMatch(items);
    expect(s.perDataset).toEqual([
      { dataset: 'aime25', correct: 6, total: 8, repeats: 8 },
      { dataset: 'gpqa_diamond', correct: 4, total: 5, repeats: 5 },
    ]);
    expect(s.finalScore).toBeCloseTo(6 / 8 + 4 / 5, 12);
    expect(s.maxScore).toBe(2);
    expect(s.exactMatch).toBeCloseTo(((0.75 + 0.8) / 2) * 100, 10);
    expect(s.notScored).toEqual([{ dataset: 'livecodebench_v6', samples: 3 }]);
  });
  it('accuracy.txt ends with the line the submission checker reads', () => {
    const txt = renderExactMatchAccuracyTxt(evaluateExactMatch(items));
    expect(txt).toContain('Total samples evaluated: 13\n');
    expect(txt).toContain('Overall raw accuracy: 76.92% (10/13)\n');
    const row = (d: string, c: string, t: string, r: string, score: string, acc: string) =>
      `${d.padEnd(25)} ${c.padStart(8)} ${t.padStart(8)} ${r.padStart(8)} ${score.padStart(10)} ${acc.padStart(9)}%\n`;
    expect(txt).toContain(row('aime25', '6', '8', '8', '0.75', '75.00'));
    expect(txt).toContain(row('gpqa_diamond', '4', '5', '5', '0.80', '80.00'));
    expect(txt).toContain('Formula: aime25/8 + gpqa_diamond/5\nScore:   = 6/8 + 4/5\n         = 0.75 + 0.80\n         = 1.55\nMax:     = 8/8 + 5/5\n         = 2.00\n');
    expect(txt).toContain('\nFINAL SCORE: 77.50% (1.55/2.00)\n');
    expect(txt.endsWith("\n\n\nPrinting for submission_checker:\n\n'exact_match': 77.500\n")).toBe(true);
    expect(txt.split('\n')[0]).toMatch(/^tokbench: not scored .*livecodebench_v6 \(3 samples\)/);
  });
});
