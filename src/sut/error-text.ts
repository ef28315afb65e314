/**
 * Error messages as servers send them (vLLM, SGLang, TGI, llama.cpp, TRT-LLM
 * shapes, servers.md §2.2), made into one readable, bounded line.
 */
const ERROR_MESSAGE_MAX_CHARS = 500;
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The message of an error object, in the shapes vLLM, SGLang, TGI, llama.cpp and TRT-LLM use. */
export function errorMessageOf(v: Record<string, unknown>): string {
  const e = v.error;
  let msg: string | undefined;
  let type: unknown;
  let code: unknown;
  if (typeof e === 'string') {
    msg = e;
    type = v.error_type;
  } else if (isRecord(e)) {
    if (typeof e.message === 'string') msg = e.message;
    type = e.type;
    code = e.code;
  }
  if (msg === undefined && typeof v.message === 'string') {
    msg = v.message;
    type ??= v.type;
    code ??= v.code;
  }
  if (msg === undefined && v.detail !== undefined) {
    msg = typeof v.detail === 'string' ? v.detail : JSON.stringify(v.detail);
  }
  msg ??= JSON.stringify(v);
  const tags = [type, code].filter((x) => typeof x === 'string' || typeof x === 'number').join(', ');
  return truncate(tags === '' ? msg : `${msg} (${tags})`, ERROR_MESSAGE_MAX_CHARS);
}

/** A readable one-line description of an error body: its JSON message, else the text itself. */
export function describeErrorText(s: string): string {
  try {
    const v: unknown = JSON.parse(s);
    if (isRecord(v)) return errorMessageOf(v);
  } catch {
    // not JSON: show the text
  }
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat === '' ? '(empty body)' : truncate(flat, ERROR_MESSAGE_MAX_CHARS);
}

export function describeErrorBytes(body: Uint8Array): string {
  return describeErrorText(decoder.decode(body));
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
