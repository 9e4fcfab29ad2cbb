// Child process for the busy-timeout test (catalogue F07): opens the store, and when the parent sends "commit",
// says "committing" and commits one lease, then reports "committed" or "failed <code>". In a process of its own
// because better-sqlite3 waits for a lock by blocking its thread: the parent stays free to watch and release.
// Usage: node --import tsx commit-one.ts <data directory> <busy timeout ms>
import { openStore } from '../../../src/store/open.js';
import { lease } from '../fixtures.js';
import { nextLine } from './lines.js';

const [dataDir, busyTimeoutMs] = process.argv.slice(2);
if (dataDir === undefined || busyTimeoutMs === undefined)
  throw new Error('usage: commit-one.ts <data directory> <busy timeout ms>');
const store = await openStore('sqlite', { dataDir, busyTimeoutMs: Number(busyTimeoutMs) });
// A first query opens the connection: the commit below is then the only thing this process can wait for.
await store.leases.findByAddress(lease(1, '192.0.2.10', 0).address);
process.stdout.write('ready\n');
await nextLine('commit');
// On a pipe, stdout writes are synchronous on Linux: the line is out before commit() takes the thread.
process.stdout.write('committing\n');
try {
  await store.leases.commit(lease(1, '192.0.2.10', 2_000_000_000_000));
  process.stdout.write('committed\n');
} catch (error) {
  process.stdout.write(`failed ${(error as { code?: string }).code ?? String(error)}\n`);
}
await store.close();
process.exit(0);
