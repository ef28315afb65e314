/**
 * The operating-system limits that bound how many requests a client can keep in
 * flight over HTTP/1.1 (one request per connection): open file descriptors (one
 * per socket) and ephemeral ports (one per connection to one destination
 * address and port). tokbench has no cap of its own (LoadGen has none for
 * Server), so these are checked before any load is sent, with a pointed error,
 * instead of surfacing mid-run as EMFILE or EADDRNOTAVAIL.
 */
import { readFileSync } from 'node:fs';
import type { Problem } from '../errors.js';

export interface OsLimits {
  /** soft RLIMIT_NOFILE (`ulimit -n`); null when unknown */
  openFiles: number | null;
  /** size of net.ipv4.ip_local_port_range; null when unknown */
  ephemeralPorts: number | null;
}

/** Descriptors kept for everything but sockets: stdio, output files, the dataset, worker threads, DNS. */
export const RESERVED_FDS = 256;

/** Linux reads /proc; elsewhere the limits are unknown and not checked (a mid-run EMFILE still fails as `connect`). */
export function readOsLimits(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): OsLimits {
  return { openFiles: tryRead(() => parseOpenFiles(read('/proc/self/limits'))), ephemeralPorts: tryRead(() => parsePortRange(read('/proc/sys/net/ipv4/ip_local_port_range'))) };
}

function tryRead(f: () => number | null): number | null {
  try {
    return f();
  } catch {
    return null;
  }
}

/** The soft limit of "Max open files" in /proc/self/limits; null for "unlimited" or an unreadable line. */
export function parseOpenFiles(limits: string): number | null {
  const m = /^Max open files\s+(\S+)/m.exec(limits);
  if (m === null || m[1] === 'unlimited') return null;
  const n = Number(m[1]);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** "32768\t60999" → 28232 ports. */
export function parsePortRange(range: string): number | null {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(range);
  if (m === null) return null;
  const n = Number(m[2]) - Number(m[1]) + 1;
  return n > 0 ? n : null;
}

export interface ConnectionPlanInput {
  limits: OsLimits;
  /** distinct destinations (origins) the run connects to */
  origins: number;
  /** requests in flight at most over the whole client; null = unbounded (Server) */
  maxConcurrency: number | null;
  /** per-destination bound implied by maxConcurrency */
  perOrigin: number | null;
  /** arrivals per second (Server), to tell an unbounded run the OS cannot carry at all */
  targetQps: number | null;
  /** the flag that sets the bound, for messages */
  boundWhere: string;
}

export interface ConnectionPlan {
  /** connections per destination the pools may open (the bound, else what the OS allows) */
  connectionsPerOrigin: number;
  /** what the OS allows per destination; null when unknown */
  osMaxPerOrigin: number | null;
  problems: Problem[];
}

/** Per-origin pool size when nothing bounds it and the OS limits are unknown. */
const UNKNOWN_OS_MAX_PER_ORIGIN = 65_535;

export function planConnections(p: ConnectionPlanInput): ConnectionPlan {
  const { openFiles, ephemeralPorts } = p.limits;
  const fdForSockets = openFiles === null ? null : Math.max(0, openFiles - RESERVED_FDS);
  const fdPerOrigin = fdForSockets === null ? null : Math.floor(fdForSockets / Math.max(1, p.origins));
  const osMaxPerOrigin = minOrNull(fdPerOrigin, ephemeralPorts);
  const problems: Problem[] = [];
  const ulimitHint = (need: number) =>
    `raise the limit (ulimit -n ${need + RESERVED_FDS}, or LimitNOFILE= for a systemd unit), or set a lower ${p.boundWhere}`;
  if (p.maxConcurrency !== null) {
    if (fdForSockets !== null && p.maxConcurrency > fdForSockets) {
      problems.push({
        where: p.boundWhere,
        message: `${p.maxConcurrency} requests in flight need ${p.maxConcurrency} sockets, but the open-file limit is ${openFiles} (ulimit -n, ${RESERVED_FDS} kept for files)`,
        hint: ulimitHint(p.maxConcurrency),
      });
    }
    if (ephemeralPorts !== null && p.perOrigin !== null && p.perOrigin > ephemeralPorts) {
      problems.push({
        where: p.boundWhere,
        message: `${p.perOrigin} connections to one endpoint need as many local ports, but net.ipv4.ip_local_port_range has ${ephemeralPorts}`,
        hint: 'widen net.ipv4.ip_local_port_range, spread the load over more endpoints (ports are per destination), or run more clients (--shard)',
      });
    }
  } else if (fdForSockets !== null && p.targetQps !== null && p.targetQps > fdForSockets) {
    // Unbounded: what is in flight is arrivals × latency; less than one second of arrivals cannot even be held.
    problems.push({
      where: 'ulimit -n',
      message: `at ${p.targetQps} QPS more than ${fdForSockets} requests are in flight within a second, but the open-file limit is ${openFiles}`,
      hint: `raise the limit (ulimit -n), run more clients (--shard), or bound the client with --max-concurrency (its waits then show as issue delay)`,
    });
  }
  const bound = p.perOrigin ?? osMaxPerOrigin ?? UNKNOWN_OS_MAX_PER_ORIGIN;
  return { connectionsPerOrigin: Math.max(1, bound), osMaxPerOrigin, problems };
}

function minOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
