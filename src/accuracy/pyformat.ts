/**
 * The few numeric behaviours of Python and numpy that the MLPerf evaluators'
 * printed numbers depend on, so accuracy.txt carries the digits they would print.
 *
 * - `np.mean(list)`: pairwise summation (numpy's `pairwise_sum`, blocks of 128
 *   with 8 accumulators), then one division.
 * - `round(np.float64, n)`: numpy's `around`: multiply by 10^n, round half to
 *   even (`rint`), divide.
 * - `round(float, n)` and `f"{x:.nf}"`: correctly rounded, half to even on the
 *   double's exact value (as glibc's printf, formatCppFixed).
 * - `repr(float)`: the shortest round-tripping digits, "44.0" for integral
 *   values, exponent form below 1e-4 and from 1e16.
 */
import { formatCppFixed } from '../report/mlperf-summary.js';

const PW_BLOCKSIZE = 128;

/** numpy `pairwise_sum` over a contiguous float64 array (numpy/core/src/umath/loops_utils.h.src). */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    // numpy starts from -0.0 so that a sum of -0.0 values stays -0.0
    let res = -0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    const r = new Float64Array(8);
    for (let k = 0; k < 8; k++) r[k] = a[start + k]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let k = 0; k < 8; k++) r[k]! += a[start + i + k]!;
    }
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `np.mean(values)` of a non-empty list of floats. */
export function npMean(values: ArrayLike<number>): number {
  return pairwiseSum(values) / values.length;
}

/** Round half to even to an integer (C `rint` in the default rounding mode). */
export function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** `round(np.float64(x), decimals)` for decimals ≥ 0: numpy's multiply, rint, divide. */
export function npRound(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return rint(x * f) / f;
}

/** Python's `round(x, ndigits)` on a float: correctly rounded, ties to even. */
export function pyRound(x: number, ndigits: number): number {
  return Number(formatCppFixed(x, ndigits));
}

/** Python's `f"{x:.{digits}f}"`. */
export function pyFixed(x: number, digits: number): string {
  return formatCppFixed(x, digits);
}

/** Python's `repr(x)` of a float. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest round-tripping digits, as repr does
  const [mant, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const negative = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let body: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp >= 0) {
    const intLen = exp + 1;
    const padded = digits.padEnd(intLen, '0');
    const intPart = padded.slice(0, intLen);
    const frac = padded.slice(intLen);
    body = `${intPart}.${frac === '' ? '0' : frac}`;
  } else {
    body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return negative ? `-${body}` : body;
}

/** Python's `len(s)`: code points, not UTF-16 units. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
