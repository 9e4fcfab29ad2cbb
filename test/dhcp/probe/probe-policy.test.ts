// The pure half of the segment probe (issue 3 item 3): the DISCOVER we send, how an answer is read (our own packets
// and proxyDHCP servers ignored), and the mode `auto` picks from what was found.
import { describe, expect, it } from 'vitest';
import type { DhcpProbeResult } from '../../../src/net/dhcp-probe.js';
import { decideAutoMode } from '../../../src/dhcp/probe/auto-mode.js';
import { type ProbeSelf, readProbeAnswer } from '../../../src/dhcp/probe/answers.js';
import { probeDiscover } from '../../../src/dhcp/probe/discover.js';
import { PROBE_VENDOR_CLASS } from '../../../src/net/dhcp-probe.js';
import type { SegmentProbe } from '../../../src/dhcp/probe/segment.js';
import {
  BROADCAST_FLAG,
  decodeDhcpMessage,
  type DhcpMessage,
  encodeDhcpMessage,
  replyTo,
} from '../../../src/protocol/dhcp4/index.js';
import { type Ipv4, IPV4_ANY, parseIpv4 } from '../../../src/values/ipv4.js';
import { parseMac } from '../../../src/values/mac.js';
import { golden } from '../../protocol/dhcp4/support.js';

const ip = (text: string): Ipv4 => parseIpv4(text);
const SELF: ProbeSelf = {
  mac: parseMac('52:54:00:aa:bb:cc'),
  transactionId: 0x01020304,
  ownAddresses: new Set([ip('198.18.0.1'), ip('127.0.0.1')]),
};

/** Another server's answer to our probe, as it would put it on the wire. */
function answer(
  type: 'offer' | 'ack',
  overrides: Partial<DhcpMessage> = {},
  server = '198.18.0.2',
): DhcpMessage {
  const base = replyTo(probeDiscover(SELF), type);
  const message: DhcpMessage = {
    ...base,
    yourAddress: ip('198.18.0.120'),
    options: { ...base.options, serverIdentifier: ip(server), leaseTime: 600 },
    ...overrides,
  };
  return decodeDhcpMessage(encodeDhcpMessage(message));
}

function withoutServerId(message: DhcpMessage): DhcpMessage {
  const { serverIdentifier: _, ...options } = message.options;
  return { ...message, options };
}

describe('probeDiscover', () => {
  it('is a plain broadcast DISCOVER from our MAC, saying what it is in option 60, and round-trips', () => {
    const decoded = decodeDhcpMessage(encodeDhcpMessage(probeDiscover(SELF)));
    expect(decoded).toMatchObject({
      op: 'request',
      messageType: 'discover',
      transactionId: 0x01020304,
      flags: BROADCAST_FLAG,
      clientAddress: IPV4_ANY,
      relayAgentAddress: IPV4_ANY,
      options: { vendorClassIdentifier: PROBE_VENDOR_CLASS, parameterRequestList: [1, 3, 6, 51, 54] },
    });
    expect(Buffer.from(decoded.clientHardwareAddress).toString('hex')).toBe('525400aabbcc');
    // Not a PXE client: no proxyDHCP server has anything to say to it.
    expect(decoded.options.vendorClassIdentifier).not.toMatch(/^(PXEClient|HTTPClient)/);
    expect(decoded.options.clientSystemArchitectures).toBeUndefined();
  });
});

