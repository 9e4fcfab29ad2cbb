import { describe, expect, it } from 'vitest';
import {
  BROADCAST_FLAG,
  decodeDhcpMessage,
  type DhcpMessage,
  type DhcpMessageType,
  encodeDhcpMessage,
  encodeReply,
  replyOptionRule,
  replySizeLimit,
  replyTo,
  type ReplyType,
  selectReplyOptions,
  userClassFromRaw,
} from '../../../src/protocol/dhcp4/index.js';
import { golden, ip, optionBytes } from './support.js';

describe('replySizeLimit (RFC 2132 §9.10, protocol-digest §1.1, D20)', () => {
  it.each([
    [undefined, 548],
    [0, 548],
    [575, 548],
    [576, 548],
    [1472, 1444], // iPXE
    [1500, 1472],
    [65280, 1472], // OVMF sends 65280: never more than an Ethernet MTU
  ])('option 57 = %s → %d bytes of DHCP payload', (opt57, limit) => {
    expect(replySizeLimit(opt57)).toBe(limit);
  });
});

describe('replyOptionRule (RFC 2131 Table 3)', () => {
  const cases: [number, ReplyType, DhcpMessageType, string][] = [
    [50, 'offer', 'discover', 'never'],
    [55, 'ack', 'request', 'never'],
    [57, 'nak', 'request', 'never'],
    [54, 'offer', 'discover', 'always'],
    [54, 'nak', 'request', 'always'],
    [56, 'nak', 'request', 'always'],
    [61, 'offer', 'discover', 'always'],
    [61, 'nak', 'request', 'always'],
    [82, 'ack', 'inform', 'always'],
    [51, 'offer', 'discover', 'always'],
    [51, 'ack', 'request', 'always'],
    [51, 'ack', 'inform', 'never'],
    [51, 'nak', 'request', 'never'],
    [58, 'ack', 'request', 'always'],
    [59, 'ack', 'inform', 'never'],
    [59, 'nak', 'request', 'never'],
    [60, 'nak', 'request', 'if-requested'],
    [60, 'offer', 'discover', 'if-requested'],
    [3, 'offer', 'discover', 'if-requested'],
    [67, 'ack', 'request', 'if-requested'],
    [3, 'nak', 'request', 'never'],
    [67, 'nak', 'request', 'never'],
  ];
  it.each(cases)('option %d in %s to %s: %s', (code, reply, request, rule) => {
    expect(replyOptionRule(code, reply, request)).toBe(rule);
  });
});

describe('selectReplyOptions (RFC 2131 §4.3.1)', () => {
  const available = [54, 51, 1, 3, 6, 15, 12, 66, 67, 43, 60, 61, 82, 209];

  it('sends the mandatory ones, then what the client asked for in its order, 82 last', () => {
    expect(
      selectReplyOptions({
        reply: 'offer',
        request: 'discover',
        parameterRequestList: [6, 3, 1, 99],
        available,
      }),
    ).toEqual([54, 51, 61, 6, 3, 1, 82]);
  });

  it('sends each requested option once, however often it is asked for (D16)', () => {
    const list = Array.from({ length: 255 }, (_, i) => [3, 6][i % 2] ?? 3);
    expect(
      selectReplyOptions({ reply: 'ack', request: 'request', parameterRequestList: list, available }),
    ).toEqual([54, 51, 61, 3, 6, 82]);
  });

  it('without option 55, sends everything the server has', () => {
    expect(
      selectReplyOptions({ reply: 'offer', request: 'discover', parameterRequestList: undefined, available }),
    ).toEqual([54, 51, 61, 1, 3, 6, 15, 12, 66, 67, 43, 60, 209, 82]);
  });

  it('adds forced options (PXELINUX 209 is never requested), but never one Table 3 forbids', () => {
    expect(
      selectReplyOptions({
        reply: 'ack',
        request: 'request',
        parameterRequestList: [1],
        available,
        forced: [209, 50],
      }),
    ).toEqual([54, 51, 61, 1, 209, 82]);
  });

  it('a NAK carries only 54, 61, 82 (and 60 if asked): no lease, no parameters', () => {
    expect(
      selectReplyOptions({
        reply: 'nak',
        request: 'request',
        parameterRequestList: [1, 3, 60, 67],
        available,
      }),
    ).toEqual([54, 61, 60, 82]);
  });

  it('an ACK to INFORM carries no lease time', () => {
    expect(
      selectReplyOptions({ reply: 'ack', request: 'inform', parameterRequestList: [1, 3], available }),
    ).toEqual([54, 61, 1, 3, 82]);
  });
});

