import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { resolveScenario } from '../../../src/scenario/resolve.js';
import { BUILTIN_NAMES } from '../../../src/scenario/builtins.js';
import type { ResolvedScenario } from '../../../src/scenario/types.js';

const scenariosDir = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

/** everything but the name and where values came from */
const values = (s: ResolvedScenario) => ({ ...s, name: '', origins: {} });

describe('scenarios/*.yaml carry the built-ins’ values', () => {
  it.each(BUILTIN_NAMES)('%s', (name) => {
    const fromName = resolveScenario({ scenario: name, flags: {}, env: {}, cwd: scenariosDir });
    const fromFile = resolveScenario({ scenario: `${name.replace('/', '-')}.yaml`, flags: {}, env: {}, cwd: scenariosDir });
    expect(values(fromFile)).toEqual(values(fromName));
  });
});
