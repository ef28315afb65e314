import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import llama from 'llama-tokenizer-js';
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_harmony';
import { startSimulator, type SimulatorHandle } from '../../../src/sim/server.js';
import { getProfile } from '../../../src/sim/profiles.js';
import { lowLoadTpotUs, lowLoadTtftUs } from '../../../src/sim/engine.js';
import { ConfigError } from '../../../src/errors.js';
import { chunkText, dataLines, parseProm, parseStream, postJson, promValue, waitFor } from './http-helpers.js';

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ profile: 'tiny', seed: 1 });
});
afterAll(async () => {
  await sim.close();
});

const chat = (extra: Record<string, unknown> = {}) => ({
  model: sim.model,
  messages: [{ role: 'user', content: 'Say the word the, please.' }],
  max_tokens: 12,
  ignore_eos: true,
  ...extra,
});

describe('side endpoints', () => {
  it('lists the served model in vLLM shape, answers /health, 404s unknown paths', async () => {
    const models = (await (await fetch(`${sim.url}/v1/models`)).json()) as { object: string; data: Record<string, unknown>[] };
    expect(models.object).toBe('list');
    expect(models.data).toHaveLength(1);
    expect(models.data[0]).toMatchObject({ id: 'tokbench-sim-tiny', object: 'model', owned_by: 'vllm', root: 'tokbench-sim-tiny', max_model_len: 65536 });
    expect((await fetch(`${sim.url}/health`)).status).toBe(200);
    expect((await fetch(`${sim.url}/nope`)).status).toBe(404);
    expect((await fetch(`${sim.url}/v1/completions`)).status).toBe(405);
  });
});

