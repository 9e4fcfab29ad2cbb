import { describe, expect, it } from 'vitest';
import {
  decodeDhcpMessage,
  decodePxeVendorOptions,
  type DhcpMessage,
} from '../../src/protocol/dhcp4/index.js';
import { defaultBootFileTable, layerBootFileTables } from '../../src/boot/boot-file.js';
import { loadText, scratchDir } from '../config/support.js';
import { golden, rawPacket } from '../protocol/dhcp4/support.js';
import { harness, replyOf, SERVER } from './support.js';

const SCRIPT = 'http://198.18.0.1:8080/boot.ipxe';

function goldenRequest(name: string): DhcpMessage {
  return decodeDhcpMessage(golden(name));
}

describe('boot information in OFFER and ACK, for real clients (test/golden/dhcp4)', () => {
  it.each([
    ['ipxe-bios-discover', 'ipxe-bios-request-selecting', SCRIPT, undefined],
    ['ipxe-efi-discover', 'ipxe-efi-request-selecting', SCRIPT, undefined],
    ['ovmf-x64-discover', 'ovmf-x64-request-selecting', 'snponly.efi', '198.18.0.1'],
  ])(
    '%s: file and siaddr, PXEClient with option 43, 66/67 as asked',
    async (discoverName, requestName, file, tftpServer) => {
      const h = await harness();
      const offer = replyOf(await h.send(goldenRequest(discoverName)));
      const ack = replyOf(await h.send(goldenRequest(requestName)));
      for (const reply of [offer, ack]) {
        const { message } = reply;
        expect(message.bootFile).toBe(file);
        expect(message.nextServerAddress).toBe(SERVER);
        expect(message.options.vendorClassIdentifier).toBe('PXEClient');
        expect(decodePxeVendorOptions(message.options.vendorSpecific!)).toEqual({ discoveryControl: 8 });
        expect(message.options.bootFileName).toBe(file);
        // Option 66 names a TFTP server: not for a file fetched over HTTP.
        expect(message.options.tftpServerName).toBe(tftpServer);
        expect(message.options.domainNameServers).toEqual(['198.18.0.53']);
      }
      expect(ack.message.messageType).toBe('ack');
      expect(ack.message.yourAddress).toBe(goldenRequest(requestName).options.requestedIpAddress);
    },
  );

  it('iPXE never gets the iPXE binary again: the script URL breaks the chainload loop', async () => {
    const h = await harness();
    const offer = replyOf(await h.send(goldenRequest('ipxe-bios-discover')));
    expect(offer.message.bootFile).not.toMatch(/kpxe|\.efi$/);
    // iPXE sets no BROADCAST flag and cannot take a unicast yet (protocol-digest §10.3).
    expect(offer.destination).toEqual({ address: '255.255.255.255', port: 68 });
    // iPXE's option 61 is echoed (RFC 6842).
    expect(offer.message.options.clientIdentifier).toEqual(
      goldenRequest('ipxe-bios-discover').options.clientIdentifier,
    );
  });

  it('OVMF: option 97 echoed as asked, BROADCAST honoured, reply within an Ethernet frame', async () => {
    const h = await harness();
    const offer = replyOf(await h.send(goldenRequest('ovmf-x64-discover')));
    expect(offer.message.options.clientMachineId).toBe('8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02');
    expect(offer.destination).toEqual({ address: '255.255.255.255', port: 68 });
    const ack = replyOf(await h.send(goldenRequest('ovmf-x64-request-selecting')));
    expect(ack.bytes.length).toBeLessThanOrEqual(1472); // option 57 = 65280 is capped (digest §1.1)
  });

  it('OVMF HTTP boot: the URL in file and option 67, option 60 HTTPClient, no option 43', async () => {
    const h = await harness();
    const offer = replyOf(await h.send(goldenRequest('ovmf-x64-http-discover')));
    expect(offer.message.bootFile).toBe('http://198.18.0.1:8080/boot/snponly.efi');
    expect(offer.message.options.bootFileName).toBe(offer.message.bootFile);
    expect(offer.message.options.vendorClassIdentifier).toBe('HTTPClient');
    expect(offer.message.options.vendorSpecific).toBeUndefined();
  });

  it.each(['dhclient-discover', 'udhcpc-discover'])(
    '%s: an ordinary client gets an address and no boot information',
    async (name) => {
      const h = await harness();
      const offer = replyOf(await h.send(goldenRequest(name)));
      expect(offer.message.yourAddress).toBe('198.18.0.100');
      expect(offer.message.bootFile).toBe('');
      expect(offer.message.nextServerAddress).toBe('0.0.0.0');
      expect(offer.message.options.vendorClassIdentifier).toBeUndefined();
      expect(offer.message.options.bootFileName).toBeUndefined();
    },
  );

  it('the golden udhcpc and dhclient conversations complete against the engine', async () => {
    const h = await harness();
    replyOf(await h.send(goldenRequest('udhcpc-discover')));
    const ack = replyOf(await h.send(goldenRequest('udhcpc-request-selecting')));
    expect(ack.message.yourAddress).toBe('198.18.0.134');
    const renew = replyOf(
      await h.send(goldenRequest('udhcpc-request-renewing'), {
        source: { address: '198.18.0.134', port: 68 },
      }),
    );
    expect(renew.destination).toEqual({ address: '198.18.0.134', port: 68 });
    const released = await h.send(goldenRequest('udhcpc-release'));
    expect(released).toEqual({ kind: 'drop', reason: 'released' });

    replyOf(await h.send(goldenRequest('dhclient-discover')));
    expect(replyOf(await h.send(goldenRequest('dhclient-request-selecting'))).message.yourAddress).toBe(
      '198.18.0.133',
    );
    expect(replyOf(await h.send(goldenRequest('dhclient-request-init-reboot'))).message.messageType).toBe(
      'ack',
    );
  });
});

