import { describe, expect, it } from 'vitest';
import { type BootFileTable, chooseBootFile, defaultBootFileTable } from '../../src/boot/boot-file.js';
import { bootReplyFields, NO_BOOT_FIELDS } from '../../src/boot/boot-reply.js';
import { type ClientClass, classifyClient } from '../../src/boot/classify.js';
import { decodeDhcpMessage, decodePxeVendorOptions } from '../../src/protocol/dhcp4/index.js';
import type { Ipv4 } from '../../src/values/ipv4.js';
import type { Uuid } from '../../src/values/uuid.js';
import { golden } from '../protocol/dhcp4/support.js';

const SERVER = '198.18.0.1' as Ipv4;
const TABLE = defaultBootFileTable();

function client(partial: Partial<ClientClass>): ClientClass {
  return { netboot: true, firmware: 'bios', ipxe: false, vendor: 'pxe', arch: 0, ...partial };
}

describe('chooseBootFile (protocol-digest §0, §3, §9.3)', () => {
  it.each([
    ['bios', 'undionly.kpxe', 'tftp'],
    ['uefi-x64', 'snponly.efi', 'tftp'],
    ['uefi-arm64', 'bootnetaa64.efi', 'tftp'],
    ['uefi-http-x64', 'http://198.18.0.1:8080/boot/snponly.efi', 'http'],
    ['uefi-http-arm64', 'http://198.18.0.1:8080/boot/arm64/bootnetaa64.efi', 'http'],
  ] as const)('%s gets %s over %s', (firmware, file, via) => {
    const vendor = via === 'http' ? 'http-client' : 'pxe';
    const choice = chooseBootFile(client({ firmware, vendor }), TABLE, SERVER);
    expect(choice).toEqual({
      kind: 'file',
      file,
      bootFileName: file,
      serverAddress: SERVER,
      via,
      ...(via === 'tftp' ? { tftpServerName: SERVER } : {}),
    });
  });

  it.each(['bios', 'uefi-x64', 'uefi-http-x64'] as const)(
    'iPXE on %s gets the script URL, never an iPXE binary again (chainload loop)',
    (firmware) => {
      const choice = chooseBootFile(client({ firmware, ipxe: true }), TABLE, SERVER);
      expect(choice).toMatchObject({ kind: 'file', file: 'http://198.18.0.1:8080/boot.ipxe', via: 'http' });
    },
  );

  it('iPXE without a script URL gets nothing rather than the binary', () => {
    const table: BootFileTable = { bios: 'undionly.kpxe' };
    expect(chooseBootFile(client({ ipxe: true }), table, SERVER)).toEqual({
      kind: 'none',
      reason: 'no iPXE script URL configured (iPXE never gets an iPXE binary again)',
    });
  });

  it('D22: an unknown architecture gets no boot file, and says why', () => {
    const unknown = client({ firmware: 'unknown', arch: 0xff, reason: 'unsupported architecture 255' });
    expect(chooseBootFile(unknown, TABLE, SERVER)).toEqual({
      kind: 'none',
      reason: 'unsupported architecture 255',
    });
  });

  it('a non-netboot client gets nothing, with the classifier’s reason', () => {
    const plain = classifyClient(decodeDhcpMessage(golden('dhclient-discover')));
    expect(chooseBootFile(plain, TABLE, SERVER)).toEqual({
      kind: 'none',
      reason: 'not a PXE, HTTP boot or iPXE client',
    });
  });

  it('a firmware without a table entry gets nothing', () => {
    expect(chooseBootFile(client({ firmware: 'uefi-ia32', arch: 6 }), TABLE, SERVER)).toEqual({
      kind: 'none',
      reason: 'no boot file configured for uefi-ia32',
    });
  });

  it('an HTTP boot entry that is not a URL is refused (EDK2 drops such an offer)', () => {
    const table: BootFileTable = { 'uefi-http-x64': 'snponly.efi' };
    expect(chooseBootFile(client({ firmware: 'uefi-http-x64' }), table, SERVER)).toMatchObject({
      kind: 'none',
    });
  });

  it('a name that does not fit the 128-byte file field is refused', () => {
    const long: BootFileTable = { bios: `x/${'a'.repeat(126)}` };
    const control: BootFileTable = { bios: 'pxelinux.0\n' };
    expect(chooseBootFile(client({}), long, SERVER).kind).toBe('none');
    expect(chooseBootFile(client({}), control, SERVER).kind).toBe('none');
    expect(chooseBootFile(client({}), { bios: `x/${'a'.repeat(125)}` }, SERVER).kind).toBe('file');
  });

  it('replaces {next-server} with the reply’s server address', () => {
    const table = defaultBootFileTable('https://boot.example:8443');
    expect(chooseBootFile(client({ ipxe: true }), table, SERVER)).toMatchObject({
      file: 'https://boot.example:8443/boot.ipxe',
    });
  });
});

