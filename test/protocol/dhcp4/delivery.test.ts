import { describe, expect, it } from 'vitest';
import {
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  type DeliveryRule,
  replyDestination,
} from '../../../src/protocol/dhcp4/delivery.js';
import {
  BROADCAST_FLAG,
  decodeDhcpMessage,
  type DhcpMessageType,
  isBroadcast,
  replyTo,
  type ReplyType,
} from '../../../src/protocol/dhcp4/index.js';
import { golden, ip } from './support.js';

const ZERO = '0.0.0.0';
const RELAY = '10.9.0.1';
const CLIENT = '10.9.0.50';
const SOURCE = '10.9.0.77';
const BCAST = '255.255.255.255';

interface Case {
  readonly name: string;
  readonly type: DhcpMessageType;
  readonly reply: ReplyType;
  readonly giaddr: string;
  readonly ciaddr: string;
  readonly broadcast: boolean;
  readonly source?: string;
  readonly expected: readonly [address: string, port: number, rule: DeliveryRule];
}

// RFC 2131 §4.1, in the order of protocol-digest §1.3; §4.3.2 (NAK) and §4.3.5 (INFORM).
const CASES: readonly Case[] = [
  // 1. giaddr ≠ 0 → the relay's server port, whatever else is set.
  {
    name: 'relayed OFFER',
    type: 'discover',
    reply: 'offer',
    giaddr: RELAY,
    ciaddr: ZERO,
    broadcast: false,
    expected: [RELAY, 67, 'relay'],
  },
  {
    name: 'relayed ACK with ciaddr and BROADCAST',
    type: 'request',
    reply: 'ack',
    giaddr: RELAY,
    ciaddr: CLIENT,
    broadcast: true,
    expected: [RELAY, 67, 'relay'],
  },
  {
    name: 'relayed NAK',
    type: 'request',
    reply: 'nak',
    giaddr: RELAY,
    ciaddr: CLIENT,
    broadcast: false,
    expected: [RELAY, 67, 'relay'],
  },
  // 2. ciaddr ≠ 0 → unicast to the client (RENEWING).
  {
    name: 'ACK to a RENEWING client',
    type: 'request',
    reply: 'ack',
    giaddr: ZERO,
    ciaddr: CLIENT,
    broadcast: false,
    expected: [CLIENT, 68, 'client-address'],
  },
  {
    name: 'ACK with ciaddr beats the BROADCAST flag',
    type: 'request',
    reply: 'ack',
    giaddr: ZERO,
    ciaddr: CLIENT,
    broadcast: true,
    expected: [CLIENT, 68, 'client-address'],
  },
  // 5. NAK without a relay: always broadcast, even with ciaddr.
  {
    name: 'NAK to a RENEWING client',
    type: 'request',
    reply: 'nak',
    giaddr: ZERO,
    ciaddr: CLIENT,
    broadcast: false,
    expected: [BCAST, 68, 'nak-broadcast'],
  },
  {
    name: 'NAK to an INIT-REBOOT client',
    type: 'request',
    reply: 'nak',
    giaddr: ZERO,
    ciaddr: ZERO,
    broadcast: false,
    expected: [BCAST, 68, 'nak-broadcast'],
  },
  // 3. BROADCAST flag (EDK2 sets it).
  {
    name: 'OFFER to a client that set BROADCAST',
    type: 'discover',
    reply: 'offer',
    giaddr: ZERO,
    ciaddr: ZERO,
    broadcast: true,
    expected: [BCAST, 68, 'broadcast-flag'],
  },
  // 4. Unicast to yiaddr needs ARP injection: broadcast (the §4.1 MAY; iPXE sets no flag, digest §10.3).
  {
    name: 'OFFER to a client without the flag',
    type: 'discover',
    reply: 'offer',
    giaddr: ZERO,
    ciaddr: ZERO,
    broadcast: false,
    expected: [BCAST, 68, 'broadcast-no-arp'],
  },
  {
    name: 'ACK in SELECTING without the flag',
    type: 'request',
    reply: 'ack',
    giaddr: ZERO,
    ciaddr: ZERO,
    broadcast: false,
    expected: [BCAST, 68, 'broadcast-no-arp'],
  },
  // INFORM (§4.3.5): directly to ciaddr, even through a relay.
  {
    name: 'ACK to INFORM',
    type: 'inform',
    reply: 'ack',
    giaddr: ZERO,
    ciaddr: CLIENT,
    broadcast: true,
    expected: [CLIENT, 68, 'client-address'],
  },
  {
    name: 'ACK to a relayed INFORM with ciaddr',
    type: 'inform',
    reply: 'ack',
    giaddr: RELAY,
    ciaddr: CLIENT,
    broadcast: false,
    expected: [CLIENT, 68, 'client-address'],
  },
  {
    name: 'ACK to a relayed INFORM without ciaddr',
    type: 'inform',
    reply: 'ack',
    giaddr: RELAY,
    ciaddr: ZERO,
    broadcast: false,
    expected: [RELAY, 67, 'relay'],
  },
  {
    name: 'ACK to an INFORM without ciaddr: its IP source',
    type: 'inform',
    reply: 'ack',
    giaddr: ZERO,
    ciaddr: ZERO,
    broadcast: false,
    source: SOURCE,
    expected: [SOURCE, 68, 'inform-source'],
  },
  {
    name: 'ACK to an INFORM with neither ciaddr nor source',
    type: 'inform',
    reply: 'ack',
    giaddr: ZERO,
    ciaddr: ZERO,
    broadcast: false,
    expected: [BCAST, 68, 'broadcast-no-arp'],
  },
];

