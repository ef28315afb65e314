/**
 * Interruption and durability, through the built CLI in a child process (real
 * signals): SIGINT/SIGTERM stop issuing, give in-flight requests the grace
 * period, write result.json with `interrupted: true` and exit 130; a second
 * signal aborts at once and still flushes the records; `kill -9` leaves
 * requests.jsonl and run.json, from which `tokbench report --from` rebuilds a
 * summary of everything that finished.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeScript } from '../helpers/fakeOpenAiServer.js';
import { runMain, spawnCli, tempDir, type CliResult } from '../helpers/cli.js';
import type { ResultJson } from '../../src/metrics/types.js';
import type { RequestRecord } from '../../src/records/record.js';

const servers: FakeOpenAiServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function fake(script: FakeScript): Promise<FakeOpenAiServer> {
  const f = await startFakeOpenAiServer({ script });
  servers.push(f);
  return f;
}

/** a response that streams for `seconds` (10 tokens per second) */
function slowStream(seconds: number): FakeScript {
  return { steps: Array.from({ length: seconds * 10 }, () => ({ tokens: 1, delayMs: 100 })), usage: 'last' };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** wait (bounded) until the server has seen `n` completion requests */
async function untilRequests(f: FakeOpenAiServer, n: number, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (f.completionRequests.length < n) {
    if (performance.now() > end) throw new Error(`the server saw only ${f.completionRequests.length} of ${n} requests`);
    await sleep(25);
  }
}

function readRecords(out: string): RequestRecord[] {
  const text = readFileSync(join(out, 'requests.jsonl'), 'utf8');
  return text.trim() === '' ? [] : text.trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
}

/**
 * Start a long Server-scenario run against `f`, call `act(child)` once the
 * server has seen `afterRequests` requests, and return what the CLI did.
 */
async function runAndAct(
  f: FakeOpenAiServer,
  extraArgs: string[],
  afterRequests: number,
  act: (child: ChildProcess) => Promise<void>,
): Promise<{ r: CliResult; out: string; actedAtMs: number; exitedAtMs: number }> {
  const dir = tempDir('tokbench-int-');
  const out = join(dir, 'out');
  let child: ChildProcess | null = null;
  let actedAtMs = 0;
  const running = spawnCli(
    ['run', 'llama2-70b/server', '--endpoint', f.url, '--target-qps', '4', '--samples', '400', '--seed', '1', '--input-tokens', '32', '--output-tokens', '64', '--idle-timeout', '5s', '--drain-timeout', '2s', '--workers', '1', '--quiet', '--out', out, ...extraArgs],
    { cwd: dir, timeoutMs: 30_000, onStarted: (c) => (child = c) },
  );
  const acting = (async () => {
    await untilRequests(f, afterRequests);
    actedAtMs = performance.now();
    await act(child!);
  })();
  const r = await running;
  const exitedAtMs = performance.now();
  await acting;
  return { r, out, actedAtMs, exitedAtMs };
}

function expectPartialResult(out: string): { result: ResultJson; records: RequestRecord[] } {
  expect(existsSync(join(out, 'result.json'))).toBe(true);
  expect(existsSync(join(out, 'requests.jsonl'))).toBe(true);
  expect(existsSync(join(out, 'run.json'))).toBe(true);
  // no temporary file left behind by the atomic write
  expect(readdirSync(out).filter((n) => n.includes('.tmp'))).toEqual([]);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
  const records = readRecords(out);
  const s = result.summary;
  expect(result.interrupted).toBe(true);
  expect(s.issued).toBeGreaterThan(0);
  // far fewer than scheduled: issuing stopped at the signal
  expect(s.issued).toBeLessThan(400);
  expect(s.completed + s.failed).toBe(s.issued);
  expect(records.length).toBe(s.issued);
  expect(Object.values(s.errors).reduce((a, b) => a + b, 0)).toBe(s.failed);
  return { result, records };
}

describe.each([['SIGINT'], ['SIGTERM']] as const)('%s', (signal) => {
  it('stops issuing, lets in-flight requests finish within the grace period, exits 130 with interrupted: true', async () => {
    // each response takes 0.5 s: in-flight ones finish within the 3 s grace
    const f = await fake(slowStream(0.5));
    const { r, out, actedAtMs, exitedAtMs } = await runAndAct(f, ['--grace', '3s'], 4, async (child) => {
      child.kill(signal);
    });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`${signal}: stopping; in-flight requests get 3s to finish`);
    const { result, records } = expectPartialResult(out);
    // in flight at the signal, and finished in the grace period: nothing aborted
    expect(result.summary.failed).toBe(0);
    expect(records.every((x) => x.ok)).toBe(true);
    // the grace period, not the 100 s the schedule would take (slack for a loaded machine)
    expect(exitedAtMs - actedAtMs).toBeLessThan(6_000);
    expect(r.stdout).toContain('interrupted');
  });

  it('aborts in-flight requests when the grace period runs out', async () => {
    // responses of 20 s: the 1 s grace ends first
    const f = await fake(slowStream(20));
    const { r, out, actedAtMs, exitedAtMs } = await runAndAct(f, ['--grace', '1s'], 3, async (child) => {
      child.kill(signal);
    });
    expect(r.code, r.stderr).toBe(130);
    const { result, records } = expectPartialResult(out);
    expect(result.summary.errors.aborted).toBeGreaterThanOrEqual(3);
    // tokens that arrived before the abort are reported apart
    expect(result.summary.partialOutputTokens).toBeGreaterThan(0);
    expect(records.filter((x) => x.error?.kind === 'aborted').length).toBe(result.summary.errors.aborted);
    const took = exitedAtMs - actedAtMs;
    expect(took).toBeGreaterThan(900);
    expect(took).toBeLessThan(6_000);
  });
});

