/**
 * Threshold limits (`2s`, `95k`, `0.5%`, `1e15`) read with the one quantity
 * grammar (src/util/units.ts), the dimension given by the metric: a duration
 * limit must carry a unit, a rate or count takes k/M/G, a ratio takes % or a
 * fraction. Values come out in the metric's natural unit (ms, tokens/s,
 * requests/s, requests, fraction), exactly.
 */
import { parseQuantity, suffixKind, type Dimension } from '../util/units.js';
import type { MetricDef } from './catalogue.js';

/** A limit, or why it does not read (the caller names where). */
export type LimitResult = { ok: true; value: number } | { ok: false; message: string; hint: string };

const DURATION_UNITS_TEXT = 'units: us, ms, s, m (minutes), h';

export function exampleLimit(def: Pick<MetricDef, 'kind' | 'unit'>): string {
  switch (def.kind) {
    case 'duration': return '2s';
    case 'rate': return def.unit === 'tokens/s' ? '95k' : '10';
    case 'count': return '1000';
    case 'ratio': return '0.5%';
    case 'boolean': return '';
  }
}

function describeSuffix(suffix: string): string {
  switch (suffixKind(suffix)) {
    case 'duration': return 'a duration';
    case 'count': return 'a count';
    case 'percent': return 'a percentage';
    case 'none': return 'a plain number';
    case 'unknown': return `in an unknown unit '${suffix}'`;
  }
}

/** The suffix a limit ends in (for messages), whatever the dimension. */
function suffixOf(text: string): string {
  return /([^\d\s.]*)$/u.exec(text)?.[1] ?? '';
}

export function parseLimit(text: string, def: MetricDef): LimitResult {
  const bad = (message: string, hint: string): LimitResult => ({ ok: false, message, hint });
  if (def.kind === 'boolean') return bad(`'${def.name}' is a boolean and takes no comparison`, `write '${def.name}' on its own`);
  if (text === '') return bad('missing limit', `write a limit after the operator, e.g. ${exampleLimit(def)}`);
  if (text.startsWith('-')) return bad(`bad limit '${text}'`, 'limits are non-negative');
  // counts as limits may be fractional bounds (`completed > 1.5k` is fine), so they read as rates
  const dim: Dimension = def.kind === 'count' ? 'rate' : def.kind;
  const r = parseQuantity(text, dim, { bareDuration: null });
  if (r.ok) {
    if (def.kind === 'ratio' && r.value > 1) {
      return text.trim().endsWith('%')
        ? bad(`'${text}' is more than 100%`, `'${def.name}' is a fraction of requests: 0% to 100%`)
        : bad(`'${def.name}' is a fraction from 0 to 1, and ${text} is more than 1`, `did you mean ${text}%?`);
    }
    return { ok: true, value: r.value };
  }
  const suffix = r.error.suffix || suffixOf(text);
  switch (r.error.code) {
    case 'needs-unit':
      return bad(`'${def.name}' is a duration: the limit needs a unit`, `write ${text}ms or ${text}s (${DURATION_UNITS_TEXT})`);
    case 'wrong-unit':
      if (def.kind === 'duration') {
        return bad(`'${def.name}' is a duration, but '${text}' is ${describeSuffix(suffix)}`, `compare a duration with a duration: e.g. ${def.name} < 500ms or < 2s (${DURATION_UNITS_TEXT})`);
      }
      if (def.kind === 'ratio') {
        return bad(`'${def.name}' is a fraction of requests, but '${text}' is ${describeSuffix(suffix)}`, 'write a percentage (0.5%) or a fraction (0.005)');
      }
      return bad(
        `'${def.name}' is ${def.kind === 'rate' ? `a rate (${def.unit})` : `a count (${def.unit})`}, but '${text}' is ${describeSuffix(suffix)}`,
        `write a plain number or use k, M, G: e.g. ${exampleLimit(def)}${suffix === 'm' ? "; 'm' means minutes, write M for millions" : ''}`,
      );
    default:
      return bad(`bad limit '${text}'`, `write a number with an optional suffix, e.g. ${exampleLimit(def)}`);
  }
}
