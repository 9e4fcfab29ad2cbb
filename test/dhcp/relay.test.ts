import { describe, expect, it } from 'vitest';
import type { RelayAgentInformation } from '../../src/protocol/dhcp4/index.js';
import { discover, dropOf, harness, ip, mac, replyOf, request, SERVER } from './support.js';

const A = { mac: mac(1) };
const RELAY = '10.20.0.1';
const agent: RelayAgentInformation = {
  subOptions: [
    { code: 1, data: Uint8Array.from([0, 4, 0, 1, 0, 3]) },
    { code: 2, data: Uint8Array.from([0xaa, 0xbb]) },
  ],
};

describe('relayed clients (RFC 2131 §4.1, RFC 1542, RFC 3046; protocol-digest §1.7)', () => {
  it('chooses the subnet of giaddr and replies to the relay’s port 67', async () => {
    const h = await harness();
    const offer = replyOf(await h.send(discover({ ...A, giaddr: RELAY })));
    expect(offer.message.yourAddress).toBe('10.20.0.50');
    expect(offer.destination).toEqual({ address: RELAY, port: 67 });
    expect(offer.message.relayAgentAddress).toBe(RELAY);
    expect(offer.message.options).toMatchObject({
      serverIdentifier: SERVER,
      subnetMask: '255.255.255.0',
      routers: ['10.20.0.1'],
      domainNameServers: ['10.20.0.53'],
    });
    const ack = replyOf(
      await h.send(request({ ...A, giaddr: RELAY, serverId: SERVER, requested: offer.message.yourAddress })),
    );
    expect(ack.destination).toEqual({ address: RELAY, port: 67 });
    expect(await h.store.leases.findByAddress(ip('10.20.0.50'))).toMatchObject({
      subnet: { network: '10.20.0.0', prefixLength: 24 },
      state: 'bound',
    });
  });

  it('keeps one client’s leases on two segments apart (one per subnet)', async () => {
    const h = await harness();
    const local = await h.dora(A);
    const remote = await h.dora({ ...A, giaddr: RELAY });
    expect([local, remote]).toEqual(['198.18.0.100', '10.20.0.50']);
  });

  it('echoes option 82 unaltered, last, and stores it with the lease', async () => {
    const h = await harness();
    const offer = replyOf(
      await h.send(discover({ ...A, giaddr: RELAY, options: { relayAgentInformation: agent } })),
    );
    expect(offer.message.options.relayAgentInformation).toEqual(agent);
    expect(offer.message.optionOrder?.at(-1)).toBe(82);
    replyOf(
      await h.send(
        request({
          ...A,
          giaddr: RELAY,
          serverId: SERVER,
          requested: offer.message.yourAddress,
          options: { relayAgentInformation: agent },
        }),
      ),
    );
    expect(await h.store.leases.findByAddress(offer.message.yourAddress)).toMatchObject({
      relayAgentInfo: '01060004000100030202aabb',
    });
  });

  it('drops a relay it has no subnet for (D25), writing nothing', async () => {
    const h = await harness();
    const before = await h.dump();
    expect(dropOf(await h.send(discover({ ...A, giaddr: '10.99.0.1' })))).toBe('no-subnet');
    expect(dropOf(await h.send(request({ ...A, giaddr: '10.99.0.1', requested: '10.99.0.5' })))).toBe(
      'no-subnet',
    );
    await h.engine.flushEvents();
    expect(await h.dump()).toEqual(before);
    expect(await h.store.events.list()).toEqual([]);
  });

  it('never offers the relay’s own address', async () => {
    const h = await harness({
      subnets: [
        {
          subnet: '10.20.0.0/24',
          pools: [{ start: '10.20.0.1', end: '10.20.0.2' }],
          dns: ['10.20.0.53'],
        },
      ],
    });
    expect(replyOf(await h.send(discover({ ...A, giaddr: RELAY }))).message.yourAddress).toBe('10.20.0.2');
  });
});

// RFC 3527: a relay whose giaddr is not on the client's link names the link in option 82 sub-option 5.
describe('option 82 link selection (RFC 3527)', () => {
  const linkTo = (network: number[]): RelayAgentInformation => ({
    subOptions: [
      { code: 1, data: Uint8Array.from([0, 7]) },
      { code: 5, data: Uint8Array.from(network) },
    ],
  });
  // The relay's address toward us, on no configured subnet (a router's loopback, say).
  const LOOPBACK_RELAY = '10.99.0.1';

  it('chooses the subnet the relay names over giaddr, echoes 82, and still answers the relay at giaddr', async () => {
    const h = await harness();
    const info = linkTo([10, 20, 0, 0]);
    const offer = replyOf(
      await h.send(discover({ ...A, giaddr: LOOPBACK_RELAY, options: { relayAgentInformation: info } })),
    );
    expect(offer.message.yourAddress).toBe('10.20.0.50');
    expect(offer.destination).toEqual({ address: LOOPBACK_RELAY, port: 67 });
    expect(offer.message.options.relayAgentInformation).toEqual(info);
    expect(offer.message.options.routers).toEqual(['10.20.0.1']);
  });

  it('wins over a giaddr that is on another configured subnet', async () => {
    const h = await harness();
    const offer = replyOf(
      await h.send(
        discover({
          ...A,
          giaddr: '198.18.0.254',
          options: { relayAgentInformation: linkTo([10, 20, 0, 9]) },
        }),
      ),
    );
    expect(offer.message.yourAddress).toBe('10.20.0.50');
  });

  it('is ignored without a relay (giaddr 0): a client cannot pick its own subnet', async () => {
    const h = await harness();
    const offer = replyOf(
      await h.send(discover({ ...A, options: { relayAgentInformation: linkTo([10, 20, 0, 0]) } })),
    );
    expect(offer.message.yourAddress).toBe('198.18.0.100');
  });

  it('drops a request whose named link is no configured subnet (D25), even with a giaddr that is', async () => {
    const h = await harness();
    const outcome = await h.send(
      discover({ ...A, giaddr: RELAY, options: { relayAgentInformation: linkTo([172, 16, 0, 0]) } }),
    );
    expect(dropOf(outcome)).toBe('no-subnet');
  });
});
