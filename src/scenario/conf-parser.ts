/**
 * The LoadGen `mlperf.conf` / `user.conf` file format and LoadGen's key lookup.
 *
 * The parser mirrors LoadGen's "dirt simple config parser" token for token, so a
 * file means the same thing here as there. Where LoadGen silently ignores a line
 * that cannot have been meant (`key=value` without spaces, a key with no value),
 * tokbench reports it as an error naming `file:line`: a user who tunes a
 * user.conf with tokbench must not be surprised by LoadGen later.
 *
 * Values are kept as written and read on lookup as LoadGen reads them (C
 * `strtoull` / `strtod`, below), because a user.conf must mean what LoadGen makes
 * of it: no suffixes, integers truncated by strtoull. The decimal numbers
 * themselves are read by the one quantity grammar (src/util/units.ts).
 */
import { didYouMean, type Problem } from '../errors.js';
import { parseQuantity } from '../util/units.js';


/** One `model.scenario.key = value` assignment. */
export interface ConfEntry {
  /** the full key text, e.g. `llama2-70b.Server.target_qps` */
  key: string;
  model: string;
  scenario: string;
  name: string;
  /** the value token as written (LoadGen keeps the text and converts on lookup) */
  value: string;
  file: string;
  line: number;
}

export interface ParsedConf {
  file: string;
  /** by full key; a later assignment of the same key replaces the earlier, as in LoadGen's std::map */
  entries: Map<string, ConfEntry>;
}

export interface ConfParseResult {
  conf: ParsedConf;
  /** lines LoadGen rejects or silently ignores: fix before running */
  problems: Problem[];
  /** lines that parse but cannot matter (unknown key, unknown scenario…) */
  warnings: Problem[];
}

const LOADGEN_SCENARIO_NAMES = ['SingleStream', 'MultiStream', 'Server', 'Offline', '*'] as const;

/** Keys LoadGen's FromConfig reads (v6.0); anything else is accepted by LoadGen and never used. */
export const LOADGEN_CONF_KEYS = [
  'mode',
  'min_duration',
  'max_duration',
  'min_query_count',
  'max_query_count',
  'qsl_rng_seed',
  'sample_index_rng_seed',
  'schedule_rng_seed',
  'accuracy_log_rng_seed',
  'accuracy_log_probability',
  'accuracy_log_sampling_target',
  'print_timestamps',
  'performance_issue_unique',
  'performance_issue_same',
  'performance_issue_same_index',
  'performance_sample_count_override',
  'accuracy_sample_count_override',
  'sample_concatenate_permutation',
  'target_latency_percentile',
  'target_latency',
  'target_duration',
  'target_qps',
  'coalesce_queries',
  'max_async_queries',
  'samples_per_query',
  'use_token_latencies',
  'ttft_latency',
  'tpot_latency',
  'infer_token_latencies',
  'token_latency_scaling_factor',
  'test05',
  'test05_qsl_rng_seed',
  'test05_sample_index_rng_seed',
  'test05_schedule_rng_seed',
] as const;

/** C `strtoul(s, &end, 0)` consuming the whole token: decimal, 0x hex or 0 octal, optional sign. */
export const C_INTEGER_TOKEN = /^[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
/** C `strtod` consuming the whole token (decimal, hex float, inf, nan). */
const C_DOUBLE_TOKEN =
  /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?|inf(?:inity)?|nan(?:\([0-9A-Za-z_]*\))?)$/i;

/**
 * Parse a LoadGen conf file. Lines are split on whitespace; a lone `#` token ends
 * the line unless a value is expected; `key = value` needs the spaces; a value
 * must read fully as a C integer or double. Every problem names `file:line`.
 */
