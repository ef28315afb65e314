/**
 * Before any load: `GET {base}/v1/models` on every endpoint. Turns the usual
 * first-run failures into one clear error with a hint, instead of a run where
 * every request fails: server not running, TLS trouble, missing or wrong API
 * key, not an OpenAI-compatible server, unknown model, several models and no
 * --model. Also resolves the model when the user gave none and the server
 * serves exactly one.
 */
import { Agent, request } from 'undici';
import { ConfigError, didYouMean, EndpointError } from '../errors.js';
import type { EndpointSpec } from '../scenario/types.js';
import { describeErrorText } from './chunk.js';
import { parseEndpointUrl } from './endpoint-url.js';
import { errorCode, isSensitiveHeader, isTlsError, makeRedactor, secretHeaderValues } from './openai.js';
import type { EndpointInfo } from './types.js';

export interface PreflightOptions {
  apiKey: string | null;
  timeoutMs: number;
  tls?: { caCertPem?: string; insecure?: boolean };
  /** `--http2`: ask as the run will (h2 by ALPN, h2c on http) */
  http2?: boolean;
  /** the user's extra headers (request.headers): sent with the probe too, so a key given as a header works */
  headers?: Readonly<Record<string, string>>;
}

const MODELS_BODY_MAX_BYTES = 1024 * 1024;
const SNIPPET_CHARS = 200;
const LISTED_MODELS_MAX = 20;

/**
 * Probe every endpoint (concurrently). Resolves to one EndpointInfo per spec, in
 * order; rejects with the first failing endpoint's EndpointError (or a
 * ConfigError for a malformed URL).
 */
export async function preflight(specs: EndpointSpec[], opts: PreflightOptions): Promise<EndpointInfo[]> {
  const connect: Record<string, unknown> = { timeout: opts.timeoutMs };
  if (opts.tls?.caCertPem !== undefined) connect.ca = opts.tls.caCertPem;
  if (opts.tls?.insecure === true) connect.rejectUnauthorized = false;
  // h2c (plain http only; TLS negotiates by ALPN) goes in the connector's options: undici's Agent does not pass its own on
  if (opts.http2 === true) connect.useH2c = true;
  const agent = new Agent({ connect, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, ...(opts.http2 === true ? { allowH2: true } : {}) });
  try {
    const results = await Promise.allSettled(specs.map((s) => probe(s, agent, opts)));
    const infos: EndpointInfo[] = [];
    for (const r of results) {
      if (r.status === 'rejected') throw r.reason;
      infos.push(r.value);
    }
    return infos;
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}

async function probe(spec: EndpointSpec, agent: Agent, opts: PreflightOptions): Promise<EndpointInfo> {
  const parsed = parseEndpointUrl(spec.url);
  if (!parsed.ok) throw new ConfigError(parsed.problem, 'invalid endpoint');
  const base = parsed.url.base;
  const redact = makeRedactor(opts.apiKey, secretHeaderValues(opts.headers ?? {}));
  const { headers, sentCredentials } = probeHeaders(opts);
  const res = await getModels(base, agent, headers, opts.timeoutMs, redact);
  refuseBadStatus(base, res.status, () => redact(describeErrorText(res.bodyText)), sentCredentials, opts.apiKey);
  const served = servedModels(base, res, redact);
  return { url: base, model: chooseModel(base, spec.model, served), servedModels: served, labels: spec.labels };
}

/** The probe's headers, as the Sut sends them: the user's headers last, names lower-cased. */
function probeHeaders(opts: PreflightOptions): { headers: Record<string, string>; sentCredentials: boolean } {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.apiKey !== null && opts.apiKey !== '') headers.authorization = `Bearer ${opts.apiKey}`;
  for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
  const sentCredentials = headers.authorization !== undefined || Object.keys(opts.headers ?? {}).some(isSensitiveHeader);
  return { headers, sentCredentials };
}

interface ModelsResponse {
  status: number;
  contentType: string;
  bodyText: string;
}

