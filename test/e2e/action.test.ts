/**
 * action.yml run as the GitHub runner would (test/helpers/action-runner.ts)
 * against the embedded simulator: a passing and a failing assertion, checking
 * the step's exit code, its outputs and the job summary.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { runCompositeAction } from '../helpers/action-runner.js';
import type { ResultJson } from '../../src/metrics/types.js';

describe('the tokbench GitHub Action', () => {
  it('passes with a met assertion: exit 0, result paths as outputs, the summary in the job summary', () => {
    const run = runCompositeAction(ROOT, {
      scenario: 'llama2-70b/offline',
      assertions: 'completed >= 4\n  error_rate < 1%\n',
      args: "--samples 8 --tag 'note=from the action' --format vllm-json",
    });
    expect(run.code, run.log).toBe(0);
    expect(run.outputs['exit-code']).toBe('0');
    for (const k of ['result-json', 'requests-jsonl', 'summary-md', 'junit-xml']) expect(existsSync(run.outputs[k]!), k).toBe(true);
    expect(existsSync(`${run.outputs['out-dir']}/vllm_result.json`)).toBe(true);
    const result = JSON.parse(readFileSync(run.outputs['result-json']!, 'utf8')) as ResultJson;
    expect(result.summary.completed).toBe(8);
    expect(result.tags).toEqual({ note: 'from the action' });
    expect(result.thresholds.map((t) => [t.expr, t.passed])).toEqual([
      ['completed >= 4', true],
      ['error_rate < 1%', true],
    ]);
    expect(run.summary).toContain('completed >= 4');
    expect(run.summary).toBe(readFileSync(run.outputs['summary-md']!, 'utf8') + '\n');
  });

  it("fails with tokbench's exit code 1 on a missed assertion, outputs and summary still written", () => {
    const run = runCompositeAction(ROOT, { assertions: 'completed >= 1M', args: '--samples 4' });
    expect(run.code, run.log).toBe(1);
    expect(run.outputs['exit-code']).toBe('1');
    expect(existsSync(run.outputs['result-json']!)).toBe(true);
    expect(run.summary).toMatch(/completed >= 1M/);
    expect(run.summary).toMatch(/❌/);
  });
});
