/**
 * requests.jsonl: one RequestRecord per line, appended as queries finish, so a
 * crash or kill -9 loses nothing already measured. Lines finished in the same
 * event-loop turn are coalesced into one write (setImmediate), which keeps the
 * syscall count low at high request rates without holding records in memory.
 */
import { closeSync, createReadStream, fsyncSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ConfigError } from '../errors.js';
import type { RequestRecord } from './record.js';

export class RecordWriter {
  private fd: number | null;
  private pending: string[] = [];
  private scheduled = false;
  private written = 0;

  constructor(
    readonly path: string,
    private readonly opts: { recordChunks: boolean } = { recordChunks: true },
  ) {
    this.fd = openSync(path, 'wx');
  }

  write(rec: RequestRecord): void {
    if (this.fd === null) return;
    const out = this.opts.recordChunks || rec.chunkGapsUs === undefined ? rec : { ...rec, chunkGapsUs: undefined, chunkTokens: undefined };
    this.pending.push(JSON.stringify(out));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** write everything pending now */
  flush(): void {
    this.scheduled = false;
    if (this.fd === null || this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    writeSync(this.fd, text);
    this.written++;
  }

  close(): void {
    this.flush();
    if (this.fd !== null) {
      try {
        fsyncSync(this.fd);
      } catch {
        // fsync can fail on some filesystems (e.g. /dev/stdout); the data is written regardless.
      }
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

export interface ReadRecordsResult {
  records: RequestRecord[];
  /** a last line cut short by a crash, skipped */
  truncatedTail: boolean;
}

/**
 * Read requests.jsonl. A last line cut short by a crash is skipped (and
 * reported); a bad line anywhere else is an error naming its line number.
 */
export async function readRecords(path: string, onRecord?: (r: RequestRecord) => void): Promise<ReadRecordsResult> {
  const records: RequestRecord[] = [];
  let lineNo = 0;
  let badLine: { line: number; message: string } | null = null;
  let truncatedTail = false;
  let stream;
  try {
    stream = createReadStream(path, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      stream!.once('open', () => resolve());
      stream!.once('error', reject);
    });
  } catch (err) {
    throw new ConfigError({ where: path, message: `cannot read records (${(err as NodeJS.ErrnoException).code ?? String(err)})`, hint: 'give the requests.jsonl inside a run\'s --out directory' });
  }
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of rl) {
    lineNo++;
    if (badLine) {
      // The bad line was not the last: that is corruption, not a cut-off tail.
      throw new ConfigError({ where: `${path}:${badLine.line}`, message: badLine.message, hint: 'the file is corrupt; remove the line to use the rest' });
    }
    if (line.trim() === '') continue;
    try {
      const rec = JSON.parse(line) as RequestRecord;
      if (typeof rec.seq !== 'number' || typeof rec.completedUs !== 'number') throw new Error('not a request record');
      if (onRecord) onRecord(rec);
      else records.push(rec);
    } catch (err) {
      badLine = { line: lineNo, message: `not a request record: ${(err as Error).message}` };
    }
  }
  if (badLine) truncatedTail = true;
  return { records, truncatedTail };
}
