import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createDhcpEngine } from '../../src/dhcp/engine.js';
import { defaultBootFileTable } from '../../src/boot/boot-file.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';
import {
  dhcpConfig,
  discover,
  dropOf,
  harness,
  ip,
  LAN_SUBNET,
  mac,
  release,
  replyOf,
  request,
  SERVER,
} from './support.js';

function tempDbFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-dhcp-db-'));
  onTestFinished(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return path.join(dir, 'leases.db');
}

const A = { mac: mac(1) };
const B = { mac: mac(2) };

describe('DISCOVER → OFFER → REQUEST → ACK (RFC 2131 §3.1, §4.3.1, §4.3.2)', () => {
  it('offers a pool address and ACKs it after committing a bound lease', async () => {
    const h = await harness();
    const offer = replyOf(await h.send(discover({ ...A, xid: 7 })));
    expect(offer.label).toBe('DHCPOFFER');
    expect(offer.message).toMatchObject({
      op: 'reply',
      messageType: 'offer',
      transactionId: 7,
      yourAddress: '198.18.0.100',
      clientAddress: '0.0.0.0',
    });
    expect(offer.message.options).toMatchObject({
      serverIdentifier: SERVER,
      leaseTime: 3600,
      renewalTime: 1800,
      rebindingTime: 3150,
      subnetMask: '255.255.255.0',
      routers: ['198.18.0.254'],
      domainNameServers: ['198.18.0.53'],
      domainName: 'lab.example',
      broadcastAddress: '198.18.0.255',
    });
    // The offer is not in the store: only the REQUEST's commit binds.
    expect(await h.store.leases.findByAddress(ip('198.18.0.100'))).toBeUndefined();

    const ack = replyOf(await h.send(request({ ...A, xid: 7, serverId: SERVER, requested: '198.18.0.100' })));
    expect(ack.message).toMatchObject({ messageType: 'ack', yourAddress: '198.18.0.100', transactionId: 7 });
    expect(ack.message.options.leaseTime).toBe(3600);
    expect(await h.store.leases.findByAddress(ip('198.18.0.100'))).toMatchObject({
      clientId: '01525400000001',
      mac: A.mac,
      state: 'bound',
      serverId: SERVER,
      expiresAt: h.clock.now() + 3600_000,
    });
  });

  it('gives a retransmitted DISCOVER the same address, with the same or a new xid (F08)', async () => {
    const h = await harness();
    const first = replyOf(await h.send(discover({ ...A, xid: 1 }))).message.yourAddress;
    await h.clock.advance(4000);
    const again = replyOf(await h.send(discover({ ...A, xid: 1 }))).message.yourAddress;
    await h.clock.advance(8000);
    const newXid = replyOf(await h.send(discover({ ...A, xid: 2 }))).message.yourAddress;
    expect([again, newXid]).toEqual([first, first]);
  });

  it('gives two clients different addresses, and never offers an address on offer to another', async () => {
    const h = await harness();
    const a = replyOf(await h.send(discover(A))).message.yourAddress;
    const b = replyOf(await h.send(discover(B))).message.yourAddress;
    expect(a).not.toBe(b);
    // B asks for A's offered address: it is on hold for A.
    const asked = replyOf(await h.send(discover({ ...B, requested: a }))).message.yourAddress;
    expect(asked).toBe(b);
  });

  it('frees an unanswered offer after the hold, so the address can go to another client', async () => {
    const h = await harness({
      subnets: [{ ...LAN_SUBNET, pools: [{ start: '198.18.0.100', end: '198.18.0.100' }] }],
    });
    expect(replyOf(await h.send(discover(A))).message.yourAddress).toBe('198.18.0.100');
    expect(dropOf(await h.send(discover(B)))).toBe('no-free-address');
    await h.clock.advance(60_000);
    expect(replyOf(await h.send(discover(B))).message.yourAddress).toBe('198.18.0.100');
  });

  it.each([
    ['by the periodic sweep', 60_000],
    ['lazily, before the commit, when no sweep ran', 24 * 3600_000],
  ])('gives an expired lease’s address to another client (%s)', async (_how, sweepIntervalMs) => {
    const h = await harness({
      subnets: [{ ...LAN_SUBNET, pools: [{ start: '198.18.0.100', end: '198.18.0.100' }] }],
      engine: { sweepIntervalMs },
    });
    const address = await h.dora(A);
    await h.clock.advance(3599_000);
    expect(dropOf(await h.send(discover(B)))).toBe('no-free-address');
    await h.clock.advance(61_000);
    expect(await h.dora(B)).toBe(address);
    expect(await h.store.leases.findByAddress(address)).toMatchObject({ mac: B.mac, state: 'bound' });
  });

  it('drops with no-free-address when the pool is exhausted, and logs one warning for many', async () => {
    const h = await harness({
      subnets: [{ ...LAN_SUBNET, pools: [{ start: '198.18.0.100', end: '198.18.0.102' }] }],
    });
    for (let n = 1; n <= 3; n++) await h.dora({ mac: mac(n) });
    for (let n = 4; n <= 10; n++)
      expect(dropOf(await h.send(discover({ mac: mac(n) })))).toBe('no-free-address');
    const warnings = h.logLines().filter((l) => l.msg === 'DHCP pool exhausted: no address to offer');
    expect(warnings).toHaveLength(1);
  });

  it('never offers the server’s own address, even inside a pool', async () => {
    const h = await harness({
      subnets: [{ ...LAN_SUBNET, pools: [{ start: '198.18.0.1', end: '198.18.0.11' }] }],
    });
    const got = [];
    for (let n = 1; n <= 10; n++) got.push(await h.dora({ mac: mac(n) }));
    expect(got).not.toContain('198.18.0.1');
    expect(new Set(got).size).toBe(10);
    expect(dropOf(await h.send(discover({ mac: mac(11) })))).toBe('no-free-address');
  });

  it('gives a reserved MAC its address, and never gives that address to anyone else', async () => {
    const h = await harness({
      subnets: [
        {
          ...LAN_SUBNET,
          pools: [{ start: '198.18.0.100', end: '198.18.0.100' }],
          reservations: [{ mac: mac(9), ip: '198.18.0.20', hostname: 'node9' }],
        },
      ],
    });
    expect(await h.dora(A)).toBe('198.18.0.100');
    expect(dropOf(await h.send(discover({ ...B, requested: '198.18.0.20' })))).toBe('no-free-address');
    const stolen = replyOf(await h.send(request({ ...B, requested: '198.18.0.20' })));
    expect(stolen.message.messageType).toBe('nak');
    const offer = replyOf(
      await h.send(discover({ mac: mac(9), options: { parameterRequestList: [1, 12] } })),
    );
    expect(offer.message.yourAddress).toBe('198.18.0.20');
    expect(offer.message.options.hostName).toBe('node9');
  });

  it('serves a reservation outside the pools', async () => {
    const h = await harness({
      subnets: [{ ...LAN_SUBNET, reservations: [{ mac: mac(9), ip: '198.18.0.20' }] }],
    });
    expect(await h.dora({ mac: mac(9) })).toBe('198.18.0.20');
  });

  it('moves a client with a dynamic lease onto its new reservation, releasing the old lease', async () => {
    const clock = new FakeClock();
    const file = tempDbFile();
    const first = await harness({ clock, file });
    expect(await first.dora(A)).toBe('198.18.0.100');
    await first.engine.stop();
    const second = await harness({
      clock,
      file,
      subnets: [{ ...LAN_SUBNET, reservations: [{ mac: A.mac, ip: '198.18.0.30' }] }],
    });
    // Renewing the old address: NAK, so the client goes back to DISCOVER and gets its reservation.
    const renew = replyOf(await second.send(request({ ...A, ciaddr: '198.18.0.100' })));
    expect(renew.message.messageType).toBe('nak');
    expect(await second.dora(A)).toBe('198.18.0.30');
    expect(await second.store.leases.findByAddress(ip('198.18.0.100'))).toMatchObject({ state: 'released' });
  });

  it('gives a returning client its previous address, and prefers never-used addresses for new ones', async () => {
    const h = await harness();
    const a = await h.dora(A);
    expect(dropOf(await h.send(release({ ...A, ciaddr: a, serverId: SERVER })))).toBe('released');
    const b = replyOf(await h.send(discover(B))).message.yourAddress;
    expect(b).not.toBe(a);
    expect(replyOf(await h.send(discover(A))).message.yourAddress).toBe(a);
  });

  it('offers the requested address (option 50) when it is free and in a pool', async () => {
    const h = await harness();
    const offer = replyOf(await h.send(discover({ ...A, requested: '198.18.0.150' })));
    expect(offer.message.yourAddress).toBe('198.18.0.150');
    const outside = replyOf(await h.send(discover({ ...B, requested: '198.18.0.20' })));
    expect(outside.message.yourAddress).toBe('198.18.0.100');
  });
});

