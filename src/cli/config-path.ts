import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where `fleetboot` looks for its configuration when `--config` is not given, in order. */
export const DEFAULT_CONFIG_PATHS = ['fleetboot.yaml', '/etc/fleetboot/fleetboot.yaml'] as const;

/**
 * The config file to load: `--config`, else `FLEETBOOT_CONFIG`, else the first of DEFAULT_CONFIG_PATHS that exists,
 * else none (the embedded defaults). A path given explicitly must exist: a typo must not silently mean "defaults".
 */
export function resolveConfigPath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
  exists: (file: string) => boolean = existsSync,
): { path: string | undefined; explicit: boolean } {
  const given = flag ?? env.FLEETBOOT_CONFIG;
  if (given !== undefined && given !== '') return { path: path.resolve(cwd, given), explicit: true };
  const found = DEFAULT_CONFIG_PATHS.map((p) => path.resolve(cwd, p)).find((p) => exists(p));
  return { path: found, explicit: false };
}
