import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { LeaseStore } from '../../src/store/types.js';
import { BrokenLeaseStore, BusyError } from '../support/broken-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { discover, dropOf, harness, type HarnessOptions, mac, replyOf, request, SERVER } from './support.js';

const A = { mac: mac(1) };

function tempDbFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-dhcp-db-'));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return path.join(dir, 'leases.db');
}

const metric = async (h: Awaited<ReturnType<typeof harness>>, name: string) =>
  (await h.metrics.getSingleMetric(name)?.get())?.values;

/** A harness whose lease store fails the operations in `broken.failing` (none at first). */
async function withBrokenLeases(options: HarnessOptions = {}, failing: readonly (keyof LeaseStore)[] = []) {
  let broken: BrokenLeaseStore | undefined;
  const h = await harness({
    ...options,
    wrap: (store) => {
      broken = new BrokenLeaseStore(store.leases, new Set(failing));
      return { leases: broken };
    },
  });
  if (broken === undefined) throw new Error('the harness did not wrap the lease store');
  return { h, broken };
}

describe('the store is the truth (catalogue P1, P3; design.md §1.5)', () => {
  it('never ACKs when the commit fails, and leaves nothing in the store', async () => {
    const { h, broken } = await withBrokenLeases();
    const offered = replyOf(await h.send(discover(A))).message.yourAddress;
    broken.failing = new Set(['commitMany']); // the engine commits through its group commit
    expect(dropOf(await h.send(request({ ...A, serverId: SERVER, requested: offered })))).toBe(
      'store-unavailable',
    );
    expect((await h.dump()).leases).toEqual([]);
    expect(await metric(h, 'fleetboot_dhcp_lease_commits_total')).toEqual([
      expect.objectContaining({ labels: { result: 'failed' }, value: 1 }),
    ]);
  });

  it('answers no DISCOVER while the store is failing, and recovers without a restart (P3, F04)', async () => {
    const { h, broken } = await withBrokenLeases();
    const offered = replyOf(await h.send(discover(A))).message.yourAddress;
    broken.failing = new Set(['commitMany', 'findByAddress']);
    dropOf(await h.send(request({ ...A, serverId: SERVER, requested: offered })));
    expect(dropOf(await h.send(discover(A)))).toBe('store-unavailable');
    broken.failing = new Set();
    expect(await h.dora(A)).toBe(offered);
  });

  it('drops a REQUEST while the database is busy (F07) without treating the store as down', async () => {
    const { h, broken } = await withBrokenLeases();
    const offered = replyOf(await h.send(discover(A))).message.yourAddress;
    broken.failing = new Set(['commitMany', 'findByAddress']);
    broken.error = () => new BusyError('database is locked');
    const select = request({ ...A, serverId: SERVER, requested: offered });
    expect(dropOf(await h.send(select))).toBe('store-busy');
    // Not down: a DISCOVER is answered from the index, without a confirming read.
    expect(replyOf(await h.send(discover(A))).message.yourAddress).toBe(offered);
    broken.failing = new Set();
    expect(replyOf(await h.send(select)).message.messageType).toBe('ack');
  });

  it('drops everything when the store is closed under it (a lost database)', async () => {
    const h = await harness();
    const offered = replyOf(await h.send(discover(A))).message.yourAddress;
    await h.store.close();
    expect(dropOf(await h.send(request({ ...A, serverId: SERVER, requested: offered })))).toBe(
      'store-unavailable',
    );
  });

  it('starts without answering when the index cannot be loaded, and loads it once the store is back', async () => {
    const clock = new FakeClock();
    const file = tempDbFile();
    const first = await harness({ clock, file });
    const address = await first.dora(A);
    await first.engine.stop();
    await first.store.close();

    const { h: second, broken } = await withBrokenLeases({ clock, file, start: false }, ['listBySubnet']);
    await expect(second.engine.start()).rejects.toThrow(/connection lost/);
    expect(dropOf(await second.send(discover({ mac: mac(2) })))).toBe('store-unavailable');
    broken.failing = new Set();
    // The index is loaded on the next exchange: A's bound address is offered to nobody else.
    const offer = replyOf(await second.send(discover({ mac: mac(2) })));
    expect(offer.message.yourAddress).not.toBe(address);
  });
});

describe('restart (catalogue F02, I2, I3)', () => {
  it('a new engine over the same SQLite file renews every bound lease with the same address', async () => {
    const clock = new FakeClock();
    const file = tempDbFile();
    const first = await harness({ clock, file });
    const clients = [1, 2, 3].map((n) => ({ mac: mac(n) }));
    const granted: string[] = [];
    for (const client of clients) granted.push(await first.dora(client));
    await first.engine.stop();
    await first.store.close();

    await clock.advance(20 * 60_000);
    const second = await harness({ clock, file });
    for (const [n, client] of clients.entries()) {
      const ack = replyOf(await second.send(request({ ...client, ciaddr: granted[n]! })));
      expect(ack.message).toMatchObject({ messageType: 'ack', yourAddress: granted[n] });
    }
    // INIT-REBOOT after the restart works too, and a new client never gets an outstanding address.
    const reboot = replyOf(await second.send(request({ ...clients[0]!, requested: granted[0]! })));
    expect(reboot.message.messageType).toBe('ack');
    const fresh = await second.dora({ mac: mac(9) });
    expect(granted).not.toContain(fresh);
  });
});
