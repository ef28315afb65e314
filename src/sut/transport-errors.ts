/** HTTP statuses and transport errors as ErrorKinds (public: the keys of `summary.errors`). */
import type { ErrorKind } from './types.js';

export function statusKind(status: number): ErrorKind {
  if (status === 401 || status === 403) return 'http_401';
  if (status === 404) return 'http_404';
  if (status === 429) return 'http_429';
  if (status >= 500) return 'http_5xx';
  if (status >= 400) return 'http_400';
  return 'other';
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return '';
}

export function isTlsError(err: unknown): boolean {
  const code = errorCode(err);
  if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code === 'EPROTO') return true;
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH/.test(code)) return true;
  const msg = err instanceof Error ? err.message : '';
  return /certificate|ssl|tls/i.test(msg);
}

/** Map a transport error to an ErrorKind, by undici/Node error code (never by message wording). */
export function classifyError(err: unknown, responseStarted: boolean): ErrorKind {
  const code = errorCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'headers_timeout';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'idle_timeout';
  if (code === 'UND_ERR_ABORTED' || (err as { name?: unknown } | null)?.name === 'AbortError') return 'aborted';
  if (!responseStarted && (CONNECT_CODES.has(code) || isTlsError(err))) return 'connect';
  if (RESET_CODES.has(code) || CONNECT_CODES.has(code)) return 'reset';
  return 'other';
}

export function errorText(err: unknown): string {
  const code = errorCode(err);
  let msg = err instanceof Error ? err.message : String(err);
  // Node reports a refused dual-stack connect as an AggregateError with an empty message.
  if (msg === '' && err instanceof AggregateError) {
    msg = err.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  }
  if (code !== '' && !msg.includes(code)) msg = msg === '' ? code : `${code}: ${msg}`;
  return msg === '' ? 'unknown error' : msg;
}
