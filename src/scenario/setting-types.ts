/**
 * The value types of settings (settings.ts): how a value is read from a flag or
 * environment variable (text), from a scenario file (YAML/JSON values), and
 * which values are allowed. Numbers are read with the one quantity grammar of
 * src/util/units.ts, whatever the source, so `--max-concurrency 2k`,
 * `maxConcurrency: 2k` and `--assert 'completed >= 2k'` mean the same 2000.
 */
import { z } from 'zod';
import { didYouMean, type Problem } from '../errors.js';
import type { LengthDistribution } from '../dataset/types.js';
import { parseLengthSpec, validateLengthDistribution } from '../dataset/lengths.js';
import { describeQuantityError, parseQuantity, quantityHelp, type Dimension } from '../util/units.js';
import type { EndpointSpec } from './types.js';
import { parseEndpointList, parseEndpointArg } from './endpoint-arg.js';
import { parseEndpointUrl } from '../sut/endpoint-url.js';
import { COLUMN_ROLES, parseColumnOverrides, type ColumnOverrides, type ColumnRole } from '../dataset/columns.js';

export type Read<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

export interface ValueType<T> {
  /** for the docs table: `count`, `duration`, `rate`, `offline | poisson | closed`… */
  doc: string;
  /** a flag's or an environment variable's text; list flags get every occurrence */
  fromText(text: string | string[], where: string): Read<T>;
  /** a scenario file's value (YAML/JSON types) */
  fromFile(value: unknown, where: string): Read<T>;
  /** what a final value must satisfy; problems name `where` */
  validate(value: T, where: string): Problem[];
}

const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const bad = <T>(where: string, message: string, hint?: string): Read<T> => ({ ok: false, problems: [hint === undefined ? { where, message } : { where, message, hint }] });
const single = (text: string | string[]): string => (Array.isArray(text) ? text[text.length - 1] ?? '' : text);

export interface NumberRange {
  min?: number;
  /** strictly above min */
  gt?: boolean;
  max?: number;
  /** null allowed (a default meaning "none" / "unbounded") */
  nullable?: boolean;
  /** a hint for an out-of-range value */
  hint?: string;
}

/**
 * A number of one dimension. `bareFile` is the unit of a bare number in a
 * scenario file (its duration fields end in `Ms`); flags read bare durations as seconds.
 */
function quantity(dim: Dimension, range: NumberRange, doc: string): ValueType<number | null> {
  const read = (text: string, where: string, bareDuration: 'ms' | 's'): Read<number | null> => {
    const r = parseQuantity(text, dim, { bareDuration });
    if (r.ok) return ok(r.value);
    const { message, hint } = describeQuantityError(text, dim, r.error);
    return bad(where, message, hint);
  };
  return {
    doc,
    fromText: (text, where) => read(single(text), where, 's'),
    fromFile: (v, where) => {
      if (v === null && range.nullable) return ok(null);
      if (typeof v === 'number') return ok(v);
      if (typeof v === 'string') return read(v, where, 'ms');
      return bad(where, `expected ${doc}, got ${JSON.stringify(v)}`, quantityHelp(dim));
    },
    validate: (v, where) => {
      if (v === null && range.nullable) return [];
      const min = range.min ?? -Infinity;
      const inRange = typeof v === 'number' && Number.isFinite(v) && (range.gt ? v > min : v >= min) && v <= (range.max ?? Infinity);
      const whole = dim !== 'count' || Number.isInteger(v);
      if (inRange && whole) return [];
      const kind = dim === 'count' ? 'an integer' : 'a number';
      const unit = dim === 'duration' ? ' (600s, 10m, 1500ms; a bare number is ms in a file, seconds on the command line)' : '';
      const bounds = `${range.gt ? '>' : '≥'} ${min}${range.max === undefined ? '' : ` and ≤ ${range.max}`}`;
      return [{ where, message: `must be ${kind} ${bounds}, got ${JSON.stringify(v)}`, hint: range.hint ?? `give ${kind} ${range.gt ? 'above' : 'at least'} ${min}${unit}` }];
    },
  };
}

export const count = (range: NumberRange = {}) => quantity('count', range, 'count');
/** milliseconds once read */
export const duration = (range: NumberRange = {}) => quantity('duration', range, 'duration');
export const rate = (range: NumberRange = {}) => quantity('rate', range, 'rate');
export const plainNumber = (range: NumberRange = {}) => quantity('number', range, 'number');

