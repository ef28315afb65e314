/**
 * One origin's connections as a few undici Pools of at most
 * POOL_SHARD_CONNECTIONS each, instead of one big Pool.
 *
 * Why: undici's Pool finds a free connection by scanning its clients from the
 * first one, and with pipelining 1 it scans twice per request (once to pick,
 * once to see whether any is still free): O(connections) per request, ~2 % of
 * the client's CPU at 1,024 streams and growing with the count. A group sends
 * each request to the member with the fewest requests outstanding (ties: the
 * lowest index), so no request waits in one member while another has a free
 * connection; only when every connection is busy do requests queue, in the
 * member they were sent to. With at most POOL_SHARD_CONNECTIONS connections in
 * all there is one member and nothing changes.
 */
import { Pool, type Dispatcher } from 'undici';

export const POOL_SHARD_CONNECTIONS = 64;

/**
 * Connections from one source address to one loopback server, at most: each
 * takes an ephemeral port of that address (Linux: 28,232 by default, fewer
 * once closed connections sit in TIME_WAIT), so a 10,000-stream run on
 * loopback spreads them over 127.0.0.1, 127.0.0.2, ... (every 127/8 address
 * is the loopback interface's, no set-up needed).
 */
export const LOOPBACK_CONNECTIONS_PER_SOURCE = 8_192;

/** Source addresses for `connections` to `hostname`: several 127.0.0.x where one address's ports would not do; else none. */
export function loopbackSources(hostname: string, connections: number): string[] {
  if (!/^127\.\d+\.\d+\.\d+$/.test(hostname) || connections <= LOOPBACK_CONNECTIONS_PER_SOURCE) return [];
  const n = Math.min(250, Math.ceil(connections / LOOPBACK_CONNECTIONS_PER_SOURCE));
  return Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`);
}

export class PoolGroup {
  readonly pools: Pool[];
  /** dispatched and not yet ended (response end or error), per member */
  private readonly outstanding: Int32Array;

  /**
   * `localAddresses`: source addresses the members' connections are bound to, in
   * turn (member i: localAddresses[i % n]); empty: the kernel's choice.
   */
  constructor(origin: string, connections: number, options: Omit<Pool.Options, 'connections'>, localAddresses: readonly string[] = []) {
    const total = Math.max(1, connections);
    const members = Math.ceil(total / POOL_SHARD_CONNECTIONS);
    const per = Math.ceil(total / members);
    this.pools = [];
    for (let i = 0; i < members; i++) {
      const localAddress = localAddresses.length > 0 ? localAddresses[i % localAddresses.length] : undefined;
      this.pools.push(new Pool(origin, { ...options, connections: per, ...(localAddress === undefined ? {} : { localAddress }) }));
    }
    this.outstanding = new Int32Array(members);
  }

  /** The member to send the next request to: the one with the fewest requests outstanding. */
  pick(): number {
    const n = this.pools.length;
    let best = 0;
    if (n > 1) {
      const out = this.outstanding;
      for (let i = 1; i < n; i++) if (out[i]! < out[best]!) best = i;
    }
    return best;
  }

  /**
   * Send to member `index` (from pick()); the handler must call release(index)
   * exactly once when its response ends or fails (undici may fail it before
   * this returns).
   */
  dispatchTo(index: number, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    this.outstanding[index]!++;
    this.pools[index]!.dispatch(opts, handler);
  }

  /** The request sent to member `index` ended (its response ended or failed). */
  release(index: number): void {
    this.outstanding[index]!--;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
