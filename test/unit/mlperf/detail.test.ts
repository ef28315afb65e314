import { describe, expect, it } from 'vitest';
import { renderMlperfDetail, type MlperfDetailInput } from '../../../src/report/mlperf-detail.js';
import { renderMlperfSummary } from '../../../src/report/mlperf-summary.js';
import { computeLoadgenResults } from '../../../src/metrics/validity.js';
import { minQueriesForEarlyStopping } from '../../../src/metrics/early-stopping.js';
import { fixture, gptOssServerTest09V609, llama2OfflineV605, requested, settings } from './golden-inputs.js';

const LINE =
  /^:::MLLOG \{"key": "([^"]+)", "value": (.*), "time_ms": (\d+\.\d{6}), "namespace": "mlperf::logging", "event_type": "POINT_IN_TIME", "metadata": \{"is_error": (true|false), "is_warning": (true|false), "file": "tokbench", "line_no": 0, "pid": (\d+), "tid": (\d+)\}\}$/;

interface Parsed {
  key: string;
  value: string;
  timeMs: string;
  isError: boolean;
  isWarning: boolean;
}

function parse(text: string): Parsed[] {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const m = LINE.exec(line);
      if (!m) throw new Error(`not an MLLOG line: ${line}`);
      // the body after ":::MLLOG " must be JSON (big seeds lose precision in JS, which is fine here)
      JSON.parse(line.slice(':::MLLOG '.length));
      return { key: m[1]!, value: m[2]!, timeMs: m[3]!, isError: m[4] === 'true', isWarning: m[5] === 'true' };
    });
}

function test09Detail(over: Partial<MlperfDetailInput> = {}): MlperfDetailInput {
  return {
    ...gptOssServerTest09V609(),
    tokbenchVersion: '0.1.0',
    startedAt: new Date('2026-02-11T14:16:25.123Z'),
    qslName: 'PyQSL',
    qslTotalCount: 6396,
    qslPerformanceCount: 6396,
    generated: { queryCount: 6396, samplesPerQuery: 1, queryDurationNs: 9_076_903_465 },
    logTimesNs: { settings: 62_210, results: 31_049_757_654 },
    pid: 445243,
    ...over,
  };
}

describe('mlperf_log_detail.txt against a real LoadGen 6.0.9 log', () => {
  it('has the same keys, in the same order, with the same value text', () => {
    const real = fixture('v6.0-amd-94xMI355X-gpt-oss-120b-server-TEST09.mlperf_log_detail.keys.tsv')
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t') as [string, string]);
    // LoadGen-internal keys tokbench does not write (its build, git, sources, loggers, power)
    // are absent from the fixture; get_sut_name_duration_ns times LoadGen's own call, so its value differs.
    const skip = new Set(['loadgen_version', 'get_sut_name_duration_ns']);
    const ours = parse(renderMlperfDetail(test09Detail()))
      .filter((p) => !skip.has(p.key))
      .map((p) => [p.key, p.value]);
    expect(ours).toEqual(real.filter(([k]) => !skip.has(k)));
  });

  it('names tokbench as the producer and stamps time_ms as LoadGen does', () => {
    const lines = parse(renderMlperfDetail(test09Detail()));
    expect(lines[0]).toMatchObject({ key: 'loadgen_version', timeMs: '0.062210' });
    expect(lines[0]!.value).toBe('"tokbench 0.1.0 (LoadGen 6.0-compatible log; not produced by MLPerf LoadGen)"');
    expect(lines.find((l) => l.key === 'test_datetime')?.value).toBe('"2026-02-11T14:16:25Z"');
    expect(lines.find((l) => l.key === 'result_validity')?.timeMs).toBe('31049.757654');
    expect(lines.find((l) => l.key === 'warning_generic_message')?.isWarning).toBe(true);
    expect(lines.at(-1)).toMatchObject({ key: 'num_errors', value: '0' });
  });

  it('writes the Offline keys (and no token-latency keys) for an Offline run', () => {
    const lines = parse(
      renderMlperfDetail({
        ...llama2OfflineV605(),
        tokbenchVersion: '0.1.0',
        startedAt: new Date(0),
        qslTotalCount: 24_576,
        qslPerformanceCount: 24_576,
        loadedSampleIndices: [3, 1, 2],
      }),
    );
    const byKey = new Map(lines.map((l) => [l.key, l.value]));
    expect(byKey.get('requested_offline_expected_qps')).toBe('3800');
    expect(byKey.get('effective_samples_per_query')).toBe('5016000');
    expect(byKey.get('effective_min_sample_count')).toBe('5016000');
    expect(byKey.get('result_samples_per_second')).toBe('3629.98');
    expect(byKey.get('result_tokens_per_second')).toBe('1.04211e+06');
    expect(byKey.get('early_stopping_ttft_result')).toBe('""');
    expect(byKey.get('loaded_qsl_set')).toBe('[3,1,2]');
    expect(byKey.has('requested_server_ttft_latency')).toBe(false);
    expect(byKey.has('result_perf_constraints_met')).toBe(false);
    expect([...byKey.keys()].some((k) => k.startsWith('result_first_token_'))).toBe(false);
    // 6.0.5 format: no accuracy_sample_count keys
    expect(byKey.has('effective_accuracy_sample_count')).toBe(false);
  });
});

