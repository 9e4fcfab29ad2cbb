import { ipv4FromInt } from '../../values/ipv4.js';
import { chooseOfferAddress } from '../allocate.js';
import { bootFor } from '../boot.js';
import {
  type Decision,
  dropDecision,
  type EngineDeps,
  type ExchangeContext,
  replyDecision,
} from '../context.js';
import { leaseReply } from '../reply.js';

// RFC 2131 §4.3.1: DHCPDISCOVER → DHCPOFFER. Offers are held in memory, not committed: a DISCOVER costs no store
// write, and the OFFER binds nothing (the REQUEST's commit does, and the store's constraints arbitrate there).
export async function handleDiscover(ctx: ExchangeContext, deps: EngineDeps): Promise<Decision> {
  const { identity, leases } = ctx;
  // Catalogue S11: a client that keeps declining addresses (a DECLINE storm) would burn the pool; once it has this
  // many in probation it is offered nothing until one ends.
  const declined = leases.declinedCount(identity.clientId, ctx.now);
  if (declined >= deps.policy.maxDeclinedPerClient) {
    deps.warnEvery(
      `decline-limit:${identity.mac}`,
      { mac: identity.mac, declined },
      'client has declined too many addresses; not offering it another until a probation ends',
    );
    return dropDecision('decline-limit', { declined });
  }
  let choice = chooseOfferAddress(ctx.alloc, ctx.request.options.requestedIpAddress);
  if (choice !== undefined && !deps.health.ok) {
    // Catalogue P3: after a store failure, the index may be stale; offer only what the store confirms.
    try {
      const row = await deps.store.findByAddress(ipv4FromInt(choice.address));
      deps.health.ok = true;
      if (row !== undefined) {
        deps.applyLease(row);
        choice = chooseOfferAddress(ctx.alloc, ctx.request.options.requestedIpAddress);
      }
    } catch {
      return dropDecision('store-unavailable');
    }
  }
  if (choice === undefined) {
    deps.warnEvery(
      `no-free-address:${ctx.subnet.key}`,
      { subnet: ctx.subnet.key },
      'DHCP pool exhausted: no address to offer',
    );
    return dropDecision('no-free-address');
  }
  const address = ipv4FromInt(choice.address);
  const boot = bootFor(ctx, deps);
  // Encoded before the hold is taken: a reply that cannot be encoded (EncodeError) must leave nothing behind.
  const reply = leaseReply({
    type: 'offer',
    request: ctx.request,
    subnet: ctx.subnet,
    serverAddress: ctx.serverAddress,
    yourAddress: address,
    hostName: ctx.subnet.reservationByMac.get(identity.mac)?.hostname,
    boot: boot.fields,
    sourceAddress: ctx.sourceAddress,
  });
  leases.hold(identity.clientId, choice.address, ctx.mono + deps.policy.offerHoldMs);
  return replyDecision(reply, { assignedAddress: address, addressSource: choice.source, ...boot.details });
}
