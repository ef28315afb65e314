import { describe, expect, it } from 'vitest';
import { CLIENT_BOUNDS, ConnectWaitCounter, judgeClient, type ClientLoad } from '../../../src/metrics/client-check.js';
import { evaluateThreshold, parseThreshold } from '../../../src/metrics/thresholds.js';
import { ConfigError } from '../../../src/errors.js';
import type { RequestRecord } from '../../../src/records/record.js';
import type { ResultJson } from '../../../src/metrics/types.js';

const quiet: ClientLoad = { eventLoopDelayMs: { p50: 0.1, p99: 0.8, max: 3 }, eventLoopUtilization: 0.3, cpuCores: 0.4, cpuUtilization: 0.2, cores: 2, workers: 1 };
const judge = (load: Partial<ClientLoad>, more: { timed?: boolean; issueP99?: number | null; waits?: { over: number; requests: number } } = {}) =>
  judgeClient({ load: { ...quiet, ...load }, timedArrivals: more.timed ?? true, issueDelayP99Ms: more.issueP99 ?? 0.2, connectWaits: more.waits ?? { over: 0, requests: 100 } });

describe('judgeClient', () => {
  it('a quiet client kept up', () => {
    const v = judge({});
    expect(v.clientBound).toBe(false);
    expect(v.clientBoundReasons).toEqual([]);
  });

  it('each bound crossed gives its own reason', () => {
    expect(judge({ eventLoopUtilization: 0.97 }).clientBoundReasons[0]).toMatch(/^loop saturated/);
    expect(judge({ eventLoopDelayMs: { p50: 1, p99: 12, max: 40 } }).clientBoundReasons[0]).toMatch(/^event-loop delay p99 12 ms/);
    expect(judge({ cpuCores: 1.95, cpuUtilization: 0.975 }).clientBoundReasons[0]).toMatch(/^CPU: the client used 2 of 2 cores/);
    expect(judge({}, { issueP99: 3 }).clientBoundReasons[0]).toMatch(/^issue delay p99 3 ms/);
    expect(judge({}, { waits: { over: 2, requests: 100 } }).clientBoundReasons[0]).toMatch(/^connection waits: 2 of 100/);
    const all = judge({ eventLoopUtilization: 1, eventLoopDelayMs: { p50: 1, p99: 50, max: 90 }, cpuUtilization: 1 }, { issueP99: 9, waits: { over: 50, requests: 100 } });
    expect(all.clientBound).toBe(true);
    expect(all.clientBoundReasons).toHaveLength(5);
  });

  it('at the bounds it still kept up; the loop and issue delay bounds apply only where they mean something', () => {
    const b = CLIENT_BOUNDS;
    expect(judge({ eventLoopDelayMs: { p50: 1, p99: b.loopDelayP99Ms, max: 20 } }, { issueP99: b.issueDelayP99Ms, waits: { over: 1, requests: 100 } }).clientBound).toBe(false);
    // Offline / closed loop: queries have no times to keep, issue delay is queueing by design
    expect(judge({}, { timed: false, issueP99: 5_000 }).clientBound).toBe(false);
    // with workers the main thread only collects records
    expect(judge({ eventLoopUtilization: 0.99, workers: 2 }).clientBound).toBe(false);
    expect(judge({}, { issueP99: null }).clientBound).toBe(false);
  });

  it('counts measured requests that waited for a connection over the bound', () => {
    const c = new ConnectWaitCounter();
    const rec = (connectWaitUs: number | undefined, warmup = false) => ({ warmup, connectWaitUs }) as RequestRecord;
    c.add(rec(50));
    c.add(rec(CLIENT_BOUNDS.connectWaitMs * 1000 + 1));
    c.add(rec(undefined));
    c.add(rec(60_000_000, true));
    expect([c.over, c.requests]).toEqual([1, 3]);
  });
});

describe("--assert 'client_bound == false'", () => {
  const result = (clientBound: boolean | undefined) => ({ client: clientBound === undefined ? undefined : { workers: 1, clientBound } }) as unknown as ResultJson;

  it('passes when the client kept up, fails when it was bound or not measured', () => {
    const t = parseThreshold('client_bound == false', '--assert');
    expect(evaluateThreshold(t, result(false)).verdict).toEqual({ expr: 'client_bound == false', passed: true, actual: false });
    expect(evaluateThreshold(t, result(true)).verdict).toEqual({ expr: 'client_bound == false', passed: false, actual: true });
    const missing = evaluateThreshold(t, result(undefined));
    expect(missing.verdict.passed).toBe(false);
    expect(missing.missing).toMatch(/no client self-check/);
    expect(evaluateThreshold(parseThreshold('client_bound != true', '--assert'), result(false)).verdict.passed).toBe(true);
    expect(evaluateThreshold(parseThreshold('client_bound == true', '--assert'), result(true)).verdict.passed).toBe(true);
  });

  it('booleans compare only with true or false; an invalid run cannot be asserted', () => {
    expect(() => parseThreshold('client_bound < 1', '--assert')).toThrow(ConfigError);
    expect(() => parseThreshold('valid == false', '--assert')).toThrow(/invalid run is not supported/);
    expect(() => parseThreshold('valid != true', '--assert')).toThrow(/invalid run is not supported/);
    expect(parseThreshold('valid == true', '--assert').kind).toBe('boolean');
  });
});