describe('streaming', () => {
  it('chat: role-only first chunk, content deltas, finish on the last delta, usage chunk with choices [], [DONE]', async () => {
    const res = await postJson(`${sim.url}/v1/chat/completions`, chat({ stream: true, stream_options: { include_usage: true } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const chunks = parseStream(await res.text());
    const [role, ...rest] = chunks;
    expect(role!.choices[0]).toEqual({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
    const usageChunk = rest.at(-1)!;
    const content = rest.slice(0, -1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual({ prompt_tokens: 7, completion_tokens: 12, total_tokens: 19 });
    expect(content.map((c) => c.choices[0]!.finish_reason)).toEqual([...Array(11).fill(null), 'length']);
    for (const c of content) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.id).toBe(role!.id);
      expect(c.usage).toBeNull(); // include_usage without continuous stats: usage null on other chunks
    }
    const text = content.map(chunkText).join('');
    // A client re-tokenizing the text gets the usage count under both benchmark tokenizers.
    expect(llama.encode(text, false, false)).toHaveLength(12);
    expect(llama.encode(text, false, true)).toHaveLength(12);
    expect(o200k(text)).toHaveLength(12);
  });

  it('completions with token ids and continuous usage: usage on every chunk, prompt counted exactly', async () => {
    const ids = Array.from({ length: 37 }, (_, i) => 100 + i);
    const res = await postJson(`${sim.url}/v1/completions`, {
      model: sim.model,
      prompt: ids,
      max_tokens: 9,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    const chunks = parseStream(await res.text());
    const content = chunks.slice(0, -1);
    expect(content[0]!.object).toBe('text_completion');
    expect(content[0]!.choices[0]).toMatchObject({ index: 0, text: 'the', finish_reason: null, stop_reason: null });
    expect(content.map((c) => c.usage!.completion_tokens)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const c of content) expect(c.usage!.prompt_tokens).toBe(37);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 37, completion_tokens: 9, total_tokens: 46 });
  });

  it('without stream_options there is no usage anywhere', async () => {
    const res = await postJson(`${sim.url}/v1/completions`, { prompt: 'hello', max_tokens: 3, stream: true });
    const chunks = parseStream(await res.text());
    expect(chunks).toHaveLength(3);
    for (const c of chunks) expect(c).not.toHaveProperty('usage');
  });

  it('several tokens per chunk with tokensPerChunk; continuous usage reveals the count per chunk', async () => {
    const s = await startSimulator({ engine: { tokensPerChunk: 4 } });
    try {
      const res = await postJson(`${s.url}/v1/completions`, {
        prompt: 'x',
        max_tokens: 11,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true, continuous_usage_stats: true },
      });
      const content = parseStream(await res.text()).slice(0, -1);
      const perChunk = content.map((c, i) => c.usage!.completion_tokens - (i === 0 ? 0 : content[i - 1]!.usage!.completion_tokens));
      expect(perChunk).toEqual([1, 4, 4, 2]);
      expect(content.map(chunkText).join('').split('the').length - 1).toBe(11);
    } finally {
      await s.close();
    }
  });
});

describe('non-streaming', () => {
  it('chat and completions bodies carry the text and usage', async () => {
    const c = (await (await postJson(`${sim.url}/v1/chat/completions`, chat({ max_completion_tokens: 4, max_tokens: 99 }))).json()) as {
      object: string;
      choices: { message: { role: string; content: string }; finish_reason: string }[];
      usage: { completion_tokens: number };
    };
    expect(c.object).toBe('chat.completion');
    // max_completion_tokens wins over max_tokens, as in vLLM
    expect(c.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'the the the the' }, finish_reason: 'length' });
    expect(c.usage.completion_tokens).toBe(4);
    const p = (await (await postJson(`${sim.url}/v1/completions`, { prompt: 'abcdefgh', max_tokens: 2 })).json()) as Record<string, unknown>;
    expect(p).toMatchObject({ object: 'text_completion', choices: [{ text: 'the the', finish_reason: 'length' }], usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 } });
  });

  it('without ignore_eos the length is drawn from the profile, capped by max_tokens, and repeatable per prompt', async () => {
    const dist = getProfile('tiny')!.engine.outputLength;
    expect(dist).toEqual({ kind: 'uniform', min: 32, max: 224 });
    const lengths = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const body = { prompt: `prompt number ${i}`, max_tokens: 1000 };
        const r = (await (await postJson(`${sim.url}/v1/completions`, body)).json()) as { usage: { completion_tokens: number }; choices: { finish_reason: string }[] };
        expect(r.choices[0]!.finish_reason).toBe('stop');
        return r.usage.completion_tokens;
      }),
    );
    for (const n of lengths) expect(n).toBeGreaterThanOrEqual(32);
    for (const n of lengths) expect(n).toBeLessThanOrEqual(224);
    expect(new Set(lengths).size).toBeGreaterThan(4);
    const again = (await (await postJson(`${sim.url}/v1/completions`, { prompt: 'prompt number 3', max_tokens: 1000 })).json()) as { usage: { completion_tokens: number } };
    expect(again.usage.completion_tokens).toBe(lengths[3]);
    const capped = (await (await postJson(`${sim.url}/v1/completions`, { prompt: 'prompt number 3', max_tokens: 5 })).json()) as { usage: { completion_tokens: number }; choices: { finish_reason: string }[] };
    expect([capped.usage.completion_tokens, capped.choices[0]!.finish_reason]).toEqual([5, 'length']);
  });
});

