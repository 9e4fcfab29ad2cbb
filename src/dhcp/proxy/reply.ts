import type { BootReplyFields } from '../../boot/boot-reply.js';
import type { ClientClass } from '../../boot/classify.js';
import {
  BROADCAST_FLAG,
  type DhcpMessage,
  encodeReply,
  messageTypeLabel,
  replyTo,
} from '../../protocol/dhcp4/index.js';
import { type Ipv4, IPV4_ANY } from '../../values/ipv4.js';
import type { EncodedOutcome } from '../reply.js';

const OPTION_VENDOR_CLASS = 60;

export interface ProxyReply {
  readonly type: 'offer' | 'ack';
  readonly request: DhcpMessage;
  readonly client: ClientClass;
  readonly serverAddress: Ipv4;
  readonly boot: BootReplyFields;
  readonly destination: { readonly address: Ipv4; readonly port: number };
}

/**
 * A proxyDHCP OFFER or ACK (protocol-digest §2.5 steps 2 and 4): the header of RFC 2131 Table 3 (replyTo), but
 * `yiaddr` 0 — the proxy offers no address, and catalogue S10 says proxy mode never sets it — and only option 54
 * plus the boot information: no 51/58/59, no subnet options, which belong to the site's server.
 * - Option 60 is always there: EDK2 only counts a `yiaddr` 0 offer as a proxy offer with "PXEClient" (or
 *   "HTTPClient" for HTTP boot, §2.7), and iPXE looks for "PXEClient" too (§2.4, §2.5). An iPXE client that sent
 *   no option 60 still gets "PXEClient".
 * - The OFFER sets the BROADCAST flag, as dnsmasq does: the client has no address yet (§2.5 step 2).
 */
export function proxyReply(reply: ProxyReply): EncodedOutcome {
  const base = replyTo(reply.request, reply.type);
  const vendorClass = reply.client.vendor === 'http-client' ? 'HTTPClient' : 'PXEClient';
  const message: DhcpMessage = {
    ...base,
    flags: reply.type === 'offer' ? base.flags | BROADCAST_FLAG : base.flags,
    yourAddress: IPV4_ANY,
    nextServerAddress: reply.boot.nextServerAddress,
    bootFile: reply.boot.bootFile,
    options: {
      ...reply.boot.options,
      serverIdentifier: reply.serverAddress,
      vendorClassIdentifier: vendorClass,
      ...base.options,
    },
  };
  const forced = [...new Set([...reply.boot.forced, OPTION_VENDOR_CLASS])];
  const { bytes } = encodeReply(message, reply.request, { forced });
  return { kind: 'reply', bytes, destination: reply.destination, label: messageTypeLabel(reply.type) };
}
