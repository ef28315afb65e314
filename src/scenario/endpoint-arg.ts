/**
 * Endpoints as users type them: `--endpoint URL[,model=NAME,key=value…]`
 * (`http://node1:8000,model=llama,gpu=MI355X`), and the same in
 * `TOKBENCH_ENDPOINT`, which may hold several, separated by spaces, `;` or
 * commas: a comma-separated part that is not `key=value` starts the next
 * endpoint, so `http://a:8000,http://b:8000` is two endpoints and
 * `http://h:8000,model=m` is one with a model, exactly as `--endpoint` reads it.
 */
import { ConfigError } from '../errors.js';
import type { EndpointSpec } from './types.js';

const KEY_VALUE = /^[A-Za-z_][\w.-]*=/;

export function parseEndpointArg(arg: string, where = '--endpoint'): EndpointSpec {
  const [url, ...rest] = arg.split(',');
  const labels: Record<string, string> = {};
  let model: string | null = null;
  for (const kv of rest) {
    const i = kv.indexOf('=');
    if (i <= 0) {
      throw new ConfigError({ where: `${where} ${arg}`, message: `expected key=value after the URL, got "${kv}"`, hint: 'e.g. --endpoint http://node1:8000,model=llama,gpu=MI355X' });
    }
    const k = kv.slice(0, i).trim();
    const v = kv.slice(i + 1).trim();
    if (k === 'model') model = v;
    else labels[k] = v;
  }
  return { url: url!.trim(), model, labels };
}

/** Several endpoints in one string (an environment variable). */
export function parseEndpointList(text: string, where: string): EndpointSpec[] {
  const args: string[] = [];
  for (const part of text.split(/[\s;,]+/).filter(Boolean)) {
    if (KEY_VALUE.test(part) && args.length > 0) args[args.length - 1] += `,${part}`;
    else args.push(part);
  }
  return args.map((a) => parseEndpointArg(a, where));
}
