import { describe, expect, it } from 'vitest';
import {
  hexOfIpv4,
  loaderNameOfUuid,
  parseConfigName,
  uuidOfLoaderName,
} from '../../src/boot/config-name.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseUuid } from '../../src/values/uuid.js';

describe('parseConfigName: which step of a loader config search a TFTP name is', () => {
  it.each([
    // pxelinux's search (protocol-digest §5.1), in its own directory or a deeper one.
    [
      'pxelinux.cfg/44454c4c-3500-1059-8048-b7c04f4e3732',
      { loader: 'pxelinux', directory: '', step: 'uuid', uuid: '4c4c4544-0035-5910-8048-b7c04f4e3732' },
    ],
    [
      'pxelinux.cfg/01-88-99-aa-bb-cc-dd',
      { loader: 'pxelinux', directory: '', step: 'mac', mac: '88:99:aa:bb:cc:dd' },
    ],
    ['pxelinux.cfg/C0A8025B', { loader: 'pxelinux', directory: '', step: 'ip', hex: 'C0A8025B' }],
    ['pxelinux.cfg/C0A80', { loader: 'pxelinux', directory: '', step: 'ip', hex: 'C0A80' }],
    ['pxelinux.cfg/C', { loader: 'pxelinux', directory: '', step: 'ip', hex: 'C' }],
    ['pxelinux.cfg/default', { loader: 'pxelinux', directory: '', step: 'default' }],
    [
      'debian-installer/amd64/pxelinux.cfg/default',
      { loader: 'pxelinux', directory: 'debian-installer/amd64/', step: 'default' },
    ],
    // GRUB: Debian's plain grub.cfg, and the upstream search (digest §6).
    ['grub/grub.cfg', { loader: 'grub', directory: 'grub/', step: 'client' }],
    ['grub.cfg', { loader: 'grub', directory: '', step: 'client' }],
    [
      'debian-installer/amd64/grub/grub.cfg',
      { loader: 'grub', directory: 'debian-installer/amd64/grub/', step: 'client' },
    ],
    [
      'grub/grub.cfg-01-52-54-00-ec-33-81',
      { loader: 'grub', directory: 'grub/', step: 'mac', mac: '52:54:00:ec:33:81' },
    ],
    ['grub/grub.cfg-0A000082', { loader: 'grub', directory: 'grub/', step: 'ip', hex: '0A000082' }],
    ['grub/grub.cfg-0', { loader: 'grub', directory: 'grub/', step: 'ip', hex: '0' }],
    [
      'grub/grub.cfg-44454c4c-3500-1059-8048-b7c04f4e3732',
      { loader: 'grub', directory: 'grub/', step: 'uuid', uuid: '4c4c4544-0035-5910-8048-b7c04f4e3732' },
    ],
    // Either case is read (the name is compared, not served from disk).
    ['pxelinux.cfg/01-88-99-AA-BB-CC-DD', { step: 'mac', mac: '88:99:aa:bb:cc:dd' }],
    ['pxelinux.cfg/c0a8025b', { step: 'ip', hex: 'C0A8025B' }],
  ])('%s', (path, expected) => {
    expect(parseConfigName(path)).toMatchObject(expected);
  });

  it.each([
    'pxelinux.0',
    'ldlinux.c32',
    'pxelinux.cfg', // the directory itself
    'pxelinux.cfg/',
    'pxelinux.cfg/menu.cfg', // a file a generated config could INCLUDE: the roots serve it
    'pxelinux.cfg/C0A8025B1', // nine digits
    'pxelinux.cfg/02-88-99-aa-bb-cc-dd', // not ARP type 1
    'pxelinux.cfg/01-88-99-aa-bb-cc', // five octets
    'pxelinux.cfg/default/x',
    'xpxelinux.cfg/default',
    'grub/grub.cfg-default', // GRUB has no such step
    'grub/grub.cfg.bak',
    'grub/x86_64-efi/command.lst',
    'grub/font.pf2',
  ])('%s is no config search name', (path) => {
    expect(parseConfigName(path)).toBeUndefined();
  });
});

describe('UUID names', () => {
  it('swap the first three fields between SMBIOS order and the loaders’ wire order (digest §2.1)', () => {
    const smbios = parseUuid('4c4c4544-0035-5910-8048-b7c04f4e3732');
    expect(loaderNameOfUuid(smbios)).toBe('44454c4c-3500-1059-8048-b7c04f4e3732');
    expect(uuidOfLoaderName('44454c4c-3500-1059-8048-b7c04f4e3732')).toBe(smbios);
  });
});

describe('hexOfIpv4', () => {
  it.each([
    ['192.168.2.91', 'C0A8025B'],
    ['172.16.0.98', 'AC100062'], // the seed's example
    ['10.0.0.130', '0A000082'],
    ['0.0.0.0', '00000000'],
  ])('%s → %s', (ip, hex) => {
    expect(hexOfIpv4(parseIpv4(ip))).toBe(hex);
  });
});
