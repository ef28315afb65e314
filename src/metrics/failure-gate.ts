/**
 * Failures are part of the verdict: by default a run with any failed request
 * does not pass (an MLPerf run with an error is not valid either), so a gate
 * cannot pass on the survivors of a run that mostly failed. An explicit
 * threshold on failures (`--assert 'error_rate <= 1%'`, `failed <= 3`, on the
 * run or on an endpoint) replaces this default.
 */
import type { ThresholdVerdict } from './types.js';

/** The default gate's expression, as it appears in result.json `thresholds`. */
export const DEFAULT_FAILURE_GATE = 'failed == 0';

const FAILURE_METRIC_RE = /(^|[\s.\]])(error_rate|failed)\s*(<=|>=|==|!=|<|>)/;

/** The thresholds name a failure metric themselves. */
export function assertsOnFailures(exprs: readonly string[]): boolean {
  return exprs.some((e) => FAILURE_METRIC_RE.test(e.trim()));
}

/**
 * The default failure verdict to add to a run's verdicts, or null: none when
 * the user asserted on failures, and none when nothing failed (a clean run's
 * thresholds stay as the user wrote them).
 */
export function failureGate(exprs: readonly string[], failed: number): ThresholdVerdict | null {
  if (failed === 0 || assertsOnFailures(exprs)) return null;
  return { expr: DEFAULT_FAILURE_GATE, passed: false, actual: failed };
}
