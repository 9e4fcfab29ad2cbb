import type { BootReplyFields } from '../../boot/boot-reply.js';
import type { DhcpMessage } from '../../protocol/dhcp4/index.js';
import { type Ipv4, IPV4_ANY } from '../../values/ipv4.js';
import { checkRequestedAddress, type NakReason } from '../allocate.js';
import { bootFor } from '../boot.js';
import {
  type Decision,
  dropDecision,
  type EngineDeps,
  type ExchangeContext,
  nakMessage,
  replyDecision,
} from '../context.js';
import { type EncodedOutcome, leaseReply, nakReply } from '../reply.js';
import { commitLease } from './commit.js';

/** The client states of RFC 2131 §4.3.2 Table 4; REBINDING is told from RENEWING only by the IP destination. */
export type RequestState = 'selecting' | 'init-reboot' | 'renewing';

// RFC 2131 §4.3.2: SELECTING carries option 54 and 50 with ciaddr 0; INIT-REBOOT option 50 without 54; RENEWING
// and REBINDING ciaddr without 50 or 54. The transport cannot see whether a datagram was unicast (RENEWING) or
// broadcast (REBINDING); in full mode the server is authoritative for its subnets, and the two are answered alike.
// A client that adds 50 or 54 to a RENEWING request (some do) is still renewing: ciaddr decides.
export function requestState(request: DhcpMessage): RequestState | undefined {
  if (request.clientAddress !== IPV4_ANY) return 'renewing';
  if (request.options.serverIdentifier !== undefined) return 'selecting';
  if (request.options.requestedIpAddress !== undefined) return 'init-reboot';
  return undefined;
}

// RFC 2131 §4.3.2: DHCPREQUEST → DHCPACK after the lease is committed, or DHCPNAK.
export async function handleRequest(ctx: ExchangeContext, deps: EngineDeps): Promise<Decision> {
  const { request } = ctx;
  const serverIdentifier = request.options.serverIdentifier;
  if (serverIdentifier !== undefined && serverIdentifier !== ctx.serverAddress) {
    // The client took another server's offer (catalogue D23): release ours, say nothing, change no lease.
    ctx.leases.endHold(ctx.identity.clientId);
    return dropDecision('not-for-us', { serverIdentifier });
  }
  const state = requestState(request);
  if (state === undefined) return dropDecision('malformed-request');
  const requested = state === 'renewing' ? request.clientAddress : request.options.requestedIpAddress;
  const details = { state, requestedAddress: requested ?? null };
  if (requested === undefined) return nak(ctx, 'no-requested-address', details);
  const refused = checkRequestedAddress(
    ctx.alloc,
    requested,
    state === 'selecting' ? 'selecting' : 'confirm',
  );
  if (refused !== undefined) return nak(ctx, refused, details);
  // The ACK is encoded first (a reply that cannot be encoded must not leave a lease behind), and handed back only
  // once the commit is durable (catalogue P1).
  const boot = bootFor(ctx, deps);
  const reply = ackReply(ctx, requested, boot.fields);
  const result = await commitLease(ctx, deps, requested);
  switch (result.kind) {
    case 'failed':
      return dropDecision('store-unavailable', details);
    case 'busy':
      return dropDecision('store-busy', details);
    case 'conflict':
      return nak(ctx, 'address-conflict', details);
    case 'committed':
      return replyDecision(reply, {
        ...details,
        assignedAddress: requested,
        expiresAt: result.lease.expiresAt,
        ...boot.details,
      });
  }
}

function ackReply(ctx: ExchangeContext, address: Ipv4, boot: BootReplyFields): EncodedOutcome {
  return leaseReply({
    type: 'ack',
    request: ctx.request,
    subnet: ctx.subnet,
    serverAddress: ctx.serverAddress,
    yourAddress: address,
    hostName: ctx.subnet.reservationByMac.get(ctx.identity.mac)?.hostname,
    boot,
    sourceAddress: ctx.sourceAddress,
  });
}

function nak(
  ctx: ExchangeContext,
  reason: NakReason,
  details: Record<string, string | number | null>,
): Decision {
  const reply = nakReply(ctx.request, ctx.serverAddress, nakMessage(reason, ctx.subnet), ctx.sourceAddress);
  return replyDecision(reply, { ...details, reason });
}
