// Wireshark as the oracle (design.md §8.3): what encodePcap writes, tshark reads back as the DHCP and TFTP packets
// that went in, with the sizes they had on the wire, and without a complaint (checksum validation on).
import { describe, expect, it } from 'vitest';
import { decodeDhcpMessage, messageTypeLabel } from '../../../src/protocol/dhcp4/index.js';
import { encodePcap, type UdpEndpoint, type UdpFrame } from '../../../src/protocol/pcap/index.js';
import { dataHeader, encodeTftpPacket } from '../../../src/protocol/tftp/index.js';
import { parseIpv4 } from '../../../src/values/ipv4.js';
import { clientMac } from '../../../src/protocol/dhcp4/message.js';
import { parseMac } from '../../../src/values/mac.js';
import { GOLDEN_NAMES, golden } from '../dhcp4/support.js';
import { pcapFile, tsharkExpertItems, tsharkFields } from '../../support/tshark.js';

const SERVER: UdpEndpoint = { mac: parseMac('02:66:62:6f:6f:74'), address: parseIpv4('192.0.2.1'), port: 67 };
const BROADCAST = { mac: parseMac('ff:ff:ff:ff:ff:ff'), address: parseIpv4('255.255.255.255') };
const T0 = 1_767_225_600_000_000; // 2026-01-01, µs

function frame(
  n: number,
  source: UdpEndpoint,
  destination: UdpEndpoint,
  payload: Uint8Array,
  length = payload.length,
): UdpFrame {
  return {
    timestampMicros: T0 + n * 1000,
    source,
    destination,
    payload,
    payloadLength: length,
    ipId: n,
    ttl: 64,
  };
}

/** Each golden packet as it travelled: a client's request broadcast to port 67, a server's reply from 67. */
function goldenFrames(): UdpFrame[] {
  return GOLDEN_NAMES.map((name, n) => {
    const bytes = golden(name);
    const message = decodeDhcpMessage(bytes);
    const mac = clientMac(message) ?? parseMac('02:00:00:00:00:01');
    if (message.op === 'reply') {
      return frame(n, SERVER, { mac, address: message.yourAddress, port: 68 }, bytes);
    }
    return frame(n, { mac, address: message.clientAddress, port: 68 }, { ...BROADCAST, port: 67 }, bytes);
  });
}

