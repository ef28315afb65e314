/**
 * mlperf_log_summary.txt, line for line as LoadGen 6.0 writes it: same labels,
 * order, spacing and number formats, so tools that parse LoadGen summaries
 * (and people who know them) read tokbench's unchanged.
 *
 * Source: reference/mlperf.md §5.1, from `inference: loadgen/results.cc`
 * (`PerformanceSummary::LogSummary`), `loadgen/test_settings_internal.cc`
 * (`TestSettingsInternal::LogSummary`) and `loadgen/logging.cc` (`SetLogFiles`,
 * the warnings/errors footer). Verified byte for byte against three real v6.0
 * summaries in test/fixtures/mlperf/.
 *
 * Number formats: LoadGen streams some doubles straight into an ostream (C++
 * default: 6 significant digits, %g rules) and others through
 * `DoubleToString(x, 2)` (fixed, 2 decimals). Both are implemented here exactly,
 * on the double's exact binary value with round-half-even, as glibc does.
 */
import type { LoadgenResults } from '../metrics/validity.js';
import type { LoadgenSettings } from '../scenario/user-conf.js';
import { BUILTIN_PROFILES } from '../scenario/builtins.js';

// ─── C++ number formatting ───────────────────────────────────────────────────

/** The exact decimal expansion of a finite positive double: value = digits × 10^exp10. */
function exactDecimal(value: number): { digits: string; exp10: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp2: number;
  if (biased === 0) {
    exp2 = -1074; // subnormal
  } else {
    mantissa |= 1n << 52n;
    exp2 = biased - 1075;
  }
  if (exp2 >= 0) return { digits: (mantissa << BigInt(exp2)).toString(), exp10: 0 };
  // m × 2^-k = m × 5^k × 10^-k: an exact, finite decimal
  return { digits: (mantissa * 5n ** BigInt(-exp2)).toString(), exp10: exp2 };
}

/**
 * Round a positive decimal digit string to `keep` leading digits, half to even.
 * Returns the kept digits (length keep, or keep + 1 after a carry like 999 → 1000)
 * and the power of ten of their last digit.
 */
function roundDigits(digits: string, exp10: number, keep: number): { head: string; exp10: number } {
  if (keep >= digits.length) return { head: digits, exp10 };
  const dropped = digits.length - keep;
  if (keep < 0) return { head: '0', exp10: exp10 + dropped };
  const head = digits.slice(0, keep);
  const first = digits.charCodeAt(keep) - 48;
  const restNonZero = /[1-9]/.test(digits.slice(keep + 1));
  const lastDigit = keep > 0 ? digits.charCodeAt(keep - 1) - 48 : 0;
  const roundUp = first > 5 || (first === 5 && (restNonZero || lastDigit % 2 === 1));
  const n = BigInt(head === '' ? '0' : head) + (roundUp ? 1n : 0n);
  return { head: n.toString(), exp10: exp10 + dropped };
}

function nonFinite(value: number): string | null {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  return null;
}

/**
 * C++ `std::fixed` with `precision(decimals)` (printf "%.Nf"): what LoadGen's
 * `DoubleToString(value, 2)` produces, e.g. 1016375 → "1016375.00".
 */
export function formatCppFixed(value: number, decimals = 2): string {
  const special = nonFinite(value);
  if (special !== null) return special;
  const negative = value < 0 || Object.is(value, -0);
  const abs = Math.abs(value);
  let body: string;
  if (abs === 0) {
    body = decimals > 0 ? '0.' + '0'.repeat(decimals) : '0';
  } else {
    const { digits, exp10 } = exactDecimal(abs);
    // keep every digit at or above 10^-decimals
    const { head, exp10: e } = roundDigits(digits, exp10, digits.length + exp10 + decimals);
    // head × 10^e, with e ≥ -decimals
    const scaled = head + '0'.repeat(Math.max(0, e + decimals));
    const padded = scaled.padStart(decimals + 1, '0');
    body = decimals > 0 ? padded.slice(0, padded.length - decimals) + '.' + padded.slice(padded.length - decimals) : padded;
  }
  return negative ? '-' + body : body;
}

/**
 * C++ default ostream formatting of a double (printf "%g" with precision 6):
 * 6 significant digits, trailing zeros dropped, scientific when the exponent is
 * < -4 or ≥ 6, e.g. 92.1544, 3650, 1.04211e+06, 6.90935e-09.
 */
