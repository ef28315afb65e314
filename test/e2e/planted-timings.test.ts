/**
 * The client's clock against a loopback server with exactly planted timings:
 * TTFT 50 ms, 10 ms per token, some chunks carrying 3 tokens, usage in the last
 * chunk. Measured TTFT, TPOT and per-token ITL must be within 2 ms of what was
 * planted, and output tokens must equal the usage totals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeStep } from '../helpers/fakeOpenAiServer.js';
import { runMain, tempDir } from '../helpers/cli.js';
import type { ResultJson } from '../../src/metrics/types.js';
import type { RequestRecord } from '../../src/records/record.js';

// 1 + 3 + 1 + 3 + 1 + 1 = 10 tokens in 6 chunks; each chunk arrives 10 ms per token it carries after the previous one.
const TOKENS_PER_CHUNK = [1, 3, 1, 3, 1, 1];
const steps: FakeStep[] = TOKENS_PER_CHUNK.map((k, i) => ({ tokens: k, delayMs: i === 0 ? 0 : 10 * k }));
const OUTPUT_TOKENS = TOKENS_PER_CHUNK.reduce((a, b) => a + b, 0);
// The first chunk's extra tokens would carry no ITL; here the first chunk has 1.
const PLANTED = { ttftMs: 50, itlMs: 10 };

let server: FakeOpenAiServer;
beforeAll(async () => {
  server = await startFakeOpenAiServer({ script: { ttftMs: PLANTED.ttftMs, steps, usage: 'last', promptTokens: 42 } });
});
afterAll(async () => {
  await server.close();
});

async function runAgainstFake(extra: string[]) {
  const out = tempDir();
  const r = await runMain(['run', 'llama2-70b/server', '--endpoint', server.url, '--target-qps', '20', '--samples', '40', '--seed', '1', '--input-tokens', '32', '--out', out, '--quiet', ...extra]);
  expect(r.stderr).not.toContain('error');
  expect(r.code).toBe(0);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
  const records = readFileSync(join(out, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
  return { result, records, stdout: r.stdout };
}

// One retry: a timing test on a shared 2-core machine can lose a scheduler slice.
describe.each([['completions'], ['chat']])('planted timings, %s API', { retry: 1 }, (api) => {
  it('streaming: TTFT, TPOT and per-token ITL within 2 ms; tokens equal usage', async () => {
    const { result, records } = await runAgainstFake(['--api', api]);
    const s = result.summary;
    expect(s.completed).toBe(40);
    expect(s.failed).toBe(0);
    expect(records.length).toBe(40);
    expect(s.outputTokens).toBe(40 * OUTPUT_TOKENS);
    expect(s.inputTokens).toBe(40 * 42);
    expect(s.tokenCountSource).toBe('usage');
    // Latency counts from the scheduled time; the fake answers at once, so
    // issue delay is tiny and TTFT is the planted 50 ms.
    // (p50 and mean: the tail of a 2-core machine shared with the server
    // measures the scheduler, not the client.)
    expect(Math.abs(s.latency.ttftMs!.p50 - PLANTED.ttftMs)).toBeLessThan(2);
    expect(Math.abs(s.latency.ttftMs!.mean - PLANTED.ttftMs)).toBeLessThan(2);
    // TPOT = (e2e - ttft) / (n - 1) = 90 ms / 9
    expect(Math.abs(s.latency.tpotMs!.p50 - PLANTED.itlMs)).toBeLessThan(2);
    expect(Math.abs(s.latency.tpotMs!.mean - PLANTED.itlMs)).toBeLessThan(2);
    // per token: the 30 ms gaps before 3-token chunks count as three 10 ms values
    // (per chunk they would put p90 at 30 ms)
    expect(Math.abs(s.latency.itlMs!.p50 - PLANTED.itlMs)).toBeLessThan(2);
    expect(Math.abs(s.latency.itlMs!.mean - PLANTED.itlMs)).toBeLessThan(2);
    expect(Math.abs(s.latency.itlMs!.p90 - PLANTED.itlMs)).toBeLessThan(2);
    expect(s.latency.itlMs!.count).toBe(40 * (OUTPUT_TOKENS - 1));
    // per chunk: 5 gaps per request, of 30, 10, 30, 10, 10 ms
    expect(s.latency.chunkGapMs!.count).toBe(40 * 5);
    expect(Math.abs(s.latency.chunkGapMs!.p90 - 30)).toBeLessThan(2);
    for (const rec of records) expect(rec.chunks).toBe(TOKENS_PER_CHUNK.length);
  });

  it('non-streaming: TTFT is the whole response, no ITL, tokens from usage', async () => {
    const { result } = await runAgainstFake(['--api', api, '--no-stream']);
    const s = result.summary;
    expect(s.completed).toBe(40);
    expect(s.outputTokens).toBe(40 * OUTPUT_TOKENS);
    const e2ePlanted = PLANTED.ttftMs + 10 * (OUTPUT_TOKENS - 1);
    expect(Math.abs(s.latency.e2eMs!.p50 - e2ePlanted)).toBeLessThan(3);
    expect(s.latency.itlMs).toBeNull();
  });
});

it('the request carried what the scenario asked for', () => {
  const chat = server.completionRequests.find((r) => r.path === '/v1/chat/completions')!;
  const body = chat.body as Record<string, unknown>;
  expect(body.model).toBe('fake-model');
  expect(body.stream_options).toMatchObject({ include_usage: true });
  expect(body.max_tokens).toBeGreaterThan(0);
  expect(body.max_completion_tokens).toBe(body.max_tokens);
});
