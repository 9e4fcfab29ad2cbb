import type { EpochMs } from '../inventory/time.js';
import { type Ipv4, IPV4_ANY, ipv4ToInt, subnetContains } from '../values/ipv4.js';
import type { SubnetLeases } from './address-index.js';
import { type CompiledSubnet, inPools } from './config.js';
import type { ClientIdentity } from './identity.js';

/** Where an offered address came from (RFC 2131 §4.3.1's order), for events and tests. */
export type OfferSource = 'reservation' | 'binding' | 'offer' | 'previous' | 'requested' | 'pool';

/** Why a requested address is refused with a DHCPNAK; stable words, sent in option 56 and recorded in events. */
export type NakReason =
  | 'wrong-subnet'
  | 'reserved-elsewhere'
  | 'not-leasable'
  | 'address-taken'
  | 'not-your-address'
  | 'unknown-client'
  | 'no-requested-address'
  | 'address-conflict';

export interface AllocationContext {
  readonly subnet: CompiledSubnet;
  readonly leases: SubnetLeases;
  readonly identity: ClientIdentity;
  /** Addresses never leased here: network, broadcast, ours, the router's, the relay's. */
  readonly excluded: ReadonlySet<number>;
  readonly now: EpochMs;
  readonly mono: number;
}

/** The addresses of a subnet no client may get, for one exchange. */
export function excludedAddresses(
  subnet: CompiledSubnet,
  serverAddress: Ipv4,
  relayAgentAddress: Ipv4,
): ReadonlySet<number> {
  const out = new Set([
    ipv4ToInt(subnet.subnet.network),
    ipv4ToInt(subnet.broadcast),
    ipv4ToInt(serverAddress),
  ]);
  if (subnet.config.router !== undefined) out.add(ipv4ToInt(subnet.config.router));
  if (relayAgentAddress !== IPV4_ANY) out.add(ipv4ToInt(relayAgentAddress));
  return out;
}

/** The address reserved for this client in this subnet, as an integer. */
export function reservationOf(ctx: AllocationContext): number | undefined {
  const reservation = ctx.subnet.reservationByMac.get(ctx.identity.mac);
  return reservation === undefined ? undefined : ipv4ToInt(reservation.ip);
}

/** Whether policy lets this client have the address at all: its reservation, or a pool address nobody reserved. */
export function leasable(ctx: AllocationContext, address: number): boolean {
  if (reservationOf(ctx) === address) return true;
  if (ctx.excluded.has(address)) return false;
  if (ctx.subnet.reservedFor.has(address)) return false;
  return inPools(ctx.subnet, address);
}

function free(ctx: AllocationContext, address: number): boolean {
  return ctx.leases.isAvailable(address, ctx.identity.clientId, ctx.now, ctx.mono);
}

function usable(ctx: AllocationContext, address: number | undefined): address is number {
  return address !== undefined && leasable(ctx, address) && free(ctx, address);
}

/**
 * The address to offer (RFC 2131 §4.3.1): the client's reservation; else its current binding; else the address
 * already on offer to it (a retransmitted DISCOVER, same or new xid, gets the same address); else its previous
 * address if free; else the requested address (option 50) if free and in a pool; else a free pool address.
 * A reservation someone else holds (a lease from before it was configured) is skipped until that lease ends.
 */
export function chooseOfferAddress(
  ctx: AllocationContext,
  requested: Ipv4 | undefined,
): { readonly address: number; readonly source: OfferSource } | undefined {
  const { clientId } = ctx.identity;
  const candidates: readonly [OfferSource, number | undefined][] = [
    ['reservation', reservationOf(ctx)],
    ['binding', ctx.leases.activeOf(clientId)?.address],
    ['offer', ctx.leases.holdOf(clientId, ctx.mono)],
    ['previous', ctx.leases.previousOf(clientId)],
    ['requested', requested === undefined ? undefined : ipv4ToInt(requested)],
  ];
  for (const [source, address] of candidates) {
    if (usable(ctx, address)) return { address, source };
  }
  const address = ctx.leases.nextFree((a) => usable(ctx, a));
  return address === undefined ? undefined : { address, source: 'pool' };
}

/**
 * Whether a DHCPREQUEST for `address` can be ACKed (RFC 2131 §4.3.2). `selecting`: the client answers our offer,
 * and any address it may have is fine (after a restart the offer is forgotten: catalogue F02). `confirm` (INIT-REBOOT,
 * RENEWING, REBINDING): the client claims an address it already has, so it must be one it had here; fleetboot is
 * authoritative in full mode, so a client we have no record of is NAKed rather than ignored.
 */
export function checkRequestedAddress(
  ctx: AllocationContext,
  requested: Ipv4,
  kind: 'selecting' | 'confirm',
): NakReason | undefined {
  if (!subnetContains(ctx.subnet.subnet, requested)) return 'wrong-subnet';
  const address = ipv4ToInt(requested);
  const reserved = reservationOf(ctx);
  // A client with a fixed address is moved onto it: the NAK sends it back to DISCOVER, which offers it.
  if (reserved !== undefined && reserved !== address && free(ctx, reserved)) return 'reserved-elsewhere';
  if (!leasable(ctx, address)) return 'not-leasable';
  if (!free(ctx, address)) return 'address-taken';
  if (kind === 'selecting') return undefined;
  const active = ctx.leases.activeOf(ctx.identity.clientId);
  if (active !== undefined && active.address !== address) return 'not-your-address';
  if (!ctx.leases.hadAddress(ctx.identity.clientId, address)) return 'unknown-client';
  return undefined;
}
