/**
 * Threshold assertions (`--assert`, scenario `thresholds`) and the metric
 * catalogue they, `check`, `compare` and the reporters share.
 *
 * An assertion is one line of a tiny grammar, in the spirit of k6's
 * thresholds_parser.go, but keyed by tokbench's own metric names and with units
 * checked, so `ttft.p99 < 95k` is an error instead of a silently wrong gate:
 *
 * ```bnf
 * threshold  ::= ws assertion ws
 * assertion  ::= "valid"                          ; the MLPerf validity verdict is VALID
 *              | "client_bound" ws ( "==" | "!=" ) ws ( "true" | "false" )   ; the client self-check
 *              | metric-ref ws op ws quantity
 * metric-ref ::= [ "endpoint" "[" selector "]" "." ] metric
 * selector   ::= digit+                           ; position in result.json perEndpoint[]
 *              | "*"                              ; every endpoint, each must pass
 *              | url                              ; e.g. http://10.0.0.1:8000 (contains "://")
 *              | label-key "=" label-value        ; every endpoint with that label, each must pass
 * metric     ::= scalar | series "." stat
 * scalar     ::= "output_tokens_per_sec" | "total_tokens_per_sec" | "requests_per_sec"
 *              | "goodput" | "completed" | "failed" | "issued" | "error_rate"
 *              | "steady_output_tokens_per_sec" | "steady_requests_per_sec"   ; run-level only
 * series     ::= "ttft" | "tpot" | "itl" | "chunk_gap" | "e2e" | "issue_delay"
 * stat       ::= "min" | "mean" | "p50" | "p90" | "p95" | "p97" | "p99" | "p999" | "p99.9" | "max"
 * op         ::= "<" | "<=" | ">" | ">=" | "==" | "!="
 * quantity   ::= the one quantity grammar of src/util/units.ts, in the metric's dimension:
 *              durations need a unit (us, µs, ms, s, m = minutes, h; 1m30s),
 *              rates and counts take k, K, M, G, T or an exponent (95k, 1e15),
 *              ratios take % or a fraction (0.5%, 0.005)
 * ws         ::= { " " | "\t" }
 * ```
 *
 * Decisions, and why:
 * - Durations must carry a unit. A bare `ttft.p99 < 2000` reads as ms to some
 *   and seconds to others; a CI gate that is off by 1000x passes forever.
 * - `!valid` is rejected: a gate that passes only on an invalid run hides every
 *   real failure. Leave out `valid` to not gate on validity.
 * - A selector matching several endpoints asserts on each of them; the verdict's
 *   `actual` is the worst endpoint's value (the first failing one, or the one
 *   closest to the limit).
 * - A metric with no value (goodput without SLO constraints, latency with no
 *   completed request, error rate with no finished request) fails its assertion:
 *   a gate must not pass vacuously.
 *
 * Verdicts use only fields of result.json, so `tokbench check result.json`
 * gives the verdicts the run gave. `actual` is in the metric's natural unit:
 * durations in ms, rates in tokens/s or requests/s, counts as counts, ratios as
 * a fraction (0.005 = 0.5%), `valid` as a boolean.
 */
import { ConfigError, didYouMean, type Problem } from '../errors.js';
import type { EndpointSummary, ResultJson, ThresholdVerdict } from './types.js';
import { KNOWN_METRICS_TEXT, LATENCY_SERIES, LATENCY_STATS, METRIC_NAMES, STAT_HINTS, formatPrecise, metricDef, type MetricDef } from './catalogue.js';
import { exampleLimit, parseLimit } from './quantities.js';
import { endpointKey } from '../sut/endpoint-url.js';

// The catalogue and formatting are imported from here by check, compare and the reporters.
export * from './catalogue.js';

// ---------------------------------------------------------------------------
// Metric references: `ttft.p99`, `endpoint[0].output_tokens_per_sec`

export type EndpointSelector =
  | { kind: 'index'; index: number; text: string }
  | { kind: 'all'; text: string }
  | { kind: 'url'; url: string; text: string }
  | { kind: 'label'; key: string; value: string; text: string };

export interface MetricRef {
  /** canonical text: `endpoint[<selector>].<metric>` or `<metric>` */
  text: string;
  def: MetricDef;
  endpoint: EndpointSelector | null;
}

export type ComparisonOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
const OPS: readonly ComparisonOp[] = ['<=', '>=', '==', '!=', '<', '>'];

