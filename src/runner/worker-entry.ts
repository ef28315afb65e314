/**
 * A worker thread of `--workers N` (see workers.ts): builds its own Sut (own
 * undici pools), runs its warm-up share, reports ready, waits for the absolute
 * t = 0 from the main thread, runs its share of the schedule with the ordinary
 * runner, and streams records back in batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { realClock } from '../util/clock.js';
import { loadTokenizer } from '../dataset/tokenizers.js';
import type { Sample, SampleLibrary } from '../dataset/types.js';
import { createOpenAiSut } from '../sut/openai.js';
import type { RequestRecord } from '../records/record.js';
import type { Schedule } from '../schedule/schedule.js';
import { runSchedule } from './runner.js';
import { BATCH_MS, BATCH_SIZE, localUsOfEpoch, type FromWorker, type ToWorker, type WorkerInit } from './workers.js';

const port = parentPort;
if (port === null) throw new Error('worker-entry.js runs only as a worker thread');
const init = workerData as WorkerInit;

const send = (m: FromWorker) => port.postMessage(m);

async function main(): Promise<void> {
  const interrupt = new AbortController();
  const hardStop = new AbortController();
  let resolveStart!: (t0EpochUs: number) => void;
  const started = new Promise<number>((r) => (resolveStart = r));
  port!.on('message', (m: ToWorker) => {
    if (m.type === 'start') resolveStart(m.t0EpochUs);
    else if (m.type === 'interrupt') interrupt.abort(new Error('interrupted'));
    else if (m.type === 'hardStop') hardStop.abort(new Error('aborted'));
  });

  const tokenizer = init.tokenizer === null ? null : await loadTokenizer(init.tokenizer);
  const library: SampleLibrary = { samples: init.samples as Sample[], tokenizer: init.tokenizer ?? 'llama2', source: init.tokenizerSource };
  const sut = createOpenAiSut({
    endpoints: init.endpoints,
    clock: realClock,
    request: init.request,
    apiKey: init.apiKey,
    requestTimeoutMs: init.requestTimeoutMs,
    idleTimeoutMs: init.idleTimeoutMs,
    ...(init.firstTokenTimeoutMs !== undefined ? { firstTokenTimeoutMs: init.firstTokenTimeoutMs } : {}),
    keepText: init.keepText,
    retries: init.retries,
    connectionsPerEndpoint: init.connectionsPerEndpoint,
    ...(init.tls ? { tls: init.tls } : {}),
  });

  let pending: RequestRecord[] = [];
  let issued = new Array<number>(init.endpoints.length).fill(0);
  let issuedAny = false;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (pending.length === 0 && !issuedAny) return;
    send({ type: 'batch', records: pending, issued });
    pending = [];
    issued = new Array<number>(init.endpoints.length).fill(0);
    issuedAny = false;
  };
  const soon = () => {
    if (timer === null) timer = setTimeout(flush, BATCH_MS);
  };
  const common = {
    clock: realClock,
    sut,
    library,
    defaultMaxTokens: init.defaultMaxTokens,
    maxDurationMs: init.maxDurationMs,
    drainTimeoutMs: init.drainTimeoutMs,
    graceMs: init.graceMs,
    balancing: init.balancing,
    countTokens: tokenizer === null ? null : (text: string) => tokenizer.countOutput(text),
    interrupt: interrupt.signal,
    hardStop: hardStop.signal,
    warmupSeed: init.warmupSeed,
    onIssued: (endpoint: number) => {
      issued[endpoint] = (issued[endpoint] ?? 0) + 1;
      issuedAny = true;
      soon();
    },
    onRecord: (rec: RequestRecord) => {
      pending.push(rec);
      if (pending.length >= BATCH_SIZE) flush();
      else soon();
    },
  };

  try {
    if (init.warmupRequests > 0) {
      // Warm-up only: an empty schedule, so the measured run can start on the common t = 0.
      const empty: Schedule = { ...init.schedule, length: 0, seq: new Uint32Array(0), sampleIndex: new Uint32Array(0), scheduledAtUs: new Float64Array(0) };
      await runSchedule({ ...common, schedule: empty, warmupRequests: init.warmupRequests });
      flush();
    }
    send({ type: 'ready' });
    const t0EpochUs = await started;
    const outcome = await runSchedule({ ...common, schedule: init.schedule, warmupRequests: 0, startAtUs: localUsOfEpoch(t0EpochUs) });
    flush();
    send({ type: 'done', outcome });
  } finally {
    await sut.close().catch(() => undefined);
    port!.close();
  }
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  port.close();
});
