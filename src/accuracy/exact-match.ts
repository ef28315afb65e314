/**
 * GPT-OSS-120B accuracy: exact match of the extracted answer, as MLPerf's
 * `language/gpt-oss-120b/eval_accuracy.py` (parsers) and
 * `eval_mlperf_accuracy.py` (scoring) compute it (mlcommons/inference, v6.0).
 *
 * Scored here: the answer-extracting sets, AIME-style integer answers (`aime*`)
 * and multiple-choice letters (`gpqa*` A–D, `mmlu_pro*` / `mmlu*` A–J).
 * Not scored (out of scope): `livecodebench*`, which the reference grades by
 * executing the generated code against hidden tests, and `math500*`, which it
 * grades with PRM800K's symbolic grader. Samples of those sets are reported as
 * not scored; the exact_match tokbench prints then covers the other sets only and
 * cannot be compared with the MLPerf target, which includes them.
 *
 * The parsers follow the reference's regular expressions and priorities. The
 * reference reads the model output decoded with special tokens kept, so a
 * harmony `<|channel|>final<|message|>` section is found when present; through a
 * chat API the reasoning and the final answer arrive as separate fields that
 * tokbench concatenates, so the final-section rule cannot apply there (see
 * docs/mlperf.md).
 */

/** Repeats per dataset in the v6.0 accuracy set: final score = Σ correct / repeats (eval_mlperf_accuracy.py). */
export const DATASET_REPEATS: Readonly<Record<string, number>> = Object.freeze({
  aime25: 8,
  gpqa_diamond: 5,
  livecodebench_v6: 3,
});

export type AnswerKind = 'multiple_choice_d' | 'multiple_choice_j' | 'aime' | 'code' | 'math';

/** The reference's evaluator lookup: the first key contained in the lowercased dataset name. */
const EVALUATOR_KEYS: readonly [string, AnswerKind][] = [
  ['gpqa', 'multiple_choice_d'],
  ['mmlu_pro', 'multiple_choice_j'],
  ['math500', 'math'],
  ['aime', 'aime'],
  ['livecodebench', 'code'],
  ['mmlu', 'multiple_choice_j'],
];

export function answerKindFor(dataset: string): AnswerKind | null {
  const lower = dataset.toLowerCase();
  for (const [key, kind] of EVALUATOR_KEYS) if (lower.includes(key)) return kind;
  return null;
}

/** Kinds tokbench can score (no code execution, no symbolic math grading). */
export function isScorable(kind: AnswerKind): boolean {
  return kind === 'aime' || kind === 'multiple_choice_d' || kind === 'multiple_choice_j';
}

/**
 * A dataset name for a sample without one, from the shape of its reference: a
 * single letter A–D → "gpqa", A–J → "mmlu", an integer → "aime"; null otherwise.
 */
export function inferDataset(reference: string): string | null {
  const r = reference.trim();
  if (/^[A-Da-d]$/.test(r)) return 'gpqa';
  if (/^[A-Ja-j]$/.test(r)) return 'mmlu';
  if (/^[+-]?\d+$/.test(r)) return 'aime';
  return null;
}

/** `extract_final_section`: the harmony final channel's content, else the text itself. */
export function extractFinalSection(text: string): string {
  const t = text.trim();
  if (!t) return '';
  const m = /<\|channel\|>final[^<]*<\|message\|>([\s\S]*?)(?:<\|return\|>|$)/.exec(t);
  return m ? m[1]!.trim() : t;
}

function stripMarkdownBold(text: string): string {
  return text.replace(/\*\*([^*]+)\*\*/g, '$1');
}

/** Python's `.replace(r'\n', '\n').replace(r"\'", "'")`: literal backslash escapes to characters. */
function unescapeLiterals(text: string): string {
  return text.split('\\n').join('\n').split("\\'").join("'");
}

