// A server on two segments (issue 3 item 6; docs/dhcp-interfaces.md): one DhcpListener per interface, each socket
// pinned with SO_BINDTODEVICE. The server runs in a lab namespace (a child process: Node cannot enter one), with a
// test engine whose replies name the interface and port that received the request.
//
// "Nothing leaked" is asserted with sentinels, not timeouts: a socket delivers datagrams in order and a segment
// carries them in order, so once the reply to a later request has arrived, a stray copy of an earlier one would
// have arrived before it.
import { beforeAll, expect, it } from 'vitest';
import type { Host, Switch } from '../../src/lab/index.js';
import { golden, rawPacket } from '../protocol/dhcp4/support.js';
import { describeLab, useLab } from '../support/lab.js';
import {
  type ExchangeEvent,
  FixtureProcess,
  metricValue,
  type ReceivedEvent,
  toHex,
  udpCounters,
  eventually,
} from './fixtures/lab-peers.js';
import { QUIET_XID_BYTE } from './fixtures/line-protocol.js';

const DISCOVER = toHex(golden('udhcpc-discover'));

function withGiaddr(hex: string, giaddr: readonly number[]): string {
  const bytes = Buffer.from(hex, 'hex');
  bytes.set(giaddr, 24);
  bytes[3] = 1; // hops: one relay
  return bytes.toString('hex');
}

