import { describe, expect, it } from 'vitest';
import { describeQuantityError, parseCount, parseDurationMs, parseQuantity, type Dimension } from '../../../src/util/units.js';

const value = (text: string, dim: Dimension, bare?: 'ms' | 's' | null) => {
  const r = parseQuantity(text, dim, bare === undefined ? {} : { bareDuration: bare });
  if (!r.ok) throw new Error(`${text}: ${r.error.code}`);
  return r.value;
};
const error = (text: string, dim: Dimension) => {
  const r = parseQuantity(text, dim);
  if (r.ok) throw new Error(`${text} read as ${r.value}`);
  return { ...r.error, ...describeQuantityError(text, dim, r.error) };
};

describe('one quantity grammar', () => {
  it.each([
    ['2.01k', 2010],
    ['1.005k', 1005],
    ['8.2M', 8_200_000],
    ['1e15', 1e15],
    ['1.5e3', 1500],
    ['1_000', 1000],
    ['2G', 2e9],
    ['200', 200],
  ])('count %s = %d, exactly', (text, n) => {
    expect(value(text, 'count')).toBe(n);
  });

  it.each([
    ['1500ms', 1500],
    ['90s', 90_000],
    ['10m', 600_000],
    ['10min', 600_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['250us', 0.25],
    ['1e3ms', 1000],
    ['1.5m', 90_000],
  ])('duration %s = %d ms', (text, ms) => {
    expect(value(text, 'duration')).toBe(ms);
  });

  it('a bare duration is seconds on flags, ms where asked, refused where a unit is required', () => {
    expect(value('30', 'duration')).toBe(30_000);
    expect(value('30', 'duration', 'ms')).toBe(30);
    expect(parseQuantity('30', 'duration', { bareDuration: null })).toEqual({ ok: false, error: { code: 'needs-unit', suffix: '' } });
  });

  it('a suffix means what the dimension says: m is minutes, never millions', () => {
    const e = error('2m', 'count');
    expect(e.code).toBe('wrong-unit');
    expect(e.hint).toContain("'m' means minutes; millions is M");
    expect(error('2k', 'duration').hint).toContain("'k' makes it a count");
    expect(error('5%', 'rate').code).toBe('wrong-unit');
  });

  it('counts must come out whole', () => {
    expect(error('2.0005k', 'count').code).toBe('not-integer');
    expect(error('1.5', 'count').message).toContain('whole number');
    expect(value('1.5', 'rate')).toBe(1.5);
  });

  it('refuses what is not a quantity', () => {
    for (const t of ['', 'lots', '1..2', '1e', 'k', '2 k k', '1s2']) expect(parseQuantity(t, 'count').ok, t).toBe(false);
    expect(error('10parsecs', 'duration').hint).toContain("unknown unit 'parsecs'");
  });

  it('ratios: percent or fraction', () => {
    expect(value('0.57%', 'ratio')).toBe(0.0057);
    expect(value('0.005', 'ratio')).toBe(0.005);
  });

  it('the helpers other modules use read the same grammar', () => {
    expect(parseCount('2.01k')).toBe(2010);
    expect(parseCount('2m')).toBeNull();
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('1500', 'ms')).toBe(1500);
  });
});
