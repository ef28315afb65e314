/** `tokbench scenarios`: the built-in scenarios and the MLPerf values they carry. */
import { Command } from 'commander';
import type { CliIo } from './io.js';
import { BUILTIN_PROFILES } from '../scenario/builtins.js';

export function scenariosCommand(io: CliIo): Command {
  return new Command('scenarios')
    .description('List the built-in scenarios and their MLPerf v6.0 parameters')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }) => {
      if (o.json) {
        io.stdout.write(JSON.stringify(BUILTIN_PROFILES, null, 2) + '\n');
        return;
      }
      const rows = Object.entries(BUILTIN_PROFILES).map(([name, p]) => [
        name,
        p.ttftP99Ms === null ? '–' : `${p.ttftP99Ms} ms`,
        p.tpotP99Ms === null ? '–' : `${p.tpotP99Ms} ms`,
        `${p.minDurationMs / 1000} s`,
        String(p.minQueryCount),
        String(p.performanceSampleCount),
        String(p.maxTokens),
      ]);
      const head = ['scenario', 'p99 TTFT', 'p99 TPOT', 'min duration', 'min queries', 'samples', 'max tokens'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
      io.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n');
      io.stdout.write('\nValues from MLPerf Inference v6.0 mlperf.conf; see docs/mlperf.md. Run one with: tokbench run NAME\n');
    });
}
