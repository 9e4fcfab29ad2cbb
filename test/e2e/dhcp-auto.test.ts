import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { Host, LabProcess } from '../../src/lab/index.js';
import { describeLab, useLab } from '../support/lab.js';
import {
  dhclientOnce,
  startFleetboot,
  startSiteDnsmasq,
  stopDhclient,
  writeDhcpLabConfig,
} from './fixtures/lab-peers.js';

const FLEETBOOT = '198.18.0.1';
const SITE = '198.18.0.2';

interface LogLine {
  readonly msg: string;
  readonly mode?: string;
  readonly servers?: readonly { server: string; answeredProbe: boolean; offered: string }[];
}

const logLines = (p: LabProcess): LogLine[] =>
  p
    .lines('stderr')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

function writeAutoConfig(dir: string, server: Host): string {
  return writeDhcpLabConfig(dir, `${FLEETBOOT}:8080`, [
    'mode: auto',
    `interfaces: [${server.interfaces[0]!.name}]`,
    'subnets:',
    '  - subnet: 198.18.0.0/24',
    '    pools: [{start: 198.18.0.200, end: 198.18.0.220}]',
    '    dns: [198.18.0.1]',
  ]);
}

// Issue 3 item 3: `dhcp.mode: auto` probes the segment at start with a DISCOVER from the server's interface and is
// proxyDHCP beside another DHCP server, a full server where there is none, and logs which and why.
describeLab('fleetboot serve with dhcp.mode auto', () => {
  const lab = useLab('dhcpauto');

  it('is proxyDHCP beside a real dnsmasq, naming it; a plain client still leases only from dnsmasq', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-auto-proxy-'));
    const sw = await lab().addSwitch();
    const server = await lab().addHost('server', { switch: sw, address: `${FLEETBOOT}/24` });
    const site = await lab().addHost('site', { switch: sw, address: `${SITE}/24` });
    const plain = await lab().addHost('plain', { switch: sw, mac: '52:54:00:fa:00:02' });
    // dnsmasq as a site runs it: it pings a new address before offering it (up to 3 s), which the probe outwaits.
    const dnsmasq = await startSiteDnsmasq(site, {
      interfaceName: site.interfaces[0]!.name,
      range: '198.18.0.100,198.18.0.150,255.255.255.0,10m',
      dir,
    });

    const fleetboot = await startFleetboot(server, writeAutoConfig(dir, server));
    const chose = logLines(fleetboot).find((l) => l.msg.startsWith('dhcp.mode auto chose'));
    expect(chose, fleetboot.lines('stderr').join('\n')).toMatchObject({ mode: 'proxy' });
    const ifname = server.interfaces[0]!.name;
    expect(chose!.msg).toMatch(
      new RegExp(
        `^dhcp.mode auto chose proxy: .*${SITE} on ${ifname} answered our DISCOVER with 198\\.18\\.0\\.1[0-5]\\d`,
      ),
    );
    expect(chose!.servers).toEqual([expect.objectContaining({ server: SITE, answeredProbe: true })]);
    // The probe's DISCOVER reached dnsmasq as what it is.
    expect(dnsmasq.lines('stderr').join('\n')).toMatch(/vendor class: fleetboot-probe/);

    const bound = await dhclientOnce(plain, dir);
    expect(bound.stderr).toMatch(new RegExp(`DHCPOFFER of 198\\.18\\.0\\.1[0-5]\\d from ${SITE}`));
    expect(bound.stderr).not.toContain(`from ${FLEETBOOT}`);
    await stopDhclient(plain, dir);
    await fleetboot.stop(10_000);
    await dnsmasq.stop(10_000);
  }, 120_000);

  it('is a full server where no other DHCP server answers, and leases from its own pool', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-auto-full-'));
    const sw = await lab().addSwitch();
    const server = await lab().addHost('lone', { switch: sw, address: `${FLEETBOOT}/24` });
    const plain = await lab().addHost('client', { switch: sw, mac: '52:54:00:fa:00:03' });

    const fleetboot = await startFleetboot(server, writeAutoConfig(dir, server));
    const chose = logLines(fleetboot).find((l) => l.msg.startsWith('dhcp.mode auto chose'));
    expect(chose, fleetboot.lines('stderr').join('\n')).toMatchObject({ mode: 'full', servers: [] });
    expect(chose!.msg).toMatch(/no other DHCP server answered on \S+ \(3 DISCOVERs, [\d.]+ s\)/);

    const bound = await dhclientOnce(plain, dir);
    expect(bound.stderr).toMatch(new RegExp(`DHCPOFFER of 198\\.18\\.0\\.2[0-2]\\d from ${FLEETBOOT}`));
    expect(bound.stderr).toMatch(/bound to 198\.18\.0\.2[0-2]\d/);
    await stopDhclient(plain, dir);
    await fleetboot.stop(10_000);
  }, 120_000);
});