describe('readProbeAnswer', () => {
  it('names the server of an OFFER to our probe by option 54, with what it offered', () => {
    expect(readProbeAnswer(answer('offer'), '198.18.0.2', SELF)).toEqual({
      kind: 'server',
      server: {
        server: '198.18.0.2',
        source: '198.18.0.2',
        offered: '198.18.0.120',
        type: 'offer',
        answeredProbe: true,
      },
    });
  });

  it('names a server behind a relay by option 54, and the relay as the source', () => {
    const read = readProbeAnswer(answer('offer', {}, '10.9.0.5'), '198.18.0.254', SELF);
    expect(read).toMatchObject({ kind: 'server', server: { server: '10.9.0.5', source: '198.18.0.254' } });
  });

  it('counts an overheard OFFER or ACK to another client, marked as not an answer to us', () => {
    const other = decodeDhcpMessage(golden('udhcpd-offer')); // server 198.18.0.1 in the capture
    const self = { ...SELF, ownAddresses: new Set<Ipv4>() };
    expect(readProbeAnswer(other, '198.18.0.1', self)).toMatchObject({
      kind: 'server',
      server: { server: '198.18.0.1', offered: '198.18.0.134', answeredProbe: false },
    });
    const ack = decodeDhcpMessage(golden('udhcpd-ack'));
    expect(readProbeAnswer(ack, '198.18.0.1', self)).toMatchObject({
      kind: 'server',
      server: { type: 'ack' },
    });
    // Same xid, another client: not an answer to us either.
    const sameXid = answer('offer', { clientHardwareAddress: Uint8Array.of(2, 0, 0, 0, 0, 9) });
    expect(readProbeAnswer(sameXid, '198.18.0.2', SELF)).toMatchObject({ server: { answeredProbe: false } });
  });

  it('falls back to the IP source when a server leaves out option 54', () => {
    const read = readProbeAnswer(withoutServerId(answer('offer')), '198.18.0.7', SELF);
    expect(read).toMatchObject({ kind: 'server', server: { server: '198.18.0.7' } });
  });

  it('sees a foreign server whose OFFER a relay on this host forwards from one of our addresses', () => {
    // Option 54 names the server; the IP source is the relay's, which is ours.
    const read = readProbeAnswer(answer('offer'), '198.18.0.1', SELF);
    expect(read).toMatchObject({ kind: 'server', server: { server: '198.18.0.2', source: '198.18.0.1' } });
  });

  it.each([
    ['our own server answering (option 54 is ours)', answer('offer', {}, '198.18.0.1'), '198.18.0.1', 'own'],
    [
      'a reply from one of our addresses without option 54',
      withoutServerId(answer('offer')),
      '127.0.0.1',
      'own',
    ],
    [
      'a proxyDHCP offer (yiaddr 0.0.0.0)',
      answer('offer', { yourAddress: IPV4_ANY }),
      '198.18.0.2',
      'no-address',
    ],
    ['a NAK', answer('offer', { messageType: 'nak' }), '198.18.0.2', 'not-offer-or-ack'],
    ['a client message (our own DISCOVER looped back)', probeDiscover(SELF), '198.18.0.1', 'not-a-reply'],
  ])('ignores %s', (_, message, source, reason) => {
    expect(readProbeAnswer(message, source, SELF)).toEqual({ kind: 'ignored', reason });
  });
});

const transport = (sent: number, elapsedMs: number): DhcpProbeResult => ({
  sent,
  received: 0,
  undecodable: 0,
  endedEarly: false,
  elapsedMs,
});

describe('decideAutoMode', () => {
  it('is full when no server answered anywhere, saying how long it listened', () => {
    const probes: SegmentProbe[] = [
      { interfaceName: 'eth1', servers: [], transport: transport(3, 6000) },
      { interfaceName: 'eth2', servers: [], transport: transport(1, 6002) },
    ];
    expect(decideAutoMode(probes)).toEqual({
      mode: 'full',
      reason: 'no other DHCP server answered on eth1 (3 DISCOVERs, 6.0 s), eth2 (1 DISCOVER, 6.0 s)',
    });
  });

  it('is proxy when a server answered, naming it, how, and the interfaces that had none', () => {
    const site = readProbeAnswer(answer('offer'), '198.18.0.2', SELF);
    const relayed = readProbeAnswer(answer('ack', { transactionId: 7 }, '10.9.0.5'), '198.18.0.254', SELF);
    if (site.kind !== 'server' || relayed.kind !== 'server') throw new Error('fixture');
    const decision = decideAutoMode([
      { interfaceName: 'eth1', servers: [site.server, relayed.server], transport: transport(1, 300) },
      { interfaceName: 'eth2', servers: [], transport: transport(3, 6000) },
    ]);
    expect(decision.mode).toBe('proxy');
    expect(decision.reason).toBe(
      'another DHCP server leases addresses here: 198.18.0.2 on eth1 answered our DISCOVER with 198.18.0.120; ' +
        '10.9.0.5 via 198.18.0.254 on eth1 was heard leasing 198.18.0.120; eth2 had none but gets proxy too ' +
        '(one mode per process: set dhcp.mode full to lease there)',
    );
  });
});
