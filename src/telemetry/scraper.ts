/**
 * Polls Prometheus text endpoints while a run goes (`--scrape URL`), off the
 * hot path: one timer chain per source, never two scrapes of one source at
 * once, a short timeout on each (an AbortSignal on the undici request), a cap
 * on the body size. A failed scrape is counted by kind and the run goes on.
 *
 * Raw samples are kept as read, stamped with the clock (µs) at the midpoint of
 * the request; `build()` turns them into result.json's `telemetry` once the
 * run's t = 0 and throughput window are known: gauges as read, counters as
 * per-second rates between successive scrapes, and the energy over the window
 * when GPU power was scraped (energy.ts).
 */
import { Agent, request } from 'undici';
import type { Clock } from '../util/clock.js';
import type { Telemetry, TelemetrySeries, TelemetrySource } from '../metrics/types.js';
import { familyOf, parsePrometheusText, type PromType } from './prom-text.js';
import { catalogEntry } from './catalog.js';
import { computeEnergy, type RawSeries } from './energy.js';

export const DEFAULT_SCRAPE_INTERVAL_MS = 1000;
/** a scrape slower than this is a failure (timeout); at most the interval, at least 250 ms */
const MAX_TIMEOUT_MS = 2000;
const MIN_TIMEOUT_MS = 250;
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** with --scrape-all, at most this many series per source (a DCGM node exports thousands with every label) */
export const MAX_SERIES_PER_SOURCE = 2000;
const ACCEPT = 'text/plain;version=0.0.4;q=1,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1';

export interface ScrapeTarget {
  url: string;
  /** scraped automatically (the embedded simulator) */
  auto?: boolean;
}

export interface ScraperOptions {
  targets: ScrapeTarget[];
  intervalMs: number;
  clock: Clock;
  /** keep every metric, not only the known set (--scrape-all) */
  all?: boolean;
  timeoutMs?: number;
}

interface SourceState {
  target: ScrapeTarget;
  ok: number;
  errors: number;
  errorKinds: Record<string, number>;
  lastError: string | null;
  series: Map<string, RawSeries>;
  dropped: number;
  inFlight: Promise<void> | null;
}

/** A scrape URL as given: http(s) only; a bare host:port or a URL without a path gets `/metrics`. */
export function normalizeScrapeUrl(given: string): { ok: true; url: string } | { ok: false; message: string } {
  let text = given.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `http://${text}`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { ok: false, message: `not a URL: ${JSON.stringify(given)}` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, message: `only http and https can be scraped, not ${u.protocol}` };
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/metrics';
  return { ok: true, url: u.toString() };
}

export class Scraper {
  private readonly sources: SourceState[];
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private timers: NodeJS.Timeout[] = [];
  private running = false;

