// Child process for the crash test (catalogue F01, I2): commits leases one after another and reports each one
// the moment commit() resolves, the point at which a DHCP server would send its ACK. It keeps committing until it
// has written <count>, then waits to be killed; the parent kills it with SIGKILL after some commits (most likely
// with one in flight) and then checks that every reported lease survived.
// Usage: node --import tsx commit-leases.ts <data directory> <count>
import { openStore } from '../../../src/store/open.js';
import { lease } from '../fixtures.js';

const [dataDir, count] = process.argv.slice(2);
if (dataDir === undefined || count === undefined)
  throw new Error('usage: commit-leases.ts <data directory> <count>');
const store = await openStore('sqlite', { dataDir });
await store.migrate();
process.stdout.write('ready\n');
for (let i = 0; i < Number(count); i++) {
  await store.leases.commit(lease(i, `192.0.2.${10 + i}`, 2_000_000_000_000 + i));
  process.stdout.write(`committed ${i}\n`);
}
process.stdout.write('all committed\n');
// Blocks until killed, however late the parent is: the test never depends on how far the child got.
setInterval(() => undefined, 60_000);
