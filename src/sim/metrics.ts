/**
 * Prometheus text exposition (format 0.0.4) with vLLM V1's metric names, so a
 * client's /metrics scraping can be tested against the simulator as against vLLM.
 * Counters are declared without `_total` and exposed with it, as prometheus_client
 * does. Every series carries `model_name` and `engine="0"` like vLLM's.
 */

/** Upper bounds in seconds. vLLM's buckets, with finer ones below 10 ms for the tiny profile. */
const TTFT_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
  80.0, 160.0, 640.0, 2560.0,
];
const ITL_BUCKETS_S = [
  0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
  10.0, 20.0, 40.0, 80.0,
];
const E2E_BUCKETS_S = [
  0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
  960.0, 1920.0, 7680.0,
];

export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly boundsS: readonly number[]) {
    this.counts = new Float64Array(boundsS.length);
  }
  observe(valueS: number, times = 1): void {
    this.sum += valueS * times;
    this.count += times;
    const b = this.boundsS;
    for (let i = 0; i < b.length; i++) {
      if (valueS <= b[i]!) {
        this.counts[i]! += times;
        return;
      }
    }
  }
}

/** prometheus_client prints floats in Python repr: 3.0, 0.25, 1e-05 */
function num(v: number): string {
  if (Number.isInteger(v)) return `${v}.0`;
  return String(v);
}

export interface MetricsSnapshot {
  modelName: string;
  running: number;
  waiting: number;
  kvUsage: number;
  promptTokens: number;
  generationTokens: number;
  success: { stop: number; length: number; abort: number };
  ttft: Histogram;
  itl: Histogram;
  e2e: Histogram;
  queue: Histogram;
  faults: Record<string, number>;
  timeScale: number;
  /** model time the engine gave up on because the host fell behind, seconds */
  lagDroppedS: number;
}

export class SimMetrics {
  readonly ttft = new Histogram(TTFT_BUCKETS_S);
  readonly itl = new Histogram(ITL_BUCKETS_S);
  readonly e2e = new Histogram(E2E_BUCKETS_S);
  readonly queue = new Histogram(TTFT_BUCKETS_S);
  readonly success = { stop: 0, length: 0, abort: 0 };
}

export function renderMetrics(s: MetricsSnapshot): string {
  const labels = `model_name=${JSON.stringify(s.modelName)},engine="0"`;
  const out: string[] = [];
  const head = (name: string, type: string, help: string) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const gauge = (name: string, help: string, v: number) => {
    head(name, 'gauge', help);
    out.push(`${name}{${labels}} ${num(v)}`);
  };
  const counter = (name: string, help: string, v: number) => {
    head(name, 'counter', help);
    out.push(`${name}_total{${labels}} ${num(v)}`);
  };
  const histogram = (name: string, help: string, h: Histogram) => {
    head(name, 'histogram', help);
    let cumulative = 0;
    for (let i = 0; i < h.boundsS.length; i++) {
      cumulative += h.counts[i]!;
      out.push(`${name}_bucket{${labels},le="${num(h.boundsS[i]!)}"} ${num(cumulative)}`);
    }
    out.push(`${name}_bucket{${labels},le="+Inf"} ${num(h.count)}`);
    out.push(`${name}_count{${labels}} ${num(h.count)}`);
    out.push(`${name}_sum{${labels}} ${num(h.sum)}`);
  };

  gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', s.running);
  gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', s.waiting);
  gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', s.kvUsage);
  counter('vllm:num_preemptions', 'Cumulative number of preemption from the engine.', 0);
  counter('vllm:prompt_tokens', 'Number of prefill tokens processed.', s.promptTokens);
  counter('vllm:generation_tokens', 'Number of generation tokens processed.', s.generationTokens);
  head('vllm:request_success', 'counter', 'Count of successfully processed requests.');
  for (const reason of ['stop', 'length', 'abort'] as const) {
    out.push(`vllm:request_success_total{${labels},finished_reason="${reason}"} ${num(s.success[reason])}`);
  }
  histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', s.ttft);
  histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', s.itl);
  histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', s.e2e);
  histogram('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', s.queue);
  // tokbench's own: what the simulator injected, and how much slower than modelled it runs.
  head('tokbench_sim_faults', 'counter', 'Faults injected by the tokbench simulator, by kind.');
  for (const [kind, v] of Object.entries(s.faults)) out.push(`tokbench_sim_faults_total{${labels},kind="${kind}"} ${num(v)}`);
  counter('tokbench_sim_lag_dropped_seconds', 'Model time dropped because the host could not keep up; non-zero means measured throughput is below the model.', s.lagDroppedS);
  gauge('tokbench_sim_time_scale', 'Modelled durations are multiplied by this; multiply throughput by it for the modelled hardware.', s.timeScale);
  return out.join('\n') + '\n';
}
