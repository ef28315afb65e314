/** Small loopback client helpers for the simulator's HTTP tests. */

export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

/** The payloads of an SSE body's `data:` lines, in order. */
export function dataLines(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}

export interface StreamChunk {
  id?: string;
  object?: string;
  choices: { index: number; text?: string; delta?: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  error?: { message: string; type: string; code: number };
}

/** Parsed JSON chunks of a stream that must end with [DONE]. */
export function parseStream(text: string): StreamChunk[] {
  const lines = dataLines(text);
  if (lines.at(-1) !== '[DONE]') throw new Error(`stream does not end with [DONE]: ${text.slice(-200)}`);
  return lines.slice(0, -1).map((l) => JSON.parse(l) as StreamChunk);
}

export function chunkText(c: StreamChunk): string {
  const ch = c.choices[0];
  return ch?.text ?? ch?.delta?.content ?? '';
}

/** Parse Prometheus text into `name{labels}` → value (HELP/TYPE lines skipped). */
export function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad exposition line: ${line}`);
    out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}

/** The value of the first series called `name` whose labels include `labelPart`. */
export function promValue(m: Map<string, number>, name: string, labelPart = ''): number {
  for (const [k, v] of m) if ((k === name || k.startsWith(name + '{')) && k.includes(labelPart)) return v;
  throw new Error(`no series ${name} ${labelPart}`);
}

export async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
