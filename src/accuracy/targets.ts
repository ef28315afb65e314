/**
 * MLPerf Inference v6.0 accuracy targets (reference/mlperf.md §3.3, §3.4; the
 * submission checker's `constants.py` "accuracy-target" and
 * "accuracy-upper-limit").
 */

export interface AccuracyBound {
  /** key in the evaluator's output, e.g. rouge1, tokens_per_sample, exact_match */
  metric: string;
  op: '>=' | '<=';
  limit: number;
}

export interface AccuracyTargetSet {
  /** the submission name the targets belong to, e.g. llama2-70b-99 */
  name: string;
  bounds: AccuracyBound[];
}

/** Llama 2 70B reference (fp16/fp32): rouge1 44.4312, rouge2 22.0352, rougeL 28.6162, tokens per sample 294.45. */
export const LLAMA2_REFERENCE = { rouge1: 44.4312, rouge2: 22.0352, rougeL: 28.6162, tokens_per_sample: 294.45 } as const;

/** GPT-OSS-120B reference exact match 83.13 %. */
export const GPT_OSS_REFERENCE = { exact_match: 83.13 } as const;

function llama2Targets(fraction: number, name: string): AccuracyTargetSet {
  return {
    name,
    bounds: [
      { metric: 'rouge1', op: '>=', limit: LLAMA2_REFERENCE.rouge1 * fraction },
      { metric: 'rouge2', op: '>=', limit: LLAMA2_REFERENCE.rouge2 * fraction },
      { metric: 'rougeL', op: '>=', limit: LLAMA2_REFERENCE.rougeL * fraction },
      { metric: 'tokens_per_sample', op: '>=', limit: LLAMA2_REFERENCE.tokens_per_sample * 0.9 },
      { metric: 'tokens_per_sample', op: '<=', limit: LLAMA2_REFERENCE.tokens_per_sample * 1.1 },
    ],
  };
}

/** The target sets of a benchmark: Llama 2 has a 99 % and a 99.9 % submission; GPT-OSS one (99 %). */
export function accuracyTargetsFor(benchmark: string): AccuracyTargetSet[] {
  switch (benchmark) {
    case 'llama2-70b':
      return [llama2Targets(0.99, 'llama2-70b-99'), llama2Targets(0.999, 'llama2-70b-99.9')];
    case 'gpt-oss-120b':
      // The checker's TOKENS_PER_SAMPLE upper limit (1.1 × 9999) is marked "Placeholder"; not applied.
      return [{ name: 'gpt-oss-120b', bounds: [{ metric: 'exact_match', op: '>=', limit: GPT_OSS_REFERENCE.exact_match * 0.99 }] }];
    default:
      return [];
  }
}

export function boundPassed(value: number, b: AccuracyBound): boolean {
  return b.op === '>=' ? value >= b.limit : value <= b.limit;
}
