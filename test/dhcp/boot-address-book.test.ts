// The boot address book (issue 5 item 6): in proxy mode, where a machine boots from, as its DHCP traffic shows.
import { describe, expect, it } from 'vitest';
import { BootAddressBook } from '../../src/dhcp/boot-address-book.js';
import { decodeDhcpMessage, type DhcpMessage } from '../../src/protocol/dhcp4/index.js';
import { IPV4_ANY } from '../../src/values/ipv4.js';
import { macFromBytes, parseMac } from '../../src/values/mac.js';
import { FakeClock } from '../support/fake-clock.js';
import { golden } from '../protocol/dhcp4/support.js';
import { harness, ip, SERVER } from './support.js';

const A = parseMac('52:54:00:00:00:0a');
const B = parseMac('52:54:00:00:00:0b');

describe('BootAddressBook', () => {
  it('answers by MAC and by address while fresh; a newer claim of an address wins', async () => {
    const clock = new FakeClock();
    const book = new BootAddressBook({ now: () => clock.now(), ttlMs: 1000 });
    book.record({ mac: A, address: ip('10.0.0.5'), serverAddress: SERVER });
    expect(book.byMac(A)?.address).toBe('10.0.0.5');
    expect(book.byAddress(ip('10.0.0.5'))?.mac).toBe(A);
    book.record({ mac: B, address: ip('10.0.0.5'), serverAddress: SERVER });
    expect(book.byAddress(ip('10.0.0.5'))).toMatchObject({ mac: B, contested: true });
    book.record({ mac: B, address: ip('10.0.0.6'), serverAddress: SERVER });
    expect(book.byAddress(ip('10.0.0.5'))).toBeUndefined(); // B moved on; A's claim was overwritten
    await clock.advance(1000);
    expect(book.byMac(B)).toBeUndefined();
    expect(book.byAddress(ip('10.0.0.6'))).toBeUndefined();
  });

  it('contests an address two MACs claimed, or a MAC moved to, within the window, and says so (finding 3)', async () => {
    const clock = new FakeClock();
    const conflicts: unknown[] = [];
    const book = new BootAddressBook({
      now: () => clock.now(),
      ttlMs: 10_000,
      conflictWindowMs: 1000,
      onConflict: (conflict) => conflicts.push(conflict),
    });
    book.record({ mac: A, address: ip('10.0.0.5'), serverAddress: SERVER });
    book.record({ mac: A, address: ip('10.0.0.5'), serverAddress: SERVER }); // the same claim again: no conflict
    expect(book.byAddress(ip('10.0.0.5'))).toEqual({
      mac: A,
      address: '10.0.0.5',
      serverAddress: SERVER,
      at: clock.now(),
    });
    // A forged REQUEST with B's MAC for A's address.
    book.record({ mac: B, address: ip('10.0.0.5'), serverAddress: SERVER });
    expect(book.byAddress(ip('10.0.0.5'))).toMatchObject({ mac: B, contested: true });
    // A forged REQUEST with A's MAC from another address.
    book.record({ mac: A, address: ip('10.0.0.7'), serverAddress: SERVER });
    expect(book.byAddress(ip('10.0.0.7'))).toMatchObject({ mac: A, contested: true });
    expect(conflicts).toEqual([
      { address: '10.0.0.5', mac: B, kind: 'address-claimed', previous: A },
      { address: '10.0.0.7', mac: A, kind: 'mac-moved', previous: '10.0.0.5' },
    ]);
    // Once the window has passed, the latest claim stands again; a claim after a quiet window is no conflict.
    await clock.advance(1000);
    expect(book.byAddress(ip('10.0.0.7'))?.contested).toBeUndefined();
    await clock.advance(1000);
    book.record({ mac: B, address: ip('10.0.0.7'), serverAddress: SERVER });
    expect(book.byAddress(ip('10.0.0.7'))?.contested).toBeUndefined();
    expect(conflicts).toHaveLength(2);
  });

  it('keeps at most maxEntries, dropping the least recently seen', () => {
    const book = new BootAddressBook({ now: () => 0, maxEntries: 2 });
    book.record({ mac: A, address: ip('10.0.0.1'), serverAddress: SERVER });
    book.record({ mac: B, address: ip('10.0.0.2'), serverAddress: SERVER });
    book.record({ mac: A, address: ip('10.0.0.1'), serverAddress: SERVER }); // seen again: now the newest
    const c = parseMac('52:54:00:00:00:0c');
    book.record({ mac: c, address: ip('10.0.0.3'), serverAddress: SERVER });
    expect(book.byMac(B)).toBeUndefined();
    expect(book.byMac(A)?.address).toBe('10.0.0.1');
    expect(book.byAddress(ip('10.0.0.2'))).toBeUndefined();
  });
});

describe('proxyDHCP feeds the book', () => {
  const discover = (): DhcpMessage => decodeDhcpMessage(golden('ipxe-bios-discover'));

  async function proxy() {
    const clock = new FakeClock();
    const book = new BootAddressBook({ now: () => clock.now() });
    const h = await harness({ mode: 'proxy', subnets: [], clock, engine: { onBootAddress: book.record } });
    return { h, book, mac: macFromBytes(discover().clientHardwareAddress) };
  }

  it('from the address a REQUEST on 67 asks the site server for (option 50), though it is not answered', async () => {
    const { h, book, mac } = await proxy();
    await h.send(discover());
    expect(book.byMac(mac)).toBeUndefined();
    const selecting: DhcpMessage = {
      ...discover(),
      messageType: 'request',
      options: {
        ...discover().options,
        requestedIpAddress: ip('198.18.0.150'),
        serverIdentifier: ip('198.18.0.2'),
      },
    };
    await h.send(selecting);
    expect(book.byMac(mac)).toMatchObject({ address: '198.18.0.150', serverAddress: SERVER });
  });

  it('from the source of an answered REQUEST on 4011', async () => {
    const { h, book, mac } = await proxy();
    const request: DhcpMessage = { ...discover(), messageType: 'request', clientAddress: ip('198.18.0.151') };
    await h.send(request, { localPort: 4011, source: { address: ip('198.18.0.151'), port: 68 } });
    expect(book.byAddress(ip('198.18.0.151'))?.mac).toBe(mac);
  });

  it('not from a client that does not netboot: an ordinary host cannot claim an address (finding 3)', async () => {
    const { h, book } = await proxy();
    const request = decodeDhcpMessage(golden('dhclient-request-selecting'));
    const address = request.options.requestedIpAddress;
    expect(address).toBeDefined();
    await h.send(request);
    expect(book.byMac(macFromBytes(request.clientHardwareAddress))).toBeUndefined();
    if (address !== undefined) expect(book.byAddress(address)).toBeUndefined();
  });

  it('not from a DISCOVER, nor a REQUEST without any address', async () => {
    const { h, book, mac } = await proxy();
    await h.send({ ...discover(), messageType: 'request', clientAddress: IPV4_ANY });
    expect(book.byMac(mac)).toBeUndefined();
  });
});
