import type { Command } from 'commander';
import { startServer, StoreOpenError } from '../../main.js';
import { StartupError } from '../../net/supervisor.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { loadCommandConfig } from './load.js';

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description(
      'Run the boot server in the foreground: HTTP (health, metrics), and the DHCP and TFTP listeners the ' +
        'configuration enables. Logs JSON lines to standard error. Stops cleanly on SIGTERM or SIGINT.',
    )
    .action(async (_options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<{ config?: string }>();
      // Files fleetboot creates (database, leases) are not world-readable (catalogue S14).
      process.umask(0o027);
      const { config } = loadCommandConfig(globals.config, io);
      let server;
      try {
        server = await startServer({ config });
      } catch (error) {
        if (error instanceof StoreOpenError) throw new CommandError(error.message, ExitCode.store);
        if (error instanceof StartupError) throw new CommandError(error.message, ExitCode.failure);
        throw error;
      }
      const running = server;
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          running.logger.info({ signal }, 'draining and stopping');
          // A second signal means "now": the operator has given up waiting for the drain.
          process.once('SIGTERM', () => process.exit(ExitCode.failure));
          process.once('SIGINT', () => process.exit(ExitCode.failure));
          void running.stop().then(resolve);
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });
}