describe('errors', () => {
  const expectError = async (res: Response, status: number, type: string, param: string | null) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { message: string; type: string; param: string | null; code: number } };
    expect(body.error).toMatchObject({ type, param, code: status });
    expect(body.error.message.length).toBeGreaterThan(5);
    return body.error.message;
  };

  it('400 BadRequestError for invalid JSON, missing prompt or messages, and bad types', async () => {
    const url = `${sim.url}/v1/completions`;
    await expectError(await postJson(url, '{"prompt": '), 400, 'BadRequestError', null);
    await expectError(await postJson(url, { max_tokens: 3 }), 400, 'BadRequestError', 'prompt');
    await expectError(await postJson(url, { prompt: 'x', max_tokens: 'ten' }), 400, 'BadRequestError', 'max_tokens');
    await expectError(await postJson(url, { prompt: [1, -2] }), 400, 'BadRequestError', 'prompt');
    await expectError(await postJson(url, { prompt: 'x', stream_options: { include_usage: true } }), 400, 'BadRequestError', 'stream_options');
    await expectError(await postJson(`${sim.url}/v1/chat/completions`, { messages: 'hi' }), 400, 'BadRequestError', 'messages');
    await expectError(await postJson(`${sim.url}/v1/chat/completions`, { messages: [{ role: 'user', content: 3 }] }), 400, 'BadRequestError', 'messages[0].content');
  });

  it('404 with vLLM\'s message for an unknown model', async () => {
    const msg = await expectError(await postJson(`${sim.url}/v1/completions`, { model: 'gpt-9', prompt: 'x' }), 404, 'NotFoundError', 'model');
    expect(msg).toBe('The model `gpt-9` does not exist.');
  });

  it('400 when prompt + max_tokens exceed the context length', async () => {
    const ids = Array.from({ length: 65_000 }, () => 5);
    const msg = await expectError(await postJson(`${sim.url}/v1/completions`, { prompt: ids, max_tokens: 10_240 }), 400, 'BadRequestError', 'max_tokens');
    expect(msg).toContain('maximum context length is 65536 tokens');
    expect(msg).toContain('(10240 > 65536 - 65000)');
    // the whole context taken by the prompt
    const big = Array.from({ length: 65_536 }, () => 5);
    await expectError(await postJson(`${sim.url}/v1/completions`, { prompt: big, max_tokens: 1 }), 400, 'BadRequestError', 'input_tokens');
  });

  it('startSimulator rejects bad options with a ConfigError naming each', async () => {
    const err = await startSimulator({ profile: 'tiny2', engine: { maxNumSeqs: 0 }, faults: { '500': 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.where).sort()).toEqual(['faults.500', 'maxNumSeqs', 'profile']);
    expect((err as ConfigError).problems.find((p) => p.where === 'profile')!.hint).toContain('did you mean "tiny"');
  });
});

