/**
 * Telemetry end to end: a real run against the embedded simulator (its /metrics
 * is scraped automatically), a fake NVIDIA DCGM exporter on loopback for GPU
 * power, and a scrape target that refuses connections. The simulator's series
 * must land in result.json and in report.html, tokens per joule must follow
 * from the planted power, the dead target must be counted without stopping
 * the run, and the stderr log (not a terminal) must hold no control character.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, tempDir, type CliResult } from '../helpers/cli.js';
import type { ResultJson } from '../../src/metrics/types.js';

const POWER_W = [300, 250];

let dcgm: Server;
let dcgmUrl = '';
let scrapes = 0;
let run: CliResult;
let out: string;

beforeAll(async () => {
  dcgm = createServer((_req, res) => {
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      [
        '# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).',
        '# TYPE DCGM_FI_DEV_POWER_USAGE gauge',
        ...POWER_W.map((w, i) => `DCGM_FI_DEV_POWER_USAGE{gpu="${i}",UUID="GPU-${i}",modelName="NVIDIA H100 80GB HBM3"} ${w}.000000`),
        '# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).',
        '# TYPE DCGM_FI_DEV_GPU_UTIL gauge',
        ...POWER_W.map((_, i) => `DCGM_FI_DEV_GPU_UTIL{gpu="${i}",UUID="GPU-${i}"} ${90 + i}`),
        '',
      ].join('\n'),
    );
  });
  await new Promise<void>((r) => dcgm.listen(0, '127.0.0.1', r));
  dcgmUrl = `http://127.0.0.1:${(dcgm.address() as AddressInfo).port}/metrics`;
  out = tempDir('tokbench-telemetry-');
  // ~6 s of Poisson arrivals: long enough for a status line in the log (every 5 s)
  run = await spawnCli(
    ['run', 'llama2-70b/server', '--samples', '120', '--target-qps', '20', '--seed', '7', '--out', out, '--report', 'html', '--scrape', dcgmUrl, '--scrape', 'http://127.0.0.1:1/metrics', '--scrape-interval', '250ms'],
    { timeoutMs: 90_000 },
  );
}, 120_000);

afterAll(async () => {
  await new Promise((r) => dcgm.close(r));
});

describe('telemetry from a real run', () => {
  it('the run succeeds although one scrape target is dead', () => {
    expect(run.stderr).not.toContain('internal error');
    expect(run.code).toBe(0);
    expect(scrapes).toBeGreaterThan(5);
  });

  it('stores the simulator’s series, the exporter’s, and the failures in result.json', () => {
    const r = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
    const t = r.telemetry!;
    expect(t.intervalMs).toBe(250);
    const sim = t.sources.find((s) => s.auto)!;
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(sim.ok).toBeGreaterThan(5);
    expect(sim.errors).toBe(0);
    const dead = t.sources.find((s) => s.url === 'http://127.0.0.1:1/metrics')!;
    expect(dead.ok).toBe(0);
    expect(dead.errors).toBeGreaterThan(5);
    expect(dead.errorKinds).toEqual({ connect: dead.errors });
    const simIndex = t.sources.indexOf(sim);
    const names = new Set(t.series.filter((s) => s.source === simIndex).map((s) => s.name));
    for (const n of ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:generation_tokens_total', 'vllm:prompt_tokens_total']) {
      expect(names.has(n), n).toBe(true);
    }
    const running = t.series.find((s) => s.name === 'vllm:num_requests_running')!;
    expect(running.points.length).toBeGreaterThan(5);
    expect(running.points.some(([, v]) => v > 0)).toBe(true);
    const gen = t.series.find((s) => s.name === 'vllm:generation_tokens_total')!;
    expect(gen.kind).toBe('rate');
    expect(gen.unit).toBe('tok/s');
    // the server generated about what the client received
    const serverTokens = gen.points.reduce((acc, [, v], i) => acc + (i === 0 ? 0 : v * ((gen.points[i]![0] - gen.points[i - 1]![0]) / 1000)), 0);
    expect(serverTokens).toBeGreaterThan(0.5 * r.summary.outputTokens);
    const power = t.series.filter((s) => s.name === 'DCGM_FI_DEV_POWER_USAGE');
    expect(power.map((s) => s.labels.gpu).sort()).toEqual(['0', '1']);
    // the request sample for TTFT against scheduled time
    expect(r.requestSample!.scheduledMs.length).toBe(r.summary.issued);
  });

  it('adds tokens per joule from the GPU power: output tokens / (Σ power × window)', () => {
    const r = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
    const e = r.telemetry!.energy!;
    expect(e.method).toBe('power');
    expect(e.gpus).toBe(2);
    expect(e.windowMs).toBe(r.summary.durationMs);
    const sumW = POWER_W.reduce((a, b) => a + b, 0);
    expect(e.averagePowerW).toBeCloseTo(sumW, 6);
    expect(e.joules).toBeCloseTo((sumW * r.summary.durationMs) / 1000, 1);
    // joules are stored to the mJ
    expect(r.summary.outputTokensPerJoule! / (r.summary.outputTokens / e.joules)).toBeCloseTo(1, 6);
    expect(run.stdout).toMatch(/Energy\s+[\d.,]+ tok\/J/);
  });

  it('shows the series in report.html', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Server telemetry');
    expect(html).toContain('vLLM running');
    expect(html).toContain('vLLM generation tokens');
    expect(html).toContain('GPU power');
    expect(html).toContain('tok/J');
    expect(html).toContain(dcgmUrl);
  });

  it('logs the dead target once, and the stderr log (not a terminal) holds no control character', () => {
    expect(run.stderr).toContain('warning: scrape http://127.0.0.1:1/metrics: every scrape failed');
    // a status line every few seconds
    expect(run.stderr).toMatch(/^tokbench: (run|drain) \d+:\d\d.* out tok\/s · p99 TTFT .* · errors 0( · scrape errors \d+)?$/m);
    // eslint-disable-next-line no-control-regex
    expect(run.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  });
});
