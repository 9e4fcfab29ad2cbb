import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { DhcpMessage } from '../protocol/dhcp4/index.js';
import type { Ipv4 } from '../values/ipv4.js';
import type { DhcpTap } from './capture-tap.js';
import type { Clock } from './clock.js';
import type { DhcpDestination, DhcpHandler } from './dhcp-handler.js';
import {
  type DatagramSource,
  DhcpIntake,
  type DhcpIntakeLimits,
  type DhcpIntakeOptions,
  type DhcpPort,
} from './dhcp-intake.js';
import type { LogRate } from './log-limiter.js';
import { dhcpTransportMetrics } from './dhcp-metrics.js';
import type { Service } from './supervisor.js';
import { type InterfaceTable, interfaceIpv4 } from './udp-interface-address.js';
import { type InterfaceSocket, openInterfaceSocket, sendDatagram } from './udp-interface-socket.js';
import type { NetDeviceAddon } from './udp-netdev-addon.js';

export interface DhcpListenerOptions {
  /** The interface served; its sockets receive only what arrives on it and send only out of it. */
  readonly interfaceName: string;
  /** Default [67]. Add 4011 where proxyDHCP redirects PXE clients to the boot server port (protocol-digest §2.5). */
  readonly ports?: readonly DhcpPort[];
  readonly handler: DhcpHandler;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** Default: the interface's first IPv4 address, read at each start and watched while serving. */
  readonly interfaceAddress?: Ipv4;
  readonly limits?: Partial<DhcpIntakeLimits>;
  readonly receiveBufferBytes?: number;
  readonly sendBufferBytes?: number;
  readonly packetLogRate?: LogRate;
  readonly errorLogRate?: LogRate;
  /** Another server's BOOTREPLY that reached port 67 of this interface (DhcpIntakeOptions.onServerReply). */
  readonly onServerReply?: (interfaceName: string, message: DhcpMessage, source: DatagramSource) => void;
  /** Each request handled and reply sent, for the machine's boot capture (DhcpIntakeOptions.capture). */
  readonly capture?: DhcpTap;
  /** How often the interface is checked (still there, same address); default 5000 ms. */
  readonly watchIntervalMs?: number;
  /** How long `stop` lets exchanges in flight finish before closing the sockets; default 5000 ms. */
  readonly drainTimeoutMs?: number;
  /** Substitutes for tests. */
  readonly addon?: NetDeviceAddon;
  readonly interfaces?: () => InterfaceTable;
}

/**
 * DHCP on one interface, as a supervised Service: one socket per port (67, and 4011 when asked), each pinned to
 * the interface with SO_BINDTODEVICE (docs/dhcp-interfaces.md), feeding one DhcpIntake. A socket error, or the
 * interface vanishing or changing its address, calls `fail` so that the supervisor restarts the listener.
 */
export class DhcpListener implements Service {
  readonly name: string;
  private sockets: PortSocket[] = [];
  private intake: DhcpIntake | undefined;
  private cancelWatch: (() => void) | undefined;

  constructor(private readonly options: DhcpListenerOptions) {
    this.name = `dhcp:${options.interfaceName}`;
  }

  /** The UDP port bound for each DHCP port while serving (the same, except where tests bind ephemeral ports). */
  get boundPorts(): ReadonlyMap<DhcpPort, number> {
    return new Map(this.sockets.map((s) => [s.port, s.socket.port]));
  }

  /** Our address on the interface while serving (the server identifier handed to the engine). */
  get interfaceAddress(): Ipv4 | undefined {
    return this.sockets[0]?.socket.interfaceAddress;
  }

