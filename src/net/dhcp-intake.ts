import type { Logger } from '../observability/logger.js';
import {
  type DhcpMessage,
  decodeDhcpMessage,
  identifiedMac,
  messageTypeLabel,
} from '../protocol/dhcp4/index.js';
import { DHCP_CLIENT_PORT } from '../protocol/dhcp4/delivery.js';
import { DecodeError } from '../protocol/errors.js';
import { type Ipv4, IPV4_ANY, IPV4_BROADCAST } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';
import { type DhcpTap, tapSafely } from './capture-tap.js';
import type { Clock } from './clock.js';
import type { DhcpDestination, DhcpExchange, DhcpHandler, DhcpOutcome } from './dhcp-handler.js';
import { PROBE_VENDOR_CLASS } from './dhcp-probe.js';
import { escapeControl, type LogRate, LogRateLimiter } from './log-limiter.js';
import type { DhcpTransportMetrics } from './dhcp-metrics.js';

/** The UDP ports a DHCP listener serves: 67 (DHCP, proxyDHCP) and 4011 (PXE boot server, protocol-digest §2.5). */
export type DhcpPort = DhcpExchange['localPort'];

export interface DhcpIntakeLimits {
  /** Decoded requests handled at once; one more is dropped as `overload` (Kea congestion handling, catalogue P6). */
  readonly maxInFlight: number;
  /** Larger datagrams are dropped as `too-big` before decoding (catalogue D28; dnsmasq's cap is 16384). */
  readonly maxDatagramBytes: number;
}

/**
 * 1024 in flight: the largest burst issue 3 names (1000 DISCOVERs at once, a rack powering on; catalogue §6.5) is
 * queued, not dropped. Every datagram is read as it arrives, so a request over the cap is lost here, not held in
 * the kernel's 4 MiB buffer; with 256, a 500-client power-on lost the excess and those clients waited out their
 * first retransmission (bench/README.md, "Sixth round"). An exchange in flight holds its datagram (at most
 * maxDatagramBytes), its decoded request and the engine's state for it; one client holds at most 4 of the slots
 * (dhcp/serialize.ts MAX_QUEUED_PER_CLIENT).
 */
export const DEFAULT_INTAKE_LIMITS: DhcpIntakeLimits = { maxInFlight: 1024, maxDatagramBytes: 16_384 };
/** Per-packet debug lines: 10 a second on average, 50 at once. */
export const DEFAULT_PACKET_LOG_RATE: LogRate = { perSecond: 10, burst: 50 };
/** Engine failures and send errors: at most 5 at once, then one a minute, each saying how many were held back. */
export const DEFAULT_ERROR_LOG_RATE: LogRate = { perSecond: 1 / 60, burst: 5 };

/** Sends a reply from the socket of `localPort` (a 4011 reply must come from 4011: iPXE accepts nothing else). */
export type DhcpSend = (
  localPort: DhcpPort,
  bytes: Uint8Array,
  destination: DhcpDestination,
) => Promise<void>;

export interface DatagramSource {
  readonly address: string;
  readonly port: number;
}

export interface DhcpIntakeOptions {
  readonly interfaceName: string;
  readonly interfaceAddress: Ipv4;
  readonly handler: DhcpHandler;
  readonly send: DhcpSend;
  readonly metrics: DhcpTransportMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly limits?: Partial<DhcpIntakeLimits>;
  readonly packetLogRate?: LogRate;
  readonly errorLogRate?: LogRate;
  /**
   * Shown every decoded BOOTREPLY before it is dropped as `op`: another server's answer reaching our server port
   * (catalogue D05), for the rogue-server watch (dhcp/probe/rogue-watch.ts). Must not throw.
   */
  readonly onServerReply?: (message: DhcpMessage, source: DatagramSource) => void;
  /**
   * Shown each request handed to the handler and each reply sent, for the machine's boot capture (issue 6 item
   * 5); only those of a client that names a MAC. Called after the fact, never awaited.
   */
  readonly capture?: DhcpTap;
}

/**
 * What a listener does with each datagram, without the sockets (design.md §1.4, thin transport): size check,
 * decode, refuse BOOTREPLYs, bound the work in flight, hand one exchange to the engine, send what it returns.
 * Every datagram ends in exactly one counter (`dropped{reason}` or `replies{type}`); nothing here throws or
 * leaves a promise rejected.
 */
