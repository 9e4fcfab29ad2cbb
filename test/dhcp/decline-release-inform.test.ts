import { describe, expect, it } from 'vitest';
import {
  decline,
  discover,
  dropOf,
  harness,
  inform,
  LAN_SUBNET,
  mac,
  release,
  replyOf,
  request,
  SERVER,
} from './support.js';

const A = { mac: mac(1) };
const B = { mac: mac(2) };
const ONE_ADDRESS = [{ ...LAN_SUBNET, pools: [{ start: '198.18.0.100', end: '198.18.0.100' }] }];
const TEN_MINUTES = 10 * 60_000;

describe('DHCPDECLINE (RFC 2131 §4.3.3; catalogue P5, S11, D26)', () => {
  it('puts the address in probation, offers it to nobody, then reuses it after the probation', async () => {
    const h = await harness({ subnets: ONE_ADDRESS });
    const address = await h.dora(A);
    expect(dropOf(await h.send(decline({ ...A, serverId: SERVER, requested: address })))).toBe('declined');
    expect(await h.store.leases.findByAddress(address)).toMatchObject({
      state: 'declined',
      expiresAt: h.clock.now() + TEN_MINUTES,
    });
    expect(dropOf(await h.send(discover(B)))).toBe('no-free-address');
    expect(dropOf(await h.send(discover(A)))).toBe('no-free-address');
    expect(h.logLines().some((l) => l.level === 40 && String(l.msg).startsWith('DHCPDECLINE'))).toBe(true);

    await h.clock.advance(TEN_MINUTES);
    expect(await h.dora(B)).toBe(address);
  });

  it('reuses a declined address after its probation even before a sweep marks it expired', async () => {
    const h = await harness({ subnets: ONE_ADDRESS, engine: { sweepIntervalMs: 24 * 3600_000 } });
    const address = await h.dora(A);
    dropOf(await h.send(decline({ ...A, serverId: SERVER, requested: address })));
    await h.clock.advance(TEN_MINUTES);
    expect(await h.store.leases.findByAddress(address)).toMatchObject({ state: 'declined' });
    expect(await h.dora(B)).toBe(address);
  });

  it('gives the declining client another address', async () => {
    const h = await harness();
    const first = await h.dora(A);
    dropOf(await h.send(decline({ ...A, serverId: SERVER, requested: first })));
    const second = await h.dora(A);
    expect(second).not.toBe(first);
  });

  it('stops offering to a client with three addresses in probation, until one ends (S11)', async () => {
    const h = await harness();
    for (let i = 0; i < 3; i++) {
      const address = await h.dora(A);
      expect(dropOf(await h.send(decline({ ...A, serverId: SERVER, requested: address })))).toBe('declined');
      await h.clock.advance(60_000);
    }
    expect(dropOf(await h.send(discover(A)))).toBe('decline-limit');
    expect(replyOf(await h.send(discover(B))).message.messageType).toBe('offer');
    await h.clock.advance(TEN_MINUTES - 2 * 60_000);
    expect(replyOf(await h.send(discover(A))).message.messageType).toBe('offer');
  });

  it('ignores a DECLINE for an address the client does not hold, or without option 50 (D26)', async () => {
    const h = await harness();
    const a = await h.dora(A);
    const before = await h.dump();
    expect(dropOf(await h.send(decline({ ...B, serverId: SERVER, requested: a })))).toBe('not-holder');
    expect(dropOf(await h.send(decline({ ...A, serverId: SERVER })))).toBe('no-address');
    expect(dropOf(await h.send(decline({ ...A, serverId: '198.18.0.2', requested: a })))).toBe('not-for-us');
    expect((await h.dump()).leases).toEqual(before.leases);
  });
});

describe('DHCPRELEASE (RFC 2131 §4.3.4; catalogue D27)', () => {
  it('frees the address for another client, and keeps the record for the client’s return', async () => {
    const h = await harness({ subnets: ONE_ADDRESS });
    const address = await h.dora(A);
    expect(dropOf(await h.send(release({ ...A, ciaddr: address, serverId: SERVER })))).toBe('released');
    expect(await h.store.leases.findByAddress(address)).toMatchObject({ state: 'released', mac: A.mac });
    expect(await h.dora(B)).toBe(address);
  });

  it('gives the releasing client its address back when it returns', async () => {
    const h = await harness();
    const address = await h.dora(A);
    dropOf(await h.send(release({ ...A, ciaddr: address, serverId: SERVER })));
    expect(await h.dora(A)).toBe(address);
  });

  it('ignores a RELEASE of another client’s address or without ciaddr (D27)', async () => {
    const h = await harness();
    const a = await h.dora(A);
    const before = await h.dump();
    expect(dropOf(await h.send(release({ ...B, ciaddr: a, serverId: SERVER })))).toBe('not-holder');
    expect(dropOf(await h.send(release({ ...A, serverId: SERVER })))).toBe('no-address');
    expect((await h.dump()).leases).toEqual(before.leases);
    expect(replyOf(await h.send(request({ ...A, ciaddr: a }))).message.messageType).toBe('ack');
  });
});

describe('DHCPINFORM (RFC 2131 §4.3.5)', () => {
  it('ACKs with the subnet’s parameters, no lease time, yiaddr 0, to ciaddr, and writes no lease', async () => {
    const h = await harness();
    const ack = replyOf(
      await h.send(
        inform({ ...A, ciaddr: '198.18.0.20', options: { parameterRequestList: [1, 3, 6, 15, 51] } }),
      ),
    );
    expect(ack.message).toMatchObject({
      messageType: 'ack',
      yourAddress: '0.0.0.0',
      clientAddress: '198.18.0.20',
    });
    expect(ack.destination).toEqual({ address: '198.18.0.20', port: 68 });
    expect(ack.message.options).toMatchObject({
      serverIdentifier: SERVER,
      subnetMask: '255.255.255.0',
      routers: ['198.18.0.254'],
      domainNameServers: ['198.18.0.53'],
      domainName: 'lab.example',
    });
    expect(ack.message.options.leaseTime).toBeUndefined();
    expect(ack.message.options.renewalTime).toBeUndefined();
    expect((await h.dump()).leases).toEqual([]);
  });

  it('drops an INFORM from an address that is not on the subnet it came from', async () => {
    const h = await harness();
    expect(dropOf(await h.send(inform({ ...A, ciaddr: '10.99.0.7' })))).toBe('no-subnet');
  });
});
