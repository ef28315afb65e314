/** The prompts a run draws from, each with its exact input token count. */

export type TokenizerName = 'llama2' | 'o200k_harmony';

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant';
  content: string;
}

export interface Sample {
  /** position in the library (the `qsl_idx` of MLPerf logs) */
  index: number;
  /** prompt text, for /v1/completions with text prompts (and the last user turn of chat) */
  prompt: string | null;
  /** prompt token ids under the benchmark tokenizer, sent when request.promptFormat is `ids` */
  promptTokenIds: number[] | null;
  /** chat messages, for /v1/chat/completions; null means `[{role:'user', content: prompt}]` */
  messages: ChatMessage[] | null;
  /** exact input token count under the benchmark tokenizer (of the ids sent, or of the text as encoded) */
  inputTokens: number;
  /** requested output length for this sample (max_tokens); null: the scenario's request.maxTokens */
  outputTokens: number | null;
  /** reference answer, for accuracy mode */
  reference: string | null;
}

export interface SampleLibrary {
  samples: Sample[];
  tokenizer: TokenizerName;
  /** human-readable origin, e.g. `synthetic(llama2, lognormal…)` or a file path */
  source: string;
}

export interface Tokenizer {
  readonly name: TokenizerName;
  /** token ids of plain text, no BOS/special tokens added */
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** number of tokens of plain text (as encode(text).length) */
  count(text: string): number;
  /**
   * number of tokens of generated text as a server streams it, the fallback
   * when the server sends no usage: the text is counted as it is, so its own
   * leading space is the first token's (Llama 2 " Paris" is the one token
   * ▁Paris; count() would add SentencePiece's dummy prefix and make it two)
   */
  countOutput(text: string): number;
}

/** How a length (tokens) is drawn for synthetic samples. All bounds inclusive, in tokens. */
export type LengthDistribution =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'normal'; mean: number; stddev: number; min: number; max: number }
  | { kind: 'lognormal'; mean: number; stddev: number; min: number; max: number }
  | { kind: 'empirical'; values: number[]; weights?: number[] };
