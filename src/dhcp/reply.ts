import { type BootReplyFields, NO_BOOT_FIELDS } from '../boot/boot-reply.js';
import { replyDestination } from '../protocol/dhcp4/delivery.js';
import {
  type DhcpMessage,
  type DhcpOptions,
  encodeReply,
  messageTypeLabel,
  replyTo,
  type ReplyType,
} from '../protocol/dhcp4/index.js';
import type { Ipv4 } from '../values/ipv4.js';
import type { CompiledSubnet } from './config.js';

/** A reply ready for the transport. */
export interface EncodedOutcome {
  readonly kind: 'reply';
  readonly bytes: Uint8Array;
  readonly destination: { readonly address: Ipv4; readonly port: number };
  readonly label: string;
}

const OPTION_DNS = 6;

/**
 * The configuration options of a subnet (RFC 2132 §3.3, §3.5, §3.8, §3.17, §5.3), plus the lease times when the
 * reply grants a lease (§9.2, §9.11, §9.12). Which of them go out is encodeReply's job: 51/58/59 always with a
 * lease (and never to INFORM), the rest as the client's option 55 asks (RFC 2131 §4.3.1).
 */
export function subnetOptions(
  subnet: CompiledSubnet,
  serverAddress: Ipv4,
  hostName: string | undefined,
): DhcpOptions {
  const { config } = subnet;
  // Assigned one by one, not spread from throwaway objects: this runs for every OFFER and ACK.
  const options: MutableOptions = {
    serverIdentifier: serverAddress,
    leaseTime: config.leaseTime,
    renewalTime: config.renewalTime,
    rebindingTime: config.rebindingTime,
    subnetMask: subnet.mask,
    broadcastAddress: subnet.broadcast,
  };
  if (config.router !== undefined) options.routers = [config.router];
  if (config.dns.length > 0) options.domainNameServers = config.dns;
  if (config.domain !== undefined) options.domainName = config.domain;
  if (hostName !== undefined) options.hostName = hostName;
  return options;
}

type MutableOptions = { -readonly [K in keyof DhcpOptions]: DhcpOptions[K] };

export interface LeaseReply {
  readonly type: 'offer' | 'ack';
  readonly request: DhcpMessage;
  readonly subnet: CompiledSubnet;
  readonly serverAddress: Ipv4;
  /** yiaddr: the address granted; 0 for the ACK to a DHCPINFORM (RFC 2131 §4.3.5). */
  readonly yourAddress: Ipv4;
  readonly hostName?: string | undefined;
  readonly boot?: BootReplyFields;
  readonly sourceAddress: Ipv4;
}

/**
 * An OFFER or ACK (RFC 2131 §4.3.1 Table 3). Option 6 is sent whenever the subnet has DNS servers, asked for or
 * not: the Debian installer stops at a name-server question without it and never fetches its preseed
 * (protocol-digest §10.1).
 */
export function leaseReply(reply: LeaseReply): EncodedOutcome {
  const boot = reply.boot ?? NO_BOOT_FIELDS;
  const base = replyTo(reply.request, reply.type);
  // The subnet's options, then the boot ones, then the echoed 61 and 82: later ones win, in the key order a spread
  // of the three would give (the reply's option order follows it).
  const options = Object.assign(
    subnetOptions(reply.subnet, reply.serverAddress, reply.hostName),
    boot.options,
    base.options,
  );
  const message: DhcpMessage = {
    ...base,
    yourAddress: reply.yourAddress,
    nextServerAddress: boot.nextServerAddress,
    bootFile: boot.bootFile,
    options,
  };
  const forced = reply.subnet.config.dns.length > 0 ? [OPTION_DNS, ...boot.forced] : boot.forced;
  return encoded(message, reply.request, reply.type, reply.sourceAddress, forced);
}

/** A DHCPNAK (RFC 2131 §4.3.2, Table 3): option 54, the reason in option 56, 61 and 82 echoed, nothing else. */
export function nakReply(
  request: DhcpMessage,
  serverAddress: Ipv4,
  reason: string,
  sourceAddress: Ipv4,
): EncodedOutcome {
  const base = replyTo(request, 'nak');
  const message: DhcpMessage = {
    ...base,
    options: { serverIdentifier: serverAddress, message: reason, ...base.options },
  };
  return encoded(message, request, 'nak', sourceAddress, []);
}

function encoded(
  message: DhcpMessage,
  request: DhcpMessage,
  type: ReplyType,
  sourceAddress: Ipv4,
  forced: readonly number[],
): EncodedOutcome {
  const { bytes } = encodeReply(message, request, { forced });
  const { address, port } = replyDestination(request, type, sourceAddress);
  return { kind: 'reply', bytes, destination: { address, port }, label: messageTypeLabel(type) };
}
