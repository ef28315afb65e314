/**
 * The MLPerf accuracy evaluators, as pure functions of (output, reference)
 * pairs, with their printed output (accuracy.txt) reproduced.
 *
 * Llama 2 70B: `language/llama2-70b/evaluate-accuracy.py` (mlcommons/inference):
 * strip each output and reference, split each into sentences joined by "\n"
 * (NLTK Punkt; approximated, see sentences.ts: only ROUGE-Lsum sees it), score
 * every pair with HF `evaluate` "rouge" (rouge_score, `use_stemmer=True`,
 * `use_aggregator=False`: one F-measure per pair), report
 * `round(np.mean(v) * 100, 4)` per ROUGE type, `gen_len` (characters of the
 * processed outputs), `gen_num`, `gen_tok_len` (output tokens in the accuracy log)
 * and `tokens_per_sample = round(gen_tok_len / gen_num, 1)`. The pairs are taken
 * in the order of mlperf_log_accuracy.json, first entry per qsl_idx, as the script does.
 *
 * GPT-OSS-120B: `language/gpt-oss-120b/eval_mlperf_accuracy.py`: per dataset,
 * correct / total; final score Σ correct/repeats over Σ total/repeats, printed
 * as `'exact_match': {:.3f}` for the submission checker.
 */
import { rougeScore, ROUGE_TYPES, type RougeType } from './rouge.js';
import { splitSentences } from './sentences.js';
import { npMean, npRound, pyFixed, pyFloatRepr, pyLen, pyRound } from './pyformat.js';
import { answerKindFor, DATASET_REPEATS, gradeAnswer, isScorable } from './exact-match.js';

export interface Llama2Pair {
  /** the model's output text ('' for a failed request) */
  output: string;
  reference: string;
  /** output tokens as logged in mlperf_log_accuracy.json (len of `data`) */
  tokenCount: number;
}

export interface Llama2Scores {
  rouge1: number;
  rouge2: number;
  rougeL: number;
  rougeLsum: number;
  gen_len: number;
  gen_num: number;
  gen_tok_len: number;
  tokens_per_sample: number;
}

/** evaluate-accuracy.py `postprocess_text` for one text. */
function postprocess(text: string): string {
  return splitSentences(text.trim()).join('\n');
}

export function evaluateLlama2(pairs: readonly Llama2Pair[]): Llama2Scores {
  const fm: Record<RougeType, Float64Array> = {
    rouge1: new Float64Array(pairs.length),
    rouge2: new Float64Array(pairs.length),
    rougeL: new Float64Array(pairs.length),
    rougeLsum: new Float64Array(pairs.length),
  };
  let genLen = 0;
  let genTokLen = 0;
  pairs.forEach((p, i) => {
    const pred = postprocess(p.output);
    const target = postprocess(p.reference);
    genLen += pyLen(pred);
    genTokLen += p.tokenCount;
    const s = rougeScore(target, pred, { useStemmer: true });
    for (const t of ROUGE_TYPES) fm[t][i] = s[t]!.fmeasure;
  });
  const score = (t: RougeType) => (pairs.length === 0 ? Number.NaN : npRound(npMean(fm[t]) * 100, 4));
  return {
    rouge1: score('rouge1'),
    rouge2: score('rouge2'),
    rougeL: score('rougeL'),
    rougeLsum: score('rougeLsum'),
    gen_len: genLen,
    gen_num: pairs.length,
    gen_tok_len: genTokLen,
    tokens_per_sample: pairs.length === 0 ? Number.NaN : pyRound(genTokLen / pairs.length, 1),
  };
}

/** What evaluate-accuracy.py prints: "\nResults\n\n" then the dict (numpy < 2 repr, as the published logs show). */
export function renderLlama2AccuracyTxt(s: Llama2Scores): string {
  const f = pyFloatRepr;
  const dict =
    `{'rouge1': ${f(s.rouge1)}, 'rouge2': ${f(s.rouge2)}, 'rougeL': ${f(s.rougeL)}, 'rougeLsum': ${f(s.rougeLsum)}, ` +
    `'gen_len': ${s.gen_len}, 'gen_num': ${s.gen_num}, 'gen_tok_len': ${s.gen_tok_len}, 'tokens_per_sample': ${f(s.tokens_per_sample)}}`;
  return `\nResults\n\n${dict}\n`;
}

export interface ExactMatchItem {
  output: string;
  reference: string;
  /** dataset name (lowercased), e.g. aime25, gpqa_diamond */
  dataset: string;
}

export interface DatasetStats {
  dataset: string;
  correct: number;
  total: number;
  repeats: number;
}

