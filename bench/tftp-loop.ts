// In-process TFTP transfers over loopback, to see what the boot capture costs a transfer (a bench tool, not a test:
// nothing fails when a number is bad). The server as `fleetboot serve` runs it, a file in the hot cache, and the
// tests' TFTP client fetching it lock-step (windowsize 1, one ACK per block: the capture's worst case).
//   node --import tsx bench/tftp-loop.ts [--capture 1|0] [--mib 32] [--fetches 2]
//   node --import tsx bench/tftp-loop.ts --serve-s 60 --port 6969 [--mib 64]
// With --serve-s it fetches nothing: it serves `file` on 127.0.0.1:--port for that many seconds, for an outside
// client and profiler (bench/README.md "Native transfer sockets" profiles it this way with atftp and perf).
// Prints one JSON line per block size: wall ms and CPU ms of this process (server and client together) for the
// fetches, after one warm-up fetch, and the packets the capture was shown.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../src/net/clock.js';
import { createTftpFileSource } from '../src/net/tftp-files.js';
import { HotFileCache } from '../src/net/tftp-hot-cache.js';
import { createTftpServer } from '../src/net/tftp-server.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { tftpGet } from '../test/net/tftp-fixtures/client.js';

const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2)
  args.set(process.argv[i]?.replace(/^--/, '') ?? '', process.argv[i + 1] ?? '');
const CAPTURE = (args.get('capture') ?? '1') === '1';
const MIB = Number(args.get('mib') ?? '32');
const FETCHES = Number(args.get('fetches') ?? '2');
const SERVE_S = Number(args.get('serve-s') ?? '0');
const PORT = Number(args.get('port') ?? '0');

const root = mkdtempSync(path.join(tmpdir(), 'fleetboot-tftp-loop-'));
writeFileSync(path.join(root, 'file'), Buffer.alloc(MIB * 1024 * 1024, 1), { mode: 0o644 });
// --serve-s runs are often ended by a signal (the profiler's wrapper, Ctrl-C): the file goes with them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    rmSync(root, { recursive: true, force: true });
    process.exit(0);
  });
}
let tapped = 0;
const server = createTftpServer({
  config: {
    listen: { host: '127.0.0.1', port: PORT },
    blocksize: 1468,
    windowsize: 16,
    timeout: 1,
    retries: 5,
    maxTransfers: 100,
    maxPerClient: 100,
    busyPoll: 200,
  },
  files: createTftpFileSource({
    roots: [root],
    cache: new HotFileCache({ capacityBytes: 2 * MIB * 1024 * 1024 }),
  }),
  clock: systemClock,
  logger: createLogger({ level: 'warn' }),
  metrics: createMetrics({ processMetrics: false }),
  // What the capture's tap costs the transfer; the recorder behind it sees a handful of packets per transfer.
  ...(CAPTURE ? { capture: () => void (tapped += 1) } : {}),
});
await server.start(() => undefined);
const port = server.address()?.port ?? 0;
try {
  if (SERVE_S > 0) {
    console.log(JSON.stringify({ serving: 'file', port, pid: process.pid, seconds: SERVE_S }));
    await new Promise((resolve) => setTimeout(resolve, SERVE_S * 1000));
  }
  for (const blksize of SERVE_S > 0 ? [] : [512, 1468]) {
    const fetch = () =>
      tftpGet({ server: { address: '127.0.0.1', port }, file: 'file', blksize, windowsize: 1 });
    await fetch();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < FETCHES; i++) await fetch();
    const cpu = process.cpuUsage(cpu0);
    const ms = Math.round(performance.now() - t0);
    console.log(
      JSON.stringify({
        capture: CAPTURE ? 1 : 0,
        blksize,
        fetches: FETCHES,
        ms,
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        tapped,
      }),
    );
  }
} finally {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