async function getModels(base: string, agent: Agent, headers: Record<string, string>, timeoutMs: number, redact: (s: string) => string): Promise<ModelsResponse> {
  try {
    const res = await request(`${base}/v1/models`, {
      dispatcher: agent,
      method: 'GET',
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const ct = res.headers['content-type'];
    const contentType = (Array.isArray(ct) ? ct[0] : ct) ?? '';
    const bodyText = await readLimited(res.body, MODELS_BODY_MAX_BYTES);
    return { status: res.statusCode, contentType, bodyText };
  } catch (err) {
    throw transportError(base, err, timeoutMs, redact);
  }
}

/** A non-2xx answer, named by what it usually means on a first run. */
function refuseBadStatus(base: string, status: number, what: () => string, sentCredentials: boolean, apiKey: string | null): void {
  if (status === 401 || status === 403) {
    throw new EndpointError(
      base,
      `the server refused the request (HTTP ${status}: ${what()})`,
      !sentCredentials
        ? 'the server wants an API key: set OPENAI_API_KEY or TOKBENCH_API_KEY'
        : apiKey === null || apiKey === ''
          ? 'the credentials given with --header were rejected: check them'
          : 'the API key (OPENAI_API_KEY or TOKBENCH_API_KEY) was rejected: check it is the one this server expects',
    );
  }
  if (status === 404) {
    throw new EndpointError(
      base,
      `not an OpenAI-compatible server: GET /v1/models returned 404 (${what()})`,
      'give the base URL of an OpenAI-compatible API, e.g. http://host:8000 (vLLM, SGLang, llama.cpp, TGI, TRT-LLM)',
    );
  }
  if (status === 503) {
    throw new EndpointError(
      base,
      `the server is not ready (HTTP 503: ${what()})`,
      'wait until it has loaded the model (llama.cpp answers 503 while loading), then retry',
    );
  }
  if (status < 200 || status >= 300) {
    throw new EndpointError(base, `GET /v1/models failed with HTTP ${status}: ${what()}`, 'check the server logs');
  }
}

/** The model ids of an OpenAI `/v1/models` body; anything else is not an OpenAI-compatible server. */
function servedModels(base: string, res: ModelsResponse, redact: (s: string) => string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(res.bodyText);
  } catch {
    throw new EndpointError(
      base,
      `not an OpenAI-compatible server: GET /v1/models returned ${res.contentType || 'a body with no content type'}, not JSON: ${snippet(redact(res.bodyText))}`,
      'give the base URL of an OpenAI-compatible API, e.g. http://host:8000',
    );
  }
  const served = modelIds(v);
  if (served === null) {
    throw new EndpointError(
      base,
      `not an OpenAI-compatible server: GET /v1/models returned JSON without a "data" list of models: ${snippet(redact(res.bodyText))}`,
      'give the base URL of an OpenAI-compatible API, e.g. http://host:8000',
    );
  }
  return served;
}

/** The model to run: the one asked for (checked against the list), else the only one served. */
function chooseModel(base: string, asked: string | null, served: string[]): string {
  if (asked !== null) {
    // A server listing nothing cannot be checked; let the first request tell.
    if (served.length > 0 && !served.includes(asked)) {
      const guess = didYouMean(asked, served);
      throw new EndpointError(
        base,
        `model "${asked}" is not served here; served: ${list(served)}`,
        guess !== undefined ? `did you mean --model ${guess}?` : `pass one of the served models with --model`,
      );
    }
    return asked;
  }
  if (served.length === 1) return served[0]!;
  if (served.length === 0) throw new EndpointError(base, 'the server lists no models', 'name the model with --model');
  throw new EndpointError(base, `the server serves several models: ${list(served)}`, 'choose one with --model');
}

function modelIds(v: unknown): string[] | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const data = (v as { data?: unknown }).data;
  if (!Array.isArray(data)) return null;
  const ids: string[] = [];
  for (const m of data as unknown[]) {
    const id = typeof m === 'object' && m !== null ? (m as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') return null;
    ids.push(id);
  }
  return ids;
}

function transportError(base: string, err: unknown, timeoutMs: number, redact: (s: string) => string): EndpointError {
  const code = errorCode(err);
  const name = (err as { name?: unknown } | null)?.name;
  const raw = err instanceof Error ? err.message || code : String(err);
  const msg = redact(code !== '' && !raw.includes(code) ? `${code}: ${raw}` : raw);
  if (name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new EndpointError(base, `no answer to GET /v1/models within ${timeoutMs} ms`, 'is the server running? check host and port', err);
  }
  if (isTlsError(err)) {
    const plainHttp = code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(raw);
    return new EndpointError(
      base,
      `TLS failure: ${msg}`,
      plainHttp
        ? 'the server may not speak TLS: try http:// instead of https://'
        : 'for a private CA pass --ca-cert FILE; to skip verification (testing only) pass --insecure',
      err,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new EndpointError(base, `unreachable: host not found (${msg})`, 'is the server running? check host and port (and the host name)', err);
  }
  return new EndpointError(base, `unreachable: ${msg}`, 'is the server running? check host and port', err);
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy?: () => void }, maxBytes: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    n += chunk.length;
    if (n >= maxBytes) {
      body.destroy?.();
      break;
    }
  }
  return Buffer.concat(parts, Math.min(n, maxBytes)).toString('utf8');
}

function snippet(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > SNIPPET_CHARS ? `${flat.slice(0, SNIPPET_CHARS)}…` : flat;
}

function list(names: string[]): string {
  const shown = names.slice(0, LISTED_MODELS_MAX).join(', ');
  return names.length > LISTED_MODELS_MAX ? `${shown}, … (${names.length} in all)` : shown;
}
