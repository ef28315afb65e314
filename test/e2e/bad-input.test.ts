/**
 * Bad input, through the CLI: every case exits 2, names what is wrong (the
 * field, flag, file line or URL), says how to fix it, and sends nothing. A fake
 * server is given as the endpoint of every case, and must have received zero
 * completion requests afterwards (a GET /v1/models preflight is allowed: it is
 * how an endpoint problem is found before the load).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../helpers/fakeOpenAiServer.js';
import { runMain, tempDir, type CliResult } from '../helpers/cli.js';
import { TEST_CERT_PEM as CERT, TEST_KEY_PEM as KEY } from '../helpers/tls.js';

let fake: FakeOpenAiServer;
beforeAll(async () => {
  fake = await startFakeOpenAiServer({ models: ['fake-model'] });
});
afterAll(async () => {
  await fake.close();
});

/** extra servers a test starts, closed after it */
const extra: FakeOpenAiServer[] = [];
afterEach(async () => {
  for (const s of extra.splice(0)) await s.close();
});


/** A minimal OpenAI-compatible server over TLS with the self-signed certificate: /v1/models and streamed completions. */
async function startTlsServer(): Promise<{ url: string; completions: () => number; close: () => Promise<void> }> {
  let completions = 0;
  const server: HttpsServer = createHttpsServer({ cert: CERT, key: KEY }, (req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'tls-model', object: 'model' }] }));
        return;
      }
      completions++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
      res.write(chunk({ choices: [{ index: 0, text: ' a', finish_reason: null }] }));
      res.write(chunk({ choices: [{ index: 0, text: ' b', finish_reason: 'length' }] }));
      res.write(chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    completions: () => completions,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const QUICK = ['--samples', '5', '--quiet', '--idle-timeout', '1s', '--drain-timeout', '2s'];

/** run the CLI in-process in a fresh directory; the out dir is dir/out */
async function run(args: string[], opts: { dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult & { dir: string }> {
  const dir = opts.dir ?? tempDir('tokbench-bad-');
  const r = await runMain([...args, '--out', join(dir, 'out')], { cwd: dir, ...(opts.env ? { env: opts.env } : {}) });
  return { ...r, dir };
}

/** exit 2, a message naming `where` with a hint, no completion request on any server, no result written */
function expectRejected(r: CliResult & { dir: string }, where: string | RegExp, servers: FakeOpenAiServer[] = [fake]): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/tokbench: error: /);
  if (typeof where === 'string') expect(r.stderr).toContain(where);
  else expect(r.stderr).toMatch(where);
  expect(r.stderr).toMatch(/hint: /);
  expect(r.stderr).not.toMatch(/internal error/);
  for (const s of servers) expect(s.completionRequests.length).toBe(0);
  expect(existsSync(join(r.dir, 'out', 'result.json'))).toBe(false);
  expect(existsSync(join(r.dir, 'out', 'requests.jsonl'))).toBe(false);
}

describe('scenario files', () => {
  it('malformed YAML: file and line', async () => {
    const dir = tempDir('tokbench-bad-');
    writeFileSync(join(dir, 's.yaml'), 'schemaVersion: 1\nload:\n  targetQps: [1, 2\nrun: {\n');
    const r = await run(['run', 's.yaml', '--endpoint', fake.url, ...QUICK], { dir });
    expectRejected(r, /s\.yaml:\d+: not valid YAML/);
  });

  it('malformed JSON: file named, says JSON', async () => {
    const dir = tempDir('tokbench-bad-');
    writeFileSync(join(dir, 's.json'), '{"schemaVersion": 1, "load": {"targetQps": 3,}}');
    const r = await run(['run', 's.json', '--endpoint', fake.url, ...QUICK], { dir });
    expectRejected(r, /s\.json.*not valid JSON/);
  });

  it('unknown field: did-you-mean; wrong type and unit; out of range: all reported at once', async () => {
    const dir = tempDir('tokbench-bad-');
    writeFileSync(
      join(dir, 's.yaml'),
      ['schemaVersion: 1', 'benchmark: llama2-70b', 'scenario: server', 'load:', '  targetQsp: 10', '  maxConcurrency: 0', 'run:', '  minDurationMs: "10 parsecs"', ''].join('\n'),
    );
    const r = await run(['run', 's.yaml', '--endpoint', fake.url, ...QUICK], { dir });
    expectRejected(r, 'load.targetQsp: unknown field');
    expect(r.stderr).toContain('3 problems');
    expect(r.stderr).toContain('did you mean "targetQps"?');
    expect(r.stderr).toMatch(/load\.maxConcurrency: must be an integer ≥ 1, got 0/);
    expect(r.stderr).toMatch(/run\.minDurationMs: expected a duration, got "10 parsecs"/);
    expect(r.stderr).toContain('ms in a scenario file');
  });

  it('no schemaVersion: the current version, and every other error of the file and the flags at once', async () => {
    const dir = tempDir('tokbench-bad-');
    writeFileSync(join(dir, 's.yaml'), ['extends: llama2-70b/server', 'maxConcurency: 4', 'load:', '  burstiness: 0', ''].join('\n'));
    const r = await run(['run', 's.yaml', '--endpoint', fake.url, '--samples', 'lots', ...QUICK.slice(2)], { dir });
    expectRejected(r, 's.yaml: maxConcurency: unknown field');
    expect(r.stderr).toContain('3 problems');
    expect(r.stderr).toContain('did you mean "load.maxConcurrency"?');
    expect(r.stderr).toContain('s.yaml: load.burstiness: must be a number > 0');
    expect(r.stderr).toContain('--samples: expected a count, got "lots"');
    expect(r.stderr).not.toContain('schemaVersion');
  });

  it('unknown built-in scenario: did-you-mean and the list', async () => {
    const r = await run(['run', 'llama2-70b/offlne', '--endpoint', fake.url, ...QUICK]);
    expectRejected(r, 'unknown scenario "llama2-70b/offlne"');
    expect(r.stderr).toContain('did you mean "llama2-70b/offline"?');
  });

  it('unknown benchmark: lists the built-ins', async () => {
    const r = await run(['run', 'llama3-8b/server', '--endpoint', fake.url, ...QUICK]);
    expectRejected(r, 'unknown scenario "llama3-8b/server"');
    expect(r.stderr).toContain('gpt-oss-120b/offline');
  });
});

describe('flags', () => {
  it('negative --target-qps', async () => {
    const r = await run(['run', 'llama2-70b/server', '--endpoint', fake.url, '--target-qps', '-3', ...QUICK]);
    expectRejected(r, '--target-qps: must be a number > 0, got -3');
    expect(r.stderr).toContain('queries per second');
  });

  it('--max-concurrency 0', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--max-concurrency', '0', ...QUICK]);
    expectRejected(r, '--max-concurrency: must be an integer ≥ 1, got 0');
    expect(r.stderr).toContain('e.g. 64');
  });

  it('a value that is not a duration names the flag and shows the forms', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--duration', '10parsecs', ...QUICK]);
    expectRejected(r, '--duration: expected a duration, got "10parsecs"');
    expect(r.stderr).toContain('600s');
  });

  it('conflicting shortcuts are an error naming both flags, not a silent closed loop', async () => {
    const r = await run(['run', 'llama2-70b/server', '--endpoint', fake.url, '--concurrency', '4', '--max-concurrency', '64', '--target-qps', '10', '--burstiness', '0.3', ...QUICK]);
    expectRejected(r, '--concurrency and --max-concurrency: cannot be combined');
    expect(r.stderr).toContain('--concurrency and --target-qps: cannot be combined');
    expect(r.stderr).toContain('--concurrency and --burstiness: cannot be combined');
  });

  it('a count read with a duration suffix is an error with the fix, not two million', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--max-concurrency', '2m', ...QUICK]);
    expectRejected(r, '--max-concurrency: expected a count, got "2m"');
    expect(r.stderr).toContain("'m' means minutes; millions is M");
  });

  it('a bad endpoint URL is reported together with the flag errors', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', '127.0.0.1:9', '--samples', 'lots', '--idle-timeout', 'soon', '--quiet']);
    expectRejected(r, '3 problems');
    expect(r.stderr).toContain('--endpoint: "127.0.0.1:9" has no scheme');
    expect(r.stderr).toContain('--samples');
    expect(r.stderr).toContain('--idle-timeout');
  });

  it('a missing --user-conf is reported with the other problems', async () => {
    const r = await run(['run', 'llama2-70b/server', '--endpoint', fake.url, '--user-conf', 'nope.conf', '--target-qps', 'fast', ...QUICK]);
    expectRejected(r, '--user-conf nope.conf: no such file');
    expect(r.stderr).toContain('--target-qps: expected a rate, got "fast"');
  });

  it('TOKBENCH_ENDPOINT: errors are blamed on the variable', async () => {
    const r = await run(['run', 'llama2-70b/offline', ...QUICK], { env: { TOKBENCH_ENDPOINT: '127.0.0.1:9,model=m' } });
    expectRejected(r, 'TOKBENCH_ENDPOINT: "127.0.0.1:9" has no scheme');
    expect(r.stderr).not.toContain('--endpoint:');
  });

  it('TOKBENCH_ENDPOINT takes what --endpoint takes; counts and limits read with the one grammar', async () => {
    const s = await startFakeOpenAiServer({ models: ['other', 'env-model'] });
    extra.push(s);
    const args = ['run', 'llama2-70b/offline', '--samples', '0.005k', '--assert', 'output_tokens_per_sec >= 1e15', '--assert', 'completed == 5', ...QUICK.slice(2)];
    const r = await run(args, { env: { TOKBENCH_ENDPOINT: `${s.url},model=env-model` } });
    // the run happens (1e15 parses) and fails only the unreachable throughput gate
    expect(r.code, r.stderr).toBe(1);
    expect(s.completionRequests.length).toBe(5);
    expect((s.completionRequests[0]!.body as { model: string }).model).toBe('env-model');
  });

  it('several bad flags are reported together', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--samples', 'lots', '--idle-timeout', 'soon', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--samples');
    expect(r.stderr).toContain('--idle-timeout');
    expect(fake.completionRequests.length).toBe(0);
  });

  it('bad --assert expression: unknown metric lists the known ones', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--assert', 'tokens_per_sec >= 3', ...QUICK]);
    expectRejected(r, `--assert "tokens_per_sec >= 3"`);
    expect(r.stderr).toContain("unknown metric 'tokens_per_sec'");
    expect(r.stderr).toContain('output_tokens_per_sec');
  });

  it('bad --assert expression: unknown operator suggests one', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--assert', 'output_tokens_per_sec >>= 3', ...QUICK]);
    expectRejected(r, "unknown operator '>>='");
    expect(r.stderr).toContain("did you mean '>='?");
  });

  it('--header with CR/LF is refused (no header injection), without echoing the value', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--header', 'X-Tenant: a\r\nX-Injected: 1', ...QUICK]);
    expectRejected(r, '"X-Tenant"');
    expect(r.stderr).toContain('CR/LF');
    expect(r.stderr).not.toContain('X-Injected');
    // nothing at all reached the server: not even the preflight
    expect(fake.requests.some((q) => 'x-injected' in q.headers)).toBe(false);
  });

  it('--header without a colon', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--header', 'X-Tenant bench', ...QUICK]);
    expectRejected(r, '--header "X-Tenant bench"');
    expect(r.stderr).toContain('"Name: value"');
  });
});

