/**
 * MLPerf conformance through the CLI:
 * - validity against a simulator whose latency-constrained capacity is known
 *   (the engine of test/e2e/find-peak.test.ts: TPOT = 3 ms / (1 − λ·8.257 ms),
 *   limit 9 ms, so 80.7 QPS is the most that stays valid): above it INVALID for
 *   TPOT, below it INVALID only while too short for early stopping, then VALID;
 * - the mlperf_log_summary.txt `run` writes has the real v6.0 summaries' lines,
 *   order and number formats (values aside);
 * - --user-conf / --mlperf-conf resolve keys as LoadGen does, per lookup level;
 * - --mode accuracy writes mlperf_log_accuracy.json and accuracy.txt with the
 *   scores the MLPerf evaluators give (pairs from test/fixtures/accuracy).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMain, spawnCli, tempDir } from '../helpers/cli.js';
import { startFakeOpenAiServer, type FakeOpenAiServer, type RecordedRequest } from '../helpers/fakeOpenAiServer.js';
import { startSimulator, type SimulatorHandle } from '../../src/sim/server.js';
import type { EngineParams } from '../../src/sim/engine.js';
import type { ResultJson } from '../../src/metrics/types.js';
import { loadTokenizer } from '../../src/dataset/tokenizers.js';
import { tokenIdsToHex } from '../../src/report/mlperf-accuracy.js';

const ENGINE: Partial<EngineParams> = {
  maxNumSeqs: 256,
  maxBatchedTokens: 4096,
  kvCapacityTokens: 1_000_000,
  maxModelLenTokens: 4096,
  stepBaseUs: 3000,
  prefillUsPerToken: 1,
  decodeUsPerSeq: 175,
  tokensPerStep: 1,
  tokensPerChunk: 8,
  timeScale: 1,
};
/** TPOT (ms) the engine settles at for an arrival rate, from the derivation in find-peak.test.ts */
const tpotMsAt = (qps: number) => 3 / (1 - qps * 0.008257);

const FIXTURES = fileURLToPath(new URL('../fixtures/mlperf/', import.meta.url));
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;

let sim: SimulatorHandle;
let dir: string;
let scenarioFile: string;
let validServerSummary = '';

