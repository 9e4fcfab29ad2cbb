// Who is at an address, per DHCP mode, over a real SQLite store (review finding 2): only the authority of the
// mode being served counts, so a lease left from an earlier full-mode run cannot hand a marked machine's plan to
// whichever machine the site's DHCP server now gives that address.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BootAddressBook } from '../../src/dhcp/boot-address-book.js';
import { BootClients, type ServedDhcpMode } from '../../src/provision/boot-clients.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { ip, lease, mac, SERVER } from '../store/fixtures.js';

const NOW = Date.UTC(2026, 10, 27, 9);
const HOUR = 3_600_000;
/** The time BootClients and the book read; a test moves it. */
let now = NOW;
const ADDRESS = '192.0.2.50';

let dir: string;
let store: Store;
let book: BootAddressBook;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-boot-clients-'));
  store = await openStore('sqlite::memory:', { dataDir: dir, now: () => NOW });
  await store.migrate();
  now = NOW;
  book = new BootAddressBook({ now: () => now, ttlMs: 7 * 24 * HOUR });
  // M1 (mac 1) holds ADDRESS by a lease this host granted, still bound: as left by a full-mode run.
  await store.leases.commit(lease(1, ADDRESS, NOW + 3_600_000));
  await store.inventory.recordContact({ mac: mac(1) });
  await store.inventory.recordContact({ mac: mac(2) });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function clients(dhcpMode: ServedDhcpMode, own: readonly string[] = ['192.0.2.1']): BootClients {
  const addresses = new Set(own.map(ip));
  return new BootClients({
    leases: store.leases,
    inventory: store.inventory,
    dhcpMode,
    book,
    isOwnAddress: (address) => addresses.has(address),
    now: () => now,
  });
}

const machineOf = async (i: number) => {
  const found = await store.inventory.getByMac(mac(i));
  if (found === undefined) throw new Error(`machine ${String(i)} not enrolled`);
  return found;
};

describe('BootClients', () => {
  it('proxy mode: the book says who is at the address, an old lease does not', async () => {
    const proxy = clients('proxy');
    // Nothing seen booting there yet: unknown, not the lease's holder.
    expect((await proxy.identify(ADDRESS))?.machine).toBeUndefined();
    expect(await proxy.isBootAddress(await machineOf(1), ADDRESS)).toBe(false);
    // The site's server gave the address to X (mac 2).
    book.record({ mac: mac(2), address: ip(ADDRESS), serverAddress: SERVER });
    expect((await proxy.identify(ADDRESS))?.client.mac).toBe(mac(2));
    expect(await proxy.isBootAddress(await machineOf(1), ADDRESS)).toBe(false);
    expect(await proxy.isBootAddress(await machineOf(2), ADDRESS)).toBe(true);
  });

  it('full mode: a lease this host granted counts, the book does not', async () => {
    const full = clients('full');
    book.record({ mac: mac(2), address: ip(ADDRESS), serverAddress: SERVER });
    expect(await full.identify(ADDRESS)).toMatchObject({ client: { mac: mac(1), serverAddress: SERVER } });
    expect(await full.isBootAddress(await machineOf(1), ADDRESS)).toBe(true);
    expect(await full.isBootAddress(await machineOf(2), ADDRESS)).toBe(false);
  });

  it('full mode: a lease whose server id is not an address of this host is not trusted', async () => {
    const elsewhere = clients('full', ['198.51.100.1']);
    expect((await elsewhere.identify(ADDRESS))?.machine).toBeUndefined();
    expect(await elsewhere.isBootAddress(await machineOf(1), ADDRESS)).toBe(false);
  });

  it('proxy mode: a marked machine stays at its address until its mark expires, others for 2 hours (finding 8)', async () => {
    const proxy = clients('proxy');
    const m2 = await machineOf(2);
    await store.inventory.update(
      m2.id,
      {
        state: 'queued',
        installMark: {
          by: 'ops',
          at: NOW,
          expiresAt: NOW + 8 * HOUR,
          tokenHash: 'a'.repeat(64),
          from: 'ready',
        },
      },
      { version: m2.version, state: m2.state },
    );
    book.record({ mac: mac(2), address: ip(ADDRESS), serverAddress: SERVER });
    book.record({ mac: mac(3), address: ip('192.0.2.51'), serverAddress: SERVER });
    // Five hours into a long install, with no DHCP exchange since: still its address; the unmarked one is gone.
    now = NOW + 5 * HOUR;
    expect(await proxy.isBootAddress(await machineOf(2), ADDRESS)).toBe(true);
    expect((await proxy.identify('192.0.2.51'))?.client.mac).toBeUndefined();
    // Past the mark's expiry the entry is only as good as any other.
    now = NOW + 8 * HOUR;
    expect(await proxy.isBootAddress(await machineOf(2), ADDRESS)).toBe(false);
  });

  it('proxy mode: a contested address is known by its address only (finding 3)', async () => {
    const proxy = clients('proxy');
    book.record({ mac: mac(2), address: ip(ADDRESS), serverAddress: SERVER });
    expect(await proxy.isBootAddress(await machineOf(2), ADDRESS)).toBe(true);
    // Another MAC claims the same address: neither gets a token-carrying plan or answer there.
    book.record({ mac: mac(1), address: ip(ADDRESS), serverAddress: SERVER });
    expect(await proxy.isBootAddress(await machineOf(1), ADDRESS)).toBe(false);
    expect(await proxy.isBootAddress(await machineOf(2), ADDRESS)).toBe(false);
    expect(await proxy.identify(ADDRESS)).toEqual({ client: { address: ADDRESS }, machine: undefined });
  });
});
