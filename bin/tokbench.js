#!/usr/bin/env node
// Thin on purpose: everything lives in main(argv, io) so tests can run it in-process.
import { main } from '../dist/src/cli/main.js';
import { processIo } from '../dist/src/cli/io.js';

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
