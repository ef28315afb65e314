/** The JSON body of one completion request, per API and per what servers accept (servers.md §2.1). */
import type { Sample } from '../dataset/types.js';
import type { ResolvedScenario } from '../scenario/types.js';

export type RequestSettings = ResolvedScenario['request'];

/** The request body for one query, per API. Exported for tests and for `--dry-run` style tooling. */
export function buildRequestBody(
  request: RequestSettings,
  model: string,
  sample: Sample,
  maxTokens: number,
): Record<string, unknown> {
  const body: Record<string, unknown> = { model };
  if (request.api === 'chat') {
    body.messages = sample.messages ?? [{ role: 'user', content: sample.prompt ?? '' }];
    // llama.cpp (Feb 2025 build) ignores max_completion_tokens; OpenAI deprecates max_tokens. Send both.
    body.max_tokens = maxTokens;
    body.max_completion_tokens = maxTokens;
    if (request.reasoningEffort !== null) body.reasoning_effort = request.reasoningEffort;
  } else {
    // A sample that only has ids (JSONL input_ids, rendered chat) is sent as ids whatever the format.
    if ((request.promptFormat === 'ids' || sample.prompt === null) && sample.promptTokenIds !== null) body.prompt = sample.promptTokenIds;
    else body.prompt = sample.prompt ?? (sample.messages ?? []).map((m) => m.content).join('\n');
    body.max_tokens = maxTokens;
  }
  body.stream = request.stream;
  if (request.stream) {
    // TRT-LLM rejects stream_options without stream; continuous_usage_stats is vLLM/SGLang/TRT-LLM only,
    // so it is sent only when asked for (a strict server may reject an unknown option).
    body.stream_options = request.continuousUsage
      ? { include_usage: true, continuous_usage_stats: true }
      : { include_usage: true };
  }
  if (request.ignoreEos) body.ignore_eos = true;
  if (request.temperature !== null) body.temperature = request.temperature;
  if (request.topP !== null) body.top_p = request.topP;
  if (request.topK !== null) body.top_k = request.topK;
  return Object.assign(body, request.extraBody);
}
