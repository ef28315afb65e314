/**
 * The one-way arrows of src/ (eslint.config.js) are a lint error, not a
 * convention: plant imports in a file that does not exist and lint its text
 * with the project's own configuration.
 */
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cwd = fileURLToPath(new URL('../../..', import.meta.url));
const eslint = new ESLint({ cwd });
const RULE = '@typescript-eslint/no-restricted-imports';

interface Allowance {
  files: string | string[];
  imports: string[];
}
/** The config is plain JS; loaded by URL so its allowances are read as the linter reads them. */
const { ALLOWED_BACKWARD } = (await import(pathToFileURL(join(cwd, 'eslint.config.js')).href)) as { ALLOWED_BACKWARD: Allowance[] };

async function arrowErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

describe('arrows one way (no-restricted-imports per src/ folder)', () => {
  it('refuses metrics importing from report, naming both folders', async () => {
    const errors = await arrowErrors('src/metrics/planted.ts', "import { renderTerminal } from '../report/terminal.js';\nexport const r = renderTerminal;\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('src/metrics/ is upstream of src/report/');
  });

  it('refuses an upstream folder importing cli/ and anyone but cli/ importing sim/', async () => {
    expect(await arrowErrors('src/sut/planted.ts', "import type { CliIo } from '../cli/io.js';\nexport type T = CliIo;\n")).toHaveLength(1);
    expect(await arrowErrors('src/report/planted.ts', "import { getProfile } from '../sim/index.js';\nexport const s = getProfile;\n")).toHaveLength(1);
  });

  it('lets a downstream folder import upstream, and anyone import util/ and errors.ts', async () => {
    const code = [
      "import { renderTerminal } from '../report/terminal.js';",
      "import type { ResultJson } from '../metrics/types.js';",
      "import { ConfigError } from '../errors.js';",
      "import { realClock } from '../util/clock.js';",
      'export const all = [renderTerminal, ConfigError, realClock];',
      'export type R = ResultJson;',
      '',
    ].join('\n');
    expect(await arrowErrors('src/cli/planted.ts', code)).toEqual([]);
    expect(await arrowErrors('src/metrics/planted.ts', "import { ConfigError } from '../errors.js';\nexport const e = ConfigError;\n")).toEqual([]);
  });

  it('keeps a type-only allowance type-only', async () => {
    expect(await arrowErrors('src/runner/planted.ts', "import type { RequestRecord } from '../records/record.js';\nexport type R = RequestRecord;\n")).toEqual([]);
    const value = await arrowErrors('src/runner/planted.ts', "import { RequestRecord } from '../records/record.js';\nexport const r = RequestRecord;\n");
    expect(value).toHaveLength(1);
  });

  it('scopes a file allowance to that file', async () => {
    const code = "import { formatCount } from '../report/format.js';\nexport const f = formatCount;\n";
    expect(await arrowErrors('src/runner/progress.ts', code)).toEqual([]);
    expect(await arrowErrors('src/runner/planted.ts', code)).toHaveLength(1);
  });

  it('allows no backward import that is no longer made (a stale allowance would hide a new one)', () => {
    const filesOf = (glob: string): string[] =>
      glob.endsWith('/**') ? readdirSync(join(cwd, glob.slice(0, -3)), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(glob.slice(0, -3), f)) : [glob];
    for (const entry of ALLOWED_BACKWARD) {
      const sources = [entry.files].flat().flatMap(filesOf).map((f) => readFileSync(join(cwd, f), 'utf8'));
      for (const spec of entry.imports) {
        expect(sources.some((src) => src.includes(`from '${spec}'`)), `${String(entry.files)} no longer imports ${spec}: remove it from ALLOWED_BACKWARD`).toBe(true);
      }
    }
  });
});
