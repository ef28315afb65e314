#!/usr/bin/env node
// Thin on purpose: everything lives in main(argv, io) so tests can run it in-process.
import { main } from '../dist/src/cli/main.js';
import { processIo } from '../dist/src/cli/io.js';

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
// A benchmark must never hang a shell or a CI job: if a stray handle still holds
// the event loop once main() is done, exit anyway after output has had time to flush.
setTimeout(() => process.exit(code), 2000).unref();
