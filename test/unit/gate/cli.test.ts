import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResultJson } from '../../../src/metrics/types.js';
import type { CliIo } from '../../../src/cli/io.js';
import { checkCommand, runCheck, type CheckArgs } from '../../../src/cli/check.js';
import { compareCommand, parseTolerance, runCompare, splitMetricList } from '../../../src/cli/compare.js';

const FIXTURE = new URL('../../fixtures/results/server-2endpoints.json', import.meta.url);
function load(): ResultJson {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as ResultJson;
}

interface FakeIo extends CliIo {
  out(): string;
  err(): string;
}
function fakeIo(cwd: string, env: NodeJS.ProcessEnv = {}): FakeIo {
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    return { stream, text: () => chunks.join('') };
  };
  const o = sink();
  const e = sink();
  return {
    stdout: o.stream,
    stderr: e.stream,
    env,
    cwd,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    onSignal: () => () => {},
    out: o.text,
    err: e.text,
  };
}

let dir: string;
let io: FakeIo;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokbench-gate-'));
  io = fakeIo(dir);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function save(name: string, r: ResultJson | string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof r === 'string' ? r : JSON.stringify(r));
  return name;
}

function check(args: Partial<CheckArgs> & { result: string }) {
  return runCheck({ assert: [], ...args }, io);
}

describe('runCheck exit codes', () => {
  it('0 when every assertion passes', async () => {
    const file = save('result.json', load());
    expect(await check({ result: file, assert: ['output_tokens_per_sec >= 1k', 'ttft.p99 <= 800ms', 'valid'] })).toBe(0);
    expect(io.out()).toMatch(/✓ output_tokens_per_sec >= 1k\s+1,980 tokens\/s/);
    expect(io.out()).toContain('3 assertion(s) passed');
    expect(io.err()).toBe('');
  });

  it('1 when one fails, naming it and its actual value', async () => {
    const file = save('result.json', load());
    expect(await check({ result: file, assert: ['output_tokens_per_sec >= 1k', 'ttft.p99 < 800ms'] })).toBe(1);
    expect(io.out()).toMatch(/✗ ttft\.p99 < 800ms\s+ttft\.p99 = 800 ms, expected < 800ms\n/);
    expect(io.err()).toBe('tokbench: error: 1 of 2 assertion(s) failed: ttft.p99 < 800ms\n');
  });

  it('1 when `valid` is asserted on an invalid run', async () => {
    const r = load();
    r.validity.valid = false;
    expect(await check({ result: save('result.json', r), assert: ['valid'] })).toBe(1);
  });

  it('2 on a bad expression, with every problem and a did-you-mean', async () => {
    const file = save('result.json', load());
    expect(await check({ result: file, assert: ['ttf.p99 < 2s', 'ttft.p99 < 95k', 'completed > 1'] })).toBe(2);
    expect(io.err()).toContain('invalid threshold (2 problems)');
    expect(io.err()).toContain("did you mean 'ttft.p99'?");
    expect(io.err()).toContain('is a duration');
    expect(io.out()).toBe('');
  });

  it('2 when an endpoint selector matches nothing', async () => {
    const file = save('result.json', load());
    expect(await check({ result: file, assert: ['endpoint[gpu=B200].ttft.p99 < 1s'] })).toBe(2);
    expect(io.err()).toContain('endpoint[gpu=B200] matches no endpoint');
  });

  it('2 naming the file when it is missing, not JSON, or not a result', async () => {
    expect(await check({ result: 'nope/result.json', assert: ['valid'] })).toBe(2);
    expect(io.err()).toContain('nope/result.json: no such file');

    io = fakeIo(dir);
    expect(await check({ result: save('broken.json', '{"schemaVersion": 1, "summ'), assert: ['valid'] })).toBe(2);
    expect(io.err()).toMatch(/broken\.json: not valid JSON/);

    io = fakeIo(dir);
    expect(await check({ result: save('other.json', { hello: 1 } as unknown as ResultJson), assert: ['valid'] })).toBe(2);
    expect(io.err()).toContain('other.json: not a tokbench result (no schemaVersion)');

    io = fakeIo(dir);
    expect(await check({ result: save('future.json', { ...load(), schemaVersion: 2 } as unknown as ResultJson), assert: ['valid'] })).toBe(2);
    expect(io.err()).toContain('future.json: schemaVersion 2 is newer than this tokbench reads (1)');
    expect(io.err()).toContain('hint: upgrade tokbench');
  });

  it('2 when there is nothing to check', async () => {
    const r = load();
    r.thresholds = [];
    expect(await check({ result: save('result.json', r) })).toBe(2);
    expect(io.err()).toContain('nothing to check');
  });
});

