/**
 * Issue 15 end to end, with the real built CLI: an MLPerf-layout parquet file
 * runs (token ids arrive at the server as ids), a .pkl is refused before any
 * load, `--format vllm-json` and `report --format vllm-json` write every key of
 * vLLM's saved result with tokbench's figures, and `--metrics-listen` serves
 * live figures that rise during the run and parse as Prometheus text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, tempDir } from '../helpers/cli.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../helpers/fakeOpenAiServer.js';
import { writeParquet } from '../helpers/parquet.js';
import { parsePrometheusText, type PromExposition } from '../../src/telemetry/prom-text.js';
import type { ResultJson } from '../../src/metrics/types.js';
import type { RequestRecord } from '../../src/records/record.js';

const ROWS = 12;
const TOK_INPUT = Array.from({ length: ROWS }, (_, i) => [1, 518, 25580, 29962, 100 + i, 200 + i]);

function llamaParquet(dir: string): string {
  const path = join(dir, 'open_orca_gpt4_tokenized_llama.sampled_24576.parquet');
  writeParquet(path, [
    { name: 'id', kind: 'string', data: TOK_INPUT.map((_, i) => `flan.${i}`) },
    { name: 'input', kind: 'string', data: TOK_INPUT.map((_, i) => `<s>[INST] question ${i} [/INST]`) },
    { name: 'tok_input', kind: 'list<int64>', data: TOK_INPUT },
    { name: 'output', kind: 'string', data: TOK_INPUT.map((_, i) => `answer ${i}`) },
    { name: 'tok_output', kind: 'list<int32>', data: TOK_INPUT.map((_, i) => Array.from({ length: 3 + (i % 4) }, () => 29889)) },
  ]);
  return path;
}

/** Every key `vllm bench serve --save-result --save-detailed` writes for a generation run (vllm/benchmarks/serve.py, main_async + benchmark). */
const VLLM_KEYS = [
  // main_async: setup and traffic
  'date', 'endpoint_type', 'backend', 'label', 'model_id', 'tokenizer_id', 'num_prompts', 'request_rate', 'burstiness', 'max_concurrency',
  // benchmark(): BenchmarkMetrics result
  'duration', 'completed', 'failed', 'total_input_tokens', 'total_output_tokens', 'request_throughput', 'request_goodput',
  'output_throughput', 'total_token_throughput', 'input_lens', 'output_lens', 'ttfts', 'itls', 'latencies', 'start_times',
  'queue_times', 'generated_texts', 'errors', 'max_output_tokens_per_s', 'max_concurrent_requests', 'rtfx',
  // process_one_metric for ttft, tpot, itl, e2el (and client_queue_time with --max-concurrency)
  ...['ttft', 'tpot', 'itl', 'e2el', 'client_queue_time'].flatMap((m) =>
    ['mean', 'median', 'std', 'p50', 'p90', 'p95', 'p99', 'p99.9'].map((stat) => `${stat}_${m}_ms`),
  ),
];

