// The capture recorder (capture/recorder.ts) over a real SQLite store: what the taps show is written in batches
// behind the traffic, attributed by MAC or by the client's address, bounded, and dropped and counted rather than
// held when the queue is full or the store fails.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CaptureRecorder,
  type CaptureRecorderOptions,
  MAX_KEPT_PAYLOAD,
} from '../../src/capture/recorder.js';
import type { TappedDatagram } from '../../src/net/capture-tap.js';
import { DhcpIntake } from '../../src/net/dhcp-intake.js';
import { dhcpTransportMetrics } from '../../src/net/dhcp-metrics.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { openStore } from '../../src/store/open.js';
import type { CaptureStore, Store } from '../../src/store/types.js';
import { type Ipv4, parseIpv4 } from '../../src/values/ipv4.js';
import { type Mac, parseMac } from '../../src/values/mac.js';
import { metricValue } from '../net/fixtures/lab-peers.js';
import { golden } from '../protocol/dhcp4/support.js';
import { unavailable } from '../support/broken-store.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';

const MAC = parseMac('52:54:00:12:34:56');
const OTHER = parseMac('52:54:00:ab:cd:ef');
const SERVER = parseIpv4('192.0.2.1');
const CLIENT = parseIpv4('192.0.2.10');

const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function setup(
  options: Partial<CaptureRecorderOptions> & { captures?: (real: CaptureStore) => CaptureStore } = {},
) {
  const store = await openStore('sqlite::memory:', { dataDir: '/nonexistent' });
  stores.push(store);
  await store.migrate();
  const clock = new FakeClock();
  const metrics = createMetrics({ processMetrics: false });
  const { logger, lines } = memoryLogger('debug');
  /** Who is at a TFTP client's address: the MAC the test says. */
  const at = new Map<Ipv4, Mac>();
  const { captures, ...rest } = options;
  const recorder = new CaptureRecorder({
    store: captures === undefined ? store.captures : captures(store.captures),
    identify: (address) => {
      const mac = at.get(address);
      return Promise.resolve(mac === undefined ? undefined : { mac, serverAddress: SERVER });
    },
    clock,
    logger,
    metrics,
    retryDelayMs: 1000,
    ...rest,
  });
  await recorder.start();
  const enrol = async (mac: Mac) => (await store.inventory.recordContact({ mac })).machine.id;
  const dropped = async (reason: string) =>
    metricValue(await metrics.metrics(), 'fleetboot_capture_dropped_total', { reason });
  const written = async () => metricValue(await metrics.metrics(), 'fleetboot_capture_packets_total');
  return { store, clock, recorder, at, enrol, dropped, written, lines };
}

/** A DHCP datagram; its payload's first octet says which. */
function dhcp(n: number, mac: Mac = MAC, at = 1_767_225_600_000 + n): TappedDatagram & { mac: Mac } {
  return {
    at,
    direction: 'in',
    mac,
    source: { address: '0.0.0.0', port: 68 },
    destination: { address: '255.255.255.255', port: 67 },
    payload: Uint8Array.of(n, 1, 6, 0),
    payloadLength: 4,
  };
}

const firstOctets = (packets: readonly { payload: Uint8Array }[]) => packets.map((p) => p.payload[0]);