export interface ComparisonThreshold {
  kind: 'comparison';
  /** the expression as written, trimmed */
  expr: string;
  ref: MetricRef;
  op: ComparisonOp;
  /** the limit in the metric's natural unit (ms, tokens/s, requests/s, requests, fraction) */
  limit: number;
  /** the limit as written, for messages (`2s`, `95k`, `0.5%`) */
  limitText: string;
}

export interface BooleanThreshold {
  kind: 'boolean';
  expr: string;
  ref: MetricRef;
  /** the value that passes: `valid` alone means true; `client_bound == false` means false */
  expected?: boolean;
}

export type Threshold = ComparisonThreshold | BooleanThreshold;

function problem(where: string, expr: string, message: string, hint?: string): ConfigError {
  return new ConfigError(
    { where, message: `'${expr}': ${message}`, ...(hint === undefined ? {} : { hint }) },
    'invalid threshold',
  );
}

const KNOWN_HINT = `known metrics: ${KNOWN_METRICS_TEXT}; per endpoint: endpoint[<index>|*|<url>|<label>=<value>].<metric> (see docs/ci.md)`;

/**
 * Parse a metric reference (the left side of an assertion, or a `compare
 * --metrics` entry). Throws ConfigError naming `where` and the text.
 */
export function parseMetricRef(text: string, where: string, expr = text): MetricRef {
  let rest = text.trim();
  let endpoint: EndpointSelector | null = null;
  if (/^endpoints?\s*\[/.test(rest)) {
    const open = rest.indexOf('[');
    const close = matchingBracket(rest, open);
    if (close < 0) throw problem(where, expr, `unclosed '[' in '${rest}'`, 'write endpoint[0].<metric>, endpoint[*].<metric>, endpoint[http://host:port].<metric> or endpoint[key=value].<metric>');
    if (!rest.startsWith('endpoint[')) {
      throw problem(where, expr, `unknown prefix '${rest.slice(0, open)}'`, "write 'endpoint[...]'");
    }
    endpoint = parseSelector(rest.slice(open + 1, close).trim(), where, expr);
    rest = rest.slice(close + 1);
    if (!rest.startsWith('.')) {
      throw problem(where, expr, `expected '.<metric>' after '${text.trim().slice(0, close + 1)}'`, `for example ${text.trim().slice(0, close + 1)}.output_tokens_per_sec`);
    }
    rest = rest.slice(1);
  }
  const def = metricDef(rest);
  if (def === undefined) throw unknownMetric(rest, where, expr);
  if (endpoint !== null && def.scope === 'run') {
    throw problem(where, expr, `'${def.name}' is a run-level metric and takes no endpoint selector`, `write '${def.name}' on its own; per-endpoint metrics are the others in: ${KNOWN_METRICS_TEXT}`);
  }
  return { text: endpoint === null ? def.name : `endpoint[${endpoint.text}].${def.name}`, def, endpoint };
}

function unknownMetric(name: string, where: string, expr: string): ConfigError {
  if (name === '') return problem(where, expr, 'missing metric name', KNOWN_HINT);
  const dot = name.indexOf('.');
  const head = dot < 0 ? name : name.slice(0, dot);
  if (head in LATENCY_SERIES) {
    const stat = dot < 0 ? '' : name.slice(dot + 1);
    const stats = Object.keys(LATENCY_STATS).join(', ');
    if (stat === '') {
      return problem(where, expr, `'${head}' is a latency series: pick a statistic`, `for example ${head}.p99; statistics: ${stats}`);
    }
    const suggestion = STAT_HINTS[stat] ?? didYouMean(stat, Object.keys(LATENCY_STATS));
    return problem(
      where, expr, `unknown statistic '${stat}' of '${head}'`,
      `${suggestion === undefined ? '' : `did you mean '${head}.${suggestion}'? `}statistics: ${stats}`,
    );
  }
  const suggestion = didYouMean(name, METRIC_NAMES);
  return problem(where, expr, `unknown metric '${name}'`, `${suggestion === undefined ? '' : `did you mean '${suggestion}'? `}${KNOWN_HINT}`);
}

function matchingBracket(text: string, open: number): number {
  // Depth-counted so IPv6 URLs (`endpoint[http://[::1]:8000]`) keep their brackets.
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']' && --depth === 0) return i;
  }
  return -1;
}

