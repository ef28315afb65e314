import { describe, expect, it } from 'vitest';
import { assertsOnFailures, DEFAULT_FAILURE_GATE, failureGate } from '../../../src/metrics/failure-gate.js';

describe('failures in the verdict', () => {
  it('any failed request adds a failing default verdict', () => {
    expect(failureGate([], 3)).toEqual({ expr: DEFAULT_FAILURE_GATE, passed: false, actual: 3 });
    expect(failureGate(['ttft.p99 <= 2s'], 1)?.passed).toBe(false);
  });

  it('a clean run keeps the thresholds as written', () => {
    expect(failureGate(['ttft.p99 <= 2s'], 0)).toBeNull();
  });

  it('an explicit threshold on failures replaces the default, on the run or an endpoint', () => {
    for (const e of ['error_rate <= 1%', 'failed <= 3', 'endpoint[0].failed == 0', 'endpoint[*].error_rate < 0.05']) {
      expect(assertsOnFailures([e]), e).toBe(true);
      expect(failureGate([e], 5)).toBeNull();
    }
    // a metric whose name merely contains the word does not count
    expect(assertsOnFailures(['output_tokens_per_sec >= 95k'])).toBe(false);
  });
});
