import { describe, expect, it } from 'vitest';
import { parseOpenFiles, parsePortRange, planConnections, readOsLimits, RESERVED_FDS } from '../../../src/sut/os-limits.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
`;

describe('OS limits on requests in flight', () => {
  it('reads the soft open-file limit and the ephemeral port range from /proc text', () => {
    expect(parseOpenFiles(LIMITS)).toBe(1024);
    expect(parseOpenFiles('Max open files            unlimited            unlimited            files')).toBeNull();
    expect(parsePortRange('32768\t60999\n')).toBe(28232);
    expect(readOsLimits(() => {
      throw new Error('no /proc');
    })).toEqual({ openFiles: null, ephemeralPorts: null });
  });

  it('a bound above the open-file limit is refused before the run, naming the flag and the fix', () => {
    const plan = planConnections({ limits: { openFiles: 1024, ephemeralPorts: 28232 }, origins: 1, maxConcurrency: 4096, perOrigin: 4096, targetQps: null, boundWhere: '--max-concurrency' });
    expect(plan.problems).toHaveLength(1);
    expect(plan.problems[0]!.where).toBe('--max-concurrency');
    expect(plan.problems[0]!.message).toContain('open-file limit is 1024');
    expect(plan.problems[0]!.hint).toContain(`ulimit -n ${4096 + RESERVED_FDS}`);
  });

  it('more connections to one endpoint than ephemeral ports is refused, with the per-destination hint', () => {
    const plan = planConnections({ limits: { openFiles: 1_000_000, ephemeralPorts: 28232 }, origins: 1, maxConcurrency: 30_000, perOrigin: 30_000, targetQps: null, boundWhere: '--max-concurrency' });
    expect(plan.problems.map((p) => p.message).join()).toContain('ip_local_port_range has 28232');
    // spread over two endpoints the ports suffice
    expect(planConnections({ limits: { openFiles: 1_000_000, ephemeralPorts: 28232 }, origins: 2, maxConcurrency: 30_000, perOrigin: 15_000, targetQps: null, boundWhere: '--max-concurrency' }).problems).toEqual([]);
  });

  it('unbounded Server: no cap of its own, pools may open what the OS allows; a rate the OS cannot hold one second of is refused', () => {
    const plan = planConnections({ limits: { openFiles: 20_000, ephemeralPorts: 28232 }, origins: 4, maxConcurrency: null, perOrigin: null, targetQps: 400, boundWhere: '--max-concurrency' });
    expect(plan.problems).toEqual([]);
    expect(plan.connectionsPerOrigin).toBe(Math.floor((20_000 - RESERVED_FDS) / 4));
    const tooFast = planConnections({ limits: { openFiles: 1024, ephemeralPorts: 28232 }, origins: 1, maxConcurrency: null, perOrigin: null, targetQps: 5000, boundWhere: '--max-concurrency' });
    expect(tooFast.problems[0]!.where).toBe('ulimit -n');
  });
});
