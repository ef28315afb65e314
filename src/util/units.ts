/** Parsing of human-friendly quantities on flags. */

const DURATION_UNITS_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/**
 * `1500ms`, `90s`, `10m`, `1h`, `1m30s`; a bare number is `bareUnit` (seconds by
 * default, as most CLIs take --duration). Returns ms, or null if it does not parse.
 */
export function parseDurationMs(text: string, bareUnit: 'ms' | 's' = 's'): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * (bareUnit === 's' ? 1000 : 1);
  const re = /(\d+(?:\.\d+)?)\s*(us|µs|ms|min|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
    consumed = re.lastIndex;
  }
  return consumed === t.length ? total : null;
}

/** `100`, `2.5k`, `1M`, `1_000`; returns null if it does not parse. */
export function parseCount(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([kKmMgG]?)$/.exec(text.trim().replace(/_/g, ''));
  if (!m) return null;
  const mult = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 }[m[2]!]!;
  return Number(m[1]) * mult;
}