describe('CaptureRecorder', () => {
  it('writes DHCP datagrams of an enrolled MAC behind the caller, in batches, as they were', async () => {
    const t = await setup();
    const id = await t.enrol(MAC);
    for (let n = 1; n <= 3; n++) t.recorder.dhcp(dhcp(n));
    // Nothing is written while the caller runs: the drain waits for the next turn of the event loop.
    expect(await t.store.captures.list(id)).toEqual([]);
    await t.recorder.flush();
    const packets = await t.store.captures.list(id);
    expect(firstOctets(packets)).toEqual([1, 2, 3]);
    expect(packets[0]).toMatchObject({
      at: 1_767_225_600_001,
      mac: MAC,
      protocol: 'dhcp',
      direction: 'in',
      source: { address: '0.0.0.0', port: 68 },
      destination: { address: '255.255.255.255', port: 67 },
      payloadLength: 4,
    });
    expect(await t.written()).toBe(3);
  });

  it('tries a packet of a MAC not enrolled yet again, and keeps it once the machine is there', async () => {
    const t = await setup();
    t.recorder.dhcp(dhcp(1));
    await t.recorder.flush();
    expect(await t.written()).toBe(0);
    // The DHCP engine enrols the machine behind its reply (dhcp/events.ts): a moment later.
    const id = await t.enrol(MAC);
    await t.clock.advance(1000);
    await t.recorder.flush();
    expect(firstOctets(await t.store.captures.list(id))).toEqual([1]);
    expect(await t.dropped('unattributed')).toBe(0);
  });

  it('drops a packet whose MAC never becomes a machine, after its retries, and counts it', async () => {
    const t = await setup({ retries: 2 });
    t.recorder.dhcp(dhcp(1, OTHER));
    for (let i = 0; i < 4; i++) {
      await t.recorder.flush();
      await t.clock.advance(1000);
    }
    await t.recorder.flush();
    expect(await t.dropped('unattributed')).toBe(1);
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('places TFTP by the client address, shows our DHCP address for a wildcard listener, drops strangers', async () => {
    const t = await setup();
    const id = await t.enrol(MAC);
    t.at.set(CLIENT, MAC);
    const base = { at: 1_767_225_600_000, payloadLength: 4 };
    t.recorder.tftp({
      ...base,
      direction: 'out',
      source: { address: '0.0.0.0', port: 50_000 },
      destination: { address: CLIENT, port: 2070 },
      payload: Uint8Array.of(0, 3, 0, 1),
      payloadLength: 1472,
    });
    t.recorder.tftp({
      ...base,
      direction: 'in',
      source: { address: `::ffff:${CLIENT}`, port: 2070 },
      destination: { address: '127.0.0.1', port: 50_000 },
      payload: Uint8Array.of(0, 4, 0, 1),
    });
    t.recorder.tftp({
      ...base,
      direction: 'in',
      source: { address: '192.0.2.99', port: 2070 }, // no machine is known there
      destination: { address: SERVER, port: 69 },
      payload: Uint8Array.of(0, 4, 0, 1),
    });
    await t.recorder.flush();
    const [data, ack] = await t.store.captures.list(id);
    expect(data).toMatchObject({
      protocol: 'tftp',
      source: { address: SERVER, port: 50_000 },
      destination: { address: CLIENT, port: 2070 },
      payloadLength: 1472,
    });
    expect(ack).toMatchObject({
      source: { address: CLIENT, port: 2070 },
      destination: { address: '127.0.0.1', port: 50_000 },
    });
    expect(await t.dropped('unattributed')).toBe(1);
  });

  it(`keeps the first ${MAX_KEPT_PAYLOAD} octets of a larger datagram, with its real length`, async () => {
    const t = await setup();
    const id = await t.enrol(MAC);
    t.recorder.dhcp({ ...dhcp(1), payload: new Uint8Array(5000), payloadLength: 5000 });
    await t.recorder.flush();
    const [packet] = await t.store.captures.list(id);
    expect(packet?.payload).toHaveLength(MAX_KEPT_PAYLOAD);
    expect(packet?.payloadLength).toBe(5000);
  });

  it('holds only its own copy of the kept octets while queued, not the 64 KiB receive buffer', async () => {
    // What the store is handed is what the queue held: the kept octets, in a buffer of their own.
    const handed: Uint8Array[] = [];
    const t = await setup({
      captures: (real) => ({
        append: (packets, bound) => {
          handed.push(...packets.map((p) => p.payload));
          return real.append(packets, bound);
        },
        list: (machineId) => real.list(machineId),
      }),
    });
    const id = await t.enrol(MAC);
    t.at.set(CLIENT, MAC);
    // A TFTP RRQ as large as UDP allows, from a client fleetboot places, and a DHCP datagram of 16 KiB.
    const rrq = new Uint8Array(65_507).fill(0x61);
    rrq.set([0, 1]);
    const big = new Uint8Array(16 * 1024).fill(7);
    t.recorder.tftp({
      at: 1_767_225_600_000,
      direction: 'in',
      source: { address: CLIENT, port: 2070 },
      destination: { address: SERVER, port: 69 },
      payload: rrq,
      payloadLength: rrq.length,
    });
    t.recorder.dhcp({ ...dhcp(1), payload: big, payloadLength: big.length });
    // The receive buffers are the transport's again once the tap returns; the capture must not see this.
    rrq.fill(0xff);
    big.fill(0xff);
    await t.recorder.flush();
    expect(handed.map((p) => [p.byteLength, p.buffer.byteLength])).toEqual([
      [MAX_KEPT_PAYLOAD, MAX_KEPT_PAYLOAD],
      [MAX_KEPT_PAYLOAD, MAX_KEPT_PAYLOAD],
    ]);
    const [tftp, dhcpPacket] = await t.store.captures.list(id);
    expect(tftp?.payload.slice(0, 3)).toEqual(Uint8Array.of(0, 1, 0x61));
    expect(tftp?.payloadLength).toBe(65_507);
    expect(dhcpPacket?.payload.every((b) => b === 7)).toBe(true);
    expect(dhcpPacket?.payloadLength).toBe(16 * 1024);
  });

  it('bounds each machine by the bound it is given', async () => {
    const t = await setup({ bound: { packets: 3, bytes: 1024 } });
    const id = await t.enrol(MAC);
    for (let n = 1; n <= 10; n++) t.recorder.dhcp(dhcp(n));
    await t.recorder.flush();
    expect(firstOctets(await t.store.captures.list(id))).toEqual([8, 9, 10]);
  });

  it('drops and counts what comes while its queue is full, and the caller never waits', async () => {
    const t = await setup({ maxQueued: 5 });
    const id = await t.enrol(MAC);
    for (let n = 1; n <= 8; n++) t.recorder.dhcp(dhcp(n));
    expect(await t.dropped('queue-full')).toBe(3);
    await t.recorder.flush();
    expect(firstOctets(await t.store.captures.list(id))).toEqual([1, 2, 3, 4, 5]);
    // Room again once written.
    t.recorder.dhcp(dhcp(9));
    await t.recorder.flush();
    expect(firstOctets(await t.store.captures.list(id))).toEqual([1, 2, 3, 4, 5, 9]);
  });

  it('drops and counts a batch the store refuses, warns once per outage, and writes again once it is back', async () => {
    let failing = true;
    const t = await setup({
      captures: (real) => ({
        append: (packets, bound) => (failing ? Promise.reject(unavailable()) : real.append(packets, bound)),
        list: (machineId) => real.list(machineId),
      }),
    });
    const id = await t.enrol(MAC);
    t.recorder.dhcp(dhcp(1));
    await t.recorder.flush();
    t.recorder.dhcp(dhcp(2));
    await t.recorder.flush();
    expect(await t.dropped('store-error')).toBe(2);
    expect(t.lines().filter((l) => l.msg === 'could not write boot captures')).toHaveLength(1);
    failing = false;
    t.recorder.dhcp(dhcp(3));
    await t.recorder.flush();
    expect(firstOctets(await t.store.captures.list(id))).toEqual([3]);
  });

  it('on stop writes what is queued, gives waiting packets a last try, then counts later ones as stopping', async () => {
    const t = await setup();
    t.recorder.dhcp(dhcp(1)); // its MAC is enrolled only after the first try
    await t.recorder.flush();
    const id = await t.enrol(MAC);
    t.recorder.dhcp(dhcp(2));
    await t.recorder.stop();
    expect(firstOctets(await t.store.captures.list(id))).toEqual([1, 2]);
    expect(t.clock.pendingTimers()).toBe(0);
    t.recorder.dhcp(dhcp(3));
    expect(await t.dropped('stopping')).toBe(1);
  });

  it('lets the DHCP intake serve every request while the queue is full: the capture drops, serving does not', async () => {
    const t = await setup({ maxQueued: 4 });
    const id = await t.enrol(parseMac('02:fb:ca:00:00:02')); // udhcpc's, in the golden DISCOVER
    const metrics = createMetrics({ processMetrics: false });
    let sent = 0;
    const intake = new DhcpIntake({
      interfaceName: 'eth1',
      interfaceAddress: SERVER,
      handler: () =>
        Promise.resolve({
          kind: 'reply',
          bytes: Uint8Array.of(2, 1, 6, 0),
          destination: { address: parseIpv4('255.255.255.255'), port: 68 },
          label: 'DHCPOFFER',
        }),
      send: () => {
        sent += 1;
        return Promise.resolve();
      },
      metrics: dhcpTransportMetrics(metrics),
      logger: memoryLogger('info').logger,
      clock: t.clock,
      capture: t.recorder.dhcp,
    });
    // 20 exchanges in one turn of the event loop: 40 packets for a queue of 4.
    for (let i = 0; i < 20; i++)
      intake.accept(golden('udhcpc-discover'), 67, { address: '0.0.0.0', port: 68 });
    await intake.idle();
    expect(sent).toBe(20);
    expect(metricValue(await metrics.metrics(), 'fleetboot_dhcp_replies_total')).toBe(20);
    await t.recorder.flush();
    expect(await t.dropped('queue-full')).toBe(36);
    expect(await t.store.captures.list(id)).toHaveLength(4);
  });
});
