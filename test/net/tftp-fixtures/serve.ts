// The TFTP server as a process of its own, for tests that run it inside a lab namespace:
//   node --import tsx serve.ts '<json ServeSpec>'
// Prints `listening <address> <port>`, then one `record <json>` line per transfer. On standard input, `fds`
// prints `fds <n>` (open descriptors of this process) and `stop` stops the server, prints `stopped fds <n>` and
// exits 0. SIGTERM does the same as `stop`.
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { systemClock } from '../../../src/net/clock.js';
import { createTftpFileSource } from '../../../src/net/tftp-files.js';
import { HotFileCache } from '../../../src/net/tftp-hot-cache.js';
import { createTftpServer, type TftpServerSettings } from '../../../src/net/tftp-server.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics } from '../../../src/observability/metrics.js';

export interface ServeSpec {
  readonly config: TftpServerSettings;
  readonly roots: readonly string[];
  /** Virtual files: canonical path → content; `{ip}` in the content becomes the client's address. */
  readonly virtual?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly mtu?: number;
  readonly cacheBytes?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ServeSpec;
const virtual = spec.virtual ?? {};
const files = createTftpFileSource({
  roots: spec.roots,
  cache: new HotFileCache({ capacityBytes: spec.cacheBytes ?? 512 * 1024 * 1024 }),
  virtualFiles: (path, client) => {
    const content = virtual[path];
    return Promise.resolve(
      content === undefined ? undefined : Buffer.from(content.replaceAll('{ip}', client.address)),
    );
  },
});
const server = createTftpServer({
  config: spec.config,
  files,
  clock: systemClock,
  logger: createLogger({ level: 'warn' }),
  metrics: createMetrics({ processMetrics: false }),
  ...(spec.mtu === undefined ? {} : { mtu: spec.mtu }),
  tuning: { drainMs: 2_000, ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }) },
  onTransfer: (record) => {
    process.stdout.write(`record ${JSON.stringify(record)}\n`);
  },
});

const openFds = (): number => readdirSync('/proc/self/fd').length;

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.stdout.write(`stopped fds ${openFds()}\n`);
  process.exit(0);
}

await server.start((error) => {
  process.stderr.write(`server failed: ${String(error)}\n`);
  process.exit(1);
});
const bound = server.address();
process.stdout.write(`listening ${bound?.address ?? '?'} ${bound?.port ?? 0}\n`);

process.on('SIGTERM', () => void stop());
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'fds') process.stdout.write(`fds ${openFds()}\n`);
  if (line.trim() === 'stop') void stop();
});
