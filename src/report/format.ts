/**
 * Number and unit formatting shared by the human-facing reporters (terminal,
 * Markdown, HTML). One rule set everywhere, so a figure reads the same in
 * every report:
 *
 * - Missing or non-finite values (null, undefined, NaN, ±Infinity) print as
 *   DASH, never as "NaN" or "Infinity".
 * - Counts and rates use thousands separators (`12,345`), never k/M suffixes,
 *   so a column of them lines up and compares digit by digit.
 * - Rates keep about three significant digits below 1,000 (`12.3`, `1.23`,
 *   `123`), and whole numbers from 1,000 (`12,345`).
 * - Durations pick their unit per value: µs below 1 ms, ms below 1 s, s above,
 *   with three significant digits (`850 µs`, `12.3 ms`, `1.23 s`).
 */

export const DASH = '–';

function finite(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** `1234567.8` with `digits` decimals and thousands separators. Locale-independent. */
export function grouped(x: number, digits = 0): string {
  const fixed = Math.abs(x).toFixed(digits);
  const [int, frac] = fixed.split('.') as [string, string | undefined];
  const withSep = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = x < 0 && Number(fixed) !== 0 ? '-' : '';
  return sign + withSep + (frac === undefined ? '' : `.${frac}`);
}

/** Integer count: `12,345`. */
export function formatCount(x: number | null | undefined): string {
  if (!finite(x)) return DASH;
  return grouped(Math.round(x));
}

/** Decimals giving about three significant digits for a value below 1,000; 0 from 1,000 up. */
function decimalsFor(abs: number): number {
  if (abs >= 100 || abs === 0) return 0;
  if (abs >= 10) return 1;
  if (abs >= 1) return 2;
  return 3;
}

/** A rate or any real figure: `12,345`, `123`, `12.3`, `1.23`, `0.123`. */
export function formatNumber(x: number | null | undefined): string {
  if (!finite(x)) return DASH;
  const abs = Math.abs(x);
  // round first so 99.96 becomes "100", not "100.0"
  const d = decimalsFor(abs);
  const rounded = Number(abs.toFixed(d));
  return grouped(x < 0 ? -rounded : rounded, decimalsFor(rounded));
}

/** A configured value (QPS, burstiness): whole numbers as they are (`10`), others as formatNumber. */
export function formatPlain(x: number | null | undefined): string {
  if (!finite(x)) return DASH;
  return Number.isInteger(x) ? grouped(x) : formatNumber(x);
}

/** A rate with its unit: `12,345 tok/s`. */
export function formatRate(x: number | null | undefined, unit: string): string {
  const n = formatNumber(x);
  return n === DASH ? DASH : `${n} ${unit}`;
}

/** A duration given in ms, in the unit that suits its magnitude: `850 µs`, `12.3 ms`, `1.23 s`, `1,234 s`. */
export function formatDurationMs(ms: number | null | undefined): string {
  if (!finite(ms)) return DASH;
  const abs = Math.abs(ms);
  if (abs === 0) return '0 µs';
  // 0.9996 ms rounds to 1,000 µs: say 1.00 ms instead
  if (abs < 0.9995) {
    const us = ms * 1000;
    // below 1 ms values are whole µs already; keep a decimal only under 10 µs (ITL of batched chunks)
    return `${Math.abs(us) < 10 ? formatNumber(us) : grouped(Math.round(us))} µs`;
  }
  if (abs < 1000) {
    const text = formatNumber(ms);
    // 999.7 ms rounds to "1,000": say 1.00 s instead
    return text === '1,000' ? '1.00 s' : `${text} ms`;
  }
  return `${formatNumber(ms / 1000)} s`;
}

/** A ratio as a percentage: `96.5%`. */
export function formatPercent(fraction: number | null | undefined): string {
  if (!finite(fraction)) return DASH;
  return `${formatNumber(fraction * 100)}%`;
}

/** Visible width of a string, ignoring ANSI escape sequences. */
export function visibleWidth(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

export function padEnd(s: string, width: number): string {
  const w = visibleWidth(s);
  return w >= width ? s : s + ' '.repeat(width - w);
}

export function padStart(s: string, width: number): string {
  const w = visibleWidth(s);
  return w >= width ? s : ' '.repeat(width - w) + s;
}

/** Word-wraps `text` to `width` columns, continuation lines prefixed with `indent`. */
export function wrap(text: string, width: number, indent = ''): string {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const prefix = lines.length === 0 ? '' : indent;
    if (line !== '' && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push((lines.length === 0 ? '' : indent) + line);
  return lines.join('\n');
}

/** ` ± 1.9%`: an interval's half-width after its figure; '' when the run has no interval. */
export function formatHalfWidth(pct: number | null | undefined): string {
  if (!finite(pct)) return '';
  return ` ± ${pct < 10 ? pct.toFixed(1) : formatNumber(pct)}%`;
}

/** `12.1–13.4 ms` (one unit when both share it); `≥ 12.1 ms` / `≤ 13.4 ms` with one side; DASH with none. */
export function formatDurationRange(low: number | null, high: number | null): string {
  if (low === null && high === null) return DASH;
  if (high === null) return `≥ ${formatDurationMs(low)}`;
  if (low === null) return `≤ ${formatDurationMs(high)}`;
  const a = formatDurationMs(low);
  const b = formatDurationMs(high);
  const unitA = a.slice(a.lastIndexOf(' '));
  return unitA === b.slice(b.lastIndexOf(' ')) ? `${a.slice(0, a.lastIndexOf(' '))}–${b}` : `${a}–${b}`;
}
