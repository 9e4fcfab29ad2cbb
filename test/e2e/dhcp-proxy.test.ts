import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { LabProcess } from '../../src/lab/index.js';
import { TSX_LOADER } from '../support/cli.js';
import { describeLab, useLab } from '../support/lab.js';
import { metricValue } from '../net/fixtures/lab-peers.js';
import {
  dhclientOnce,
  fetchMetrics,
  startFleetboot,
  startSiteDnsmasq,
  stopDhclient,
  writeDhcpLabConfig,
} from './fixtures/lab-peers.js';

const PXE_CLIENT = fileURLToPath(new URL('./fixtures/pxe-proxy-client.ts', import.meta.url));
const FLEETBOOT = '198.18.0.1';
const SITE = '198.18.0.2';

interface Reply {
  readonly type: string;
  readonly fromPort: number;
  readonly serverId: string | null;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly file: string;
  readonly vendorClass: string | null;
  readonly leaseTime: number | null;
}

const repliesOf = (p: LabProcess): Reply[] =>
  p
    .lines()
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Reply);

// protocol-digest §2.5, issue 3 item 3: dnsmasq is the site's plain DHCP server (no PXE options); fleetboot serve
// runs in proxy mode on another host of the segment and adds only the boot information.
describeLab('fleetboot serve with dhcp.mode proxy beside dnsmasq', () => {
  const lab = useLab('dhcpproxy');
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-proxy-'));

  it('a PXE client gets its address from dnsmasq and its boot file from fleetboot; dhclient only dnsmasq', async () => {
    const sw = await lab().addSwitch();
    const server = await lab().addHost('server', { switch: sw, address: `${FLEETBOOT}/24` });
    const site = await lab().addHost('site', { switch: sw, address: `${SITE}/24` });
    const pxe = await lab().addHost('pxe', { switch: sw, mac: '52:54:00:fc:00:01' });
    const plain = await lab().addHost('plain', { switch: sw, mac: '52:54:00:fc:00:02' });

    const dnsmasq = await startSiteDnsmasq(site, {
      interfaceName: site.interfaces[0]!.name,
      range: '198.18.0.100,198.18.0.150,255.255.255.0,10m',
      dir,
      noPing: true,
    });

    const configFile = writeDhcpLabConfig(dir, `${FLEETBOOT}:8080`, [
      'mode: proxy',
      `interfaces: [${server.interfaces[0]!.name}]`,
    ]);
    const fleetboot = await startFleetboot(server, configFile);

    const client = (args: object) =>
      pxe.run(process.execPath, [
        '--import',
        TSX_LOADER,
        PXE_CLIENT,
        JSON.stringify({ interface: pxe.interfaces[0]!.name, mac: '52:54:00:fc:00:01', ...args }),
      ]);

    // Steps 1–3: both servers answer the DISCOVER; the client takes its address from dnsmasq.
    const dora = client({ step: 'dora' });
    await dora.waitForLine('DONE', { timeoutMs: 30_000 });
    const replies = repliesOf(dora);
    const siteOffer = replies.find((r) => r.type === 'offer' && r.serverId === SITE);
    const proxyOffer = replies.find((r) => r.type === 'offer' && r.serverId === FLEETBOOT);
    expect(siteOffer, dora.lines().join('\n')).toBeDefined();
    expect(siteOffer!.yiaddr).toMatch(/^198\.18\.0\.1[0-5]\d$/);
    expect(proxyOffer, dora.lines().join('\n')).toMatchObject({
      yiaddr: '0.0.0.0',
      siaddr: FLEETBOOT,
      file: 'snponly.efi',
      vendorClass: 'PXEClient',
      leaseTime: null,
    });
    const ack = replies.find((r) => r.type === 'ack');
    expect(ack).toMatchObject({ serverId: SITE, yiaddr: siteOffer!.yiaddr });
    // fleetboot never ACKs or NAKs on 67.
    expect(replies.filter((r) => r.serverId === FLEETBOOT).map((r) => r.type)).toEqual(['offer']);

    // Step 4: with its address, the client asks fleetboot:4011 (from 4011, as EDK2) and gets the boot file back,
    // from port 4011.
    const address = siteOffer!.yiaddr;
    expect(
      (await pxe.exec('ip', ['addr', 'add', `${address}/24`, 'dev', pxe.interfaces[0]!.name])).code,
    ).toBe(0);
    const bootRequest = client({ step: 'boot', server: FLEETBOOT, address });
    await bootRequest.waitForLine('DONE', { timeoutMs: 30_000 });
    expect(repliesOf(bootRequest)).toEqual([
      {
        type: 'ack',
        fromPort: 4011,
        serverId: FLEETBOOT,
        yiaddr: '0.0.0.0',
        siaddr: FLEETBOOT,
        file: 'snponly.efi',
        vendorClass: 'PXEClient',
        leaseTime: null,
      },
    ]);

    // An ordinary client: its lease from dnsmasq, and fleetboot silent.
    const bound = await dhclientOnce(plain, dir);
    expect(bound.stderr).toMatch(new RegExp(`DHCPOFFER of 198\\.18\\.0\\.1[0-5]\\d from ${SITE}`));
    expect(bound.stderr).toMatch(/bound to 198\.18\.0\.1[0-5]\d/);
    expect(bound.stderr).not.toContain(`from ${FLEETBOOT}`);
    await stopDhclient(plain, dir);

    const metrics = await fetchMetrics(server, `${FLEETBOOT}:8080`);
    expect(
      metricValue(metrics, 'fleetboot_dhcp_dropped_total', { reason: 'not-netboot' }),
    ).toBeGreaterThanOrEqual(2); // DISCOVER and REQUEST
    // Beside the site's server no rogue watch runs: dnsmasq is expected here, never reported.
    expect(metrics).not.toMatch(/^fleetboot_dhcp_rogue_dhcp_seen_total\{/m);
    await fleetboot.stop(10_000);
    await dnsmasq.stop(10_000);
  }, 180_000);
});
