import { describe, expect, it } from 'vitest';
import {
  computeLoadgenResults,
  computeLoadgenVerdict,
  computeValidity,
  type ValidityInput,
} from '../../../src/metrics/validity.js';

const MS = 1_000_000;
const S = 1_000_000_000;

const filled = (n: number, valueNs: number): Float64Array => new Float64Array(n).fill(valueNs);
/** n values, the last `over` of them set to `overValue` */
function withTail(n: number, base: number, over: number, overValue: number): Float64Array {
  const a = filled(n, base);
  for (let i = n - over; i < n; i++) a[i] = overValue;
  return a;
}

/** A healthy llama2-70b Server run: 1000 queries, all well inside 2000 ms / 200 ms. */
function server(over: Partial<ValidityInput> = {}): ValidityInput {
  const n = over.sampleCount ?? 1000;
  return {
    scenario: 'server',
    constraints: { ttftP99Ms: 2000, tpotP99Ms: 200 },
    minDurationMs: 600_000,
    minQueryCount: 100,
    minSampleCount: 100,
    queriesIssued: n,
    sampleCount: n,
    ttftNs: filled(n, 500 * MS),
    tpotNs: filled(n, 50 * MS),
    lastCompletionNs: 700 * S,
    lastScheduledNs: 650 * S,
    issueDelayP99Ns: 100_000,
    targetQps: 1.5,
    failedQueries: 0,
    ...over,
  };
}

function offline(over: Partial<ValidityInput> = {}): ValidityInput {
  return {
    scenario: 'offline',
    constraints: { ttftP99Ms: null, tpotP99Ms: null },
    minDurationMs: 600_000,
    minQueryCount: 1,
    minSampleCount: 24_576,
    queriesIssued: 1,
    sampleCount: 24_576,
    ttftNs: new Float64Array(0),
    tpotNs: new Float64Array(0),
    lastCompletionNs: 650 * S,
    lastScheduledNs: 0,
    issueDelayP99Ns: null,
    targetQps: 40,
    failedQueries: 0,
    ...over,
  };
}

const check = (input: ValidityInput, name: string) => computeValidity(input).checks.find((c) => c.name === name);

describe('a healthy Server run', () => {
  it('is VALID with every check passed and LoadGen success strings', () => {
    const v = computeLoadgenVerdict(server());
    expect(v.valid).toBe(true);
    expect(v.earlyStoppingTtftResult).toBe(' * Run successful.');
    expect(v.earlyStoppingTpotResult).toBe(' * Run successful.');
    expect(v.summaryRecommendations).toEqual([]);
    expect(v.invalidReason).toBeNull();
    const validity = computeValidity(server());
    expect(validity.valid).toBe(true);
    expect(validity.checks.map((c) => c.name)).toEqual([
      'min_duration',
      'min_queries',
      'ttft_p99',
      'tpot_p99',
      'early_stopping',
      'all_queries_completed',
      'output_tokens',
    ]);
    expect(validity.checks.every((c) => c.passed)).toBe(true);
    expect(check(server(), 'ttft_p99')?.detail).toContain('p99 TTFT 500 ms ≤ limit 2000 ms');
  });
});

describe('min duration', () => {
  it('Server: counts to the last scheduled query, not the last completion', () => {
    const input = server({ lastScheduledNs: 599.999 * S, lastCompletionNs: 900 * S });
    const v = computeLoadgenVerdict(input);
    expect(v.minDurationMet).toBe(false);
    expect(v.valid).toBe(false);
    expect(v.summaryRecommendations).toEqual([' * Increase the target QPS so the loadgen pre-generates more queries.']);
    expect(check(input, 'min_duration')?.detail).toContain('599.999 s');
    expect(computeLoadgenVerdict(server({ lastScheduledNs: 600 * S })).minDurationMet).toBe(true);
  });

  it('Offline: counts to the last completion, inclusive', () => {
    const short = computeLoadgenVerdict(offline({ lastCompletionNs: 599 * S }));
    expect(short.minDurationMet).toBe(false);
    expect(short.summaryRecommendations).toEqual([
      ' * Increase expected QPS so the loadgen pre-generates a larger (coalesced) query.',
    ]);
    expect(computeLoadgenVerdict(offline({ lastCompletionNs: 600 * S })).minDurationMet).toBe(true);
  });
});

describe('min queries', () => {
  it('Offline: needs min_sample_count samples in its one query', () => {
    const v = computeLoadgenVerdict(offline({ sampleCount: 24_575 }));
    expect(v.minQueriesMet).toBe(false);
    expect(v.summaryRecommendations).toEqual([
      ' * The test exited early, before enough queries were issued.\n   See the detailed log for why this may have occurred.',
    ]);
    expect(v.invalidReason).toBe('The test exited early, before enough queries were issued.');
    expect(v.hasPerfConstraints).toBe(false);
    expect(v.earlyStoppingTtftResult).toBe('');
  });

  it('Server: needs min_query_count issued queries', () => {
    expect(computeLoadgenVerdict(server({ queriesIssued: 99, sampleCount: 99, minQueryCount: 100 })).minQueriesMet).toBe(false);
  });
});

