/**
 * Token-length distributions for synthetic samples: drawing, parsing the CLI
 * grammar, validating. Every draw is an integer in [min, max] and at least 1,
 * because a request needs at least one prompt token and one output token.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, didYouMean, type Problem } from '../errors.js';
import type { Rng } from '../util/rng.js';
import type { LengthDistribution } from './types.js';

export const LENGTH_SPEC_GRAMMAR =
  'N | fixed:N | uniform:MIN-MAX | normal:mean=M,stddev=S[,min=A][,max=B] | ' +
  'lognormal:mean=M,stddev=S[,min=A][,max=B] | empirical:V1,V2,... | empirical:V1:W1,V2:W2,... | empirical:FILE.json';

/** min when a normal/lognormal spec leaves it out */
export const DEFAULT_MIN_TOKENS = 1;
/**
 * max when a normal/lognormal spec leaves it out, in standard deviations above
 * the mean: past every normal draw, and it cuts ~0.05% of a lognormal's tail
 * (cv 0.67). Say max= when the tail matters.
 */
export const DEFAULT_MAX_STDDEVS = 8;

/** Cumulative weights of empirical distributions, computed once per distribution object. */
const cumulativeCache = new WeakMap<object, Float64Array>();

export function drawLength(dist: LengthDistribution, rng: Rng): number {
  switch (dist.kind) {
    case 'fixed':
      return Math.max(1, Math.round(dist.value));
    case 'uniform':
      return clamp(dist.min + rng.int(dist.max - dist.min + 1), dist.min, dist.max);
    case 'normal':
      return clamp(Math.round(dist.mean + dist.stddev * rng.normal()), dist.min, dist.max);
    case 'lognormal': {
      const { mu, sigma } = lognormalParams(dist.mean, dist.stddev);
      return clamp(Math.round(Math.exp(mu + sigma * rng.normal())), dist.min, dist.max);
    }
    case 'empirical': {
      const values = dist.values;
      if (dist.weights === undefined) return Math.max(1, Math.round(values[rng.int(values.length)]!));
      let cumulative = cumulativeCache.get(dist);
      if (cumulative === undefined) {
        cumulative = new Float64Array(dist.weights.length);
        let sum = 0;
        dist.weights.forEach((w, i) => {
          sum += w;
          cumulative![i] = sum;
        });
        cumulativeCache.set(dist, cumulative);
      }
      const target = rng.next() * cumulative[cumulative.length - 1]!;
      // First index whose cumulative weight exceeds the target (zero weights are never picked).
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid]! > target) hi = mid;
        else lo = mid + 1;
      }
      return Math.max(1, Math.round(values[lo]!));
    }
  }
}

/**
 * The mean and standard deviation given for a lognormal are those of the
 * lengths themselves (what a user reads off a dataset), not of the underlying
 * normal: sigma² = ln(1 + s²/m²), mu = ln(m) - sigma²/2.
 */
/** Mean of a distribution before clamping to [min, max] (exact for fixed, uniform and empirical). */
export function meanLength(dist: LengthDistribution): number {
  switch (dist.kind) {
    case 'fixed':
      return dist.value;
    case 'uniform':
      return (dist.min + dist.max) / 2;
    case 'normal':
    case 'lognormal':
      return dist.mean;
    case 'empirical': {
      const w = dist.weights ?? dist.values.map(() => 1);
      const total = w.reduce((a, b) => a + b, 0);
      return dist.values.reduce((acc, v, i) => acc + v * (w[i] ?? 0), 0) / (total || 1);
    }
  }
}

export function lognormalParams(mean: number, stddev: number): { mu: number; sigma: number } {
  const sigma2 = Math.log(1 + (stddev * stddev) / (mean * mean));
  return { mu: Math.log(mean) - sigma2 / 2, sigma: Math.sqrt(sigma2) };
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(1, min, Math.min(max, value));
}

/** A one-line description, e.g. for SampleLibrary.source. */
export function describeLengthDistribution(dist: LengthDistribution): string {
  switch (dist.kind) {
    case 'fixed':
      return `fixed:${dist.value}`;
    case 'uniform':
      return `uniform:${dist.min}-${dist.max}`;
    case 'normal':
    case 'lognormal':
      return `${dist.kind}:mean=${dist.mean},stddev=${dist.stddev},min=${dist.min},max=${dist.max}`;
    case 'empirical':
      return `empirical:${dist.values.length} values${dist.weights ? ' (weighted)' : ''}`;
  }
}