describe('detail and summary agree on an INVALID run', () => {
  const n = 1000;
  const tpot = new Float64Array(n).fill(30e6);
  tpot.fill(90e6, 985);
  const results = computeLoadgenResults({
    scenario: 'server',
    constraints: { ttftP99Ms: 2000, tpotP99Ms: 80 },
    minDurationMs: 600_000,
    minQueryCount: 100,
    minSampleCount: 100,
    queriesIssued: n + 1,
    sampleCount: n,
    ttftNs: new Float64Array(n).fill(300e6),
    tpotNs: tpot,
    sampleLatenciesNs: new Float64Array(n).fill(20e9),
    tokenCount: 1_000_000_000,
    lastCompletionNs: 700e9,
    lastScheduledNs: 500e9,
    finalQueryIssuedNs: 500e9,
    finalQueryAllSamplesDoneNs: 520e9,
    issueDelayP99Ns: null,
    targetQps: 2,
    failedQueries: 1,
    failuresByKind: { timeout: 1 },
  });
  const input: MlperfDetailInput = {
    sutName: 'tokbench',
    settings: settings('gpt-oss-120b', requested({ ttftLatencyNs: 2e9, tpotLatencyNs: 80e6 }), {
      performanceSampleCount: 6396,
      totalSampleCount: 6396,
    }),
    results,
    tokbenchVersion: '0.1.0',
    startedAt: new Date(0),
    qslTotalCount: 6396,
    qslPerformanceCount: 6396,
  };
  const lines = parse(renderMlperfDetail(input));
  const byKey = new Map(lines.map((l) => [l.key, l.value]));

  it('reports INVALID with the reason and one-line early-stopping texts', () => {
    expect(byKey.get('result_validity')).toBe('"INVALID"');
    expect(byKey.get('result_perf_constraints_met')).toBe('false');
    expect(byKey.get('result_min_duration_met')).toBe('false');
    expect(byKey.get('early_stopping_met')).toBe('false');
    expect(JSON.parse(byKey.get('result_invalid_reason')!)).toBe(
      'TPOT constrain not met: Reduce target QPS to improve latency. ' +
        'Increase the target QPS so the loadgen pre-generates more queries. ' +
        '1 queries failed and never completed (timeout: 1); LoadGen cannot finish such a run, so tokbench reports it INVALID.',
    );
    expect(byKey.get('early_stopping_ttft_result')).toBe('""');
    // 15 over the limit + 1 failed = 16 → needs more than 1001 queries; newlines become spaces
    const tpotText = JSON.parse(byKey.get('early_stopping_tpot_result')!) as string;
    expect(tpotText).toBe(
      ' * Run unsuccessful.  * Processed 1001 queries.  * Would need to run at least ' +
        `${minQueriesForEarlyStopping(16) - 1001} more queries,  with the run being successful if every additional  query were under latency.`,
    );
    expect(tpotText).not.toContain('\n');
  });

  it('logs the failure as an error and counts it the same way in both files', () => {
    const errorLines = lines.filter((l) => l.isError);
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]!.key).toBe('error_runtime');
    expect(byKey.get('num_errors')).toBe('1');
    expect(renderMlperfSummary(input)).toContain('\n1 ERROR encountered. See detailed log.\n');
  });

  it('writes the same figures as the summary', () => {
    const summary = renderMlperfSummary(input);
    // (1000 − 1) / 520 s: %g in the detail, 2 decimals in the summary
    expect(byKey.get('result_completed_samples_per_sec')).toBe('1.92115');
    expect(summary).toContain('Completed samples per second    : 1.92\n');
    expect(byKey.get('result_completed_tokens_per_second')).toBe('1.92308e+06');
    expect(summary).toContain('Completed tokens per second: 1923076.92\n');
    expect(byKey.get('result_time_per_output_token_99.00_percentile_ns')).toBe('90000000');
    expect(summary).toContain('99.00 percentile time to output token (ns)   : 90000000\n');
  });
});

describe('mlperf_log_detail.txt of a Server run without token latencies', () => {
  it('writes no first-token or time-per-output-token keys rather than 0 ns', () => {
    const n = 100;
    const results = computeLoadgenResults({
      scenario: 'server',
      constraints: { ttftP99Ms: 2000, tpotP99Ms: 80 },
      minDurationMs: 600_000,
      minQueryCount: 100,
      minSampleCount: 100,
      queriesIssued: n,
      sampleCount: n,
      ttftNs: new Float64Array(0),
      tpotNs: new Float64Array(0),
      sampleLatenciesNs: new Float64Array(n).fill(3e9),
      tokenCount: 100 * n,
      lastCompletionNs: 60e9,
      lastScheduledNs: 50e9,
      finalQueryIssuedNs: 50e9,
      finalQueryAllSamplesDoneNs: 55e9,
      issueDelayP99Ns: null,
      targetQps: 2,
      failedQueries: 0,
    });
    const keys = parse(
      renderMlperfDetail({
        sutName: 'tokbench',
        settings: settings('gpt-oss-120b', requested({ ttftLatencyNs: 2e9, tpotLatencyNs: 80e6 }), { performanceSampleCount: 6396, totalSampleCount: 6396 }),
        results,
        tokbenchVersion: '0.1.0',
        startedAt: new Date(0),
        qslTotalCount: 6396,
        qslPerformanceCount: 6396,
      }),
    ).map((l) => l.key);
    expect(keys.filter((k) => k.startsWith('result_first_token_') || k.startsWith('result_time_'))).toEqual([]);
    expect(keys).toContain('result_mean_latency_ns');
    expect(keys).toContain('result_completed_tokens_per_second');
  });
});