describe('datasets', () => {
  it('missing dataset file', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--dataset', 'nope.jsonl', ...QUICK]);
    expectRejected(r, /nope\.jsonl: no such file/);
    expect(r.stderr).toContain('--dataset');
  });

  it('unreadable dataset (a directory)', async () => {
    const dir = tempDir('tokbench-bad-');
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--dataset', '.', ...QUICK], { dir });
    expectRejected(r, 'is a directory, not a dataset file');
  });

  it('a JSONL line that does not parse: its line number', async () => {
    const dir = tempDir('tokbench-bad-');
    writeFileSync(join(dir, 'd.jsonl'), ['{"prompt": "one"}', '{"prompt": "two"}', '{"prompt": "three"', '{"prompt": "four"}', ''].join('\n'));
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--dataset', 'd.jsonl', ...QUICK], { dir });
    expectRejected(r, /d\.jsonl:3: not valid JSON/);
    expect(r.stderr).not.toMatch(/d\.jsonl:[124]:/);
  });
});

describe('endpoint URLs', () => {
  it('no scheme', async () => {
    const s = await startFakeOpenAiServer();
    extra.push(s);
    const hostPort = s.url.replace('http://', '');
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', hostPort, ...QUICK]);
    expectRejected(r, `"${hostPort}" has no scheme`, [s]);
    expect(r.stderr).toContain(`did you mean http://${hostPort}?`);
    // not even the preflight: the URL is refused before anything is sent
    expect(s.requests.length).toBe(0);
  });

  it('a doubled /v1', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', `${fake.url}/v1/v1`, ...QUICK]);
    expectRejected(r, 'has /v1 twice');
    expect(r.stderr).toContain(`did you mean ${fake.url}?`);
  });

  it('a full API path instead of the base URL', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', `${fake.url}/v1/chat/completions`, ...QUICK]);
    expectRejected(r, 'is an API path, not a base URL');
    expect(r.stderr).toContain(`did you mean ${fake.url}?`);
  });

  it('credentials in the URL are refused (they would be written into results), and not echoed', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url.replace('http://', 'http://user:hunter2pass@'), ...QUICK]);
    expectRejected(r, 'the URL contains credentials');
    expect(r.stderr).not.toContain('hunter2pass');
  });
});

