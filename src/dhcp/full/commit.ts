import type { Lease } from '../../inventory/lease.js';
import { encodeOptionValue } from '../../protocol/dhcp4/index.js';
import { LeaseConflictError, StoreError } from '../../store/errors.js';
import { type Ipv4, ipv4FromInt, ipv4ToInt } from '../../values/ipv4.js';
import type { EngineDeps, ExchangeContext } from '../context.js';

export type CommitResult =
  | { readonly kind: 'committed'; readonly lease: Lease }
  | { readonly kind: 'conflict'; readonly holder: Lease | undefined }
  | { readonly kind: 'busy' }
  | { readonly kind: 'failed' };

// The store's StoreBusyError (catalogue F07: another writer held the database past the busy timeout; nothing was
// written and a retry may work), matched by its stable code.
const STORE_BUSY = 'FLEETBOOT_STORE_BUSY';

// RFC 3046 §2.0: one option 82 is at most 255 bytes; the store keeps no more (a longer one arrived split, RFC 3396).
const MAX_RELAY_AGENT_HEX = 510;

/**
 * Binds `address` to the client in the store and returns once the commit is durable: the ACK is built only after
 * this (catalogue P1; design.md §1.5). Before the commit, what the store's constraints would refuse is cleared:
 * the client's other active lease in the subnet is released (it is moving, e.g. onto a reservation), and an
 * address whose holder's lease or probation ran out is expired. A LeaseConflictError (another server took the
 * address, or the client holds another one) updates the index from the holder and is reported, never ACKed.
 */
export async function commitLease(
  ctx: ExchangeContext,
  deps: EngineDeps,
  address: Ipv4,
): Promise<CommitResult> {
  const { identity, leases, request } = ctx;
  const target = ipv4ToInt(address);
  const started = deps.clock.monotonic();
  try {
    const active = leases.activeOf(identity.clientId);
    if (active !== undefined && active.address !== target) {
      const released = await deps.store.release(ipv4FromInt(active.address), identity.clientId);
      if (released !== undefined) deps.applyLease(released);
    }
    if (leases.needsExpiry(target, identity.clientId, ctx.now)) {
      for (const expired of await deps.store.expire(ctx.now)) deps.applyLease(expired);
    }
    const relay = request.options.relayAgentInformation;
    const relayHex =
      relay === undefined
        ? null
        : Buffer.from(encodeOptionValue('relayAgentInformation', relay)).toString('hex');
    const lease = await deps.commit({
      address,
      subnet: ctx.subnet.subnet,
      clientId: identity.clientId,
      mac: identity.mac,
      state: 'bound',
      expiresAt: ctx.now + ctx.subnet.config.leaseTime * 1000,
      serverId: ctx.serverAddress,
      hostname: request.options.hostName ?? null,
      relayAgentInfo: relayHex !== null && relayHex.length <= MAX_RELAY_AGENT_HEX ? relayHex : null,
    });
    deps.health.ok = true;
    deps.applyLease(lease);
    leases.endHold(identity.clientId);
    deps.metrics?.commits.inc({ result: 'committed' });
    return { kind: 'committed', lease };
  } catch (error) {
    if (error instanceof LeaseConflictError) {
      deps.health.ok = true;
      if (error.holder !== undefined) deps.applyLease(error.holder);
      leases.endHold(identity.clientId);
      deps.metrics?.commits.inc({ result: 'conflict' });
      deps.logger.info(
        { address, mac: identity.mac, reason: error.reason, holder: error.holder?.clientId },
        'lease commit refused by the store',
      );
      return { kind: 'conflict', holder: error.holder };
    }
    if (error instanceof StoreError && error.code === STORE_BUSY) {
      // The client retransmits its REQUEST; the store is not down for it.
      deps.metrics?.commits.inc({ result: 'busy' });
      deps.warnEvery(
        'store-busy',
        { err: error },
        'lease store busy: DHCPREQUEST dropped, the client will retry',
      );
      return { kind: 'busy' };
    }
    deps.health.ok = false;
    deps.metrics?.commits.inc({ result: 'failed' });
    deps.warnEvery('store-failed', { err: error }, 'lease store failed: not answering DHCPREQUESTs');
    return { kind: 'failed' };
  } finally {
    deps.metrics?.commitSeconds.observe((deps.clock.monotonic() - started) / 1000);
  }
}
