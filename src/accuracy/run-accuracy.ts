/**
 * Accuracy mode (`tokbench run --mode accuracy`) as LoadGen's AccuracyOnly:
 * every sample of the dataset is issued exactly once (no performance padding),
 * every response is kept, and at the end tokbench writes what an MLPerf
 * accuracy run leaves behind (reference/mlperf.md §4 "Required files"):
 *
 * - `mlperf_log_accuracy.json` (§5.3): one entry per completed sample, in query
 *   order, with the output as token ids: the server's text re-tokenized by the
 *   benchmark tokenizer (the OpenAI API returns text; the count is the length of
 *   `data`, as TEST06 requires, §5.4). Server entries carry `token_data`, the
 *   ids of the first streamed chunk (its token count as the server reported it,
 *   else one token).
 * - `accuracy.txt`: what the benchmark's MLPerf evaluator prints for that log
 *   (evaluate.ts), so the submission checker's patterns read it.
 *
 * The scores go into result.json `accuracy` with the v6.0 targets.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { SampleLibrary, Tokenizer } from '../dataset/types.js';
import { readDatasetFile } from '../dataset/files.js';
import type { RequestRecord } from '../records/record.js';
import type { SutOutcome } from '../sut/types.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { AccuracyResult } from '../metrics/types.js';
import { renderMlperfAccuracy, type AccuracyLogEntry } from '../report/mlperf-accuracy.js';
import { evaluateExactMatch, evaluateLlama2, renderExactMatchAccuracyTxt, renderLlama2AccuracyTxt } from './evaluate.js';
import { answerKindFor, inferDataset, isScorable } from './exact-match.js';
import { accuracyTargetsFor, boundPassed } from './targets.js';

export const ACCURACY_LOG_FILE = 'mlperf_log_accuracy.json';
export const ACCURACY_TXT_FILE = 'accuracy.txt';

interface Kept {
  seq: number;
  sampleIndex: number;
  ok: boolean;
  text: string | null;
  /** tokens of the first output chunk as the server said; null when unknown */
  firstChunkTokens: number | null;
}

/** Per-line fields the sample loader does not keep: the dataset name, and `ground_truth` (the GPT-OSS column name). */
export interface LineTags {
  dataset: (string | null)[];
  groundTruth: (string | null)[];
}

/**
 * Read `dataset` and `ground_truth` from each non-blank line of a JSONL file, in
 * the order the loader numbers samples (it rejects a file with a bad line, so the
 * numbering matches).
 */
export async function readJsonlTags(path: string): Promise<LineTags> {
  const text = (await readDatasetFile(path)).toString('utf8');
  const tags: LineTags = { dataset: [], groundTruth: [] };
  for (const raw of text.split('\n')) {
    const line = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (line.trim() === '') continue;
    let rec: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) rec = parsed as Record<string, unknown>;
    } catch {
      // the loader already rejected such files
    }
    const ds = rec.dataset;
    const gt = rec.ground_truth;
    tags.dataset.push(typeof ds === 'string' && ds !== '' ? ds.toLowerCase() : null);
    tags.groundTruth.push(typeof gt === 'string' ? gt : typeof gt === 'number' && Number.isFinite(gt) ? String(gt) : null);
  }
  return tags;
}

export class AccuracyRecorder {
  private readonly kept = new Map<number, Kept>();
  private outcomesWithoutText = 0;

  private constructor(
    private readonly scenario: ResolvedScenario,
    private readonly references: (string | null)[],
    private readonly datasets: (string | null)[],
  ) {}