/** `parse_multiple_choice(text, max_option)`: the chosen letter, upper case, or null. */
export function parseMultipleChoice(text: string, maxOption: 'D' | 'J' = 'D'): string | null {
  const t = text.trim();
  if (!t) return null;
  let final = stripMarkdownBold(extractFinalSection(t));
  if ((final.startsWith("['") || final.startsWith('["')) && (final.endsWith("']") || final.endsWith('"]'))) {
    final = final.slice(2, -2).trim();
  }
  final = unescapeLiterals(final);
  const range = `A-${maxOption}`;
  // 1. a single letter at the start of the final section
  const single = new RegExp(`^[^a-zA-Z]*([${range}])(?:[^a-zA-Z]|$)`, 'i').exec(final.trim());
  if (single) return single[1]!.toUpperCase();
  // 2. "Answer: X" in the final section
  const answer = new RegExp(`\\b(?:Answer|ANSWER)\\s*[:.]?\\s*([${range}])\\b`, 'i').exec(final);
  if (answer) return answer[1]!.toUpperCase();
  // 3. the last ANSWER / FINAL ANSWER pattern in the full text
  const full = unescapeLiterals(t);
  const pattern = new RegExp(`\\b(?:ANSWER|FINAL\\s*ANSWER)\\b\\s*[:=]?\\s*(?:\\(?\\s*([${range}])\\s*\\)?)(?:\\s*$|[^A-Za-z])`, 'gi');
  let last: string | null = null;
  for (const m of full.matchAll(pattern)) last = m[1]!;
  if (last !== null) return last.toUpperCase();
  // 4. MMLU-Pro: the last standalone letter in the final section
  if (maxOption === 'J') {
    let fallback: string | null = null;
    for (const m of final.matchAll(new RegExp(`\\b([${range}])\\b`, 'gi'))) fallback = m[1]!;
    if (fallback !== null) return fallback.toUpperCase();
  }
  return null;
}

/** `parse_aime_answer`: the last \boxed{N}, else the last "Answer: N"; an integer in 0..999, else null. */
export function parseAimeAnswer(text: string): number | null {
  const t = text.trim();
  if (!t) return null;
  let extracted: string | null = null;
  for (const m of t.matchAll(/\\boxed{\s*(\d+)\s*}/g)) extracted = m[1]!;
  if (extracted === null) {
    for (const m of t.matchAll(/Answer:\s*(\d+)(?!\.)\b/gim)) extracted = m[1]!;
  }
  if (extracted === null) return null;
  const v = Number.parseInt(extracted, 10);
  return v >= 0 && v <= 999 ? v : null;
}

/** Python `int(x)` for an integer string (surrounding whitespace allowed); null when it would raise. */
function pyInt(x: string): number | null {
  const m = /^\s*([+-]?\d+)\s*$/.exec(x);
  return m ? Number.parseInt(m[1]!, 10) : null;
}

export interface ExactMatchOutcome {
  extracted: string | null;
  correct: boolean;
}

/** Parse and grade one output for a scorable kind (`evaluate_single_entry`). */
export function gradeAnswer(kind: AnswerKind, output: string, groundTruth: string): ExactMatchOutcome {
  switch (kind) {
    case 'aime': {
      const parsed = parseAimeAnswer(output);
      const gt = pyInt(groundTruth);
      return { extracted: parsed === null ? null : String(parsed), correct: parsed !== null && gt !== null && parsed === gt };
    }
    case 'multiple_choice_d':
    case 'multiple_choice_j': {
      const valid = kind === 'multiple_choice_d' ? 'ABCD' : 'ABCDEFGHIJ';
      const parsed = parseMultipleChoice(output, kind === 'multiple_choice_d' ? 'D' : 'J');
      const correct = parsed !== null && groundTruth !== '' && valid.includes(parsed) && parsed === groundTruth.toUpperCase();
      return { extracted: parsed, correct };
    }
    default:
      throw new RangeError(`${kind} answers are not scored by tokbench`);
  }
}