function offerTo(request: DhcpMessage, extra: Partial<DhcpMessage['options']> = {}): DhcpMessage {
  const base = replyTo(request, 'offer');
  return {
    ...base,
    yourAddress: ip('198.18.0.50'),
    nextServerAddress: ip('198.18.0.1'),
    bootFile: 'undionly.kpxe',
    options: {
      ...base.options,
      serverIdentifier: ip('198.18.0.1'),
      leaseTime: 3600,
      renewalTime: 1800,
      rebindingTime: 3150,
      subnetMask: ip('255.255.255.0'),
      routers: [ip('198.18.0.1')],
      domainNameServers: [ip('198.18.0.1')],
      domainName: 'lab.example',
      bootFileName: 'undionly.kpxe',
      vendorClassIdentifier: 'PXEClient',
      pxelinuxConfigFile: 'pxelinux.cfg/default',
      ...extra,
    },
  };
}

describe('replyTo (RFC 2131 Table 3, RFC 6842, RFC 3046)', () => {
  const request = decodeDhcpMessage(golden('ipxe-bios-discover'));

  it('copies htype, chaddr, xid, flags and giaddr; zeroes hops and secs; echoes option 61', () => {
    const offer = replyTo(request, 'offer');
    expect(offer).toMatchObject({
      op: 'reply',
      hardwareType: 1,
      transactionId: request.transactionId,
      flags: request.flags,
      hops: 0,
      secondsElapsed: 0,
      relayAgentAddress: request.relayAgentAddress,
      messageType: 'offer',
    });
    expect(offer.clientHardwareAddress).toEqual(request.clientHardwareAddress);
    expect(offer.options.clientIdentifier).toEqual(request.options.clientIdentifier);
    expect(offer.options.relayAgentInformation).toBeUndefined();
  });

  it('keeps ciaddr only in an ACK', () => {
    const renewing = decodeDhcpMessage(golden('udhcpc-request-renewing'));
    expect(replyTo(renewing, 'ack').clientAddress).toBe(renewing.clientAddress);
    expect(replyTo(renewing, 'nak').clientAddress).toBe('0.0.0.0');
    expect(replyTo(renewing, 'offer').clientAddress).toBe('0.0.0.0');
  });

  it('sets BROADCAST in a NAK through a relay (RFC 2131 §4.3.2), and echoes option 82', () => {
    const relayed: DhcpMessage = {
      ...request,
      relayAgentAddress: ip('198.18.1.1'),
      options: {
        ...request.options,
        relayAgentInformation: { subOptions: [{ code: 1, data: Uint8Array.of(7) }] },
      },
    };
    const nak = replyTo(relayed, 'nak');
    expect(nak.flags & BROADCAST_FLAG).toBe(BROADCAST_FLAG);
    expect(nak.options.relayAgentInformation).toEqual(relayed.options.relayAgentInformation);
    expect(replyTo(relayed, 'offer').flags & BROADCAST_FLAG).toBe(0);
    expect(replyTo(request, 'nak').flags & BROADCAST_FLAG).toBe(0);
  });
});