// ---------------------------------------------------------------- parsing

/** Parse a CLI length spec (see LENGTH_SPEC_GRAMMAR). Throws ConfigError naming `where`. */
export function parseLengthSpec(text: string, where: string): LengthDistribution {
  const spec = text.trim();
  const fail: (message: string) => never = (message) => {
    throw new ConfigError({ where, message, hint: `length specs: ${LENGTH_SPEC_GRAMMAR}` });
  };
  if (spec === '') fail('empty length spec');

  const colon = spec.indexOf(':');
  const kind = colon < 0 ? spec : spec.slice(0, colon).trim().toLowerCase();
  const body = colon < 0 ? '' : spec.slice(colon + 1).trim();

  let dist: LengthDistribution;
  if (colon < 0 && /^[+]?\d+(\.\d+)?$/.test(spec)) {
    dist = { kind: 'fixed', value: Number(spec) };
  } else {
    switch (kind) {
      case 'fixed':
        dist = { kind: 'fixed', value: parseNumber(body, 'value', fail) };
        break;
      case 'uniform': {
        const range = /^(\d+)\s*-\s*(\d+)$/.exec(body);
        if (range) {
          dist = { kind: 'uniform', min: Number(range[1]), max: Number(range[2]) };
        } else {
          const kv = parseKeyValues(body, ['min', 'max'], ['min', 'max'], fail);
          dist = { kind: 'uniform', min: kv.min!, max: kv.max! };
        }
        break;
      }
      case 'normal':
      case 'lognormal': {
        const kv = parseKeyValues(body, ['mean', 'stddev', 'min', 'max'], ['mean', 'stddev'], fail);
        const mean = kv.mean!;
        const stddev = kv.stddev!;
        dist = {
          kind,
          mean,
          stddev,
          min: kv.min ?? DEFAULT_MIN_TOKENS,
          max: kv.max ?? Math.ceil(mean + DEFAULT_MAX_STDDEVS * stddev),
        };
        break;
      }
      case 'empirical':
        dist = parseEmpirical(body, fail);
        break;
      default: {
        const known = ['fixed', 'uniform', 'normal', 'lognormal', 'empirical'];
        const guess = didYouMean(kind, known);
        fail(`unknown distribution ${JSON.stringify(kind)}${guess ? ` (did you mean ${guess}?)` : ''}`);
        throw new Error('unreachable');
      }
    }
  }
  const problems = validateLengthDistribution(dist, where);
  if (problems.length > 0) throw new ConfigError(problems);
  return dist;
}

const KEY_ALIASES: Record<string, string> = { std: 'stddev', sd: 'stddev', sigma: 'stddev', avg: 'mean' };

function parseKeyValues(
  body: string,
  allowed: readonly string[],
  required: readonly string[],
  fail: (message: string) => never,
): Record<string, number> {
  const out: Record<string, number> = {};
  if (body === '') fail(`expected ${allowed.map((k) => `${k}=N`).join(',')}`);
  for (const part of body.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) fail(`expected key=value, got ${JSON.stringify(part.trim())}`);
    const rawKey = part.slice(0, eq).trim().toLowerCase();
    const key = KEY_ALIASES[rawKey] ?? rawKey;
    if (!allowed.includes(key)) {
      const guess = didYouMean(rawKey, allowed);
      fail(`unknown key ${JSON.stringify(rawKey)}${guess ? ` (did you mean ${guess}?)` : ''}; allowed: ${allowed.join(', ')}`);
    }
    if (key in out) fail(`${key} given twice`);
    out[key] = parseNumber(part.slice(eq + 1), key, fail);
  }
  const missing = required.filter((k) => !(k in out));
  if (missing.length > 0) fail(`missing ${missing.join(' and ')}`);
  return out;
}

function parseNumber(text: string, name: string, fail: (message: string) => never): number {
  const t = text.trim();
  const n = t === '' ? NaN : Number(t);
  if (!Number.isFinite(n)) fail(`${name} must be a number, got ${JSON.stringify(t)}`);
  return n;
}

