// Packets captured from real clients by scripts/capture-dhcp-golden.sh (design.md §8.3). Each NAME.hex has a
// NAME.txt beside it: Wireshark's reading of the same frame, which these tests compare with ours.
import { describe, expect, it } from 'vitest';
import {
  clientMac,
  decodeDhcpMessage,
  type DhcpMessage,
  encodeDhcpMessage,
  hasUserClass,
  isBroadcast,
  messageTypeLabel,
  pxeVendorOptionsOf,
} from '../../../src/protocol/dhcp4/index.js';
import { GOLDEN_NAMES, golden, goldenText, toHex } from './support.js';

/** What Wireshark says about a packet, read from its `tshark -V` text. */
function wireshark(name: string) {
  const text = goldenText(name);
  const all = (re: RegExp) => [...text.matchAll(re)].map((m) => m[1] ?? '');
  const one = (re: RegExp) => re.exec(text)?.[1];
  return {
    optionCodes: all(/^ {4}Option: \((\d+)\)/gm)
      .map(Number)
      .filter((c) => c !== 255),
    transactionId: one(/Transaction ID: (0x[0-9a-f]+)/),
    mac: one(/^ {4}Client MAC address: .*\(([0-9a-f:]{17})\)/m),
    broadcast: /Broadcast flag: Broadcast/.test(text),
    messageType: one(/^Dynamic Host Configuration Protocol \((\w+)\)/m),
    uuid: one(/Client Identifier \(UUID\): ([0-9a-f-]{36})/),
    vendorClass: one(/Vendor class identifier: (.*)$/m),
    hostName: one(/Host Name: (.*)$/m),
    architectures: all(/Client System Architecture: .*\((\d+)\)$/gm).map(Number),
    maxSize: one(/Maximum DHCP Message Size: (\d+)/),
    requestedIp: one(/Requested IP Address: ([\d.]+)$/m),
    serverId: one(/DHCP Server Identifier: ([\d.]+)$/m),
    clientIp: one(/Client IP address: ([\d.]+)$/m),
    yourIp: one(/Your \(client\) IP address: ([\d.]+)$/m),
    leaseTime: one(/IP Address Lease Time: \((\d+)s\)/),
    fqdnName: one(/Client name: (.*)$/m),
    parameterRequestList: all(/Parameter Request List Item: \((\d+)\)/g).map(Number),
  };
}

describe.each(GOLDEN_NAMES)('golden %s', (name) => {
  const bytes = golden(name);
  const m = decodeDhcpMessage(bytes);
  const ws = wireshark(name);

  it('decodes to what Wireshark reads', () => {
    expect(m.optionOrder).toEqual(ws.optionCodes);
    expect(`0x${m.transactionId.toString(16).padStart(8, '0')}`).toBe(ws.transactionId);
    expect(clientMac(m)).toBe(ws.mac);
    expect(isBroadcast(m)).toBe(ws.broadcast);
    expect(messageTypeLabel(m.messageType)).toBe(`DHCP${ws.messageType?.toUpperCase() ?? ''}`);
    expect(m.clientAddress).toBe(ws.clientIp);
    expect(m.yourAddress).toBe(ws.yourIp);
    expect(m.options.clientMachineId ?? undefined).toBe(ws.uuid);
    expect(m.options.vendorClassIdentifier).toBe(ws.vendorClass);
    expect(m.options.hostName).toBe(ws.hostName);
    expect(m.options.clientSystemArchitectures ?? []).toEqual(ws.architectures);
    expect(m.options.maximumMessageSize?.toString()).toBe(ws.maxSize);
    expect(m.options.requestedIpAddress).toBe(ws.requestedIp);
    expect(m.options.serverIdentifier).toBe(ws.serverId);
    expect(m.options.leaseTime?.toString()).toBe(ws.leaseTime);
    expect(m.options.clientFqdn?.domainName).toBe(ws.fqdnName);
    expect(m.options.parameterRequestList ?? []).toEqual(ws.parameterRequestList);
    expect(m.rejectedOptions).toEqual([]);
  });

  it('re-encodes to identical bytes', () => {
    // Clients pad to different sizes (dhclient and udhcpc to 300, iPXE and EDK2 not at all); padding after END
    // is not part of the message, so the same length is asked for.
    expect(toHex(encodeDhcpMessage(m, { minSize: bytes.length }))).toBe(toHex(bytes));
  });

  it('has only zero padding after END', () => {
    const end = 240 + endOffset(m);
    expect(bytes.subarray(end + 1).every((b) => b === 0)).toBe(true);
  });
});

