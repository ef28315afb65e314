/**
 * Faults during a run, through the CLI (in-process main): the simulator's fault
 * injection and scripted fake servers. Every fault is counted by kind in
 * summary.errors (matching what the server says it injected), completed +
 * failed = issued = lines of requests.jsonl, tokens of failed requests are
 * reported apart, nothing is silently retried, and no run hangs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type SimulatorHandle } from '../../src/sim/server.js';
import type { FaultRates } from '../../src/sim/faults.js';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeScript } from '../helpers/fakeOpenAiServer.js';
import { runMain, tempDir } from '../helpers/cli.js';
import type { ResultJson } from '../../src/metrics/types.js';
import type { RequestRecord } from '../../src/records/record.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function sim(faults: FaultRates, extra: { slowHeadersMs?: number; seed?: number } = {}): Promise<SimulatorHandle> {
  const s = await startSimulator({ profile: 'tiny', faults, seed: extra.seed ?? 7, ...(extra.slowHeadersMs === undefined ? {} : { slowHeadersMs: extra.slowHeadersMs }) });
  closers.push(() => s.close());
  return s;
}

async function fake(script: FakeScript | ((req: unknown, i: number) => FakeScript)): Promise<FakeOpenAiServer> {
  const f = await startFakeOpenAiServer({ script: script as never });
  closers.push(() => f.close());
  return f;
}

/** a small, quick Offline run: short prompts and outputs, short timeouts */
const BASE = ['--input-tokens', '32', '--output-tokens', '24', '--max-concurrency', '8', '--seed', '1', '--idle-timeout', '1s', '--drain-timeout', '2s', '--grace', '1s', '--workers', '1', '--quiet'];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  result: ResultJson;
  records: RequestRecord[];
  elapsedMs: number;
}

async function runAgainst(url: string, args: string[], scenario = 'llama2-70b/offline'): Promise<Outcome> {
  const dir = tempDir('tokbench-faults-');
  const t0 = performance.now();
  const r = await runMain(['run', scenario, '--endpoint', url, '--out', join(dir, 'out'), ...BASE, ...args], { cwd: dir });
  const elapsedMs = performance.now() - t0;
  expect(r.stderr).not.toMatch(/internal error/);
  expect(existsSync(join(dir, 'out', 'result.json')), r.stderr).toBe(true);
  const result = JSON.parse(readFileSync(join(dir, 'out', 'result.json'), 'utf8')) as ResultJson;
  const text = readFileSync(join(dir, 'out', 'requests.jsonl'), 'utf8');
  const records = text.trim() === '' ? [] : text.trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
  return { ...r, result, records, elapsedMs };
}

/** the invariants every run keeps, whatever went wrong */
function expectAccounted(o: Outcome, issued: number): void {
  const s = o.result.summary;
  expect(s.issued).toBe(issued);
  expect(s.completed + s.failed).toBe(s.issued);
  expect(o.records.filter((r) => !r.warmup).length).toBe(issued);
  expect(o.records.filter((r) => r.ok).length).toBe(s.completed);
  const byKind = Object.values(s.errors).reduce((a, b) => a + b, 0);
  expect(byKind).toBe(s.failed);
  // tokens of failed requests are reported apart, never in outputTokens
  const okTokens = o.records.filter((r) => r.ok).reduce((a, r) => a + r.outputTokens, 0);
  const failedTokens = o.records.filter((r) => !r.ok).reduce((a, r) => a + r.outputTokens, 0);
  expect(s.outputTokens).toBe(okTokens);
  expect(s.partialOutputTokens).toBe(failedTokens);
  // every failed record says why
  for (const r of o.records.filter((x) => !x.ok)) {
    expect(r.error).not.toBeNull();
    expect(r.error!.message.length).toBeGreaterThan(0);
  }
}

