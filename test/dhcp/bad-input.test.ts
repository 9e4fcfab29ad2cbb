// Reliability-catalogue §6.1, the cases that reach the engine (the transport covers what the codec refuses): each
// is dropped (or answered as specified), with a stable reason, nothing written to the lease or inventory store
// (I4), and the next good packet is served (I1).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeDhcpMessage,
  type DhcpMessage,
  encodeDhcpMessage,
  userClassFromRaw,
} from '../../src/protocol/dhcp4/index.js';
import { DecodeError } from '../../src/protocol/errors.js';
import { dhcpMessage } from '../protocol/dhcp4/arbitraries.js';
import { DISCOVER_53, rawPacket } from '../protocol/dhcp4/support.js';
import {
  clientMessage,
  discover,
  dropOf,
  type Harness,
  harness,
  ip,
  mac,
  replyOf,
  request,
  SERVER,
} from './support.js';

const GOOD = { mac: mac(1) };

/** I4 and I1: the store is unchanged and no event was written; then a good DISCOVER still gets an OFFER. */
async function expectNothingChanged(h: Harness, send: () => Promise<unknown>): Promise<void> {
  const before = await h.dump();
  await send();
  await h.engine.flushEvents();
  expect(await h.dump()).toEqual(before);
  expect(await h.store.events.list()).toEqual([]);
  expect(replyOf(await h.send(discover(GOOD))).message.messageType).toBe('offer');
}

