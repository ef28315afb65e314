/**
 * The commander program. `main(argv, io)` is the whole CLI: bin/tokbench.js calls
 * it with the process's argv and io, tests call it in-process with their own.
 * It returns the exit code instead of exiting, so nothing below it ends the process.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, TokbenchError } from '../errors.js';
import type { CliIo } from './io.js';
import { runCommand } from './run.js';
import { findPeakCommand } from './find-peak.js';
import { serveCommand } from './serve.js';
import { checkCommand } from './check.js';
import { compareCommand } from './compare.js';
import { scenariosCommand } from './scenarios.js';
import { reportCommand } from './report.js';
import { mergeCommand } from './merge.js';
import { TOKBENCH_VERSION } from '../version.js';

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  const program = new Command('tokbench')
    .description('Benchmark OpenAI-compatible LLM servers with MLPerf-style scenarios: token throughput and TTFT/TPOT/ITL percentiles.')
    .version(TOKBENCH_VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  program.addCommand(runCommand(io, setExitCode));
  program.addCommand(findPeakCommand(io, setExitCode));
  program.addCommand(serveCommand(io));
  program.addCommand(checkCommand(io, setExitCode));
  program.addCommand(compareCommand(io, setExitCode));
  program.addCommand(reportCommand(io, setExitCode));
  program.addCommand(mergeCommand(io, setExitCode));
  program.addCommand(scenariosCommand(io));
  for (const cmd of program.commands) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
    cmd.showSuggestionAfterError(true);
  }
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (err) {
    return handleError(err, io);
  }
  return exitCode;
}

export function handleError(err: unknown, io: Pick<CliIo, 'stderr'>): number {
  if (err instanceof CommanderError) {
    // --help and --version exit "successfully" through the same path.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage;
  }
  if (err instanceof TokbenchError) {
    io.stderr.write(`tokbench: error: ${err.message}\n`);
    if (err.hint && !err.message.includes(err.hint)) io.stderr.write(`  hint: ${err.hint}\n`);
    return err.exitCode;
  }
  io.stderr.write(`tokbench: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  io.stderr.write('  this is a bug in tokbench; please report it with the command line you used\n');
  return ExitCode.runFailed;
}
