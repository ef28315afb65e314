import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { normalizeScrapeUrl, Scraper, toSeries } from '../../../src/telemetry/scraper.js';
import { computeEnergy, type RawSeries } from '../../../src/telemetry/energy.js';
import { catalogEntry } from '../../../src/telemetry/catalog.js';
import type { Clock } from '../../../src/util/clock.js';

/** a clock the test moves by hand */
function manualClock(): Clock & { us: number } {
  const c = {
    us: 1_000_000,
    nowUs: () => c.us,
    wallMs: () => 0,
    sleepUntil: () => Promise.resolve(),
  };
  return c;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: (n: number) => { status?: number; body?: string; hang?: boolean }): Promise<string> {
  let n = 0;
  const server = createServer((req, res) => {
    const a = handler(n++);
    if (a.hang) return; // never answers
    res.writeHead(a.status ?? 200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(a.body ?? '');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

describe('scrape URLs', () => {
  it('adds /metrics to a bare host:port and refuses other schemes', () => {
    expect(normalizeScrapeUrl('127.0.0.1:9400')).toEqual({ ok: true, url: 'http://127.0.0.1:9400/metrics' });
    expect(normalizeScrapeUrl('http://h:8000/prometheus/metrics')).toEqual({ ok: true, url: 'http://h:8000/prometheus/metrics' });
    expect(normalizeScrapeUrl('ftp://h/x').ok).toBe(false);
  });
});

describe('Scraper', () => {
  it('keeps the known metrics: gauges as read (scaled), counters as per-second rates', async () => {
    const clock = manualClock();
    const url = await serve((n) => ({
      body: [
        '# TYPE vllm:num_requests_running gauge',
        `vllm:num_requests_running{model_name="m"} ${n + 1}`,
        `vllm:kv_cache_usage_perc{model_name="m"} 0.5`,
        '# TYPE vllm:generation_tokens counter',
        `vllm:generation_tokens_total{model_name="m"} ${n * 1000}`,
        'some_unlisted_metric 7',
      ].join('\n'),
    }));
    const s = new Scraper({ targets: [{ url }], intervalMs: 1000, clock });
    const src = (s as unknown as { sources: Parameters<Scraper['scrapeOnce']>[0][] }).sources[0]!;
    for (let i = 0; i < 3; i++) {
      await s.scrapeOnce(src);
      clock.us += 1_000_000;
    }
    await s.stop();
    const t = s.build(1_000_000, 2000, 100);
    expect(t.sources).toEqual([{ url, ok: 3, errors: 0 }]);
    const byName = Object.fromEntries(t.series.map((x) => [x.name, x]));
    expect(Object.keys(byName).sort()).toEqual(['vllm:generation_tokens_total', 'vllm:kv_cache_usage_perc', 'vllm:num_requests_running']);
    expect(byName['vllm:num_requests_running']!.points).toEqual([
      [0, 1],
      [1000, 2],
      [2000, 3],
    ]);
    expect(byName['vllm:kv_cache_usage_perc']!.points[0]![1]).toBe(50);
    expect(byName['vllm:kv_cache_usage_perc']!.unit).toBe('%');
    expect(byName['vllm:generation_tokens_total']!.kind).toBe('rate');
    expect(byName['vllm:generation_tokens_total']!.points).toEqual([
      [1000, 1000],
      [2000, 1000],
    ]);
    expect(t.energy).toBeNull();
  });

  it('keeps everything but histogram buckets with --scrape-all', async () => {
    const clock = manualClock();
    const url = await serve(() => ({ body: '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\nfoo 1\n' }));
    const s = new Scraper({ targets: [{ url }], intervalMs: 1000, clock, all: true });
    const src = (s as unknown as { sources: Parameters<Scraper['scrapeOnce']>[0][] }).sources[0]!;
    await s.scrapeOnce(src);
    clock.us += 1e6;
    await s.scrapeOnce(src);
    await s.stop();
    const names = s.build(1e6, 1000, 0).series.map((x) => x.name).sort();
    expect(names).toEqual(['foo', 'h_count', 'h_sum']);
  });

  it('counts failures by kind and never throws: HTTP errors, refused connections, timeouts, garbage', async () => {
    const clock = manualClock();
    const http500 = await serve(() => ({ status: 500, body: 'oops' }));
    const hang = await serve(() => ({ hang: true }));
    const garbage = await serve(() => ({ body: '<html>not metrics</html>' }));
    const refused = 'http://127.0.0.1:1/metrics';
    const s = new Scraper({ targets: [{ url: http500 }, { url: hang }, { url: garbage }, { url: refused }], intervalMs: 300, clock });
    const sources = (s as unknown as { sources: Parameters<Scraper['scrapeOnce']>[0][] }).sources;
    await Promise.all(sources.map((src) => s.scrapeOnce(src)));
    await s.stop();
    const t = s.build(0, 1000, 0);
    expect(t.sources.map((x) => x.errorKinds)).toEqual([{ http_500: 1 }, { timeout: 1 }, { parse: 1 }, { connect: 1 }]);
    expect(t.sources.every((x) => x.ok === 0 && x.errors === 1 && typeof x.lastError === 'string')).toBe(true);
    expect(t.series).toEqual([]);
  });

  it('polls on its own between start and stop, with one last scrape at stop', async () => {
    let hits = 0;
    const url = await serve(() => {
      hits++;
      return { body: 'vllm:num_requests_waiting 1\n' };
    });
    const s = new Scraper({ targets: [{ url }], intervalMs: 100, clock: manualClock() });
    s.start();
    await new Promise((r) => setTimeout(r, 350));
    await s.stop();
    expect(hits).toBeGreaterThanOrEqual(3);
    expect(s.status()[0]!.ok).toBe(hits);
  });
});

describe('counter rates', () => {
  it('skips a counter reset instead of plotting a negative rate', () => {
    const raw: RawSeries = { name: 'x_total', labels: {}, kind: 'counter', scale: 1, points: [0, 10, 1e6, 20, 2e6, 5, 3e6, 15] };
    expect(toSeries(raw, 0, 0).points).toEqual([
      [1000, 10],
      [3000, 10],
    ]);
  });
});

describe('energy and tokens per joule', () => {
  const power = (labels: Record<string, string>, w: (tS: number) => number, name = 'DCGM_FI_DEV_POWER_USAGE'): RawSeries => {
    const points: number[] = [];
    for (let t = -1; t <= 11; t++) points.push(t * 1e6, w(t));
    return { name, labels, kind: 'gauge', scale: 1, points };
  };

  it('integrates power over the window, summed over GPUs', () => {
    const e = computeEnergy([[power({ gpu: '0' }, () => 300), power({ gpu: '1' }, () => 200)]], 0, 10_000, 10_000)!;
    expect(e.joules).toBeCloseTo(5000, 6); // (300 + 200) W × 10 s
    expect(e.outputTokensPerJoule).toBeCloseTo(2, 9);
    expect(e.averagePowerW).toBeCloseTo(500, 6);
    expect(e).toMatchObject({ method: 'power', metric: 'DCGM_FI_DEV_POWER_USAGE', gpus: 2, windowMs: 10_000 });
  });

  it('uses trapezoids (a linear ramp integrates exactly) and cuts at the window edges', () => {
    const e = computeEnergy([[power({}, (t) => 100 + 10 * t)]], 2e6, 4000, 1)!;
    // from t = 2 s to 6 s: mean power 100 + 10·4 = 140 W → 560 J
    expect(e.joules).toBeCloseTo(560, 6);
  });

  it('prefers the energy counter (AMD µJ) and does not add a second power metric of the same GPUs', () => {
    const counter: RawSeries = { name: 'gpu_energy_consumed', labels: { gpu_id: '0' }, kind: 'counter', scale: 1e-6, points: [] };
    for (let t = 0; t <= 10; t++) counter.points.push(t * 1e6, 1e12 + t * 250e6); // 250 J per second
    const e = computeEnergy([[counter, power({ gpu_id: '0' }, () => 999, 'gpu_power_usage')]], 0, 10_000, 5000)!;
    expect(e.method).toBe('energyCounter');
    expect(e.metric).toBe('GPU_ENERGY_CONSUMED');
    expect(e.joules).toBeCloseTo(2500, 3);
  });

  it('gives no figure without power metrics or when the scrapes cover under half the window', () => {
    expect(computeEnergy([[]], 0, 1000, 1)).toBeNull();
    const short: RawSeries = { name: 'DCGM_FI_DEV_POWER_USAGE', labels: {}, kind: 'gauge', scale: 1, points: [0, 100, 1e6, 100] };
    expect(computeEnergy([[short]], 0, 10_000, 1)).toBeNull();
  });

  it('matches GPU exporter names loosely (case, AMD prefix)', () => {
    expect(catalogEntry('dcgm_fi_dev_power_usage')?.name).toBe('DCGM_FI_DEV_POWER_USAGE');
    expect(catalogEntry('amd_gpu_power_usage')?.name).toBe('GPU_POWER_USAGE');
    expect(catalogEntry('GPU_PACKAGE_POWER')?.panel).toBe('power');
    expect(catalogEntry('vllm:num_requests_running')?.panel).toBe('requests');
    expect(catalogEntry('VLLM:NUM_REQUESTS_RUNNING')).toBeUndefined();
  });
});