describe('pcap files as Wireshark reads them', () => {
  it('decodes every golden DHCP packet with its message type, options 93, 60 and 77, and good checksums', async () => {
    const frames = goldenFrames();
    const file = pcapFile(encodePcap(frames));
    const rows = await tsharkFields(file, [
      'frame.len',
      'frame.cap_len',
      'ip.checksum.status',
      'udp.checksum.status',
      'dhcp.option.dhcp',
      'dhcp.hw.mac_addr',
      'dhcp.option.client_system_architecture',
      'dhcp.option.vendor_class_id',
      'dhcp.option.user_class.text',
    ]);
    expect(rows).toHaveLength(frames.length);
    for (const [i, name] of GOLDEN_NAMES.entries()) {
      const bytes = golden(name);
      const m = decodeDhcpMessage(bytes);
      const row = rows[i] ?? {};
      expect(row['frame.len'], name).toBe(String(42 + bytes.length));
      expect(row['frame.cap_len'], name).toBe(String(42 + bytes.length));
      expect(row['ip.checksum.status'], name).toBe('1'); // Good
      expect(row['udp.checksum.status'], name).toBe('1');
      // Wireshark's number for the type, DHCPDISCOVER = 1 … as RFC 2132 §9.6 numbers them.
      expect(`DHCP${typeName(row['dhcp.option.dhcp'])}`, name).toBe(messageTypeLabel(m.messageType));
      // The first occurrence is chaddr (option 61 may carry the MAC again).
      expect(row['dhcp.hw.mac_addr']?.split(',')[0], name).toBe(clientMac(m) ?? '');
      expect(row['dhcp.option.client_system_architecture'], name).toBe(
        (m.options.clientSystemArchitectures ?? []).join(','),
      );
      expect(row['dhcp.option.vendor_class_id'], name).toBe(m.options.vendorClassIdentifier ?? '');
      const userClass = m.options.userClass;
      expect(row['dhcp.option.user_class.text'], name).toBe(
        userClass === undefined ? '' : new TextDecoder().decode(userClass.raw),
      );
    }
    expect(await tsharkExpertItems(file)).toEqual([]);
  });

  it('decodes a TFTP transfer with its OACK, summarised DATA at their real sizes, ACKs and ERRORs', async () => {
    const client: UdpEndpoint = {
      mac: parseMac('52:54:00:12:34:56'),
      address: parseIpv4('192.0.2.10'),
      port: 2070,
    };
    const tftpServer = { ...SERVER, port: 69 };
    const transfer = { ...SERVER, port: 50_123 };
    const tftp = encodeTftpPacket;
    const frames = [
      frame(
        0,
        client,
        tftpServer,
        tftp({
          kind: 'rrq',
          filename: 'pxelinux.0',
          mode: 'octet',
          options: [
            { name: 'blksize', value: '1468' },
            { name: 'tsize', value: '0' },
          ],
        }),
      ),
      frame(
        1,
        transfer,
        client,
        tftp({
          kind: 'oack',
          options: [
            { name: 'blksize', value: '1468' },
            { name: 'tsize', value: '3000' },
          ],
        }),
      ),
      frame(2, client, transfer, tftp({ kind: 'ack', block: 0 })),
      // 3000 octets at 1468: blocks of 1468, 1468 and 64, kept as their 4-octet headers.
      frame(3, transfer, client, dataHeader(1), 4 + 1468),
      frame(4, client, transfer, tftp({ kind: 'ack', block: 1 })),
      frame(5, transfer, client, dataHeader(3), 4 + 64),
      frame(6, client, transfer, tftp({ kind: 'ack', block: 3 })),
      frame(7, client, tftpServer, tftp({ kind: 'rrq', filename: 'missing', mode: 'octet', options: [] })),
      frame(
        8,
        { ...transfer, port: 50_124 },
        client,
        tftp({ kind: 'error', code: 1, message: 'File not found' }),
      ),
    ];
    const file = pcapFile(encodePcap(frames));
    const rows = await tsharkFields(file, [
      'frame.len',
      'frame.cap_len',
      'tftp.opcode',
      'tftp.block',
      'tftp.option.name',
      'tftp.option.value',
      'tftp.error.code',
      'ip.checksum.status',
    ]);
    const pick = (field: string) => rows.map((r) => r[field]);
    expect(pick('tftp.opcode')).toEqual(['1', '6', '4', '3', '4', '3', '4', '1', '5']);
    expect(pick('tftp.block')).toEqual(['', '', '0', '1', '1', '3', '3', '', '']);
    expect(pick('frame.len')).toEqual(frames.map((f) => String(42 + f.payloadLength)));
    expect(pick('frame.cap_len')).toEqual(frames.map((f) => String(42 + f.payload.length)));
    expect(rows[1]?.['tftp.option.name']).toBe('blksize,tsize');
    expect(rows[1]?.['tftp.option.value']).toBe('1468,3000');
    expect(rows[8]?.['tftp.error.code']).toBe('1');
    expect(pick('ip.checksum.status').every((s) => s === '1')).toBe(true);
    // Wireshark flags every TFTP ERROR as a warning, on purpose; nothing else.
    expect(await tsharkExpertItems(file)).toEqual([
      { frame: 9, severity: 'warn', message: 'TFTP ERROR packet' },
    ]);
  });
});

/** Wireshark's dhcp.option.dhcp value as the name RFC 2132 §9.6 gives it. */
function typeName(value: string | undefined): string {
  const names = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];
  return names[Number(value)] ?? `?${value ?? ''}`;
}