export function parseLoadgenConf(text: string, file: string): ConfParseResult {
  const entries = new Map<string, ConfEntry>();
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  text.split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    const read = readConfLine(line, where, warnings);
    if (read === null) return;
    if ('problem' in read) {
      problems.push(read.problem);
      return;
    }
    const parts = splitConfKey(read.key);
    if (parts === null) {
      problems.push({ where, message: `key '${read.key}' is not of the form model.scenario.key`, hint: "use '*' for any model or scenario, e.g. '*.Server.target_qps = 10'" });
      return;
    }
    warnings.push(...keyWarnings(read.key, parts, where));
    entries.set(read.key, { key: read.key, ...parts, value: read.value, file, line: i + 1 });
  });
  return { conf: { file, entries }, problems, warnings };
}

const SPACES_HINT = "LoadGen splits on whitespace: write 'model.scenario.key = value' with spaces around '='";
const COMMENT_HINT = "LoadGen treats only a lone '#' as a comment: write '# comment'";

/** One line, token by token as LoadGen reads it: a key and value, a problem, or nothing (blank or comment). */
function readConfLine(line: string, where: string, warnings: Problem[]): { key: string; value: string } | { problem: Problem } | null {
  // C++ `iss >> s` splits on isspace: space, \t, \n, \v, \f, \r
  const tokens = line.split(/[ \t\n\v\f\r]+/).filter((t) => t.length > 0);
  if (tokens.length === 0 || tokens[0] === '#') return null;
  const key = tokens[0]!;
  const rest = tokens.slice(1);
  if (rest.length === 0 || rest[0] === '#') {
    // LoadGen silently ignores a key without `= value`; tokbench says so.
    return {
      problem: {
        where,
        message: key.includes('=') ? `'${key}' has no spaces around '='` : `'${key}' has no '= value'`,
        hint: key.startsWith('#') ? COMMENT_HINT : "LoadGen would silently ignore this line: write 'model.scenario.key = value' with spaces around '='",
      },
    };
  }
  if (rest[0] !== '=') {
    return { problem: { where, message: `expected 'key = value' after '${key}', got '${rest[0]}'`, hint: key.startsWith('#') ? COMMENT_HINT : SPACES_HINT } };
  }
  let value: string | null = null;
  for (const tok of rest.slice(1)) {
    if (!C_INTEGER_TOKEN.test(tok) && !C_DOUBLE_TOKEN.test(tok)) {
      return {
        problem: {
          where,
          message: `value needs to be integer or double, got '${tok}'`,
          hint: tok.startsWith('#') ? 'LoadGen does not allow a comment after a value: move the comment to its own line' : 'LoadGen reads numbers only (decimal, 0x hex, or floating point)',
        },
      };
    }
    if (value !== null) warnings.push({ where, message: `several values for ${key}; LoadGen keeps the last one (${tok})` });
    value = tok;
  }
  if (value === null) return { problem: { where, message: `'${key}' has '=' but no value`, hint: 'LoadGen would silently ignore this line' } };
  return { key, value };
}

/** Lines that parse but that LoadGen never reads. */
function keyWarnings(key: string, parts: { scenario: string; name: string }, where: string): Problem[] {
  const out: Problem[] = [];
  if (!(LOADGEN_SCENARIO_NAMES as readonly string[]).includes(parts.scenario)) {
    const suggestion = didYouMean(parts.scenario, LOADGEN_SCENARIO_NAMES);
    out.push({
      where,
      message: `scenario '${parts.scenario}' is not a LoadGen scenario, so LoadGen never reads '${key}'`,
      hint: suggestion
        ? `did you mean '${suggestion}'? (Interactive is Server under '<model>-interactive')`
        : 'LoadGen scenarios: SingleStream, MultiStream, Server, Offline, or *; Interactive is Server under <model>-interactive',
    });
  }
  if (!(LOADGEN_CONF_KEYS as readonly string[]).includes(parts.name)) {
    const suggestion = didYouMean(parts.name, LOADGEN_CONF_KEYS);
    out.push({ where, message: `LoadGen does not read the key '${parts.name}'`, ...(suggestion ? { hint: `did you mean '${suggestion}'?` } : {}) });
  }
  return out;
}

