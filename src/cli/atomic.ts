import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';

/** write-then-rename, so a reader never sees half a result.json */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  // fsync before the rename: after a crash the file is the old one or the new one, never empty
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, content);
    try {
      fsyncSync(fd);
    } catch {
      // some filesystems refuse fsync; the rename still keeps readers from half a file
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
