import { describe, expect, it } from 'vitest';
import { benchmarkTokenLimitsNs, renderMlperfSummary } from '../../../src/report/mlperf-summary.js';
import { generatedQueryDurationNs } from '../../../src/report/mlperf-files.js';
import { computeLoadgenResults, type LoadgenResultsInput } from '../../../src/metrics/validity.js';
import { fixture, gptOssServerTest09V609, llama2OfflineV605, llama2ServerV605, requested, settings } from './golden-inputs.js';

describe('mlperf_log_summary.txt, byte for byte against real v6.0 logs', () => {
  it('Server: AMD 87×MI355X llama2-70b-99, LoadGen 6.0.5', () => {
    expect(renderMlperfSummary(llama2ServerV605())).toBe(fixture('v6.0-amd-87xMI355X-llama2-70b-99-server.mlperf_log_summary.txt'));
  });

  it('Offline: AMD 87×MI355X llama2-70b-99, LoadGen 6.0.5 (rates computed from the run figures)', () => {
    const input = llama2OfflineV605();
    // the effective settings LoadGen derived: one query of ⌊1.1 × 1200 s × 3800⌋ samples
    expect(input.settings.effective.samplesPerQuery).toBe(5_016_000);
    expect(input.settings.effective.minQueryCount).toBe(1);
    expect(input.settings.effective.maxAsyncQueries).toBe(1);
    expect(renderMlperfSummary(input)).toBe(fixture('v6.0-amd-87xMI355X-llama2-70b-99-offline.mlperf_log_summary.txt'));
  });

  it('Server without equal issue, with accuracy_sample_count: AMD 94×MI355X gpt-oss-120b TEST09, LoadGen 6.0.9', () => {
    expect(renderMlperfSummary(gptOssServerTest09V609())).toBe(
      fixture('v6.0-amd-94xMI355X-gpt-oss-120b-server-TEST09.mlperf_log_summary.txt'),
    );
  });
});

/** A small Server run computed end to end (arrays → results → summary). */
function smallServerRun(over: Partial<LoadgenResultsInput> = {}): LoadgenResultsInput {
  const n = 1000;
  return {
    scenario: 'interactive',
    constraints: { ttftP99Ms: 450, tpotP99Ms: 40 },
    minDurationMs: 600_000,
    minQueryCount: 100,
    minSampleCount: 100,
    queriesIssued: n,
    sampleCount: n,
    ttftNs: new Float64Array(n).fill(200e6),
    tpotNs: new Float64Array(n).fill(30e6),
    sampleLatenciesNs: new Float64Array(n).fill(5e9),
    tokenCount: 300 * n,
    lastCompletionNs: 660e9,
    lastScheduledNs: 650e9,
    finalQueryIssuedNs: 650e9,
    finalQueryAllSamplesDoneNs: 655e9,
    issueDelayP99Ns: null,
    targetQps: 1.5,
    failedQueries: 0,
    ...over,
  };
}

function summaryOf(run: LoadgenResultsInput): string {
  return renderMlperfSummary({
    sutName: 'tokbench',
    settings: settings('llama2-70b-interactive', requested({ ttftLatencyNs: 450e6, tpotLatencyNs: 40e6 }), {
      performanceSampleCount: 24_576,
      totalSampleCount: 24_576,
    }),
    results: computeLoadgenResults(run),
  });
}

