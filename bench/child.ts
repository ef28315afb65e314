/**
 * One case's client process: runs the case given as JSON in argv[2] and sends
 * its result to the parent (bench/run.ts) over IPC, then exits.
 */
import { runCase, type CaseSpec } from './cases.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as CaseSpec;
runCase(spec).then(
  (result) => {
    process.send?.({ type: 'result', result }, () => process.exit(0));
  },
  (err: unknown) => {
    process.stderr.write(`bench child ${spec.id}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
