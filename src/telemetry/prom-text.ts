/**
 * A parser for the Prometheus text exposition format (version 0.0.4, as served
 * by prometheus_client, the Go client, DCGM exporter and AMD's device metrics
 * exporter), tolerant of the OpenMetrics 1.0 additions a server may send
 * (`# EOF`, `# UNIT`, exemplars after ` # `) and of Prometheus 3's quoted
 * UTF-8 names (`{"my.metric", label="v"} 1`).
 *
 * Why our own: the npm parsers for this format are unmaintained (the most used,
 * parse-prometheus-text-format, last changed in 2020 and mishandles a counter
 * declared without `_total`, as vLLM's prometheus_client output is); the
 * format is small and fully specified, and this file follows the spec
 * (docs/reports.md links it), with tests for each rule.
 *
 * The rules, from the exposition format spec:
 * - Lines are separated by `\n` (a trailing `\r` is tolerated). Empty lines are ignored.
 * - A line whose first non-blank character is `#` is a comment; `# HELP name text`
 *   and `# TYPE name type` are the two that mean something. HELP text escapes
 *   `\\` and `\n`. Only the first TYPE of a name counts.
 * - A sample is `name{label="value",...} value [timestamp]`; the label set is
 *   optional, may be empty and may end with a comma; blanks (spaces, tabs) may
 *   separate tokens. Label values escape `\\`, `\"` and `\n`.
 * - Names match `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names `[a-zA-Z_][a-zA-Z0-9_]*`
 *   (or either quoted, in the UTF-8 form).
 * - Values are Go floats: decimal or exponent notation, `NaN`, `+Inf`, `-Inf`.
 *   The timestamp is an integer (ms since the epoch; seconds in OpenMetrics).
 *
 * A malformed line is skipped and reported in `errors` (Prometheus would reject
 * the whole scrape; for telemetry, the other samples are still worth keeping).
 */

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'gaugehistogram' | 'info' | 'stateset' | 'unknown';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** as written (ms since the epoch in the Prometheus format); null when absent */
  timestamp: number | null;
}

export interface PromParseError {
  /** 1-based line number */
  line: number;
  message: string;
}

export interface PromExposition {
  samples: PromSample[];
  /** TYPE per metric family name */
  types: Map<string, PromType>;
  /** HELP per metric family name, unescaped */
  help: Map<string, string>;
  /** UNIT per metric family name (OpenMetrics) */
  units: Map<string, string>;
  errors: PromParseError[];
}

const TYPES = new Set<PromType>(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'gaugehistogram', 'info', 'stateset', 'unknown']);
const FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT_RE = /^[+-]?\d+(?:\.\d+)?$/;

class LineError extends Error {}

export function parsePrometheusText(text: string): PromExposition {
  const out: PromExposition = { samples: [], types: new Map(), help: new Map(), units: new Map(), errors: [] };
  let start = 0;
  let lineNo = 0;
  const n = text.length;
  while (start <= n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    try {
      parseLine(line, out);
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      out.errors.push({ line: lineNo, message: err.message });
    }
    if (end === n) break;
  }
  return out;
}

function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

function isNameStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':';
}

function isNameChar(c: string): boolean {
  return isNameStart(c) || (c >= '0' && c <= '9');
}

function parseLine(line: string, out: PromExposition): void {
  let i = 0;
  while (isBlank(line[i])) i++;
  if (i >= line.length) return;
  if (line[i] === '#') {
    parseComment(line.slice(i + 1), out);
    return;
  }
  const cur = { s: line, i };
  let name = '';
  if (isNameStart(line[i]!)) name = readName(cur);
  const labels: Record<string, string> = {};
  let at = cur.i;
  skipBlanks(cur);
  if (cur.s[cur.i] === '{') {
    cur.i++;
    const quotedName = readLabels(cur, labels);
    if (quotedName !== null) {
      if (name !== '') throw new LineError('a metric name both before and inside the braces');
      name = quotedName;
    }
    at = cur.i;
    skipBlanks(cur);
  }
  if (name === '') throw new LineError(`expected a metric name, got ${preview(line)}`);
  if (cur.i === at) throw new LineError(`expected a blank before the value in ${preview(line)}`);
  const valueTok = readToken(cur);
  if (valueTok === '') throw new LineError(`no value in ${preview(line)}`);
  const value = parseValue(valueTok);
  if (value === null) throw new LineError(`not a number: ${preview(valueTok)}`);
  skipBlanks(cur);
  let timestamp: number | null = null;
  if (cur.i < cur.s.length && cur.s[cur.i] !== '#') {
    const tsTok = readToken(cur);
    if (!INT_RE.test(tsTok)) throw new LineError(`not a timestamp: ${preview(tsTok)}`);
    timestamp = Number(tsTok);
    skipBlanks(cur);
  }
  // OpenMetrics exemplar (` # {trace_id="..."} 1.0`): ignored. Anything else is garbage.
  if (cur.i < cur.s.length && cur.s[cur.i] !== '#') throw new LineError(`unexpected text after the value: ${preview(cur.s.slice(cur.i))}`);
  out.samples.push({ name, labels, value, timestamp });
}

