/**
 * The system under test, as the runner sees it: something that takes a query
 * and returns its timeline. The OpenAI-compatible client implements it; unit
 * tests use a fake. Every time is integer µs on the injected Clock.
 */
import type { Sample } from '../dataset/types.js';

export type ApiKind = 'completions' | 'chat';

/** Why a request failed. Public: the keys of `summary.errors` in result.json. */
export type ErrorKind =
  | 'http_400' // 4xx other than those below: the request itself was rejected
  | 'http_401' // 401/403: credentials
  | 'http_404'
  | 'http_429' // rate limited
  | 'http_5xx'
  | 'connect' // refused, DNS, TLS handshake
  | 'reset' // connection reset or closed mid-response
  | 'idle_timeout' // no bytes for request.idleTimeoutMs, after the first token
  | 'first_token_timeout' // no first token within request.firstTokenTimeoutMs of sending (the server's queue)
  | 'request_timeout' // whole request exceeded request.timeoutMs
  | 'headers_timeout' // no response headers in time
  | 'malformed_stream' // bytes that are not SSE/JSON as expected
  | 'stream_error' // the server sent an error event inside a 200 stream
  | 'incomplete_stream' // the stream ended without [DONE] and without a finish_reason
  | 'aborted' // cancelled by the run (deadline, interrupt)
  | 'other';

export interface SutQuery {
  seq: number;
  sample: Sample;
  endpointIndex: number;
  /** max output tokens for this query */
  maxTokens: number;
}

export interface SutOutcome {
  /**
   * when the request's bytes were handed to a socket (undici onRequestStart), so
   * any wait for a connection before it is issue delay; when it never got a
   * connection, the time it failed
   */
  issuedUs: number;
  /** from handing the request to the pool to issuedUs: the wait for a free or new connection */
  connectWaitUs: number;
  /**
   * first chunk carrying output (text, reasoning, tool calls or token ids) or
   * whose usage.completion_tokens rose; -1 if none, and for a response that was
   * not streamed (it has no first token of its own)
   */
  firstTokenUs: number;
  /**
   * first chunk carrying answer text (content, completions text, tool calls)
   * when reasoning came in the stream: -1 if none came; null when the stream
   * carried no reasoning (the first token is then the first answer token)
   */
  firstAnswerUs: number | null;
  /**
   * a successful stream: its last output chunk (the last token arrived);
   * otherwise the end of the response or the failure
   */
  completedUs: number;
  /** end of a streamed response ([DONE] or the end of the body); -1 when not streamed */
  streamEndUs: number;
  /** the response came as SSE */
  streamed: boolean;
  /**
   * Arrival times of the chunks that carried output, in order (the first equals
   * firstTokenUs). Empty for non-streaming responses.
   */
  chunkTimesUs: number[];
  /**
   * Tokens carried by each chunk of chunkTimesUs, same length; null when the
   * server did not say (no continuous usage, no token ids).
   */
  chunkTokens: number[] | null;
  /**
   * Output text bytes per chunk of chunkTimesUs, when chunkTokens is null and
   * the text was seen: weights for estimating tokens per chunk (never counts).
   */
  chunkWeights?: number[] | null;
  /** prompt tokens per the server's usage; -1 when the server gave none */
  usagePromptTokens: number;
  /** completion tokens per the server's usage; -1 when the server gave none */
  usageCompletionTokens: number;
  /** generated text (content + reasoning), kept only when the Sut was asked to keep text or usage was missing */
  text: string | null;
  /** finish_reason as sent by the server, if any */
  finishReason: string | null;
  ok: boolean;
  error: { kind: ErrorKind; httpStatus?: number; message: string } | null;
  /** HTTP retries made (only with --retries) */
  retries: number;
}

export interface EndpointInfo {
  url: string;
  model: string;
  /** models the server listed in GET /v1/models */
  servedModels: string[];
  labels: Record<string, string>;
}

export interface Sut {
  readonly endpoints: readonly EndpointInfo[];
  issue(query: SutQuery, signal: AbortSignal): Promise<SutOutcome>;
  close(): Promise<void>;
}
