/**
 * The server and GPU metrics tokbench keeps from a scrape (without
 * --scrape-all): the few that explain a benchmark result. Names are from the
 * servers' and exporters' own code and docs (docs/reports.md lists them with
 * their sources). Counters are stored as per-second rates; gauges as read.
 *
 * Matching is on the exposed sample name. GPU exporter names are matched
 * without regard to case (DCGM writes upper case, AMD's exporter lower case)
 * and, for AMD, with any prefix the exporter was configured to add
 * (`CommonConfig.MetricsFieldPrefix`, e.g. `amd_gpu_power_usage`).
 */

/** Which plot a metric belongs on; one chart per panel in the HTML report. */
export type TelemetryPanel = 'requests' | 'kvCache' | 'tokens' | 'power' | 'utilization' | 'memory' | 'temperature' | 'energy';

export interface CatalogEntry {
  /** exposed sample name (counters with their `_total`) */
  name: string;
  kind: 'gauge' | 'counter';
  /** unit of the stored value (a counter's: per second) */
  unit: string;
  title: string;
  panel: TelemetryPanel;
  /** multiply the raw value by this (e.g. a 0–1 fraction to %) */
  scale?: number;
  /** match without regard to case and with any `prefix_` (GPU exporters) */
  loose?: boolean;
}

export const PANEL_TITLES: Record<TelemetryPanel, string> = {
  requests: 'Server: requests running and waiting',
  kvCache: 'Server: KV-cache usage',
  tokens: 'Server: token throughput',
  power: 'GPU power',
  utilization: 'GPU utilization',
  memory: 'GPU memory used',
  temperature: 'GPU temperature',
  energy: 'GPU energy',
};

export const PANEL_UNITS: Record<TelemetryPanel, string> = {
  requests: 'requests',
  kvCache: '%',
  tokens: 'tok/s',
  power: 'W',
  utilization: '%',
  memory: 'MiB',
  temperature: '°C',
  energy: 'J',
};

const g = (name: string, panel: TelemetryPanel, unit: string, title: string, extra: Partial<CatalogEntry> = {}): CatalogEntry => ({
  name,
  kind: 'gauge',
  unit,
  title,
  panel,
  ...extra,
});
const rate = (name: string, panel: TelemetryPanel, unit: string, title: string, extra: Partial<CatalogEntry> = {}): CatalogEntry => ({
  name,
  kind: 'counter',
  unit,
  title,
  panel,
  ...extra,
});