  constructor(private readonly o: ScraperOptions) {
    this.sources = o.targets.map((target) => ({
      target,
      ok: 0,
      errors: 0,
      errorKinds: {},
      lastError: null,
      series: new Map(),
      dropped: 0,
      inFlight: null,
    }));
    this.timeoutMs = o.timeoutMs ?? Math.max(MIN_TIMEOUT_MS, Math.min(MAX_TIMEOUT_MS, o.intervalMs));
    this.agent = new Agent({ connections: 1, pipelining: 1, connect: { timeout: this.timeoutMs }, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
  }

  get targetCount(): number {
    return this.sources.length;
  }

  /** First scrape now, then one every interval per source. */
  start(): void {
    if (this.running || this.sources.length === 0) return;
    this.running = true;
    this.sources.forEach((s, i) => this.loop(s, i));
  }

  private loop(s: SourceState, index: number): void {
    if (!this.running) return;
    const began = performance.now();
    s.inFlight = this.scrapeOnce(s).finally(() => {
      s.inFlight = null;
      if (!this.running) return;
      const wait = Math.max(0, this.o.intervalMs - (performance.now() - began));
      const t = setTimeout(() => this.loop(s, index), wait);
      t.unref();
      this.timers[index] = t;
    });
  }

  /** Stops polling after one last scrape of every source (so counters cover the end of the run). */
  async stop(): Promise<void> {
    if (!this.running) {
      await this.agent.close().catch(() => undefined);
      return;
    }
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await Promise.all(this.sources.map((s) => s.inFlight ?? Promise.resolve()));
    await Promise.all(this.sources.map((s) => this.scrapeOnce(s)));
    await this.agent.close().catch(() => undefined);
  }

  /** One scrape of one source; never throws. Exposed for tests. */
  async scrapeOnce(s: SourceState): Promise<void> {
    const clock = this.o.clock;
    const t0 = clock.nowUs();
    let body: string;
    try {
      const res = await request(s.target.url, {
        method: 'GET',
        dispatcher: this.agent,
        headers: { accept: ACCEPT },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump().catch(() => undefined);
        this.fail(s, `http_${res.statusCode}`, `HTTP ${res.statusCode}`);
        return;
      }
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          res.body.destroy();
          this.fail(s, 'too_large', `body larger than ${MAX_BODY_BYTES} bytes`);
          return;
        }
        parts.push(chunk);
      }
      body = Buffer.concat(parts, size).toString('utf8');
    } catch (err) {
      const e = err as Error & { code?: string; name?: string };
      const timeout = e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT';
      this.fail(s, timeout ? 'timeout' : 'connect', timeout ? `no answer within ${this.timeoutMs} ms` : `${e.code ?? e.name ?? 'error'}: ${e.message}`);
      return;
    }
    const tUs = Math.round((t0 + clock.nowUs()) / 2);
    const parsed = parsePrometheusText(body);
    if (parsed.samples.length === 0) {
      const why = parsed.errors.length > 0 ? `line ${parsed.errors[0]!.line}: ${parsed.errors[0]!.message}` : 'no samples';
      this.fail(s, 'parse', `not Prometheus text (${why})`);
      return;
    }
    s.ok++;
    for (const sample of parsed.samples) {
      const entry = catalogEntry(sample.name);
      let kind: 'gauge' | 'counter';
      let title: string | undefined;
      let unit: string | undefined;
      let scale = 1;
      if (entry !== undefined) {
        kind = entry.kind;
        title = entry.title;
        unit = entry.unit;
        scale = entry.scale ?? 1;
      } else {
        if (this.o.all !== true) continue;
        const fam = familyOf(sample.name, parsed.types);
        const k = keptKind(fam.type, fam.suffix, sample.labels);
        if (k === null) continue;
        kind = k;
        const u = parsed.units.get(fam.family);
        if (u !== undefined && u !== '') unit = kind === 'counter' ? `${u}/s` : u;
        else if (kind === 'counter') unit = '/s';
      }
      const key = seriesKey(sample.name, sample.labels);
      let series = s.series.get(key);
      if (series === undefined) {
        if (s.series.size >= MAX_SERIES_PER_SOURCE) {
          s.dropped++;
          continue;
        }
        series = { name: sample.name, labels: sample.labels, kind, scale, points: [] };
        if (title !== undefined) series.title = title;
        if (unit !== undefined) series.unit = unit;
        s.series.set(key, series);
      }
      series.points.push(tUs, sample.value);
    }
  }

  private fail(s: SourceState, kind: string, message: string): void {
    s.errors++;
    s.errorKinds[kind] = (s.errorKinds[kind] ?? 0) + 1;
    s.lastError = message;
  }

  /** sources with their counts so far (for progress and warnings) */
  status(): { url: string; ok: number; errors: number; lastError: string | null }[] {
    return this.sources.map((s) => ({ url: s.target.url, ok: s.ok, errors: s.errors, lastError: s.lastError }));
  }

  /**
   * result.json's telemetry: times in ms from the run's t = 0 (`startUs` on
   * the same clock), energy over [0, windowMs] for `outputTokens`.
   */
  build(startUs: number, windowMs: number, outputTokens: number): Telemetry {
    const sources: TelemetrySource[] = this.sources.map((s) => {
      const src: TelemetrySource = { url: s.target.url, ok: s.ok, errors: s.errors };
      if (s.target.auto) src.auto = true;
      if (s.errors > 0) src.errorKinds = { ...s.errorKinds };
      if (s.lastError !== null) src.lastError = s.lastError;
      return src;
    });
    const series: TelemetrySeries[] = [];
    this.sources.forEach((s, source) => {
      for (const raw of s.series.values()) {
        const out = toSeries(raw, source, startUs);
        if (out.points.length > 0) series.push(out);
      }
    });
    const energy = computeEnergy(
      this.sources.map((s) => [...s.series.values()]),
      startUs,
      windowMs,
      outputTokens,
    );
    return { intervalMs: this.o.intervalMs, all: this.o.all === true, sources, series, energy };
  }
}

/** With --scrape-all: what to keep of an unlisted sample. Histogram buckets are dropped (too many series). */
function keptKind(type: PromType, suffix: string, labels: Record<string, string>): 'gauge' | 'counter' | null {
  if (type === 'histogram' || type === 'gaugehistogram') {
    if (suffix === '_bucket' || 'le' in labels) return null;
    if (suffix === '_created') return null;
    return type === 'histogram' ? 'counter' : 'gauge';
  }
  if (type === 'summary') {
    if (suffix === '_sum' || suffix === '_count') return 'counter';
    if (suffix === '_created') return null;
    return 'gauge';
  }
  if (type === 'counter') return suffix === '_created' ? null : 'counter';
  return 'gauge';
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  let k = name;
  for (const key of keys) k += `\u0000${key}\u0001${labels[key]}`;
  return k;
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** raw (µs, value) pairs → ms from t = 0; counters → rate per second between successive scrapes (resets skipped). */
export function toSeries(raw: RawSeries, source: number, startUs: number): TelemetrySeries {
  const points: [number, number][] = [];
  const p = raw.points;
  if (raw.kind === 'gauge') {
    for (let i = 0; i < p.length; i += 2) {
      const v = p[i + 1]! * raw.scale;
      if (Number.isFinite(v)) points.push([round((p[i]! - startUs) / 1000, 1), round(v, 6)]);
    }
  } else {
    for (let i = 2; i < p.length; i += 2) {
      const dt = (p[i]! - p[i - 2]!) / 1e6;
      const dv = p[i + 1]! - p[i - 1]!;
      if (dt <= 0 || dv < 0 || !Number.isFinite(dv)) continue; // counter reset or garbage
      points.push([round((p[i]! - startUs) / 1000, 1), round((dv / dt) * raw.scale, 6)]);
    }
  }
  const out: TelemetrySeries = { name: raw.name, labels: { ...raw.labels }, source, kind: raw.kind === 'gauge' ? 'gauge' : 'rate', points };
  if (raw.unit !== undefined) out.unit = raw.unit;
  if (raw.title !== undefined) out.title = raw.title;
  return out;
}