function parseComment(rest: string, out: PromExposition): void {
  const cur = { s: rest, i: 0 };
  skipBlanks(cur);
  const keyword = readToken(cur);
  if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') return; // an ordinary comment (or # EOF)
  skipBlanks(cur);
  let name: string;
  if (cur.s[cur.i] === '"') name = readQuoted(cur);
  else if (cur.i < cur.s.length && isNameStart(cur.s[cur.i]!)) name = readName(cur);
  else return; // "# HELP" with no name: a plain comment
  if (cur.i < cur.s.length && !isBlank(cur.s[cur.i])) return;
  skipBlanks(cur);
  const text = cur.s.slice(cur.i);
  if (keyword === 'HELP') {
    if (!out.help.has(name)) out.help.set(name, unescapeHelp(text));
  } else if (keyword === 'UNIT') {
    if (!out.units.has(name)) out.units.set(name, text.trim());
  } else {
    const t = text.trim().toLowerCase() as PromType;
    if (!TYPES.has(t)) throw new LineError(`unknown metric type ${preview(text)} for ${name}`);
    if (!out.types.has(name)) out.types.set(name, t);
  }
}

interface Cursor {
  s: string;
  i: number;
}

function skipBlanks(c: Cursor): void {
  while (isBlank(c.s[c.i])) c.i++;
}

function readName(c: Cursor): string {
  const from = c.i;
  while (c.i < c.s.length && isNameChar(c.s[c.i]!)) c.i++;
  return c.s.slice(from, c.i);
}

function readToken(c: Cursor): string {
  const from = c.i;
  while (c.i < c.s.length && !isBlank(c.s[c.i])) c.i++;
  return c.s.slice(from, c.i);
}

/** A double-quoted string with `\\`, `\"` and `\n` escapes; the cursor is on the opening quote. */
function readQuoted(c: Cursor): string {
  c.i++;
  let out = '';
  for (;;) {
    if (c.i >= c.s.length) throw new LineError('unterminated quoted string');
    const ch = c.s[c.i]!;
    if (ch === '"') {
      c.i++;
      return out;
    }
    if (ch === '\\') {
      const next = c.s[c.i + 1];
      if (next === 'n') out += '\n';
      else if (next === '\\' || next === '"') out += next;
      else if (next === undefined) throw new LineError('unterminated quoted string');
      else out += '\\' + next; // unknown escape: kept as written
      c.i += 2;
      continue;
    }
    out += ch;
    c.i++;
  }
}

/**
 * Reads `label="value", ...}` (the cursor is past `{`). Returns a metric name
 * given inside the braces (UTF-8 form: a quoted string not followed by `=`), else null.
 */
function readLabels(c: Cursor, labels: Record<string, string>): string | null {
  let quotedName: string | null = null;
  for (;;) {
    skipBlanks(c);
    const ch = c.s[c.i];
    if (ch === undefined) throw new LineError('unterminated label set');
    if (ch === '}') {
      c.i++;
      return quotedName;
    }
    let key: string;
    if (ch === '"') key = readQuoted(c);
    else if (isNameStart(ch) && ch !== ':') key = readName(c);
    else throw new LineError(`bad label name at ${preview(c.s.slice(c.i))}`);
    skipBlanks(c);
    if (c.s[c.i] === '=') {
      c.i++;
      skipBlanks(c);
      if (c.s[c.i] !== '"') throw new LineError(`label ${key}: expected a quoted value`);
      const value = readQuoted(c);
      if (Object.prototype.hasOwnProperty.call(labels, key)) throw new LineError(`label ${key} given twice`);
      labels[key] = value;
    } else if (ch === '"' && quotedName === null) {
      quotedName = key;
    } else {
      throw new LineError(`label ${key}: expected =`);
    }
    skipBlanks(c);
    if (c.s[c.i] === ',') c.i++;
    else if (c.s[c.i] !== '}') throw new LineError(`expected , or } in the label set at ${preview(c.s.slice(c.i))}`);
  }
}

/** A Go float as Prometheus writes them; null when it is not one. */
export function parseValue(tok: string): number | null {
  if (FLOAT_RE.test(tok)) return Number(tok);
  const t = tok.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === '+inf' || t === 'inf' || t === '+infinity' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return null;
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(n|\\)/g, (_m, e: string) => (e === 'n' ? '\n' : '\\'));
}

function preview(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/**
 * The declared type of the family a sample belongs to: its own name's TYPE, or
 * that of the name without a `_total`, `_created`, `_sum`, `_count`, `_bucket`
 * suffix (counters are declared without `_total` by prometheus_client's
 * OpenMetrics side and by some exporters). Undeclared `*_total` samples are counters.
 */
export function familyOf(name: string, types: ReadonlyMap<string, PromType>): { family: string; type: PromType; suffix: string } {
  const own = types.get(name);
  if (own !== undefined) return { family: name, type: own, suffix: '' };
  for (const suffix of ['_total', '_bucket', '_count', '_sum', '_created']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const t = types.get(base);
      if (t !== undefined) return { family: base, type: t, suffix };
    }
  }
  if (name.endsWith('_total')) return { family: name.slice(0, -6), type: 'counter', suffix: '_total' };
  return { family: name, type: 'untyped', suffix: '' };
}
