/**
 * pool-group.ts splits one origin's connections into undici Pools of at most
 * 64, so finding a free connection stays cheap at thousands of streams. What
 * must hold: up to 64 connections nothing changes (one Pool); above, requests
 * go to the least busy member, every request ends up answered, and members'
 * counts come back to zero.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POOL_SHARD_CONNECTIONS, PoolGroup } from '../../../src/sut/pool-group.js';

let server: Server;
let origin = '';
let held: (() => void)[] = [];
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => held.push(() => res.end('ok')));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

/** A handler that counts its end and tells the group once. */
function handler(group: PoolGroup, member: number, done: (ok: boolean) => void): Dispatcher.DispatchHandler {
  return {
    onRequestStart: () => {},
    onResponseStart: () => {},
    onResponseData: () => {},
    onResponseEnd: () => {
      group.release(member);
      done(true);
    },
    onResponseError: () => {
      group.release(member);
      done(false);
    },
  };
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('PoolGroup', () => {
  it('up to 64 connections is one Pool; above, members of at most 64', () => {
    const sizes = (n: number) => new PoolGroup(origin, n, { pipelining: 1 }).pools.length;
    expect(sizes(1)).toBe(1);
    expect(sizes(POOL_SHARD_CONNECTIONS)).toBe(1);
    expect(sizes(POOL_SHARD_CONNECTIONS + 1)).toBe(2);
    expect(sizes(1024)).toBe(16);
  });

  it('spreads requests over the least busy members, answers every one, and releases them all', async () => {
    held = [];
    connections = 0;
    const group = new PoolGroup(origin, 130, { pipelining: 1 }); // 3 members of 44
    expect(group.pools).toHaveLength(3);
    let ok = 0;
    const picks = [0, 0, 0];
    for (let i = 0; i < 120; i++) {
      const m = group.pick();
      picks[m]!++;
      group.dispatchTo(m, { origin, path: '/', method: 'GET' }, handler(group, m, (good) => (ok += good ? 1 : 0)));
    }
    expect(picks).toEqual([40, 40, 40]);
    await waitFor(() => held.length === 120);
    expect(held).toHaveLength(120);
    expect(connections).toBe(120); // no request waited for a connection while another member had one free
    for (const release of held.splice(0)) release();
    await waitFor(() => ok === 120);
    expect(ok).toBe(120);
    // all released: the next pick is member 0 again, with nothing outstanding anywhere
    expect(group.pick()).toBe(0);
    await group.destroy();
  });
});
