/**
 * Endpoint URLs as users type them, normalised to a base URL (no `/v1`, no
 * trailing slash): `http://h:8000`, `http://h:8000/`, `http://h:8000/v1` and
 * `http://h:8000/v1/` all give `http://h:8000`; a prefix behind a proxy is kept
 * (`https://lb/llama/v1` gives `https://lb/llama`). API paths are then
 * `{base}/v1/chat/completions`, `{base}/v1/models`.
 *
 * Mistakes are reported as Problems with a hint (the scenario resolver collects
 * every problem at once), never guessed around: a missing scheme, a doubled
 * `/v1/v1`, a full API path, a scheme other than http(s), credentials in the URL.
 */
import { ConfigError, type Problem } from '../errors.js';

export interface EndpointUrl {
  /** normalised base URL, e.g. `http://h:8000` or `https://lb/llama` */
  base: string;
  /** scheme://host[:port], the key of the connection pool */
  origin: string;
  /** path prefix before `/v1`, '' or like `/llama` */
  basePath: string;
}

export type ParsedEndpointUrl = { ok: true; url: EndpointUrl } | { ok: false; problem: Problem };

const SCHEME_RE = /^([a-z][a-z0-9+.-]*):\/\//i;
const API_PATH_RE = /\/(?:v1\/)?(?:chat\/completions|completions|models|embeddings|responses)$/;

export function parseEndpointUrl(input: string, where = '--endpoint'): ParsedEndpointUrl {
  const raw = input.trim();
  const bad = (message: string, hint?: string): ParsedEndpointUrl => ({
    ok: false,
    problem: { where, message, ...(hint === undefined ? {} : { hint }) },
  });
  if (raw === '') return bad('empty endpoint URL', 'give the server base URL, e.g. http://localhost:8000');
  const scheme = SCHEME_RE.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    return bad(`"${raw}" has no scheme`, `did you mean http://${raw.replace(/^\/+/, '')}?`);
  }
  if (scheme !== 'http' && scheme !== 'https') {
    return bad(`unsupported scheme "${scheme}://" in "${raw}"`, 'use http:// or https://');
  }
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return bad(`"${raw}" is not a valid URL`, 'give the server base URL, e.g. http://localhost:8000');
  }
  if (u.hostname === '') return bad(`"${raw}" has no host`, 'e.g. http://localhost:8000');
  if (u.username !== '' || u.password !== '') {
    // The URL is written into result.json: a password in it would leak.
    return bad(
      'the URL contains credentials, which would be written into the results',
      'remove them and set OPENAI_API_KEY or TOKBENCH_API_KEY instead',
    );
  }
  if (u.search !== '' || u.hash !== '') {
    // Not echoed: a query string is where people put keys (?api_key=...).
    return bad(`"${u.origin}${u.pathname}" has a query or fragment (not shown)`, `give the base URL only, e.g. ${u.origin}${u.pathname.replace(/\/+$/, '')}`);
  }
  let path = u.pathname.replace(/\/+$/, '');
  if (API_PATH_RE.test(path)) {
    const basePath = path.replace(API_PATH_RE, '').replace(/\/v1$/, '');
    return bad(`"${raw}" is an API path, not a base URL`, `give the base URL: did you mean ${u.origin}${basePath}?`);
  }
  if (/\/v1\/v1$/.test(path)) {
    return bad(`"${raw}" has /v1 twice`, `did you mean ${u.origin}${path.replace(/\/v1\/v1$/, '')}?`);
  }
  if (path.endsWith('/v1')) path = path.slice(0, -3);
  return { ok: true, url: { base: u.origin + path, origin: u.origin, basePath: path } };
}

/** As parseEndpointUrl, throwing a ConfigError (exit 2) on a bad URL. */
export function normalizeEndpointUrl(input: string, where = '--endpoint'): EndpointUrl {
  const r = parseEndpointUrl(input, where);
  if (!r.ok) throw new ConfigError(r.problem, 'invalid endpoint');
  return r.url;
}

/**
 * The one comparison key of an endpoint URL: the normalised base when the URL
 * parses (what preflight puts into result.json), else the trimmed text. Used by
 * `--assert 'endpoint[URL]…'` before and after the run, so the URL result.json
 * shows is the one a selector accepts, whichever way it was typed.
 */
export function endpointKey(url: string): string {
  const r = parseEndpointUrl(url);
  return r.ok ? r.url.base : url.trim().replace(/\/+$/, '');
}
