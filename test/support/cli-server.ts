import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApiToken } from '../../src/api/tokens.js';
import { loadConfig } from '../../src/config/load.js';
import type { ApiRole } from '../../src/inventory/api-token.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { runInProcess } from './cli.js';

// A real fleetboot (main.ts startServer: SQLite in a scratch directory, the HTTP server on 127.0.0.1 port 0, TFTP
// and DHCP off) for the CLI to talk to, with a working API token per role.

export const CLI_SERVER_CONFIG = `dataDir: data
http: {listen: '127.0.0.1:0'}
tftp: {enabled: false}
profiles:
  - name: debian12
    os: debian-12-amd64
    template: debian-preseed
  - name: web
    os: debian-12-amd64
    template: debian-preseed
`;

export interface CliServer {
  readonly dir: string;
  readonly server: RunningServer;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly tokens: Readonly<Record<ApiRole, string>>;
  /**
   * The environment a CLI run gets: this server and a token of `role` (or none), USER, and a HOME and
   * XDG_CONFIG_HOME of its own, so no client.yaml of the user running the tests is read.
   */
  env(role?: ApiRole): NodeJS.ProcessEnv;
  /** `fleetboot ARGV` in-process, as `role`, in the server's directory (where its fleetboot.yaml is). */
  run(argv: readonly string[], role?: ApiRole): ReturnType<typeof runInProcess>;
  stop(): Promise<void>;
}

export async function startCliServer(configText = CLI_SERVER_CONFIG): Promise<CliServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-cli-server-'));
  const configFile = path.join(dir, 'fleetboot.yaml');
  writeFileSync(configFile, configText);
  mkdirSync(path.join(dir, 'home', '.config'), { recursive: true });
  const { config } = loadConfig({ path: configFile, env: {}, cwd: dir });
  const server = await startServer({ config, logger: createLogger({ level: 'silent' }) });
  const token = async (role: ApiRole) =>
    (await createApiToken(server.store.tokens, { name: role, role, createdBy: 'test' })).secret;
  const tokens = {
    viewer: await token('viewer'),
    operator: await token('operator'),
    admin: await token('admin'),
  };
  const url = `http://${server.httpAddress}`;
  const env = (role?: ApiRole): NodeJS.ProcessEnv => ({
    FLEETBOOT_URL: url,
    ...(role === undefined ? {} : { FLEETBOOT_TOKEN: tokens[role] }),
    USER: 'tester',
    HOME: path.join(dir, 'home'),
    XDG_CONFIG_HOME: path.join(dir, 'home', '.config'),
  });
  return {
    dir,
    server,
    url,
    tokens,
    env,
    run: (argv, role = 'operator') => runInProcess(argv, { cwd: dir, env: env(role) }),
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
