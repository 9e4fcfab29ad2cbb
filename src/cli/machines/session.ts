import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { FleetbootConfig } from '../../config/types.js';
import { createLogger } from '../../observability/logger.js';
import { loadOrCreateSecret, loadSecret, MissingSecretError } from '../../provision/install-token.js';
import { Lifecycle } from '../../provision/lifecycle.js';
import { StoreError } from '../../store/errors.js';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/types.js';
import { parseLineText } from '../../values/boot-text.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { loadCommandConfig } from '../commands/load.js';

// What a server command runs against (`token`, `machines import`, `machines render`): the configuration, the store
// it names (the same one `serve` uses), and the lifecycle over both. The API commands (client/) never open it.

export interface Session {
  readonly config: FleetbootConfig;
  readonly store: Store;
  /** Only for commands that change machines (it reads, or creates, the install-token secret). */
  readonly lifecycle: () => Promise<Lifecycle>;
}

export async function withSession<T>(
  command: Command,
  io: CliIo,
  run: (session: Session) => Promise<T>,
): Promise<T> {
  const { config } = loadCommandConfig(command.optsWithGlobals<{ config?: string }>().config, io);
  process.umask(0o027);
  const logger = createLogger({ level: 'silent' });
  let store: Store | undefined;
  try {
    store = await openStore(config.store, { dataDir: config.dataDir, logger });
    await store.migrate();
  } catch (error) {
    await store?.close();
    throw new CommandError(`cannot open the store: ${message(error)}`, ExitCode.store);
  }
  const opened = store;
  const lifecycle = async (): Promise<Lifecycle> =>
    new Lifecycle({
      store: opened,
      secret: await secretFor(config),
      now: Date.now,
      markTtlMs: config.install.markTtlMs,
      profiles: config.profiles,
      rules: config.rules,
    });
  try {
    return await run({ config, store: opened, lifecycle });
  } catch (error) {
    if (error instanceof StoreError) throw new CommandError(`store: ${error.message}`, ExitCode.store);
    throw error;
  } finally {
    await opened.close();
  }
}

/**
 * The install-token secret the marks are made with. With SQLite the data directory is the server's own (the store
 * is a file in it), so the CLI may create the secret the server will load. With PostgreSQL the CLI may run on
 * another host: it must use the boot servers' secret, never make its own (install-token.ts loadSecret).
 */
async function secretFor(config: FleetbootConfig): Promise<Uint8Array> {
  if (config.store.dialect === 'sqlite') return loadOrCreateSecret(config.dataDir);
  try {
    return await loadSecret(config.dataDir);
  } catch (error) {
    if (error instanceof MissingSecretError) throw new CommandError(error.message, ExitCode.failure);
    throw error;
  }
}

/** `--actor`, else `$USER@host`: who the audit trail says did it. */
export function actorOf(flag: string | undefined, io: CliIo): string {
  const actor = flag ?? `${io.env.USER ?? io.env.LOGNAME ?? 'unknown'}@${hostname()}`;
  try {
    if (actor.trim() === '') throw new Error('empty');
    return parseLineText(actor);
  } catch {
    throw new CommandError('--actor must be a name on one line, such as alice@admin', ExitCode.usage);
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
