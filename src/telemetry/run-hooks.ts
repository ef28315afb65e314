/**
 * What `tokbench run` needs from this folder, kept here so run.ts only calls
 * in: parsing the --scrape / --scrape-interval / --scrape-all / --report /
 * --html flags (every problem reported at once, before anything is sent), and
 * attaching the telemetry and the per-request sample to the finished result.
 */
import type { Problem } from '../errors.js';
import type { ResultJson } from '../metrics/types.js';
import { parseDurationMs } from '../util/units.js';
import type { Clock } from '../util/clock.js';
import { DEFAULT_SCRAPE_INTERVAL_MS, normalizeScrapeUrl, Scraper, type ScrapeTarget } from './scraper.js';
import type { RequestSampler } from './request-sample.js';

export interface ObserveFlags {
  scrape?: string[];
  scrapeInterval?: string;
  scrapeAll?: boolean;
  report?: string;
  html?: string;
}

export interface ObserveSettings {
  /** normalized --scrape URLs */
  scrapeUrls: string[];
  /** 0: scraping off */
  intervalMs: number;
  all: boolean;
  /** write OUT/report.html (--report html) */
  htmlInOut: boolean;
  /** --html FILE, as given */
  htmlFile: string | null;
}

export function parseObserveFlags(o: ObserveFlags, problems: Problem[]): ObserveSettings {
  const scrapeUrls: string[] = [];
  for (const u of o.scrape ?? []) {
    const r = normalizeScrapeUrl(u);
    if (r.ok) scrapeUrls.push(r.url);
    else problems.push({ where: `--scrape ${JSON.stringify(u)}`, message: r.message, hint: 'e.g. --scrape http://127.0.0.1:8000/metrics (vLLM), --scrape http://gpu-node:9400/metrics (DCGM)' });
  }
  let intervalMs = DEFAULT_SCRAPE_INTERVAL_MS;
  if (o.scrapeInterval !== undefined) {
    const ms = parseDurationMs(o.scrapeInterval);
    if (ms === null || ms < 0 || (ms > 0 && ms < 100)) {
      problems.push({ where: '--scrape-interval', message: `expected a duration of at least 100ms (or 0 for off), got ${JSON.stringify(o.scrapeInterval)}`, hint: 'e.g. 1s, 500ms, 5s' });
    } else intervalMs = ms;
  }
  if (intervalMs === 0 && scrapeUrls.length > 0) {
    problems.push({ where: '--scrape-interval 0', message: 'turns scraping off, but --scrape was given', hint: 'drop one of them' });
  }
  let htmlInOut = false;
  if (o.report !== undefined) {
    const formats = o.report.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    for (const f of formats) {
      if (f === 'html') htmlInOut = true;
      else problems.push({ where: `--report ${o.report}`, message: `unknown report format "${f}"`, hint: 'html (writes report.html into --out); --junit and --markdown write the others' });
    }
  }
  return { scrapeUrls, intervalMs, all: o.scrapeAll === true, htmlInOut, htmlFile: o.html ?? null };
}

/** The scraper for a run: the --scrape URLs, plus the embedded simulator's /metrics when it serves the run. */
export function createScraper(settings: ObserveSettings, simulatorUrl: string | null, clock: Clock): Scraper | null {
  if (settings.intervalMs === 0) return null;
  const targets: ScrapeTarget[] = settings.scrapeUrls.map((url) => ({ url }));
  if (simulatorUrl !== null) {
    const r = normalizeScrapeUrl(`${simulatorUrl.replace(/\/+$/, '')}/metrics`);
    if (r.ok && !targets.some((t) => t.url === r.url)) targets.push({ url: r.url, auto: true });
  }
  if (targets.length === 0) return null;
  return new Scraper({ targets, intervalMs: settings.intervalMs, clock, all: settings.all });
}

/**
 * Puts telemetry (with energy and tokens per joule) and the request sample on
 * a finished result. Returns warnings for the log (sources that never answered).
 */
export function attachObservations(result: ResultJson, o: { scraper: Scraper | null; sampler: RequestSampler | null; startUs: number }): string[] {
  const warnings: string[] = [];
  if (o.sampler !== null) result.requestSample = o.sampler.toJson();
  if (o.scraper !== null) {
    const t = o.scraper.build(o.startUs, result.summary.durationMs, result.summary.outputTokens);
    result.telemetry = t;
    if (t.energy !== null) {
      result.summary.energyJoules = t.energy.joules;
      result.summary.outputTokensPerJoule = t.energy.outputTokensPerJoule;
    }
    for (const s of t.sources) {
      if (s.errors > 0) {
        const what = s.ok === 0 ? 'every scrape failed' : `${s.errors} of ${s.ok + s.errors} scrapes failed`;
        warnings.push(`scrape ${s.url}: ${what}${s.lastError ? ` (last: ${s.lastError})` : ''}; the run itself was not affected`);
      }
    }
  }
  return warnings;
}
