import { describe, expect, it } from 'vitest';
import { isBroadcast } from '../../src/protocol/dhcp4/index.js';
import {
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

const A = { mac: mac(1) };
const B = { mac: mac(2) };
const BROADCAST_68 = { address: '255.255.255.255', port: 68 };

describe('DHCPREQUEST in INIT-REBOOT (RFC 2131 §4.3.2: option 50, no 54, ciaddr 0)', () => {
  it('ACKs the client’s own address', async () => {
    const h = await harness();
    const address = await h.dora(A);
    const ack = replyOf(await h.send(request({ ...A, requested: address })));
    expect(ack.message).toMatchObject({ messageType: 'ack', yourAddress: address });
    expect(ack.destination).toEqual(BROADCAST_68);
  });

  it('NAKs an address from another subnet (the client moved), broadcast, with a reason (D24)', async () => {
    const h = await harness();
    await h.dora(A);
    const before = await h.dump();
    const nak = replyOf(await h.send(request({ ...A, requested: '10.99.0.5' })));
    expect(nak.message.messageType).toBe('nak');
    expect(nak.destination).toEqual(BROADCAST_68);
    expect(nak.message.options.serverIdentifier).toBe(SERVER);
    expect(nak.message.options.message).toBe('requested address is not on 198.18.0.0/24');
    expect(nak.message.options.leaseTime).toBeUndefined();
    expect(nak.message).toMatchObject({ yourAddress: '0.0.0.0', bootFile: '', nextServerAddress: '0.0.0.0' });
    expect(await h.dump()).toEqual(before);
  });

  it('NAKs an address that is not the client’s lease', async () => {
    const h = await harness();
    await h.dora(A);
    const nak = replyOf(await h.send(request({ ...A, requested: '198.18.0.150' })));
    expect(nak.message.options.message).toBe('requested address is not the lease of this client');
  });

  it('NAKs a client it has no record of: full mode is authoritative', async () => {
    const h = await harness();
    const nak = replyOf(await h.send(request({ ...A, requested: '198.18.0.150' })));
    expect(nak.message.messageType).toBe('nak');
    expect(nak.message.options.message).toBe('no lease for this client');
    expect((await h.dump()).leases).toEqual([]);
  });

  it('ACKs the previous address of a client whose lease expired, if it is still free', async () => {
    const h = await harness();
    const address = await h.dora(A);
    await h.clock.advance(3600_000 + 60_000); // past the lease, and one sweep
    expect(await h.store.leases.findByAddress(address)).toMatchObject({ state: 'expired' });
    const ack = replyOf(await h.send(request({ ...A, requested: address })));
    expect(ack.message.messageType).toBe('ack');
  });
});

describe('DHCPREQUEST in RENEWING and REBINDING (ciaddr set, no 50 or 54)', () => {
  it('RENEWING: ACKs to ciaddr, echoes ciaddr, and extends the lease from now', async () => {
    const h = await harness();
    const address = await h.dora(A);
    await h.clock.advance(1800_000);
    const ack = replyOf(await h.send(request({ ...A, ciaddr: address })));
    expect(ack.message).toMatchObject({ messageType: 'ack', yourAddress: address, clientAddress: address });
    expect(ack.destination).toEqual({ address, port: 68 });
    expect(await h.store.leases.findByAddress(address)).toMatchObject({
      state: 'bound',
      expiresAt: h.clock.now() + 3600_000,
    });
  });

  it('REBINDING (broadcast): ACKs to ciaddr all the same', async () => {
    const h = await harness();
    const address = await h.dora(A);
    const ack = replyOf(await h.send(request({ ...A, ciaddr: address, broadcast: true })));
    expect(ack.destination).toEqual({ address, port: 68 });
  });

  it('NAKs renewal of an address held by another client, broadcast although ciaddr is set', async () => {
    const h = await harness();
    const a = await h.dora(A);
    const nak = replyOf(await h.send(request({ ...B, ciaddr: a })));
    expect(nak.message.messageType).toBe('nak');
    expect(nak.destination).toEqual(BROADCAST_68);
    expect(await h.store.leases.findByAddress(a)).toMatchObject({ mac: A.mac, state: 'bound' });
  });

  it('NAKs renewal of a free address the client never had', async () => {
    const h = await harness();
    const nak = replyOf(await h.send(request({ ...A, ciaddr: '198.18.0.150' })));
    expect(nak.message.options.message).toBe('no lease for this client');
  });

  it('tolerates a RENEWING client that also sends option 54 with our address', async () => {
    const h = await harness();
    const address = await h.dora(A);
    const ack = replyOf(await h.send(request({ ...A, ciaddr: address, serverId: SERVER })));
    expect(ack.message.messageType).toBe('ack');
  });
});

describe('DHCPREQUEST in SELECTING (option 54 and 50)', () => {
  it('a REQUEST for another server’s offer is dropped silently and frees our offer (D23)', async () => {
    const h = await harness({
      subnets: [{ ...LAN_SUBNET, pools: [{ start: '198.18.0.100', end: '198.18.0.100' }] }],
    });
    const offered = replyOf(await h.send(discover(A))).message.yourAddress;
    const before = await h.dump();
    expect(dropOf(await h.send(request({ ...A, serverId: '198.18.0.2', requested: '198.18.0.99' })))).toBe(
      'not-for-us',
    );
    expect((await h.dump()).leases).toEqual(before.leases);
    // Our offer is withdrawn at once: the only address is free for the next client.
    expect(replyOf(await h.send(discover(B))).message.yourAddress).toBe(offered);
  });

  it('NAKs a SELECTING request without option 50', async () => {
    const h = await harness();
    replyOf(await h.send(discover(A)));
    const nak = replyOf(await h.send(request({ ...A, serverId: SERVER })));
    expect(nak.message.options.message).toBe('no requested address');
  });

  it('NAKs a request for an address on offer to another client', async () => {
    const h = await harness();
    const offeredToA = replyOf(await h.send(discover(A))).message.yourAddress;
    const nak = replyOf(await h.send(request({ ...B, serverId: SERVER, requested: offeredToA })));
    expect(nak.message.options.message).toBe('requested address is in use');
  });

  it('ACKs a free pool address requested after a restart forgot the offer (F02)', async () => {
    const h = await harness();
    const ack = replyOf(await h.send(request({ ...A, serverId: SERVER, requested: '198.18.0.123' })));
    expect(ack.message.yourAddress).toBe('198.18.0.123');
  });

  it('NAKs a requested address outside the pools (D24)', async () => {
    const h = await harness();
    const nak = replyOf(await h.send(request({ ...A, serverId: SERVER, requested: '198.18.0.20' })));
    expect(nak.message.options.message).toBe('requested address is not in a pool');
  });

  it('is idempotent: the same REQUEST three times gets three ACKs and one lease (F08)', async () => {
    const h = await harness();
    const offered = replyOf(await h.send(discover({ ...A, xid: 5 }))).message.yourAddress;
    for (let i = 0; i < 3; i++) {
      const ack = replyOf(await h.send(request({ ...A, xid: 5, serverId: SERVER, requested: offered })));
      expect(ack.message.yourAddress).toBe(offered);
    }
    expect((await h.dump()).leases).toHaveLength(1);
  });

  it('answers two identical REQUESTs arriving together once, with one lease (F08)', async () => {
    const h = await harness();
    const offered = replyOf(await h.send(discover({ ...A, xid: 9 }))).message.yourAddress;
    const same = request({ ...A, xid: 9, serverId: SERVER, requested: offered });
    const outcomes = await Promise.all([h.send(same), h.send(same)]);
    expect(outcomes.map((o) => (o.kind === 'reply' ? o.label : o.reason)).sort()).toEqual([
      'DHCPACK',
      'duplicate',
    ]);
    expect((await h.dump()).leases).toHaveLength(1);
  });

  it('refuses a fifth exchange queued at once by one client as client-busy, and serves another client meanwhile', async () => {
    const h = await harness();
    const B = { mac: mac(2) };
    const outcomes = await Promise.all([
      ...[1, 2, 3, 4, 5, 6].map((xid) => h.send(discover({ ...A, xid }))),
      h.send(discover({ ...B, xid: 7 })),
    ]);
    const labels = outcomes.map((o) => (o.kind === 'reply' ? o.label : o.reason));
    expect(labels).toEqual([
      'DHCPOFFER',
      'DHCPOFFER',
      'DHCPOFFER',
      'DHCPOFFER',
      'client-busy',
      'client-busy',
      'DHCPOFFER',
    ]);
    expect(replyOf(await h.send(discover({ ...A, xid: 8 }))).label).toBe('DHCPOFFER'); // the queue drained
  });

  it('serialises a REQUEST racing a RELEASE from the same client: one outcome after the other (F08)', async () => {
    const h = await harness();
    const address = await h.dora(A);
    const [renewed, released] = await Promise.all([
      h.send(request({ ...A, ciaddr: address })),
      h.send(release({ ...A, ciaddr: address, serverId: SERVER })),
    ]);
    expect(replyOf(renewed).message.messageType).toBe('ack');
    expect(dropOf(released)).toBe('released');
    const leases = (await h.dump()).leases;
    expect(leases).toHaveLength(1);
    expect(leases[0]).toMatchObject({ address, state: 'released' });
  });

  it('gives fifty clients that share one xid each their own answer (D29)', async () => {
    const h = await harness();
    const offers = await Promise.all(
      Array.from({ length: 50 }, (_, n) => h.send(discover({ mac: mac(100 + n), xid: 0xabcd }))),
    );
    const addresses = offers.map((o) => replyOf(o).message.yourAddress);
    expect(new Set(addresses).size).toBe(50);
    const acks = await Promise.all(
      addresses.map((address, n) =>
        h.send(request({ mac: mac(100 + n), xid: 0xabcd, serverId: SERVER, requested: address })),
      ),
    );
    acks.forEach((o, n) => {
      const ack = replyOf(o);
      expect(ack.message.yourAddress).toBe(addresses[n]);
      expect(Array.from(ack.message.clientHardwareAddress)).toEqual(
        mac(100 + n)
          .split(':')
          .map((x) => parseInt(x, 16)),
      );
    });
    expect(new Set((await h.dump()).leases.map((l) => l.clientId)).size).toBe(50);
  });
});

describe('DHCPNAK delivery (RFC 2131 §4.3.2)', () => {
  it('a NAK through a relay goes to giaddr:67 with the BROADCAST flag set', async () => {
    const h = await harness();
    const nak = replyOf(await h.send(request({ ...A, giaddr: '10.20.0.1', requested: '198.18.0.5' })));
    expect(nak.message.messageType).toBe('nak');
    expect(nak.destination).toEqual({ address: '10.20.0.1', port: 67 });
    expect(isBroadcast(nak.message)).toBe(true);
    expect(nak.message.relayAgentAddress).toBe(ip('10.20.0.1'));
  });
});
