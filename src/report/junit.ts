/**
 * JUnit XML of a result, for CI test reporters (GitHub test-reporter actions,
 * GitLab `artifacts:reports:junit`, Jenkins). Pure: ResultJson in, string out.
 *
 * One testcase per threshold assertion and one per validity check. Failures in
 * the XML match the exit code: a validity check fails its testcase only when
 * validity is gated (a `valid` assertion); otherwise a failed check is reported
 * as skipped with its detail, so a green job never shows red tests and the
 * reverse.
 */
import type { ResultJson } from '../metrics/types.js';
import { describeOutcome, explainVerdict, parseThreshold } from '../metrics/thresholds.js';

export interface JunitOptions {
  /** testsuite name; default `tokbench <benchmark>/<scenario>` */
  suiteName?: string;
  /** fail testcases of failed validity checks; default: when the thresholds include `valid` */
  gateValidity?: boolean;
}

interface Case {
  classname: string;
  name: string;
  outcome: { kind: 'passed' } | { kind: 'failure' | 'error' | 'skipped'; message: string; type: string; body: string };
}

export function renderJunit(result: ResultJson, opts: JunitOptions = {}): string {
  const gateValidity = opts.gateValidity ?? result.thresholds.some((t) => isValidGate(t.expr));
  const cases: Case[] = [];

  for (const verdict of result.thresholds) {
    const o = explainVerdict(verdict, result);
    if (o === null) {
      // Written by a tokbench that knows metrics this one does not: say so rather than guess.
      cases.push({
        classname: 'tokbench.thresholds',
        name: verdict.expr,
        outcome: verdict.passed
          ? { kind: 'passed' }
          : { kind: 'failure', type: 'ThresholdFailed', message: `${verdict.expr}: actual ${String(verdict.actual)}`, body: 'expression not understood by this tokbench version' },
      });
      continue;
    }
    const line = describeOutcome(o);
    cases.push({
      classname: 'tokbench.thresholds',
      name: verdict.expr,
      outcome: verdict.passed
        ? { kind: 'passed' }
        : { kind: 'failure', type: 'ThresholdFailed', message: line, body: `${line}\nassertion: ${verdict.expr}\nmetric: ${o.threshold.ref.def.description}` },
    });
  }

  for (const check of result.validity.checks) {
    const message = `${check.name}: ${check.detail}`;
    const body = [message, ...result.validity.recommendations.map((r) => `recommendation: ${r}`)].join('\n');
    cases.push({
      classname: 'tokbench.validity',
      name: check.name,
      outcome: check.passed
        ? { kind: 'passed' }
        : gateValidity
          ? { kind: 'failure', type: 'ValidityFailed', message, body }
          : { kind: 'skipped', type: 'ValidityNotGated', message: `${message} (not gated: add --assert valid to fail on it)`, body },
    });
  }

  const failures = cases.filter((c) => c.outcome.kind === 'failure').length;
  const errors = cases.filter((c) => c.outcome.kind === 'error').length;
  const skipped = cases.filter((c) => c.outcome.kind === 'skipped').length;
  const timeS = seconds(result.summary.durationMs);
  const suiteName = opts.suiteName ?? `tokbench ${result.scenario.benchmark}/${result.scenario.scenario}`;

  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="tokbench" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${timeS}">`,
    `  <testsuite name="${attr(suiteName)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${timeS}" timestamp="${attr(junitTimestamp(result.startedAt))}">`,
    '    <properties>',
    ...properties(result).map(([k, v]) => `      <property name="${attr(k)}" value="${attr(v)}"/>`),
    '    </properties>',
  ];
  for (const c of cases) {
    const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}" time="0"`;
    const o = c.outcome;
    if (o.kind === 'passed') {
      lines.push(`${open}/>`);
    } else if (o.kind === 'skipped') {
      lines.push(`${open}>`, `      <skipped message="${attr(o.message)}"/>`, '    </testcase>');
    } else {
      lines.push(`${open}>`, `      <${o.kind} message="${attr(o.message)}" type="${attr(o.type)}">${text(o.body)}</${o.kind}>`, '    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>');
  return `${lines.join('\n')}\n`;
}

function isValidGate(expr: string): boolean {
  try {
    const t = parseThreshold(expr, 'result.json thresholds');
    return t.kind === 'boolean' && t.ref.def.name === 'valid';
  } catch {
    return false;
  }
}

function properties(r: ResultJson): [string, string][] {
  const s = r.summary;
  const props: [string, string][] = [
    ['tokbench.version', r.tokbenchVersion],
    ['benchmark', r.scenario.benchmark],
    ['scenario', r.scenario.scenario],
    ['endpoints', r.endpoints.map((e) => e.url).join(' ')],
    ['simulated', String(r.simulated)],
    ['interrupted', String(r.interrupted)],
    ['valid', String(r.validity.valid)],
    ['completed', String(s.completed)],
    ['failed', String(s.failed)],
    ['output_tokens_per_sec', String(s.outputTokensPerSecond)],
  ];
  // an absent figure is left out, not written as 0 (a non-streamed run has no TTFT or TPOT)
  if (s.latency.ttftMs) props.push(['ttft.p99_ms', String(s.latency.ttftMs.p99)]);
  if (s.latency.tpotMs) props.push(['tpot.p99_ms', String(s.latency.tpotMs.p99)]);
  for (const [k, v] of Object.entries(r.tags ?? {})) props.push([`tag.${k}`, v]);
  return props;
}

function seconds(ms: number): string {
  return Number.isFinite(ms) ? (ms / 1000).toFixed(3) : '0';
}

/** The JUnit schema's timestamp is an ISO 8601 date-time without a zone; ours are UTC. */
function junitTimestamp(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 19);
}

/**
 * Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates,
 * U+FFFE/U+FFFF). Error details quote server bytes, so they do occur; an
 * escaped `&#0;` is still invalid XML, so they are replaced.
 */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function text(s: string): string {
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values: also quotes, and line breaks kept as character references (a raw one is normalised to a space). */
function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