beforeAll(async () => {
  sim = await startSimulator({ engine: ENGINE, promptTokenizer: 'llama2', seed: 1 });
  dir = tempDir('tokbench-mlperf-');
  scenarioFile = join(dir, 'tpot-bound.yaml');
  writeFileSync(
    scenarioFile,
    [
      'schemaVersion: 1',
      'benchmark: custom',
      'scenario: server',
      'load:',
      '  burstiness: 100',
      'dataset: {source: synthetic, size: 64, tokenizer: llama2, inputTokens: 32, outputTokens: 48}',
      'run: {minDurationMs: 8000, minQueryCount: 100}',
      'constraints: {ttftP99Ms: 500, tpotP99Ms: 9}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await sim?.close();
});

function checks(result: ResultJson): Record<string, boolean> {
  return Object.fromEntries(result.validity.checks.map((c) => [c.name, c.passed]));
}

describe('Server validity against a simulator of known capacity', () => {
  it('above capacity (100 QPS, TPOT ≈ 17 ms > 9 ms): INVALID for the TPOT constraint and early stopping, not TTFT', async () => {
    expect(tpotMsAt(100)).toBeGreaterThan(15);
    const out = join(dir, 'above');
    const r = await spawnCli(['run', scenarioFile, '--endpoint', sim.url, '--target-qps', '100', '--duration', '3s', '--out', out, '--quiet'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const result = readJson<ResultJson>(join(out, 'result.json'));
    expect(result.validity.valid).toBe(false);
    expect(checks(result)).toMatchObject({ min_duration: true, min_queries: true, ttft_p99: true, tpot_p99: false, early_stopping: false, all_queries_completed: true });
    const summary = readFileSync(join(out, 'mlperf_log_summary.txt'), 'utf8');
    expect(summary).toContain('Result is : INVALID\n  Performance constraints satisfied : NO\n');
    expect(summary).toContain(' * TPOT constrain not met: Reduce target QPS to improve latency.\n');
    expect(summary).toMatch(/TPOT Early Stopping Result:\n \* Run unsuccessful\./);
  }, 60_000);

  it('below capacity (60 QPS, TPOT ≈ 6 ms) but short (3 s, ~190 queries): INVALID only because early stopping needs 459 queries', async () => {
    const out = join(dir, 'below-short');
    const r = await spawnCli(['run', scenarioFile, '--endpoint', sim.url, '--target-qps', '60', '--duration', '3s', '--samples', '190', '--out', out, '--quiet'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const result = readJson<ResultJson>(join(out, 'result.json'));
    expect(checks(result)).toMatchObject({ min_duration: true, min_queries: true, ttft_p99: true, tpot_p99: true, early_stopping: false });
    expect(result.validity.checks.find((c) => c.name === 'early_stopping')!.detail).toMatch(/0 over 9 ms; 190 queries issued, needs 459/);
  }, 60_000);

  it('below capacity and long enough (60 QPS for 8 s, 512 queries): VALID', async () => {
    const out = join(dir, 'below-long');
    const r = await spawnCli(['run', scenarioFile, '--endpoint', sim.url, '--target-qps', '60', '--out', out, '--quiet'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const result = readJson<ResultJson>(join(out, 'result.json'));
    expect(result.scenario.samples).toBe(512); // ⌈60 × 8⌉ = 480, padded to a whole multiple of the 64-sample dataset
    expect(result.validity.valid).toBe(true);
    expect(result.summary.latency.tpotMs!.p99).toBeLessThan(9);
    validServerSummary = readFileSync(join(out, 'mlperf_log_summary.txt'), 'utf8');
    expect(validServerSummary).toContain('Result is : VALID\n  Performance constraints satisfied : Yes\n  Min duration satisfied : Yes\n');
  }, 60_000);
});

/**
 * A summary's line structure: labels in order, values aside. Lines LoadGen prints
 * only in some runs are dropped: Recommendations and their continuation lines (INVALID runs), the result lines
 * under early stopping, accuracy_sample_count (LoadGen ≥ 6.0.6; the 6.0.5 goldens
 * lack it), and the warning/error counts become one token each.
 */
function structure(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === 'Recommendations:' || line.startsWith(' * ') || /^ {3}\S/.test(line)) continue;
    if (line.startsWith(' with the run being') || line.startsWith(' query were under')) continue;
    if (line.startsWith('accuracy_sample_count')) continue;
    if (/^(No warnings encountered|\d+ warnings? encountered)/.test(line)) out.push('<warnings>');
    else if (/^(No errors encountered|\d+ ERRORS? encountered)/.test(line)) out.push('<errors>');
    else out.push(line.includes(':') ? line.slice(0, line.indexOf(':') + 1) : line);
  }
  return out;
}

/** Number formats by label: fixed 2 decimals, integer, or C++ %g, as the golden file shows them. */
function formats(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const label = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    const kind = /^\d+\.\d\d$/.test(value) ? 'fixed2' : /^\d+$/.test(value) ? 'int' : /^\d+(\.\d+)?(e[+-]\d+)?$/.test(value) ? 'g' : 'text';
    m.set(label, kind);
  }
  return m;
}

/** %g (6 significant digits) may print an integral value without a point, or exactly two decimals. */
const G_FIELDS = new Set(['Samples per second', 'Tokens per second', 'target_qps']);

function expectSameStructure(ours: string, golden: string): void {
  expect(structure(ours)).toEqual(structure(golden));
  const g = formats(golden);
  for (const [label, kind] of formats(ours)) {
    const expected = g.get(label);
    if (expected === undefined) continue;
    if (G_FIELDS.has(label)) expect(['g', 'int', 'fixed2'], label).toContain(kind);
    else if (expected !== 'text') expect(kind, label).toBe(expected);
  }
}

describe('mlperf_log_summary.txt written by `run` has the real v6.0 line structure', () => {
  it('Server: the VALID run above against AMD 87×MI355X llama2-70b-99 Server (LoadGen 6.0.5)', () => {
    expect(validServerSummary).not.toBe('');
    expectSameStructure(validServerSummary, readFileSync(join(FIXTURES, 'v6.0-amd-87xMI355X-llama2-70b-99-server.mlperf_log_summary.txt'), 'utf8'));
  });

  it('Offline: a short run against AMD 87×MI355X llama2-70b-99 Offline (LoadGen 6.0.5)', async () => {
    const out = join(dir, 'offline');
    const r = await runMain(['run', 'llama2-70b/offline', '--samples', '32', '--input-tokens', '16', '--output-tokens', '8', '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    const ours = readFileSync(join(out, 'mlperf_log_summary.txt'), 'utf8');
    expectSameStructure(ours, readFileSync(join(FIXTURES, 'v6.0-amd-87xMI355X-llama2-70b-99-offline.mlperf_log_summary.txt'), 'utf8'));
  });
});

describe('--user-conf and --mlperf-conf, LoadGen lookup through the CLI', () => {
  const conf = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const quickRun = async (scenario: string, extra: string[]) => {
    const out = tempDir('tokbench-conf-');
    const r = await runMain(['run', scenario, '--samples', '6', '--input-tokens', '16', '--output-tokens', '4', '--out', out, '--quiet', ...extra]);
    return { r, result: r.code === 0 ? readJson<ResultJson>(join(out, 'result.json')) : null };
  };

  it('model.scenario beats *.scenario in the same file (9, not 7); origins say user.conf', async () => {
    const f = conf('levels.conf', '*.Server.target_qps = 7\nllama2-70b.Server.target_qps = 9\n');
    const { r, result } = await quickRun('llama2-70b/server', ['--user-conf', f]);
    expect(r.code).toBe(0);
    expect(result!.scenario.targetQps).toBe(9);
    expect(result!.scenario.origins['load.targetQps']).toBe('user.conf');
  });

  it('Interactive is Server under <model>-interactive: llama2-70b.Server does not apply, *.Server beats <model>-interactive.*', async () => {
    const f = conf('interactive.conf', '*.Server.target_qps = 7\nllama2-70b.Server.target_qps = 9\nllama2-70b-interactive.*.target_qps = 5\n');
    const { result } = await quickRun('llama2-70b/interactive', ['--user-conf', f]);
    expect(result!.scenario.targetQps).toBe(7);
  });

  it('model.* then *.* when nothing closer matches', async () => {
    const f = conf('wide.conf', 'llama2-70b.*.target_qps = 6\n*.*.min_query_count = 123\n*.*.target_qps = 2\n');
    const { result } = await quickRun('llama2-70b/server', ['--user-conf', f]);
    expect(result!.scenario.targetQps).toBe(6);
    expect(result!.scenario.minQueryCount).toBe(123);
    expect(result!.scenario.origins['run.minQueryCount']).toBe('user.conf');
  });

  it('a later user.conf wins whatever its level (with LoadGen\'s warning); a flag beats both', async () => {
    const a = conf('a.conf', 'llama2-70b.Server.target_qps = 9\n');
    const b = conf('b.conf', '*.*.target_qps = 4\n');
    const later = await quickRun('llama2-70b/server', ['--user-conf', a, '--user-conf', b]);
    expect(later.result!.scenario.targetQps).toBe(4);
    expect(later.r.stderr).toContain('Multiple conf files are used. This is not valid for official submission.');
    const flag = await quickRun('llama2-70b/server', ['--user-conf', a, '--target-qps', '3']);
    expect(flag.result!.scenario.targetQps).toBe(3);
    expect(flag.result!.scenario.origins['load.targetQps']).toBe('flag');
  });

  it('--mlperf-conf replaces the built-in limits (origin mlperf.conf) but not with its target_qps placeholder', async () => {
    const m = conf('mlperf.conf', 'llama2-70b.Server.ttft_latency = 1500\n*.Server.target_qps = 1.0\n');
    const { result } = await quickRun('llama2-70b/server', ['--mlperf-conf', m, '--target-qps', '8']);
    expect(result!.scenario.constraints.ttftP99Ms).toBe(1500);
    expect(result!.scenario.origins['constraints.ttftP99Ms']).toBe('mlperf.conf');
    expect(result!.scenario.constraints.tpotP99Ms).toBe(200);
    expect(result!.scenario.targetQps).toBe(8);
  });

  it('a line LoadGen would reject or ignore: exit 2 naming file:line, nothing sent', async () => {
    const f = conf('bad.conf', '# ok\nllama2-70b.Server.target_qps=9\n');
    const { r } = await quickRun('llama2-70b/server', ['--user-conf', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${f}:2`);
  });
});

describe('--mode accuracy', () => {
  let fake: FakeOpenAiServer;
  const answers = new Map<string, string>();
  beforeAll(async () => {
    fake = await startFakeOpenAiServer({
      script: (req: RecordedRequest) => {
        const prompt = String((req.body as { prompt?: unknown }).prompt ?? '');
        const text = answers.get(prompt) ?? '';
        const data = { id: 'cmpl-acc', object: 'text_completion', created: 1, model: 'fake-model', choices: [{ index: 0, text, logprobs: null, finish_reason: null }] };
        return { steps: [{ kind: 'raw', raw: `data: ${JSON.stringify(data)}\n\n` }], finish: 'separate', usage: 'none' };
      },
    });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('Llama 2: ROUGE as evaluate-accuracy.py prints it, and a TEST06-consistent accuracy log (Server: token_data)', async () => {
    // pairs and their scores from test/fixtures/accuracy/rouge-cases.json (README example, testRouge1)
    answers.set('Describe the fox.', 'The quick brown dog jumps on the log.');
    answers.set('Test it.', 'testing');
    const data = join(dir, 'openorca-mini.jsonl');
    writeFileSync(
      data,
      [
        { prompt: 'Describe the fox.', reference: 'The quick brown fox jumps over the lazy dog', output_tokens: 32 },
        { prompt: 'Test it.', output: 'testing one two', output_tokens: 32 },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n') + '\n',
    );
    const out = join(dir, 'acc-llama');
    const r = await runMain(['run', 'llama2-70b/server', '--endpoint', fake.url, '--mode', 'accuracy', '--dataset', data, '--target-qps', '20', '--out', out, '--quiet']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(fake.completionRequests.length).toBe(2); // each sample once, no padding
    const tok = await loadTokenizer('llama2');
    const ids = ['The quick brown dog jumps on the log.', 'testing'].map((t) => tok.encode(t));
    const genTokLen = ids[0]!.length + ids[1]!.length;
    // rouge1 mean(12/17, 1/2), rouge2 mean(4/15, 0), rougeL = rougeLsum mean(10/17, 1/2), ×100, 4 decimals
    expect(readFileSync(join(out, 'accuracy.txt'), 'utf8')).toBe(
      `\nResults\n\n{'rouge1': 60.2941, 'rouge2': 13.3333, 'rougeL': 54.4118, 'rougeLsum': 54.4118, 'gen_len': 44, 'gen_num': 2, 'gen_tok_len': ${genTokLen}, 'tokens_per_sample': ${genTokLen / 2}}\n`,
    );
    const log = readJson<{ seq_id: number; qsl_idx: number; data: string; token_data: string; token_count: number }[]>(join(out, 'mlperf_log_accuracy.json'));
    expect(log.map((e) => e.seq_id)).toEqual([0, 1]);
    for (const e of log) {
      const expected = ids[e.qsl_idx]!;
      expect(e.data).toBe(tokenIdsToHex(expected));
      expect(e.token_count).toBe(expected.length); // TEST06: len(data) == token_count
      expect(e.data.startsWith(e.token_data)).toBe(true); // TEST06: token_data is the start of data
    }
    const result = readJson<ResultJson>(join(out, 'result.json'));
    expect(result.scenario.mode).toBe('accuracy');
    expect(result.accuracy!.scores.rouge1).toBe(60.2941);
    expect(result.accuracy!.targets.map((t) => t.name)).toEqual(['llama2-70b-99', 'llama2-70b-99.9']);
    expect(result.accuracy!.targets.every((t) => !t.passed)).toBe(true); // tokens per sample far below 265
    expect(readFileSync(join(out, 'mlperf_log_summary.txt'), 'utf8')).toContain('Mode     : AccuracyOnly\n');
  });

  it('GPT-OSS: exact match per dataset, LiveCodeBench not scored and said so', async () => {
    const lines = [
      { prompt: 'aime q1', dataset: 'aime25', reference: '42', out: 'so the answer is \\boxed{42}' },
      { prompt: 'aime q2', dataset: 'aime25', reference: '7', out: 'Answer: 8' },
      { prompt: 'gpqa q1', dataset: 'gpqa_diamond', reference: 'B', out: 'Answer: B' },
      { prompt: 'gpqa q2', dataset: 'gpqa_diamond', reference: 'D', out: 'D' },
      { prompt: 'lcb q1', dataset: 'livecodebench_v6', reference: 'q-123', out: '```python\nprint(1)\n```' },
    ];
    for (const l of lines) answers.set(l.prompt, l.out);
    const data = join(dir, 'gptoss-mini.jsonl');
    writeFileSync(data, lines.map(({ prompt, dataset, reference }) => JSON.stringify({ prompt, dataset, reference, output_tokens: 64 })).join('\n') + '\n');
    const out = join(dir, 'acc-gptoss');
    const r = await runMain(['run', 'gpt-oss-120b/offline', '--endpoint', fake.url, '--mode', 'accuracy', '--dataset', data, '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    const txt = readFileSync(join(out, 'accuracy.txt'), 'utf8');
    // (1/8 + 2/5) / (2/8 + 2/5) = 80.769 %
    expect(txt.endsWith("'exact_match': 80.769\n")).toBe(true);
    expect(txt).toMatch(/^tokbench: not scored .*livecodebench_v6 \(1 samples\)/);
    const result = readJson<ResultJson>(join(out, 'result.json'));
    expect(result.accuracy!.metric).toBe('exact_match');
    expect(result.accuracy!.perDataset!.map((d) => [d.dataset, d.correct, d.total, d.repeats])).toEqual([
      ['aime25', 1, 2, 8],
      ['gpqa_diamond', 2, 2, 5],
    ]);
    expect(result.accuracy!.notScored).toEqual([{ dataset: 'livecodebench_v6', samples: 1, reason: expect.stringContaining('out of scope') }]);
    expect(result.accuracy!.targets).toEqual([]); // not comparable with the MLPerf target without the code set
  });

  it('refuses a dataset without reference answers before sending anything', async () => {
    const before = fake.completionRequests.length;
    const r = await runMain(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--mode', 'accuracy', '--samples', '4', '--out', join(dir, 'acc-none'), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no reference answers');
    expect(fake.completionRequests.length).toBe(before);
  });
});
