/**
 * Process globals, gathered in one place (k6's GlobalState): only bin/ and
 * src/cli/ touch process. Tests pass their own CliIo to run the CLI in-process.
 */
import type { Writable } from 'node:stream';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stdout/stderr are terminals (colour, live progress) */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** subscribe to SIGINT/SIGTERM; returns an unsubscribe function */
  onSignal(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    onSignal(handler) {
      const onInt = () => handler('SIGINT');
      const onTerm = () => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}