describe('MLPerf parquet datasets', () => {
  let server: FakeOpenAiServer;
  beforeAll(async () => {
    server = await startFakeOpenAiServer({ script: { ttftMs: 2, steps: [{ tokens: 1 }, { tokens: 1, delayMs: 1 }], usage: 'separate', promptTokens: 6 } });
  });
  afterAll(() => server.close());

  it('runs llama2-70b/offline from a parquet file, sending tok_input as token ids to /v1/completions', async () => {
    const dir = tempDir();
    const dataset = llamaParquet(dir);
    const run = await spawnCli(['run', 'llama2-70b/offline', '--endpoint', server.url, '--dataset', dataset, '--samples', '6', '--out', 'out', '--workers', '1', '-q'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const sent = server.completionRequests.map((r) => r.body as { prompt: unknown; max_tokens: number });
    expect(sent).toHaveLength(6);
    for (const body of sent) {
      expect(Array.isArray(body.prompt)).toBe(true);
      expect(TOK_INPUT).toContainEqual(body.prompt);
    }
    // tok_output's length is each sample's expected output length
    expect(new Set(sent.map((b) => b.max_tokens))).toEqual(new Set(sent.map((b) => 3 + (TOK_INPUT.findIndex((ids) => JSON.stringify(ids) === JSON.stringify(b.prompt)) % 4))));
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as ResultJson;
    expect(result.scenario.dataset).toBe(dataset);
    expect(result.scenario.mlperfRound).toBe('6.0');
    expect(result.scenario.origins['request.promptFormat']).toBe('default');
  });

  it("scores GPT-OSS-120B accuracy by its parquet's dataset and ground_truth columns", async () => {
    const dir = tempDir();
    writeParquet(join(dir, 'acc_eval_ref.parquet'), [
      { name: 'dataset', kind: 'string', data: ['aime25', 'gpqa_diamond', 'aime25'] },
      { name: 'ground_truth', kind: 'string', data: ['4', 'A', '17'] },
      { name: 'input_tokens', kind: 'list<int32>', data: [[200006, 17360, 200008], [200006, 1428], [200006, 99, 100]] },
    ]);
    const run = await spawnCli(['run', 'gpt-oss-120b/offline', '--dataset', 'acc_eval_ref.parquet', '--mode', 'accuracy', '--out', 'out', '-q'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as ResultJson;
    expect(result.accuracy!.scored).toBe(3);
    expect(result.accuracy!.perDataset!.map((d) => [d.dataset, d.total])).toEqual([['aime25', 2], ['gpqa_diamond', 1]]);
  });

  it('refuses a pandas pickle with exit 2, the conversion hint, and no request sent', async () => {
    const before = server.requests.length;
    const run = await spawnCli(['run', 'llama2-70b/offline', '--endpoint', server.url, '--dataset', 'open_orca.pkl']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`pd.read_pickle('open_orca.pkl').to_parquet('open_orca.parquet')`);
    expect(server.requests.length).toBe(before);
  });
});

describe('--format vllm-json', () => {
  let dir: string;
  let result: ResultJson;
  let vllm: Record<string, unknown>;
  let records: RequestRecord[];
  beforeAll(async () => {
    dir = tempDir();
    const run = await spawnCli(['run', 'llama2-70b/offline', '--dataset', llamaParquet(dir), '--samples', '12', '--max-concurrency', '4', '--mlperf-round', '6.1', '--format', 'vllm-json', '--out', 'out', '-q'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as ResultJson;
    vllm = JSON.parse(readFileSync(join(dir, 'out', 'vllm_result.json'), 'utf8')) as Record<string, unknown>;
    records = readFileSync(join(dir, 'out', 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
  });

  it("has every key of vLLM's saved result, and no other", () => {
    expect(Object.keys(vllm).sort()).toEqual([...VLLM_KEYS].sort());
  });

  it("holds tokbench's figures under vLLM's names", () => {
    const s = result.summary;
    expect(vllm).toMatchObject({
      backend: 'openai',
      model_id: result.endpoints[0]!.model,
      num_prompts: 12,
      request_rate: 'inf',
      max_concurrency: 4,
      duration: s.durationMs / 1000,
      completed: s.completed,
      failed: s.failed,
      total_input_tokens: s.inputTokens,
      total_output_tokens: s.outputTokens,
      request_throughput: s.requestsPerSecond,
      output_throughput: s.outputTokensPerSecond,
      total_token_throughput: s.totalTokensPerSecond,
      request_goodput: null,
    });
    const figures = { ttft: s.latency.ttftMs, tpot: s.latency.tpotMs, itl: s.latency.itlMs, e2el: s.latency.e2eMs, client_queue_time: s.latency.issueDelayMs };
    for (const [m, f] of Object.entries(figures) as [string, NonNullable<(typeof figures)[keyof typeof figures]>][]) {
      expect(vllm[`mean_${m}_ms`]).toBe(f.mean);
      expect(vllm[`median_${m}_ms`]).toBe(f.p50);
      expect(vllm[`p50_${m}_ms`]).toBe(f.p50);
      expect(vllm[`p90_${m}_ms`]).toBe(f.p90);
      expect(vllm[`p95_${m}_ms`]).toBe(f.p95);
      expect(vllm[`p99_${m}_ms`]).toBe(f.p99);
      expect(vllm[`p99.9_${m}_ms`]).toBe(f.p999);
      const std = vllm[`std_${m}_ms`] as number;
      expect(std).toBeGreaterThanOrEqual(0);
      expect(std).toBeLessThanOrEqual(f.max - f.min);
    }
    expect(vllm.max_output_tokens_per_s).toBe(Math.max(...result.timeSeries.map((b) => b.outputTokens)));
    expect(result.scenario.mlperfRound).toBe('6.1');
    expect(result.scenario.seeds.qsl).toBe('2085463073848966840');
  });

  it('lists every request in issue order, from requests.jsonl', () => {
    const measured = records.filter((r) => !r.warmup).sort((a, b) => a.seq - b.seq);
    expect(vllm.input_lens).toEqual(measured.map((r) => r.inputTokens));
    expect(vllm.output_lens).toEqual(measured.map((r) => r.outputTokens));
    expect(vllm.ttfts).toEqual(measured.map((r) => (r.firstTokenUs! - r.scheduledUs) / 1e6));
    expect(vllm.latencies).toEqual(measured.map((r) => (r.completedUs - r.scheduledUs) / 1e6));
    expect(vllm.itls).toEqual(measured.map((r) => r.chunkGapsUs!.map((g) => g / 1e6)));
    expect(vllm.errors).toEqual(measured.map(() => ''));
    expect((vllm.generated_texts as unknown[]).every((t) => t === null)).toBe(true);
  });

  it('`report --format vllm-json` renders the same JSON from result.json and the records beside it', async () => {
    const rep = await spawnCli(['report', join(dir, 'out', 'result.json'), '--format', 'vllm-json']);
    expect(rep.code, rep.stderr).toBe(0);
    expect(JSON.parse(rep.stdout)).toEqual(vllm);
  });
});

describe('--metrics-listen', () => {
  it('serves live figures that rise during a real run and parse as Prometheus text', async () => {
    const dir = tempDir();
    const scrapes: PromExposition[] = [];
    let url: string | null = null;
    let stop = false;
    const scraping = (async () => {
      while (!stop) {
        if (url !== null) {
          try {
            const res = await fetch(url);
            scrapes.push(parsePrometheusText(await res.text()));
          } catch {
            // the run may have closed the listener between two scrapes
          }
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const run = await spawnCli(['run', 'llama2-70b/server', '--target-qps', '15', '--samples', '45', '--metrics-listen', '127.0.0.1:0', '--out', 'out', '--no-color'], {
      cwd: dir,
      timeoutMs: 60_000,
      onStarted: (child) => {
        let err = '';
        child.stderr?.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /live metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(err);
          if (m) url = m[1]!;
        });
      },
    });
    stop = true;
    await scraping;
    expect(run.code, run.stderr).toBe(0);
    expect(scrapes.length).toBeGreaterThanOrEqual(3);
    for (const s of scrapes) expect(s.errors).toEqual([]);
    const value = (s: PromExposition, name: string) => s.samples.find((x) => x.name === name)?.value;
    const issued = scrapes.map((s) => value(s, 'tokbench_queries_issued_total')!);
    const completed = scrapes.map((s) => value(s, 'tokbench_queries_completed_total')!);
    for (let i = 1; i < scrapes.length; i++) {
      expect(issued[i]).toBeGreaterThanOrEqual(issued[i - 1]!);
      expect(completed[i]).toBeGreaterThanOrEqual(completed[i - 1]!);
    }
    // seen mid-run: some but not all queries, and more later than earlier
    expect(completed.some((c) => c > 0 && c < 45)).toBe(true);
    expect(completed[completed.length - 1]).toBeGreaterThan(completed[0]!);
    const last = scrapes[scrapes.length - 1]!;
    for (const h of ['tokbench_ttft_seconds', 'tokbench_tpot_seconds', 'tokbench_itl_seconds', 'tokbench_e2e_seconds', 'tokbench_issue_delay_seconds']) {
      expect(last.types.get(h)).toBe('histogram');
      const buckets = last.samples.filter((x) => x.name === `${h}_bucket`);
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      expect(buckets.at(-1)!.value).toBe(value(last, `${h}_count`));
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    }
    expect(value(last, 'tokbench_ttft_seconds_count')).toBe(value(last, 'tokbench_queries_completed_total'));
    expect(last.samples.find((x) => x.name === 'tokbench_run_info')!.labels).toMatchObject({ benchmark: 'llama2-70b', scenario: 'server', mlperf_round: '6.0', simulated: 'true' });
    const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as ResultJson;
    expect(value(last, 'tokbench_output_tokens_total')).toBeLessThanOrEqual(result.summary.outputTokens);
  });

  it('a malformed address is a configuration error (exit 2)', async () => {
    const run = await spawnCli(['run', 'llama2-70b/offline', '--samples', '2', '--metrics-listen', 'localhost']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--metrics-listen.*expected HOST:PORT/);
  });
});
