/**
 * Pre-rendered SSE responses in vLLM's shape (serving_chat.py /
 * serving_completion.py, OpenAI server 0.x): a role chunk (chat), one chunk per
 * token, a `choices: []` usage chunk, `[DONE]`. Shared by the bench server and
 * the unit tests that pin the fast path on realistic bytes.
 */

export type ApiShape = 'chat' | 'completions';

const MODEL = 'meta-llama/Llama-2-70b-chat-hf';
const CREATED = 1_700_000_000;
/** words the tokens are drawn from: short ASCII, like a real detokenizer's output */
const WORDS = [' the', ' of', ' and', ' to', ' in', ' a', ' is', ' that', ' for', ' it', ' with', ' as', ' was', ' on', ' be', ' at'];

/**
 * Tokens per event under speculative decoding: 2, 3, 4, 2, 3, 4, ... (the
 * accepted draft tokens of one step arrive in one chunk), summing to `tokens`.
 */
export function specGroups(tokens: number): number[] {
  const g: number[] = [];
  for (let left = tokens, i = 0; left > 0; i++) {
    const n = Math.min(left, 2 + (i % 3));
    g.push(n);
    left -= n;
  }
  return g;
}

/** vLLM 0.x OpenAI server chunk shapes (serving_chat.py / serving_completion.py); `groups`: tokens per event (default one each). */
export function renderEvents(api: ApiShape, tokens: number, requestId: string, groups?: number[]): { head: string; events: string[]; tail: string } {
  if (groups !== undefined) return renderGroups(api, tokens, requestId, groups);
  const events: string[] = [];
  if (api === 'chat') {
    const pre = `data: {"id":"chatcmpl-${requestId}","object":"chat.completion.chunk","created":${CREATED},"model":"${MODEL}","choices":[{"index":0,`;
    const head = `${pre}"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
    for (let i = 0; i < tokens; i++) {
      const fin = i === tokens - 1 ? '"length","stop_reason":null' : 'null';
      events.push(`${pre}"delta":{"content":${JSON.stringify(WORDS[i % WORDS.length])}},"logprobs":null,"finish_reason":${fin}}]}\n\n`);
    }
    const tail =
      `data: {"id":"chatcmpl-${requestId}","object":"chat.completion.chunk","created":${CREATED},"model":"${MODEL}","choices":[],` +
      `"usage":{"prompt_tokens":8,"total_tokens":${8 + tokens},"completion_tokens":${tokens}}}\n\n` +
      'data: [DONE]\n\n';
    return { head, events, tail };
  }
  const pre = `data: {"id":"cmpl-${requestId}","object":"text_completion","created":${CREATED},"model":"${MODEL}","choices":[{"index":0,`;
  for (let i = 0; i < tokens; i++) {
    const fin = i === tokens - 1 ? '"length","stop_reason":null' : 'null,"stop_reason":null';
    events.push(`${pre}"text":${JSON.stringify(WORDS[i % WORDS.length])},"logprobs":null,"finish_reason":${fin}}]}\n\n`);
  }
  const tail =
    `data: {"id":"cmpl-${requestId}","object":"text_completion","created":${CREATED},"model":"${MODEL}","choices":[],` +
    `"usage":{"prompt_tokens":8,"total_tokens":${8 + tokens},"completion_tokens":${tokens}}}\n\n` +
    'data: [DONE]\n\n';
  return { head: '', events, tail };
}

/** Each event's text is its group's words together, as vLLM sends a speculative step's tokens. */
function renderGroups(api: ApiShape, tokens: number, requestId: string, groups: number[]): { head: string; events: string[]; tail: string } {
  const one = renderEvents(api, tokens, requestId);
  const events: string[] = [];
  let t = 0;
  groups.forEach((n) => {
    const text = Array.from({ length: n }, (_, k) => WORDS[(t + k) % WORDS.length]).join('');
    // the last token's event of this group, with its text replaced by the group's
    const base = one.events[t + n - 1]!;
    const word = JSON.stringify(WORDS[(t + n - 1) % WORDS.length]);
    const at = base.lastIndexOf(word);
    events.push(base.slice(0, at) + JSON.stringify(text) + base.slice(at + word.length));
    t += n;
  });
  return { head: one.head, events, tail: one.tail };
}

/** The request id in the rendered bytes, replaced per response (vLLM sends a fresh random id per request). */
const ID_PLACEHOLDER = 'bench0123456789abcdef';

export interface Rendered {
  whole: Buffer;
  /** byte offset where each part starts: [head, event 0, ..., event N-1, tail], plus the end */
  bounds: number[];
  idOffsets: number[];
}

/**
 * The response body as bytes. `framed`: each part (head, each event, tail)
 * already wrapped as an HTTP/1.1 chunk (`<hex size>\r\n…\r\n`), so a paced
 * server writes a part to the socket as it is; the head of a completions
 * stream (which has no role chunk) is then empty.
 */
export function render(api: ApiShape, tokens: number, framed = false, groups?: number[]): Rendered {
  const r = renderEvents(api, tokens, ID_PLACEHOLDER, groups);
  const parts = [r.head, ...r.events, r.tail].map((x) => {
    const b = Buffer.from(x);
    return framed && b.length > 0 ? Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]) : b;
  });
  const whole = Buffer.concat(parts);
  const bounds = [0];
  for (const p of parts) bounds.push(bounds[bounds.length - 1]! + p.length);
  const idOffsets: number[] = [];
  const needle = Buffer.from(ID_PLACEHOLDER);
  for (let i = whole.indexOf(needle); i >= 0; i = whole.indexOf(needle, i + 1)) idOffsets.push(i);
  return { whole, bounds, idOffsets };
}

/** A copy of the rendered response with its own request id (into `into` when given, e.g. a buffer from a pool). */
export function personalize(r: Rendered, n: number, into?: Buffer): Buffer {
  const b = into ?? Buffer.allocUnsafe(r.whole.length);
  r.whole.copy(b);
  const id = n.toString(16).padStart(ID_PLACEHOLDER.length, '0');
  for (const off of r.idOffsets) b.write(id, off, 'latin1');
  return b;
}
