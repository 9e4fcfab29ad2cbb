import type { JsonObject } from '../inventory/json.js';
import type { EpochMs } from '../inventory/time.js';
import type { DhcpExchange, DhcpOutcome } from '../net/dhcp-handler.js';
import type { Logger } from '../observability/logger.js';
import { messageTypeLabel } from '../protocol/dhcp4/index.js';
import type { Decision } from './context.js';
import { type DetailsContext, requestDetails } from './details.js';
import type { EventRecorder } from './events.js';
import { drop, type DropReason } from './outcome.js';

/**
 * Appends the request (and the reply) to the client's timeline and records the contact, after the decision and off
 * the reply path (events.ts). Each event carries what the decision was about. Full and proxy mode both record
 * through this, so a machine's timeline reads the same whichever mode served it.
 */
export function recordDecision(
  recorder: EventRecorder,
  logger: Logger,
  ctx: DetailsContext & { readonly now: EpochMs },
  decision: Decision,
  extra: JsonObject = {},
): void {
  const { identity, request, client, now } = ctx;
  recorder.contact({
    mac: identity.mac,
    uuid: client.uuid ?? null,
    arch: client.arch ?? null,
    vendorClass: request.options.vendorClassIdentifier ?? null,
    hostname: request.options.hostName ?? null,
  });
  const base = { ...requestDetails(ctx), ...extra };
  const label = messageTypeLabel(request.messageType);
  if (decision.kind === 'drop') {
    const details: JsonObject = { ...base, ...decision.details, outcome: decision.reason };
    recorder.event({ at: now, mac: identity.mac, kind: label, details });
    logger.debug({ mac: identity.mac, xid: request.transactionId, reason: decision.reason }, label);
    return;
  }
  recorder.event({ at: now, mac: identity.mac, kind: label, details: base });
  const { reply } = decision;
  const details: JsonObject = {
    xid: request.transactionId,
    ...extra,
    ...decision.details,
    destination: `${reply.destination.address}:${reply.destination.port}`,
  };
  recorder.event({ at: now, mac: identity.mac, kind: reply.label, details });
  logger.debug({ mac: identity.mac, xid: request.transactionId, ...decision.details }, reply.label);
}

/** A datagram that is not a usable client message: nothing is written (catalogue I4), only a debug line. */
export function dropBadInput(logger: Logger, exchange: DhcpExchange, reason: DropReason): DhcpOutcome {
  logger.debug(
    { interface: exchange.interfaceName, xid: exchange.request.transactionId, reason },
    'DHCP message dropped',
  );
  return drop(reason);
}
