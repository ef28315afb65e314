import { describe, expect, it } from 'vitest';
import { formatCppDefault, formatCppFixed, formatCppInteger, percentileLabel } from '../../../src/report/mlperf-summary.js';
import { formatTimeMs } from '../../../src/report/mlperf-detail.js';

// Expected strings were produced by C printf on the same doubles (Python's
// '%g' % x and '%.2f' % x call it), which is what a C++ ostream delegates to.
const percentG: [number, string][] = [
  [92.1544, '92.1544'],
  [3629.9831539543966, '3629.98'],
  [1042110, '1.04211e+06'],
  [6.90935e-9, '6.90935e-09'],
  [0.99, '0.99'],
  [83.5, '83.5'],
  [3650, '3650'],
  [0, '0'],
  [-0, '-0'],
  [-2.5, '-2.5'],
  [100000, '100000'],
  [999999.4, '999999'],
  [999999.5, '1e+06'], // carry into a new exponent
  [1e-5, '1e-05'],
  [0.0001, '0.0001'],
  [0.00012345678, '0.000123457'],
  [123456789, '1.23457e+08'],
  [1234565, '1.23456e+06'], // exact tie: half to even
  [1234575, '1.23458e+06'], // exact tie: half to even
  [9.999995, '10'],
  [5e-324, '4.94066e-324'],
  [1.7976931348623157e308, '1.79769e+308'],
  [1 / 3, '0.333333'],
  [2 / 3, '0.666667'],
  [704.646, '704.646'],
  [384496.98, '384497'],
  [7.75354e-8, '7.75354e-08'],
];

const percent2f: [number, string][] = [
  [1016375, '1016375.00'],
  [3591.83, '3591.83'],
  [0.125, '0.12'], // exact tie: half to even
  [0.375, '0.38'], // exact tie: half to even
  [2.675, '2.67'], // the double is just below 2.675
  [1.005, '1.00'],
  [0.005, '0.01'], // the double is just above 0.005
  [9.995, '9.99'],
  [-1.5, '-1.50'],
  [0, '0.00'],
  [123.456, '123.46'],
  [1e15 + 0.125, '1000000000000000.12'],
  [785521.65, '785521.65'],
];

describe('C++ default double formatting (%g, precision 6)', () => {
  it.each(percentG)('%s → %s', (x, expected) => {
    expect(formatCppDefault(x)).toBe(expected);
  });

  it('agrees with toPrecision(6) on value for many doubles, and uses %g layout rules', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 3000; i++) {
      const x = (rand() - 0.2) * 10 ** Math.floor(rand() * 30 - 12);
      const s = formatCppDefault(x);
      expect(Number(s)).toBe(Number(x.toPrecision(6)));
      const exponent = Math.floor(Math.log10(Math.abs(Number(s))));
      // scientific exactly when the exponent is < -4 or ≥ 6
      expect(s.includes('e')).toBe(exponent < -4 || exponent >= 6);
      expect(s).not.toMatch(/\.\d*0(e|$)/); // no trailing zeros
    }
  });

  it('writes non-finite values as C does', () => {
    expect(formatCppDefault(Infinity)).toBe('inf');
    expect(formatCppDefault(NaN)).toBe('nan');
    expect(formatCppFixed(-Infinity)).toBe('-inf');
  });
});

describe('C++ fixed formatting (DoubleToString, 2 decimals)', () => {
  it.each(percent2f)('%s → %s', (x, expected) => {
    expect(formatCppFixed(x)).toBe(expected);
  });

  it('labels percentiles as LoadGen does', () => {
    expect([0.5, 0.9, 0.95, 0.97, 0.99, 0.999].map(percentileLabel)).toEqual(['50.00', '90.00', '95.00', '97.00', '99.00', '99.90']);
  });
});

describe('integers and time stamps', () => {
  it('prints big integers without exponent', () => {
    expect(formatCppInteger(1387907267424)).toBe('1387907267424');
    expect(formatCppInteger(1e21)).toBe('1000000000000000000000');
  });

  it('writes time_ms as ms plus a 6-digit ns remainder', () => {
    expect(formatTimeMs(4820)).toBe('0.004820');
    expect(formatTimeMs(31_049_757_654)).toBe('31049.757654');
    expect(formatTimeMs(0)).toBe('0.000000');
  });
});
