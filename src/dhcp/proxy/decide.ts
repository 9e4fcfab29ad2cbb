import type { BootFileTable } from '../../boot/boot-file.js';
import type { BootReplyFields } from '../../boot/boot-reply.js';
import {
  encodePxeVendorOptions,
  PXE_DISCOVERY_USE_BOOTFILE,
  type PxeBootItem,
  pxeVendorOptionsOf,
} from '../../protocol/dhcp4/index.js';
import { DHCP_CLIENT_PORT, replyDestination } from '../../protocol/dhcp4/delivery.js';
import { IPV4_ANY, ipv4OrAny } from '../../values/ipv4.js';
import { type Decision, dropDecision, replyDecision } from '../context.js';
import { proxyBoot } from './boot.js';
import type { ProxyContext } from './context.js';
import { proxyReply } from './reply.js';

/**
 * proxyDHCP (protocol-digest §2.5; issue 3 item 3): boot information only, next to the site's DHCP server.
 * - Only netboot clients are answered (PXEClient or HTTPClient or iPXE with well-formed PXE options: catalogue D21,
 *   boot/classify.ts). Everything else is the site server's business: `not-netboot`, never a reply.
 * - Port 67: DISCOVER → proxy OFFER (§2.5 step 2). The client then does DORA with the site's server; "the proxy
 *   ignores REQUESTs on port 67" (step 3), and DECLINE, RELEASE and INFORM concern the site server's leases.
 * - Port 4011: REQUEST → ACK with the boot information (step 4). Nothing else is meaningful there.
 * The proxy never ACKs an address, never NAKs and never offers an address (catalogue S10: `yiaddr` stays 0).
 */
export function decideProxy(ctx: ProxyContext, bootFiles: BootFileTable): Decision {
  const { request, exchange } = ctx;
  if (!ctx.client.netboot) return dropDecision('not-netboot');
  const type = request.messageType;
  if (exchange.localPort === 4011) {
    return type === 'request' ? proxyAck(ctx, bootFiles) : dropDecision('port', { port: 4011 });
  }
  if (type !== 'discover') return dropDecision('not-for-us', { proxy: 'site server' });
  return proxyOffer(ctx, bootFiles);
}

// §2.5 step 2: from port 67 to 68, broadcast (or to giaddr:67 through a relay): RFC 2131 §4.1 via
// replyDestination, with the BROADCAST flag the offer sets.
function proxyOffer(ctx: ProxyContext, bootFiles: BootFileTable): Decision {
  const boot = proxyBoot(ctx, bootFiles);
  if (boot.kind === 'none') return dropDecision('no-boot-file', boot.details);
  const destination = replyDestination(ctx.request, 'offer');
  const reply = proxyReply({
    type: 'offer',
    request: ctx.request,
    client: ctx.client,
    serverAddress: ctx.serverAddress,
    boot: boot.fields,
    destination: { address: destination.address, port: destination.port },
  });
  return replyDecision(reply, { ...boot.details, delivery: destination.rule });
}

// §2.5 step 4: the client, which now has an address, unicasts a REQUEST to proxy:4011. EDK2 sends it from 4011 and
// listens there; iPXE sends from 68 and accepts a reply only from source port 4011 [ipxe dhcp_proxy_rx]. So the
// ACK goes back to the request's source address and port; the transport sends it from the 4011 socket it arrived
// on. A datagram with no source address (cannot be unicast back) falls back to ciaddr:68, else is dropped.
function proxyAck(ctx: ProxyContext, bootFiles: BootFileTable): Decision {
  const boot = proxyBoot(ctx, bootFiles);
  if (boot.kind === 'none') return dropDecision('no-boot-file', boot.details);
  const destination = ackDestination(ctx);
  if (destination === undefined) return dropDecision('malformed-request', { detail: 'no address to answer' });
  const bootItem = requestedBootItem(ctx);
  const reply = proxyReply({
    type: 'ack',
    request: ctx.request,
    client: ctx.client,
    serverAddress: ctx.serverAddress,
    boot: bootItem === undefined ? boot.fields : withBootItem(boot.fields, bootItem),
    destination,
  });
  return replyDecision(reply, {
    ...boot.details,
    ...(bootItem === undefined ? {} : { bootItem: `${bootItem.type}/${bootItem.layer}` }),
  });
}

// PXE 2.1 sub-option 71 (PXE_BOOT_ITEM): "sent by the client in a boot-server REQUEST; echo it in the ACK"
// (protocol-digest §2.3, §2.5 step 4; dnsmasq does). A malformed option 43 is read as no boot item: the ACK still
// carries the boot file, which is what EDK2 needs (§2.5: it rejects a reply with neither discovery options nor one).
function requestedBootItem(ctx: ProxyContext): PxeBootItem | undefined {
  try {
    return pxeVendorOptionsOf(ctx.request)?.bootItem;
  } catch {
    return undefined;
  }
}

function withBootItem(fields: BootReplyFields, bootItem: PxeBootItem): BootReplyFields {
  const vendorSpecific = encodePxeVendorOptions({ discoveryControl: PXE_DISCOVERY_USE_BOOTFILE, bootItem });
  return { ...fields, options: { ...fields.options, vendorSpecific } };
}

function ackDestination(ctx: ProxyContext) {
  const { source } = ctx.exchange;
  const address = ipv4OrAny(source.address);
  if (address !== IPV4_ANY) return { address, port: source.port };
  const { clientAddress } = ctx.request;
  if (clientAddress !== IPV4_ANY) return { address: clientAddress, port: DHCP_CLIENT_PORT };
  return undefined;
}