describe('bootReplyFields (protocol-digest §2.4, §2.6, §2.7)', () => {
  const choose = (c: ClientClass) => chooseBootFile(c, TABLE, SERVER);

  it('PXE: siaddr + file, option 60 PXEClient and 43 = discovery control 8, forced', () => {
    const c = client({ uuid: '8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a01' as Uuid });
    const fields = bootReplyFields(choose(c), c, [1, 3, 6, 43, 60, 66, 67, 97]);
    expect(fields.nextServerAddress).toBe(SERVER);
    expect(fields.bootFile).toBe('undionly.kpxe');
    expect(fields.options.vendorClassIdentifier).toBe('PXEClient');
    expect(decodePxeVendorOptions(fields.options.vendorSpecific!)).toEqual({ discoveryControl: 8 });
    expect(fields.options.bootFileName).toBe('undionly.kpxe');
    expect(fields.options.tftpServerName).toBe('198.18.0.1');
    expect(fields.options.clientMachineId).toBe('8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a01');
    expect(fields.forced).toEqual([60, 43]);
  });

  it('options 66 and 67 only when asked for in option 55; the file field always', () => {
    const c = client({});
    for (const list of [[1, 3, 6], undefined]) {
      const fields = bootReplyFields(choose(c), c, list);
      expect(fields.bootFile).toBe('undionly.kpxe');
      expect(fields.options.bootFileName).toBeUndefined();
      expect(fields.options.tftpServerName).toBeUndefined();
    }
  });

  it('HTTP boot: option 60 HTTPClient, the URL in file and 67, no option 43 and no 66', () => {
    const c = client({ firmware: 'uefi-http-x64', vendor: 'http-client', arch: 16 });
    const fields = bootReplyFields(choose(c), c, [60, 66, 67]);
    expect(fields.bootFile).toBe('http://198.18.0.1:8080/boot/snponly.efi');
    expect(fields.options).toEqual({
      vendorClassIdentifier: 'HTTPClient',
      bootFileName: 'http://198.18.0.1:8080/boot/snponly.efi',
    });
    expect(fields.forced).toEqual([60]);
  });

  it('no boot file: no siaddr, no file, and no PXEClient (EDK2 would go to port 4011)', () => {
    const c = client({ firmware: 'unknown', arch: 255 });
    expect(bootReplyFields(choose(c), c, [43, 60, 66, 67])).toEqual(NO_BOOT_FIELDS);
  });

  it('an iPXE client without a PXEClient vendor class gets the script but no option 60', () => {
    const c = client({ ipxe: true, vendor: 'other' });
    const fields = bootReplyFields(choose(c), c, [60, 67]);
    expect(fields.bootFile).toBe('http://198.18.0.1:8080/boot.ipxe');
    expect(fields.options.vendorClassIdentifier).toBeUndefined();
    expect(fields.forced).toEqual([]);
  });
});