/** Length of the encoded options up to END, without padding. */
function endOffset(m: DhcpMessage): number {
  return encodeDhcpMessage(m, { minSize: 0 }).length - 241;
}

describe('golden packets, client by client', () => {
  it('QEMU iPXE ROM (BIOS): arch 0, UNDI 2.1, user class iPXE (bare string), option 175, SMBIOS UUID', () => {
    const m = decodeDhcpMessage(golden('ipxe-bios-discover'));
    expect(m.messageType).toBe('discover');
    expect(m.options.clientSystemArchitectures).toEqual([0]);
    expect(m.options.clientNetworkInterface).toEqual({ type: 1, major: 2, minor: 1 });
    expect(m.options.vendorClassIdentifier).toBe('PXEClient:Arch:00000:UNDI:002001');
    expect(m.options.userClass?.text).toBe('iPXE');
    expect(m.options.userClass?.classes).toBeUndefined();
    expect(hasUserClass(m.options.userClass!, 'iPXE')).toBe(true);
    expect(m.options.ipxeEncapsulated?.length).toBeGreaterThan(0);
    expect(m.options.maximumMessageSize).toBe(1472);
    expect(isBroadcast(m)).toBe(false); // protocol-digest §10.3: iPXE does not set BROADCAST
    // QEMU ran with -uuid 8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a01: option 97 carries it byte-swapped (§10.5) and
    // decodes back to the SMBIOS text.
    expect(m.options.clientMachineId).toBe('8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a01');
    const opt97 = toHex(golden('ipxe-bios-discover')).indexOf('6111000a5e2f8c3d1b6f4e8a9b0c1d2e3f4a01');
    expect(opt97).toBeGreaterThan(0);
    expect(toHex(m.options.clientIdentifier ?? new Uint8Array())).toBe('01525400fbca10');
    expect(m.options.parameterRequestList).toEqual(
      expect.arrayContaining([1, 3, 6, 43, 60, 66, 67, 128, 135, 175]),
    );
  });

  it('QEMU iPXE ROM (UEFI): arch 7, UNDI 3.10', () => {
    const m = decodeDhcpMessage(golden('ipxe-efi-discover'));
    expect(m.options.clientSystemArchitectures).toEqual([7]);
    expect(m.options.clientNetworkInterface).toEqual({ type: 1, major: 3, minor: 10 });
    expect(m.options.vendorClassIdentifier).toBe('PXEClient:Arch:00007:UNDI:003010');
    expect(m.options.userClass?.text).toBe('iPXE');
    expect(m.options.clientMachineId).toBe('8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a03');
  });

  it('OVMF (EDK2 PXE): arch 7, UNDI 3.0, BROADCAST set, no user class, no client identifier', () => {
    const m = decodeDhcpMessage(golden('ovmf-x64-discover'));
    expect(m.options.clientSystemArchitectures).toEqual([7]);
    expect(m.options.clientNetworkInterface).toEqual({ type: 1, major: 3, minor: 0 });
    expect(m.options.vendorClassIdentifier).toBe('PXEClient:Arch:00007:UNDI:003000');
    expect(isBroadcast(m)).toBe(true); // protocol-digest §2.1
    expect(m.options.userClass).toBeUndefined();
    expect(m.options.clientIdentifier).toBeUndefined();
    expect(m.options.clientMachineId).toBe('8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02');
    // RFC 4578 §2.4: PXE clients request 128–135.
    expect(m.options.parameterRequestList).toEqual(
      expect.arrayContaining([128, 129, 130, 131, 132, 133, 134, 135]),
    );
    expect(pxeVendorOptionsOf(m)).toBeUndefined(); // no option 43 from the client
  });

  it('OVMF UEFI HTTP Boot: arch 16, vendor class HTTPClient (protocol-digest §2.7)', () => {
    const m = decodeDhcpMessage(golden('ovmf-x64-http-discover'));
    expect(m.options.clientSystemArchitectures).toEqual([16]);
    expect(m.options.vendorClassIdentifier).toBe('HTTPClient:Arch:00016:UNDI:003000');
    expect(m.options.clientMachineId).toBe('8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02');
  });

  it('OVMF REQUEST (SELECTING): server id and requested IP, a 65280-byte size limit', () => {
    const m = decodeDhcpMessage(golden('ovmf-x64-request-selecting'));
    expect(m.messageType).toBe('request');
    expect(m.options.serverIdentifier).toBe('198.18.0.1');
    expect(m.options.requestedIpAddress).toMatch(/^198\.18\.0\.\d+$/);
    expect(m.options.maximumMessageSize).toBe(65280);
  });

  it('dhclient: host name, user class as a bare string, no client identifier', () => {
    const m = decodeDhcpMessage(golden('dhclient-discover'));
    expect(m.options.hostName).toBe('fbcap-dhclient');
    expect(m.options.userClass?.text).toBe('fleetboot-capture');
    expect(m.options.clientIdentifier).toBeUndefined();
    expect(clientMac(m)).toBe('02:fb:ca:00:00:01');
  });

  it('dhclient REQUEST (INIT-REBOOT): requested IP, no server id, ciaddr 0', () => {
    const m = decodeDhcpMessage(golden('dhclient-request-init-reboot'));
    expect(m.options.requestedIpAddress).toBeDefined();
    expect(m.options.serverIdentifier).toBeUndefined();
    expect(m.clientAddress).toBe('0.0.0.0');
  });

  it('dhclient RELEASE: ciaddr and server id', () => {
    const m = decodeDhcpMessage(golden('dhclient-release'));
    expect(m.messageType).toBe('release');
    expect(m.clientAddress).toMatch(/^198\.18\.0\.\d+$/);
    expect(m.options.serverIdentifier).toBe('198.18.0.1');
  });

  it('udhcpc: client identifier type 1 + MAC, 57 = 576', () => {
    const m = decodeDhcpMessage(golden('udhcpc-discover'));
    expect(toHex(m.options.clientIdentifier ?? new Uint8Array())).toBe('0102fbca000002');
    expect(m.options.maximumMessageSize).toBe(576);
  });

  it('udhcpc REQUEST (RENEWING): unicast from ciaddr, no server id, no requested IP', () => {
    const m = decodeDhcpMessage(golden('udhcpc-request-renewing'));
    expect(m.clientAddress).toMatch(/^198\.18\.0\.\d+$/);
    expect(m.options.serverIdentifier).toBeUndefined();
    expect(m.options.requestedIpAddress).toBeUndefined();
  });

  it('udhcpc -F: option 81 in ASCII form with the S flag', () => {
    const m = decodeDhcpMessage(golden('udhcpc-named-discover'));
    expect(m.options.clientFqdn).toEqual({
      flags: 1,
      rcode1: 0,
      rcode2: 0,
      domainName: 'fbcap-udhcpc.example.test',
    });
    expect(m.options.hostName).toBe('fbcap-udhcpc');
    expect(m.options.vendorClassIdentifier).toBe('fleetboot-capture');
  });

  it('udhcpd OFFER and ACK: replies from a real server decode too', () => {
    const offer = decodeDhcpMessage(golden('udhcpd-offer'));
    expect(offer.op).toBe('reply');
    expect(offer.messageType).toBe('offer');
    expect(offer.options.subnetMask).toBe('255.255.255.0');
    expect(offer.options.leaseTime).toBe(600);
    expect(offer.nextServerAddress).toBe('198.18.0.1');
    expect(offer.bootFile).toBe('fbcap-none.efi');
    const ack = decodeDhcpMessage(golden('udhcpd-ack'));
    expect(ack.messageType).toBe('ack');
    expect(ack.yourAddress).toBe(offer.yourAddress);
  });
});
