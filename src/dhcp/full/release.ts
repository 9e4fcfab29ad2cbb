import { IPV4_ANY } from '../../values/ipv4.js';
import { type Decision, dropDecision, type EngineDeps, type ExchangeContext } from '../context.js';

// RFC 2131 §4.3.4: DHCPRELEASE → mark the address (ciaddr) not allocated, "retain the record of the client's
// initialization parameters for possible reuse": the released row stays, so the client gets the same address
// again if it is still free. Only its holder can release it (catalogue D27). No reply.
export async function handleRelease(ctx: ExchangeContext, deps: EngineDeps): Promise<Decision> {
  const { request, identity } = ctx;
  const serverIdentifier = request.options.serverIdentifier;
  if (serverIdentifier !== undefined && serverIdentifier !== ctx.serverAddress) {
    return dropDecision('not-for-us', { serverIdentifier });
  }
  const address = request.clientAddress;
  if (address === IPV4_ANY) return dropDecision('no-address');
  let released;
  try {
    released = await deps.store.release(address, identity.clientId);
    deps.health.ok = true;
  } catch (error) {
    deps.health.ok = false;
    deps.warnEvery('store-failed', { err: error }, 'lease store failed: DHCPRELEASE not recorded');
    return dropDecision('store-unavailable', { releasedAddress: address });
  }
  if (released === undefined) return dropDecision('not-holder', { releasedAddress: address });
  deps.applyLease(released);
  ctx.leases.endHold(identity.clientId);
  return dropDecision('released', { releasedAddress: address });
}