describe('summary of computed runs', () => {
  it('prints Interactive as Server and the Server rates with 2 decimals', () => {
    const text = summaryOf(smallServerRun());
    expect(text).toContain('Scenario : Server\n');
    // (1000 − 1) / 655 s and 300000 / 655 s
    expect(text).toContain(`Completed samples per second    : ${(999 / 655).toFixed(2)}\n`);
    expect(text).toContain(`Completed tokens per second: ${(300_000 / 655).toFixed(2)}\n`);
    expect(text).toContain('ttft_latency (ns): 450000000\ntpot_latency (ns): 40000000\n');
    expect(text).toContain('accuracy_sample_count : 24576\n');
  });

  it('INVALID run: recommendations, an empty TTFT result after a TPOT failure, and the error footer', () => {
    const tpot = new Float64Array(1000).fill(30e6);
    tpot.fill(50e6, 980); // 20 over 40 ms: p99 over the limit, and early stopping fails
    const text = summaryOf(
      smallServerRun({ tpotNs: tpot, failedQueries: 2, failuresByKind: { http_5xx: 1, timeout: 1 }, queriesIssued: 1002 }),
    );
    expect(text).toContain(
      'Result is : INVALID\n' +
        '  Performance constraints satisfied : NO\n' +
        '  Min duration satisfied : Yes\n' +
        '  Min queries satisfied : Yes\n' +
        '  Early stopping satisfied: NO\n' +
        'Recommendations:\n' +
        ' * TPOT constrain not met: Reduce target QPS to improve latency.\n' +
        ' * 2 queries failed and never completed (http_5xx: 1, timeout: 1); LoadGen cannot finish such a run, so tokbench reports it INVALID.\n' +
        'TTFT Early Stopping Result:\n' +
        '\n' +
        'TPOT Early Stopping Result:\n' +
        ' * Run unsuccessful.\n',
    );
    // one error per failure kind
    expect(text.endsWith('\nNo warnings encountered during test.\n\n2 ERRORS encountered. See detailed log.\n')).toBe(true);
  });

  it('counts one warning and one error in the singular', () => {
    const input = {
      sutName: 'tokbench',
      settings: settings('llama2-70b', requested({}), { performanceSampleCount: 24_576, totalSampleCount: 24_576 }),
      results: computeLoadgenResults(smallServerRun({ responsesUnderTwoTokens: 1 })),
      warnings: [{ key: 'warning_generic_message', message: 'w' }],
    };
    expect(renderMlperfSummary(input).endsWith('\n1 warning encountered. See detailed log.\n\n1 ERROR encountered. See detailed log.\n')).toBe(true);
  });
});

describe('LoadGen log values tokbench used to print differently', () => {
  it('Offline prints the benchmark token limits (from the Server keys), not 0, when the scenario sets none', () => {
    const input = llama2OfflineV605();
    const eff = { ...input.settings.effective, ttftLatencyNs: null, tpotLatencyNs: null };
    const text = renderMlperfSummary({ ...input, settings: { ...input.settings, effective: eff } });
    expect(text).toContain('ttft_latency (ns): 2000000000\n');
    expect(text).toContain('tpot_latency (ns): 200000000\n');
    expect(benchmarkTokenLimitsNs('gpt-oss-120b')).toEqual({ ttftNs: 3e9, tpotNs: 80e6 });
    expect(benchmarkTokenLimitsNs('not-a-benchmark')).toEqual({ ttftNs: 0, tpotNs: 0 });
  });

  it('generated_query_duration: Offline 1/QPS; Server the end of the timeline after its last query', () => {
    const offline = llama2OfflineV605().settings;
    expect(generatedQueryDurationNs(offline, { rule: 'offline', requestedQueries: 1, blocks: 1, lastScheduledUs: 0, generatedDurationUs: 0 })).toBe(Math.floor(1e9 / 3800));
    const server = llama2ServerV605().settings;
    expect(generatedQueryDurationNs(server, { rule: 'server', requestedQueries: 1, blocks: 1, lastScheduledUs: 1_000, generatedDurationUs: 1_250 })).toBe(1_250_000);
  });
});

describe('a Server run without token latencies (not streamed)', () => {
  it('prints no First Token or TPOT statistics, where LoadGen would log zeros, and keeps the sample latencies', () => {
    const text = summaryOf(smallServerRun({ ttftNs: new Float64Array(0), tpotNs: new Float64Array(0) }));
    expect(text).not.toContain('First Token latency');
    expect(text).not.toContain('Time per Output Token');
    expect(text).not.toContain('time to output token');
    expect(text).toContain('Mean latency (ns)               : 5000000000\n');
    expect(text).toContain('Completed tokens per second                 : ');
  });
});
