import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { serveCommand, parseOutputLength } from '../../../src/cli/serve.js';
import type { CliIo } from '../../../src/cli/io.js';
import { ConfigError } from '../../../src/errors.js';
import { waitFor } from './http-helpers.js';

function fakeIo() {
  const out = { stdout: '', stderr: '' };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  let handler: ((s: 'SIGINT' | 'SIGTERM') => void) | null = null;
  const io: CliIo = {
    stdout,
    stderr,
    env: {},
    cwd: process.cwd(),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    onSignal(h) {
      handler = h;
      return () => {
        handler = null;
      };
    },
  };
  return { io, out, signal: (s: 'SIGINT' | 'SIGTERM') => handler?.(s), hasHandler: () => handler !== null };
}

const run = (io: CliIo, args: string[]) => serveCommand(io).exitOverride().parseAsync(args, { from: 'user' });

describe('tokbench serve', () => {
  it('serves until SIGTERM and prints the URL on stderr', async () => {
    const f = fakeIo();
    const done = run(f.io, ['--port', '0', '--max-num-seqs', '4', '--faults', '500=0.5']);
    await waitFor(() => f.out.stderr.includes('Ctrl-C'));
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(f.out.stderr)![1]!;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect(f.out.stderr).toContain('faults: 500=0.5');
    expect(f.out.stderr).toContain('time scale 1');
    expect(f.out.stdout).toBe('');
    f.signal('SIGTERM');
    await done;
    expect(f.hasHandler()).toBe(false);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('--describe prints parameters and predictions, with the time scale applied', async () => {
    const f = fakeIo();
    await run(f.io, ['--profile', 'llama2-70b-8xgpu', '--describe']);
    const d = JSON.parse(f.out.stdout) as {
      engine: { timeScale: number };
      predictions: { servedTimeline: { outputTokensPerSecond: number }; modelledHardware: { outputTokensPerSecond: number } };
    };
    expect(d.engine.timeScale).toBe(20);
    expect(d.predictions.modelledHardware.outputTokensPerSecond).toBeCloseTo(d.predictions.servedTimeline.outputTokensPerSecond * 20, 6);
  });

  it('reports every bad flag at once, each by name', async () => {
    const f = fakeIo();
    const err = await run(f.io, [
      '--max-num-seqs',
      'many',
      '--time-scale',
      '0',
      '--faults',
      'boom=0.1',
      '--output-len',
      'gauss:3',
      '--profile',
      'huge',
      '--port',
      '70000',
      '--seed',
      '-1',
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const where = (err as ConfigError).problems.map((p) => p.where);
    for (const flag of ['--max-num-seqs', '--time-scale', '--faults', '--output-len', '--profile', '--port', '--seed']) expect(where).toContain(flag);
  });

  it('engine-level checks name the flag too', async () => {
    const err = await run(fakeIo().io, ['--max-num-seqs', '100', '--max-batched-tokens', '50', '--faults', '500=0.6,429=0.6']).catch((e: unknown) => e);
    expect((err as ConfigError).problems.map((p) => p.where).sort()).toEqual(['--faults', '--max-batched-tokens']);
  });

  it('parses output-length distributions', () => {
    expect(parseOutputLength('fixed:128')).toEqual({ kind: 'fixed', value: 128 });
    expect(parseOutputLength('uniform:10-20')).toEqual({ kind: 'uniform', min: 10, max: 20 });
    expect(parseOutputLength('lognormal:294,200,1-1024')).toEqual({ kind: 'lognormal', mean: 294, stddev: 200, min: 1, max: 1024 });
    expect(parseOutputLength('normal:5,1')).toBeNull();
  });
});
