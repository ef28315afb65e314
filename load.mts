import { Agent, request } from 'undici';
import { startSimulator } from './src/sim/server.js';
import { saturationCapacity } from './src/sim/engine.js';
const profile = process.argv[2] ?? 'tiny';
const conc = Number(process.argv[3] ?? 16);
const total = Number(process.argv[4] ?? 400);
const P = Number(process.argv[5] ?? 256), O = Number(process.argv[6] ?? 128);
const ts = process.argv[7] ? Number(process.argv[7]) : undefined;
const sim = await startSimulator({ profile, engine: ts ? { timeScale: ts } : {} });
const agent = new Agent({ connections: conc + 4, pipelining: 1 });
const ids = Array.from({ length: P }, (_, i) => i + 10);
let done = 0, tokens = 0, issued = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
async function worker() {
  while (issued < total) {
    issued++;
    const { body } = await request(sim.url + '/v1/completions', { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: sim.model, prompt: ids, max_tokens: O, ignore_eos: true, stream: true, stream_options: { include_usage: true } }) });
    let buf = '';
    for await (const c of body) { buf += c.toString(); }
    const m = /"completion_tokens":(\d+)\}\}\n\n/.exec(buf.slice(-300));
    tokens += Number(m?.[1]); done++;
  }
}
await Promise.all(Array.from({ length: conc }, worker));
const s = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cap = saturationCapacity(sim.config.engine, { inputTokens: P, outputTokens: O }, { concurrency: conc });
console.log(JSON.stringify({ profile, conc, done, tokens, seconds: s.toFixed(2), tokPerS: (tokens / s).toFixed(0), predicted: cap.outputTokensPerSecond.toFixed(0), ratio: (tokens / s / cap.outputTokensPerSecond).toFixed(3), cpuPct: (((cpu.user + cpu.system) / 1e6 / s) * 100).toFixed(0), lag: sim.stats().engine.lagDroppedUs }));
await sim.close(); await agent.close();