function parseSelector(sel: string, where: string, expr: string): EndpointSelector {
  if (sel === '*') return { kind: 'all', text: '*' };
  if (/^\d+$/.test(sel)) return { kind: 'index', index: Number(sel), text: sel };
  if (sel.includes('://')) return { kind: 'url', url: endpointKey(sel), text: sel };
  const eq = sel.indexOf('=');
  if (eq > 0 && eq < sel.length - 1) {
    return { kind: 'label', key: sel.slice(0, eq).trim(), value: sel.slice(eq + 1).trim(), text: sel };
  }
  throw problem(
    where, expr, `bad endpoint selector '[${sel}]'`,
    'use an index (endpoint[0]), * (every endpoint), a URL with its scheme (endpoint[http://10.0.0.1:8000]) or a label (endpoint[gpu=MI355X])',
  );
}


/** The perEndpoint entries a selector picks, in result order. */
export function selectEndpoints(sel: EndpointSelector, result: ResultJson): EndpointSummary[] {
  const all = result.perEndpoint;
  switch (sel.kind) {
    case 'all':
      return all;
    case 'index': {
      const e = all[sel.index];
      return e === undefined ? [] : [e];
    }
    case 'url':
      return all.filter((e) => endpointKey(e.url) === sel.url);
    case 'label':
      return all.filter((e) => e.labels?.[sel.key] === sel.value);
  }
}

/**
 * Selectors that match no endpoint of a result (or of a run's endpoint list,
 * before it starts): the run and `check` report these as usage errors, since
 * an assertion on nothing is a typo, not a failed gate.
 */
export function endpointSelectorProblems(
  thresholds: readonly Threshold[],
  endpoints: readonly { url: string; labels?: Record<string, string> }[],
  where: string,
): Problem[] {
  const problems: Problem[] = [];
  for (const t of thresholds) {
    const sel = t.ref.endpoint;
    if (sel === null) continue;
    const n =
      sel.kind === 'all' ? endpoints.length
      : sel.kind === 'index' ? (sel.index < endpoints.length ? 1 : 0)
      : sel.kind === 'url' ? endpoints.filter((e) => endpointKey(e.url) === sel.url).length
      : endpoints.filter((e) => e.labels?.[sel.key] === sel.value).length;
    if (n === 0) {
      const list = endpoints.map((e, i) => `[${i}] ${e.url}${labelText(e.labels)}`).join(', ');
      problems.push({
        where,
        message: `'${t.expr}': endpoint[${sel.text}] matches no endpoint`,
        hint: `the endpoints are: ${list === '' ? '(none)' : list}`,
      });
    }
  }
  return problems;
}

function labelText(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? '' : ` {${entries.map(([k, v]) => `${k}=${v}`).join(',')}}`;
}


// ---------------------------------------------------------------------------
// Parsing assertions

/**
 * Parse one assertion. `where` names its origin for the error (`--assert`,
 * `thresholds[2]` of a scenario file). Throws ConfigError (exit 2).
 */
export function parseThreshold(expr: string, where: string): Threshold {
  const text = expr.trim();
  if (text === '') throw problem(where, expr, 'empty assertion', `for example 'output_tokens_per_sec >= 95k' or 'ttft.p99 <= 2s'; ${KNOWN_HINT}`);
  if (/^!\s*valid$/.test(text) || /^not\s+valid$/i.test(text)) {
    throw problem(
      where, text, 'asserting an invalid run is not supported',
      "a gate that passes only when the run is invalid hides real failures; to not gate on validity, leave 'valid' out",
    );
  }

  const opStart = findOperator(text);
  if (opStart < 0) {
    const ws = /\s/.exec(text);
    if (ws !== null) {
      // `ttft.p99 2s`: say the operator is missing rather than that the metric is unknown.
      const head = text.slice(0, ws.index);
      const ref = parseMetricRef(head, where, text);
      if (ref.def.kind === 'boolean') throw problem(where, text, `'${ref.def.name}' is a boolean and takes no comparison`, `write '${ref.def.name}' on its own`);
      throw problem(where, text, `missing operator between '${head}' and '${text.slice(ws.index).trim()}'`, `operators: < <= > >= == !=; for example '${ref.text} ${ref.def.direction === 'higher' ? '>=' : '<='} ${exampleLimit(ref.def)}'`);
    }
    const ref = parseMetricRef(text, where, text);
    if (ref.def.kind !== 'boolean') {
      throw problem(where, text, `missing comparison after '${ref.text}'`, `for example '${ref.text} ${ref.def.direction === 'higher' ? '>=' : '<='} ${exampleLimit(ref.def)}'; operators: < <= > >= == !=`);
    }
    return { kind: 'boolean', expr: text, ref };
  }

  const opText = /^[<>=!]+/.exec(text.slice(opStart))![0];
  const op = OPS.find((o) => o === opText);
  if (op === undefined) {
    const suggestion = opText === '=' ? '==' : opText === '=>' ? '>=' : opText === '=<' ? '<=' : didYouMean(opText, OPS);
    throw problem(where, text, `unknown operator '${opText}'`, `${suggestion === undefined ? '' : `did you mean '${suggestion}'? `}operators: < <= > >= == !=`);
  }
  const ref = parseMetricRef(text.slice(0, opStart), where, text);
  const boolLimit = text.slice(opStart + opText.length).trim();
  if (ref.def.kind === 'boolean' && (op === '==' || op === '!=') && (boolLimit === 'true' || boolLimit === 'false')) {
    const expected = (boolLimit === 'true') === (op === '==');
    if (ref.def.name === 'valid' && !expected) {
      throw problem(where, text, 'asserting an invalid run is not supported', "a gate that passes only when the run is invalid hides real failures; to not gate on validity, leave 'valid' out");
    }
    return { kind: 'boolean', expr: text, ref, expected };
  }
  if (ref.def.kind === 'boolean') {
    throw problem(where, text, `'${ref.def.name}' is a boolean and takes no comparison`, `write '${ref.def.name}' on its own`);
  }
  const limitText = text.slice(opStart + opText.length).trim();
  const limit = parseLimit(limitText, ref.def);
  if (!limit.ok) throw problem(where, text, limit.message, limit.hint);
  return { kind: 'comparison', expr: text, ref, op, limit: limit.value, limitText };
}