export const CATALOG: readonly CatalogEntry[] = [
  // vLLM V1 (prefix vllm:)
  g('vllm:num_requests_running', 'requests', 'requests', 'vLLM running'),
  g('vllm:num_requests_waiting', 'requests', 'requests', 'vLLM waiting'),
  g('vllm:kv_cache_usage_perc', 'kvCache', '%', 'vLLM KV-cache usage', { scale: 100 }),
  g('vllm:gpu_cache_usage_perc', 'kvCache', '%', 'vLLM KV-cache usage (pre-0.10 name)', { scale: 100 }),
  rate('vllm:prompt_tokens_total', 'tokens', 'tok/s', 'vLLM prompt tokens'),
  rate('vllm:generation_tokens_total', 'tokens', 'tok/s', 'vLLM generation tokens'),
  rate('vllm:num_preemptions_total', 'requests', 'requests/s', 'vLLM preemptions/s'),
  // SGLang (prefix sglang:)
  g('sglang:num_running_reqs', 'requests', 'requests', 'SGLang running'),
  g('sglang:num_queue_reqs', 'requests', 'requests', 'SGLang queued'),
  g('sglang:token_usage', 'kvCache', '%', 'SGLang KV token-pool usage', { scale: 100 }),
  g('sglang:gen_throughput', 'tokens', 'tok/s', 'SGLang generation (server-computed)'),
  rate('sglang:prompt_tokens_total', 'tokens', 'tok/s', 'SGLang prompt tokens'),
  rate('sglang:generation_tokens_total', 'tokens', 'tok/s', 'SGLang generation tokens'),
  // llama.cpp (prefix llamacpp:)
  g('llamacpp:requests_processing', 'requests', 'requests', 'llama.cpp processing'),
  g('llamacpp:requests_deferred', 'requests', 'requests', 'llama.cpp deferred'),
  g('llamacpp:kv_cache_usage_ratio', 'kvCache', '%', 'llama.cpp KV-cache usage', { scale: 100 }),
  rate('llamacpp:prompt_tokens_total', 'tokens', 'tok/s', 'llama.cpp prompt tokens'),
  rate('llamacpp:tokens_predicted_total', 'tokens', 'tok/s', 'llama.cpp predicted tokens'),
  // TGI (prefix tgi_); generated tokens come from a histogram's running sum
  g('tgi_queue_size', 'requests', 'requests', 'TGI queue'),
  g('tgi_batch_current_size', 'requests', 'requests', 'TGI batch size'),
  rate('tgi_request_generated_tokens_sum', 'tokens', 'tok/s', 'TGI generated tokens'),
  rate('tgi_request_input_length_sum', 'tokens', 'tok/s', 'TGI input tokens'),
  // TensorRT-LLM (prefix trtllm_, /prometheus/metrics)
  g('trtllm_num_requests_running', 'requests', 'requests', 'TRT-LLM running'),
  g('trtllm_num_requests_waiting', 'requests', 'requests', 'TRT-LLM waiting'),
  g('trtllm_kv_cache_utilization', 'kvCache', '%', 'TRT-LLM KV-cache utilization', { scale: 100 }),
  rate('trtllm_prompt_tokens_total', 'tokens', 'tok/s', 'TRT-LLM prompt tokens'),
  rate('trtllm_generation_tokens_total', 'tokens', 'tok/s', 'TRT-LLM generation tokens'),
  // NVIDIA DCGM exporter
  g('DCGM_FI_DEV_POWER_USAGE', 'power', 'W', 'GPU power (DCGM)', { loose: true }),
  g('DCGM_FI_DEV_GPU_UTIL', 'utilization', '%', 'GPU utilization (DCGM)', { loose: true }),
  g('DCGM_FI_DEV_FB_USED', 'memory', 'MiB', 'GPU framebuffer used (DCGM)', { loose: true }),
  g('DCGM_FI_DEV_GPU_TEMP', 'temperature', '°C', 'GPU temperature (DCGM)', { loose: true }),
  rate('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 'energy', 'W', 'GPU power from energy counter (DCGM)', { loose: true, scale: 1e-3 }),
  // AMD Device Metrics Exporter (ROCm)
  g('GPU_POWER_USAGE', 'power', 'W', 'GPU power (AMD)', { loose: true }),
  g('GPU_PACKAGE_POWER', 'power', 'W', 'GPU package power (AMD)', { loose: true }),
  g('GPU_AVERAGE_PACKAGE_POWER', 'power', 'W', 'GPU average package power (AMD)', { loose: true }),
  g('GPU_GFX_ACTIVITY', 'utilization', '%', 'GPU GFX activity (AMD)', { loose: true }),
  g('GPU_UMC_ACTIVITY', 'utilization', '%', 'GPU memory-controller activity (AMD)', { loose: true }),
  g('GPU_USED_VRAM', 'memory', 'MiB', 'GPU VRAM used (AMD)', { loose: true }),
  g('GPU_JUNCTION_TEMPERATURE', 'temperature', '°C', 'GPU junction temperature (AMD)', { loose: true }),
  g('GPU_EDGE_TEMPERATURE', 'temperature', '°C', 'GPU edge temperature (AMD)', { loose: true }),
  rate('GPU_ENERGY_CONSUMED', 'energy', 'W', 'GPU power from energy counter (AMD)', { loose: true, scale: 1e-6 }),
];

const EXACT = new Map<string, CatalogEntry>();
const LOOSE: CatalogEntry[] = [];
for (const e of CATALOG) {
  if (e.loose) LOOSE.push(e);
  else EXACT.set(e.name, e);
}
const LOOSE_EXACT = new Map(LOOSE.map((e) => [e.name.toLowerCase(), e]));

/** The catalogue entry for an exposed sample name, or undefined. */
export function catalogEntry(name: string): CatalogEntry | undefined {
  const exact = EXACT.get(name);
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  const loose = LOOSE_EXACT.get(lower);
  if (loose !== undefined) return loose;
  // AMD's exporter with a configured field prefix, e.g. amd_gpu_power_usage
  for (const e of LOOSE) {
    if (!e.name.startsWith('GPU_')) continue;
    if (lower.endsWith(`_${e.name.toLowerCase()}`)) return e;
  }
  return undefined;
}

/**
 * Power metrics in order of preference for the energy figure: one per source,
 * so AMD's GPU_POWER_USAGE and GPU_PACKAGE_POWER of one GPU are not added up.
 * Energy counters are preferred over power gauges (they integrate on the GPU).
 */
export const ENERGY_COUNTERS: readonly { name: string; joulesPerUnit: number }[] = [
  { name: 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', joulesPerUnit: 1e-3 },
  { name: 'GPU_ENERGY_CONSUMED', joulesPerUnit: 1e-6 },
];
export const POWER_GAUGES: readonly string[] = ['DCGM_FI_DEV_POWER_USAGE', 'GPU_POWER_USAGE', 'GPU_PACKAGE_POWER', 'GPU_AVERAGE_PACKAGE_POWER'];
