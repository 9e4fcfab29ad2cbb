import type { Command } from 'commander';
import { openStore } from '../../store/open.js';
import { createLogger } from '../../observability/logger.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { loadCommandConfig } from './load.js';

export function registerDb(program: Command, io: CliIo): void {
  const db = program.command('db').description('Manage the store (SQLite or PostgreSQL).');

  db.command('migrate')
    .description(
      'Apply the store migrations this version needs, then exit. `serve` does the same at start; run this first ' +
        'when several boot servers share one PostgreSQL database, so they never race on a schema change.',
    )
    .action(async (_options: unknown, command: Command) => {
      const { config } = loadCommandConfig(command.optsWithGlobals<{ config?: string }>().config, io);
      process.umask(0o027);
      const logger = createLogger({ level: config.log.level });
      let store;
      try {
        store = await openStore(config.store, { dataDir: config.dataDir, logger });
        const applied = await store.migrate();
        io.stdout(
          applied.length === 0
            ? 'store is up to date\n'
            : `applied ${applied.length} migration(s): ${applied.join(', ')}\n`,
        );
      } catch (error) {
        throw new CommandError(
          `store migration failed: ${error instanceof Error ? error.message : String(error)}`,
          ExitCode.store,
        );
      } finally {
        await store?.close();
      }
    });
}
