import { describe, expect, it } from 'vitest';
import {
  BOOT_STEPS,
  bootFileKind,
  bootProgress,
  bootStepOf,
  isFailure,
  latestBoot,
} from '../../src/inventory/boot-timeline.js';
import { Timeline } from './boot-events.js';

const BIOS = { firmware: 'bios', arch: 0, bootFile: 'pxelinux.0' };

describe('bootFileKind', () => {
  it.each([
    ['pxelinux.0', 'loader'],
    ['undionly.kpxe', 'loader'],
    ['snponly.efi', 'loader'],
    ['shimx64.efi.signed', 'loader'],
    ['ldlinux.c32', 'loader'],
    ['pxelinux.cfg/01-52-54-00-00-00-01', 'config'],
    ['pxelinux.cfg/AC100062', 'config'],
    ['pxelinux.cfg/default', 'config'],
    ['grub/grub.cfg', 'config'],
    ['grub.cfg-01-52-54-00-00-00-01', 'config'],
    ['images/debian-12-amd64/grub/grub.cfg', 'config'],
    ['boot.ipxe', 'config'],
    ['images/debian-12-amd64/linux', 'kernel'],
    ['images/rocky-9/vmlinuz', 'kernel'],
    ['images/debian-12-amd64/initrd.gz', 'initrd'],
    ['images/rocky-9/initrd.img', 'initrd'],
    ['images/ubuntu/casper/initramfs', 'initrd'],
    ['images/debian-12-amd64/tree/pool/main/b/bash.deb', undefined],
  ])('%s is %s', (file, kind) => {
    expect(bootFileKind(file)).toBe(kind);
  });
});

describe('the steps of a boot', () => {
  const t = new Timeline()
    .marked()
    .dora(BIOS)
    .tftp('pxelinux.0')
    .tftp('ldlinux.c32')
    .tftp('pxelinux.cfg/01-52-54-00-00-00-01')
    .tftp('images/debian-12-amd64/linux')
    .tftp('images/debian-12-amd64/initrd.gz')
    .answer()
    .progress()
    .done();

  it('each event has the step of the course’s picture, lifecycle events none', () => {
    expect(t.events.map((e) => bootStepOf(e) ?? '-')).toEqual([
      '-',
      'discover',
      'offer',
      'request',
      'ack',
      'loader',
      'loader',
      'config',
      'kernel',
      'initrd',
      'answer',
      'callback',
      'callback',
    ]);
  });

  it('a whole install reaches every step, in order, none failed', () => {
    const progress = bootProgress(t.events);
    expect(progress.map((p) => p.step)).toEqual([...BOOT_STEPS]);
    expect(progress.every((p) => p.first !== undefined && !p.failed)).toBe(true);
    expect(progress.find((p) => p.step === 'loader')?.first?.details.file).toBe('pxelinux.0');
    expect(progress.find((p) => p.step === 'callback')?.last?.kind).toBe('install done');
  });

  it('the latest boot starts at the firmware’s first DISCOVER, retransmissions included', () => {
    const later = new Timeline(t.now + 86_400_000)
      .add('dhcp', 'DHCPDISCOVER', { netboot: true, ipxe: false, firmware: 'bios' }, 0)
      .add('dhcp', 'DHCPDISCOVER', { netboot: true, ipxe: false, firmware: 'bios' }, 4000)
      .dora(BIOS)
      .tftp('pxelinux.0')
      .dora({ ...BIOS, ipxe: true })
      .tftp('pxelinux.cfg/default', { kind: 'error', from: 'server', code: 1, reason: 'not-found' });
    const all = [...t.events, ...later.events.map((e) => ({ ...e, id: e.id + 100 }))];
    const boot = latestBoot(all);
    expect(boot[0]?.id).toBe(101);
    expect(boot).toHaveLength(later.events.length);
    const progress = bootProgress(all);
    expect(progress.find((p) => p.step === 'config')?.failed).toBe(true);
    expect(progress.filter((p) => p.first !== undefined).map((p) => p.step)).toEqual([
      'discover',
      'offer',
      'request',
      'ack',
      'loader',
      'config',
    ]);
  });

  it('failures: NAK, a dropped request, a TFTP error or timeout, an HTTP error or cut-off, a failed install', () => {
    const f = new Timeline()
      .add('dhcp', 'DHCPNAK', { reason: 'wrong-subnet' })
      .add('dhcp', 'DHCPREQUEST', { outcome: 'not-for-us' })
      .tftp('pxelinux.0', { kind: 'timeout' })
      .tftp('pxelinux.0', { kind: 'probe' })
      .http('images/x/linux', 404)
      .http('images/x/linux', 200, false)
      .http('images/x/linux', 206)
      .add('installer', 'install failed', { reason: 'partman' });
    expect(f.events.map(isFailure)).toEqual([true, true, true, false, true, true, false, true]);
  });
});
