/**
 * Every exit code of DESIGN.md §4 through the real CLI (the built bin in a
 * child process), and assertions on a saved result giving the run's verdicts.
 * 130 (interrupted) is covered with the signal tests in interrupt.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, spawnServe, tempDir, type ServeProcess } from '../helpers/cli.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../helpers/fakeOpenAiServer.js';
import type { ResultJson } from '../../src/metrics/types.js';

let failing: ServeProcess;
let fake: FakeOpenAiServer;
beforeAll(async () => {
  failing = await spawnServe(['--profile', 'tiny', '--faults', '500=1']);
  fake = await startFakeOpenAiServer({ script: { ttftMs: 2, steps: [{ tokens: 1 }, { tokens: 1, delayMs: 1 }], usage: 'separate' } });
});
afterAll(async () => {
  await failing.close();
  await fake.close();
});

const ASSERTS = ['output_tokens_per_sec >= 1', 'ttft.p99 < 10s', 'error_rate < 1%', 'completed >= 1G'];

describe('exit codes', () => {
  let out: string;
  let result: ResultJson;

  it('0: a run against the embedded simulator succeeds and says the figures are simulated', async () => {
    out = tempDir();
    const r = await spawnCli(['run', 'llama2-70b/server', '--samples', '30', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('started the built-in simulator');
    expect(r.stdout).toContain('Throughput');
    result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
    expect(result.simulated).toBe(true);
    expect(result.summary.completed + result.summary.failed).toBe(result.summary.issued);
    const lines = readFileSync(join(out, 'requests.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(30);
  });

  it('1: an assertion that fails, with its verdicts in result.json, the JUnit file and stdout', async () => {
    const dir = tempDir();
    const args = ['run', 'llama2-70b/offline', '--endpoint', fake.url, '--samples', '10', '--out', dir, '--junit', join(dir, 'junit.xml')];
    for (const a of ASSERTS) args.push('--assert', a);
    const r = await spawnCli(args);
    expect(r.code).toBe(1);
    const res = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as ResultJson;
    expect(res.thresholds.map((t) => t.passed)).toEqual([true, true, true, false]);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('completed &gt;= 1G');

    // the same assertions on the saved result give the same verdicts
    const check = await spawnCli(['check', join(dir, 'result.json'), ...ASSERTS.flatMap((a) => ['--assert', a]), '--json']);
    expect(check.code).toBe(1);
    const checked = JSON.parse(check.stdout) as { passed: boolean; verdicts: { expr: string; passed: boolean; actual: unknown }[] };
    expect(checked.passed).toBe(false);
    expect(checked.verdicts.map((v) => [v.expr, v.passed, v.actual])).toEqual(res.thresholds.map((t) => [t.expr, t.passed, t.actual]));
  });

  it('2: a configuration error, before anything is sent', async () => {
    const before = fake.completionRequests.length;
    const r = await spawnCli(['run', 'llama2-70b/server', '--endpoint', fake.url, '--target-qps', '-3', '--samples', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--target-qps');
    const bad = await spawnCli(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--samples', '5', '--assert', 'ttft.p99 < 95k']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ttft.p99');
    expect(fake.completionRequests.length).toBe(before);
  });

  it('3: every request failed, with the first error in the message', async () => {
    const r = await spawnCli(['run', 'llama2-70b/offline', '--endpoint', failing.url, '--samples', '8', '--out', tempDir()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/every request failed \(8 of 8\); first error: http_5xx \(HTTP 500\)/);
  });

  it('compare: exit 1 on a planted regression beyond tolerance, 0 within it', async () => {
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    // A planted change moves the figure, not the inputs of its interval: plant it in results
    // without intervals (as older versions wrote), which compare by value (issue 16).
    const { intervals: _iv, ...plain } = result.summary;
    const scaled = (f: number) => ({ ...result, summary: { ...plain, outputTokensPerSecond: result.summary.outputTokensPerSecond * f } });
    writeFileSync(join(dir, 'base.json'), JSON.stringify(scaled(1)));
    writeFileSync(join(dir, 'drop5.json'), JSON.stringify(scaled(0.95)));
    writeFileSync(join(dir, 'drop3.json'), JSON.stringify(scaled(0.97)));
    const five = await spawnCli(['compare', join(dir, 'base.json'), join(dir, 'drop5.json'), '--tolerance', '4%', '--metrics', 'output_tokens_per_sec']);
    expect(five.code).toBe(1);
    const three = await spawnCli(['compare', join(dir, 'base.json'), join(dir, 'drop3.json'), '--tolerance', '4%', '--metrics', 'output_tokens_per_sec']);
    expect(three.code).toBe(0);
  });
});
