import type { ErrorKind, SutOutcome } from './types.js';

/** The outcome of a request that produced nothing usable (also the runner's fallback when a Sut throws). */
export function failedOutcome(issuedUs: number, tUs: number, kind: ErrorKind, message: string, retries: number): SutOutcome {
  return {
    issuedUs,
    connectWaitUs: 0,
    firstTokenUs: -1,
    firstAnswerUs: null,
    completedUs: tUs,
    streamEndUs: -1,
    streamed: false,
    chunkTimesUs: [],
    chunkTokens: null,
    usagePromptTokens: -1,
    usageCompletionTokens: -1,
    text: null,
    finishReason: null,
    ok: false,
    error: { kind, message },
    retries,
  };
}