/** Index of the first operator character outside `[...]`, or -1. */
function findOperator(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (depth === 0 && (c === '<' || c === '>' || c === '=' || c === '!')) return i;
  }
  return -1;
}

/**
 * Parse several assertions, reporting every bad one at once (as k6's config
 * validation does), so a CI file is fixed in one pass.
 * `where(i)` names the i-th assertion's origin; a string names them all.
 */
export function parseThresholds(exprs: readonly string[], where: string | ((index: number) => string)): Threshold[] {
  const problems: Problem[] = [];
  const out: Threshold[] = [];
  exprs.forEach((expr, i) => {
    try {
      out.push(parseThreshold(expr, typeof where === 'string' ? where : where(i)));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  });
  if (problems.length > 0) throw new ConfigError(problems, 'invalid threshold');
  return out;
}

// ---------------------------------------------------------------------------
// Values and verdicts

/** One value of a metric reference on a result, with why it is missing when it is. */
export interface MetricReading {
  /** null when the metric has no value on this result */
  value: number | boolean | null;
  /** the endpoint the value came from (null for run-level values) */
  endpointUrl: string | null;
  /** set when value is null: why */
  missing?: string;
}

/** Read a metric reference on a result: one reading per selected endpoint, or one for the run. */
export function readMetric(ref: MetricRef, result: ResultJson): MetricReading[] {
  const { def } = ref;
  if (def.scope === 'run') {
    const value = def.get(result);
    return [value === null ? { value, endpointUrl: null, missing: def.whenMissing } : { value, endpointUrl: null }];
  }
  if (ref.endpoint === null) {
    const value = def.get(result.summary);
    return [value === null ? { value, endpointUrl: null, missing: def.whenMissing } : { value, endpointUrl: null }];
  }
  const selected = selectEndpoints(ref.endpoint, result);
  if (selected.length === 0) {
    return [{ value: null, endpointUrl: null, missing: `endpoint[${ref.endpoint.text}] matches none of the ${result.perEndpoint.length} endpoint(s) in the result` }];
  }
  return selected.map((e) => {
    const value = def.get(e);
    return value === null ? { value, endpointUrl: e.url, missing: def.whenMissing } : { value, endpointUrl: e.url };
  });
}

/**
 * A single number for a reference (what `compare` and `reproduce` need): null
 * when it has no value, or when its selector picks other than exactly one endpoint.
 */
export function readSingleValue(ref: MetricRef, result: ResultJson): number | null {
  const readings = readMetric(ref, result);
  if (readings.length !== 1) return null;
  const v = readings[0]!.value;
  return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null;
}

export function compareOp(actual: number, op: ComparisonOp, limit: number): boolean {
  switch (op) {
    case '<': return actual < limit;
    case '<=': return actual <= limit;
    case '>': return actual > limit;
    case '>=': return actual >= limit;
    case '==': return actual === limit;
    case '!=': return actual !== limit;
  }
}

/** A verdict plus what a human needs to read it; `verdict` is exactly what result.json stores. */
export interface ThresholdOutcome {
  verdict: ThresholdVerdict;
  threshold: Threshold;
  /** the endpoint `actual` came from, for per-endpoint assertions */
  endpointUrl: string | null;
  /** why the assertion failed without a value */
  missing?: string;
}

/** Evaluate one parsed assertion on a result. */
export function evaluateThreshold(t: Threshold, result: ResultJson): ThresholdOutcome {
  const readings = readMetric(t.ref, result);
  const fail = (r: MetricReading): ThresholdOutcome => ({
    verdict: { expr: t.expr, passed: false, actual: r.value },
    threshold: t,
    endpointUrl: r.endpointUrl,
    ...(r.missing === undefined ? {} : { missing: r.missing }),
  });
  const missing = readings.find((r) => r.value === null);
  if (missing !== undefined) return fail(missing);

  if (t.kind === 'boolean') {
    const expected = t.expected ?? true;
    const bad = readings.find((r) => r.value !== expected);
    if (bad !== undefined) return fail(bad);
    return { verdict: { expr: t.expr, passed: true, actual: expected }, threshold: t, endpointUrl: readings[0]!.endpointUrl };
  }

  const failing = readings.find((r) => !compareOp(r.value as number, t.op, t.limit));
  if (failing !== undefined) return fail(failing);
  // All pass: report the endpoint closest to the limit, the one that would fail first.
  const worst = readings.reduce((a, b) => (closerToLimit(b.value as number, a.value as number, t) ? b : a));
  return { verdict: { expr: t.expr, passed: true, actual: worst.value }, threshold: t, endpointUrl: worst.endpointUrl };
}

function closerToLimit(a: number, b: number, t: ComparisonThreshold): boolean {
  switch (t.op) {
    case '<':
    case '<=': return a > b;
    case '>':
    case '>=': return a < b;
    default: return Math.abs(a - t.limit) < Math.abs(b - t.limit);
  }
}

/**
 * Evaluate assertions on a result. Strings are parsed first, every bad one
 * reported at once (ConfigError, exit 2). The returned verdicts are what
 * result.json stores in `thresholds`.
 */
export function evaluateThresholds(exprs: readonly (string | Threshold)[], result: ResultJson, where = '--assert'): ThresholdVerdict[] {
  return evaluateThresholdsDetailed(exprs, result, where).map((o) => o.verdict);
}

/** As evaluateThresholds, with the parsed threshold and the reason behind each verdict. */
export function evaluateThresholdsDetailed(
  exprs: readonly (string | Threshold)[],
  result: ResultJson,
  where = '--assert',
): ThresholdOutcome[] {
  const strings = exprs.filter((e): e is string => typeof e === 'string');
  const parsed = parseThresholds(strings, where);
  let next = 0;
  const thresholds = exprs.map((e) => (typeof e === 'string' ? parsed[next++]! : e));
  return thresholds.map((t) => evaluateThreshold(t, result));
}

/**
 * Re-derive the outcome behind a stored verdict (for reporters, which get only
 * `result.thresholds`). Returns null when the expression no longer parses,
 * e.g. a result written by a newer tokbench with metrics this one lacks.
 */
export function explainVerdict(verdict: ThresholdVerdict, result: ResultJson): ThresholdOutcome | null {
  let t: Threshold;
  try {
    t = parseThreshold(verdict.expr, 'result.json thresholds');
  } catch {
    return null;
  }
  const again = evaluateThreshold(t, result);
  // Trust the stored verdict; the re-evaluation only supplies the endpoint and the reason.
  return { ...again, verdict };
}

/** One line describing a verdict: `ttft.p99 = 2350 ms (limit <= 2s)`. */
export function describeOutcome(o: ThresholdOutcome): string {
  const t = o.threshold;
  const at = o.endpointUrl === null ? '' : ` at ${o.endpointUrl}`;
  const actual = o.verdict.actual;
  if (actual === null) return `${t.ref.text}${at}: no value (${o.missing ?? 'not measured'})`;
  if (t.kind === 'boolean') {
    return actual === true ? `${t.ref.text}${at}: true` : `${t.ref.text}${at}: false`;
  }
  return `${t.ref.text}${at} = ${formatPrecise(actual as number, t.ref.def)}, expected ${t.op} ${t.limitText}`;
}