describe('serverAddressFor', () => {
  it('sets option 54 and siaddr, and is the address REQUESTs must name', async () => {
    const h = await harness({ engine: { serverAddressFor: () => ip('198.18.0.5') } });
    const offer = replyOf(await h.send(discover(A)));
    expect(offer.message.options.serverIdentifier).toBe('198.18.0.5');
    expect(
      dropOf(await h.send(request({ ...A, serverId: SERVER, requested: offer.message.yourAddress }))),
    ).toBe('not-for-us');
    const address = replyOf(await h.send(discover(A))).message.yourAddress;
    const ack = replyOf(await h.send(request({ ...A, serverId: '198.18.0.5', requested: address })));
    expect(ack.message.messageType).toBe('ack');
    expect(await h.store.leases.findByAddress(address)).toMatchObject({ serverId: '198.18.0.5' });
  });
});

describe('reply options (RFC 2131 §4.3.1, RFC 2132; protocol-digest §1.4, §10)', () => {
  it('honours option 55 and sends DNS (6) even when not asked (the Debian installer needs it)', async () => {
    const h = await harness();
    const offer = replyOf(await h.send(discover({ ...A, options: { parameterRequestList: [1] } })));
    expect(Object.keys(offer.message.options).sort()).toEqual(
      [
        'domainNameServers',
        'leaseTime',
        'rebindingTime',
        'renewalTime',
        'serverIdentifier',
        'subnetMask',
      ].sort(),
    );
  });

  it('sends 3, 15 and 28 when asked, in the client’s order', async () => {
    const h = await harness();
    const offer = replyOf(await h.send(discover({ ...A, options: { parameterRequestList: [28, 15, 3] } })));
    expect(offer.message.optionOrder).toEqual([53, 54, 51, 58, 59, 28, 15, 3, 6]);
  });

  it('echoes the client identifier (RFC 6842) and pads to 300 bytes; fits 576 without option 57', async () => {
    const h = await harness();
    const clientIdentifier = Uint8Array.from([0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const offer = replyOf(await h.send(discover({ ...A, options: { clientIdentifier } })));
    expect(offer.message.options.clientIdentifier).toEqual(clientIdentifier);
    expect(offer.bytes.length).toBeGreaterThanOrEqual(300);
    expect(offer.bytes.length).toBeLessThanOrEqual(548);
  });

  it('keys the lease by MAC, not by option 61 (protocol-digest §1.6)', async () => {
    const h = await harness();
    const asPxe = await h.dora(A);
    const asOs = await h.dora({
      ...A,
      options: { clientIdentifier: Uint8Array.from([0xff, 0, 0, 0, 1, 0, 1]) },
    });
    expect(asOs).toBe(asPxe);
    expect((await h.dump()).leases).toHaveLength(1);
  });
});

describe('createDhcpEngine', () => {
  it('refuses mode auto, which the start-up probe must resolve to full or proxy first', () => {
    const clock = new FakeClock();
    const { logger } = memoryLogger();
    const config = { ...dhcpConfig([LAN_SUBNET]), mode: 'auto' as const };
    const unused = () => Promise.reject(new Error('not used'));
    expect(() =>
      createDhcpEngine({
        config,
        leases: {
          findByClient: unused,
          findByAddress: unused,
          commit: unused,
          commitMany: unused,
          listBySubnet: unused,
          release: unused,
          decline: unused,
          expire: unused,
        },
        inventory: {} as never,
        events: {} as never,
        clock,
        logger,
        bootFiles: defaultBootFileTable(),
      }),
    ).toThrow(/mode "auto" is resolved by the start-up probe/);
  });
});
