import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { metricValue } from '../net/fixtures/lab-peers.js';
import { describeLab, useLab } from '../support/lab.js';
import { fetchMetrics, startFleetboot, startSiteDnsmasq, writeDhcpLabConfig } from './fixtures/lab-peers.js';

const FLEETBOOT = '198.18.0.1';
const ROGUE = '198.18.0.2';
const HTTP = `${FLEETBOOT}:8080`;

// Catalogue S10 (and §5's rogue-server row): fleetboot is the DHCP server of the segment; a second DHCP server
// (a real dnsmasq) appears on it; the periodic probe finds it within one interval, counts it, and warns naming it.
describeLab('fleetboot serve in mode full notices a second DHCP server on its segment', () => {
  const lab = useLab('dhcprogue');

  it('S10: a dnsmasq started beside it is warned about and counted within one check interval', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-rogue-'));
    const sw = await lab().addSwitch();
    const server = await lab().addHost('server', { switch: sw, address: `${FLEETBOOT}/24` });
    const rogue = await lab().addHost('rogue', { switch: sw, address: `${ROGUE}/24` });
    const configFile = writeDhcpLabConfig(dir, HTTP, [
      'mode: full',
      `interfaces: [${server.interfaces[0]!.name}]`,
      'rogueCheckInterval: 30',
      'subnets:',
      '  - subnet: 198.18.0.0/24',
      '    pools: [{start: 198.18.0.200, end: 198.18.0.220}]',
      '    dns: [198.18.0.1]',
    ]);
    const fleetboot = await startFleetboot(server, configFile);
    const warned = () =>
      fleetboot.lines('stderr').filter((l) => l.includes('another DHCP server leases addresses'));

    // The check at start: nothing else here. Our own DISCOVER, looped back to our listener, is not served.
    let metrics = '';
    for (let i = 0; i < 40; i += 1) {
      metrics = await fetchMetrics(server, HTTP);
      if (metricValue(metrics, 'fleetboot_dhcp_dropped_total', { reason: 'own-probe' }) >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(metricValue(metrics, 'fleetboot_dhcp_dropped_total', { reason: 'own-probe' })).toBe(3);
    expect(metricValue(metrics, 'fleetboot_dhcp_replies_total')).toBe(0);
    expect(metricValue(metrics, 'fleetboot_dhcp_rogue_servers')).toBe(0);
    expect(warned()).toEqual([]);

    const dnsmasq = await startSiteDnsmasq(rogue, {
      interfaceName: rogue.interfaces[0]!.name,
      range: '198.18.0.100,198.18.0.150,255.255.255.0,10m',
      dir,
    });
    // Within one interval (30 s) plus the probe's own 6 s.
    await fleetboot.waitForLine(/another DHCP server leases addresses/, {
      timeoutMs: 45_000,
      stream: 'stderr',
    });
    const [line] = warned();
    expect(JSON.parse(line!)).toMatchObject({
      level: 40,
      interface: server.interfaces[0]!.name,
      via: 'probe',
      server: ROGUE,
      answeredProbe: true,
    });
    metrics = await fetchMetrics(server, HTTP);
    expect(metricValue(metrics, 'fleetboot_dhcp_rogue_dhcp_seen_total', { via: 'probe' })).toBe(1);
    expect(metricValue(metrics, 'fleetboot_dhcp_rogue_servers')).toBe(1);
    await fleetboot.stop(10_000);
    await dnsmasq.stop(10_000);
  }, 120_000);
});
