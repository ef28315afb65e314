import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { normalizeEndpointUrl, parseEndpointUrl } from '../../../src/sut/endpoint-url.js';

describe('parseEndpointUrl', () => {
  it.each([
    ['http://h:8000', 'http://h:8000', ''],
    ['http://h:8000/', 'http://h:8000', ''],
    ['http://h:8000/v1', 'http://h:8000', ''],
    ['  http://h:8000/v1/ ', 'http://h:8000', ''],
    ['HTTPS://LB.example/llama/v1', 'https://lb.example/llama', '/llama'],
    ['http://[::1]:8000/v1', 'http://[::1]:8000', ''],
  ])('%s -> %s', (input, base, basePath) => {
    const r = parseEndpointUrl(input);
    expect(r).toMatchObject({ ok: true, url: { base, basePath } });
  });

  it.each([
    ['localhost:8000', /no scheme/, 'did you mean http://localhost:8000?'],
    ['10.0.0.5:8000/v1', /no scheme/, 'did you mean http://10.0.0.5:8000/v1?'],
    ['http://h:8000/v1/v1', /\/v1 twice/, 'did you mean http://h:8000?'],
    ['http://h:8000/v1/chat/completions', /API path/, 'give the base URL: did you mean http://h:8000?'],
    ['http://h:8000/v1/completions/', /API path/, 'give the base URL: did you mean http://h:8000?'],
    ['https://lb/llama/v1/models', /API path/, 'give the base URL: did you mean https://lb/llama?'],
    ['ftp://h:8000', /unsupported scheme "ftp:\/\/"/, 'use http:// or https://'],
    ['http://user:pw@h:8000', /credentials/, 'remove them and set OPENAI_API_KEY or TOKBENCH_API_KEY instead'],
    ['http://h:8000/v1?x=1', /query or fragment/, 'give the base URL only, e.g. http://h:8000/v1'],
  ])('rejects %s with a hint', (input, message, hint) => {
    const r = parseEndpointUrl(input, '--endpoint');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.where).toBe('--endpoint');
    expect(r.problem.message).toMatch(message);
    expect(r.problem.hint).toBe(hint);
  });

  it('normalizeEndpointUrl throws a ConfigError (exit 2)', () => {
    expect(() => normalizeEndpointUrl('h:1')).toThrow(ConfigError);
  });
});