function parseEmpirical(body: string, fail: (message: string) => never): LengthDistribution {
  if (body === '') fail('empirical needs values (empirical:10,20,30) or a JSON file (empirical:lengths.json)');
  if (/^[\d\s.,:+]+$/.test(body)) {
    const values: number[] = [];
    const weights: number[] = [];
    let weighted = false;
    for (const part of body.split(',')) {
      if (part.trim() === '') fail('empty value in the list');
      const [v, w, extra] = part.split(':');
      if (extra !== undefined) fail(`expected VALUE or VALUE:WEIGHT, got ${JSON.stringify(part.trim())}`);
      values.push(parseNumber(v ?? '', 'value', fail));
      if (w !== undefined) weighted = true;
      weights.push(w === undefined ? 1 : parseNumber(w, 'weight', fail));
    }
    return weighted ? { kind: 'empirical', values, weights } : { kind: 'empirical', values };
  }
  return readEmpiricalFile(body.startsWith('@') ? body.slice(1) : body, fail);
}

function readEmpiricalFile(path: string, fail: (message: string) => never): LengthDistribution {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    fail(`cannot read ${path}${code ? ` (${code})` : ''}`);
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    fail(`${path} is not JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(data)) return { kind: 'empirical', values: data as number[] };
  if (typeof data === 'object' && data !== null && Array.isArray((data as { values?: unknown }).values)) {
    const { values, weights } = data as { values: number[]; weights?: unknown };
    if (weights === undefined) return { kind: 'empirical', values };
    if (!Array.isArray(weights)) fail(`${path}: "weights" must be an array of numbers`);
    return { kind: 'empirical', values, weights: weights as number[] };
  }
  fail(`${path} must hold a JSON array of token counts or {"values": [...], "weights": [...]}`);
  throw new Error('unreachable');
}

// ---------------------------------------------------------------- validation

/** Every problem with a distribution (from a flag or a scenario file), none thrown. */
export function validateLengthDistribution(dist: LengthDistribution, where: string): Problem[] {
  const problems: Problem[] = [];
  const hint = `length specs: ${LENGTH_SPEC_GRAMMAR}`;
  const add = (message: string): void => {
    problems.push({ where, message, hint });
  };
  const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const checkTokens = (v: unknown, name: string): boolean => {
    if (!isNum(v) || !Number.isInteger(v) || v < 1) {
      add(`${name} must be a whole number of tokens >= 1, got ${JSON.stringify(v)}`);
      return false;
    }
    return true;
  };
  const checkBounds = (d: { min: unknown; max: unknown }): boolean => {
    const ok = checkTokens(d.min, 'min') && checkTokens(d.max, 'max');
    if (ok && (d.min as number) > (d.max as number)) {
      add(`min ${d.min as number} is greater than max ${d.max as number}`);
      return false;
    }
    return ok;
  };

  if (typeof dist !== 'object' || dist === null) {
    add(`expected a length distribution, got ${JSON.stringify(dist)}`);
    return problems;
  }
  const kind = (dist as { kind?: unknown }).kind;
  switch (dist.kind) {
    case 'fixed':
      checkTokens(dist.value, 'value');
      break;
    case 'uniform':
      checkBounds(dist);
      break;
    case 'normal':
    case 'lognormal': {
      const bounded = checkBounds(dist);
      const meanOk = isNum(dist.mean) && dist.mean > 0;
      if (!meanOk) add(`mean must be a number > 0, got ${JSON.stringify(dist.mean)}`);
      if (!isNum(dist.stddev) || dist.stddev < 0) add(`stddev must be a number >= 0, got ${JSON.stringify(dist.stddev)}`);
      if (bounded && meanOk && (dist.mean < dist.min || dist.mean > dist.max)) {
        add(`mean ${dist.mean} is outside [min ${dist.min}, max ${dist.max}], so nearly every draw would be clamped`);
      }
      break;
    }
    case 'empirical': {
      const { values, weights } = dist;
      if (!Array.isArray(values) || values.length === 0) {
        add('empirical needs at least one value');
        break;
      }
      const bad = values.findIndex((v) => !isNum(v) || !Number.isInteger(v) || v < 1);
      if (bad >= 0) add(`value #${bad + 1} must be a whole number of tokens >= 1, got ${JSON.stringify(values[bad])}`);
      if (weights !== undefined) {
        if (!Array.isArray(weights) || weights.length !== values.length) {
          add(`weights must have one entry per value (${values.length})`);
        } else if (weights.some((w) => !isNum(w) || w < 0)) {
          add('weights must be numbers >= 0');
        } else if (weights.reduce((a, b) => a + b, 0) <= 0) {
          add('weights must not all be 0');
        }
      }
      break;
    }
    default:
      add(`unknown distribution kind ${JSON.stringify(kind)}; expected fixed, uniform, normal, lognormal or empirical`);
  }
  return problems;
}
