import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseResultJson } from '../../../src/report/result-json.js';
import { cdfPoints, isFindPeakResult, renderHtml, renderHtmlReport, type ChartSpec } from '../../../src/report/html.js';
import { createHistogram, encode, recordUs } from '../../../src/metrics/histogram.js';
import type { FindPeakResult, ResultJson } from '../../../src/metrics/types.js';
import { runMain, tempDir } from '../../helpers/cli.js';

const FIXTURE = join(__dirname, '../../fixtures/results/server-2endpoints.json');

/** the fixture, with histograms filled (it carries empty ones) */
function fixture(): ResultJson {
  const r = parseResultJson(readFileSync(FIXTURE, 'utf8'), FIXTURE);
  const h = createHistogram();
  for (let i = 1; i <= 990; i++) recordUs(h, 20_000 + i * 150);
  const enc = encode(h);
  r.histograms = { ttftUs: enc, tpotUs: enc, itlUs: enc, chunkGapUs: enc, e2eUs: enc, issueDelayUs: enc };
  return r;
}

function withObservations(r: ResultJson): ResultJson {
  r.requestSample = { seen: 3, max: 5000, scheduledMs: [0, 100, 200], ttftMs: [10, null, 30], e2eMs: [50, null, 70], endpoint: [0, 1, 0] };
  r.telemetry = {
    intervalMs: 1000,
    all: false,
    sources: [{ url: 'http://127.0.0.1:9400/metrics', ok: 3, errors: 1, errorKinds: { timeout: 1 }, lastError: 'no answer within 1000 ms' }],
    series: [
      { name: 'vllm:num_requests_running', labels: { engine: '0' }, source: 0, kind: 'gauge', unit: 'requests', title: 'vLLM running', points: [[0, 1], [1000, 4], [2000, 2]] },
      { name: 'DCGM_FI_DEV_POWER_USAGE', labels: { gpu: '0' }, source: 0, kind: 'gauge', unit: 'W', points: [[0, 300], [1000, 320], [2000, 310]] },
      { name: 'DCGM_FI_DEV_POWER_USAGE', labels: { gpu: '1' }, source: 0, kind: 'gauge', unit: 'W', points: [[0, 200], [1000, 220], [2000, 210]] },
    ],
    energy: { joules: 1000, windowMs: 2000, outputTokensPerJoule: 1.5, averagePowerW: 500, method: 'power', metric: 'DCGM_FI_DEV_POWER_USAGE', gpus: 2 },
  };
  r.summary.energyJoules = 1000;
  r.summary.outputTokensPerJoule = 1.5;
  return r;
}

function chartsOf(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="tokbench-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return (JSON.parse(m![1]!) as { charts: ChartSpec[] }).charts;
}

const STUB_UPLOT = { js: 'var uPlot = function () {};', css: '.u-legend{}' };

