/**
 * Runs a composite action's steps as the GitHub runner does, for tests: inputs
 * with their defaults, `${{ inputs.* }}`, `${{ steps.<id>.outputs.* }}`,
 * `${{ github.action_path }}` and `${{ runner.temp }}` in `env:` and outputs,
 * each step's `run:` with `bash --noprofile --norc -eo pipefail` and its own
 * GITHUB_OUTPUT file, a shared GITHUB_STEP_SUMMARY, and stop at the first
 * failing step. Only what tokbench's action.yml uses is supported.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

interface ActionStep {
  id?: string;
  shell?: string;
  env?: Record<string, string>;
  run: string;
}

interface ActionFile {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

export interface ActionRun {
  /** exit code of the step that failed, or 0 */
  code: number;
  outputs: Record<string, string>;
  summary: string;
  log: string;
}

export function runCompositeAction(actionDir: string, inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): ActionRun {
  const action = YAML.parse(readFileSync(join(actionDir, 'action.yml'), 'utf8')) as ActionFile;
  if (action.runs.using !== 'composite') throw new Error('not a composite action');
  const work = mkdtempSync(join(tmpdir(), 'tokbench-action-'));
  const summaryFile = join(work, 'step_summary.md');
  writeFileSync(summaryFile, '');
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) values[name] = inputs[name] ?? spec.default ?? '';
  const stepOutputs: Record<string, Record<string, string>> = {};
  const expand = (text: string) =>
    text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
      let m;
      if ((m = /^inputs\.([\w-]+)$/.exec(expr))) return values[m[1]!] ?? '';
      if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr))) return stepOutputs[m[1]!]?.[m[2]!] ?? '';
      if (expr === 'github.action_path') return actionDir;
      if (expr === 'runner.temp') return work;
      throw new Error(`expression not supported by this runner: ${expr}`);
    });
  // the runner passes every input as INPUT_<NAME> (upper case, spaces to _)
  const inputEnv = Object.fromEntries(Object.entries(values).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]));
  let log = '';
  let code = 0;
  action.runs.steps.forEach((step, i) => {
    if (code !== 0) return;
    if (step.shell !== 'bash') throw new Error(`step ${i}: only shell: bash is supported`);
    const outputFile = join(work, `output_${i}`);
    writeFileSync(outputFile, '');
    const scriptFile = join(work, `step_${i}.sh`);
    writeFileSync(scriptFile, step.run);
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v))]));
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
      env: { ...process.env, ...env, ...inputEnv, ...stepEnv, GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile, GITHUB_ACTION_PATH: actionDir, RUNNER_TEMP: work, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    log += r.stdout + r.stderr;
    code = r.status ?? 137;
    if (step.id) stepOutputs[step.id] = parseOutputFile(readFileSync(outputFile, 'utf8'));
  });
  const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, o]) => [k, expand(o.value)]));
  return { code, outputs, summary: readFileSync(summaryFile, 'utf8'), log };
}

/** `name=value` lines (the heredoc form `name<<EOF` is not used by our action). */
function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