describe('bad input that decodes (catalogue §6.1)', () => {
  // The transport drops these before the engine (test/net/dhcp-intake.test.ts) and shows them to the rogue watch,
  // which counts and warns (test/dhcp/probe/rogue-watch.test.ts); the engine must drop them too.
  it('D05: a BOOTREPLY handed to the engine is dropped as op, nothing written', async () => {
    const h = await harness();
    const foreign: DhcpMessage = {
      ...clientMessage('offer', { mac: mac(7), serverId: '198.18.0.2' }),
      op: 'reply',
      yourAddress: ip('198.18.0.77'),
    };
    await expectNothingChanged(h, async () => {
      expect(dropOf(await h.send(foreign))).toBe('op');
      expect(dropOf(await h.send(foreign))).toBe('op');
    });
  });

  it('D06: no hardware address and no client identifier → no-identity, no lease (CVE-2019-6474)', async () => {
    const h = await harness();
    const noHw = decodeDhcpMessage(rawPacket({ hlen: 0, chaddr: [], options: [...DISCOVER_53, 255] }));
    const typeZero = decodeDhcpMessage(
      rawPacket({ htype: 0, hlen: 0, chaddr: [], options: [...DISCOVER_53, 255] }),
    );
    const odd61 = decodeDhcpMessage(
      rawPacket({ hlen: 0, chaddr: [], options: [...DISCOVER_53, 61, 5, 0xff, 1, 2, 3, 4, 255] }),
    );
    await expectNothingChanged(h, async () => {
      for (const message of [noHw, typeZero, odd61])
        expect(dropOf(await h.send(message))).toBe('no-identity');
    });
  });

  it('D06: a client with hlen 0 but a type-1 option 61 is identified by it', async () => {
    const h = await harness();
    const message = decodeDhcpMessage(
      rawPacket({ hlen: 0, chaddr: [], options: [...DISCOVER_53, 61, 7, 1, 0x52, 0x54, 0, 0, 0, 0x42, 255] }),
    );
    expect(replyOf(await h.send(message)).message.messageType).toBe('offer');
  });

  it.each(['offer', 'ack', 'nak'] as const)(
    'D10: a BOOTREQUEST of server type %s → msgtype',
    async (type) => {
      const h = await harness();
      await expectNothingChanged(h, async () => {
        expect(dropOf(await h.send(clientMessage(type, { mac: mac(7) })))).toBe('msgtype');
      });
    },
  );

  it.each([
    ['broadcast', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['all zero', [0, 0, 0, 0, 0, 0]],
    ['multicast', [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01]],
  ])('D30: chaddr %s → bad-mac, never enrolled', async (_name, bytes) => {
    const h = await harness();
    await expectNothingChanged(h, async () => {
      const message = clientMessage('discover', { mac: GOOD.mac, chaddr: Uint8Array.from(bytes) });
      expect(dropOf(await h.send(message))).toBe('bad-mac');
      expect(dropOf(await h.send({ ...message, messageType: 'request' }))).toBe('bad-mac');
    });
  });

  it('D25: a packet from an interface whose address is in no configured subnet → no-subnet', async () => {
    const h = await harness();
    await expectNothingChanged(h, async () => {
      const outcome = await h.send(request({ mac: mac(7), ciaddr: '192.0.2.9' }), {
        interfaceAddress: ip('192.0.2.1'),
      });
      expect(dropOf(outcome)).toBe('no-subnet');
    });
  });

  it('a DHCP message on port 4011 is for proxyDHCP, which full mode does not answer', async () => {
    const h = await harness();
    await expectNothingChanged(h, async () => {
      expect(dropOf(await h.send(request({ mac: mac(7), ciaddr: '198.18.0.9' }), { localPort: 4011 }))).toBe(
        'port',
      );
    });
  });

  it('a REQUEST with no server identifier, requested address or ciaddr → malformed-request', async () => {
    const h = await harness();
    await expectNothingChanged(h, async () => {
      expect(dropOf(await h.send(request({ mac: mac(7) })))).toBe('malformed-request');
    });
  });

  it('D31: hops 255, secs 65535 and reserved flag bits are served normally', async () => {
    const h = await harness();
    const odd = { ...discover({ mac: mac(7) }), hops: 255, secondsElapsed: 65535, flags: 0x7fff };
    const offer = replyOf(await h.send(odd));
    expect(offer.message).toMatchObject({ hops: 0, secondsElapsed: 0, flags: 0x7fff });
    expect(offer.destination).toEqual({ address: '255.255.255.255', port: 68 });
  });

  it('D16: option 55 listing 255 codes gets each option once, in a bounded reply', async () => {
    const h = await harness();
    const list = Array.from({ length: 255 }, (_, i) => [3, 6, 1, 15][i % 4] ?? 1);
    const offer = replyOf(await h.send(discover({ mac: mac(7), options: { parameterRequestList: list } })));
    expect(offer.message.optionOrder).toEqual([53, 54, 51, 58, 59, 3, 6, 1, 15]);
    expect(offer.bytes.length).toBeLessThanOrEqual(548);
  });

  it('D17: a 255-byte client identifier is served and echoed; the lease is keyed by MAC', async () => {
    const h = await harness();
    const clientIdentifier = Uint8Array.from({ length: 255 }, (_, i) => (i === 0 ? 0xff : i));
    const address = await h.dora({ mac: mac(7), options: { clientIdentifier } });
    const offer = replyOf(await h.send(discover({ mac: mac(7), options: { clientIdentifier } })));
    expect(offer.message.options.clientIdentifier).toEqual(clientIdentifier);
    expect(await h.store.leases.findByAddress(address)).toMatchObject({ clientId: '01525400000007' });
  });

  it('D17: echoes that cannot fit the reply are dropped as reply-too-big, holding nothing', async () => {
    const h = await harness({
      subnets: [
        {
          subnet: '198.18.0.0/24',
          pools: [{ start: '198.18.0.100', end: '198.18.0.100' }],
          dns: ['198.18.0.53'],
        },
      ],
    });
    const big = {
      clientIdentifier: Uint8Array.from({ length: 255 }, () => 7),
      relayAgentInformation: { subOptions: [{ code: 1, data: new Uint8Array(200) }] },
    };
    await expectNothingChangedButEvents(h, async () => {
      expect(dropOf(await h.send(discover({ mac: mac(7), options: big })))).toBe('reply-too-big');
      expect(
        dropOf(
          await h.send(request({ mac: mac(7), serverId: SERVER, requested: '198.18.0.100', options: big })),
        ),
      ).toBe('reply-too-big');
    });
  });

  it('D18: a malformed host name is left out (by the codec) and never stored', async () => {
    const h = await harness();
    const message = decodeDhcpMessage(
      rawPacket({ options: [...DISCOVER_53, 12, 6, 0x61, 0x0a, 0x1b, 0x5b, 0x33, 0x31, 255] }),
    );
    const offer = replyOf(await h.send(message));
    const ack = replyOf(
      await h.send({
        ...message,
        messageType: 'request',
        options: {
          ...message.options,
          serverIdentifier: SERVER,
          requestedIpAddress: offer.message.yourAddress,
        },
      }),
    );
    expect(await h.store.leases.findByAddress(ack.message.yourAddress)).toMatchObject({ hostname: null });
  });

  it('D20: option 57 below 576 is treated as 576', async () => {
    const h = await harness();
    const offer = replyOf(
      await h.send(
        discover({
          mac: mac(7),
          options: { maximumMessageSize: 100, userClass: userClassFromRaw(Uint8Array.of(1)) },
        }),
      ),
    );
    expect(offer.bytes.length).toBeLessThanOrEqual(548);
  });
});

/** Like expectNothingChanged, but the refused client's request may appear on its timeline. */
async function expectNothingChangedButEvents(h: Harness, send: () => Promise<unknown>): Promise<void> {
  const before = await h.dump();
  await send();
  await h.engine.flushEvents();
  expect((await h.dump()).leases).toEqual(before.leases);
  expect(replyOf(await h.send(discover(GOOD))).message.messageType).toBe('offer');
}

describe('D32: any message that decodes', () => {
  it('gets a reply or a drop with a reason, never an exception, and never breaks uniqueness', async () => {
    const h = await harness();
    // Half the cases are made to look like our clients (Ethernet, no relay, BOOTREQUEST), so they reach the
    // state machine rather than stopping at the first check.
    const message = fc
      .tuple(dhcpMessage, fc.boolean(), fc.integer({ min: 1, max: 20 }))
      .map(([m, local, n]) =>
        local
          ? {
              ...m,
              op: 'request' as const,
              hardwareType: 1,
              clientHardwareAddress: Uint8Array.from([0x52, 0x54, 0, 0, 1, n]),
              relayAgentAddress: ip('0.0.0.0'),
            }
          : m,
      );
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        let decoded: DhcpMessage;
        try {
          decoded = decodeDhcpMessage(encodeDhcpMessage(m, { minSize: 300 }));
        } catch (error) {
          if (error instanceof DecodeError) return; // the transport drops these before the engine
          throw error;
        }
        const outcome = await h.send(decoded);
        if (outcome.kind === 'drop') expect(outcome.reason).not.toBe('internal-error');
        else expect(decodeDhcpMessage(outcome.bytes).op).toBe('reply');
      }),
      { numRuns: 400 },
    );
    const leases = (await h.dump()).leases.filter((l) => l.state === 'bound' || l.state === 'offered');
    expect(new Set(leases.map((l) => l.address)).size).toBe(leases.length);
    expect(new Set(leases.map((l) => `${l.subnet.network}/${l.clientId}`)).size).toBe(leases.length);
    expect(h.logLines().filter((l) => l.level === 50)).toEqual([]);
    // Whatever a client sends, its events are storable (the store validates JSON on write, catalogue P2).
    await h.engine.flushEvents();
    const lost = await h.metrics.getSingleMetric('fleetboot_dhcp_events_lost_total')?.get();
    expect(lost?.values[0]?.value).toBe(0);
  });
});
