/**
 * Secrets: a test plants an API key (from the environment, a file, the flag,
 * and as a user --header), runs against a server that requires it, one that
 * rejects it, and ones that echo it back in error bodies and error events, then
 * searches every file written (result.json, requests.jsonl, run.json, MLPerf
 * logs, JUnit, Markdown, the step summary, a rebuilt report) and stdout/stderr:
 * the key is never there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeOpenAiServer, type FakeOpenAiServer, type FakeServerOptions } from '../helpers/fakeOpenAiServer.js';
import { runMain, spawnCli, tempDir, type CliResult } from '../helpers/cli.js';
import type { ResultJson } from '../../src/metrics/types.js';

const servers: FakeOpenAiServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function fake(opts: FakeServerOptions): Promise<FakeOpenAiServer> {
  const f = await startFakeOpenAiServer(opts);
  servers.push(f);
  return f;
}

const plant = (label: string) => `sk-planted-${label}-${randomBytes(12).toString('hex')}`;

/** every file under dir, recursively, with its text */
function filesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push({ path: p, text: readFileSync(p, 'latin1') });
  }
  return out;
}

/** the key (and its distinctive tail) appears in no file under dir and not in the output */
function expectNowhere(key: string, dir: string, outputs: CliResult[]): void {
  const tail = key.slice(-16);
  const files = filesUnder(dir);
  expect(files.length).toBeGreaterThan(0);
  for (const f of files) {
    expect(f.text.includes(tail), `${f.path} contains the key`).toBe(false);
  }
  for (const o of outputs) {
    expect(o.stdout.includes(tail), 'stdout contains the key').toBe(false);
    expect(o.stderr.includes(tail), 'stderr contains the key').toBe(false);
  }
}

/** the run's files, every report asked for, and a rebuilt report */
function reportArgs(dir: string): string[] {
  return ['--out', join(dir, 'out'), '--junit', join(dir, 'junit.xml'), '--markdown', join(dir, 'summary.md')];
}

const RUN = ['llama2-70b/offline', '--samples', '6', '--input-tokens', '16', '--output-tokens', '8', '--max-concurrency', '3', '--idle-timeout', '1s', '--drain-timeout', '2s'];

async function runAndCollect(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ dir: string; outputs: CliResult[]; run: CliResult }> {
  const dir = tempDir('tokbench-secret-');
  const summaryFile = join(dir, 'step-summary.md');
  writeFileSync(summaryFile, '');
  const run = await runMain(['run', ...RUN, ...reportArgs(dir), ...args], { cwd: dir, env: { GITHUB_STEP_SUMMARY: summaryFile, ...env } });
  const outputs = [run];
  // whatever happened, rebuild from the records if there are any, and render the result in every format
  try {
    statSync(join(dir, 'out', 'requests.jsonl'));
    outputs.push(await runMain(['report', '--from', join(dir, 'out', 'requests.jsonl'), '--format', 'json', '--out', join(dir, 'rebuilt.json')], { cwd: dir }));
    for (const format of ['text', 'md', 'junit']) outputs.push(await runMain(['report', join(dir, 'out', 'result.json'), '--format', format], { cwd: dir }));
  } catch {
    // no records: the run stopped before the load (e.g. a 401 at preflight)
  }
  return { dir, outputs, run };
}