describe('endpoint checks before the load (preflight)', () => {
  it('unreachable endpoint: a closed port', async () => {
    // Take a free port and close it again: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s: Server = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', url, ...QUICK]);
    expectRejected(r, `${url}: unreachable`);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).toContain('is the server running?');
  });

  it('TLS failure: https to a plain-HTTP port', async () => {
    const url = fake.url.replace('http://', 'https://');
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', url, ...QUICK]);
    expectRejected(r, `${url}: TLS failure`);
    expect(r.stderr).toContain('try http:// instead of https://');
  });

  it('TLS failure: a certificate signed by an unknown CA, then --ca-cert and --insecure', async () => {
    const tls = await startTlsServer();
    try {
      const r = await run(['run', 'llama2-70b/offline', '--endpoint', tls.url, ...QUICK]);
      expectRejected(r, `${tls.url}: TLS failure`, []);
      expect(r.stderr).toContain('--ca-cert FILE');
      expect(tls.completions()).toBe(0);

      const dir = tempDir('tokbench-bad-');
      writeFileSync(join(dir, 'ca.pem'), CERT);
      const ok = await run(['run', 'llama2-70b/offline', '--endpoint', tls.url, '--ca-cert', 'ca.pem', ...QUICK], { dir });
      expect(ok.code, ok.stderr).toBe(0);
      expect(tls.completions()).toBe(5);

      const insecure = await run(['run', 'llama2-70b/offline', '--endpoint', tls.url, '--insecure', ...QUICK]);
      expect(insecure.code, insecure.stderr).toBe(0);
      expect(insecure.stderr).toContain('warning: --insecure: TLS certificates are not verified');
    } finally {
      await tls.close();
    }
  });

  it('--ca-cert that cannot be read', async () => {
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', fake.url, '--ca-cert', 'missing.pem', ...QUICK]);
    expectRejected(r, '--ca-cert missing.pem: cannot read (ENOENT)');
  });

  it('401: no API key given', async () => {
    const s = await startFakeOpenAiServer({ apiKey: 'sk-required-key' });
    extra.push(s);
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', s.url, ...QUICK]);
    expectRejected(r, `${s.url}: the server refused the request (HTTP 401`, [s]);
    expect(r.stderr).toContain('set OPENAI_API_KEY or TOKBENCH_API_KEY');
  });

  it('401: a wrong API key', async () => {
    const s = await startFakeOpenAiServer({ apiKey: 'sk-required-key' });
    extra.push(s);
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', s.url, ...QUICK], { env: { TOKBENCH_API_KEY: 'sk-wrong-key-123' } });
    expectRejected(r, 'HTTP 401', [s]);
    expect(r.stderr).toContain('was rejected');
    expect(r.stderr).not.toContain('sk-wrong-key-123');
  });

  it('403', async () => {
    const s = await startFakeOpenAiServer({ modelsResponse: { status: 403, body: JSON.stringify({ error: { message: 'Forbidden: tenant not allowed' } }) } });
    extra.push(s);
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', s.url, ...QUICK], { env: { TOKBENCH_API_KEY: 'sk-some-key-123' } });
    expectRejected(r, 'HTTP 403', [s]);
    expect(r.stderr).toContain('tenant not allowed');
  });

  it('unknown model: the message lists the served ones', async () => {
    const s = await startFakeOpenAiServer({ models: ['meta-llama/Llama-2-70b-chat-hf', 'openai/gpt-oss-120b'] });
    extra.push(s);
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', s.url, '--model', 'meta-llama/Llama-2-70b-chat', ...QUICK]);
    expectRejected(r, 'model "meta-llama/Llama-2-70b-chat" is not served here', [s]);
    expect(r.stderr).toContain('served: meta-llama/Llama-2-70b-chat-hf, openai/gpt-oss-120b');
    expect(r.stderr).toContain('did you mean --model meta-llama/Llama-2-70b-chat-hf?');
  });

  it('several models served and no --model', async () => {
    const s = await startFakeOpenAiServer({ models: ['a-model', 'b-model'] });
    extra.push(s);
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', s.url, ...QUICK]);
    expectRejected(r, 'the server serves several models: a-model, b-model', [s]);
    expect(r.stderr).toContain('--model');
  });

  it('not an OpenAI-compatible server: HTML at /v1/models', async () => {
    const s = await startFakeOpenAiServer({ modelsResponse: { status: 200, contentType: 'text/html', body: '<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>' } });
    extra.push(s);
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', s.url, ...QUICK]);
    expectRejected(r, 'not an OpenAI-compatible server', [s]);
    expect(r.stderr).toContain('text/html');
    expect(r.stderr).toContain('Welcome to nginx!');
  });

  it('not an OpenAI-compatible server: 404 at /v1/models', async () => {
    const s = await startFakeOpenAiServer({ modelsResponse: { status: 404, body: 'Cannot GET /v1/models', contentType: 'text/plain' } });
    extra.push(s);
    const r = await run(['run', 'llama2-70b/offline', '--endpoint', s.url, ...QUICK]);
    expectRejected(r, 'GET /v1/models returned 404', [s]);
  });
});
