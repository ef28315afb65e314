/**
 * The v6.0 `mlperf.conf` lines for the models tokbench runs, reconstructed from
 * reference/mlperf.md §3.1 (limits, counts, equal issue) and §3.2 (v6.0 seeds).
 * Not the verbatim LoadGen file (which covers every benchmark); used when the
 * user gives no mlperf.conf of their own.
 */
export const MLPERF_CONF_V6_0_LLM = `# tokbench: the v6.0 mlperf.conf keys for llama2-70b and gpt-oss-120b,
# reconstructed from reference/mlperf.md sections 3.1 and 3.2 (not the verbatim LoadGen file).
# All times are in milliseconds.

llama2-70b.*.performance_sample_count_override = 24576
llama2-70b-interactive.*.performance_sample_count_override = 24576
gpt-oss-120b.*.performance_sample_count_override = 6396
gpt-oss-120b-interactive.*.performance_sample_count_override = 6396
gpt-oss-120b.*.accuracy_sample_count_override = 4395
gpt-oss-120b-interactive.*.accuracy_sample_count_override = 4395

# v6.0 seeds
*.*.qsl_rng_seed = 2465351861681999779
*.*.sample_index_rng_seed = 14276810075590677512
*.*.schedule_rng_seed = 3936089224930324775

llama2-70b.*.sample_concatenate_permutation = 1
llama2-70b-interactive.*.sample_concatenate_permutation = 1
gpt-oss-120b.*.sample_concatenate_permutation = 1
gpt-oss-120b-interactive.*.sample_concatenate_permutation = 1

llama2-70b.*.use_token_latencies = 1
llama2-70b-interactive.*.use_token_latencies = 1
gpt-oss-120b.*.use_token_latencies = 1
gpt-oss-120b-interactive.*.use_token_latencies = 1

*.Server.target_latency_percentile = 99
*.Server.target_duration = 0
*.Server.min_duration = 600000

llama2-70b.Server.target_latency = 0
llama2-70b.Server.ttft_latency = 2000
llama2-70b.Server.tpot_latency = 200
llama2-70b-interactive.Server.target_latency = 0
llama2-70b-interactive.Server.ttft_latency = 450
llama2-70b-interactive.Server.tpot_latency = 40
gpt-oss-120b.Server.target_latency = 0
gpt-oss-120b.Server.ttft_latency = 3000
gpt-oss-120b.Server.tpot_latency = 80
gpt-oss-120b-interactive.Server.target_latency = 0
gpt-oss-120b-interactive.Server.ttft_latency = 2000
gpt-oss-120b-interactive.Server.tpot_latency = 15

*.Offline.target_latency_percentile = 90
*.Offline.min_duration = 600000
llama2-70b.Offline.min_query_count = 24576

# These fields should be defined and overridden by user.conf.
*.Server.target_qps = 1.0
*.Offline.target_qps = 1.0
`;

