/**
 * GPU energy over the run's throughput window, from scraped telemetry, and
 * tokens per joule (docs/reports.md, "Tokens per joule").
 *
 * Per source (exporter), one metric is used so one GPU is never counted twice:
 * an energy counter when the exporter has one (DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION
 * in mJ, AMD GPU_ENERGY_CONSUMED in µJ: the GPU integrates, nothing is missed
 * between scrapes), else the first power gauge found (DCGM_FI_DEV_POWER_USAGE,
 * AMD GPU_POWER_USAGE, GPU_PACKAGE_POWER, GPU_AVERAGE_PACKAGE_POWER, in W),
 * integrated with trapezoids between scrapes. Every series of that metric
 * (one per GPU) is summed, and the sources are added up.
 *
 * The window is [t = 0, summary.durationMs], the same window as output
 * tokens/s, so tokens per joule = output tokens / joules = (tokens/s) / (W).
 * Where the scrapes do not reach an edge of the window, the mean power over the
 * covered part stands in for the rest; a series covering under half the window
 * gives no figure.
 */
import type { TelemetryEnergy } from '../metrics/types.js';
import { catalogEntry, ENERGY_COUNTERS, POWER_GAUGES } from './catalog.js';

export interface RawSeries {
  name: string;
  labels: Record<string, string>;
  kind: 'gauge' | 'counter';
  /** applied to values when stored (catalogue scale) */
  scale: number;
  unit?: string;
  title?: string;
  /** flat pairs: clock µs, raw value */
  points: number[];
}

const MIN_COVERAGE = 0.5;

/** Value at time t by linear interpolation, clamped to the first and last points. */
function valueAt(p: readonly number[], t: number): number {
  const n = p.length / 2;
  if (t <= p[0]!) return p[1]!;
  if (t >= p[(n - 1) * 2]!) return p[(n - 1) * 2 + 1]!;
  for (let i = 1; i < n; i++) {
    const t1 = p[i * 2]!;
    if (t1 >= t) {
      const t0 = p[(i - 1) * 2]!;
      const v0 = p[(i - 1) * 2 + 1]!;
      const v1 = p[i * 2 + 1]!;
      return t1 === t0 ? v1 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
    }
  }
  return p[(n - 1) * 2 + 1]!;
}

/** ∫ value dt over [a, b] (value·µs), trapezoids with interpolated ends. */
function integrate(p: readonly number[], a: number, b: number): number {
  let total = 0;
  let prevT = a;
  let prevV = valueAt(p, a);
  for (let i = 0; i < p.length; i += 2) {
    const t = p[i]!;
    if (t <= a) continue;
    if (t >= b) break;
    const v = p[i + 1]!;
    total += ((prevV + v) / 2) * (t - prevT);
    prevT = t;
    prevV = v;
  }
  total += ((prevV + valueAt(p, b)) / 2) * (b - prevT);
  return total;
}

interface Covered {
  a: number;
  b: number;
}

function coverage(p: readonly number[], w0: number, w1: number): Covered | null {
  if (p.length < 4) return null;
  const a = Math.max(w0, p[0]!);
  const b = Math.min(w1, p[p.length - 2]!);
  if (b <= a || (b - a) / (w1 - w0) < MIN_COVERAGE) return null;
  return { a, b };
}

function finitePoints(p: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.length; i += 2) if (Number.isFinite(p[i + 1]!)) out.push(p[i]!, p[i + 1]!);
  return out;
}

export function computeEnergy(
  sources: readonly (readonly RawSeries[])[],
  startUs: number,
  windowMs: number,
  outputTokens: number,
): TelemetryEnergy | null {
  if (!(windowMs > 0)) return null;
  const w0 = startUs;
  const w1 = startUs + windowMs * 1000;
  let joules = 0;
  let gpus = 0;
  const metrics = new Set<string>();
  let allCounters = true;
  for (const series of sources) {
    const named = (name: string) => series.filter((s) => catalogEntry(s.name)?.name === name);
    let done = false;
    for (const counter of ENERGY_COUNTERS) {
      let j = 0;
      let n = 0;
      for (const s of named(counter.name)) {
        const p = finitePoints(s.points);
        const c = coverage(p, w0, w1);
        if (c === null) continue;
        const dv = valueAt(p, c.b) - valueAt(p, c.a);
        if (dv < 0) continue; // counter reset inside the window
        j += dv * counter.joulesPerUnit * ((w1 - w0) / (c.b - c.a));
        n++;
      }
      if (n > 0) {
        joules += j;
        gpus += n;
        metrics.add(counter.name);
        done = true;
        break;
      }
    }
    if (done) continue;
    for (const gauge of POWER_GAUGES) {
      let j = 0;
      let n = 0;
      for (const s of named(gauge)) {
        const p = finitePoints(s.points);
        const c = coverage(p, w0, w1);
        if (c === null) continue;
        // W·µs → J, scaled up to the whole window at the covered part's mean power
        j += (integrate(p, c.a, c.b) / 1e6) * ((w1 - w0) / (c.b - c.a));
        n++;
      }
      if (n > 0) {
        joules += j;
        gpus += n;
        metrics.add(gauge);
        allCounters = false;
        break;
      }
    }
  }
  if (gpus === 0 || !(joules > 0)) return null;
  const windowS = windowMs / 1000;
  return {
    joules: Math.round(joules * 1000) / 1000,
    windowMs,
    outputTokensPerJoule: outputTokens / joules,
    averagePowerW: joules / windowS,
    method: allCounters ? 'energyCounter' : 'power',
    metric: [...metrics].join(', '),
    gpus,
  };
}
