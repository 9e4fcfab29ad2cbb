// The per-datagram path of a DHCP listener, without sockets: size and parse drops (catalogue D01–D05, D28),
// the engine call, replies, failures, the in-flight bound (P6) and rate-limited logs (I5).
import { describe, expect, it } from 'vitest';
import type { DhcpTap } from '../../src/net/capture-tap.js';
import type { DhcpExchange, DhcpHandler, DhcpOutcome } from '../../src/net/dhcp-handler.js';
import { probeDiscover } from '../../src/dhcp/probe/discover.js';
import { DhcpIntake, type DhcpIntakeOptions, type DhcpSend } from '../../src/net/dhcp-intake.js';
import { dhcpTransportMetrics } from '../../src/net/dhcp-metrics.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { encodeDhcpMessage } from '../../src/protocol/dhcp4/index.js';
import type { Ipv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';
import { DISCOVER_53, golden, rawPacket } from '../protocol/dhcp4/support.js';
import { metricValue } from './fixtures/lab-peers.js';
import { seededRandom } from './fixtures/line-protocol.js';

const DISCOVER = golden('udhcpc-discover');
const OFFER_FROM_ANOTHER_SERVER = golden('udhcpd-offer');
const CLIENT = { address: '0.0.0.0', port: 68 };
const BROADCAST = { address: '255.255.255.255' as Ipv4, port: 68 };

function reply(label = 'DHCPOFFER'): DhcpOutcome {
  return { kind: 'reply', bytes: Uint8Array.of(2, 1, 6), destination: BROADCAST, label };
}

interface Sent {
  readonly port: number;
  readonly bytes: Uint8Array;
  readonly to: string;
}

/** A handler whose replies wait until the test releases them (each `pending` entry releases one). */
function heldReplies(): { handler: () => Promise<DhcpOutcome>; pending: (() => void)[] } {
  const pending: (() => void)[] = [];
  const handler = () =>
    new Promise<DhcpOutcome>((resolve) => {
      pending.push(() => {
        resolve(reply());
      });
    });
  return { handler, pending };
}

function setup(
  handler: DhcpHandler = () => Promise.resolve(reply()),
  extra: Partial<DhcpIntakeOptions> = {},
) {
  const clock = new FakeClock();
  const { logger, lines } = memoryLogger('debug');
  const registry = createMetrics({ processMetrics: false });
  const sent: Sent[] = [];
  const send: DhcpSend = (port, bytes, destination) => {
    sent.push({ port, bytes, to: `${destination.address}:${destination.port}` });
    return Promise.resolve();
  };
  const exchanges: DhcpExchange[] = [];
  const intake = new DhcpIntake({
    interfaceName: 'eth1',
    interfaceAddress: '192.0.2.1' as Ipv4,
    handler: (exchange) => {
      exchanges.push(exchange);
      return handler(exchange);
    },
    send,
    metrics: dhcpTransportMetrics(registry),
    logger,
    clock,
    ...extra,
  });
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    metricValue(await registry.metrics(), name, { interface: 'eth1', ...labels });
  const dropped = (reason?: string) =>
    metric('fleetboot_dhcp_dropped_total', reason === undefined ? {} : { reason });
  return { clock, lines, intake, sent, exchanges, metric, dropped, registry };
}

describe('DhcpIntake', () => {
  it('hands a decoded request to the engine with everything the contract promises, and sends its reply', async () => {
    const t = setup();
    t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    expect(t.exchanges).toHaveLength(1);
    const [exchange] = t.exchanges;
    expect(exchange).toMatchObject({
      interfaceName: 'eth1',
      interfaceAddress: '192.0.2.1',
      localPort: 67,
      source: CLIENT,
      receivedAt: t.clock.now(),
      raw: DISCOVER,
    });
    expect(exchange?.request.messageType).toBe('discover');
    expect(t.sent).toEqual([{ port: 67, bytes: Uint8Array.of(2, 1, 6), to: '255.255.255.255:68' }]);
    expect(await t.metric('fleetboot_dhcp_replies_total', { type: 'DHCPOFFER' })).toBe(1);
    expect(await t.metric('fleetboot_dhcp_received_total', { port: '67' })).toBe(1);
    expect(await t.dropped()).toBe(0);
  });

  it('D05: shows a BOOTREPLY to the rogue watch before dropping it; the engine never sees it', async () => {
    const shown: { xid: number; from: string }[] = [];
    const t = setup(undefined, {
      onServerReply: (message, source) => shown.push({ xid: message.transactionId, from: source.address }),
    });
    t.intake.accept(OFFER_FROM_ANOTHER_SERVER, 67, { address: '192.0.2.9', port: 67 });
    t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    expect(shown).toEqual([{ xid: 0x88ef5828, from: '192.0.2.9' }]);
    expect(await t.dropped('op')).toBe(1);
    expect(t.exchanges.map((e) => e.request.messageType)).toEqual(['discover']);
  });

  it('drops our own probe DISCOVER, looped back from our address and port 68, as own-probe', async () => {
    const t = setup();
    t.intake.accept(DISCOVER, 67, { address: '192.0.2.1', port: 68 });
    // Our address from another port (a relay on this host) and another host's port 68 are served.
    t.intake.accept(DISCOVER, 67, { address: '192.0.2.1', port: 67 });
    t.intake.accept(DISCOVER, 67, { address: '192.0.2.7', port: 68 });
    await t.clock.advance(0);
    expect(await t.dropped('own-probe')).toBe(1);
    expect(await t.dropped()).toBe(1);
    expect(t.exchanges).toHaveLength(2);
  });

  it("drops another fleetboot's probe DISCOVER (option 60 fleetboot-probe) as peer-probe, not as a client", async () => {
    const t = setup();
    const probe = encodeDhcpMessage(probeDiscover({ mac: parseMac('52:54:00:aa:bb:cc'), transactionId: 7 }));
    t.intake.accept(probe, 67, { address: '192.0.2.7', port: 68 });
    t.intake.accept(DISCOVER, 67, { address: '192.0.2.7', port: 68 });
    await t.clock.advance(0);
    expect(await t.dropped('peer-probe')).toBe(1);
    expect(t.exchanges.map((e) => e.request.options.vendorClassIdentifier)).not.toContain('fleetboot-probe');
    expect(t.exchanges).toHaveLength(1);
  });

  it('sends a 4011 reply from the 4011 socket', async () => {
    const t = setup();
    t.intake.accept(DISCOVER, 4011, { address: '192.0.2.50', port: 4011 });
    await t.clock.advance(0);
    expect(t.sent.map((s) => s.port)).toEqual([4011]);
    expect(t.exchanges[0]?.localPort).toBe(4011);
  });

  it.each([
    ['D01 empty payload', new Uint8Array(0), 'parse:short'],
    ['D02 one byte', new Uint8Array(1), 'parse:short'],
    ['D02 100 bytes', new Uint8Array(100), 'parse:short'],
    ['D02 235 bytes', new Uint8Array(235), 'parse:short'],
    ['D03 plain BOOTP', rawPacket({ cookie: null }), 'parse:bootp'],
    [
      'D04 wrong cookie',
      rawPacket({ cookie: [0x63, 0x82, 0x53, 0x64], options: [53, 1, 1, 255] }),
      'parse:cookie',
    ],
    ['D05 a BOOTREPLY on a server port', OFFER_FROM_ANOTHER_SERVER, 'op'],
    ['D09 no option 53', rawPacket({ options: [255] }), 'parse:no-msgtype'],
    ['D28 16 KiB + 1', new Uint8Array(16_385), 'too-big'],
    ['D28 65 507 bytes', new Uint8Array(65_507), 'too-big'],
  ])(
    '%s: dropped as %s, counted once, no engine call, and the next good one is answered',
    async (_, bytes, reason) => {
      const t = setup();
      t.intake.accept(bytes, 67, CLIENT);
      t.intake.accept(DISCOVER, 67, CLIENT);
      await t.clock.advance(0);
      expect(await t.dropped(reason)).toBe(1);
      expect(await t.dropped()).toBe(1);
      expect(t.exchanges).toHaveLength(1);
      expect(t.sent).toHaveLength(1);
      const line = t.lines().find((l) => l['reason'] === reason);
      expect(line).toMatchObject({
        level: 20,
        interface: 'eth1',
        port: 67,
        from: '0.0.0.0:68',
        size: bytes.length,
      });
    },
  );

  it('counts the drops the engine decides by the engine’s reason', async () => {
    const t = setup(() => Promise.resolve({ kind: 'drop', reason: 'not-for-us' }));
    t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    expect(await t.dropped('not-for-us')).toBe(1);
    expect(t.sent).toEqual([]);
    expect(await t.metric('fleetboot_dhcp_handling_seconds_count', { outcome: 'drop' })).toBe(1);
  });

  it.each([
    [
      'throws',
      (): Promise<DhcpOutcome> => {
        throw new Error('engine bug');
      },
    ],
    ['rejects', () => Promise.reject(new Error('store down'))],
    ['returns nothing', () => Promise.resolve(undefined as unknown as DhcpOutcome)],
  ])('survives an engine that %s: handler-error, logged at error, next request served', async (_, broken) => {
    let calls = 0;
    const t = setup(() => (calls++ === 0 ? broken() : Promise.resolve(reply())));
    t.intake.accept(DISCOVER, 67, CLIENT);
    t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    expect(await t.dropped('handler-error')).toBe(1);
    expect(t.sent).toHaveLength(1);
    expect(t.lines().filter((l) => l['level'] === 50)).toHaveLength(1);
    expect(t.intake.inFlight).toBe(0);
  });

  it('rate-limits engine failures at error level, and says how many it held back', async () => {
    const t = setup(() => Promise.reject(new Error('store down')), {
      errorLogRate: { perSecond: 1, burst: 3 },
    });
    for (let i = 0; i < 100; i += 1) t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    expect(await t.dropped('handler-error')).toBe(100);
    expect(t.lines().filter((l) => l['level'] === 50)).toHaveLength(3);
    await t.clock.advance(1000);
    t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    const errors = t.lines().filter((l) => l['level'] === 50);
    expect(errors).toHaveLength(4);
    expect(errors.at(-1)?.['suppressed']).toBe(97);
  });

  it('counts a reply the kernel refused as send-error, not as a reply', async () => {
    const failing = setup(undefined, {
      send: () => Promise.reject(Object.assign(new Error('send ENETUNREACH'), { code: 'ENETUNREACH' })),
    });
    failing.intake.accept(DISCOVER, 67, CLIENT);
    await failing.clock.advance(0);
    expect(await failing.dropped('send-error')).toBe(1);
    expect(await failing.metric('fleetboot_dhcp_replies_total')).toBe(0);
    expect(failing.lines().find((l) => l['level'] === 50)?.['to']).toBe('255.255.255.255:68');
  });

  it('bounds the work in flight: beyond maxInFlight a request is dropped as overload, the others finish', async () => {
    const { handler, pending } = heldReplies();
    const t = setup(handler, { limits: { maxInFlight: 2 } });
    for (let i = 0; i < 5; i += 1) t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    expect(t.intake.inFlight).toBe(2);
    expect(await t.dropped('overload')).toBe(3);
    expect(await t.metric('fleetboot_dhcp_in_flight')).toBe(2);
    for (const release of pending) release();
    await t.clock.advance(0);
    expect(t.sent).toHaveLength(2);
    expect(t.intake.inFlight).toBe(0);
    t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    expect(t.intake.inFlight).toBe(1); // the slot came back
  });

  it('by default holds a burst of 1000 requests at once (issue 3: a rack powering on) without an overload drop', async () => {
    const { handler, pending } = heldReplies();
    const t = setup(handler);
    for (let i = 0; i < 1000; i += 1) t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    expect(t.intake.inFlight).toBe(1000);
    expect(await t.dropped('overload')).toBe(0);
    for (const release of pending) release();
    await t.clock.advance(0);
    expect(t.sent).toHaveLength(1000);
  });

  it('after close, drops new datagrams as stopping and resolves idle() once the last exchange is done', async () => {
    let release: () => void = () => undefined;
    const t = setup(
      () =>
        new Promise<DhcpOutcome>((resolve) => {
          release = () => {
            resolve(reply());
          };
        }),
    );
    t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    t.intake.close();
    t.intake.accept(DISCOVER, 67, CLIENT);
    let idle = false;
    void t.intake.idle().then(() => {
      idle = true;
    });
    await t.clock.advance(0);
    expect(idle).toBe(false);
    expect(await t.dropped('stopping')).toBe(1);
    release();
    await t.clock.advance(0);
    expect(idle).toBe(true);
    expect(t.sent).toHaveLength(1);
  });

  it('turns 10 000 garbage datagrams into exactly one counter each and a bounded number of log lines (I5)', async () => {
    const t = setup(undefined, { packetLogRate: { perSecond: 10, burst: 20 } });
    const random = seededRandom(42);
    for (let i = 0; i < 10_000; i += 1) {
      const bytes =
        random() < 0.5
          ? Uint8Array.from({ length: Math.floor(random() * 700) }, () => random() * 256)
          : DISCOVER.map((b) => (random() < 0.02 ? Math.floor(random() * 256) : b));
      t.intake.accept(bytes, 67, CLIENT);
      if (i % 1000 === 999) await t.clock.advance(1000); // ten seconds in all
    }
    await t.clock.advance(0);
    const received = await t.metric('fleetboot_dhcp_received_total');
    const replies = await t.metric('fleetboot_dhcp_replies_total');
    expect(received).toBe(10_000);
    expect((await t.dropped()) + replies).toBe(10_000);
    expect(replies).toBeGreaterThan(0); // some mutated DISCOVERs still decode: the engine path is exercised
    const debug = t.lines().filter((l) => l['level'] === 20);
    expect(debug.length).toBeLessThanOrEqual(20 + 10 * 10);
    expect(debug.some((l) => typeof l['suppressed'] === 'number' && l['suppressed'] > 0)).toBe(true);
  });

  it('escapes control characters in what it logs', async () => {
    const t = setup(() => Promise.resolve({ kind: 'drop', reason: 'bad\nname\u001b[31m' }));
    t.intake.accept(DISCOVER, 67, CLIENT);
    await t.clock.advance(0);
    const line = t.lines().find((l) => l['level'] === 20);
    expect(line?.['reason']).toBe('bad\\x0aname\\x1b[31m');
    const message = String(line?.['msg']);
    expect(message).toContain('bad\\x0aname\\x1b[31m');
    expect(Array.from(message, (c) => c.charCodeAt(0)).filter((code) => code < 0x20)).toEqual([]);
  });

  it('logs nothing per packet above debug level', async () => {
    const clock = new FakeClock();
    const { logger, lines } = memoryLogger('info');
    const intake = new DhcpIntake({
      interfaceName: 'eth1',
      interfaceAddress: '192.0.2.1' as Ipv4,
      handler: () => Promise.resolve(reply()),
      send: () => Promise.resolve(),
      metrics: dhcpTransportMetrics(createMetrics({ processMetrics: false })),
      logger,
      clock,
    });
    for (let i = 0; i < 100; i += 1) intake.accept(i % 2 === 0 ? DISCOVER : new Uint8Array(3), 67, CLIENT);
    await clock.advance(0);
    expect(lines()).toEqual([]);
  });

  it('shares one set of metrics between the listeners of one registry', () => {
    const registry = createMetrics({ processMetrics: false });
    expect(dhcpTransportMetrics(registry)).toBe(dhcpTransportMetrics(registry));
  });

  describe('capture tap (issue 6 item 5)', () => {
    function capturing(handler?: DhcpHandler, extra: Partial<DhcpIntakeOptions> = {}) {
      const tapped: Parameters<DhcpTap>[0][] = [];
      const t = setup(handler, { capture: (datagram) => tapped.push(datagram), ...extra });
      return { ...t, tapped };
    }

    it('shows the request as received and the reply as sent, with the client MAC and real addresses', async () => {
      const t = capturing();
      t.intake.accept(DISCOVER, 67, CLIENT);
      const receivedAt = t.clock.now();
      await t.clock.advance(0);
      expect(t.tapped).toEqual([
        {
          at: receivedAt,
          direction: 'in',
          mac: '02:fb:ca:00:00:02',
          source: CLIENT,
          // From 0.0.0.0 a request can only have been broadcast (RFC 2131 §4.1).
          destination: { address: '255.255.255.255', port: 67 },
          payload: DISCOVER,
          payloadLength: DISCOVER.length,
        },
        {
          at: t.clock.now(),
          direction: 'out',
          mac: '02:fb:ca:00:00:02',
          source: { address: '192.0.2.1', port: 67 },
          destination: BROADCAST,
          payload: Uint8Array.of(2, 1, 6),
          payloadLength: 3,
        },
      ]);
    });

    it('shows a relayed or port-4011 request as sent to our address, and no reply that was not sent', async () => {
      let fail = false;
      const t = capturing(undefined, {
        send: () => (fail ? Promise.reject(new Error('EPERM')) : Promise.resolve()),
      });
      t.intake.accept(DISCOVER, 4011, { address: '192.0.2.50', port: 4011 });
      await t.clock.advance(0);
      fail = true;
      t.intake.accept(DISCOVER, 67, { address: '198.51.100.1', port: 67 });
      await t.clock.advance(0);
      expect(t.tapped.map((d) => [d.direction, d.source, d.destination])).toEqual([
        ['in', { address: '192.0.2.50', port: 4011 }, { address: '192.0.2.1', port: 4011 }],
        ['out', { address: '192.0.2.1', port: 4011 }, BROADCAST],
        ['in', { address: '198.51.100.1', port: 67 }, { address: '192.0.2.1', port: 67 }],
      ]);
      expect(await t.dropped('send-error')).toBe(1);
    });

    it('shows the request of a dropped exchange, and nothing of what never reached the engine', async () => {
      const t = capturing(() => Promise.resolve({ kind: 'drop', reason: 'not-for-us' }));
      t.intake.accept(DISCOVER, 67, CLIENT);
      t.intake.accept(new Uint8Array(3), 67, CLIENT); // does not decode
      t.intake.accept(OFFER_FROM_ANOTHER_SERVER, 67, { address: '192.0.2.9', port: 67 }); // a BOOTREPLY
      await t.clock.advance(0);
      expect(t.tapped.map((d) => d.direction)).toEqual(['in']);
    });

    it('leaves out a client that names no MAC (no chaddr, no option 61 of type 1)', async () => {
      const t = capturing();
      t.intake.accept(rawPacket({ htype: 6, options: [...DISCOVER_53, 255] }), 67, CLIENT);
      await t.clock.advance(0);
      expect(t.exchanges).toHaveLength(1);
      expect(t.tapped).toEqual([]);
    });

    it('serves on when the tap throws', async () => {
      const t = setup(undefined, {
        capture: () => {
          throw new Error('broken tap');
        },
      });
      t.intake.accept(DISCOVER, 67, CLIENT);
      await t.clock.advance(0);
      expect(t.sent).toHaveLength(1);
      expect(await t.metric('fleetboot_dhcp_replies_total', { type: 'DHCPOFFER' })).toBe(1);
    });
  });
});
