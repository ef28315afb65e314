import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ResultJson } from '../../../src/metrics/types.js';
import { evaluateThresholds } from '../../../src/metrics/thresholds.js';
import { renderMarkdown } from '../../../src/report/markdown.js';

const FIXTURE = new URL('../../fixtures/results/server-2endpoints.json', import.meta.url);
function load(): ResultJson {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as ResultJson;
}

/** Cells of the table row whose cell `col` matches, split on unescaped pipes as GitHub does. */
function row(md: string, match: RegExp, col = 0): string[] {
  const line = md.split('\n').find((l) => l.startsWith('|') && match.test(l.split(/(?<!\\)\|/)[col + 1]?.trim() ?? ''));
  if (line === undefined) throw new Error(`no row ${match}`);
  return line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
}

describe('renderMarkdown', () => {
  it('leads with throughput and shows the latency percentiles', () => {
    const md = renderMarkdown(load());
    expect(md).toMatch(/^## tokbench: llama2-70b server ✅\n/);
    expect(md).toContain('**1,980 output tokens/s** · 11,880 total tokens/s · 9.90 req/s · goodput **9.50** req/s');
    expect(md).toContain('990 completed, 10 failed of 1,000 issued in 100 s');
    // | | p50 | p90 | p99 | p99.9 | max | mean | count |
    expect(row(md, /^TTFT$/)).toEqual(['TTFT', '150 ms', '400 ms', '800 ms', '1,200 ms', '1,500 ms', '210 ms', '990']);
    expect(row(md, /^ITL$/)[1]).toBe('19.0 ms');
    expect(row(md, /^issue delay$/)[1]).toBe('40.0 µs');
  });

  it('lists errors, validity and thresholds with ✅/❌', () => {
    const r = load();
    r.thresholds = evaluateThresholds(['output_tokens_per_sec >= 1k', 'ttft.p99 < 750ms'], r);
    const md = renderMarkdown(r);
    expect(md).toMatch(/^## tokbench: llama2-70b server ❌/);
    expect(row(md, /^http\\_status$/)).toEqual(['http\\_status', '6']);
    expect(md).toContain('### Validity: ✅ VALID');
    expect(md).toContain('### Thresholds: 1 of 2 passed');
    expect(row(md, /^`output_tokens_per_sec/, 1)).toEqual(['✅', '`output_tokens_per_sec >= 1k`', '1,980 tokens/s']);
    expect(row(md, /^`ttft.p99/, 1)).toEqual(['❌', '`ttft.p99 < 750ms`', '800 ms']);
  });

  it('keeps table rows intact when text contains pipes, and shows an invalid run', () => {
    const r = load();
    r.validity.valid = false;
    r.validity.checks = [{ name: 'min_duration', passed: false, detail: 'a | b <script> 5 s < 60 s' }];
    r.validity.recommendations = ['run for at least 60 s'];
    const md = renderMarkdown(r);
    expect(md).toContain('### Validity: ❌ INVALID');
    expect(row(md, /^❌$/)).toEqual(['❌', 'min\\_duration', 'a \\| b &lt;script> 5 s < 60 s']);
    expect(md).toContain('- run for at least 60 s');
  });

  it('gives the endpoint behind a per-endpoint verdict and the reason for a missing value', () => {
    const r = load();
    r.summary.goodputRequestsPerSecond = null;
    r.thresholds = evaluateThresholds(['endpoint[*].ttft.p99 < 800ms', 'goodput >= 1'], r);
    const md = renderMarkdown(r);
    expect(row(md, /^`endpoint/, 1)[2]).toBe('900 ms at http://10.0.0.2:8000');
    expect(row(md, /^`goodput/, 1)[2]).toMatch(/^no value: goodput is only measured when/);
  });

  it('shows per-endpoint figures, empty latency as a dash, and flags simulated or interrupted runs', () => {
    const r = load();
    r.simulated = true;
    r.interrupted = true;
    r.summary.latency.tpotMs = null;
    const md = renderMarkdown(r);
    expect(md).toMatch(/^## tokbench: llama2-70b server ⚠️ interrupted/);
    expect(md).toContain('**tokbench simulator**');
    expect(md).toContain('> The run was interrupted');
    expect(row(md, /^TPOT$/).slice(1, 6)).toEqual(['–', '–', '–', '–', '–']);
    expect(row(md, /^`http:\/\/10\.0\.0\.2:8000`/)).toEqual(['`http://10.0.0.2:8000` gpu=H100 rack=a', '490', '10', '980', '900 ms', '45.0 ms']);
  });
});
