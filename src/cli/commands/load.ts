import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../config/load.js';
import type { FleetbootConfig } from '../../config/schema.js';
import { ExitCode } from '../exit-codes.js';
import { resolveConfigPath } from '../config-path.js';
import { CommandError, type CliIo } from '../io.js';

/** Loads the configuration a command runs with; an invalid or missing one is a CommandError with exit code 3. */
export function loadCommandConfig(
  flag: string | undefined,
  io: CliIo,
): { config: FleetbootConfig; source: string | undefined } {
  const { path, explicit } = resolveConfigPath(flag, io.env, io.cwd);
  if (explicit && path !== undefined && !existsSync(path)) {
    throw new CommandError(
      `${path}: no such configuration file (from --config or FLEETBOOT_CONFIG)`,
      ExitCode.config,
    );
  }
  try {
    return loadConfig({ ...(path === undefined ? {} : { path }), env: io.env, cwd: io.cwd });
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandError(error.toString(), ExitCode.config);
    throw error;
  }
}