describe('performance constraints (p99 ≤ limit)', () => {
  it('passes when p99 equals the limit, and says the checker wants strictly less', () => {
    // 1000 samples: index floor(1000 × 0.99) = 990 is the first of the 10 at the limit
    const input = server({ ttftNs: withTail(1000, 1000 * MS, 10, 2000 * MS), queriesIssued: 3000 });
    const v = computeLoadgenVerdict(input);
    expect(v.ttftP99Ns).toBe(2000 * MS);
    expect(v.perfConstraintsMet).toBe(true);
    expect(computeValidity(input).recommendations.join('\n')).toContain('submission checker requires strictly less');
  });

  it('fails one nanosecond above, with the TTFT recommendation', () => {
    const input = server({ ttftNs: withTail(1000, 1000 * MS, 10, 2000 * MS + 1), queriesIssued: 3000 });
    const v = computeLoadgenVerdict(input);
    expect(v.perfConstraintsMet).toBe(false);
    expect(v.summaryRecommendations).toEqual([' * TTFT constrain not met: Reduce target QPS to improve latency.']);
    expect(check(input, 'ttft_p99')?.passed).toBe(false);
  });

  it('joins TTFT and TPOT recommendations as LoadGen does', () => {
    const v = computeLoadgenVerdict(
      server({
        ttftNs: withTail(1000, 1000 * MS, 20, 3000 * MS),
        tpotNs: withTail(1000, 50 * MS, 20, 300 * MS),
      }),
    );
    expect(v.summaryRecommendations).toEqual([
      ' * TTFT constrain not met: Reduce target QPS to improve latency.\n * TPOT constrain not met: Reduce target QPS to improve latency.',
    ]);
    expect(v.invalidReason).toBe(
      'TTFT constrain not met: Reduce target QPS to improve latency.  * TPOT constrain not met: Reduce target QPS to improve latency. ',
    );
  });
});

describe('early stopping', () => {
  it('checks TPOT first and skips TTFT when TPOT fails (&& short-circuit)', () => {
    // 5 TPOT samples over 200 ms: p99 is fine, but 5 over-limit need 1307 queries
    const input = server({
      tpotNs: withTail(1000, 50 * MS, 5, 250 * MS),
      ttftNs: withTail(1000, 500 * MS, 50, 2500 * MS),
    });
    const v = computeLoadgenVerdict(input);
    expect(v.earlyStoppingMet).toBe(false);
    expect(v.earlyStopping.tpot?.minQueries).toBe(1307);
    expect(v.earlyStoppingTpotResult).toBe(
      ' * Run unsuccessful.\n * Processed 1000 queries.\n * Would need to run at least 307 more queries,\n with the run being successful if every additional\n query were under latency.',
    );
    expect(v.earlyStopping.ttft).toBeNull();
    expect(v.earlyStoppingTtftResult).toBe('');
    expect(check(input, 'early_stopping')?.detail).toContain('TTFT: not evaluated');
  });

  it('prints an empty Recommendations block when only early stopping fails', () => {
    const v = computeLoadgenVerdict(server({ tpotNs: withTail(1000, 50 * MS, 5, 250 * MS) }));
    expect(v.valid).toBe(false);
    expect(v.perfConstraintsMet && v.minDurationMet && v.minQueriesMet).toBe(true);
    expect(v.summaryRecommendations).toEqual([]);
  });

  it('evaluates TTFT once TPOT passes', () => {
    const v = computeLoadgenVerdict(server({ ttftNs: withTail(1000, 500 * MS, 2, 2500 * MS) }));
    expect(v.earlyStopping.ttft?.overLimitCount).toBe(2);
    expect(v.earlyStopping.ttft?.passed).toBe(true); // 838 ≤ 1000
  });

  it('passes at 459 queries with none over the limit, fails at 458', () => {
    expect(computeLoadgenVerdict(server({ sampleCount: 459 })).earlyStoppingMet).toBe(true);
    expect(computeLoadgenVerdict(server({ sampleCount: 458 })).earlyStoppingMet).toBe(false);
  });
});

describe('failed requests', () => {
  it('make the run INVALID and count as over the limit for early stopping', () => {
    // 1000 issued, 997 completed, 3 failed: t = 3 → 1307 queries needed
    const input = server({
      queriesIssued: 1000,
      sampleCount: 997,
      ttftNs: filled(997, 500 * MS),
      tpotNs: filled(997, 50 * MS),
      failedQueries: 3,
      failuresByKind: { timeout: 1, http_5xx: 2 },
    });
    const v = computeLoadgenVerdict(input);
    expect(v.earlyStopping.tpot?.overLimitCount).toBe(3);
    expect(v.earlyStoppingMet).toBe(false);
    expect(v.valid).toBe(false);
    const validity = computeValidity(input);
    expect(validity.valid).toBe(false);
    expect(check(input, 'all_queries_completed')?.detail).toContain('3 requests failed (http_5xx: 2, timeout: 1)');
  });

  it('are reported even when every LoadGen check passes', () => {
    const input = server({ queriesIssued: 2000, sampleCount: 1997, ttftNs: filled(1997, MS), tpotNs: filled(1997, MS), failedQueries: 3 });
    const v = computeLoadgenVerdict(input);
    expect(v.earlyStoppingMet && v.minDurationMet && v.minQueriesMet && v.perfConstraintsMet).toBe(true);
    expect(v.valid).toBe(false);
    expect(v.summaryRecommendations).toHaveLength(1);
    expect(v.summaryRecommendations[0]).toContain('3 queries failed and never completed');
    expect(v.invalidReason).toContain('3 queries failed and never completed');
  });
});