describe('PXE clients with bad PXE options (catalogue D21, D22)', () => {
  const pxe = (arch: number[]) =>
    decodeDhcpMessage(
      rawPacket({
        options: [
          ...[53, 1, 1],
          ...[60, 9, ...Buffer.from('PXEClient')],
          ...arch,
          ...[55, 4, 43, 60, 66, 67],
          255,
        ],
      }),
    );

  it.each([
    ['no option 93', []],
    ['option 93 of 1 byte', [93, 1, 7]],
    ['option 93 of 3 bytes', [93, 3, 0, 7, 0]],
  ])('D21, %s: an address, no boot information', async (_name, arch) => {
    const h = await harness();
    const offer = replyOf(await h.send(pxe(arch)));
    expect(offer.message.yourAddress).toBe('198.18.0.100');
    expect(offer.message.bootFile).toBe('');
    expect(offer.message.options.vendorClassIdentifier).toBeUndefined();
    expect(offer.message.options.vendorSpecific).toBeUndefined();
  });

  it.each([0x00ff, 0xffff])(
    'D22, architecture %i: an address, no boot file, the reason in the event',
    async (arch) => {
      const h = await harness();
      const offer = replyOf(await h.send(pxe([93, 2, arch >> 8, arch & 0xff])));
      expect(offer.message.bootFile).toBe('');
      await h.engine.flushEvents();
      const events = await h.store.events.list();
      expect(events.find((e) => e.kind === 'DHCPOFFER')?.details).toMatchObject({
        noBootFile: `unsupported architecture ${arch}`,
      });
    },
  );
});

// dhcp.bootFiles (issue 3 item 5): the configured entries over the defaults, entry by entry, as main.ts layers them.
describe('a boot file table layered from the defaults and dhcp.bootFiles', () => {
  it('overrides what is configured, keeps the other defaults, and fills {next-server}', async () => {
    const dir = scratchDir();
    const { config } = loadText(
      dir,
      'dhcp:\n  mode: proxy\n  interfaces: [eth1]\n  bootFiles:\n    uefiX64: efi/{next-server}/shimx64.efi\n',
    );
    const table = layerBootFileTables(defaultBootFileTable(), config.dhcp.bootFiles);
    expect(table).toEqual({ ...defaultBootFileTable(), 'uefi-x64': 'efi/{next-server}/shimx64.efi' });
    const h = await harness({ bootFiles: table });
    const ovmf = replyOf(await h.send(goldenRequest('ovmf-x64-discover')));
    expect(ovmf.message.bootFile).toBe(`efi/${SERVER}/shimx64.efi`);
    const ipxe = replyOf(await h.send(goldenRequest('ipxe-bios-discover')));
    expect(ipxe.message.bootFile).toBe('http://198.18.0.1:8080/boot.ipxe');
  });
});
