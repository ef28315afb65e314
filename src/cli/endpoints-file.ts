/**
 * The files `run` reads for a scaled-out run: `--endpoints-file` (the cluster's
 * endpoints with their models and labels), `--baseline` (a single-node
 * result.json to compute scaling efficiency against) and `--system` (an
 * MLPerf-style system description, recorded verbatim). Each is read and checked
 * before any load is sent; every problem names the file and the line or field.
 */
import { readFileSync } from 'node:fs';
import { extname, resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type Problem } from '../errors.js';
import type { EndpointSpec } from '../scenario/types.js';
import { parseEndpointArg } from '../scenario/resolve.js';
import { parseResultJson } from '../report/result-json.js';
import type { ResultJson } from '../metrics/types.js';

function readText(path: string, cwd: string, flag: string, hint: string): string {
  try {
    return readFileSync(resolvePath(cwd, path), 'utf8');
  } catch (err) {
    throw new ConfigError({ where: `${flag} ${path}`, message: `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, hint });
  }
}

const ENDPOINTS_HINT = 'a YAML/JSON list of {url, model, labels} (or of "URL,key=value" strings), or one URL[,model=M,key=value] per line';

export function readEndpointsFile(path: string, cwd: string): EndpointSpec[] {
  return parseEndpointsFile(readText(path, cwd, '--endpoints-file', ENDPOINTS_HINT), path);
}

/**
 * Endpoints from the text of an --endpoints-file. Three forms:
 *
 * ```yaml
 * # YAML (or the same in JSON); a top-level `endpoints:` key is also accepted
 * - url: http://node1:8000
 *   model: llama2-70b
 *   labels: { gpu: MI355X, precision: fp4 }
 * - http://node2:8000,gpu=MI300X
 * ```
 *
 * or plain lines, `#` starting a comment:
 *
 * ```
 * http://node1:8000,model=llama2-70b,gpu=MI355X
 * http://node2:8000,gpu=MI300X
 * ```
 */
export function parseEndpointsFile(text: string, where: string): EndpointSpec[] {
  const heading = `${where}: not a usable endpoints file`;
  const problems: Problem[] = [];
  const ext = extname(where).toLowerCase();
  const firstLine = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#')) ?? '';
  const structured = ext === '.json' || ext === '.yaml' || ext === '.yml' || /^(-|\[|\{|endpoints\s*:)/.test(firstLine);
  const out = structured ? endpointsFromDocument(text, where, ext, heading, problems) : endpointsFromLines(text, where, problems);
  if (problems.length === 0 && out.length === 0) problems.push({ where, message: 'lists no endpoint', hint: ENDPOINTS_HINT });
  if (problems.length > 0) throw new ConfigError(problems, heading);
  return out;
}

/** One `URL[,model=M,key=value]` per line; `#` starts a comment. */
function endpointsFromLines(text: string, where: string, problems: Problem[]): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const spec = endpointFromString(line, `${where}:${i + 1}`, problems);
    if (spec) out.push(spec);
  });
  return out;
}

/** A YAML/JSON list (or `endpoints:` holding one) of URL strings or {url, model, labels}. */
function endpointsFromDocument(text: string, where: string, ext: string, heading: string, problems: Problem[]): EndpointSpec[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError({ where, message: `not valid ${ext === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`, hint: ENDPOINTS_HINT }, heading);
  }
  let list: unknown = doc;
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc) && 'endpoints' in doc) list = (doc as { endpoints: unknown }).endpoints;
  if (!Array.isArray(list)) {
    throw new ConfigError({ where, message: 'expected a list of endpoints', hint: ENDPOINTS_HINT }, heading);
  }
  const out: EndpointSpec[] = [];
  list.forEach((e, i) => {
    const at = `${where}: endpoints[${i}]`;
    const spec = typeof e === 'string' ? endpointFromString(e, at, problems) : endpointFromObject(e, at, problems);
    if (spec) out.push(spec);
  });
  return out;
}

/** The --endpoint syntax, its problems blamed on the file position `at`. */
function endpointFromString(s: string, at: string, problems: Problem[]): EndpointSpec | null {
  try {
    const spec = parseEndpointArg(s);
    checkUrl(spec.url, at, problems);
    return spec;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map((p) => ({ ...p, where: at })));
    return null;
  }
}

function endpointFromObject(e: unknown, at: string, problems: Problem[]): EndpointSpec | null {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) {
    problems.push({ where: at, message: 'expected a URL string or an object with a url', hint: ENDPOINTS_HINT });
    return null;
  }
  const o = e as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'url' && k !== 'model' && k !== 'labels') problems.push({ where: `${at}.${k}`, message: 'unknown field', hint: 'an endpoint has url, model and labels' });
  }
  if (typeof o.url !== 'string') {
    problems.push({ where: `${at}.url`, message: 'expected a URL string', hint: 'e.g. url: http://node1:8000' });
    return null;
  }
  checkUrl(o.url, `${at}.url`, problems);
  let model: string | null = null;
  if (o.model !== undefined && o.model !== null) {
    if (typeof o.model === 'string') model = o.model;
    else problems.push({ where: `${at}.model`, message: 'expected a string' });
  }
  return { url: o.url.trim(), model, labels: endpointLabels(o.labels, at, problems) };
}

function endpointLabels(value: unknown, at: string, problems: Problem[]): Record<string, string> {
  const labels: Record<string, string> = {};
  if (value === undefined || value === null) return labels;
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ where: `${at}.labels`, message: 'expected a map of label names to values', hint: 'e.g. labels: { gpu: MI355X, precision: fp4 }' });
    return labels;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') labels[k] = String(v);
    else problems.push({ where: `${at}.labels.${k}`, message: 'expected a string, number or boolean' });
  }
  return labels;
}

function checkUrl(url: string, where: string, problems: Problem[]): void {
  if (!/^https?:\/\/[^\s/]+/.test(url.trim())) {
    problems.push({ where, message: `not an http(s) URL: ${JSON.stringify(url)}`, hint: 'e.g. http://node1:8000' });
  }
}

/** `--system FILE`: an MLPerf-style system description (JSON object), recorded verbatim under `system` in result.json. */
export function readSystemFile(path: string, cwd: string): Record<string, unknown> {
  const hint = 'give an MLPerf-style system description JSON, e.g. {"system_name": "...", "number_of_nodes": 8, "accelerators_per_node": 8, "accelerator_model_name": "AMD Instinct MI355X"}';
  const text = readText(path, cwd, '--system', hint);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError({ where: `--system ${path}`, message: `not valid JSON (${(err as Error).message})`, hint });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError({ where: `--system ${path}`, message: 'expected a JSON object', hint });
  }
  return doc as Record<string, unknown>;
}

/** `--baseline FILE`: a single-node result.json to compute scaling efficiency against. */
export function readBaselineFile(path: string, cwd: string): ResultJson {
  const text = readText(path, cwd, '--baseline', 'give the result.json of a single-node run (tokbench run --out DIR writes DIR/result.json)');
  const r = parseResultJson(text, `--baseline ${path}`);
  if (!(r.summary.outputTokensPerSecond > 0)) {
    throw new ConfigError({ where: `--baseline ${path}`, message: 'its output throughput is 0: nothing to scale against', hint: 'use the result of a run that completed requests' });
  }
  return r;
}
