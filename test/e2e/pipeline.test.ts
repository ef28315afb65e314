/**
 * Issue 12 through the real CLI: output targets are checked before the first
 * request (exit 2 with nothing sent, never a hang), and an endpoint selector
 * written with /v1 matches the endpoint result.json shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, tempDir } from '../helpers/cli.js';
import { startFakeOpenAiServer, type FakeOpenAiServer } from '../helpers/fakeOpenAiServer.js';

let fake: FakeOpenAiServer;
beforeAll(async () => {
  fake = await startFakeOpenAiServer({ script: { ttftMs: 1, steps: [{ tokens: 1 }, { tokens: 1, delayMs: 1 }], usage: 'separate' } });
});
afterAll(async () => {
  await fake.close();
});

describe('output targets are checked before any request', () => {
  for (const [flag, path] of [
    ['--junit', '/etc/hostname/x.xml'],
    ['--junit', '/proc/self/nope/x.xml'],
    ['--markdown', '/proc/self/nope/x.md'],
    ['--html', '/etc/hostname/r.html'],
  ] as const) {
    it(`${flag} ${path}: exit 2, nothing sent, no hang`, async () => {
      const before = fake.completionRequests.length;
      const out = join(tempDir(), 'out');
      const r = await spawnCli(['run', 'llama2-70b/server', '--endpoint', fake.url, '--target-qps', '50', '--samples', '5', '--out', out, flag, path], { timeoutMs: 20_000 });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(flag);
      expect(r.stderr).toContain(path);
      expect(fake.completionRequests.length).toBe(before);
      expect(existsSync(out)).toBe(false);
    });
  }
  it('--out under a file: exit 2 before the run', async () => {
    const before = fake.completionRequests.length;
    const r = await spawnCli(['run', 'llama2-70b/server', '--endpoint', fake.url, '--target-qps', '50', '--samples', '5', '--out', '/etc/hostname/out'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out');
    expect(fake.completionRequests.length).toBe(before);
  });
});

describe('endpoint selectors', () => {
  it('--endpoint URL/v1 with --assert endpoint[URL/v1] judges the endpoint result.json shows', async () => {
    const url = `${fake.url}/v1`;
    const r = await spawnCli(['run', 'llama2-70b/server', '--endpoint', url, '--target-qps', '50', '--samples', '5', '--out', tempDir(), '--json', '--assert', `endpoint[${url}].completed >= 5`], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { thresholds: { passed: boolean; actual: number | null }[]; perEndpoint: { url: string }[] };
    expect(result.perEndpoint[0]!.url).toBe(fake.url);
    expect(result.thresholds[0]).toMatchObject({ passed: true, actual: 5 });
  });
});
