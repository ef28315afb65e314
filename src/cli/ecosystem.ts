/**
 * The CLI side of issue 15's outputs: `--format vllm-json` (a file beside
 * result.json) and `--metrics-listen HOST:PORT` (an HTTP listener serving the
 * live figures). Rendering lives below (src/report/vllm-json.ts,
 * src/telemetry/live-metrics.ts); this file owns the file and socket I/O.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ConfigError, type Problem } from '../errors.js';
import type { MetricsCollector } from '../metrics/collector.js';
import type { ResultJson } from '../metrics/types.js';
import { readRecords } from '../records/jsonl.js';
import { renderVllmJson } from '../report/vllm-json.js';
import { renderLiveMetrics, type LiveRunInfo } from '../telemetry/live-metrics.js';

export const VLLM_RESULT_FILE = 'vllm_result.json';
const FORMATS = ['vllm-json'] as const;

export interface EcosystemFlags {
  vllmJson: boolean;
  metricsListen: { host: string; port: number } | null;
}

export function parseEcosystemFlags(o: { format?: string; metricsListen?: string }, problems: Problem[]): EcosystemFlags {
  const out: EcosystemFlags = { vllmJson: false, metricsListen: null };
  for (const f of (o.format ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (f === 'vllm-json') out.vllmJson = true;
    else problems.push({ where: '--format', message: `unknown format ${JSON.stringify(f)}`, hint: `one of: ${FORMATS.join(', ')} (result.json, requests.jsonl and the MLPerf logs are always written)` });
  }
  if (o.metricsListen !== undefined) {
    const listen = parseHostPort(o.metricsListen);
    if (listen === null) problems.push({ where: '--metrics-listen', message: `expected HOST:PORT, got ${JSON.stringify(o.metricsListen)}`, hint: 'e.g. 127.0.0.1:9464, 0.0.0.0:9464 (every interface), [::1]:9464; port 0 picks a free one' });
    else out.metricsListen = listen;
  }
  return out;
}

export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65_535) return null;
  return { host: m[1] ?? m[2]!, port };
}

/** Write vllm_result.json from the finished result and the records on disk. */
export async function writeVllmJson(outDir: string, result: ResultJson, write: (path: string, text: string) => void): Promise<string> {
  const { records } = await readRecords(join(outDir, 'requests.jsonl'));
  const path = join(outDir, VLLM_RESULT_FILE);
  write(path, JSON.stringify(renderVllmJson(result, records)) + '\n');
  return path;
}

export interface LiveMetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Listen before any load is sent, so a busy port is a configuration error (exit 2). */
export async function startLiveMetrics(listen: { host: string; port: number }, collector: MetricsCollector, info: LiveRunInfo): Promise<LiveMetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('tokbench serves GET /metrics\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderLiveMetrics(collector, info));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ConfigError({ where: '--metrics-listen', message: `cannot listen on ${listen.host}:${listen.port} (${err.code ?? err.message})`, hint: 'pick a free port (0 picks one) and an address of this host' })),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
