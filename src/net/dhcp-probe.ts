import type { Logger } from '../observability/logger.js';
import { decodeDhcpMessage, type DhcpMessage } from '../protocol/dhcp4/index.js';
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from '../protocol/dhcp4/delivery.js';
import { IPV4_BROADCAST } from '../values/ipv4.js';
import type { Clock } from './clock.js';
import type { DatagramSource } from './dhcp-intake.js';
import type { InterfaceTable } from './udp-interface-address.js';
import { type InterfaceSocket, openInterfaceSocket, sendDatagram } from './udp-interface-socket.js';
import type { NetDeviceAddon } from './udp-netdev-addon.js';

/**
 * Option 60 of our probe: a site administrator who finds the DISCOVER in their server's log can tell what sent it
 * (dnsmasq logs the vendor class with --log-dhcp; Kea and ISC dhcpd can match on it). It is deliberately not
 * `PXEClient`, so no proxyDHCP server (another fleetboot, dnsmasq in proxy mode) answers: only servers that lease
 * addresses to ordinary clients should. A fleetboot in full mode drops it too (dhcp-intake.ts, `peer-probe`): two
 * fleetboot servers on one segment must not lease to, enroll or warn about each other's probes as clients.
 */
export const PROBE_VENDOR_CLASS = 'fleetboot-probe';

/** When the probe sends and how long it listens. */
export interface DhcpProbeTiming {
  /** DISCOVERs sent (the same datagram, as a client retransmits, RFC 2131 §4.1); at least 1. */
  readonly attempts: number;
  /** Between two DISCOVERs. */
  readonly intervalMs: number;
  /** How long the probe listens, from the first DISCOVER; more than (attempts − 1) × intervalMs. */
  readonly waitMs: number;
}

export interface DhcpProbeOptions {
  readonly interfaceName: string;
  /** The encoded DISCOVER (dhcp/probe/discover.ts). */
  readonly request: Uint8Array;
  readonly timing: DhcpProbeTiming;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Every datagram that decodes, with its source; return true to end the probe now. */
  readonly onMessage: (message: DhcpMessage, source: DatagramSource) => boolean;
  /**
   * Datagrams the caller can tell apart as nothing to it without a decode (the host's own server's replies, which
   * the port-68 socket hears too); counted as received, neither decoded nor given to onMessage.
   */
  readonly skip?: (bytes: Uint8Array) => boolean;
  /** Default 68, where servers answer clients; tests use ephemeral ports. */
  readonly clientPort?: number;
  /** Default 255.255.255.255:67. */
  readonly destination?: { readonly address: string; readonly port: number };
  /** Substitutes for tests. */
  readonly addon?: NetDeviceAddon;
  readonly interfaces?: () => InterfaceTable;
}

export interface DhcpProbeResult {
  /** DISCOVERs that left (at least 1, or the probe throws). */
  readonly sent: number;
  /** Datagrams received, and how many of them did not decode (they are otherwise ignored). */
  readonly received: number;
  readonly undecodable: number;
  /** onMessage asked to stop before the wait was over. */
  readonly endedEarly: boolean;
  readonly elapsedMs: number;
}

// A probe hears a few answers; 64 KiB stays under the default net.core.rmem_max (212992), so the kernel grants it
// and the socket opener has no reason to warn.
const PROBE_BUFFER_BYTES = 64 * 1024;

/**
 * The transport of a DHCP probe (thin: what to send and what an answer means are the caller's): a client socket on
 * port 68 pinned to the interface like the listeners (SO_BINDTODEVICE, docs/dhcp-interfaces.md), so the DISCOVER
 * leaves by that interface with no route needed and only that segment's answers are heard. Sends `attempts`
 * DISCOVERs `intervalMs` apart to 255.255.255.255:67, listens for `waitMs` in all, and closes the socket. The port
 * is shared (SO_REUSEADDR) with a DHCP client the host may run; one that holds it without SO_REUSEADDR makes the
 * probe throw, as does an interface that cannot be opened or a probe that could not send a single DISCOVER.
 */
