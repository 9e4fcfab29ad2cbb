// The rogue-server watch (catalogue §5, D05, S10) with a FakeClock and a probe function in place of the network
// (the probe itself is tested on lo in test/net/dhcp-probe.test.ts and in the lab in test/e2e/dhcp-rogue.test.ts).
import { describe, expect, it } from 'vitest';
import type { ForeignServer } from '../../../src/dhcp/probe/answers.js';
import { RogueWatch } from '../../../src/dhcp/probe/rogue-watch.js';
import type { SegmentProbe } from '../../../src/dhcp/probe/segment.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import { decodeDhcpMessage, type DhcpMessage } from '../../../src/protocol/dhcp4/index.js';
import { type Ipv4, parseIpv4 } from '../../../src/values/ipv4.js';
import { FakeClock } from '../../support/fake-clock.js';
import { memoryLogger } from '../../support/logger.js';
import { golden } from '../../protocol/dhcp4/support.js';

const ip = (text: string): Ipv4 => parseIpv4(text);
const OURS = new Set([ip('198.18.0.10')]);
const ROGUE: ForeignServer = {
  server: ip('198.18.0.2'),
  source: ip('198.18.0.2'),
  offered: ip('198.18.0.120'),
  type: 'offer',
  answeredProbe: true,
};

const found = (interfaceName: string, servers: ForeignServer[]): SegmentProbe => ({
  interfaceName,
  servers,
  transport: { sent: 3, received: servers.length, undecodable: 0, endedEarly: false, elapsedMs: 6000 },
});

async function sample(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.getSingleMetric(name)?.get();
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

function watch(probe: (name: string) => Promise<SegmentProbe>, intervalMs = 300_000) {
  const clock = new FakeClock();
  const { logger, lines } = memoryLogger('debug');
  const metrics = createMetrics();
  const calls: string[] = [];
  const rogue = new RogueWatch({
    interfaces: ['eth1', 'eth2'],
    intervalMs,
    clock,
    logger,
    metrics,
    probe: (name) => {
      calls.push(name);
      return probe(name);
    },
    ownAddresses: () => OURS,
  });
  const warnings = () => lines().filter((l) => l.level === 40);
  return { clock, metrics, calls, rogue, warnings };
}

describe('RogueWatch', () => {
  it('S10: probes every interface at start and again each interval, counting and naming what it finds', async () => {
    let present = false;
    const w = watch((name) => Promise.resolve(found(name, present && name === 'eth1' ? [ROGUE] : [])));
    await w.rogue.start();
    await w.clock.advance(0);
    expect(w.calls).toEqual(['eth1', 'eth2']);
    expect(await sample(w.metrics, 'fleetboot_dhcp_rogue_servers', { interface: 'eth1' })).toBe(0);
    expect(w.warnings()).toEqual([]);

    present = true; // a second DHCP server appears on eth1
    await w.clock.advance(300_000);
    expect(w.calls).toEqual(['eth1', 'eth2', 'eth1', 'eth2']);
    expect(await sample(w.metrics, 'fleetboot_dhcp_rogue_servers', { interface: 'eth1' })).toBe(1);
    expect(await sample(w.metrics, 'fleetboot_dhcp_rogue_servers', { interface: 'eth2' })).toBe(0);
    expect(
      await sample(w.metrics, 'fleetboot_dhcp_rogue_dhcp_seen_total', { interface: 'eth1', via: 'probe' }),
    ).toBe(1);
    const [warning] = w.warnings();
    expect(warning).toMatchObject({
      interface: 'eth1',
      via: 'probe',
      server: '198.18.0.2',
      offered: '198.18.0.120',
    });
    expect(warning?.msg).toMatch(
      /another DHCP server leases addresses on eth1.*198\.18\.0\.2 handed out 198\.18\.0\.120/,
    );

    present = false; // gone again: the gauge says so at the next round
    await w.clock.advance(300_000);
    expect(await sample(w.metrics, 'fleetboot_dhcp_rogue_servers', { interface: 'eth1' })).toBe(0);
    await w.rogue.stop();
    await w.clock.advance(600_000);
    expect(w.calls).toHaveLength(6);
    expect(w.clock.pendingTimers()).toBe(0);
  });

  it('keeps checking, and keeps DHCP up, when a probe cannot run; says so once a minute at most', async () => {
    const w = watch(() => Promise.reject(new Error('port 68 is taken')), 30_000);
    await w.rogue.start();
    await w.clock.advance(0);
    await w.clock.advance(30_000);
    await w.clock.advance(30_000);
    expect(w.calls).toHaveLength(6);
    const failures = w
      .warnings()
      .filter((l) => String(l.msg).startsWith('the check for another DHCP server'));
    expect(failures.map((l) => l.interface)).toEqual(['eth1', 'eth2', 'eth1', 'eth2']);
    await w.rogue.stop();
  });

  it('with interval 0 never probes, but still reports replies on port 67', async () => {
    const w = watch((name) => Promise.resolve(found(name, [ROGUE])), 0);
    await w.rogue.start();
    await w.clock.advance(3_600_000);
    expect(w.calls).toEqual([]);
    w.rogue.sawServerReply('eth1', decodeDhcpMessage(golden('udhcpd-offer')), {
      address: '198.18.0.1',
      port: 67,
    });
    expect(
      await sample(w.metrics, 'fleetboot_dhcp_rogue_dhcp_seen_total', {
        interface: 'eth1',
        via: 'server-port',
      }),
    ).toBe(1);
    await w.rogue.stop();
  });

  it('D05: counts each foreign OFFER or ACK on port 67, warns once a minute per server, ignores our own', async () => {
    const w = watch((name) => Promise.resolve(found(name, [])), 0);
    await w.rogue.start();
    const offer = decodeDhcpMessage(golden('udhcpd-offer')); // from 198.18.0.1 offering 198.18.0.134
    const fromUs: DhcpMessage = {
      ...offer,
      options: { ...offer.options, serverIdentifier: ip('198.18.0.10') },
    };
    const proxyOffer: DhcpMessage = { ...offer, yourAddress: ip('0.0.0.0') };
    for (let i = 0; i < 5; i += 1) w.rogue.sawServerReply('eth1', offer, { address: '198.18.0.1', port: 67 });
    w.rogue.sawServerReply('eth1', fromUs, { address: '198.18.0.10', port: 67 });
    w.rogue.sawServerReply('eth1', proxyOffer, { address: '198.18.0.1', port: 67 });
    expect(
      await sample(w.metrics, 'fleetboot_dhcp_rogue_dhcp_seen_total', {
        interface: 'eth1',
        via: 'server-port',
      }),
    ).toBe(5);
    expect(w.warnings()).toHaveLength(1);
    await w.clock.advance(61_000);
    w.rogue.sawServerReply('eth1', offer, { address: '198.18.0.1', port: 67 });
    expect(w.warnings()).toHaveLength(2);
    await w.rogue.stop();
  });
});
