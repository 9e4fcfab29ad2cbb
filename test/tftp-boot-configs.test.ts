import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BootClient } from '../src/boot/boot-plan.js';
import { planFromTable, type BootTable } from '../src/boot/config-table.js';
import { VIRTUAL_NOT_FOUND, type VirtualFiles } from '../src/net/tftp-files.js';
import { BootAddressBook } from '../src/dhcp/boot-address-book.js';
import { BootClients } from '../src/provision/boot-clients.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { bootConfigFiles } from '../src/tftp-boot-configs.js';
import { parseIpv4 } from '../src/values/ipv4.js';
import { parseMac } from '../src/values/mac.js';
import { parseUuid } from '../src/values/uuid.js';
import { lease, SERVER } from './store/fixtures.js';
import { memoryLogger } from './support/logger.js';

// The wiring of the virtual files over a real SQLite store: the requesting address is looked up in the leases,
// the lease's MAC in the inventory, and the table decides. No mock: the store is the one serve uses.

const NOW = Date.UTC(2026, 10, 27, 9);
const MAC = parseMac('52:54:00:00:00:07'); // lease(7, …) in test/store/fixtures.ts
const UUID = parseUuid('8f2e1a40-5c3b-4d21-9e7f-0a1b2c3d4e5f');
const UUID_NAME = '401a2e8f-3b5c-214d-9e7f-0a1b2c3d4e5f'; // the same, as pxelinux names it

const table: BootTable = {
  default: { action: 'local' },
  machines: [{ mac: MAC, action: 'linux', kernel: 'linux', initrd: [], append: 'auto=true' }],
};

describe('bootConfigFiles', () => {
  let store: Store;
  let dir: string;
  let files: VirtualFiles;
  let decided: BootClient[];
  const ask = async (file: string, address = '192.0.2.50') => {
    const answer = await files(file, { address, port: 2070 });
    return answer instanceof Uint8Array ? Buffer.from(answer).toString('utf8') : answer;
  };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-bootcfg-'));
    store = await openStore('sqlite::memory:', { dataDir: dir, now: () => NOW });
    await store.migrate();
    decided = [];
    files = bootConfigFiles({
      clients: new BootClients({
        leases: store.leases,
        inventory: store.inventory,
        dhcpMode: 'full',
        isOwnAddress: (address) => address === SERVER,
        now: () => NOW,
      }),
      decide: ({ client }) => {
        decided.push(client);
        return Promise.resolve(planFromTable(table, client));
      },
      logger: memoryLogger().logger,
    });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('knows the holder of a bound lease by MAC and UUID, and answers its UUID name first', async () => {
    await store.leases.commit(lease(7, '192.0.2.50', NOW + 600_000));
    await store.inventory.recordContact({ mac: MAC, uuid: UUID, arch: 0 });
    const text = await ask(`pxelinux.cfg/${UUID_NAME}`);
    expect(text).toContain('KERNEL ::linux\n  APPEND auto=true\n');
    expect(decided).toEqual([
      { address: '192.0.2.50', mac: MAC, uuid: UUID, arch: 0, serverAddress: SERVER },
    ]);
    expect(await ask('pxelinux.cfg/01-52-54-00-00-00-07')).toContain('KERNEL ::linux');
    expect(await ask('grub/grub.cfg')).toContain("linux '/linux' 'auto=true'");
    // Another machine's names are not this client's.
    expect(await ask('pxelinux.cfg/01-52-54-00-00-00-08')).toBe(VIRTUAL_NOT_FOUND);
  });

  it('knows a client without a live lease by its address only: the default, at its hex-IP step', async () => {
    await store.leases.commit(lease(7, '192.0.2.50', NOW - 1)); // expired: no longer this machine's address
    expect(await ask('pxelinux.cfg/01-52-54-00-00-00-07')).toBe(VIRTUAL_NOT_FOUND);
    expect(await ask('pxelinux.cfg/C0000232')).toContain('LOCALBOOT 0');
    expect(decided).toEqual([{ address: '192.0.2.50' }]);
  });

  it('in proxy mode (no lease) knows the client by the boot address book', async () => {
    const book = new BootAddressBook({ now: () => NOW });
    files = bootConfigFiles({
      clients: new BootClients({
        leases: store.leases,
        inventory: store.inventory,
        dhcpMode: 'proxy',
        book,
        now: () => NOW,
      }),
      decide: ({ client }) => {
        decided.push(client);
        return Promise.resolve(planFromTable(table, client));
      },
      logger: memoryLogger().logger,
    });
    expect(await ask('pxelinux.cfg/01-52-54-00-00-00-07')).toBe(VIRTUAL_NOT_FOUND);
    book.record({ mac: MAC, address: parseIpv4('192.0.2.50'), serverAddress: parseIpv4('192.0.2.1') });
    expect(await ask('pxelinux.cfg/01-52-54-00-00-00-07')).toContain('KERNEL ::linux');
    // The book's claim holds only at that address.
    expect(await ask('pxelinux.cfg/01-52-54-00-00-00-07', '192.0.2.51')).toBe(VIRTUAL_NOT_FOUND);
  });

  it('leaves other names to the roots, and answers nothing for an IPv6 client', async () => {
    expect(await ask('pxelinux.0')).toBeUndefined();
    expect(await ask('pxelinux.cfg/default', 'fe80::1')).toBe(VIRTUAL_NOT_FOUND);
  });
});
