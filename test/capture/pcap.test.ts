// A machine's capture as the pcap file the API serves (capture/pcap.ts), read by tshark: Ethernet addresses as
// documented (the client's MAC, fleetboot's made-up one, a relay's, broadcast), IPv4 and UDP as recorded.
import { describe, expect, it } from 'vitest';
import { CAPTURE_RELAY_MAC, CAPTURE_SERVER_MAC, capturePcap } from '../../src/capture/pcap.js';
import type { CapturedPacket } from '../../src/inventory/capture.js';
import { parseMachineId } from '../../src/inventory/machine.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { golden } from '../protocol/dhcp4/support.js';
import { pcapFile, tsharkExpertItems, tsharkFields } from '../support/tshark.js';

const MAC = parseMac('52:54:00:fb:ca:12'); // the chaddr of the golden ipxe-efi packets
const MACHINE = parseMachineId('7f0c0c52-0a2b-4b1e-9a52-6a2f2d0f6c11');
const address = (text: string, port: number) => ({ address: parseIpv4(text), port });

function packet(n: number, fields: Omit<CapturedPacket, 'id' | 'machineId' | 'mac' | 'at'>): CapturedPacket {
  return { id: n, machineId: MACHINE, mac: MAC, at: 1_767_225_600_000 + n, ...fields };
}

describe('capturePcap', () => {
  it('gives each frame the Ethernet and IP addresses of its side, and Wireshark reads them without complaint', async () => {
    const discover = golden('ipxe-efi-discover');
    const request = golden('ipxe-efi-request-selecting');
    const offer = golden('udhcpd-offer'); // a reply, as bytes: what fleetboot sent is not parsed here
    const dhcp = { protocol: 'dhcp' as const };
    const packets = [
      packet(1, {
        ...dhcp,
        direction: 'in',
        source: address('0.0.0.0', 68),
        destination: address('255.255.255.255', 67),
        payload: discover,
        payloadLength: discover.length,
      }),
      packet(2, {
        ...dhcp,
        direction: 'out',
        source: address('192.0.2.1', 67),
        destination: address('255.255.255.255', 68),
        payload: offer,
        payloadLength: offer.length,
      }),
      // Relayed: the far end is the relay agent at port 67, whose MAC fleetboot does not know.
      packet(3, {
        ...dhcp,
        direction: 'in',
        source: address('198.51.100.1', 67),
        destination: address('192.0.2.1', 67),
        payload: request,
        payloadLength: request.length,
      }),
      packet(4, {
        protocol: 'tftp',
        direction: 'out',
        source: address('192.0.2.1', 50_000),
        destination: address('192.0.2.10', 2070),
        payload: Uint8Array.of(0, 3, 0, 1),
        payloadLength: 1472,
      }),
    ];
    const file = pcapFile(capturePcap(packets));
    const rows = await tsharkFields(file, [
      'eth.src',
      'eth.dst',
      'ip.src',
      'ip.dst',
      'udp.srcport',
      'udp.dstport',
      'frame.len',
      'frame.time_epoch',
      'ip.checksum.status',
    ]);
    const pick = (field: string) => rows.map((r) => r[field]);
    expect(pick('eth.src')).toEqual([MAC, CAPTURE_SERVER_MAC, CAPTURE_RELAY_MAC, CAPTURE_SERVER_MAC]);
    expect(pick('eth.dst')).toEqual(['ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff', CAPTURE_SERVER_MAC, MAC]);
    expect(pick('ip.src')).toEqual(['0.0.0.0', '192.0.2.1', '198.51.100.1', '192.0.2.1']);
    expect(pick('ip.dst')).toEqual(['255.255.255.255', '255.255.255.255', '192.0.2.1', '192.0.2.10']);
    expect(pick('udp.dstport')).toEqual(['67', '68', '67', '2070']);
    expect(pick('frame.len')).toEqual(packets.map((p) => String(42 + p.payloadLength)));
    // µs resolution: the millisecond of each packet, as seconds.nanoseconds.
    expect(pick('frame.time_epoch')).toEqual(
      packets.map((p) => `${Math.floor(p.at / 1000)}.${String(p.at % 1000).padStart(3, '0')}000000`),
    );
    expect(pick('ip.checksum.status')).toEqual(['1', '1', '1', '1']);
    expect(await tsharkExpertItems(file)).toEqual([]);
  });

  it('is a valid empty capture for a machine with no packets', async () => {
    const file = pcapFile(capturePcap([]));
    expect(await tsharkFields(file, ['frame.number'])).toEqual([]);
  });
});
