import { claimsNetboot } from '../boot/classify.js';
import type { JsonObject, JsonValue } from '../inventory/json.js';
import { IPV4_ANY } from '../values/ipv4.js';
import type { ExchangeContext } from './context.js';

/** What the details need of an exchange: a full-mode ExchangeContext, or a proxy one (no subnet). */
export type DetailsContext = Pick<ExchangeContext, 'request' | 'client' | 'identity' | 'exchange'> & {
  readonly subnet?: { readonly key: string };
};

/**
 * What a request event says about the client and its message (issue 3 item 7): xid, interface, relay, the PXE
 * classification (arch, firmware, iPXE, vendor class, UUID) and the addresses it named. Only what was sent: the
 * store refuses `undefined` members (JSON that would not load back, catalogue P2).
 */
export function requestDetails(ctx: DetailsContext): JsonObject {
  const { request, client, identity, exchange } = ctx;
  const { options } = request;
  const out: Record<string, JsonValue> = {
    xid: request.transactionId,
    interface: exchange.interfaceName,
    ...(ctx.subnet === undefined ? {} : { subnet: ctx.subnet.key }),
    netboot: client.netboot,
    firmware: client.firmware,
    ipxe: client.ipxe,
    vendor: client.vendor,
  };
  const optional: Record<string, JsonValue | undefined> = {
    arch: client.arch,
    uuid: client.uuid,
    // A PXE client whose PXE options were malformed (catalogue D21): why it got no boot information.
    netbootProblem: claimsNetboot(client) && !client.netboot ? client.reason : undefined,
    vendorClass: options.vendorClassIdentifier,
    clientIdentifier: identity.clientIdentifier,
    hostname: options.hostName,
    requestedAddress: options.requestedIpAddress,
    serverIdentifier: options.serverIdentifier,
    clientAddress: request.clientAddress === IPV4_ANY ? undefined : request.clientAddress,
    relay: request.relayAgentAddress === IPV4_ANY ? undefined : request.relayAgentAddress,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) out[key] = value;
  return out;
}