describe('simulator faults', () => {
  it('HTTP 500 and 503: counted as http_5xx, status kept per request, no silent retry', async () => {
    const s = await sim({ '500': 0.2, '503': 0.2 });
    const o = await runAgainst(s.url, ['--samples', '40']);
    // any failed request fails the run by default (issue 13)
    expect(o.code, o.stderr).toBe(1);
    expectAccounted(o, 40);
    const st = s.stats();
    const injected = st.faults['500'] + st.faults['503'];
    expect(injected).toBeGreaterThan(0);
    expect(o.result.summary.errors.http_5xx).toBe(injected);
    expect(o.records.filter((r) => r.error?.httpStatus === 500).length).toBe(st.faults['500']);
    expect(o.records.filter((r) => r.error?.httpStatus === 503).length).toBe(st.faults['503']);
    expect(o.records.find((r) => r.error?.httpStatus === 503)?.error?.message).toContain('The request queue is full');
    // the server saw exactly one request per query
    expect(st.requests).toBe(40);
    expect(o.result.summary.retries).toBe(0);
    expect(o.stdout).toMatch(/Errors\s+http_5xx \d+/);
  });

  it('429: no silent retry; with --retries 2 the retries are counted and reported', async () => {
    const s1 = await sim({ '429': 0.3 });
    const plain = await runAgainst(s1.url, ['--samples', '30']);
    expectAccounted(plain, 30);
    expect(plain.result.summary.errors.http_429).toBe(s1.stats().faults['429']);
    expect(plain.result.summary.errors.http_429).toBeGreaterThan(0);
    expect(s1.stats().requests).toBe(30);
    expect(plain.result.summary.retries).toBe(0);

    const s2 = await sim({ '429': 0.3 });
    const retried = await runAgainst(s2.url, ['--samples', '30', '--retries', '2']);
    expectAccounted(retried, 30);
    const st = s2.stats();
    // every extra request the server saw is a retry tokbench reports
    expect(retried.result.summary.retries).toBe(st.requests - 30);
    expect(retried.result.summary.retries).toBeGreaterThan(0);
    expect(retried.records.reduce((a, r) => a + r.retries, 0)).toBe(retried.result.summary.retries);
    // a query fails with 429 only when its retries ran out
    for (const r of retried.records.filter((x) => x.error?.kind === 'http_429')) expect(r.retries).toBe(2);
    expect(retried.result.summary.completed).toBeGreaterThan(plain.result.summary.completed - 1);
    expect(retried.stdout).toMatch(/\d+ HTTP retries \(--retries\)/);
  });

  it('reset mid-stream: counted as reset, the tokens received before it reported apart', async () => {
    const s = await sim({ reset: 0.3 });
    const o = await runAgainst(s.url, ['--samples', '30']);
    // any failed request fails the run by default (issue 13)
    expect(o.code, o.stderr).toBe(1);
    expectAccounted(o, 30);
    const injected = s.stats().faults.reset;
    expect(injected).toBeGreaterThan(0);
    expect(o.result.summary.errors.reset).toBe(injected);
    // the simulator strikes after at least one content chunk
    expect(o.result.summary.partialOutputTokens).toBeGreaterThan(0);
    for (const r of o.records.filter((x) => x.error?.kind === 'reset')) expect(r.firstTokenUs).not.toBeNull();
  });

  it('stall mid-stream: the idle timeout fires and the run does not hang', async () => {
    const s = await sim({ stall: 0.25 });
    const o = await runAgainst(s.url, ['--samples', '24', '--idle-timeout', '500ms']);
    // any failed request fails the run by default (issue 13)
    expect(o.code, o.stderr).toBe(1);
    expectAccounted(o, 24);
    const injected = s.stats().faults.stall;
    expect(injected).toBeGreaterThan(0);
    expect(o.result.summary.errors.idle_timeout).toBe(injected);
    expect(o.records.find((r) => r.error?.kind === 'idle_timeout')?.error?.message).toContain('no bytes for 500 ms');
    expect(o.elapsedMs).toBeLessThan(15_000);
  });

  it('malformed SSE data line: counted as malformed_stream', async () => {
    const s = await sim({ malformed: 0.3 });
    const o = await runAgainst(s.url, ['--samples', '30']);
    expectAccounted(o, 30);
    const injected = s.stats().faults.malformed;
    expect(injected).toBeGreaterThan(0);
    expect(o.result.summary.errors.malformed_stream).toBe(injected);
  });

  it('error event inside a 200 stream: counted as stream_error with the server message', async () => {
    const s = await sim({ 'error-event': 0.3 });
    const o = await runAgainst(s.url, ['--samples', '30']);
    expectAccounted(o, 30);
    const injected = s.stats().faults['error-event'];
    expect(injected).toBeGreaterThan(0);
    expect(o.result.summary.errors.stream_error).toBe(injected);
    expect(o.records.find((r) => r.error?.kind === 'stream_error')?.error?.message).toContain('Simulated engine error');
  });

  it('non-streaming: a truncated JSON body is malformed_stream, an engine error is http_5xx', async () => {
    const s = await sim({ malformed: 0.3, 'error-event': 0.3 });
    const o = await runAgainst(s.url, ['--samples', '30', '--no-stream']);
    expectAccounted(o, 30);
    const st = s.stats();
    expect(st.faults.malformed + st.faults['error-event']).toBeGreaterThan(0);
    expect(o.result.summary.errors.malformed_stream ?? 0).toBe(st.faults.malformed);
    expect(o.result.summary.errors.http_5xx ?? 0).toBe(st.faults['error-event']);
  });

  it('no usage in the stream: tokens counted by the tokenizer, and the result says so', async () => {
    const s = await sim({ 'no-usage': 1 });
    const o = await runAgainst(s.url, ['--samples', '12', '--no-continuous-usage']);
    expect(o.code, o.stderr).toBe(0);
    expectAccounted(o, 12);
    expect(o.result.summary.failed).toBe(0);
    expect(o.result.summary.tokenCountSource).toBe('tokenizer');
    expect(o.result.summary.tokenCountSources.tokenizer).toBe(12);
    expect(o.result.summary.outputTokens).toBeGreaterThan(0);
    for (const r of o.records) expect(r.tokenSource).toBe('tokenizer');
  });

  it('slow headers: the requests still complete, and the wait is in TTFT', async () => {
    const s = await sim({ 'slow-headers': 0.5 }, { slowHeadersMs: 400 });
    const o = await runAgainst(s.url, ['--samples', '12']);
    expect(o.code, o.stderr).toBe(0);
    expectAccounted(o, 12);
    expect(s.stats().faults['slow-headers']).toBeGreaterThan(0);
    expect(o.result.summary.failed).toBe(0);
    expect(o.result.summary.latency.ttftMs!.max).toBeGreaterThanOrEqual(400);
  });

  it('slow headers past the request timeout: counted as request_timeout', async () => {
    const s = await sim({ 'slow-headers': 1 }, { slowHeadersMs: 5000 });
    const o = await runAgainst(s.url, ['--samples', '4', '--request-timeout', '500ms']);
    expectAccounted(o, 4);
    expect(o.result.summary.errors.request_timeout).toBe(4);
    expect(o.code).toBe(3);
    expect(o.elapsedMs).toBeLessThan(10_000);
  });
});

