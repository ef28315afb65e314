/**
 * The one quantity grammar of tokbench: flags, environment variables, scenario
 * files, user.conf-derived values and threshold limits all read numbers here.
 *
 * ```bnf
 * quantity  ::= term { term }                  ; several terms only for durations: 1m30s
 * term      ::= [ "+" | "-" ] number ws suffix
 * number    ::= digits [ "." digits ] [ exponent ] | "." digits [ exponent ]
 * digits    ::= digit { digit | "_" }           ; 1_000
 * exponent  ::= ( "e" | "E" ) [ "+" | "-" ] digit { digit }   ; 1e15, 1.5e3
 * suffix    ::= count-suffix | duration-unit | "%" | ""
 * count-suffix  ::= "k" | "K" | "M" | "G" | "T"          ; 10^3 10^6 10^9 10^12
 * duration-unit ::= "us" | "µs" | "μs" | "ms" | "s" | "m" | "min" | "h"   ; m is minutes
 * ```
 *
 * A suffix's meaning follows the dimension of the quantity being read, never
 * the other way round: `m` is only ever minutes, so `--max-concurrency 2m` is an
 * error ("m means minutes; millions is M") instead of two million, and `2k` as
 * a duration is an error instead of 2000 ms. Counts must come out whole
 * (`2.01k` = 2010, `2.0005k` is an error). A bare duration is seconds on the
 * command line, milliseconds in a scenario file (whose fields end in `Ms`), and
 * refused in a threshold (which must say its unit).
 *
 * Values are exact: digits and scale multiply as integers (BigInt) and only the
 * final conversion to a double rounds, once, so `1.005k` is 1005 and `8.2M` is
 * 8200000 exactly, and `1m30s` is 90000 ms.
 */

export type Dimension = 'count' | 'rate' | 'duration' | 'ratio' | 'number';

/** A suffix scales the number by factor × 10^pow10 into the natural unit (ms for durations). */
interface Scale {
  factor: bigint;
  pow10: number;
}

const DURATION_UNITS: Readonly<Record<string, Scale>> = {
  us: { factor: 1n, pow10: -3 },
  'µs': { factor: 1n, pow10: -3 }, // U+00B5 micro sign
  'μs': { factor: 1n, pow10: -3 }, // U+03BC Greek mu, which some keyboards produce
  ms: { factor: 1n, pow10: 0 },
  s: { factor: 1n, pow10: 3 },
  m: { factor: 6n, pow10: 4 },
  min: { factor: 6n, pow10: 4 },
  h: { factor: 36n, pow10: 5 },
};
const COUNT_SUFFIXES: Readonly<Record<string, Scale>> = {
  k: { factor: 1n, pow10: 3 },
  K: { factor: 1n, pow10: 3 },
  M: { factor: 1n, pow10: 6 },
  G: { factor: 1n, pow10: 9 },
  T: { factor: 1n, pow10: 12 },
};
const PERCENT: Scale = { factor: 1n, pow10: -2 };
const ONE: Scale = { factor: 1n, pow10: 0 };

/** What kind of quantity a suffix writes, whatever was asked for. */
export type SuffixKind = 'duration' | 'count' | 'percent' | 'none' | 'unknown';

export function suffixKind(suffix: string): SuffixKind {
  if (suffix === '') return 'none';
  if (suffix in DURATION_UNITS) return 'duration';
  if (suffix in COUNT_SUFFIXES) return 'count';
  if (suffix === '%') return 'percent';
  return 'unknown';
}

export type QuantityErrorCode = 'syntax' | 'needs-unit' | 'wrong-unit' | 'not-integer' | 'too-large';

export interface QuantityError {
  code: QuantityErrorCode;
  /** the offending suffix, for `needs-unit` / `wrong-unit` */
  suffix: string;
}

export type QuantityResult = { ok: true; value: number } | { ok: false; error: QuantityError };

export interface QuantityOptions {
  /** durations: the unit of a bare number; null refuses a bare number (thresholds) */
  bareDuration?: 'ms' | 's' | null;
}

/** An exact decimal: digits × 10^exp. */
interface Exact {
  digits: bigint;
  exp: number;
}

