#!/usr/bin/env node
import { ExitCode } from './exit-codes.js';
import { processIo } from './io.js';
import { runCli } from './program.js';

// A promise nobody awaited must not leave the server half-alive: log it and exit, and let the supervisor of the
// process (systemd) restart it. Acknowledged leases are already committed (the store is the truth).
process.on('unhandledRejection', (reason) => {
  process.stderr.write(
    `fleetboot: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`,
  );
  process.exit(ExitCode.failure);
});

process.exitCode = await runCli(process.argv.slice(2), processIo);