export interface ExactMatchScores {
  perDataset: DatasetStats[];
  totalCorrect: number;
  totalSamples: number;
  /** Σ correct/repeats */
  finalScore: number;
  /** Σ total/repeats */
  maxScore: number;
  /** finalScore / maxScore × 100, the submission checker's exact_match */
  exactMatch: number;
  /** samples of sets tokbench does not score (code execution, symbolic math), by dataset */
  notScored: { dataset: string; samples: number }[];
}

export function evaluateExactMatch(items: readonly ExactMatchItem[]): ExactMatchScores {
  const stats = new Map<string, { correct: number; total: number }>();
  const skipped = new Map<string, number>();
  for (const it of items) {
    const kind = answerKindFor(it.dataset);
    if (kind === null || !isScorable(kind)) {
      skipped.set(it.dataset, (skipped.get(it.dataset) ?? 0) + 1);
      continue;
    }
    const s = stats.get(it.dataset) ?? { correct: 0, total: 0 };
    s.total++;
    if (gradeAnswer(kind, it.output, it.reference).correct) s.correct++;
    stats.set(it.dataset, s);
  }
  const perDataset = [...stats.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dataset, s]) => ({ dataset, correct: s.correct, total: s.total, repeats: DATASET_REPEATS[dataset] ?? 1 }));
  let finalScore = 0;
  let maxScore = 0;
  let totalCorrect = 0;
  let totalSamples = 0;
  // the script fills its per-dataset stats in sorted dataset order and sums in that order
  for (const d of perDataset) {
    finalScore += d.correct / d.repeats;
    maxScore += d.total / d.repeats;
    totalCorrect += d.correct;
    totalSamples += d.total;
  }
  return {
    perDataset,
    totalCorrect,
    totalSamples,
    finalScore,
    maxScore,
    exactMatch: maxScore > 0 ? (finalScore / maxScore) * 100 : 0,
    notScored: [...skipped.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([dataset, samples]) => ({ dataset, samples })),
  };
}

const pad = (s: string, w: number) => s.padEnd(w);
const rpad = (s: string, w: number) => s.padStart(w);

/** What eval_mlperf_accuracy.py prints on stdout, ending with the line the submission checker reads. */
export function renderExactMatchAccuracyTxt(s: ExactMatchScores): string {
  const eq = '='.repeat(80);
  const dash = '-'.repeat(80);
  const lines: string[] = [];
  if (s.notScored.length > 0) {
    lines.push(
      `tokbench: not scored (out of scope: code execution / symbolic grading): ${s.notScored.map((n) => `${n.dataset} (${n.samples} samples)`).join(', ')}; exact_match below covers the other sets only`,
    );
  }
  const overall = s.totalSamples > 0 ? (s.totalCorrect / s.totalSamples) * 100 : 0;
  lines.push('', eq, 'MLPerf Accuracy Evaluation Results', eq);
  lines.push(`Total samples evaluated: ${s.totalSamples}`);
  lines.push(`Overall raw accuracy: ${pyFixed(overall, 2)}% (${s.totalCorrect}/${s.totalSamples})`);
  lines.push(eq, '', 'Per-Dataset Breakdown:', dash);
  lines.push(`${pad('Dataset', 25)} ${rpad('Correct', 8)} ${rpad('Total', 8)} ${rpad('Repeats', 8)} ${rpad('Score', 10)} ${rpad('Accuracy', 10)}`);
  lines.push(dash);
  for (const d of s.perDataset) {
    if (d.total === 0) continue;
    const acc = (d.correct / d.total) * 100;
    lines.push(
      `${pad(d.dataset, 25)} ${rpad(String(d.correct), 8)} ${rpad(String(d.total), 8)} ${rpad(String(d.repeats), 8)} ${rpad(pyFixed(d.correct / d.repeats, 2), 10)} ${rpad(pyFixed(acc, 2), 9)}%`,
    );
  }
  lines.push(eq, '', 'Final Score Calculation:', dash);
  lines.push(`Formula: ${s.perDataset.map((d) => `${d.dataset}/${d.repeats}`).join(' + ')}`);
  lines.push(`Score:   = ${s.perDataset.map((d) => `${d.correct}/${d.repeats}`).join(' + ')}`);
  lines.push(`         = ${s.perDataset.map((d) => pyFixed(d.correct / d.repeats, 2)).join(' + ')}`);
  lines.push(`         = ${pyFixed(s.finalScore, 2)}`);
  lines.push(`Max:     = ${s.perDataset.map((d) => `${d.total}/${d.repeats}`).join(' + ')}`);
  lines.push(`         = ${pyFixed(s.maxScore, 2)}`);
  lines.push('', `FINAL SCORE: ${pyFixed(s.exactMatch, 2)}% (${pyFixed(s.finalScore, 2)}/${pyFixed(s.maxScore, 2)})`);
  lines.push(eq, '', '', 'Printing for submission_checker:', '', `'exact_match': ${pyFixed(s.exactMatch, 3)}`);
  return lines.join('\n') + '\n';
}