describe('accounting', () => {
  it('/metrics parses and its counters match what the client counted; stats() agree', async () => {
    const s = await startSimulator({ seed: 9 });
    try {
      let promptTokens = 0;
      let completionTokens = 0;
      const runs = Array.from({ length: 8 }, async (_, i) => {
        const stream = i % 2 === 0;
        const res = await postJson(`${s.url}/v1/completions`, {
          prompt: Array.from({ length: 20 + i }, () => 7),
          max_tokens: 40,
          stream,
          ...(stream ? { stream_options: { include_usage: true } } : {}),
        });
        const text = await res.text();
        const usage = stream ? parseStream(text).at(-1)!.usage! : (JSON.parse(text) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
        promptTokens += usage.prompt_tokens;
        completionTokens += usage.completion_tokens;
      });
      await Promise.all(runs);
      await postJson(`${s.url}/v1/completions`, { prompt: 'x', model: 'other' });
      const m = parseProm(await (await fetch(`${s.url}/metrics`)).text());
      expect(promValue(m, 'vllm:prompt_tokens_total', 'model_name="tokbench-sim-tiny"')).toBe(promptTokens);
      expect(promValue(m, 'vllm:generation_tokens_total')).toBe(completionTokens);
      const success = ['stop', 'length'].reduce((n, r) => n + promValue(m, 'vllm:request_success_total', `finished_reason="${r}"`), 0);
      expect(success).toBe(8);
      expect(promValue(m, 'vllm:time_to_first_token_seconds_count')).toBe(8);
      expect(promValue(m, 'vllm:time_to_first_token_seconds_bucket', 'le="+Inf"')).toBe(8);
      expect(promValue(m, 'vllm:e2e_request_latency_seconds_count')).toBe(8);
      // one inter-token observation per token after the first
      expect(promValue(m, 'vllm:inter_token_latency_seconds_count')).toBe(completionTokens - 8);
      expect(promValue(m, 'vllm:num_requests_running')).toBe(0);
      expect(promValue(m, 'vllm:num_requests_waiting')).toBe(0);
      expect(promValue(m, 'vllm:kv_cache_usage_perc')).toBe(0);
      const st = s.stats();
      expect(st).toMatchObject({ requests: 9, byStatus: { '200': 8, '404': 1 }, promptTokens, generationTokens: completionTokens, completed: 8, cancelled: 0 });
    } finally {
      await s.close();
    }
  });

  it('a client that disconnects mid-stream cancels its request in the engine', async () => {
    const s = await startSimulator();
    try {
      const ac = new AbortController();
      const res = await postJson(`${s.url}/v1/completions`, { prompt: 'x', max_tokens: 5000, ignore_eos: true, stream: true }, { signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read();
      expect(s.stats().engine.running).toBe(1);
      ac.abort();
      await waitFor(() => s.stats().cancelled === 1 && s.stats().engine.running === 0);
      const st = s.stats();
      expect(st.engine.cancelled).toBe(1);
      expect(st.generationTokens).toBeLessThan(5000);
      expect(st.engine.kvUsage).toBe(0);
      const m = parseProm(await (await fetch(`${s.url}/metrics`)).text());
      expect(promValue(m, 'vllm:request_success_total', 'finished_reason="abort"')).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('a lone request sees the analytic TTFT and TPOT on the real clock', async () => {
    // Scaled up so that loopback HTTP (1-3 ms here) is small next to the modelled times.
    const s = await startSimulator({ engine: { timeScale: 20 } });
    try {
      const P = 300;
      const O = 11;
      const ttftMs: number[] = [];
      const tpotMs: number[] = [];
      await (await postJson(`${s.url}/v1/completions`, { prompt: 'warm up', max_tokens: 1 })).text();
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const res = await postJson(`${s.url}/v1/completions`, { prompt: Array(P).fill(9), max_tokens: O, ignore_eos: true, stream: true });
        const reader = res.body!.getReader();
        let first = -1;
        let buf = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (first < 0) first = performance.now();
          buf += Buffer.from(value).toString();
        }
        const end = performance.now();
        expect(dataLines(buf)).toHaveLength(O + 1);
        ttftMs.push(first - t0);
        tpotMs.push((end - first) / (O - 1));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
      const p = s.config.engine;
      // model: (1000 + 2*300) µs * 20 = 32 ms; timers are ±0.5 ms, loopback HTTP adds a few ms
      expect(lowLoadTtftUs(p, P)).toBe(32_000);
      expect(median(ttftMs)).toBeGreaterThan(lowLoadTtftUs(p, P) / 1000 - 1);
      expect(median(ttftMs)).toBeLessThan(lowLoadTtftUs(p, P) / 1000 + 5);
      expect(median(tpotMs)).toBeGreaterThan((lowLoadTpotUs(p) / 1000) * 0.97);
      expect(median(tpotMs)).toBeLessThan((lowLoadTpotUs(p) / 1000) * 1.03);
    } finally {
      await s.close();
    }
  });

  it('streams the tiny profile at thousands of tokens per second, close to the model', async () => {
    const s = await startSimulator({ engine: { maxNumSeqs: 8, maxBatchedTokens: 2048 } });
    try {
      const started = performance.now();
      let tokens = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 4; i++) {
            const res = await postJson(`${s.url}/v1/completions`, { prompt: Array(64).fill(3), max_tokens: 100, ignore_eos: true, stream: true });
            const lines = dataLines(await res.text());
            tokens += lines.length - 1;
          }
        }),
      );
      const tokPerS = tokens / ((performance.now() - started) / 1000);
      expect(tokens).toBe(3200);
      // model: 8 slots, 64 in / 100 out -> (1000*(1+99)/8 + 2*64 + 40*99) µs per request = 16.59 ms -> ~6.0k tokens/s
      expect(tokPerS).toBeGreaterThan(2500);
      expect(tokPerS).toBeLessThan(6400);
      expect(dataLines('')).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
