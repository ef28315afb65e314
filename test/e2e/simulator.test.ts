/**
 * The real CLI against the real simulator on loopback: the client's figures
 * must follow from the simulator's model the way a real engine's follow from
 * its hardware (issue 3 acceptance).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lowLoadTpotUs, lowLoadTtftUs, saturationCapacity, type EngineParams } from '../../src/sim/engine.js';
import { getProfile } from '../../src/sim/profiles.js';
import { runMain, spawnServe, tempDir, type ServeProcess } from '../helpers/cli.js';
import { parsePrometheusText } from '../../src/telemetry/prom-text.js';
import type { ResultJson } from '../../src/metrics/types.js';
import type { RequestRecord } from '../../src/records/record.js';

let sim: ServeProcess | null = null;

/** The simulator in its own process, with the tiny profile and these overrides. */
async function serve(overrides: Partial<EngineParams>): Promise<{ url: string; engine: EngineParams }> {
  const engine = { ...getProfile('tiny')!.engine, ...overrides };
  const flags = Object.entries(overrides).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(v)]);
  sim = await spawnServe(['--profile', 'tiny', '--prompt-tokenizer', 'llama2', ...flags]);
  return { url: sim.url, engine };
}
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function run(args: string[]) {
  const out = tempDir();
  const r = await runMain([...args, '--out', out, '--quiet']);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
  const records = readFileSync(join(out, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
  return { result, records };
}

const within = (actual: number, expected: number, fraction: number) => {
  expect(Math.abs(actual - expected) / expected, `actual ${actual} vs expected ${expected}`).toBeLessThanOrEqual(fraction);
};

// One retry: the simulator keeps real time on two cores shared with the client.
describe('simulator model vs measurement', { retry: 1 }, () => {
  it('at low load, TTFT and TPOT match the model’s prefill and step times within 5%', async () => {
    // Steps long enough that HTTP overhead and timer lateness (~1-2 ms, the
    // simulator sleeps on timers) stay well inside 5%.
    const { url, engine } = await serve({ stepBaseUs: 50_000, prefillUsPerToken: 100, decodeUsPerSeq: 100 });
    const { result } = await run(['run', 'llama2-70b/server', '--endpoint', url, '--concurrency', '1', '--samples', '12', '--input-tokens', '256', '--output-tokens', '8', '--seed', '1', '--prompt-format', 'ids']);
    const s = result.summary;
    expect(s.completed).toBe(12);
    const promptTokens = s.inputTokens / s.completed;
    expect(promptTokens).toBeGreaterThanOrEqual(255);
    within(s.latency.ttftMs!.p50 * 1000, lowLoadTtftUs(engine, Math.round(promptTokens)), 0.05);
    within(s.latency.tpotMs!.p50 * 1000, lowLoadTpotUs(engine, 8), 0.05);
  });

  it('at saturation, output throughput matches the model’s analytic capacity within 5%', async () => {
    // ~37 waves of 16 sequences: ramp-up and drain are a small part of the run,
    // so the whole-run figure approaches the steady-state capacity.
    const { url, engine } = await serve({});
    const { result } = await run(['run', 'llama2-70b/offline', '--endpoint', url, '--samples', '600', '--input-tokens', '128', '--output-tokens', '64', '--seed', '2', '--prompt-format', 'ids']);
    const s = result.summary;
    expect(s.completed).toBe(600);
    const capacity = saturationCapacity(engine, { inputTokens: Math.round(s.inputTokens / s.completed), outputTokens: 64 });
    within(s.outputTokensPerSecond, capacity.outputTokensPerSecond, 0.05);

    // /metrics parses as Prometheus text and its counters agree with what the client counted.
    const metrics = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    expect(metrics.errors).toEqual([]);
    const total = (name: string) => metrics.samples.filter((x) => x.name === name).reduce((a, x) => a + x.value, 0);
    expect(total('vllm:generation_tokens_total')).toBe(s.outputTokens);
    expect(total('vllm:prompt_tokens_total')).toBe(s.inputTokens);
    expect(total('vllm:request_success_total')).toBe(s.completed);
    expect(metrics.types.get('vllm:time_to_first_token_seconds')).toBe('histogram');
    expect(total('vllm:time_to_first_token_seconds_count')).toBe(s.completed);
  });

  it('requests in flight at the server obey Little’s law for the client’s arrival rate and latency', async () => {
    const { url } = await serve({ stepBaseUs: 5000, decodeUsPerSeq: 100 });
    const samples: { atMs: number; inSystem: number }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const text = await (await fetch(`${url}/metrics`)).text();
        const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
        samples.push({ atMs: Date.now(), inSystem: value('vllm:num_requests_running') + value('vllm:num_requests_waiting') });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const { result, records } = await run(['run', 'llama2-70b/server', '--endpoint', url, '--target-qps', '25', '--samples', '200', '--input-tokens', '128', '--output-tokens', '64', '--seed', '3', '--prompt-format', 'ids']);
    polling = false;
    await poller;
    // L (time-average in system, seen by the server) = λ W (seen by the client), over the same window.
    const t0 = Date.parse(result.startedAt);
    const windowUs = Math.max(...records.map((r) => r.completedUs));
    const inWindow = samples.filter((x) => x.atMs >= t0 && x.atMs <= t0 + windowUs / 1000);
    expect(inWindow.length).toBeGreaterThan(50);
    const serverL = inWindow.reduce((a, x) => a + x.inSystem, 0) / inWindow.length;
    const clientLambdaW = records.reduce((a, r) => a + (r.completedUs - r.issuedUs), 0) / windowUs;
    expect(serverL).toBeGreaterThan(1);
    within(serverL, clientLambdaW, 0.1);
  });
});

describe('faults switched on from the command line reach the client', () => {
  it.each([
    ['500', 'http_5xx'],
    ['503', 'http_5xx'],
    ['429', 'http_429'],
    ['reset', 'reset'],
    ['stall', 'idle_timeout'],
    ['malformed', 'malformed_stream'],
    ['error-event', 'stream_error'],
  ])('tokbench serve --faults %s=1 → every request fails as %s', async (fault, kind) => {
    sim = await spawnServe(['--profile', 'tiny', '--faults', `${fault}=1`]);
    const out = tempDir();
    const r = await runMain(['run', 'llama2-70b/offline', '--endpoint', sim.url, '--samples', '4', '--output-tokens', '8', '--idle-timeout', '500ms', '--out', out, '--quiet']);
    expect(r.code).toBe(3);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as ResultJson;
    expect(result.summary.errors).toEqual({ [kind]: 4 });
  });

  it('--faults no-usage=1: tokens are counted by the tokenizer and the result says so', async () => {
    sim = await spawnServe(['--profile', 'tiny', '--faults', 'no-usage=1']);
    // without per-chunk usage, which would otherwise still count the tokens
    const { result } = await run(['run', 'llama2-70b/offline', '--endpoint', sim.url, '--samples', '4', '--output-tokens', '8', '--no-continuous-usage']);
    expect(result.summary.tokenCountSource).toBe('tokenizer');
    expect(result.summary.outputTokens).toBe(32);
  });

  it('--faults slow-headers=1: requests complete, late', async () => {
    sim = await spawnServe(['--profile', 'tiny', '--faults', 'slow-headers=1', '--slow-headers-ms', '300']);
    const { result } = await run(['run', 'llama2-70b/offline', '--endpoint', sim.url, '--samples', '4', '--output-tokens', '8']);
    expect(result.summary.completed).toBe(4);
    expect(result.summary.latency.ttftMs!.min).toBeGreaterThanOrEqual(300);
  });
});
