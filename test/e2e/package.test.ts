/**
 * The published package works as a library: `npm pack` of this checkout,
 * installed into a fresh project, gives `import { planRun, executeRun,
 * finishRun } from 'tokbench'` (package.json `exports` once pointed at a file
 * the build never made). Dependencies come from the npm cache when it has
 * them, else from the npm registry; nothing else is reached.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/cli.js';

const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 150_000 });

describe('npm package', () => {
  it('installs from its tarball and exports the run pipeline', () => {
    const dir = tempDir('tokbench-pack-');
    // dist/ is built by the e2e run (npm run build); the prepare script would rebuild it
    npm(['pack', '--ignore-scripts', '--pack-destination', dir], ROOT);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'probe', version: '1.0.0', type: 'module', private: true }));
    const install = ['install', '--no-audit', '--no-fund', '--ignore-scripts', `./${tarball}`];
    try {
      npm([...install, '--offline'], dir);
    } catch {
      npm([...install, '--prefer-offline'], dir);
    }
    writeFileSync(
      join(dir, 'probe.mjs'),
      "import { planRun, executeRun, finishRun, resolveScenario, TOKBENCH_VERSION } from 'tokbench';\n" +
        'console.log(JSON.stringify([typeof planRun, typeof executeRun, typeof finishRun, typeof resolveScenario, TOKBENCH_VERSION]));\n',
    );
    const out = execFileSync(process.execPath, ['probe.mjs'], { cwd: dir, encoding: 'utf8' });
    const [p, e, f, r, version] = JSON.parse(out) as string[];
    expect([p, e, f, r]).toEqual(['function', 'function', 'function', 'function']);
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  }, 180_000);
});