describe('scripted servers', () => {
  it('stream without [DONE] but with a finish_reason is complete; without either it is incomplete_stream', async () => {
    const f = await fake((_req, i) => ({ steps: [{ tokens: 2 }, { tokens: 2 }], done: false, finish: i % 2 === 0 ? 'last' : 'none', usage: 'last' }));
    const o = await runAgainst(f.url, ['--samples', '10', '--max-concurrency', '1']);
    // any failed request fails the run by default (issue 13)
    expect(o.code, o.stderr).toBe(1);
    expectAccounted(o, 10);
    expect(o.result.summary.completed).toBe(5);
    expect(o.result.summary.errors.incomplete_stream).toBe(5);
    expect(o.records.find((r) => !r.ok)?.error?.message).toContain('without [DONE] and without a finish_reason');
  });

  it('stream without usage: tokenizer counts, tokenCountSource says so', async () => {
    const f = await fake({ steps: [{ tokens: 3 }, { tokens: 3 }, { tokens: 3 }], usage: 'none' });
    const o = await runAgainst(f.url, ['--samples', '6', '--no-continuous-usage']);
    expect(o.code, o.stderr).toBe(0);
    expectAccounted(o, 6);
    expect(o.result.summary.tokenCountSource).toBe('tokenizer');
    expect(o.result.summary.outputTokens).toBeGreaterThan(0);
  });

  it('malformed SSE (HTML in a 200 event stream) is malformed_stream, not a success', async () => {
    const f = await fake({ steps: [{ tokens: 1 }, { kind: 'raw', raw: 'data: <html><body>502 Bad Gateway</body></html>\n\n' }, { tokens: 1 }] });
    const o = await runAgainst(f.url, ['--samples', '4']);
    expectAccounted(o, 4);
    expect(o.result.summary.errors.malformed_stream).toBe(4);
    expect(o.result.summary.partialOutputTokens).toBeGreaterThan(0);
    expect(o.code).toBe(3);
  });

  it('error event in a 200 stream', async () => {
    const f = await fake({ steps: [{ tokens: 2 }, { kind: 'error', error: { message: 'KV cache exhausted', code: 500 } }] });
    const o = await runAgainst(f.url, ['--samples', '4']);
    expectAccounted(o, 4);
    expect(o.result.summary.errors.stream_error).toBe(4);
    expect(o.records[0]!.error!.message).toContain('KV cache exhausted');
  });

  it('reset mid-stream (socket cut after some tokens)', async () => {
    const f = await fake({ steps: [{ tokens: 2 }, { tokens: 2 }], end: 'reset', done: false });
    const o = await runAgainst(f.url, ['--samples', '4']);
    expectAccounted(o, 4);
    expect(o.result.summary.errors.reset).toBe(4);
    expect(o.result.summary.partialOutputTokens).toBeGreaterThan(0);
  });

  it('server closed mid-run: connection refused is counted as connect, in-flight ones as reset', async () => {
    let f: FakeOpenAiServer | null = null;
    let closing: Promise<void> | null = null;
    f = await startFakeOpenAiServer({
      script: (_req, i) => {
        // the 6th request brings the server down (it is cut, later ones are refused)
        if (i === 5 && closing === null) closing = f!.close();
        return { steps: [{ tokens: 2 }, { tokens: 2, delayMs: 5 }], usage: 'last' };
      },
    });
    closers.push(async () => {
      await (closing ?? f!.close());
    });
    const o = await runAgainst(f.url, ['--samples', '20', '--target-qps', '40', '--max-concurrency', '2'], 'llama2-70b/server');
    expectAccounted(o, 20);
    const s = o.result.summary;
    expect(s.completed).toBeGreaterThanOrEqual(4);
    expect(s.errors.connect ?? 0).toBeGreaterThan(0);
    expect((s.errors.connect ?? 0) + (s.errors.reset ?? 0)).toBe(s.failed);
    expect(o.records.find((r) => r.error?.kind === 'connect')?.error?.message).toMatch(/ECONNREFUSED/);
    // the endpoint went down and stayed down: the run failed, though result.json covers what finished
    expect(o.code).toBe(3);
    expect(o.stderr).toContain(`${f.url} became unreachable mid-run`);
    expect(o.stderr).toMatch(/\d+ requests refused, none completed after/);
    expect(o.stderr).toContain('ECONNREFUSED');
    expect(o.stderr).toContain('hint: check that the server is still up');
  });

  it('some requests fail while the server stays up: counted; the run fails by default and succeeds under an explicit error-rate threshold', async () => {
    // every 5th response is cut right after its headers
    const f = await fake((_req, i) => (i % 5 === 4 ? { steps: [], end: 'reset', done: false } : { steps: [{ tokens: 2 }], usage: 'last' }));
    const o = await runAgainst(f.url, ['--samples', '20']);
    expectAccounted(o, 20);
    expect(o.code, o.stderr).toBe(1);
    expect(o.result.summary.failed).toBe(4);
    expect(o.result.thresholds).toEqual([{ expr: 'failed == 0', passed: false, actual: 4 }]);
    const relaxed = await runAgainst(f.url, ['--samples', '20', '--assert', 'error_rate <= 20%']);
    expectAccounted(relaxed, 20);
    expect(relaxed.code, relaxed.stderr).toBe(0);
  });

  it.each([
    ['server', 'llama2-70b/server', ['--target-qps', '10']],
    // Offline: 8 requests hang and take every slot; issuing must still stop at --max-duration
    ['offline', 'llama2-70b/offline', []],
  ])('a server that never answers (%s): the global deadline (--max-duration + --drain-timeout) ends the run', async (_name, scenario, extraArgs) => {
    const f = await fake({ headersDelayMs: 120_000 });
    const o = await runAgainst(f.url, ['--samples', '1000', '--max-duration', '1s', '--drain-timeout', '1s', ...extraArgs], scenario);
    expect(o.elapsedMs).toBeLessThan(8_000);
    const s = o.result.summary;
    expect(s.issued).toBeGreaterThan(0);
    expect(s.issued).toBeLessThan(1000);
    expectAccounted(o, s.issued);
    expect(s.errors.aborted).toBe(s.issued);
    // every request failed: exit 3 with the first error's details
    expect(o.code).toBe(3);
    expect(o.stderr).toMatch(/every request failed \(\d+ of \d+\); first error: aborted/);
  });

  it('every request fails: exit 3, the first error in the message, result.json still written', async () => {
    const f = await fake({ status: 500, errorBody: { error: { message: 'CUDA out of memory. Tried to allocate 2.00 GiB', type: 'InternalServerError', code: 500 } } });
    const o = await runAgainst(f.url, ['--samples', '8']);
    expect(o.code).toBe(3);
    expectAccounted(o, 8);
    expect(o.result.summary.errors).toEqual({ http_5xx: 8 });
    expect(o.stderr).toContain('every request failed (8 of 8); first error: http_5xx (HTTP 500)');
    expect(o.stderr).toContain('CUDA out of memory');
    expect(o.stderr).toContain('hint: check the server log');
    expect(f.completionRequests.length).toBe(8);
  });
});
