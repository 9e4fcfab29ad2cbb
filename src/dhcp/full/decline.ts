import { type Decision, dropDecision, type EngineDeps, type ExchangeContext } from '../context.js';

// RFC 2131 §4.3.3: DHCPDECLINE (the client found the address in use) → the server "MUST mark the network address
// as not available and SHOULD notify the local system administrator". Not forever: a probation (catalogue P5, after
// Kea's decline-probation-period), after which expire() frees the address. Only the client holding the address can
// decline it (catalogue D26, Kea's sanity check; the store enforces it). No reply.
export async function handleDecline(ctx: ExchangeContext, deps: EngineDeps): Promise<Decision> {
  const { request, identity } = ctx;
  const serverIdentifier = request.options.serverIdentifier;
  if (serverIdentifier !== undefined && serverIdentifier !== ctx.serverAddress) {
    return dropDecision('not-for-us', { serverIdentifier });
  }
  const address = request.options.requestedIpAddress;
  if (address === undefined) return dropDecision('no-address');
  const probationUntil = ctx.now + deps.policy.probationMs;
  let declined;
  try {
    declined = await deps.store.decline(address, identity.clientId, probationUntil);
    deps.health.ok = true;
  } catch (error) {
    deps.health.ok = false;
    deps.warnEvery('store-failed', { err: error }, 'lease store failed: DHCPDECLINE not recorded');
    return dropDecision('store-unavailable', { requestedAddress: address });
  }
  if (declined === undefined) return dropDecision('not-holder', { requestedAddress: address });
  deps.applyLease(declined);
  ctx.leases.endHold(identity.clientId);
  deps.metrics?.declines.inc();
  deps.logger.warn(
    { address, mac: identity.mac, probationUntil: new Date(probationUntil).toISOString() },
    'DHCPDECLINE: address in use on the network; check for a statically configured host',
  );
  return dropDecision('declined', { requestedAddress: address, probationUntil });
}