describe("tokbench's own checks and advice", () => {
  it('flags responses with fewer than 2 output tokens without changing LoadGen’s verdict', () => {
    const input = server({ responsesUnderTwoTokens: 4 });
    expect(computeLoadgenVerdict(input).valid).toBe(true);
    expect(computeValidity(input).valid).toBe(false);
    expect(check(input, 'output_tokens')?.detail).toContain('4 completed responses');
  });

  it('says when the client fell behind its schedule', () => {
    const advice = (qps: number, delayNs: number): boolean =>
      computeValidity(server({ targetQps: qps, issueDelayP99Ns: delayNs })).recommendations.some((r) => r.includes('fell behind'));
    // 100 QPS: 10 ms between arrivals
    expect(advice(100, 12 * MS)).toBe(true);
    expect(advice(100, 5 * MS)).toBe(false);
    // 10000 QPS: 0.1 ms between arrivals, but lateness under 1 ms is timer jitter
    expect(advice(10_000, 0.9 * MS)).toBe(false);
    expect(advice(10_000, 1.5 * MS)).toBe(true);
    const text = computeValidity(server({ targetQps: 100, issueDelayP99Ns: 12 * MS })).recommendations.find((r) => r.includes('fell behind'));
    expect(text).toContain('issue delay p99 was 12 ms');
    expect(text).toContain('--workers');
  });

  it('does not check limits a custom benchmark does not set', () => {
    const input = server({ constraints: { ttftP99Ms: null, tpotP99Ms: null }, ttftNs: filled(1000, 99 * S) });
    expect(computeValidity(input).valid).toBe(true);
    expect(check(input, 'ttft_p99')?.detail).toContain('no p99 TTFT limit');
  });

  it('warns that a short min_duration is not submittable', () => {
    const recs = computeValidity(server({ minDurationMs: 60_000, lastScheduledNs: 61 * S })).recommendations;
    expect(recs.some((r) => r.includes('requires at least 600000 ms'))).toBe(true);
  });
});

describe('computeLoadgenResults', () => {
  it("computes LoadGen's rates from its clocks", () => {
    const r = computeLoadgenResults({
      ...server({ sampleCount: 3, queriesIssued: 3, ttftNs: Float64Array.from([1e8, 2e8, 3e8]), tpotNs: Float64Array.from([1e7, 2e7, 3e7]) }),
      sampleLatenciesNs: Float64Array.from([3 * S, 1 * S, 2 * S]),
      tokenCount: 300,
      lastScheduledNs: 2 * S,
      finalQueryIssuedNs: 2.5 * S,
      finalQueryAllSamplesDoneNs: 4 * S,
      lastCompletionNs: 5 * S,
    });
    expect(r.scenario).toBe('Server');
    expect(r.completedSamplesPerSecond).toBe(0.5); // (3 − 1) / 4 s
    expect(r.scheduledSamplesPerSecond).toBe(1); // (3 − 1) / 2 s
    expect(r.completedTokensPerSecond).toBe(75); // 300 / 4 s
    expect(r.tokenThroughputWithLoadgenOverhead).toBe(120); // 300 / 2.5 s
    expect(r.tokenThroughput).toBeCloseTo(300 / (2e9 * 3), 20); // LoadGen's ns-unit slip, kept
    expect(r.samplesPerSecond).toBeCloseTo(0.6, 12); // 3 / 5 s
    expect(r.tokensPerSecond).toBe(60);
    expect(r.overlatencyQueryCount).toBe(3); // target_latency 0: every sample
    expect(r.latency.meanNs).toBe(2 * S);
    expect(r.ttft.maxNs).toBe(3e8);
    expect(r.verdict.minDurationMet).toBe(false);
  });
});

describe('computeLoadgenResults with nothing completed', () => {
  it('reports zero rates instead of a wrapped size_t or nan', () => {
    const r = computeLoadgenResults({
      ...server({ sampleCount: 0, queriesIssued: 5, ttftNs: new Float64Array(0), tpotNs: new Float64Array(0), failedQueries: 5 }),
      sampleLatenciesNs: new Float64Array(0),
      tokenCount: 0,
      finalQueryIssuedNs: 0,
      finalQueryAllSamplesDoneNs: 0,
    });
    expect([r.completedSamplesPerSecond, r.scheduledSamplesPerSecond, r.completedTokensPerSecond, r.tokenThroughput]).toEqual([0, 0, 0, 0]);
    expect(r.latency.maxNs).toBe(0);
    expect(r.verdict.valid).toBe(false);
  });
});