export function formatCppDefault(value: number, precision = 6): string {
  const special = nonFinite(value);
  if (special !== null) return special;
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const negative = value < 0;
  const { digits, exp10 } = exactDecimal(Math.abs(value));
  let { head, exp10: e } = roundDigits(digits, exp10, precision);
  if (head.length > precision) {
    // carry (9.999995 → 10.0000): drop the extra zero, bump the exponent
    head = head.slice(0, precision);
    e += 1;
  }
  // exact values with fewer digits (3650): pad to `precision` digits, same value
  e -= precision - head.length;
  head = head.padEnd(precision, '0');
  const x = e + precision - 1; // decimal exponent of the first digit
  let body: string;
  if (x < -4 || x >= precision) {
    const mantissa = (head[0] + '.' + head.slice(1)).replace(/\.?0+$/, '');
    body = `${mantissa}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  } else if (x >= 0) {
    const intPart = head.slice(0, x + 1);
    const frac = head.slice(x + 1).replace(/0+$/, '');
    body = frac ? `${intPart}.${frac}` : intPart;
  } else {
    const frac = ('0'.repeat(-x - 1) + head).replace(/0+$/, '');
    body = `0.${frac}`;
  }
  return negative ? '-' + body : body;
}

/** An integer as C++ streams an int64/uint64 (no exponent, no grouping). */
export function formatCppInteger(value: number): string {
  if (!Number.isFinite(value)) return nonFinite(value) ?? String(value);
  return BigInt(Math.trunc(value)).toString();
}

/** C++ streams bool as 0/1 (no boolalpha) in the summary. */
const cppBool = (b: boolean): string => (b ? '1' : '0');

/** LoadGen's percentile label: `DoubleToString(p * 100)` → "50.00", "99.90". */
export function percentileLabel(percentile: number): string {
  return formatCppFixed(percentile * 100, 2);
}

// ─── shared log input ────────────────────────────────────────────────────────

/** A warning or error line of the detail log (`MLPERF_LOG_WARNING` / `MLPERF_LOG_ERROR`). */
export interface MlperfLogMessage {
  /** MLLOG key, e.g. `warning_generic_message`, `error_runtime` */
  key: string;
  message: string;
}

/** What both mlperf_log_summary.txt and mlperf_log_detail.txt are rendered from. */
export interface MlperfLogInput {
  /** LoadGen's "SUT name" */
  sutName: string;
  settings: LoadgenSettings;
  results: LoadgenResults;
  /** warnings raised during the run (conf problems, client lag…): counted in the summary footer */
  warnings?: MlperfLogMessage[];
  /** errors raised during the run; tokbench adds one per failure kind (see collectLogMessages) */
  errors?: MlperfLogMessage[];
  /**
   * LoadGen ≥ 6.0.6 prints `accuracy_sample_count` (summary) and the
   * accuracy_sample_count keys (detail). Default true; false reproduces 6.0.5 logs.
   */
  accuracySampleCountLines?: boolean;
}

/**
 * The warnings and errors both logs report, so the summary's footer counts match
 * the detail's lines. tokbench adds, as errors, one line per failure kind and one
 * for responses under two tokens (LoadGen logs "Number of tokens need to be
 * greater than 1" for those): the submission checker rejects any logged error.
 */
export function collectLogMessages(input: MlperfLogInput): { warnings: MlperfLogMessage[]; errors: MlperfLogMessage[] } {
  const errors = [...(input.errors ?? [])];
  const r = input.results;
  for (const [kind, count] of Object.entries(r.failuresByKind).sort((a, b) => a[0].localeCompare(b[0]))) {
    if (count > 0) {
      errors.push({
        key: 'error_runtime',
        message: `${count} queries failed (${kind}) and never completed; LoadGen cannot finish a run with incomplete queries.`,
      });
    }
  }
  const kindsTotal = Object.values(r.failuresByKind).reduce((a, b) => a + b, 0);
  if (r.failedQueries > kindsTotal) {
    errors.push({
      key: 'error_runtime',
      message: `${r.failedQueries - kindsTotal} queries failed and never completed; LoadGen cannot finish a run with incomplete queries.`,
    });
  }
  if (r.responsesUnderTwoTokens > 0) {
    errors.push({
      key: 'error_runtime',
      message: `Number of tokens need to be greater than 1 (${r.responsesUnderTwoTokens} responses).`,
    });
  }
  return { warnings: [...(input.warnings ?? [])], errors };
}

// ─── the summary ─────────────────────────────────────────────────────────────

const RULE = '================================================';
const yesNo = (b: boolean): string => (b ? 'Yes' : 'NO');

type Line = (s: string) => void;

/** The headline block: throughput and the validity verdict. */
function resultsSection(line: Line, input: MlperfLogInput): void {
  const { results: r } = input;
  const eff = input.settings.effective;
  const v = r.verdict;
  const server = r.scenario === 'Server';
  line(RULE);
  line('MLPerf Results Summary');
  line(RULE);
  line(`SUT name : ${input.sutName}`);
  line(`Scenario : ${r.scenario}`);
  line(`Mode     : ${eff.mode}`);
  if (server) {
    line(`Completed samples per second    : ${formatCppFixed(r.completedSamplesPerSecond)}`);
    line(`Completed tokens per second: ${formatCppFixed(r.completedTokensPerSecond)}`);
  } else {
    line(`Samples per second: ${formatCppDefault(r.samplesPerSecond)}`);
    line(`Tokens per second: ${formatCppDefault(r.tokensPerSecond)}`);
  }
  line(`Result is : ${v.valid ? 'VALID' : 'INVALID'}`);
  if (v.hasPerfConstraints) line(`  Performance constraints satisfied : ${yesNo(v.perfConstraintsMet)}`);
  line(`  Min duration satisfied : ${yesNo(v.minDurationMet)}`);
  line(`  Min queries satisfied : ${yesNo(v.minQueriesMet)}`);
  line(`  Early stopping satisfied: ${yesNo(v.earlyStoppingMet)}`);
  if (!v.valid) {
    line('Recommendations:');
    for (const rec of v.summaryRecommendations) line(rec);
  }
  if (server) {
    // An unevaluated TTFT result is an empty string, which LoadGen prints as an empty line.
    line('TTFT Early Stopping Result:');
    line(v.earlyStoppingTtftResult);
    line('TPOT Early Stopping Result:');
    line(v.earlyStoppingTpotResult);
  }

}

/** Latency statistics; the token blocks in Server only. */
function additionalStatsSection(line: Line, r: LoadgenResults): void {
  const server = r.scenario === 'Server';
  line(RULE);
  line('Additional Stats');
  line(RULE);
  if (server) line(`Scheduled samples per second : ${formatCppFixed(r.scheduledSamplesPerSecond)}`);
  if (r.latency.count > 0) {
    line(`Min latency (ns)                : ${formatCppInteger(r.latency.minNs)}`);
    line(`Max latency (ns)                : ${formatCppInteger(r.latency.maxNs)}`);
    line(`Mean latency (ns)               : ${formatCppInteger(r.latency.meanNs)}`);
    for (const p of r.latency.percentiles) {
      line(`${percentileLabel(p.percentile)} percentile latency (ns)   : ${formatCppInteger(p.valueNs)}`);
    }
  }
  // use_token_latencies: a blank line, then the token blocks (Server only)
  line('');
  if (server) {
    line(`Completed tokens per second                 : ${formatCppFixed(r.completedTokensPerSecond)}`);
    // With no values (a non-streamed run: no first token, no TPOT) LoadGen would
    // log its zero-initialised fields; a 0 ns latency is not a measurement, so
    // the block is left out and a reader (or the submission checker) finds no figure.
    if (r.ttft.count > 0) {
      line(`Min First Token latency (ns)                : ${formatCppInteger(r.ttft.minNs)}`);
      line(`Max First Token latency (ns)                : ${formatCppInteger(r.ttft.maxNs)}`);
      line(`Mean First Token latency (ns)               : ${formatCppInteger(r.ttft.meanNs)}`);
      for (const p of r.ttft.percentiles) {
        line(`${percentileLabel(p.percentile)} percentile first token latency (ns)   : ${formatCppInteger(p.valueNs)}`);
      }
    }
    line('');
    // LoadGen ≥ 6.0 labels min/max/mean "Time per Output Token" but keeps
    // "time to output token" on the percentile lines (reference/mlperf.md §5.1).
    if (r.tpot.count > 0) {
      line(`Min Time per Output Token (ns)                : ${formatCppInteger(r.tpot.minNs)}`);
      line(`Max Time per Output Token (ns)                : ${formatCppInteger(r.tpot.maxNs)}`);
      line(`Mean Time per Output Token (ns)               : ${formatCppInteger(r.tpot.meanNs)}`);
      for (const p of r.tpot.percentiles) {
        line(`${percentileLabel(p.percentile)} percentile time to output token (ns)   : ${formatCppInteger(p.valueNs)}`);
      }
    }
  }

}

/** The effective settings as TestSettingsInternal::LogSummary prints them. */
function testParametersSection(line: Line, input: MlperfLogInput): void {
  const eff = input.settings.effective;
  line(RULE);
  line('Test Parameters Used');
  line(RULE);
  line(`samples_per_query : ${formatCppInteger(eff.samplesPerQuery)}`);
  line(`target_qps : ${formatCppDefault(eff.targetQps)}`);
  const limits = benchmarkTokenLimitsNs(input.settings.model);
  line(`ttft_latency (ns): ${formatCppInteger(eff.ttftLatencyNs ?? limits.ttftNs)}`);
  line(`tpot_latency (ns): ${formatCppInteger(eff.tpotLatencyNs ?? limits.tpotNs)}`);
  line(`max_async_queries : ${formatCppInteger(eff.maxAsyncQueries)}`);
  line(`min_duration (ms): ${formatCppInteger(eff.minDurationMs)}`);
  line(`max_duration (ms): ${formatCppInteger(eff.maxDurationMs)}`);
  line(`min_query_count : ${formatCppInteger(eff.minQueryCount)}`);
  line(`max_query_count : ${formatCppInteger(eff.maxQueryCount)}`);
  line(`qsl_rng_seed : ${eff.seeds.qsl}`);
  line(`sample_index_rng_seed : ${eff.seeds.sampleIndex}`);
  line(`schedule_rng_seed : ${eff.seeds.schedule}`);
  line(`accuracy_log_rng_seed : ${eff.accuracyLogRngSeed}`);
  line(`accuracy_log_probability : ${formatCppDefault(eff.accuracyLogProbability)}`);
  line(`accuracy_log_sampling_target : ${formatCppInteger(eff.accuracyLogSamplingTarget)}`);
  line(`print_timestamps : ${cppBool(eff.printTimestamps)}`);
  line(`performance_issue_unique : ${cppBool(eff.performanceIssueUnique)}`);
  line(`performance_issue_same : ${cppBool(eff.performanceIssueSame)}`);
  line(`performance_issue_same_index : ${formatCppInteger(eff.performanceIssueSameIndex)}`);
  line(`performance_sample_count : ${formatCppInteger(eff.performanceSampleCount)}`);
  if (input.accuracySampleCountLines ?? true) line(`accuracy_sample_count : ${formatCppInteger(eff.accuracySampleCount)}`);
  if (eff.sampleConcatenatePermutation) {
    // the trailing space after "true." is LoadGen's
    line('WARNING: sample_concatenate_permutation was set to true. ');
    line('Generated samples per query might be different as the one in the setting.');
    line('Check the generated_samples_per_query line in the detailed log for the real');
    line('samples_per_query value');
  }

}

/** The warning and error counts (the lines themselves are in the detail log). */
function messagesFooter(line: Line, input: MlperfLogInput): void {
  const { warnings, errors } = collectLogMessages(input);
  line('');
  if (warnings.length === 0) line('No warnings encountered during test.');
  else if (warnings.length === 1) line('1 warning encountered. See detailed log.');
  else line(`${warnings.length} warnings encountered. See detailed log.`);
  line('');
  if (errors.length === 0) line('No errors encountered during test.');
  else if (errors.length === 1) line('1 ERROR encountered. See detailed log.');
  else line(`${errors.length} ERRORS encountered. See detailed log.`);

}

/** Render mlperf_log_summary.txt. */
export function renderMlperfSummary(input: MlperfLogInput): string {
  const out: string[] = [];
  const line = (s: string): void => {
    out.push(s);
  };
  resultsSection(line, input);
  line('');
  additionalStatsSection(line, input.results);
  line('');
  testParametersSection(line, input);
  messagesFooter(line, input);
  return out.join('\n') + '\n';
}

/**
 * The benchmark's token limits as LoadGen prints them in every scenario: it
 * reads them from the model's `Server.ttft_latency` / `Server.tpot_latency` in
 * mlperf.conf even for Offline, where they constrain nothing. 0 for a model the
 * built-in profiles do not know.
 */
export function benchmarkTokenLimitsNs(loadgenModel: string): { ttftNs: number; tpotNs: number } {
  const p = Object.values(BUILTIN_PROFILES).find((b) => b.loadgenModel === loadgenModel && b.ttftP99Ms !== null);
  return { ttftNs: (p?.ttftP99Ms ?? 0) * 1e6, tpotNs: (p?.tpotP99Ms ?? 0) * 1e6 };
}
