/**
 * Parquet datasets, as MLPerf ships them (columns.ts names the columns). Read
 * with hyparquet, a pure-JS reader; library.ts imports this module only when a
 * parquet file is used, so the reader costs nothing at startup otherwise.
 *
 * A row's prompt is its token-id column when there is one (sent as ids to
 * /v1/completions, as MLPerf's SUTs do; scenario resolution picks
 * promptFormat `ids`), else its text column, counted as a server would.
 */
import { parquetMetadata, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet';
import { ConfigError } from '../errors.js';
import { COLUMN_ROLES, DEFAULT_COLUMNS, type ColumnOverrides, type ColumnRole } from './columns.js';
import { preview, ProblemList, readDatasetFile } from './files.js';
import { checkIds } from './jsonl.js';
import { promptIdsForText, VOCAB_SIZE } from './tokenizers.js';
import type { Sample, SampleLibrary, Tokenizer } from './types.js';

export interface ParquetLoadOptions {
  columns?: ColumnOverrides;
}

type Row = Record<string, unknown>;

export async function loadParquet(path: string, tokenizer: Tokenizer, opts: ParquetLoadOptions = {}): Promise<SampleLibrary> {
  const bytes = await readDatasetFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(file);
  } catch (err) {
    throw new ConfigError({ where: path, message: `not a readable parquet file (${(err as Error).message})`, hint: 'give a .parquet file written by pandas/pyarrow, or a .jsonl file' });
  }
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  const roles = pickColumns(path, names, opts.columns ?? {});
  const wanted = [...new Set(Object.values(roles))];

  const problems = new ProblemList();
  const samples: Sample[] = [];
  // One row group at a time: int64 ids arrive as BigInts, and holding a whole file's at once
  // doubles the peak memory. (A slice smaller than a row group would decode the group again.)
  let start = 0;
  for (const group of metadata.row_groups) {
    if (problems.full) break;
    const end = start + Number(group.num_rows);
    let rows: Row[];
    try {
      rows = (await parquetReadObjects({ file, metadata, columns: wanted, rowStart: start, rowEnd: end })) as Row[];
    } catch (err) {
      throw new ConfigError({ where: path, message: `cannot read rows ${start}.. (${(err as Error).message})`, hint: 'the file may use a compression hyparquet does not read without hyparquet-compressors (snappy, the pandas default, is read)' });
    }
    for (let r = 0; r < rows.length && !problems.full; r++) {
      const sample = rowToSample(rows[r]!, roles, samples.length, tokenizer, `${path}: row ${start + r}`, problems);
      if (sample !== null) samples.push(sample);
    }
    start = end;
  }
  problems.throwIfAny(path, 'parquet dataset');
  if (samples.length === 0) throw new ConfigError({ where: path, message: 'no rows', hint: 'the file holds no samples' });
  const used = COLUMN_ROLES.filter((k) => roles[k] !== undefined).map((k) => `${k}=${roles[k]}`).join(', ');
  return { samples, tokenizer: tokenizer.name, source: `parquet(${path}, ${samples.length} samples; ${used})` };
}

/** role → column, from the overrides and else the first default name present. */
function pickColumns(path: string, names: readonly string[], overrides: ColumnOverrides): Partial<Record<ColumnRole, string>> {
  const roles: Partial<Record<ColumnRole, string>> = {};
  const missing: string[] = [];
  for (const role of COLUMN_ROLES) {
    const given = overrides[role];
    if (given === '') continue;
    if (given !== undefined) {
      if (names.includes(given)) roles[role] = given;
      else missing.push(`--dataset-column ${role}=${given}: no column "${given}"`);
      continue;
    }
    const found = DEFAULT_COLUMNS[role].find((n) => names.includes(n));
    if (found !== undefined) roles[role] = found;
  }
  const columns = `columns in the file: ${names.join(', ') || '(none)'}`;
  if (missing.length > 0) throw new ConfigError(missing.map((m) => ({ where: path, message: m, hint: columns })));
  if (roles.prompt === undefined && roles.ids === undefined) {
    throw new ConfigError({
      where: path,
      message: `no prompt column: looked for ${[...DEFAULT_COLUMNS.ids, ...DEFAULT_COLUMNS.prompt].join(', ')}`,
      hint: `${columns}; name yours with --dataset-column ids=COLUMN (token ids) or --dataset-column prompt=COLUMN (text)`,
    });
  }
  return roles;
}

function rowToSample(row: Row, roles: Partial<Record<ColumnRole, string>>, index: number, tokenizer: Tokenizer, where: string, problems: ProblemList): Sample | null {
  const fail = (message: string, hint?: string) => problems.add(hint === undefined ? { where, message } : { where, message, hint });
  const text = roles.prompt === undefined ? null : row[roles.prompt];
  let prompt: string | null = null;
  if (typeof text === 'string' && text.length > 0) prompt = text;
  else if (roles.ids === undefined) {
    fail(`${roles.prompt} must be a non-empty string, got ${preview(text)}`);
    return null;
  }
  let ids: number[];
  if (roles.ids !== undefined) {
    const list = toNumbers(row[roles.ids]);
    const problem = checkIds(list ?? row[roles.ids], roles.ids, tokenizer);
    if (problem !== null) {
      fail(problem, `token ids must be integers in [0, ${VOCAB_SIZE[tokenizer.name]}) for ${tokenizer.name}; is --tokenizer right?`);
      return null;
    }
    ids = list!;
  } else {
    ids = promptIdsForText(tokenizer, prompt!);
  }
  let outputTokens: number | null = null;
  if (roles.outputTokens !== undefined) {
    const v = row[roles.outputTokens];
    const list = toNumbers(v);
    const n = list !== null ? list.length : typeof v === 'bigint' ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1) outputTokens = n;
    else if (v !== null && v !== undefined) {
      fail(`${roles.outputTokens} must be a token-id list or a whole number >= 1, got ${preview(v)}`, 'the output length to ask for (max_tokens); --dataset-column outputTokens= leaves it to the scenario');
      return null;
    }
  }
  const ref = roles.reference === undefined ? null : row[roles.reference];
  const reference = typeof ref === 'string' ? ref : typeof ref === 'number' || typeof ref === 'bigint' ? String(ref) : null;
  const ds = roles.dataset === undefined ? null : row[roles.dataset];
  return {
    index,
    prompt,
    promptTokenIds: ids,
    messages: null,
    inputTokens: ids.length,
    outputTokens,
    reference,
    ...(typeof ds === 'string' && ds !== '' ? { dataset: ds.toLowerCase() } : {}),
  };
}

/**
 * A list column as plain numbers: int64 arrives as BigInt, some lists as typed
 * arrays. A plain array is converted in place, so a file's 20 M ids are not
 * copied once more.
 */
function toNumbers(v: unknown): number[] | null {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, Number);
  if (!Array.isArray(v)) return null;
  const out = v as unknown[];
  for (let i = 0; i < out.length; i++) {
    const x = out[i];
    // a bigint beyond 2^53 becomes an inexact number, which checkIds then rejects as out of vocabulary
    if (typeof x === 'bigint') out[i] = Number(x);
  }
  return out as number[];
}