describe('HTML report', () => {
  it('is one self-contained page: uPlot inlined, no external resource, a CSP that forbids the network', () => {
    const html = renderHtmlReport(fixture());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('leeoniya/uPlot');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(http/i);
  });

  it('has a chart with data for each plot the result supports', () => {
    const charts = chartsOf(renderHtmlReport(withObservations(fixture()), { uplot: STUB_UPLOT }));
    const ids = charts.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['throughput', 'inflight', 'cdf-ttft', 'cdf-tpot', 'cdf-itl', 'cdf-e2e', 'ttft-scatter', 'endpoints', 'telemetry-0', 'telemetry-1']));
    for (const c of charts) {
      expect(c.series.length, c.id).toBeGreaterThan(0);
      for (const s of c.series) expect(s.x.length, `${c.id} ${s.label}`).toBe(s.y.length);
      expect(c.series.some((s) => s.y.some((v) => v !== null)), c.id).toBe(true);
    }
    const power = charts.find((c) => c.title === 'GPU power')!;
    expect(power.yLabel).toBe('W');
    expect(power.series.map((s) => s.label)).toEqual(['gpu=0', 'gpu=1']);
    const ttft = charts.find((c) => c.id === 'cdf-ttft')!;
    expect(ttft.marks!.map((m) => m.label.split(' ')[0])).toEqual(['p50', 'p90', 'p99', 'p99.9']);
    // one point per endpoint
    expect(charts.find((c) => c.id === 'endpoints')!.xTicks).toHaveLength(2);
  });

  it('shows the panels: headline with tokens per joule, validity, thresholds, scenario with origins, scrape sources', () => {
    const html = renderHtmlReport(withObservations(fixture()), { uplot: STUB_UPLOT });
    expect(html).toContain('Energy efficiency');
    expect(html).toContain('tok/J');
    expect(html).toContain('output tokens per joule');
    expect(html).toContain('<h2>Validity</h2>');
    expect(html).toContain('<h2>Thresholds</h2>');
    expect(html).toContain('<h2>Scenario</h2>');
    expect(html).toMatch(/class="origin (default|profile|flag|file|env)"/);
    expect(html).toContain('http://127.0.0.1:9400/metrics');
    expect(html).toContain('timeout 1');
  });

  it('escapes what comes from the result', () => {
    const r = fixture();
    r.tags = { note: '<script>alert(1)</script>' };
    r.validity.checks.push({ name: 'x', passed: false, detail: '</script><b>' });
    const html = renderHtmlReport(r, { uplot: STUB_UPLOT });
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.match(/<\/script>/g)).toHaveLength(3); // data, uPlot, client
  });

  it('overlays several runs and adds a side-by-side table with deltas', () => {
    const a = fixture();
    const b = fixture();
    b.summary.outputTokensPerSecond *= 1.1;
    const html = renderHtml(
      [
        { label: 'base', result: a },
        { label: 'new', result: b },
      ],
      { uplot: STUB_UPLOT },
    );
    expect(html).toContain('base vs new');
    expect(html).toContain('+10.0%');
    const tp = chartsOf(html).find((c) => c.id === 'throughput')!;
    expect(tp.series.map((s) => s.label)).toEqual(['base output tok/s', 'new output tok/s']);
  });

  it('plots a find-peak curve: QPS against tokens/s and p99 latencies, invalid points flagged', () => {
    const fp: FindPeakResult = {
      schemaVersion: 1,
      scenario: 'llama2-70b/server',
      peakQps: 2,
      confirmed: true,
      curve: [
        { qps: 1, outputTokensPerSecond: 100, ttftP99Ms: 50, tpotP99Ms: 10, valid: true, reason: null },
        { qps: 2, outputTokensPerSecond: 190, ttftP99Ms: 80, tpotP99Ms: 20, valid: true, reason: null },
        { qps: 4, outputTokensPerSecond: 200, ttftP99Ms: 4000, tpotP99Ms: 90, valid: false, reason: 'TTFT p99 over 2 s' },
      ],
      details: { constraints: { ttftP99Ms: 2000, tpotP99Ms: 200 }, probeDurationMs: 1, tolerance: 0.1, confirmRuns: [], stoppedBecause: 'bracketed' },
    };
    expect(isFindPeakResult(fp)).toBe(true);
    expect(isFindPeakResult(fixture())).toBe(false);
    const html = renderHtml([], { findPeak: fp, uplot: STUB_UPLOT });
    const c = chartsOf(html).find((x) => x.id === 'find-peak')!;
    expect(c.xLabel).toContain('queries/s');
    expect(c.series.map((s) => s.label)).toEqual(['output tokens/s', 'TTFT p99', 'TPOT p99']);
    expect(c.flagged).toEqual([{ x: 4, y: 200 }]);
    expect(html).toContain('TTFT p99 over 2 s');
  });

  it('draws a CDF from an encoded HDR histogram', () => {
    const h = createHistogram();
    for (let i = 1; i <= 1000; i++) recordUs(h, i * 1000);
    const pts = cdfPoints(encode(h))!;
    expect(pts.y[0]).toBe(0);
    expect(pts.y[pts.y.length - 1]).toBe(100);
    expect(pts.x[pts.y.indexOf(50)]).toBeCloseTo(500, -1);
    for (let i = 1; i < pts.x.length; i++) expect(pts.x[i]!).toBeGreaterThanOrEqual(pts.x[i - 1]!);
    expect(cdfPoints('')).toBeNull();
  });

  it('`tokbench report --format html` writes the page; several results overlay', async () => {
    const dir = tempDir();
    const a = join(dir, 'a.json');
    writeFileSync(a, readFileSync(FIXTURE));
    const out = join(dir, 'r.html');
    const one = await runMain(['report', a, '--format', 'html', '-o', out], { cwd: dir });
    expect(one.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('<!DOCTYPE html>');
    const two = await runMain(['report', a, a, '--format', 'html'], { cwd: dir });
    expect(two.code).toBe(0);
    expect(two.stdout).toContain('a (1) vs a (2)');
    const bad = await runMain(['report', a, a, '--format', 'text'], { cwd: dir });
    expect(bad.code).toBe(2);
  });
});

describe('HTML report with absent figures', () => {
  it('shows a non-streamed run\'s TTFT and TPOT as absent ("not streamed"), never 0', () => {
    const r = fixture();
    r.scenario.stream = false;
    r.summary.latency = { ...r.summary.latency, ttftMs: null, tpotMs: null, itlMs: null, chunkGapMs: null };
    for (const e of r.perEndpoint) e.latency = { ...e.latency, ttftMs: null, tpotMs: null };
    const html = renderHtmlReport(r, { uplot: STUB_UPLOT });
    expect(html).toMatch(/TTFT p99[\s\S]{0,200}not streamed/);
    const ttftRow = /<tr><td>TTFT<\/td>(.*?)<\/tr>/.exec(html)![1]!;
    expect(ttftRow).not.toMatch(/\d/);
    expect(html).not.toMatch(/>0 ms</);
  });
});
