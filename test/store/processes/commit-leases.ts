// Child process for the crash test (catalogue F01, I2): commits leases one after another and reports each one
// the moment commit() resolves, the point at which a DHCP server would send its ACK. It keeps committing until it
// has written <count>, then waits to be killed; the parent kills it with SIGKILL after some commits (most likely
// with one in flight) and then checks that every reported lease survived.
// Mode `writer-batch` commits as `fleetboot serve` does: batches of 4 through commitMany (the prepared SQLite
// statements) on the store's writer thread, reporting a batch's leases when its promise resolves.
// Usage: node --import tsx commit-leases.ts <data directory> <count> [single|writer-batch]
import { openStore } from '../../../src/store/open.js';
import { lease } from '../fixtures.js';

const [dataDir, count, mode = 'single'] = process.argv.slice(2);
if (dataDir === undefined || count === undefined || !['single', 'writer-batch'].includes(mode))
  throw new Error('usage: commit-leases.ts <data directory> <count> [single|writer-batch]');
const store = await openStore('sqlite', { dataDir, writerThread: mode === 'writer-batch' });
await store.migrate();
process.stdout.write('ready\n');
const leaseNumber = (i: number) => lease(i, `192.0.2.${10 + i}`, 2_000_000_000_000 + i);
const step = mode === 'writer-batch' ? 4 : 1;
for (let first = 0; first < Number(count); first += step) {
  const numbers = Array.from({ length: Math.min(step, Number(count) - first) }, (_, k) => first + k);
  if (mode === 'writer-batch') {
    const results = await store.leases.commitMany(numbers.map(leaseNumber));
    if (results.some((r) => !r.ok)) throw new Error(`a lease of batch ${first} was refused`);
  } else {
    await store.leases.commit(leaseNumber(first));
  }
  // One write for the batch: the parent reads its lines together, so it never kills between two of them.
  process.stdout.write(numbers.map((i) => `committed ${i}\n`).join(''));
}
process.stdout.write('all committed\n');
// Blocks until killed, however late the parent is: the test never depends on how far the child got.
setInterval(() => undefined, 60_000);
