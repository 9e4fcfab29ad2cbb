import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startQemu } from '../../src/lab/index.js';
import { openStore } from '../../src/store/open.js';
import { describeLab, useLab } from '../support/lab.js';
import { makeRoot, serveBootLab, SERVER, tftpOf, waitForTimeline } from './fixtures/boot-lab.js';

// Issue 4 "Real peers": real firmware PXE-boots from `fleetboot serve` (DHCP full + TFTP) on a lab bridge, under
// QEMU's software emulation. Debian's binaries: OVMF (ovmf), iPXE (ipxe, ipxe-qemu), pxelinux (pxelinux,
// syslinux-common), all installed by scripts/setup-test.sh.

const SNPONLY = '/usr/lib/ipxe/snponly.efi';

// The ROM is iPXE (user class "iPXE"), so DHCP hands it the boot table's `ipxe` entry; dhcp.bootFiles gives it
// `pxelinux.0` (and the same to a BIOS ROM that is not iPXE), as a site booting pxelinux menus would configure.
const IPXE_GETS_PXELINUX = ['bootFiles: {ipxe: pxelinux.0, bios: pxelinux.0}'];

const PXELINUX = '/usr/lib/PXELINUX/pxelinux.0';
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32';

describeLab('QEMU PXE clients booting from fleetboot serve', () => {
  const lab = useLab('qemupxe');
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-qemu-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  /** A segment of its own per test: a switch, fleetboot's host on it, a scratch directory. */
  const segment = async (name: string) => {
    const sw = await lab().addSwitch();
    const server = await lab().addHost(`${name}srv`, { switch: sw, address: `${SERVER}/24` });
    return { sw, server, sub: mkdtempSync(path.join(dir, `${name}-`)) };
  };

  it('OVMF (UEFI x64) gets the arch-7 loader and fetches it through the tsize probe', async () => {
    const { sw, server, sub } = await segment('uefi');
    const root = makeRoot(sub, { 'snponly.efi': SNPONLY });
    const fleetboot = await serveBootLab(server, sub, root);
    const store = await openStore(
      { dialect: 'sqlite', file: path.join(sub, 'data', 'fleetboot.db') },
      { dataDir: sub },
    );
    const mac = '52:54:00:fd:00:07';
    const vm = startQemu(await lab().addTap(sw), {
      firmware: 'uefi',
      mac,
      uuid: '8f2e1a40-5c3b-4d21-9e7f-0a1b2c3d4e07',
      dir: sub,
    });
    try {
      const size = statSync(SNPONLY).size;
      // EDK2 (protocol-digest §2.8 item 2): an RRQ with tsize, aborted with ERROR 8 after the OACK, then the
      // transfer itself.
      const events = await waitForTimeline(
        store,
        mac,
        (e) => tftpOf(e).some((d) => d.file === 'snponly.efi' && d.result === 'ok'),
        240_000,
      );
      // The firmware's own DHCP exchange comes first (then the loader's: iPXE, which gets its script URL).
      const discover = events.find((e) => e.kind === 'DHCPDISCOVER');
      expect(discover?.details).toMatchObject({ arch: 7, firmware: 'uefi-x64', ipxe: false });
      const offer = events.find((e) => e.kind === 'DHCPOFFER');
      expect(offer?.details).toMatchObject({ bootFile: 'snponly.efi', bootVia: 'tftp' });
      const transfers = tftpOf(events).filter((d) => d.file === 'snponly.efi');
      expect(transfers[0]).toMatchObject({ result: 'probe', tsize: size });
      expect(transfers.find((d) => d.result === 'ok')).toMatchObject({ bytes: size, size });
      // The firmware's own words on its serial console, then the loader's: iPXE starting proves the bytes ran.
      await vm.waitForSerial(/Station IP address is 198\.18\.0\.1\d\d/, 30_000);
      await vm.waitForSerial(new RegExp(`NBP filesize is ${size} Bytes`), 30_000);
      await vm.waitForSerial(/NBP file downloaded successfully/, 30_000);
      await vm.waitForSerial(/iPXE initialising devices/, 60_000);
    } finally {
      await vm.stop();
      await store.close();
      await fleetboot.stop(10_000);
    }
  }, 330_000);

  it('SeaBIOS + iPXE loads pxelinux.0, ldlinux.c32 and the pxelinux config fleetboot generates for it', async () => {
    const { sw, server, sub } = await segment('bios');
    const root = makeRoot(sub, { 'pxelinux.0': PXELINUX, 'ldlinux.c32': LDLINUX });
    // Not a kernel: pxelinux only has to ask for it, by the path the generated config names.
    mkdirSync(path.join(root, 'boot'), { mode: 0o755 });
    writeFileSync(path.join(root, 'boot', 'vmlinuz'), randomBytes(4096), { mode: 0o644 });
    const mac = '52:54:00:fd:00:00';
    const uuid = '8f2e1a40-5c3b-4d21-9e7f-0a1b2c3d4e00';
    const fleetboot = await serveBootLab(server, sub, root, IPXE_GETS_PXELINUX, [
      'bootConfigs:',
      '  default: {localboot: true}',
      '  machines:',
      `    - mac: "${mac}"`,
      '      label: Install Debian 12 from the lab',
      '      kernel: boot/vmlinuz',
      '      append: auto=true priority=critical',
    ]);
    const store = await openStore(
      { dialect: 'sqlite', file: path.join(sub, 'data', 'fleetboot.db') },
      { dataDir: sub },
    );
    const vm = startQemu(await lab().addTap(sw), { firmware: 'bios', mac, uuid, dir: sub });
    try {
      const events = await waitForTimeline(
        store,
        mac,
        (e) => tftpOf(e).some((d) => d.file === 'boot/vmlinuz'),
        240_000,
      );
      // DHCP: the iPXE ROM (user class iPXE, arch 0) is offered pxelinux.0 over TFTP.
      const discover = events.find((e) => e.kind === 'DHCPDISCOVER');
      expect(discover?.details).toMatchObject({ arch: 0, firmware: 'bios', ipxe: true, uuid });
      expect(events.find((e) => e.kind === 'DHCPOFFER')?.details).toMatchObject({
        bootFile: 'pxelinux.0',
        bootVia: 'tftp',
      });
      // TFTP, in order: the loader, its core module, the first name of pxelinux's search (the UUID, in the raw
      // option 97 order: first three fields swapped), answered by fleetboot, so pxelinux searched no further;
      // then the kernel the generated file names, from the TFTP root (`KERNEL ::boot/vmlinuz`).
      const transfers = tftpOf(events);
      expect(transfers.map((d) => [d.file, d.origin, d.result])).toEqual([
        ['pxelinux.0', 'root', 'ok'],
        ['ldlinux.c32', 'root', 'ok'],
        ['pxelinux.cfg/401a2e8f-3b5c-214d-9e7f-0a1b2c3d4e00', 'virtual', 'ok'],
        ['boot/vmlinuz', 'root', 'ok'],
      ]);
      // The console: pxelinux started, printed the generated file's SAY line, and loaded what it names.
      await vm.waitForSerial(/PXELINUX 6\.04/, 30_000);
      await vm.waitForSerial(/fleetboot: 52:54:00:fd:00:00: Install Debian 12 from the lab/, 30_000);
      await vm.waitForSerial(/Loading ::boot\/vmlinuz\.\.\. ok/, 30_000);
    } finally {
      await vm.stop();
      await store.close();
      await fleetboot.stop(10_000);
    }
  }, 330_000);
});