/** `model.scenario.key`, split from the right: model names may contain dots, scenario and key names do not. */
function splitConfKey(key: string): { model: string; scenario: string; name: string } | null {
  const last = key.lastIndexOf('.');
  if (last <= 0) return null;
  const mid = key.lastIndexOf('.', last - 1);
  if (mid <= 0) return null;
  const model = key.slice(0, mid);
  const scenario = key.slice(mid + 1, last);
  const name = key.slice(last + 1);
  if (!model || !scenario || !name) return null;
  return { model, scenario, name };
}

export type ConfLookupLevel = 'model.scenario' | '*.scenario' | 'model.*' | '*.*';

/**
 * LoadGen's `lookupkv`: exact `model.scenario.key`, then `*.scenario.key`, then
 * `model.*.key`, then `*.*.key` (test_settings_internal.cc, FromConfig).
 */
export function lookupConfEntry(
  conf: ParsedConf,
  model: string,
  scenario: string,
  name: string,
): { entry: ConfEntry; level: ConfLookupLevel } | undefined {
  const candidates: [string, ConfLookupLevel][] = [
    [`${model}.${scenario}.${name}`, 'model.scenario'],
    [`*.${scenario}.${name}`, '*.scenario'],
    [`${model}.*.${name}`, 'model.*'],
    [`*.*.${name}`, '*.*'],
  ];
  for (const [key, level] of candidates) {
    const entry = conf.entries.get(key);
    if (entry) return { entry, level };
  }
  return undefined;
}

const UINT64_MAX = (1n << 64n) - 1n;

/**
 * C `strtoull(s, nullptr, 0)`: the longest valid prefix, base from the prefix
 * (0x hex, 0 octal, else decimal), a leading '-' negates modulo 2^64, overflow
 * saturates. LoadGen reads integer keys this way, so "1.5" reads as 1 and "09" as 0.
 */
export function cStrtoull(text: string): bigint {
  let s = text.trimStart();
  let negative = false;
  if (s.startsWith('+') || s.startsWith('-')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  let base = 10n;
  let digits: RegExp = /^[0-9]+/;
  if (/^0[xX][0-9a-fA-F]/.test(s)) {
    base = 16n;
    s = s.slice(2);
    digits = /^[0-9a-fA-F]+/;
  } else if (s.startsWith('0')) {
    base = 8n;
    digits = /^[0-7]+/;
  }
  const m = digits.exec(s);
  if (!m) return 0n;
  let v = 0n;
  for (const ch of m[0]) {
    v = v * base + BigInt(parseInt(ch, 16));
    if (v > UINT64_MAX) return UINT64_MAX;
  }
  return negative ? (((1n << 64n) - v) & UINT64_MAX) : v;
}

/** C `strtod`: the longest valid prefix as a double (0 when none). */
export function cStrtod(text: string): number {
  const s = text.trimStart();
  const m =
    /^[+-]?(?:inf(?:inity)?|nan)/i.exec(s) ??
    /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?/.exec(s) ??
    /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(s);
  if (!m) return 0;
  const tok = m[0];
  const lower = tok.toLowerCase().replace(/^[+-]/, '');
  const sign = tok.startsWith('-') ? -1 : 1;
  if (lower.startsWith('inf')) return sign * Infinity;
  if (lower.startsWith('nan')) return NaN;
  if (lower.startsWith('0x')) return sign * parseHexFloat(lower.slice(2));
  // the decimal form is the one quantity grammar's plain number (exact: one rounding, as strtod)
  const r = parseQuantity(tok, 'number');
  return r.ok ? r.value : Number(tok);
}

function parseHexFloat(body: string): number {
  const [mant, exp] = body.split('p');
  const [intPart, fracPart = ''] = (mant ?? '').split('.');
  let v = 0;
  for (const ch of intPart ?? '') v = v * 16 + parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of fracPart) {
    v += parseInt(ch, 16) * scale;
    scale /= 16;
  }
  return v * 2 ** Number(exp ?? 0);
}