  /**
   * Check the dataset can be scored and size the run: each sample once, no
   * equal-issue padding. Mutates the scenario's run sizing (recorded in result.json).
   */
  static async prepare(scenario: ResolvedScenario, library: SampleLibrary, datasetPath: string | null): Promise<AccuracyRecorder> {
    const tags = datasetPath !== null && scenario.dataset.source === 'jsonl' ? await readJsonlTags(datasetPath) : null;
    const references = library.samples.map((s, i) => s.reference ?? tags?.groundTruth[i] ?? null);
    const withReference = references.filter((r) => r !== null).length;
    if (withReference === 0) {
      throw new ConfigError({
        where: '--mode accuracy',
        message: `the dataset has no reference answers (${library.source})`,
        hint: 'give --dataset FILE.jsonl whose lines carry the expected answer as "reference" (or "output", "answer", "ground_truth")',
      });
    }
    const datasets = library.samples.map((s, i) => s.dataset ?? tags?.dataset[i] ?? null);
    scenario.run.samples = library.samples.length;
    scenario.run.equalIssue = false;
    scenario.origins['run.samples'] = 'default';
    scenario.origins['run.equalIssue'] = 'default';
    return new AccuracyRecorder(scenario, references, datasets);
  }

  /** Keep the response of a measured query (warm-up excluded). */
  onRecord(rec: RequestRecord, outcome: SutOutcome | null): void {
    if (rec.warmup) return;
    if (outcome === null || (rec.ok && outcome.text === null)) this.outcomesWithoutText++;
    const first = outcome?.chunkTokens?.[0];
    this.kept.set(rec.seq, {
      seq: rec.seq,
      sampleIndex: rec.sampleIndex,
      ok: rec.ok,
      text: outcome?.text ?? null,
      firstChunkTokens: typeof first === 'number' && first > 0 ? first : null,
    });
  }

  /** Write mlperf_log_accuracy.json and accuracy.txt into outDir; return the scores for result.json. */
  finish(outDir: string, tokenizer: Tokenizer): AccuracyResult {
    const server = this.scenario.scenario !== 'offline';
    const entries: AccuracyLogEntry[] = [];
    const logged: { sampleIndex: number; text: string; tokens: number }[] = [];
    const seen = new Set<number>();
    let failed = 0;
    for (const k of [...this.kept.values()].sort((a, b) => a.seq - b.seq)) {
      if (!k.ok || k.text === null) {
        failed++;
        continue;
      }
      const ids = tokenizer.encode(k.text);
      const first = Math.min(ids.length, k.firstChunkTokens ?? 1);
      entries.push({ seqId: k.seq, qslIdx: k.sampleIndex, tokenIds: ids, ...(server ? { firstTokenIds: ids.slice(0, first) } : {}) });
      // the evaluators keep the first entry of each qsl_idx
      if (!seen.has(k.sampleIndex)) {
        seen.add(k.sampleIndex);
        logged.push({ sampleIndex: k.sampleIndex, text: k.text, tokens: ids.length });
      }
    }
    writeFileSync(join(outDir, ACCURACY_LOG_FILE), renderMlperfAccuracy(entries));

    const notes: string[] = [];
    const samples = this.kept.size;
    if (failed > 0) {
      notes.push(
        `${failed} of ${samples} requests failed and are not in ${ACCURACY_LOG_FILE}; the MLPerf evaluator scores only logged samples, and an accuracy run needs every sample`,
      );
    }
    if (this.outcomesWithoutText > 0) {
      notes.push(`${this.outcomesWithoutText} responses arrived without their text and could not be scored`);
    }
    notes.push('token ids are the server text re-tokenized with the benchmark tokenizer (an OpenAI-compatible server returns text)');

    const benchmark = this.scenario.benchmark;
    let result: AccuracyResult;
    if (benchmark === 'gpt-oss-120b') {
      result = this.scoreExactMatch(outDir, logged, samples, failed, notes);
    } else {
      result = this.scoreRouge(outDir, logged, samples, failed, notes);
    }
    return result;
  }