const TERM = /([+-]?)((?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)\s*([^\d\s.+-][^\d\s.+-]*)?/uy;

function lexNumber(sign: string, text: string): Exact {
  const clean = text.replace(/_/g, '');
  const [mantissa = '', expText = '0'] = clean.split(/[eE]/);
  const [int = '', frac = ''] = mantissa.split('.');
  const digits = BigInt(`${int}${frac}` || '0');
  return { digits: sign === '-' ? -digits : digits, exp: Number(expText) - frac.length };
}

function scaled(x: Exact, s: Scale): Exact {
  return { digits: x.digits * s.factor, exp: x.exp + s.pow10 };
}

function add(a: Exact, b: Exact): Exact {
  const exp = Math.min(a.exp, b.exp);
  return { digits: a.digits * 10n ** BigInt(a.exp - exp) + b.digits * 10n ** BigInt(b.exp - exp), exp };
}

function isInteger(x: Exact): boolean {
  return x.exp >= 0 || x.digits % 10n ** BigInt(-x.exp) === 0n;
}

function toNumber(x: Exact): number {
  return Number(`${x.digits}e${x.exp}`);
}

const fail = (code: QuantityErrorCode, suffix = ''): QuantityResult => ({ ok: false, error: { code, suffix } });

/** Split into terms; null when the text is not number-suffix terms end to end. */
function terms(text: string): { value: Exact; suffix: string }[] | null {
  const t = text.trim();
  if (t === '') return null;
  const out: { value: Exact; suffix: string }[] = [];
  TERM.lastIndex = 0;
  let at = 0;
  while (at < t.length) {
    TERM.lastIndex = at;
    const m = TERM.exec(t);
    if (m === null || m.index !== at) return null;
    out.push({ value: lexNumber(m[1]!, m[2]!), suffix: m[3] ?? '' });
    at = TERM.lastIndex;
    while (t[at] === ' ' || t[at] === '\t') at++;
  }
  return out;
}

/** Read a quantity of one dimension, in its natural unit (ms, requests, per second, fraction). */
export function parseQuantity(text: string, dim: Dimension, opts: QuantityOptions = {}): QuantityResult {
  const parts = terms(text);
  if (parts === null) return fail('syntax');
  if (dim === 'duration') return durationOf(parts, opts.bareDuration === undefined ? 's' : opts.bareDuration);
  if (parts.length !== 1) return fail('syntax');
  const { value, suffix } = parts[0]!;
  let scale: Scale | undefined;
  if (dim === 'ratio') scale = suffix === '%' ? PERCENT : suffix === '' ? ONE : undefined;
  else if (dim === 'number') scale = suffix === '' ? ONE : undefined;
  else scale = suffix === '' ? ONE : COUNT_SUFFIXES[suffix];
  if (scale === undefined) return fail('wrong-unit', suffix);
  const x = scaled(value, scale);
  if (dim === 'count') {
    if (!isInteger(x)) return fail('not-integer');
    const n = toNumber(x);
    return Math.abs(n) > Number.MAX_SAFE_INTEGER ? fail('too-large') : { ok: true, value: n };
  }
  const n = toNumber(x);
  return Number.isFinite(n) ? { ok: true, value: n } : fail('too-large');
}

function durationOf(parts: { value: Exact; suffix: string }[], bare: 'ms' | 's' | null): QuantityResult {
  let total: Exact = { digits: 0n, exp: 0 };
  for (const { value, suffix } of parts) {
    let scale = DURATION_UNITS[suffix];
    if (suffix === '') {
      if (parts.length > 1) return fail('syntax');
      if (bare === null) return fail('needs-unit');
      scale = DURATION_UNITS[bare];
    }
    if (scale === undefined) return fail('wrong-unit', suffix);
    total = add(total, scaled(value, scale));
  }
  const n = toNumber(total);
  return Number.isFinite(n) ? { ok: true, value: n } : fail('too-large');
}

const UNITS_TEXT: Record<Dimension, string> = {
  count: 'a whole number, optionally with k, M, G (10^3, 10^6, 10^9) or an exponent: 200, 2.5k, 1M, 1e6',
  rate: 'a number, optionally with k, M, G or an exponent: 12.5, 95k, 1.5e3',
  duration: 'a number with a unit us, ms, s, m (minutes), h: 600s, 10m, 1500ms, 1m30s (a bare number is seconds on the command line, ms in a scenario file)',
  ratio: 'a percentage (0.5%) or a fraction (0.005)',
  number: 'a plain number: 0.7, 1, 1e-3',
};

/** What a dimension accepts, for hints. */
export function quantityHelp(dim: Dimension): string {
  return UNITS_TEXT[dim];
}

/** The message and hint for a quantity that did not read, in the words of its dimension. */
export function describeQuantityError(text: string, dim: Dimension, err: QuantityError): { message: string; hint: string } {
  const what = { count: 'a count', rate: 'a rate', duration: 'a duration', ratio: 'a fraction', number: 'a number' }[dim];
  const got = JSON.stringify(text);
  const help = quantityHelp(dim);
  switch (err.code) {
    case 'not-integer':
      return { message: `expected a whole number, got ${got}`, hint: help };
    case 'too-large':
      return { message: `${got} is too large`, hint: help };
    case 'needs-unit':
      return { message: `${got} needs a unit`, hint: help };
    case 'wrong-unit': {
      const kind = suffixKind(err.suffix);
      const said =
        dim !== 'duration' && err.suffix === 'm' ? "'m' means minutes; millions is M (e.g. 2M)"
        : kind === 'unknown' ? `unknown unit '${err.suffix}'`
        : `'${err.suffix}' makes it ${kind === 'duration' ? 'a duration' : kind === 'count' ? 'a count' : 'a percentage'}`;
      return { message: `expected ${what}, got ${got}`, hint: `${said}; ${help}` };
    }
    case 'syntax':
      return { message: `expected ${what}, got ${got}`, hint: help };
  }
}

/**
 * `1500ms`, `90s`, `10m`, `1h`, `1m30s`; a bare number is `bareUnit` (seconds by
 * default, as most CLIs take --duration). Returns ms, or null if it does not parse.
 */
export function parseDurationMs(text: string, bareUnit: 'ms' | 's' = 's'): number | null {
  const r = parseQuantity(text, 'duration', { bareDuration: bareUnit });
  return r.ok && r.value >= 0 ? r.value : null;
}

/** `100`, `2.5k`, `1M`, `1_000`, `1e6`: a whole count, or null if it does not parse. */
export function parseCount(text: string): number | null {
  const r = parseQuantity(text, 'count');
  return r.ok && r.value >= 0 ? r.value : null;
}
