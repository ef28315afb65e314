/** Credentials kept out of error text and of what is written to disk. */

/**
 * Error text must never carry the API key (servers sometimes echo it back), nor
 * the value of a credential header the user gave (`secrets`, see secretHeaderValues).
 */
export function makeRedactor(apiKey: string | null, secrets: readonly string[] = []): (s: string) => string {
  const all = [apiKey, ...secrets].filter((k): k is string => k !== null && k.length >= 4).sort((a, b) => b.length - a.length);
  return (s: string) => {
    let out = s.replace(/(Bearer\s+)[^\s"',;]+/gi, '$1***');
    for (const k of all) out = out.split(k).join('***');
    return out;
  };
}

/** Header names whose values are credentials (Authorization, X-Api-Key, Cookie, *-Token, ...). */
const SENSITIVE_HEADER_RE = /authorization|cookie|api[-_]?key|token|secret|password|passwd|credential|session|signature|^auth/i;

export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER_RE.test(name);
}

/** Headers as they may be written to disk (run.json): names kept, credential values replaced by `***`. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = isSensitiveHeader(k) ? '***' : v;
  return out;
}

/** The credential values among user headers (and the token of `Bearer TOKEN`), for makeRedactor. */
export function secretHeaderValues(headers: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(headers)) {
    if (!isSensitiveHeader(k)) continue;
    out.push(v);
    const token = /^\S+\s+(\S+)$/.exec(v.trim())?.[1];
    if (token !== undefined) out.push(token);
  }
  return out;
}
