import { describe, expect, it } from 'vitest';
import { classifyClient, firmwareOfArch, type ClientClass, vendorKindOf } from '../../src/boot/classify.js';
import { decodeDhcpMessage } from '../../src/protocol/dhcp4/index.js';
import { DISCOVER_53, golden, rawPacket } from '../protocol/dhcp4/support.js';

const ascii = (text: string) => Array.from(Buffer.from(text, 'latin1'));
const opt = (code: number, data: number[]) => [code, data.length, ...data];
const vendor = (text: string) => opt(60, ascii(text));
const arch = (...values: number[]) =>
  opt(
    93,
    values.flatMap((v) => [v >> 8, v & 0xff]),
  );
const NIC = opt(94, [1, 3, 0]);
const UUID = opt(97, [0, ...Array.from({ length: 16 }, (_, i) => i)]);

function classify(...options: number[][]): ClientClass {
  return classifyClient(decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, ...options.flat(), 255] })));
}

describe('classifyClient on real clients (test/golden/dhcp4)', () => {
  it.each([
    [
      'ipxe-bios-discover',
      {
        netboot: true,
        firmware: 'bios',
        ipxe: true,
        vendor: 'pxe',
        arch: 0,
        uuid: '8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a01',
      },
    ],
    [
      'ipxe-efi-discover',
      {
        netboot: true,
        firmware: 'uefi-x64',
        ipxe: true,
        vendor: 'pxe',
        arch: 7,
        uuid: '8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a03',
      },
    ],
    [
      'ovmf-x64-discover',
      {
        netboot: true,
        firmware: 'uefi-x64',
        ipxe: false,
        vendor: 'pxe',
        arch: 7,
        uuid: '8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02',
      },
    ],
    [
      'ovmf-x64-http-discover',
      {
        netboot: true,
        firmware: 'uefi-http-x64',
        ipxe: false,
        vendor: 'http-client',
        arch: 16,
        uuid: '8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02',
      },
    ],
    [
      'dhclient-discover',
      {
        netboot: false,
        firmware: 'unknown',
        ipxe: false,
        vendor: 'other',
        reason: 'not a PXE, HTTP boot or iPXE client',
      },
    ],
    [
      'udhcpc-discover',
      {
        netboot: false,
        firmware: 'unknown',
        ipxe: false,
        vendor: 'other',
        reason: 'not a PXE, HTTP boot or iPXE client',
      },
    ],
  ])('%s', (name, expected) => {
    expect(classifyClient(decodeDhcpMessage(golden(name)))).toEqual(expected);
  });
});

describe('firmwareOfArch (RFC 4578 §2.1, IANA registry; protocol-digest §2.2)', () => {
  it.each([
    [0, 'bios'],
    [6, 'uefi-ia32'],
    [7, 'uefi-x64'],
    [9, 'uefi-x64'], // EBC in the registry, x64 in the pre-errata RFC text: firmware sends either
    [10, 'unknown'], // ARM 32-bit UEFI: no boot file kind
    [11, 'uefi-arm64'],
    [16, 'uefi-http-x64'],
    [19, 'uefi-http-arm64'],
    [1, 'unknown'],
    [20, 'unknown'],
    [0xff, 'unknown'],
    [0xffff, 'unknown'],
  ])('%d → %s', (value, firmware) => {
    expect(firmwareOfArch(value)).toBe(firmware);
  });
});

describe('vendorKindOf (option 60 prefixes)', () => {
  it.each([
    ['PXEClient:Arch:00000:UNDI:002001', 'pxe'],
    ['PXEClient', 'pxe'],
    ['HTTPClient:Arch:00016:UNDI:003000', 'http-client'],
    ['d-i', 'debian-installer'],
    ['anaconda-Linux 5.14.0-427.el9.x86_64 x86_64', 'anaconda'],
    ['udhcp 1.35.0', 'other'],
    ['dhcpcd-9.4.1:Linux-6.1.0:x86_64:GenuineIntel', 'other'],
    ['MSFT 5.0', 'other'],
    ['pxeclient', 'other'], // prefixes are case-sensitive, as EDK2 compares them
    [undefined, 'other'],
  ])('%s → %s', (text, kind) => {
    expect(vendorKindOf(text)).toBe(kind);
  });
});

describe('classifyClient: netboot or not (catalogue D21, D22)', () => {
  const PXE = vendor('PXEClient:Arch:00007:UNDI:003000');

  it('a well-formed PXE client is netboot', () => {
    expect(classify(PXE, arch(7), NIC, UUID)).toMatchObject({ netboot: true, firmware: 'uefi-x64' });
  });

  it('takes the first architecture of a list', () => {
    expect(classify(PXE, arch(11, 7))).toMatchObject({ netboot: true, arch: 11, firmware: 'uefi-arm64' });
  });

  it.each([
    ['option 93 missing', [PXE, NIC], 'no option 93'],
    ['option 93 of 1 byte', [PXE, opt(93, [7])], 'malformed option 93'],
    ['option 93 of 3 bytes', [PXE, opt(93, [0, 7, 0])], 'malformed option 93'],
    ['option 94 of 2 bytes', [PXE, arch(7), opt(94, [1, 3])], 'malformed option 94'],
    ['option 97 of 5 bytes', [PXE, arch(7), NIC, opt(97, [0, 1, 2, 3, 4])], 'malformed option 97'],
    [
      'option 97 of type 1',
      [PXE, arch(7), NIC, opt(97, [1, ...Array.from({ length: 16 }, () => 7)])],
      'malformed option 97',
    ],
  ])('D21: PXEClient with %s → not netboot', (_name, options, reason) => {
    expect(classify(...options)).toMatchObject({ netboot: false, vendor: 'pxe', reason });
  });

  it('D21: an empty option 97 is not an error', () => {
    expect(classify(PXE, arch(0), NIC, opt(97, []))).toMatchObject({ netboot: true, firmware: 'bios' });
  });

  it.each([0xff, 0xffff])(
    'D22: architecture %d is netboot with an unknown firmware and a reason',
    (value) => {
      expect(classify(PXE, arch(value))).toEqual({
        netboot: true,
        firmware: 'unknown',
        ipxe: false,
        vendor: 'pxe',
        arch: value,
        reason: `unsupported architecture ${value}`,
      });
    },
  );

  it('an HTTPClient with arch 19 is an arm64 HTTP boot client', () => {
    expect(classify(vendor('HTTPClient:Arch:00019:UNDI:003000'), arch(19))).toMatchObject({
      netboot: true,
      vendor: 'http-client',
      firmware: 'uefi-http-arm64',
    });
  });

  it('iPXE is recognised by option 175 alone', () => {
    expect(classify(PXE, arch(0), opt(175, [0xb1, 1, 1]))).toMatchObject({ netboot: true, ipxe: true });
  });

  it('iPXE is recognised by an RFC 3004 user class as well as by the bare string', () => {
    expect(classify(arch(7), opt(77, [4, ...ascii('iPXE')]))).toMatchObject({ netboot: true, ipxe: true });
    expect(classify(arch(7), opt(77, ascii('iPXE')))).toMatchObject({ netboot: true, ipxe: true });
    expect(classify(arch(7), opt(77, ascii('iPXE2')))).toMatchObject({ netboot: false, ipxe: false });
  });

  it('the Debian installer and Anaconda are recognised but are not netboot', () => {
    expect(classify(vendor('d-i'))).toMatchObject({ netboot: false, vendor: 'debian-installer' });
    expect(classify(vendor('anaconda-Linux 5.14'))).toMatchObject({ netboot: false, vendor: 'anaconda' });
  });
});