  async start(fail: (error: unknown) => void): Promise<void> {
    if (this.intake !== undefined) throw new Error(`${this.name} is already started`);
    const { options } = this;
    const logger = options.logger.child({ interface: options.interfaceName });
    const sockets = await this.openSockets(logger);
    const address = sockets[0]?.socket.interfaceAddress;
    if (address === undefined) throw new Error(`${this.name}: no port to serve`);
    const byPort = new Map(sockets.map((s) => [s.port, s.socket]));
    const intake = new DhcpIntake({
      interfaceName: options.interfaceName,
      interfaceAddress: address,
      handler: options.handler,
      send: (port, bytes, destination) => sendFrom(byPort.get(port), bytes, destination),
      metrics: dhcpTransportMetrics(options.metrics),
      logger,
      clock: options.clock,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.packetLogRate === undefined ? {} : { packetLogRate: options.packetLogRate }),
      ...(options.errorLogRate === undefined ? {} : { errorLogRate: options.errorLogRate }),
      ...(options.onServerReply === undefined ? {} : { onServerReply: serverReplyOf(options) }),
      ...optional('capture', options.capture),
    });
    let reported = false;
    const report = (error: unknown): void => {
      if (reported) return;
      reported = true;
      this.cancelWatch?.();
      fail(error);
    };
    for (const { port, socket } of sockets) {
      socket.socket.on('message', (message, remote) => {
        intake.accept(message, port, remote);
      });
      socket.socket.on('error', report);
    }
    this.sockets = sockets;
    this.intake = intake;
    this.watch(address, report);
  }

  async stop(): Promise<void> {
    this.cancelWatch?.();
    this.cancelWatch = undefined;
    const { intake, sockets } = this;
    this.intake = undefined;
    this.sockets = [];
    if (intake !== undefined) {
      intake.close();
      await this.boundedWait(intake.idle(), this.options.drainTimeoutMs ?? 5000);
    }
    await Promise.all(sockets.map((s) => s.socket.close()));
  }

  private async openSockets(logger: Logger): Promise<PortSocket[]> {
    const { options } = this;
    const opened: PortSocket[] = [];
    try {
      for (const port of new Set<DhcpPort>(options.ports ?? [67])) {
        const socket = await openInterfaceSocket({
          interfaceName: options.interfaceName,
          port,
          logger,
          // Both sockets answer with the same server identifier, even if the address changed in between.
          ...optional('interfaceAddress', options.interfaceAddress ?? opened[0]?.socket.interfaceAddress),
          ...optional('receiveBufferBytes', options.receiveBufferBytes),
          ...optional('sendBufferBytes', options.sendBufferBytes),
          ...optional('addon', options.addon),
          ...optional('interfaces', options.interfaces),
        });
        opened.push({ port, socket });
      }
    } catch (error) {
      await Promise.all(opened.map((s) => s.socket.close()));
      throw error;
    }
    return opened;
  }

  /**
   * SO_BINDTODEVICE pins an interface index. If the interface is deleted (and perhaps created again under the
   * same name), the socket stays open but deaf; if its address changes, option 54 would name an old address. The
   * listener checks both and asks the supervisor for a restart.
   */
  private watch(address: Ipv4, report: (error: unknown) => void): void {
    const { options } = this;
    const check = (): void => {
      try {
        for (const { port, socket } of this.sockets) {
          const bound = socket.boundDevice();
          if (bound !== options.interfaceName) {
            throw new Error(`the socket of port ${port} is pinned to "${bound}"`);
          }
        }
        if (options.interfaceAddress === undefined) {
          const now = interfaceIpv4(options.interfaceName, options.interfaces?.());
          if (now !== address) {
            throw new Error(`its IPv4 address changed from ${address} to ${now ?? 'none'}`);
          }
        }
      } catch (error) {
        report(new Error(`${this.name}: interface ${options.interfaceName} changed: ${describe(error)}`));
        return;
      }
      this.cancelWatch = options.clock.setTimer(check, options.watchIntervalMs ?? 5000);
    };
    this.cancelWatch = options.clock.setTimer(check, options.watchIntervalMs ?? 5000);
  }

  private boundedWait(promise: Promise<void>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.options.clock.setTimer(resolve, ms);
      void promise.then(() => {
        cancel();
        resolve();
      });
    });
  }
}

/** A socket and the DHCP port it serves (the same number, except where tests bind ephemeral ports). */
interface PortSocket {
  readonly port: DhcpPort;
  readonly socket: InterfaceSocket;
}

/** One listener per configured interface (`dhcp.interfaces`), all sharing the handler and the metrics registry. */
export function createDhcpListeners(
  interfaces: readonly string[],
  options: Omit<DhcpListenerOptions, 'interfaceName' | 'interfaceAddress'>,
): DhcpListener[] {
  return interfaces.map((interfaceName) => new DhcpListener({ ...options, interfaceName }));
}

function sendFrom(
  socket: InterfaceSocket | undefined,
  bytes: Uint8Array,
  destination: DhcpDestination,
): Promise<void> {
  if (socket === undefined) return Promise.reject(new Error('no socket for the port the request came in on'));
  return sendDatagram(socket, bytes, destination);
}

function serverReplyOf(options: DhcpListenerOptions): NonNullable<DhcpIntakeOptions['onServerReply']> {
  const { onServerReply, interfaceName } = options;
  return (message, source) => onServerReply?.(interfaceName, message, source);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