export async function runDhcpProbe(options: DhcpProbeOptions): Promise<DhcpProbeResult> {
  const { timing } = options;
  if (timing.attempts < 1 || timing.waitMs <= (timing.attempts - 1) * timing.intervalMs) {
    throw new RangeError('a DHCP probe needs attempts ≥ 1 and waitMs > (attempts − 1) × intervalMs');
  }
  const socket = await openInterfaceSocket({
    interfaceName: options.interfaceName,
    port: options.clientPort ?? DHCP_CLIENT_PORT,
    // A DHCP client on the host may hold port 68 too (ISC dhclient does, unpinned, with SO_REUSEADDR).
    reuseAddress: true,
    receiveBufferBytes: PROBE_BUFFER_BYTES,
    sendBufferBytes: PROBE_BUFFER_BYTES,
    // The socket's "opened" line is info; a periodic probe would repeat it. Warnings (capped buffers) still show.
    logger: options.logger.child({}, { level: 'warn' }),
    ...(options.addon === undefined ? {} : { addon: options.addon }),
    ...(options.interfaces === undefined ? {} : { interfaces: options.interfaces }),
  });
  try {
    return await new ProbeRun(options, socket).run();
  } finally {
    await socket.close();
  }
}

class ProbeRun {
  private sent = 0;
  private received = 0;
  private undecodable = 0;
  private lastSendError: unknown;
  private readonly timers: (() => void)[] = [];
  private readonly started: number;

  constructor(
    private readonly options: DhcpProbeOptions,
    private readonly socket: InterfaceSocket,
  ) {
    this.started = options.clock.monotonic();
  }

  run(): Promise<DhcpProbeResult> {
    const { timing, clock } = this.options;
    return new Promise<DhcpProbeResult>((resolve, reject) => {
      let done = false;
      const finish = (endedEarly: boolean, error?: Error): void => {
        if (done) return;
        done = true;
        for (const cancel of this.timers) cancel();
        this.socket.socket.removeAllListeners('message');
        if (error !== undefined) reject(error);
        else if (this.sent === 0) reject(this.noneSent());
        else resolve(this.result(endedEarly));
      };
      this.socket.socket.on('message', (bytes, remote) => {
        if (done) return;
        if (this.take(bytes, { address: remote.address, port: remote.port })) finish(true);
      });
      this.socket.socket.on('error', (error) => {
        finish(false, error);
      });
      for (let attempt = 0; attempt < timing.attempts; attempt += 1) {
        this.timers.push(
          clock.setTimer(() => {
            void this.send();
          }, attempt * timing.intervalMs),
        );
      }
      this.timers.push(
        clock.setTimer(() => {
          finish(false);
        }, timing.waitMs),
      );
    });
  }

  private take(bytes: Buffer, source: DatagramSource): boolean {
    this.received += 1;
    if (this.options.skip?.(bytes) === true) return false;
    let message: DhcpMessage;
    try {
      message = decodeDhcpMessage(bytes);
    } catch {
      this.undecodable += 1; // not ours to count by reason: the probe only looks for servers
      return false;
    }
    return this.options.onMessage(message, source);
  }

  private async send(): Promise<void> {
    const destination = this.options.destination ?? { address: IPV4_BROADCAST, port: DHCP_SERVER_PORT };
    try {
      await sendDatagram(this.socket, this.options.request, destination);
      this.sent += 1;
    } catch (error) {
      this.lastSendError = error;
      this.options.logger.warn(
        { err: error, interface: this.options.interfaceName },
        'DHCP probe: a DISCOVER could not be sent',
      );
    }
  }

  private noneSent(): Error {
    const cause = this.lastSendError;
    const why = cause instanceof Error ? cause.message : 'no attempt was made';
    return new Error(`the DHCP probe on ${this.options.interfaceName} could not send a DISCOVER: ${why}`, {
      cause,
    });
  }

  private result(endedEarly: boolean): DhcpProbeResult {
    return {
      sent: this.sent,
      received: this.received,
      undecodable: this.undecodable,
      endedEarly,
      elapsedMs: this.options.clock.monotonic() - this.started,
    };
  }
}
