import {
  clientMac,
  type DhcpMessage,
  OP_BOOTREPLY,
  optionCodeOf,
  optionInPlace,
} from '../../protocol/dhcp4/index.js';
import { type Ipv4, IPV4_ANY, ipv4FromBytes, ipv4OrAny } from '../../values/ipv4.js';
import type { ProbeIdentity } from './discover.js';

/** What the probe knows about itself, to tell another server's answer from its own and from unrelated traffic. */
export interface ProbeSelf extends ProbeIdentity {
  /** Our addresses (every interface's): a reply naming one of them as its server came from this host. */
  readonly ownAddresses: ReadonlySet<Ipv4>;
}

/** Another DHCP server, seen on the segment. */
export interface SeenServer {
  /** Option 54 (RFC 2131 §4.3.1: MUST be in an OFFER and an ACK), else the datagram's IP source. */
  readonly server: Ipv4;
  /** The datagram's IP source: a relay's address when the server is behind one. */
  readonly source: Ipv4;
  /** The address it handed out (yiaddr). */
  readonly offered: Ipv4;
  readonly type: 'offer' | 'ack';
}

/** A server seen by the probe. */
export interface ForeignServer extends SeenServer {
  /** It answered our probe (our xid and chaddr), rather than another client whose broadcast answer we overheard. */
  readonly answeredProbe: boolean;
}

/** Why a datagram says nothing about another server that leases addresses. */
export type IgnoredReason = 'not-a-reply' | 'not-offer-or-ack' | 'own' | 'no-address';

export type SeenReply =
  | { readonly kind: 'server'; readonly server: SeenServer }
  | { readonly kind: 'ignored'; readonly reason: IgnoredReason };

export type ProbeAnswer =
  | { readonly kind: 'server'; readonly server: ForeignServer }
  | { readonly kind: 'ignored'; readonly reason: IgnoredReason };

/**
 * Whether a BOOTREPLY shows another DHCP server that leases addresses: an OFFER or ACK whose yiaddr is an address.
 * Ignored:
 * - our own packets: a reply whose server (option 54, else the IP source) is one of our addresses — our own
 *   full-mode server answering, or a looped-back broadcast — `own`. A reply sent from one of our addresses that
 *   names another server is not ours: a DHCP relay on this host forwarding a foreign server's OFFER;
 * - proxyDHCP replies (yiaddr 0.0.0.0, protocol-digest §2.5): such a server hands out no addresses, so it is no
 *   reason for `auto` to stay out of the way, nor a second address server — `no-address`;
 * - NAKs, INFORM ACKs without an address, and client messages.
 */
export function seenServerOf(
  message: DhcpMessage,
  sourceAddress: string,
  ownAddresses: ReadonlySet<Ipv4>,
): SeenReply {
  if (message.op !== 'reply') return ignored('not-a-reply');
  const type = message.messageType;
  if (type !== 'offer' && type !== 'ack') return ignored('not-offer-or-ack');
  const source = ipv4OrAny(sourceAddress);
  const server = message.options.serverIdentifier ?? source;
  if (ownAddresses.has(server)) return ignored('own');
  if (message.yourAddress === IPV4_ANY) return ignored('no-address');
  return { kind: 'server', server: { server, source, offered: message.yourAddress, type } };
}

/**
 * Whether a datagram is a BOOTREPLY whose server identifier (option 54, read in place by optionInPlace) is one of
 * our addresses: one that seenServerOf ignores whatever the rest of it says (as `own`, or for its type), so it
 * need not be decoded. The probe's port-68 socket hears every reply the host's own server broadcasts on the
 * interface (Linux loops a sent broadcast back to the host's sockets), thousands a second while a rack boots;
 * bench/README.md, "Seventh round". False when option 54 cannot be read in place: the full decode decides then.
 * A datagram set aside here is not decoded, so one that would not have decoded is no longer counted as such
 * (DhcpProbeResult.undecodable): it was ignored either way.
 */
export function isOwnReplyInPlace(bytes: Uint8Array, ownAddresses: ReadonlySet<Ipv4>): boolean {
  if (bytes[0] !== OP_BOOTREPLY) return false;
  const server = optionInPlace(bytes, OPTION_SERVER_IDENTIFIER);
  return server?.length === 4 && ownAddresses.has(ipv4FromBytes(server));
}

const OPTION_SERVER_IDENTIFIER = optionCodeOf('serverIdentifier'); // 54, RFC 2132 §9.7

/**
 * Reads one datagram the probe's port-68 socket received (seenServerOf). Answers to other clients count too: DHCP
 * servers broadcast them to port 68 when the client asks (RFC 2131 §4.1), and an overheard OFFER proves a server
 * as well as an answer to us.
 */
export function readProbeAnswer(message: DhcpMessage, sourceAddress: string, self: ProbeSelf): ProbeAnswer {
  const seen = seenServerOf(message, sourceAddress, self.ownAddresses);
  if (seen.kind === 'ignored') return seen;
  const answeredProbe = message.transactionId === self.transactionId && clientMac(message) === self.mac;
  return { kind: 'server', server: { ...seen.server, answeredProbe } };
}

function ignored(reason: IgnoredReason): SeenReply {
  return { kind: 'ignored', reason };
}