export function text(): ValueType<string | null> {
  return {
    doc: 'text',
    fromText: (t, where) => (single(t) === '' ? bad(where, 'empty value') : ok(single(t))),
    fromFile: (v, where) => (typeof v === 'string' && v !== '' ? ok(v) : bad(where, `expected a non-empty string, got ${JSON.stringify(v)}`)),
    validate: () => [],
  };
}

export function choice<const C extends string>(options: readonly C[], { nullable = false } = {}): ValueType<C | null> {
  const read = (v: unknown, where: string): Read<C | null> => {
    if (v === null && nullable) return ok(null);
    if (typeof v === 'string') return ok(v as C);
    return bad(where, `expected one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
  };
  return {
    doc: options.join(' | '),
    fromText: (t, where) => read(single(t), where),
    fromFile: read,
    validate: (v, where) => {
      if ((v === null && nullable) || options.includes(v as C)) return [];
      const guess = typeof v === 'string' ? didYouMean(v, options) : undefined;
      return [{ where, message: `unknown value ${JSON.stringify(v)}`, hint: `${guess ? `did you mean "${guess}"? ` : ''}one of: ${options.join(', ')}` }];
    },
  };
}

export function bool(): ValueType<boolean> {
  const words: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };
  return {
    doc: 'boolean',
    fromText: (t, where) => {
      const v = words[single(t).trim().toLowerCase()];
      return v === undefined ? bad(where, `expected true or false, got ${JSON.stringify(single(t))}`) : ok(v);
    },
    fromFile: (v, where) => (typeof v === 'boolean' ? ok(v) : bad(where, `expected true or false, got ${JSON.stringify(v)}`)),
    validate: () => [],
  };
}

const UINT64_LIMIT = 1n << 64n;
export function seed(): ValueType<string> {
  const read = (v: unknown, where: string): Read<string> => {
    const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
    if (typeof s === 'string' && /^\d+$/.test(s) && BigInt(s) < UINT64_LIMIT) return ok(s);
    return bad(where, `not an unsigned 64-bit integer: ${JSON.stringify(v)}`, 'e.g. --seed 42 (quote large seeds in YAML)');
  };
  return { doc: 'seed (unsigned 64-bit)', fromText: (t, where) => read(single(t), where), fromFile: read, validate: () => [] };
}

const positiveInt = () => z.number().int().positive();
const lengthObject = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fixed'), value: positiveInt() }),
  z.strictObject({ kind: z.literal('uniform'), min: positiveInt(), max: positiveInt() }),
  z.strictObject({ kind: z.literal('normal'), mean: z.number().positive(), stddev: z.number().nonnegative(), min: positiveInt(), max: positiveInt() }),
  z.strictObject({ kind: z.literal('lognormal'), mean: z.number().positive(), stddev: z.number().nonnegative(), min: positiveInt(), max: positiveInt() }),
  z.strictObject({ kind: z.literal('empirical'), values: z.array(positiveInt()).min(1), weights: z.array(z.number().nonnegative()).optional() }),
]);

function zodRead<T>(schema: z.ZodType<T>, v: unknown, where: string, hint?: string): Read<T> {
  const r = schema.safeParse(v);
  if (r.success) return ok(r.data);
  return { ok: false, problems: r.error.issues.map((i) => ({ where: i.path.length ? `${where}.${i.path.join('.')}` : where, message: i.message, ...(hint === undefined ? {} : { hint }) })) };
}

function tryRead<T>(fn: () => T): Read<T> {
  try {
    return ok(fn());
  } catch (err) {
    const problems = (err as { problems?: Problem[] }).problems;
    if (Array.isArray(problems)) return { ok: false, problems };
    throw err;
  }
}

const LENGTH_HINT = 'a token count (e.g. 128), a spec string ("lognormal:mean=300,stddev=200,min=1,max=1024") or {kind: ...}';

/** A token length distribution: `128`, `uniform:100-900`, `lognormal:mean=..`, or an object with `kind`. */
export function lengths(): ValueType<LengthDistribution> {
  return {
    doc: 'length spec',
    fromText: (t, where) => tryRead(() => parseLengthSpec(single(t), where)),
    fromFile: (v, where) => {
      if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? ok({ kind: 'fixed', value: v }) : bad(where, `expected a positive token count, got ${v}`, LENGTH_HINT);
      if (typeof v === 'string') return tryRead(() => parseLengthSpec(v, where));
      return zodRead(lengthObject, v, where, LENGTH_HINT) as Read<LengthDistribution>;
    },
    validate: (v, where) => validateLengthDistribution(v, where),
  };
}

export function stringList(): ValueType<string[]> {
  return {
    doc: 'list of text',
    fromText: (t) => ok(Array.isArray(t) ? t : [t]),
    fromFile: (v, where) => zodRead(z.array(z.string().min(1)), v, where),
    validate: () => [],
  };
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** HTTP headers: `Name: value` flags, or a mapping in a file. */
export function headers(): ValueType<Record<string, string>> {
  return {
    doc: '"Name: value"',
    fromText: (t, where) => {
      const out: Record<string, string> = {};
      const problems: Problem[] = [];
      for (const h of Array.isArray(t) ? t : [t]) {
        const i = h.indexOf(':');
        if (i <= 0) problems.push({ where: `${where} ${JSON.stringify(h)}`, message: 'expected "Name: value"', hint: 'e.g. --header "X-Tenant: bench"' });
        else out[h.slice(0, i).trim()] = h.slice(i + 1).trim();
      }
      return problems.length ? { ok: false, problems } : ok(out);
    },
    fromFile: (v, where) => zodRead(z.record(z.string(), z.string()), v, where),
    validate: (v, where) =>
      // A header value with CR/LF would smuggle extra headers into every request.
      Object.entries(v)
        .filter(([k, val]) => /[\r\n]/.test(k) || /[\r\n]/.test(val) || !HEADER_NAME.test(k))
        .map(([k]) => ({ where: `${where} ${JSON.stringify(k)}`, message: 'invalid header name or value (CR/LF or illegal characters)', hint: 'header names are tokens like X-Tenant; values are one line' })),
  };
}

/** Parquet column roles: `role=name` flags (src/dataset/columns.ts), or a mapping in a file. */
export function columns(): ValueType<ColumnOverrides> {
  return {
    doc: 'role=column',
    fromText: (t) => {
      const problems: Problem[] = [];
      const out = parseColumnOverrides(Array.isArray(t) ? t : [t], problems);
      return problems.length ? { ok: false, problems } : ok(out);
    },
    fromFile: (v, where) => zodRead(z.partialRecord(z.enum(COLUMN_ROLES as [ColumnRole, ...ColumnRole[]]), z.string()), v, where),
    validate: () => [],
  };
}

/** An object passed through as is (request.extraBody). */
export function record(): ValueType<Record<string, unknown>> {
  return {
    doc: 'mapping',
    fromText: (_t, where) => bad(where, 'only settable in a scenario file'),
    fromFile: (v, where) => zodRead(z.record(z.string(), z.unknown()), v, where),
    validate: () => [],
  };
}

const endpointObject = z.strictObject({ url: z.string().min(1), model: z.string().min(1).optional(), labels: z.record(z.string(), z.string()).optional() });

/** Endpoints: `URL[,model=M,key=value…]` texts (flag, environment), or a file list of strings and {url, model, labels}. */
export function endpoints(): ValueType<EndpointSpec[]> {
  return {
    doc: 'URL[,model=M,key=value…]',
    fromText: (t, where) => tryRead(() => (Array.isArray(t) ? t.map((e) => parseEndpointArg(e, where)) : parseEndpointList(t, where))),
    fromFile: (v, where) => {
      if (!Array.isArray(v)) return bad(where, 'expected a list of endpoints', 'e.g. [http://node1:8000, {url: http://node2:8000, labels: {gpu: MI355X}}]');
      const out: EndpointSpec[] = [];
      const problems: Problem[] = [];
      v.forEach((e, i) => {
        const r: Read<EndpointSpec> = typeof e === 'string' ? tryRead(() => parseEndpointArg(e, `${where}[${i}]`)) : (() => {
          const o = zodRead(endpointObject, e, `${where}[${i}]`);
          return o.ok ? ok({ url: o.value.url, model: o.value.model ?? null, labels: o.value.labels ?? {} }) : o;
        })();
        if (r.ok) out.push(r.value);
        else problems.push(...r.problems);
      });
      return problems.length ? { ok: false, problems } : ok(out);
    },
    // Checked here, with the other settings, so a bad URL is reported with every other problem.
    validate: (v, where) => v.flatMap((e) => {
      const r = parseEndpointUrl(e.url, where);
      return r.ok ? [] : [r.problem];
    }),
  };
}