describe('replyDestination (RFC 2131 §4.1)', () => {
  it.each(CASES)('$name', ({ type, reply, giaddr, ciaddr, broadcast, source, expected }) => {
    const request = {
      messageType: type,
      relayAgentAddress: ip(giaddr),
      clientAddress: ip(ciaddr),
      flags: broadcast ? BROADCAST_FLAG : 0,
    };
    const [address, port, rule] = expected;
    expect(replyDestination(request, reply, source === undefined ? undefined : ip(source))).toEqual({
      address,
      port,
      rule,
    });
  });

  it('uses the well-known ports', () => {
    expect([DHCP_SERVER_PORT, DHCP_CLIENT_PORT]).toEqual([67, 68]);
  });

  it('ignores reserved flag bits (D31)', () => {
    const request = {
      messageType: 'discover' as const,
      relayAgentAddress: ip(ZERO),
      clientAddress: ip(ZERO),
      flags: 0x7fff,
    };
    expect(replyDestination(request, 'offer').rule).toBe('broadcast-no-arp');
  });

  it('a NAK through a relay carries BROADCAST, so the relay broadcasts it (RFC 2131 §4.3.2)', () => {
    const request = { ...decodeDhcpMessage(golden('ovmf-x64-request-selecting')), flags: 0 };
    const relayed = { ...request, relayAgentAddress: ip(RELAY) };
    expect(isBroadcast(replyTo(relayed, 'nak'))).toBe(true);
    expect(isBroadcast(replyTo(request, 'nak'))).toBe(false);
    expect(replyDestination(relayed, 'nak')).toEqual({ address: RELAY, port: 67, rule: 'relay' });
  });

  it('delivers real clients’ requests as expected: iPXE has no flag, OVMF sets it', () => {
    const ipxe = decodeDhcpMessage(golden('ipxe-bios-discover'));
    const ovmf = decodeDhcpMessage(golden('ovmf-x64-discover'));
    const renewing = decodeDhcpMessage(golden('udhcpc-request-renewing'));
    expect(replyDestination(ipxe, 'offer').rule).toBe('broadcast-no-arp');
    expect(replyDestination(ovmf, 'offer').rule).toBe('broadcast-flag');
    expect(replyDestination(renewing, 'ack')).toEqual({
      address: '198.18.0.134',
      port: 68,
      rule: 'client-address',
    });
  });
});