describe('encodeReply', () => {
  const ipxe = decodeDhcpMessage(golden('ipxe-bios-discover'));
  const dhclient = decodeDhcpMessage(golden('dhclient-discover'));

  it('sends only what the client asked for plus the mandatory options, 53 first', () => {
    const { bytes, omitted, noRoom } = encodeReply(offerTo(dhclient), dhclient);
    const m = decodeDhcpMessage(bytes);
    // dhclient asked for 1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42 and so on: not 67, 60 or 209.
    expect(m.optionOrder?.[0]).toBe(53);
    expect(m.options.subnetMask).toBe('255.255.255.0');
    expect(m.options.routers).toEqual(['198.18.0.1']);
    expect(m.options.leaseTime).toBe(3600);
    expect(m.options.serverIdentifier).toBe('198.18.0.1');
    expect(m.options.bootFileName).toBeUndefined();
    expect(m.options.vendorClassIdentifier).toBeUndefined();
    expect(omitted).toEqual(expect.arrayContaining([67, 60, 209]));
    expect(noRoom).toEqual([]);
    // The BOOTP fields carry the boot file regardless of option 55 (protocol-digest §10.2).
    expect(m.bootFile).toBe('undionly.kpxe');
    expect(m.nextServerAddress).toBe('198.18.0.1');
  });

  it('pads a small reply to 300 bytes (BOOTP minimum; the Linux kernel client ignores less)', () => {
    const request = { ...dhclient, options: { ...dhclient.options, parameterRequestList: [] } };
    const { bytes } = encodeReply(offerTo(request), request);
    expect(bytes).toHaveLength(300);
  });

  it('forces PXELINUX options the ROM never asks for', () => {
    const { bytes } = encodeReply(offerTo(ipxe), ipxe, { forced: [209] });
    expect(decodeDhcpMessage(bytes).options.pxelinuxConfigFile).toBe('pxelinux.cfg/default');
  });

  it('stays within 576 − 28 bytes without option 57, dropping the least preferred requested options', () => {
    const request: DhcpMessage = {
      ...dhclient,
      options: { ...dhclient.options, parameterRequestList: [1, 3, 6, 12, 67] },
    };
    // 240 header + 53 (3) + 54, 51, 58, 59, 1 (6 each) + 66 routers (264 bytes: 2 instances, 268) + 6 (6)
    // + 12 (6) + 67 (15) + END = 569 bytes: 67 and then 12, the last two in option 55, must go.
    const bigRouters = Array.from({ length: 66 }, (_, i) => ip(`198.18.1.${i + 1}`));
    const reply = offerTo(request, { routers: bigRouters, hostName: 'web1' });
    expect(encodeDhcpMessage(reply, { minSize: 0 }).length).toBeGreaterThan(569);
    const { bytes, noRoom } = encodeReply(reply, request);
    expect(bytes).toHaveLength(548);
    const m = decodeDhcpMessage(bytes);
    expect(noRoom).toEqual([67, 12]);
    expect(m.options.routers).toHaveLength(66);
    expect(m.options.leaseTime).toBe(3600);
  });

  it('uses the room option 57 allows', () => {
    const request: DhcpMessage = {
      ...dhclient,
      options: { ...dhclient.options, parameterRequestList: [1, 3, 6, 12, 67], maximumMessageSize: 1500 },
    };
    const bigRouters = Array.from({ length: 80 }, (_, i) => ip(`198.18.1.${i + 1}`));
    const { bytes, noRoom } = encodeReply(offerTo(request, { routers: bigRouters }), request);
    expect(noRoom).toEqual([]);
    expect(bytes.length).toBeGreaterThan(548);
    expect(bytes.length).toBeLessThanOrEqual(1472);
    expect(decodeDhcpMessage(bytes).options.routers).toHaveLength(80);
  });

  it('refuses when the mandatory options alone do not fit', () => {
    const base = replyTo(dhclient, 'nak');
    const nak: DhcpMessage = {
      ...base,
      options: { ...base.options, serverIdentifier: ip('198.18.0.1'), message: 'x'.repeat(400) },
    };
    expect(() => encodeReply(nak, dhclient)).toThrow(expect.objectContaining({ reason: 'too-big' }));
  });

  it("names the header's fault first when a reply has several (a boot file too long, option 56 too long to fit)", () => {
    const offer: DhcpMessage = {
      ...offerTo(dhclient),
      bootFile: 'f'.repeat(200),
      options: { ...offerTo(dhclient).options, message: 'x'.repeat(400) },
    };
    expect(() => encodeReply(offer, dhclient)).toThrow(expect.objectContaining({ reason: 'field-too-long' }));
    expect(() => encodeReply({ ...offer, bootFile: 'f' }, dhclient)).toThrow(
      expect.objectContaining({ reason: 'too-big' }),
    );
  });

  it('refuses a NAK with sname or file, and a reply of a client type', () => {
    const nak = { ...replyTo(dhclient, 'nak'), bootFile: 'x' };
    expect(() => encodeReply(nak, dhclient)).toThrow(expect.objectContaining({ reason: 'nak-fields' }));
    const bad = { ...replyTo(dhclient, 'offer'), messageType: 'request' as const };
    expect(() => encodeReply(bad, dhclient)).toThrow(expect.objectContaining({ reason: 'reply-type' }));
  });

  it('echoes option 82 byte for byte, as the last option (RFC 3046 §2.2)', () => {
    const wire = [53, 1, 1, 82, 8, 1, 2, 0x65, 0x30, 2, 2, 0xab, 0xcd, 255];
    const base = encodeDhcpMessage(dhclient, { minSize: 0 });
    const relayed = decodeDhcpMessage(
      Uint8Array.from([...base.subarray(0, 24), 198, 18, 1, 1, ...base.subarray(28, 240), ...wire]),
    );
    const reply = offerTo(relayed, { userClass: userClassFromRaw(Uint8Array.of(1)) });
    const options = optionBytes(encodeReply(reply, relayed).bytes);
    expect(options.slice(-11)).toEqual([82, 8, 1, 2, 0x65, 0x30, 2, 2, 0xab, 0xcd, 255]);
  });
});
