/**
 * Where the API key comes from. The environment or a file by default; a flag
 * works but warns, because it lands in shell history and `ps` output. The key
 * is handed to the Sut and nowhere else: it never reaches result.json, logs,
 * error messages or reports.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { ConfigError } from '../errors.js';

export function resolveApiKey(o: {
  flag: string | undefined;
  file: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  warn: (message: string) => void;
}): string | null {
  if (o.flag !== undefined) {
    o.warn('--api-key puts the key in your shell history and process list; prefer TOKBENCH_API_KEY or --api-key-file');
    return checkKey(o.flag, '--api-key');
  }
  if (o.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolvePath(o.cwd, o.file), 'utf8');
    } catch (err) {
      throw new ConfigError({ where: `--api-key-file ${o.file}`, message: `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, hint: 'give a file holding only the key' });
    }
    return checkKey(text.trim(), `--api-key-file ${o.file}`);
  }
  const env = o.env.TOKBENCH_API_KEY ?? o.env.OPENAI_API_KEY;
  if (env !== undefined && env !== '') return checkKey(env.trim(), o.env.TOKBENCH_API_KEY ? 'TOKBENCH_API_KEY' : 'OPENAI_API_KEY');
  return null;
}

function checkKey(key: string, where: string): string {
  // A key with CR/LF would inject headers; the message must not echo the key.
  if (key === '' || /[\r\n\0]/.test(key) || !/^[\x21-\x7e]+$/.test(key)) {
    throw new ConfigError({ where, message: 'the API key is empty or contains spaces, line breaks or non-ASCII characters', hint: 'check for a trailing newline or quotes around the key' });
  }
  return key;
}
