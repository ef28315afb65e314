/**
 * The HTML report in a real browser: a run against the embedded simulator
 * writes report.html (--report html); headless Chromium (Debian's, driven by
 * playwright-core) opens it from disk with the network unreachable, and every
 * chart must have drawn its data (the series' colours are on its canvas), the
 * page must log no error and request nothing but itself. A screenshot is kept
 * in test-artifacts/ for people to look at. A comparison page and a find-peak
 * page go through the same checks.
 *
 * Without /usr/bin/chromium the test is skipped with a message, except in CI
 * (CI=true), where it fails: .ci/run installs Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT, spawnCli, tempDir } from '../helpers/cli.js';
import type { FindPeakResult } from '../../src/metrics/types.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const inCi = process.env.CI === 'true';
const haveChromium = existsSync(CHROMIUM);

if (!haveChromium && !inCi) {
  console.warn(`html-report e2e: skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);
}

interface PageReport {
  charts: { id: string; title: string; points: number; series: number }[];
  errors: string[];
  ready: boolean;
}

interface ChartPixels {
  id: string;
  width: number;
  height: number;
  /** per visible series colour: pixels of that colour on the chart's canvas */
  colours: { colour: string; pixels: number }[];
}

/** runs in the page (a string: the test's TypeScript has no DOM types) */
const PIXELS_JS = `(() => {
  const data = JSON.parse(document.getElementById('tokbench-data').textContent);
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return data.charts.map((c) => {
    const canvas = document.querySelector('#chart-' + c.id + ' canvas');
    if (!canvas) return { id: c.id, width: 0, height: 0, colours: [] };
    const img = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = [...new Set(c.series.filter((s) => s.show !== false).map((s) => s.color))].map((colour) => {
      const [r, g, b] = rgb(colour);
      let n = 0;
      for (let i = 0; i < img.length; i += 4) {
        if (img[i + 3] > 200 && Math.abs(img[i] - r) < 30 && Math.abs(img[i + 1] - g) < 30 && Math.abs(img[i + 2] - b) < 30) n++;
      }
      return { colour, pixels: n };
    });
    return { id: c.id, width: canvas.width, height: canvas.height, colours };
  });
})()`;

describe.skipIf(!haveChromium && !inCi)('HTML report in headless Chromium', () => {
  let context: BrowserContext;
  let out: string;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing in CI: .ci/run must apt-get install -y chromium`);
    out = tempDir('tokbench-html-');
    const r = await spawnCli(['run', 'llama2-70b/server', '--samples', '150', '--target-qps', '30', '--seed', '3', '--out', out, '--report', 'html', '--quiet'], { timeoutMs: 90_000 });
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tokbench-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 150_000);

  afterAll(async () => {
    await context?.close();
  });

  /** open a page, collect every console error, page error and non-file request */
  async function open(file: string): Promise<{ page: Page; report: PageReport; issues: string[] }> {
    const issues: string[] = [];
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') issues.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => issues.push(`page error: ${e.message}`));
    page.on('request', (req) => {
      const u = req.url();
      if (!u.startsWith('file:') && !u.startsWith('data:')) issues.push(`network request: ${u}`);
    });
    page.on('requestfailed', (req) => issues.push(`request failed: ${req.url()}`));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 20_000 });
    const report = (await page.evaluate('window.__tokbench')) as PageReport;
    return { page, report, issues };
  }

  /** pixels of each visible series' colour on each chart's canvas (antialiasing tolerated) */
  async function pixels(page: Page): Promise<ChartPixels[]> {
    return (await page.evaluate(PIXELS_JS)) as ChartPixels[];
  }

  function expectAllDrawn(report: PageReport, px: ChartPixels[], issues: string[], expectedIds: string[]) {
    expect(issues).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(report.charts.map((c) => c.id)).toEqual(expect.arrayContaining(expectedIds));
    for (const c of report.charts) expect(c.points, `${c.id} has data`).toBeGreaterThan(0);
    expect(px.length).toBe(report.charts.length);
    for (const p of px) {
      expect(p.width, `${p.id} has a canvas`).toBeGreaterThan(100);
      // A telemetry series of a short, busy-machine run can be a few scrape points
      // hugging the axis; it must be drawn, not long.
      const minPixels = p.id.startsWith('telemetry') ? 0 : 30;
      for (const col of p.colours) expect(col.pixels, `${p.id}: series ${col.colour} drawn`).toBeGreaterThan(minPixels);
    }
  }

  it('draws every chart of a run with data, logs no error, requests nothing, and keeps a screenshot', async () => {
    const file = join(out, 'report.html');
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const { page, report, issues } = await open(file);
    const px = await pixels(page);
    await page.screenshot({ path: join(ARTIFACTS, 'html-report.png'), fullPage: true });
    expectAllDrawn(report, px, [...problems, ...issues], [
      'throughput',
      'inflight',
      'cdf-ttft',
      'cdf-tpot',
      'cdf-itl',
      'cdf-e2e',
      'ttft-scatter',
      'endpoints',
      'telemetry-0',
    ]);
    // the simulator's metrics were scraped and drawn
    const titles = report.charts.map((c) => c.title);
    expect(titles).toContain('Server: requests running and waiting');
    expect(titles).toContain('Server: KV-cache usage');
    // axes carry units
    const axes = (await page.evaluate("JSON.parse(document.getElementById('tokbench-data').textContent).charts.map((c) => [c.xLabel, c.yLabel])")) as [string, string][];
    for (const [x, y] of axes) {
      expect(x.length).toBeGreaterThan(0);
      expect(y.length).toBeGreaterThan(0);
    }
    expect(axes.flat()).toEqual(expect.arrayContaining(['time since start (s)', 'output tokens/s', 'TTFT (ms)']));
    await page.close();
  });

  it('overlays two runs and plots a find-peak curve with the same care', { timeout: 120_000 }, async () => {
    const dir = tempDir('tokbench-html-compare-');
    const fp: FindPeakResult = {
      schemaVersion: 1,
      scenario: 'llama2-70b/server',
      peakQps: 30,
      confirmed: true,
      curve: [10, 20, 30, 40].map((qps) => ({
        qps,
        outputTokensPerSecond: Math.min(qps, 32) * 290,
        ttftP99Ms: qps < 35 ? 40 + qps * 3 : 2500,
        tpotP99Ms: 8 + qps / 4,
        valid: qps < 35,
        reason: qps < 35 ? null : 'TTFT p99 over the constraint',
      })),
      details: { constraints: { ttftP99Ms: 2000, tpotP99Ms: 200 }, probeDurationMs: 60_000, tolerance: 0.05, confirmRuns: [], stoppedBecause: 'bracketed the peak' },
    };
    const fpFile = join(dir, 'find-peak.json');
    writeFileSync(fpFile, JSON.stringify(fp));
    // a second, different run to compare with (identical runs would draw one line over the other)
    const other = join(dir, 'slower');
    const run2 = await spawnCli(['run', 'llama2-70b/server', '--samples', '100', '--target-qps', '15', '--seed', '4', '--out', other, '--quiet'], { timeoutMs: 90_000 });
    expect(run2.code).toBe(0);
    const target = join(dir, 'compare.html');
    const r = await spawnCli(['report', join(out, 'result.json'), join(other, 'result.json'), fpFile, '--format', 'html', '-o', target], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { page, report, issues } = await open(target);
    const px = await pixels(page);
    await page.screenshot({ path: join(ARTIFACTS, 'html-report-compare.png'), fullPage: true });
    expectAllDrawn(report, px, issues, ['throughput', 'cdf-ttft', 'ttft-scatter', 'find-peak']);
    await page.close();
  });
});