describe('the API key never leaks', () => {
  it('from TOKBENCH_API_KEY, against a server that requires it (real process)', async () => {
    const key = plant('env');
    const f = await fake({ apiKey: key });
    const dir = tempDir('tokbench-secret-');
    const r = await spawnCli(['run', ...RUN, '--endpoint', f.url, '--json', ...reportArgs(dir)], { cwd: dir, env: { TOKBENCH_API_KEY: key }, timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    // the key was really used
    expect(f.completionRequests.length).toBe(6);
    expect(f.completionRequests.every((q) => q.headers.authorization === `Bearer ${key}`)).toBe(true);
    // --json: result.json went to stdout too
    expect((JSON.parse(r.stdout) as ResultJson).summary.completed).toBe(6);
    expect(r.stderr).not.toContain('warning');
    expectNowhere(key, dir, [r]);
  });

  it('from --api-key-file', async () => {
    const key = plant('file');
    const keyDir = tempDir('tokbench-keyfile-');
    writeFileSync(join(keyDir, 'key'), `${key}\n`);
    const f = await fake({ apiKey: key });
    const { dir, outputs, run } = await runAndCollect(['--endpoint', f.url, '--api-key-file', join(keyDir, 'key')]);
    expect(run.code, run.stderr).toBe(0);
    expect(f.completionRequests.length).toBe(6);
    expectNowhere(key, dir, outputs);
  });

  it('from --api-key: works, and warns that it lands in shell history', async () => {
    const key = plant('flag');
    const f = await fake({ apiKey: key });
    const { dir, outputs, run } = await runAndCollect(['--endpoint', f.url, '--api-key', key]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: --api-key puts the key in your shell history/);
    expect(run.stderr).toContain('TOKBENCH_API_KEY or --api-key-file');
    expect(f.completionRequests.length).toBe(6);
    expectNowhere(key, dir, outputs);
  });

  it('rejected (401, and the server echoes the key as OpenAI does): exit 2, the key is not in the message', async () => {
    const key = plant('rejected');
    const f = await fake({
      modelsResponse: { status: 401, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${key}. You can find your API key at https://example.invalid/keys`, type: 'invalid_request_error', code: 'invalid_api_key' } }) },
    });
    const { dir, outputs, run } = await runAndCollect(['--endpoint', f.url], { TOKBENCH_API_KEY: key });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('HTTP 401');
    expect(run.stderr).toContain('Incorrect API key provided: ***');
    expect(run.stderr).toContain('was rejected');
    expect(f.completionRequests.length).toBe(0);
    expectNowhere(key, dir, outputs);
  });

  it('echoed in HTTP error bodies and in error events mid-stream: redacted in records, results and messages', async () => {
    const key = plant('echo');
    const f = await fake({
      script: (req, i) => {
        const auth = String(req.headers.authorization ?? '');
        const bare = auth.replace(/^Bearer /, '');
        if (i % 3 === 0) return { status: 500, errorBody: { error: { message: `upstream rejected header Authorization: ${auth}` } } };
        if (i % 3 === 1) return { status: 400, errorBody: { error: { message: `key ${bare} is not allowed for this model`, param: bare } } };
        return { steps: [{ tokens: 1 }, { kind: 'error', error: { message: `quota exceeded for ${bare}` } }] };
      },
    });
    const { dir, outputs, run } = await runAndCollect(['--endpoint', f.url], { TOKBENCH_API_KEY: key });
    // every request failed: exit 3, with the (redacted) first error
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('every request failed');
    expect(run.stderr).toContain('***');
    const records = readFileSync(join(dir, 'out', 'requests.jsonl'), 'utf8');
    expect(records).toContain('***');
    expectNowhere(key, dir, outputs);
  });

  it('as a user --header (Authorization, X-Api-Key): sent, but redacted in run.json and everything else', async () => {
    const key = plant('header');
    const other = plant('xapikey');
    const f = await fake({ apiKey: key, script: (req) => (String(req.headers['x-api-key']) === other ? {} : { status: 403 }) });
    const { dir, outputs, run } = await runAndCollect(['--endpoint', f.url, '--header', `Authorization: Bearer ${key}`, '--header', `X-Api-Key: ${other}`, '--header', 'X-Tenant: bench']);
    expect(run.code, run.stderr).toBe(0);
    // the headers were sent, the preflight included
    expect(f.requests.every((q) => q.headers.authorization === `Bearer ${key}` && q.headers['x-api-key'] === other)).toBe(true);
    // run.json keeps the header names (and harmless values) but not the secrets
    const info = JSON.parse(readFileSync(join(dir, 'out', 'run.json'), 'utf8')) as { scenario: { request: { headers: Record<string, string> } } };
    expect(Object.keys(info.scenario.request.headers).map((k) => k.toLowerCase()).sort()).toEqual(['authorization', 'x-api-key', 'x-tenant']);
    expect(Object.entries(info.scenario.request.headers).find(([k]) => k.toLowerCase() === 'x-tenant')?.[1]).toBe('bench');
    expectNowhere(key, dir, outputs);
    expectNowhere(other, dir, outputs);
  });

  it('a key in the endpoint URL (query string or user:password) is refused without echoing it', async () => {
    const key = plant('url');
    const f = await fake({});
    for (const url of [`${f.url}/v1?api_key=${key}`, f.url.replace('http://', `http://bench:${key}@`)]) {
      const { dir, outputs, run } = await runAndCollect(['--endpoint', url]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/has a query or fragment|contains credentials/);
      expectNowhere(key, dir, outputs);
    }
    expect(f.requests.length).toBe(0);
  });

  it('a key with a line break is refused without echoing it', async () => {
    const key = plant('crlf');
    const f = await fake({});
    const { dir, outputs, run } = await runAndCollect(['--endpoint', f.url], { TOKBENCH_API_KEY: `${key}\r\nX-Injected: 1` });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('TOKBENCH_API_KEY');
    expect(run.stderr).toContain('line breaks');
    expect(f.requests.length).toBe(0);
    expectNowhere(key, dir, outputs);
  });
});