  private scoreRouge(outDir: string, logged: { sampleIndex: number; text: string; tokens: number }[], samples: number, failed: number, notes: string[]): AccuracyResult {
    const pairs = logged
      .filter((l) => this.references[l.sampleIndex] !== null)
      .map((l) => ({ output: l.text, reference: this.references[l.sampleIndex]!, tokenCount: l.tokens }));
    const missingRef = logged.length - pairs.length;
    if (missingRef > 0) notes.push(`${missingRef} samples have no reference and were left out of the scores`);
    notes.push('rougeLsum splits sentences with an approximation of NLTK Punkt (not a target); rouge1/2/L are exact');
    const s = evaluateLlama2(pairs);
    writeFileSync(join(outDir, ACCURACY_TXT_FILE), renderLlama2AccuracyTxt(s));
    const scores: Record<string, number> = { ...s };
    return {
      metric: 'rouge',
      samples,
      scored: pairs.length,
      failed,
      scores,
      notScored: missingRef > 0 ? [{ dataset: '(no reference)', samples: missingRef, reason: 'no reference answer' }] : [],
      targets: this.judge(scores, failed),
      notes,
    };
  }

  private scoreExactMatch(outDir: string, logged: { sampleIndex: number; text: string; tokens: number }[], samples: number, failed: number, notes: string[]): AccuracyResult {
    const items = logged
      .filter((l) => this.references[l.sampleIndex] !== null)
      .map((l) => {
        const reference = this.references[l.sampleIndex]!;
        return { output: l.text, reference, dataset: this.datasets[l.sampleIndex] ?? inferDataset(reference) ?? 'unknown' };
      });
    const s = evaluateExactMatch(items);
    writeFileSync(join(outDir, ACCURACY_TXT_FILE), renderExactMatchAccuracyTxt(s));
    const notScored = s.notScored.map((n) => {
      const kind = answerKindFor(n.dataset);
      const reason =
        kind === 'code'
          ? 'graded by executing code (LiveCodeBench): out of scope'
          : kind === 'math'
            ? 'graded symbolically (PRM800K): out of scope'
            : kind !== null && isScorable(kind)
              ? 'not scored'
              : 'unknown dataset: give each line a "dataset" field (aime25, gpqa_diamond, livecodebench_v6)';
      return { dataset: n.dataset, samples: n.samples, reason };
    });
    if (notScored.length > 0) {
      notes.push(`exact_match covers ${s.totalSamples} of ${logged.length} logged samples; it is not comparable with the MLPerf target, which includes every set`);
    }
    const scores: Record<string, number> = { exact_match: s.exactMatch };
    return {
      metric: 'exact_match',
      samples,
      scored: s.totalSamples,
      failed,
      scores,
      perDataset: s.perDataset.map((d) => ({ ...d, accuracy: d.total > 0 ? (d.correct / d.total) * 100 : 0 })),
      notScored,
      targets: notScored.length > 0 ? [] : this.judge(scores, failed),
      notes,
    };
  }

  private judge(scores: Record<string, number>, failed: number): AccuracyResult['targets'] {
    return accuracyTargetsFor(this.scenario.benchmark).map((set) => {
      const checks = set.bounds.map((b) => {
        const value = scores[b.metric] ?? Number.NaN;
        return { metric: b.metric, value, op: b.op, limit: b.limit, passed: boundPassed(value, b) };
      });
      return { name: set.name, passed: failed === 0 && checks.every((c) => c.passed), checks };
    });
  }
}

/** One line for the log: the scores against the first target set. */
export function describeAccuracy(a: AccuracyResult): string {
  const scores =
    a.metric === 'rouge'
      ? `rouge1 ${a.scores.rouge1}, rouge2 ${a.scores.rouge2}, rougeL ${a.scores.rougeL}, tokens/sample ${a.scores.tokens_per_sample}`
      : `exact_match ${Number(a.scores.exact_match).toFixed(3)}%`;
  const verdicts = a.targets.map((t) => `${t.name} ${t.passed ? 'PASS' : 'FAIL'}`).join(', ');
  return `accuracy over ${a.scored} samples: ${scores}${verdicts ? ` (${verdicts})` : ''}`;
}