describe('runCheck', () => {
  it('accepts the --out directory and re-checks the stored thresholds when no --assert is given', async () => {
    const r = load();
    r.summary.latency.ttftMs!.p99 = 2500; // the stored verdict said it passed; the numbers say otherwise
    save('out/result.json', r);
    expect(await check({ result: 'out' })).toBe(1);
    expect(io.out()).toContain('✗ ttft.p99 <= 2s');
    expect(io.out()).toContain('✓ output_tokens_per_sec >= 1k');
  });

  it('writes JUnit and Markdown files that agree with the exit code', async () => {
    const file = save('result.json', load());
    const code = await check({ result: file, assert: ['output_tokens_per_sec >= 1k', 'ttft.p99 < 800ms'], junit: 'reports/junit.xml', markdown: 'reports/summary.md' });
    expect(code).toBe(1);
    const xml = readFileSync(join(dir, 'reports/junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(xml);
    expect(doc.testsuites.testsuite['@_failures']).toBe('1');
    expect(doc.testsuites.testsuite['@_tests']).toBe('6');
    const md = readFileSync(join(dir, 'reports/summary.md'), 'utf8');
    expect(md).toContain('### Thresholds: 1 of 2 passed');
  });

  it('appends to $GITHUB_STEP_SUMMARY instead of replacing it', async () => {
    const file = save('result.json', load());
    writeFileSync(join(dir, 'step.md'), 'earlier step output\n');
    io = fakeIo(dir, { GITHUB_STEP_SUMMARY: join(dir, 'step.md') });
    expect(await check({ result: file, assert: ['valid'], markdown: join(dir, 'step.md') })).toBe(0);
    const md = readFileSync(join(dir, 'step.md'), 'utf8');
    expect(md.startsWith('earlier step output\n## tokbench:')).toBe(true);
  });

  it('prints verdicts as JSON with --json', async () => {
    const file = save('result.json', load());
    expect(await check({ result: file, assert: ['error_rate < 0.5%'], json: true })).toBe(1);
    const out = JSON.parse(io.out());
    expect(out).toEqual({
      file: 'result.json',
      passed: false,
      verdicts: [{ expr: 'error_rate < 0.5%', passed: false, actual: 0.01, detail: 'error_rate = 1%, expected < 0.5%' }],
    });
  });

  it('is wired into commander, handing the exit code to the callback', async () => {
    const file = save('result.json', load());
    const codes: number[] = [];
    await checkCommand(io, (c) => codes.push(c)).parseAsync([file, '--assert', 'valid', '--assert', 'ttft.p99 < 1ms', '--no-color'], { from: 'user' });
    expect(codes).toEqual([1]);
    expect(io.out()).toContain('✓ valid');
    expect(io.out()).toContain('✗ ttft.p99 < 1ms');
  });
});

describe('runCompare', () => {
  function withTps(tps: number): ResultJson {
    const r = load();
    r.summary.outputTokensPerSecond = tps;
    return r;
  }

  it('exits 1 on a regression beyond tolerance and 0 within it', async () => {
    save('base/result.json', withTps(2000));
    save('drop5/result.json', withTps(1900));
    save('drop3/result.json', withTps(1940));
    expect(await runCompare({ results: ['base/result.json', 'drop5/result.json'], tolerance: '4%' }, io)).toBe(1);
    expect(io.out()).toMatch(/^metric\s+base\s+drop5/);
    expect(io.out()).toContain('REGRESSION');
    io = fakeIo(dir);
    expect(await runCompare({ results: ['base', 'drop3'], tolerance: '4%' }, io)).toBe(0);
    expect(io.out()).toContain('no regression beyond 4%');
  });

  it('limits the comparison to --metrics, which may be comma-separated and repeated', async () => {
    save('a.json', load());
    const slower = load();
    slower.summary.latency.ttftMs!.p99 = 1000;
    save('b.json', slower);
    expect(await runCompare({ results: ['a.json', 'b.json'], metrics: ['output_tokens_per_sec,tpot.p99'] }, io)).toBe(0);
    io = fakeIo(dir);
    expect(await runCompare({ results: ['a.json', 'b.json'], metrics: ['output_tokens_per_sec', 'ttft.p99:30%'] }, io)).toBe(0);
    io = fakeIo(dir);
    expect(await runCompare({ results: ['a.json', 'b.json'], metrics: ['ttft.p99'], json: true }, io)).toBe(1);
    expect(JSON.parse(io.out()).deltas[0]).toMatchObject({ metric: 'ttft.p99', base: 800, next: 1000, status: 'regression' });
  });

  it('exits 1 when --reproduce runs spread beyond tolerance, 0 within', async () => {
    save('r1.json', withTps(1000));
    save('r2.json', withTps(1030));
    save('r3.json', withTps(970));
    expect(await runCompare({ results: ['r1.json', 'r2.json', 'r3.json'], reproduce: true, tolerance: '4' }, io)).toBe(0);
    io = fakeIo(dir);
    expect(await runCompare({ results: ['r1.json', 'r2.json', 'r3.json'], reproduce: true, tolerance: '2.5%' }, io)).toBe(1);
    expect(io.out()).toContain('output_tokens_per_sec ±3.00%');
  });

  it('exits 2 on bad usage, naming what is wrong', async () => {
    save('a.json', load());
    expect(await runCompare({ results: ['a.json'] }, io)).toBe(2);
    expect(io.err()).toContain('compare takes a baseline and a new result (got 1 file(s))');
    io = fakeIo(dir);
    expect(await runCompare({ results: ['a.json', 'a.json'], tolerance: 'lots' }, io)).toBe(2);
    expect(io.err()).toContain("--tolerance: 'lots' is not a percentage");
    io = fakeIo(dir);
    expect(await runCompare({ results: ['a.json', 'a.json'], metrics: ['ttft.p99,e2e.p999x'] }, io)).toBe(2);
    expect(io.err()).toContain("did you mean 'e2e.p999'?");
    io = fakeIo(dir);
    expect(await runCompare({ results: ['a.json', 'missing1.json', 'missing2.json'], reproduce: true }, io)).toBe(2);
    expect(io.err()).toContain('missing1.json: no such file');
    expect(io.err()).toContain('missing2.json: no such file');
    io = fakeIo(dir);
    expect(await runCompare({ results: ['a.json'], reproduce: true }, io)).toBe(2);
  });

  it('writes the comparison as Markdown, and is wired into commander', async () => {
    save('base.json', withTps(2000));
    save('next.json', withTps(1900));
    const codes: number[] = [];
    await compareCommand(io, (c) => codes.push(c)).parseAsync(['base.json', 'next.json', '--tolerance', '4%', '--markdown', 'cmp.md'], { from: 'user' });
    expect(codes).toEqual([1]);
    expect(readFileSync(join(dir, 'cmp.md'), 'utf8')).toContain('| ❌ | `output_tokens_per_sec` | 2,000 tokens/s | 1,900 tokens/s |');
    expect(existsSync(join(dir, 'cmp.md'))).toBe(true);
  });

  it('parses tolerances and metric lists', () => {
    expect(parseTolerance('4%')).toBe(4);
    expect(parseTolerance(' 0.5 % ')).toBe(0.5);
    expect(parseTolerance('7')).toBe(7);
    expect(() => parseTolerance('-1%')).toThrow(/not a percentage/);
    expect(splitMetricList('a, endpoint[http://x:1,2].ttft.p99:10% ,b,')).toEqual(['a', 'endpoint[http://x:1,2].ttft.p99:10%', 'b']);
  });
});
