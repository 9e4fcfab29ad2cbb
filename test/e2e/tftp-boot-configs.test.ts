import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Host } from '../../src/lab/index.js';
import { describeLab, useLab } from '../support/lab.js';
import { serveBootLab, SERVER } from './fixtures/boot-lab.js';
import { dhclientOnce, stopDhclient } from './fixtures/lab-peers.js';

// Issue 4 item 3 through `fleetboot serve`: the configs are generated per requesting client, identified by its
// DHCP lease, and fetched by a real TFTP client (tftp-hpa) from inside the lab.

const MAC = '52:54:00:fe:00:01';

describeLab('generated pxelinux and GRUB configs, served by fleetboot serve to tftp-hpa', () => {
  const lab = useLab('bootcfg');
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-bootcfg-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** `tftp-hpa get NAME` from `host`: the content, or the client's error text. */
  async function get(host: Host, name: string): Promise<{ ok: boolean; text: string }> {
    const target = path.join(dir, `got-${host.name}-${name.replace(/\//g, '_')}`);
    const result = await host.exec('tftp', ['-m', 'binary', SERVER, '-c', 'get', name, target], {
      timeoutMs: 20_000,
    });
    const output = result.stdout + result.stderr;
    if (/Error code|Transfer timed out/.test(output) || !existsSync(target))
      return { ok: false, text: output };
    return { ok: true, text: readFileSync(target, 'utf8') };
  }

  it('answers a leased machine by its MAC, nobody else by that MAC, and others with the default', async () => {
    const sw = await lab().addSwitch();
    const server = await lab().addHost('server', { switch: sw, address: `${SERVER}/24` });
    const leased = await lab().addHost('leased', { switch: sw, mac: MAC });
    // Another DHCP server's client, as in proxy mode: an address fleetboot never leased.
    const stranger = await lab().addHost('stranger', { switch: sw, address: '198.18.0.77/24' });
    const root = path.join(dir, 'tftp');
    mkdirSync(root, { mode: 0o755 });
    const fleetboot = await serveBootLab(
      server,
      dir,
      root,
      [],
      [
        'bootConfigs:',
        '  default: {localboot: true, label: Boot from local disk}',
        '  machines:',
        `    - mac: "${MAC}"`,
        '      label: Install Debian 12',
        '      kernel: debian-installer/amd64/linux',
        '      initrd: [debian-installer/amd64/initrd.gz]',
        '      append: auto=true priority=critical --- quiet',
      ],
    );
    try {
      const bound = await dhclientOnce(leased, dir);
      const address = /bound to (198\.18\.0\.\d+)/.exec(bound.stderr)?.[1];
      expect(address, bound.stderr).toBeDefined();
      const iface = leased.interfaces[0]!.name;
      expect((await leased.exec('ip', ['addr', 'add', `${address!}/24`, 'dev', iface])).code).toBe(0);
      const hex = address!
        .split('.')
        .map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
        .join('');

      // The leased machine: its MAC name, its hex-IP name and GRUB's plain grub.cfg all carry its entry.
      const byMac = await get(leased, 'pxelinux.cfg/01-52-54-00-fe-00-01');
      expect(byMac.text).toContain('KERNEL ::debian-installer/amd64/linux\n');
      expect(byMac.text).toContain('APPEND auto=true priority=critical --- quiet\n');
      expect((await get(leased, `pxelinux.cfg/${hex}`)).text).toBe(byMac.text);
      const grub = await get(leased, 'grub/grub.cfg');
      expect(grub.text).toContain(
        "\tlinux '/debian-installer/amd64/linux' 'auto=true' 'priority=critical' '---' 'quiet'\n",
      );
      // Another machine's name is not this client's: not found.
      expect((await get(leased, 'pxelinux.cfg/01-52-54-00-fe-00-02')).text).toMatch(/File not found/);

      // A client without a lease of fleetboot's cannot claim the machine's MAC name, and gets the default.
      expect((await get(stranger, 'pxelinux.cfg/01-52-54-00-fe-00-01')).text).toMatch(/File not found/);
      expect((await get(stranger, 'pxelinux.cfg/C612004D')).text).toContain('LOCALBOOT 0\n');
      expect((await get(stranger, 'grub/grub.cfg')).text).toContain(
        "menuentry 'Boot from local disk' --id 'local' {\n\texit\n}\n",
      );
      expect((await get(stranger, 'pxelinux.cfg/default')).text).toContain('LOCALBOOT 0\n');
    } finally {
      await stopDhclient(leased, dir);
      await fleetboot.stop(10_000);
    }
  }, 120_000);
});