describeLab('DHCP listeners on two segments', () => {
  const lab = useLab('dhcp-listener-segments');
  let server: Host;
  let if0: string;
  let if1: string;
  let dhcp: FixtureProcess;
  let a: FixtureProcess;
  let b: FixtureProcess;
  let nextXid = 0x0a000001;

  /** Sends one DISCOVER from `peer` to 255.255.255.255:67 and returns the reply it receives (matched by xid). */
  async function exchange(peer: FixtureProcess, hex = DISCOVER, to = '255.255.255.255', port = 67) {
    const xid = nextXid++;
    await peer.request({ op: 'send', to, port, hex, xidStart: xid }, 'sent');
    const reply = await peer.waitFor<ReceivedEvent>('received', (e) => e.xid === xid);
    const seen = await dhcp.waitFor<ExchangeEvent>('exchange', (e) => e.xid === xid);
    return { xid, reply, seen };
  }

  const xidsOf = (events: readonly { xid: number | null }[]) => events.map((e) => e.xid);

  beforeAll(async () => {
    const sw0: Switch = await lab().addSwitch();
    const sw1: Switch = await lab().addSwitch();
    server = await lab().addHost('server', { switch: sw0, address: '198.18.0.1/24' });
    await lab().connect(server, sw1, { address: '198.18.1.1/24' });
    [if0, if1] = server.interfaces.map((i) => i.name) as [string, string];
    const hostA = await lab().addHost('a', { switch: sw0 });
    const hostB = await lab().addHost('b', { switch: sw1 });
    dhcp = FixtureProcess.server(server, {
      interfaces: [if0, if1],
      ports: [67, 4011],
      logLevel: 'debug',
      packetLogRate: { perSecond: 10, burst: 20 },
    });
    a = FixtureProcess.peer(hostA, { interface: hostA.interfaces[0]!.name, port: 68 });
    b = FixtureProcess.peer(hostB, { interface: hostB.interfaces[0]!.name, port: 68 });
    await Promise.all([dhcp.waitFor('ready', () => true, 20_000), a.waitFor('ready'), b.waitFor('ready')]);
  });

  it('pins every socket to its interface: ss shows 0.0.0.0%<interface> for ports 67 and 4011, and nothing unpinned', async () => {
    const ss = await server.exec('ss', ['-Huln']);
    const local = ss.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[3])
      .filter((address): address is string => address !== undefined)
      .sort();
    expect(local).toEqual(
      [`0.0.0.0%${if0}:4011`, `0.0.0.0%${if0}:67`, `0.0.0.0%${if1}:4011`, `0.0.0.0%${if1}:67`].sort(),
    );
  });

  it('answers a broadcast only from the socket of its segment, and the reply reaches only that segment', async () => {
    const a1 = await exchange(a);
    const b1 = await exchange(b); // sentinel for a1: a stray copy of a1 on segment 1 would be seen before b1
    const a2 = await exchange(a); // sentinel for b1, the other way round

    expect(a1.reply).toMatchObject({ sname: if0, file: 'port-67', fromPort: 67, from: '198.18.0.1' });
    expect(b1.reply).toMatchObject({ sname: if1, file: 'port-67', fromPort: 67, from: '198.18.1.1' });
    expect(a2.reply.sname).toBe(if0);
    expect(xidsOf(a.events<ReceivedEvent>('received'))).toEqual([a1.xid, a2.xid]);
    expect(xidsOf(b.events<ReceivedEvent>('received'))).toEqual([b1.xid]);

    const seen = dhcp.events<ExchangeEvent>('exchange');
    expect(seen.filter((e) => e.interface === if0).map((e) => e.xid)).toEqual([a1.xid, a2.xid]);
    expect(seen.filter((e) => e.interface === if1).map((e) => e.xid)).toEqual([b1.xid]);
    expect(a1.seen).toMatchObject({
      address: '198.18.0.1',
      port: 67,
      source: { address: '0.0.0.0', port: 68 },
    });
    expect(b1.seen).toMatchObject({ address: '198.18.1.1', port: 67 });
  });

  it('needs no route: the server namespace has no default route and no route to 255.255.255.255, yet replies leave', async () => {
    const routes = await server.exec('ip', ['-4', 'route', 'show', 'default']);
    expect(routes.code).toBe(0);
    expect(routes.stdout.trim()).toBe('');
    // Without SO_BINDTODEVICE the kernel has nowhere to send a limited broadcast from this namespace.
    const lookup = await server.exec('ip', ['-4', 'route', 'get', '255.255.255.255']);
    expect(lookup.code).not.toBe(0);
    expect(lookup.stderr).toMatch(/unreachable/i);

    const b2 = await exchange(b);
    expect(b2.reply).toMatchObject({ sname: if1, from: '198.18.1.1' });
  });

  it('answers port 4011 from port 4011, back to the source address and port', async () => {
    const hostC = await lab().addHost('c', { switch: lab().switches[0]!, address: '198.18.0.10/24' });
    const c = FixtureProcess.peer(hostC, { interface: hostC.interfaces[0]!.name, port: 68 });
    await c.waitFor('ready');
    const c1 = await exchange(c, DISCOVER, '198.18.0.1', 4011);
    expect(c1.reply).toMatchObject({ from: '198.18.0.1', fromPort: 4011, sname: if0, file: 'port-4011' });
    expect(c1.seen).toMatchObject({
      interface: if0,
      port: 4011,
      source: { address: '198.18.0.10', port: 68 },
    });
    await c.stop();
  });

  it('receives relayed unicast on the socket of the interface it arrives on and answers the relay on port 67', async () => {
    const relayHost = await lab().addHost('relay', { switch: lab().switches[1]!, address: '198.18.1.2/24' });
    const relay = FixtureProcess.peer(relayHost, { interface: relayHost.interfaces[0]!.name, port: 67 });
    await relay.waitFor('ready');
    const r1 = await exchange(relay, withGiaddr(DISCOVER, [198, 18, 1, 2]), '198.18.1.1', 67);
    expect(r1.seen).toMatchObject({ interface: if1, port: 67, source: { address: '198.18.1.2', port: 67 } });
    expect(r1.reply).toMatchObject({ from: '198.18.1.1', fromPort: 67, sname: if1 });
    await relay.stop();
  });

  it('drops bad datagrams, counting each once by reason, and answers the next good one (D01, D02, D04, D05, D28)', async () => {
    const before = await dhcp.metrics();
    const bad: [string, string][] = [
      ['parse:short', ''],
      ['parse:short', '00'.repeat(100)],
      ['parse:cookie', toHex(rawPacket({ cookie: [0x63, 0x82, 0x53, 0x64], options: [53, 1, 1, 255] }))],
      ['op', toHex(golden('udhcpd-offer'))],
      ['too-big', '01'.repeat(16_385)],
    ];
    for (const [, hex] of bad) await a.request({ op: 'send', to: '255.255.255.255', port: 67, hex }, 'sent');
    const good = await exchange(a); // the sentinel: every bad datagram before it has been handled
    expect(good.reply.sname).toBe(if0);

    const after = await dhcp.metrics();
    const delta = (labels: Record<string, string>) =>
      metricValue(after, 'fleetboot_dhcp_dropped_total', labels) -
      metricValue(before, 'fleetboot_dhcp_dropped_total', labels);
    expect(delta({ interface: if0, reason: 'parse:short' })).toBe(2);
    expect(delta({ interface: if0, reason: 'parse:cookie' })).toBe(1);
    expect(delta({ interface: if0, reason: 'op' })).toBe(1);
    expect(delta({ interface: if0, reason: 'too-big' })).toBe(1);
    expect(delta({ interface: if0 })).toBe(5);
    expect(delta({ interface: if1 })).toBe(0);
    // The engine saw only the good one, and no reply went out for the bad ones.
    expect(dhcp.events<ExchangeEvent>('exchange').at(-1)?.xid).toBe(good.xid);
    expect(a.events<ReceivedEvent>('received').at(-1)?.xid).toBe(good.xid);
    expect(
      a.events<ReceivedEvent>('received').filter((e) => e.xid !== null && e.xid >>> 24 !== 0x0a),
    ).toEqual([]);
  });

  it('turns a flood of 10 000 garbage datagrams into counters, a bounded number of log lines, and keeps answering (I1, I5)', async () => {
    const logLines = () => dhcp.lines().filter((l) => typeof l['level'] === 'number').length;
    const linesBefore = logLines();
    const snmpBefore = await udpCounters(server);
    const metricsBefore = await dhcp.metrics();
    const received = (text: string) => metricValue(text, 'fleetboot_dhcp_received_total', { interface: if0 });
    const started = Date.now();
    await a.request(
      { op: 'garbage', to: '255.255.255.255', port: 67, count: 10_000, seed: 7, hex: DISCOVER },
      'sent',
      30_000,
    );

    // Every datagram sent is either received by the listener or counted by the kernel as a buffer overflow.
    const accounted = await eventually(
      'all 10 000 datagrams accounted for',
      async () => {
        const [text, snmp] = [await dhcp.metrics(), await udpCounters(server)];
        const lost = (snmp['RcvbufErrors'] ?? 0) - (snmpBefore['RcvbufErrors'] ?? 0);
        const got = received(text) - received(metricsBefore);
        const inFlight = metricValue(text, 'fleetboot_dhcp_in_flight', { interface: if0 });
        return got + lost === 10_000 && inFlight === 0 ? { text, got } : undefined;
      },
      30_000,
    );
    const seconds = (Date.now() - started) / 1000;

    const counted = (name: string) =>
      metricValue(accounted.text, name, { interface: if0 }) -
      metricValue(metricsBefore, name, { interface: if0 });
    expect(counted('fleetboot_dhcp_dropped_total') + counted('fleetboot_dhcp_replies_total')).toBe(
      accounted.got,
    );
    expect(accounted.got).toBeGreaterThan(5000);
    // packetLogRate is 10 a second with a burst of 20: without the limiter this would be ~10 000 lines.
    expect(logLines() - linesBefore).toBeLessThanOrEqual(20 + Math.ceil(10 * seconds) + 2);

    const after = await exchange(a);
    expect(after.reply.sname).toBe(if0);
  }, 90_000);

  it('drops what the engine drops, by its reason, with no reply', async () => {
    const before = await dhcp.metrics();
    const xid = (QUIET_XID_BYTE << 24) >>> 0;
    await a.request({ op: 'send', to: '255.255.255.255', port: 67, hex: DISCOVER, xidStart: xid }, 'sent');
    await dhcp.waitFor<ExchangeEvent>('exchange', (e) => e.xid === xid);
    const good = await exchange(a);
    const after = await dhcp.metrics();
    const quiet = { interface: if0, reason: 'test-quiet' };
    expect(
      metricValue(after, 'fleetboot_dhcp_dropped_total', quiet) -
        metricValue(before, 'fleetboot_dhcp_dropped_total', quiet),
    ).toBe(1);
    expect(a.events<ReceivedEvent>('received').some((e) => e.xid === xid)).toBe(false);
    expect(good.reply.sname).toBe(if0);
  });
});
