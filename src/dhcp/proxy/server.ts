import type { BootFileTable } from '../../boot/boot-file.js';
import { claimsNetboot, classifyClient } from '../../boot/classify.js';
import type { Clock } from '../../net/clock.js';
import type { DhcpExchange, DhcpOutcome } from '../../net/dhcp-handler.js';
import type { Logger } from '../../observability/logger.js';
import { EncodeError } from '../../protocol/errors.js';
import { IPV4_ANY, type Ipv4, ipv4OrAny } from '../../values/ipv4.js';
import type { BootAddressSink } from '../boot-address-book.js';
import { type Decision, dropDecision } from '../context.js';
import type { EventRecorder } from '../events.js';
import type { ClientIdentity } from '../identity.js';
import { drop, type DropReason, isBadInput } from '../outcome.js';
import { dropBadInput, recordDecision } from '../record.js';
import { ClientSerializer } from '../serialize.js';
import type { ProxyContext } from './context.js';
import { decideProxy } from './decide.js';

export interface ProxyServerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly recorder: EventRecorder;
  readonly bootFiles: BootFileTable;
  /** Option 54 and siaddr for an exchange (engine.ts: the interface's address unless configured otherwise). */
  readonly serverAddress: (exchange: DhcpExchange) => Ipv4;
  /** Told the address each client boots from (boot-address-book.ts). */
  readonly onBootAddress?: BootAddressSink;
}

/**
 * proxyDHCP mode (protocol-digest §2.5) behind the engine's common checks (op, message type, identity): one
 * client's exchanges in order, the pure decision (decide.ts), and the client's timeline. The lease store is never
 * read or written: the site's DHCP server owns the addresses.
 */
export class ProxyServer {
  private readonly serializer = new ClientSerializer();

  constructor(private readonly deps: ProxyServerDeps) {}

  handle(exchange: DhcpExchange, identity: ClientIdentity): Promise<DhcpOutcome> {
    // The port is part of the signature: the same xid arrives as a DISCOVER on 67 and a REQUEST on 4011.
    const signature = `${exchange.request.transactionId}:${exchange.request.messageType}:${exchange.localPort}`;
    const refusal = this.serializer.refusal(identity.clientId, signature);
    if (refusal !== undefined) return Promise.resolve(dropBadInput(this.deps.logger, exchange, refusal));
    return this.serializer.run(identity.clientId, signature, () =>
      Promise.resolve(this.serve(exchange, identity)),
    );
  }

  private serve(exchange: DhcpExchange, identity: ClientIdentity): DhcpOutcome {
    const { request } = exchange;
    const ctx: ProxyContext = {
      exchange,
      request,
      identity,
      client: classifyClient(request),
      serverAddress: this.deps.serverAddress(exchange),
      now: this.deps.clock.now(),
    };
    let decision: Decision;
    try {
      decision = decideProxy(ctx, this.deps.bootFiles);
    } catch (error) {
      if (!(error instanceof EncodeError)) throw error;
      decision = dropDecision('reply-too-big', { detail: error.message });
    }
    const outcome: DhcpOutcome = decision.kind === 'reply' ? decision.reply : drop(decision.reason);
    this.noteBootAddress(ctx, decision.kind === 'reply');
    // The site's ordinary clients are not ours: their traffic leaves nothing on any timeline (issue 3 item 3). A
    // client that claims to netboot but is malformed (catalogue D21) is recorded, so the operator sees why.
    if (decision.kind === 'drop' && quietDrop(ctx, decision.reason)) {
      this.deps.logger.debug({ mac: identity.mac, reason: decision.reason }, 'DHCP message dropped (proxy)');
      return outcome;
    }
    recordDecision(this.deps.recorder, this.deps.logger, ctx, decision, {
      proxy: true,
      port: exchange.localPort,
    });
    return outcome;
  }

  /**
   * The client's address, for the boot address book: what it asked the site's server for in a broadcast REQUEST
   * on port 67 (option 50 when SELECTING or INIT-REBOOT, ciaddr when REBINDING; RFC 2131 §4.3.2), or where its
   * port-4011 REQUEST came from once answered (protocol-digest §2.5 step 4).
   */
  private noteBootAddress(ctx: ProxyContext, answered: boolean): void {
    const sink = this.deps.onBootAddress;
    const { request, exchange } = ctx;
    // Only a client that netboots can be a machine fleetboot installs: an ordinary host's REQUEST (any laptop on
    // the segment) must not be able to claim a marked machine's address (review finding 3).
    if (sink === undefined || request.messageType !== 'request' || !claimsNetboot(ctx.client)) return;
    let address: Ipv4 | undefined;
    if (exchange.localPort === 4011) {
      if (!answered) return;
      const source = ipv4OrAny(exchange.source.address);
      address = source !== IPV4_ANY ? source : request.clientAddress;
    } else {
      address = request.options.requestedIpAddress ?? request.clientAddress;
    }
    if (address === IPV4_ANY) return;
    sink({ mac: ctx.identity.mac, address, serverAddress: ctx.serverAddress });
  }
}

function quietDrop(ctx: ProxyContext, reason: DropReason): boolean {
  return isBadInput(reason) || (reason === 'not-netboot' && !claimsNetboot(ctx.client));
}
