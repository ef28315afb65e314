import { describe, expect, it } from 'vitest';
import { startSimulator, type SimulatorHandle } from '../../../src/sim/server.js';
import { FAULT_KINDS, FaultPlanner, parseFaultSpec, strikeAtToken, type FaultKind } from '../../../src/sim/faults.js';
import { chunkText, dataLines, parseStream, postJson, type StreamChunk } from './http-helpers.js';

/** A server where every valid completion request gets `kind`. */
async function withFault<T>(kind: FaultKind, fn: (s: SimulatorHandle) => Promise<T>, extra: { slowHeadersMs?: number; retryAfterS?: number } = {}): Promise<T> {
  const s = await startSimulator({ faults: { [kind]: 1 }, seed: 5, ...extra });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const streamReq = (s: SimulatorHandle, maxTokens = 20, extra: Record<string, unknown> = {}) =>
  postJson(`${s.url}/v1/completions`, {
    prompt: 'hello',
    max_tokens: maxTokens,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  });

describe('faults over HTTP', () => {
  it('500 and 503 answer with an error body and do no work', async () => {
    for (const [kind, type] of [
      ['500', 'InternalServerError'],
      ['503', 'ServiceUnavailableError'],
    ] as const) {
      await withFault(kind, async (s) => {
        const res = await streamReq(s);
        expect(res.status).toBe(Number(kind));
        expect(((await res.json()) as { error: { type: string; code: number } }).error).toMatchObject({ type, code: Number(kind) });
        expect(s.stats().faults[kind]).toBe(1);
        expect(s.stats().engine.steps).toBe(0);
      });
    }
  });

  it('429 carries Retry-After', async () => {
    await withFault(
      '429',
      async (s) => {
        const res = await streamReq(s);
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('3');
        await res.body?.cancel();
      },
      { retryAfterS: 3 },
    );
  });

  it('reset: the connection drops after some chunks arrived', async () => {
    await withFault('reset', async (s) => {
      const res = await streamReq(s, 50);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let received = '';
      const err = await (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return null;
            received += Buffer.from(value).toString();
          }
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(Error);
      expect(received).toContain('"text":"the"');
      expect(received).not.toContain('[DONE]');
      expect(s.stats().faults.reset).toBe(1);
      expect(s.stats().completed).toBe(0);
    });
  });

  it('stall: chunks stop but the socket stays open until the client gives up', async () => {
    await withFault('stall', async (s) => {
      const res = await streamReq(s, 30);
      const reader = res.body!.getReader();
      let received = '';
      // Read until the line goes quiet for 250 ms; the stream must not end.
      for (;;) {
        const next = await Promise.race([reader.read(), new Promise<'silent'>((r) => setTimeout(() => r('silent'), 250))]);
        if (next === 'silent') break;
        expect(next.done).toBe(false);
        received += Buffer.from(next.value).toString();
      }
      expect(received).toContain('"text":"the"');
      expect(received).not.toContain('[DONE]');
      expect(s.stats().faults.stall).toBe(1);
      expect(s.stats().engine.running).toBe(0); // the engine dropped the stalled sequence
      await reader.cancel();
    });
  });

  it('malformed: one data line is not JSON, the stream still ends with [DONE]', async () => {
    await withFault('malformed', async (s) => {
      const text = await (await streamReq(s, 10)).text();
      const lines = dataLines(text);
      expect(lines.at(-1)).toBe('[DONE]');
      const bad = lines.filter((l) => {
        if (l === '[DONE]') return false;
        try {
          JSON.parse(l);
          return false;
        } catch {
          return true;
        }
      });
      expect(bad).toHaveLength(1);
      // The content is all there around the broken line.
      const good = lines.slice(0, -1).filter((l) => !bad.includes(l)).map((l) => JSON.parse(l) as StreamChunk);
      expect(good.at(-1)!.usage!.completion_tokens).toBe(10);
      // Non-streaming: a 200 whose body does not parse.
      const res = await postJson(`${s.url}/v1/completions`, { prompt: 'x', max_tokens: 3 });
      expect(res.status).toBe(200);
      await expect(res.json()).rejects.toThrow();
    });
  });

  it('no-usage: the include_usage chunk and the body usage are missing', async () => {
    await withFault('no-usage', async (s) => {
      const chunks = parseStream(await (await streamReq(s, 6)).text());
      expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
      expect(chunks.map(chunkText).join('')).toBe('the the the the the the');
      const body = (await (await postJson(`${s.url}/v1/completions`, { prompt: 'x', max_tokens: 3 })).json()) as Record<string, unknown>;
      expect(body).not.toHaveProperty('usage');
      expect(s.stats().faults['no-usage']).toBe(2);
    });
  });

  it('slow-headers: the response headers wait slowHeadersMs', async () => {
    await withFault(
      'slow-headers',
      async (s) => {
        const t0 = performance.now();
        const res = await streamReq(s, 2);
        const headersMs = performance.now() - t0;
        expect(headersMs).toBeGreaterThanOrEqual(290);
        expect(headersMs).toBeLessThan(1500);
        expect(parseStream(await res.text()).at(-1)!.usage!.completion_tokens).toBe(2);
      },
      { slowHeadersMs: 300 },
    );
  });

  it('error-event: a 200 stream carries data: {"error": …} and then [DONE], without finish_reason', async () => {
    await withFault('error-event', async (s) => {
      const res = await streamReq(s, 40);
      expect(res.status).toBe(200);
      const chunks = parseStream(await res.text());
      const last = chunks.at(-1)!;
      expect(last.error).toMatchObject({ type: 'InternalServerError', code: 500 });
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.slice(0, -1).every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
      // non-streaming: an HTTP 500
      expect((await postJson(`${s.url}/v1/completions`, { prompt: 'x', max_tokens: 5 })).status).toBe(500);
    });
  });
});

describe('fault determinism over HTTP', () => {
  it('the same seed gives the same outcomes request by request', async () => {
    const outcomes = async (seed: number) => {
      const s = await startSimulator({ seed, faults: { '500': 0.3, '429': 0.3 } });
      try {
        const out: string[] = [];
        for (let i = 0; i < 12; i++) {
          const res = await postJson(`${s.url}/v1/completions`, { prompt: `p${i}`, max_tokens: 60 });
          const body = (await res.json()) as { usage?: { completion_tokens: number } };
          out.push(`${res.status}:${body.usage?.completion_tokens ?? '-'}`);
        }
        return out;
      } finally {
        await s.close();
      }
    };
    const a = await outcomes(11);
    expect(await outcomes(11)).toEqual(a);
    expect(await outcomes(12)).not.toEqual(a);
    expect(new Set(a.map((x) => x.split(':')[0])).size).toBeGreaterThan(1);
  });
});

describe('fault planning', () => {
  it('is deterministic for a seed and follows the rates', () => {
    const rates = { '500': 0.1, reset: 0.2, 'no-usage': 0.05 };
    const draw = (seed: number) => {
      const p = new FaultPlanner(rates, seed);
      return Array.from({ length: 4000 }, () => p.next()?.kind ?? 'none');
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    const share = (k: string) => a.filter((x) => x === k).length / a.length;
    expect(share('500')).toBeCloseTo(0.1, 1);
    expect(share('reset')).toBeCloseTo(0.2, 1);
    expect(share('no-usage')).toBeGreaterThan(0.03);
    expect(share('no-usage')).toBeLessThan(0.07);
    expect(share('none')).toBeCloseTo(0.65, 1);
  });

  it('mid-stream faults strike after the first content token when there is room', () => {
    expect(strikeAtToken({ kind: 'reset', position: 0 }, 10)).toBe(2);
    expect(strikeAtToken({ kind: 'reset', position: 0.999 }, 10)).toBe(10);
    expect(strikeAtToken({ kind: 'reset', position: 0.5 }, 1)).toBe(1);
  });

  it('parses the --faults form and reports every bad item', () => {
    expect(parseFaultSpec('500=0.01, 429=0.02,reset=0')).toEqual({ rates: { '500': 0.01, '429': 0.02, reset: 0 }, problems: [] });
    const { problems } = parseFaultSpec('404=0.1,stall=2,malformed');
    expect(problems).toHaveLength(3);
    expect(problems.every((p) => p.where === '--faults')).toBe(true);
    expect(problems[0]!.hint).toContain(FAULT_KINDS.join(', '));
  });
});
