import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Arrows one way (issue 12): a folder of src/ may import only from folders
 * before it in the pipeline. util/, errors.ts and version.ts are usable from
 * anywhere. telemetry/ reads metrics and records and is read by report/;
 * accuracy/ reads report/ and is read by cli/; run/ (the pipeline) and
 * result/ (result types) have their places reserved. sim/ is a separate
 * server: it may use scenario/ and dataset/ vocabulary, and only cli/ uses it.
 */
const PIPELINE = ['scenario', 'dataset', 'schedule', 'sut', 'runner', 'records', 'metrics', 'result', 'telemetry', 'report', 'accuracy', 'run', 'cli'];
const SIM_MAY_IMPORT = ['scenario', 'dataset'];

/**
 * Backward imports that exist today, each allowed on purpose. `imports` are
 * the exact specifiers; `typeOnly` allows only `import type`. Remove an entry
 * when its move is done, so the rule then forbids it again.
 */
export const ALLOWED_BACKWARD = [
  {
    files: 'src/scenario/**',
    imports: ['../dataset/types.js', '../dataset/columns.js', '../dataset/lengths.js', '../dataset/defaults.js'],
    why: 'the settings declaration parses and defaults dataset specs (column overrides, length distributions); those are dataset vocabulary that dataset/ itself needs, and dataset/ imports nothing from scenario/',
  },
  {
    files: 'src/scenario/**',
    imports: ['../sut/endpoint-url.js'],
    why: 'an --endpoint value is normalised by the same URL rule the client uses; one rule, not two copies',
  },
  {
    files: 'src/scenario/**',
    imports: ['../sut/types.js'],
    typeOnly: true,
    why: 'ApiKind is to move to scenario/ (issue 12); sut/ is being reworked by the pipeline branch',
  },
  {
    files: 'src/runner/**',
    imports: ['../records/record.js'],
    typeOnly: true,
    why: 'the runner produces RequestRecords; the type lives beside the record writer and readers',
  },
  {
    files: 'src/runner/progress.ts',
    imports: ['../cli/io.js', '../metrics/collector.js', '../metrics/histogram.js', '../report/format.js'],
    why: 'the progress display is terminal output and is to move to cli/ (issue 12); runner/ is being reworked by the pipeline branch',
  },
  {
    files: ['src/metrics/assemble.ts', 'src/metrics/merge.ts'],
    imports: ['../report/result-json.js'],
    why: 'buildResultJson/decodeHistograms are to move to a result/ folder between metrics and report (issue 12)',
  },
];

function forbiddenFolders(folder) {
  if (folder === 'sim') return PIPELINE.filter((f) => !SIM_MAY_IMPORT.includes(f));
  const later = PIPELINE.slice(PIPELINE.indexOf(folder) + 1);
  return folder === 'cli' ? [] : [...later, 'sim'];
}

const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function arrowRule(folder, allowed) {
  const patterns = forbiddenFolders(folder).map((target) => {
    const mine = allowed.filter((a) => a.imports.some((i) => i.startsWith(`../${target}/`)));
    const valueAllowed = mine.filter((a) => !a.typeOnly).flatMap((a) => a.imports);
    const typeAllowed = mine.filter((a) => a.typeOnly).flatMap((a) => a.imports);
    const message = `src/${folder}/ is upstream of src/${target}/ in the pipeline (${PIPELINE.join(' → ')}); move the shared piece upstream or pass it in (see ALLOWED_BACKWARD in eslint.config.js)`;
    const except = [...valueAllowed, ...typeAllowed].map((i) => `(?!${escapeRegex(i)}$)`).join('');
    return [
      { regex: `^${except}(\\.\\./)+${target}(/|$)`, message },
      ...(typeAllowed.length > 0 ? [{ regex: `^(${typeAllowed.map(escapeRegex).join('|')})$`, allowTypeImports: true, message: `${message}; only \`import type\` is allowed here` }] : []),
    ];
  });
  return { '@typescript-eslint/no-restricted-imports': ['error', { patterns: patterns.flat() }] };
}

/** One config per folder, then one per file that has its own allowances (a later config replaces the rule). */
function arrowConfigs() {
  const folders = [...PIPELINE, 'sim'];
  const matches = (a, glob) => [a.files].flat().includes(glob);
  const configs = folders.map((folder) => ({
    files: [`src/${folder}/**`],
    rules: arrowRule(folder, ALLOWED_BACKWARD.filter((a) => matches(a, `src/${folder}/**`))),
  }));
  const fileGlobs = new Set(ALLOWED_BACKWARD.flatMap((a) => [a.files].flat()).filter((g) => !g.endsWith('/**')));
  for (const file of fileGlobs) {
    const folder = file.split('/')[1];
    const allowed = ALLOWED_BACKWARD.filter((a) => matches(a, `src/${folder}/**`) || matches(a, file));
    configs.push({ files: [file], rules: arrowRule(folder, allowed) });
  }
  return configs;
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['bin/**', 'src/cli/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', setTimeout: 'readonly' } },
  },
  ...arrowConfigs(),
);
