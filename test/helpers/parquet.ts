/**
 * Small parquet files in MLPerf's layouts, written the way pandas/pyarrow write
 * them: strings as UTF8 byte arrays, token ids as 3-level LISTs of int32 or
 * int64, snappy pages.
 */
import { writeFileSync } from 'node:fs';
import { parquetWriteBuffer } from 'hyparquet-writer';

export type ParquetColumn =
  | { name: string; kind: 'string'; data: (string | null)[] }
  | { name: string; kind: 'int32' | 'int64'; data: (number | null)[] }
  | { name: string; kind: 'list<int32>' | 'list<int64>'; data: number[][] };

export function writeParquet(path: string, columns: ParquetColumn[]): void {
  const schema: Record<string, unknown>[] = [{ name: 'root', num_children: columns.length }];
  const columnData = [];
  for (const c of columns) {
    if (c.kind === 'string') {
      schema.push({ name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
      columnData.push({ name: c.name, data: c.data });
    } else if (c.kind === 'int32' || c.kind === 'int64') {
      schema.push({ name: c.name, type: c.kind === 'int32' ? 'INT32' : 'INT64', repetition_type: 'OPTIONAL' });
      columnData.push({ name: c.name, data: c.kind === 'int64' ? c.data.map((v) => (v === null ? null : BigInt(v))) : c.data });
    } else {
      const wide = c.kind === 'list<int64>';
      schema.push(
        { name: c.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: wide ? 'INT64' : 'INT32', repetition_type: 'OPTIONAL' },
      );
      const lists = c.data as number[][];
      columnData.push({ name: c.name, data: lists.map((ids) => (wide ? ids.map((v) => BigInt(v)) : ids)) });
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- hyparquet-writer's SchemaElement is hyparquet's thrift type
  const buf = parquetWriteBuffer({ schema: schema as any, columnData: columnData as any });
  writeFileSync(path, new Uint8Array(buf));
}
