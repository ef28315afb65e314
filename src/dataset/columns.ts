/**
 * Which column of a tabular dataset (parquet) plays which role, and what a
 * dataset file's extension says it is. Kept apart from parquet.ts so scenario
 * resolution can use it without loading the parquet reader.
 *
 * The defaults are the column names of MLPerf's reference datasets:
 *   - Llama 2 70B (open_orca_gpt4_tokenized_llama.sampled_24576): `input` (the
 *     prompt, chat template applied), `tok_input` (its Llama 2 ids, BOS first),
 *     `output` (reference answer), `tok_output` (its ids)
 *   - GPT-OSS-120B (perf_eval_ref / acc_eval_ref): `input_tokens` (harmony ids;
 *     older files `tok_input`), `dataset` and `ground_truth`, the columns its
 *     eval_mlperf_accuracy.py reads
 */
import { didYouMean, type Problem } from '../errors.js';

export type ColumnRole = 'prompt' | 'ids' | 'reference' | 'outputTokens' | 'dataset';

/** Candidate column names per role, first found wins. */
export const DEFAULT_COLUMNS: Readonly<Record<ColumnRole, readonly string[]>> = {
  prompt: ['input', 'prompt', 'text_input'],
  ids: ['tok_input', 'input_tokens', 'input_ids'],
  reference: ['output', 'ground_truth', 'reference', 'answer'],
  // a token-id list (its length) or an integer count
  outputTokens: ['tok_output', 'output_tokens', 'max_tokens'],
  dataset: ['dataset'],
};

export const COLUMN_ROLES = Object.keys(DEFAULT_COLUMNS) as ColumnRole[];

export type ColumnOverrides = Partial<Record<ColumnRole, string>>;

/**
 * `--dataset-column role=name` (repeatable). An empty name (`reference=`) turns
 * the role off, e.g. to send the scenario's max_tokens instead of `tok_output`'s length.
 */
export function parseColumnOverrides(args: readonly string[], problems: Problem[]): ColumnOverrides {
  const out: ColumnOverrides = {};
  for (const arg of args) {
    const i = arg.indexOf('=');
    const role = (i < 0 ? arg : arg.slice(0, i)).trim();
    const where = `--dataset-column ${JSON.stringify(arg)}`;
    if (i < 0) {
      problems.push({ where, message: 'expected role=column', hint: `e.g. --dataset-column ids=input_tokens; roles: ${COLUMN_ROLES.join(', ')}` });
      continue;
    }
    if (!(COLUMN_ROLES as string[]).includes(role)) {
      const guess = didYouMean(role, COLUMN_ROLES);
      problems.push({ where, message: `unknown role "${role}"`, hint: `${guess ? `did you mean "${guess}"? ` : ''}roles: ${COLUMN_ROLES.join(', ')}` });
      continue;
    }
    out[role as ColumnRole] = arg.slice(i + 1).trim();
  }
  return out;
}

export type DatasetFileKind = 'jsonl' | 'parquet' | 'sharegpt' | 'pickle';

/** What a dataset path's extension says it holds (anything else is read as ShareGPT JSON). */
export function datasetKindOf(path: string): DatasetFileKind {
  if (/\.jsonl$/i.test(path)) return 'jsonl';
  if (/\.parquet$/i.test(path)) return 'parquet';
  if (/\.(pkl|pickle)$/i.test(path)) return 'pickle';
  return 'sharegpt';
}

/** A pandas pickle cannot be read outside Python; say how to turn it into parquet. */
export function pickleProblem(path: string, where: string): Problem {
  const out = path.replace(/\.(pkl|pickle)$/i, '.parquet');
  return {
    where,
    message: `${path} is a pandas pickle, which only Python can read`,
    hint: `convert it once: python3 -c "import pandas as pd; pd.read_pickle('${path}').to_parquet('${out}')" and pass --dataset ${out}`,
  };
}
