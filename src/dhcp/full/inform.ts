import { IPV4_ANY, subnetContains } from '../../values/ipv4.js';
import { type Decision, dropDecision, type ExchangeContext, replyDecision } from '../context.js';
import { leaseReply } from '../reply.js';

// RFC 2131 §4.3.5: DHCPINFORM (the client has an address, configured some other way) → DHCPACK with the subnet's
// parameters, yiaddr 0 and no lease time (encodeReply leaves 51/58/59 out of an ACK to INFORM), sent to ciaddr.
// No lease, no store write. A client whose ciaddr is not on the subnet the message came from is not ours to
// configure.
export function handleInform(ctx: ExchangeContext): Decision {
  const { request } = ctx;
  if (request.clientAddress !== IPV4_ANY && !subnetContains(ctx.subnet.subnet, request.clientAddress)) {
    return dropDecision('no-subnet', { clientAddress: request.clientAddress });
  }
  const reply = leaseReply({
    type: 'ack',
    request,
    subnet: ctx.subnet,
    serverAddress: ctx.serverAddress,
    yourAddress: IPV4_ANY,
    hostName: ctx.subnet.reservationByMac.get(ctx.identity.mac)?.hostname,
    sourceAddress: ctx.sourceAddress,
  });
  return replyDecision(reply, { clientAddress: request.clientAddress });
}