export class DhcpIntake {
  private readonly limits: DhcpIntakeLimits;
  private readonly packetLog: LogRateLimiter;
  private readonly errorLog: LogRateLimiter;
  private readonly label: { readonly interface: string };
  private readonly labelCache = new Map<string, Readonly<Record<string, string>>>();
  private active = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: DhcpIntakeOptions) {
    this.limits = { ...DEFAULT_INTAKE_LIMITS, ...options.limits };
    this.packetLog = new LogRateLimiter(options.clock, options.packetLogRate ?? DEFAULT_PACKET_LOG_RATE);
    this.errorLog = new LogRateLimiter(options.clock, options.errorLogRate ?? DEFAULT_ERROR_LOG_RATE);
    this.label = { interface: options.interfaceName };
    options.metrics.inFlight.set(this.label, 0);
  }

  get inFlight(): number {
    return this.active;
  }

  /** Takes one datagram as received on `localPort`. Returns at once; the exchange continues asynchronously. */
  accept(bytes: Uint8Array, localPort: DhcpPort, source: DatagramSource): void {
    const receivedAt = this.options.clock.now();
    const started = this.options.clock.monotonic();
    this.options.metrics.received.inc(this.labelsWith('port', String(localPort)));
    const where: PacketContext = {
      port: localPort,
      from: `${source.address}:${source.port}`,
      size: bytes.length,
    };
    const request = this.admit(bytes, where, source);
    if (request === undefined) return;
    const mac = this.options.capture === undefined ? undefined : identifiedMac(request);
    if (mac !== undefined) this.captureRequest(mac, bytes, localPort, source, receivedAt);
    const exchange: DhcpExchange = {
      request,
      raw: bytes,
      interfaceName: this.options.interfaceName,
      interfaceAddress: this.options.interfaceAddress,
      localPort,
      source: { address: source.address, port: source.port },
      receivedAt,
    };
    this.begin();
    void this.run(exchange, started, where, mac)
      .catch((error: unknown) => {
        this.logError({ err: error, ...where }, 'DHCP exchange failed unexpectedly');
      })
      .finally(() => {
        this.end();
      });
  }

  /** From now on every datagram is dropped as `stopping`; what is in flight finishes (see `idle`). */
  close(): void {
    this.closed = true;
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The decoded request if the engine is to see it; otherwise undefined, the datagram dropped and counted. */
  private admit(bytes: Uint8Array, where: PacketContext, source: DatagramSource): DhcpMessage | undefined {
    let reason: string | undefined;
    let request: DhcpMessage | undefined;
    if (this.closed) reason = 'stopping';
    else if (bytes.length > this.limits.maxDatagramBytes) reason = 'too-big';
    // From our own address and the client port: the DISCOVER of our own probe for another server (rogue-watch.ts),
    // which Linux loops back to local sockets like every broadcast it sends. Serving it would lease to ourselves.
    else if (source.address === this.options.interfaceAddress && source.port === DHCP_CLIENT_PORT) {
      reason = 'own-probe';
    } else {
      request = this.decode(bytes, where);
      if (request === undefined) return undefined; // counted by decode, with the decoder's offset and detail
      // RFC 2131 §4.1: servers receive BOOTREQUESTs; a BOOTREPLY on a server port is another server's answer
      // (catalogue D05, a rogue server or a loop), never something to act on; the rogue watch is told.
      if (request.op === 'reply') {
        reason = 'op';
        this.options.onServerReply?.(request, source);
      } else if (request.options.vendorClassIdentifier === PROBE_VENDOR_CLASS) {
        // Another fleetboot's probe for other servers (ours is caught above by its source): not a client.
        reason = 'peer-probe';
      } else if (this.active >= this.limits.maxInFlight) reason = 'overload';
    }
    if (reason === undefined) return request;
    this.drop(reason, request === undefined ? where : { ...where, ...describe(request) });
    return undefined;
  }

  private decode(bytes: Uint8Array, where: PacketContext): DhcpMessage | undefined {
    try {
      return decodeDhcpMessage(bytes);
    } catch (error) {
      if (error instanceof DecodeError) {
        this.drop(`parse:${error.reason}`, { ...where, offset: error.offset, detail: error.detail });
      } else {
        // The codec promises DecodeError only (design.md §1.2); anything else is a bug to report, not to crash on.
        this.drop('parse:internal', where);
        this.logError({ err: error, ...where }, 'the DHCP decoder failed unexpectedly');
      }
      return undefined;
    }
  }

  private async run(
    exchange: DhcpExchange,
    started: number,
    where: PacketContext,
    mac: Mac | undefined,
  ): Promise<void> {
    let outcome: DhcpOutcome;
    try {
      outcome = await this.options.handler(exchange);
      if (outcome.kind === 'drop') {
        this.drop(outcome.reason, { ...where, ...describe(exchange.request) });
        this.observe(started, 'drop');
        return;
      }
    } catch (error) {
      // The contract says the engine never throws; if it does, this datagram is lost, never the listener.
      const request = describe(exchange.request);
      this.drop('handler-error', { ...where, ...request });
      this.logError({ err: error, ...where, ...request }, 'the DHCP engine failed on a request');
      this.observe(started, 'error');
      return;
    }
    const sent = await this.deliver(exchange.localPort, outcome, where, exchange.request);
    this.observe(started, sent ? 'reply' : 'error');
    if (sent && mac !== undefined) this.captureReply(mac, exchange.localPort, outcome);
  }

  /**
   * The request as it arrived. The socket cannot tell whether it was broadcast or sent to us (no IP_PKTINFO):
   * from 0.0.0.0 it was broadcast (a client without an address has no other way, RFC 2131 §4.1), else it is
   * shown sent to our address on the interface (true of relays, renewals and PXE's port 4011; a rebinding
   * client's broadcast is shown as unicast).
   */
  private captureRequest(
    mac: Mac,
    bytes: Uint8Array,
    localPort: DhcpPort,
    source: DatagramSource,
    at: number,
  ): void {
    const to = source.address === IPV4_ANY ? IPV4_BROADCAST : this.options.interfaceAddress;
    tapSafely(this.options.capture, {
      at,
      direction: 'in',
      mac,
      source: { address: source.address, port: source.port },
      destination: { address: to, port: localPort },
      payload: bytes,
      payloadLength: bytes.length,
    });
  }

  /** The reply as sent: from our address and the port the request came to, to where the engine sent it. */
  private captureReply(mac: Mac, localPort: DhcpPort, reply: Extract<DhcpOutcome, { kind: 'reply' }>): void {
    tapSafely(this.options.capture, {
      at: this.options.clock.now(),
      direction: 'out',
      mac,
      source: { address: this.options.interfaceAddress, port: localPort },
      destination: { address: reply.destination.address, port: reply.destination.port },
      payload: reply.bytes,
      payloadLength: reply.bytes.length,
    });
  }

  // The request's summary and the destination's text are built only for a log line or a drop: on the path of
  // every reply they would be garbage at once.
  private async deliver(
    localPort: DhcpPort,
    reply: Extract<DhcpOutcome, { kind: 'reply' }>,
    where: PacketContext,
    message: DhcpMessage,
  ): Promise<boolean> {
    const to = () => `${reply.destination.address}:${reply.destination.port}`;
    try {
      await this.options.send(localPort, reply.bytes, reply.destination);
    } catch (error) {
      const request = describe(message);
      this.drop('send-error', { ...where, ...request, to: to() });
      this.logError({ err: error, ...where, ...request, to: to() }, `could not send ${reply.label}`);
      return false;
    }
    this.options.metrics.replies.inc(this.labelsWith('type', reply.label));
    if (this.packetLogging()) {
      const request = describe(message);
      this.logPacket(
        { ...where, ...request, reply: reply.label, to: to() },
        `${request.type} → ${reply.label}`,
      );
    }
    return true;
  }

  private drop(reason: string, context: Readonly<Record<string, unknown>>): void {
    this.options.metrics.dropped.inc(this.labelsWith('reason', reason));
    const type = typeof context['type'] === 'string' ? context['type'] : 'datagram';
    this.logPacket({ ...context, reason }, `${type} dropped: ${reason}`);
  }

  private observe(started: number, outcome: 'reply' | 'drop' | 'error'): void {
    const seconds = (this.options.clock.monotonic() - started) / 1000;
    this.options.metrics.handlingSeconds.observe(this.labelsWith('outcome', outcome), seconds);
  }

  private begin(): void {
    this.active += 1;
    this.options.metrics.inFlight.set(this.label, this.active);
  }

  private end(): void {
    this.active -= 1;
    this.options.metrics.inFlight.set(this.label, this.active);
    if (this.active > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * The interface's label with one more, one object per pair kept for the listener's life: every datagram counts
   * in two or three metrics, and the pairs are few (ports, reply types, outcomes, drop reasons).
   */
  private labelsWith(name: string, value: string): Readonly<Record<string, string>> {
    const key = `${name}=${value}`;
    let labels = this.labelCache.get(key);
    if (labels === undefined) {
      labels = { ...this.label, [name]: value };
      this.labelCache.set(key, labels);
    }
    return labels;
  }

  private packetLogging(): boolean {
    return this.options.logger.isLevelEnabled('debug');
  }

  // Per packet: debug only, rate-limited, wire text escaped (catalogue I5; issue 3 item 7).
  private logPacket(fields: Record<string, unknown>, message: string): void {
    if (!this.packetLogging()) return;
    const suppressed = this.packetLog.take();
    if (suppressed === undefined) return;
    this.options.logger.debug(
      { ...safe(fields), interface: this.options.interfaceName, ...(suppressed > 0 ? { suppressed } : {}) },
      escapeControl(message),
    );
  }

  private logError(fields: Record<string, unknown>, message: string): void {
    const suppressed = this.errorLog.take();
    if (suppressed === undefined) return;
    const { err, ...rest } = fields;
    this.options.logger.error(
      {
        err,
        ...safe(rest),
        interface: this.options.interfaceName,
        ...(suppressed > 0 ? { suppressed } : {}),
      },
      message,
    );
  }
}

// A type alias, not an interface, so that it fits Record<string, unknown> for the log helpers.
type PacketContext = {
  readonly port: DhcpPort;
  readonly from: string;
  readonly size: number;
};

interface RequestSummary {
  /** `DHCPDISCOVER`, as Wireshark says it (design.md §8.2). */
  readonly type: string;
  readonly xid: string;
  readonly chaddr: string;
}

function describe(request: DhcpMessage): RequestSummary {
  return {
    type: messageTypeLabel(request.messageType),
    xid: `0x${request.transactionId.toString(16).padStart(8, '0')}`,
    chaddr: Buffer.from(request.clientHardwareAddress).toString('hex'),
  };
}

function safe(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [
      key,
      typeof value === 'string' ? escapeControl(value) : value,
    ]),
  );
}