it('a second SIGINT aborts at once, and the records are still flushed', async () => {
  const f = await fake(slowStream(20));
  let secondAtMs = 0;
  const { r, out, exitedAtMs } = await runAndAct(f, ['--grace', '60s'], 3, async (child) => {
    child.kill('SIGINT');
    await sleep(300);
    secondAtMs = performance.now();
    child.kill('SIGINT');
  });
  expect(r.code, r.stderr).toBe(130);
  expect(r.stderr).toContain('SIGINT: stopping; in-flight requests get 60s to finish (again to abort now)');
  expect(r.stderr).toContain('SIGINT: aborting in-flight requests');
  // nowhere near the 60 s grace
  expect(exitedAtMs - secondAtMs).toBeLessThan(4_000);
  const { result, records } = expectPartialResult(out);
  expect(result.summary.errors.aborted).toBeGreaterThanOrEqual(3);
  expect(records.filter((x) => !x.ok).every((x) => x.error?.kind === 'aborted')).toBe(true);
});

it('with worker threads (--workers 2): SIGINT still stops, aborts after the grace period, and writes everything', async () => {
  const f = await fake(slowStream(20));
  const { r, out, actedAtMs, exitedAtMs } = await runAndAct(f, ['--grace', '1s', '--workers', '2'], 3, async (child) => {
    child.kill('SIGINT');
  });
  expect(r.code, r.stderr).toBe(130);
  const { result } = expectPartialResult(out);
  expect(result.summary.errors.aborted).toBeGreaterThanOrEqual(3);
  expect(exitedAtMs - actedAtMs).toBeLessThan(6_000);
});

describe('durability', () => {
  it('kill -9 mid-run leaves requests.jsonl and run.json; report --from summarises everything that finished', async () => {
    const f = await fake({ steps: [{ tokens: 2 }, { tokens: 2, delayMs: 20 }, { tokens: 2, delayMs: 20 }], usage: 'last' });
    const { r, out } = await runAndAct(f, ['--target-qps', '40'], 25, async (child) => {
      child.kill('SIGKILL');
    });
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'result.json'))).toBe(false);
    expect(existsSync(join(out, 'run.json'))).toBe(true);
    const lines = readFileSync(join(out, 'requests.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    // records were appended as requests finished, not at the end
    expect(lines.length).toBeGreaterThanOrEqual(15);

    const rebuilt = await runMain(['report', '--from', join(out, 'requests.jsonl'), '--format', 'json', '--out', join(out, 'rebuilt.json')]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).toMatch(/\d+ of 400 scheduled queries finished before the run ended/);
    const result = JSON.parse(rebuilt.stdout) as ResultJson;
    const records = lines.map((l) => JSON.parse(l) as RequestRecord);
    expect(result.interrupted).toBe(true);
    expect(result.summary.completed).toBe(records.filter((x) => x.ok).length);
    expect(result.summary.completed + result.summary.failed).toBe(lines.length);
    expect(result.summary.outputTokens).toBe(records.filter((x) => x.ok).reduce((a, x) => a + x.outputTokens, 0));
    expect(result.summary.outputTokensPerSecond).toBeGreaterThan(0);
    expect(existsSync(join(out, 'rebuilt.json'))).toBe(true);

    // the text form works too
    const text = await runMain(['report', '--from', join(out, 'requests.jsonl')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('interrupted');
  });
});
