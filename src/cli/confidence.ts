/**
 * `--confidence` of run, merge and compare: `95%`, `95` or `0.95`, all meaning
 * a 95% confidence level for the intervals (docs/metrics.md "Confidence intervals").
 */
import type { Problem } from '../errors.js';

/** The level as a fraction in (0, 1); pushes a Problem naming `where` and returns undefined when it is not one. */
export function parseConfidence(text: string | undefined, where: string, problems: Problem[]): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*$/.exec(text);
  const n = m === null ? NaN : Number(m[1]);
  // a bare number above 1 is a percentage (95), at or below 1 a fraction (0.95)
  const c = m !== null && (m[2] === '%' || n > 1) ? n / 100 : n;
  if (!(c > 0 && c < 1)) {
    problems.push({ where, message: `expected a confidence level between 0 and 100%, got ${JSON.stringify(text)}`, hint: 'e.g. --confidence 95% (or 0.95, or 99%)' });
    return undefined;
  }
  return c;
}
