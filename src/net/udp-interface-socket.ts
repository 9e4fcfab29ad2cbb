import { createSocket, type Socket } from 'node:dgram';
import { closeSync } from 'node:fs';
import type { Logger } from '../observability/logger.js';
import { DHCP_CLIENT_PORT } from '../protocol/dhcp4/delivery.js';
import type { Ipv4 } from '../values/ipv4.js';
import { type InterfaceTable, interfaceIpv4, ipv4InterfaceNames } from './udp-interface-address.js';
import { literalLookup } from './udp-literal-lookup.js';
import { type NetDeviceAddon, netDeviceAddon } from './udp-netdev-addon.js';

/**
 * 4 MiB: a rack powering on sends a burst of DISCOVERs faster than one event-loop turn reads them. Measured here
 * (reliability-catalogue L04): 1000 back-to-back 300-byte datagrams → 166 delivered with the default buffer
 * (net.core.rmem_default 212992), 1000 with 4 MiB.
 */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
/** Replies go out as fast as the engine produces them; 1 MiB holds a burst of a few thousand. */
export const DEFAULT_SEND_BUFFER_BYTES = 1024 * 1024;

export interface InterfaceSocketOptions {
  readonly interfaceName: string;
  readonly port: number;
  /** Our IPv4 address on the interface; default: its first IPv4 address (os.networkInterfaces()). */
  readonly interfaceAddress?: Ipv4;
  readonly receiveBufferBytes?: number;
  readonly sendBufferBytes?: number;
  /**
   * Share the port with other SO_REUSEADDR sockets (native/bind_device.c). Never for a server port: there a second
   * server must fail to bind (docs/dhcp-interfaces.md). For the DHCP probe's port 68, which a DHCP client on the
   * host (ISC dhclient: 0.0.0.0:68, SO_REUSEADDR) may hold.
   */
  readonly reuseAddress?: boolean;
  readonly logger: Logger;
  /** Substitutes for tests. */
  readonly addon?: NetDeviceAddon;
  readonly interfaces?: () => InterfaceTable;
}

/** A buffer size as asked and as the kernel granted it (capped by net.core.rmem_max / wmem_max). */
export interface SocketBufferSize {
  readonly requested: number;
  readonly granted: number;
}

/** A UDP socket on 0.0.0.0:port that receives only what arrives on one interface, and sends only out of it. */
export interface InterfaceSocket {
  readonly socket: Socket;
  readonly interfaceName: string;
  readonly interfaceAddress: Ipv4;
  /** The port bound (the one asked for, or the kernel's choice for 0). */
  readonly port: number;
  readonly receiveBuffer: SocketBufferSize;
  readonly sendBuffer: SocketBufferSize;
  /** The device the kernel has the socket pinned to; throws once the interface has been deleted (ENXIO). */
  boundDevice(): string;
  /** Closes the socket; idempotent. */
  close(): Promise<void>;
}

/** Why a socket could not be opened, in words an operator can act on; `code` is the errno name when there is one. */
export class InterfaceSocketError extends Error {
  override readonly name = 'InterfaceSocketError';
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Opens the socket for (interface, port): pinned with SO_BINDTODEVICE before it is bound (native/bind_device.c),
 * adopted by dgram, broadcast enabled (replies to 255.255.255.255), buffers sized and read back.
 */
export async function openInterfaceSocket(options: InterfaceSocketOptions): Promise<InterfaceSocket> {
  const { interfaceName, port, logger } = options;
  const addon = options.addon ?? netDeviceAddon();
  const table = options.interfaces ?? (() => undefined);
  let fd: number;
  try {
    fd = addon.openUdpSocket(interfaceName, port, options.reuseAddress === true);
  } catch (error) {
    throw explainOpenError(error, interfaceName, port, table());
  }
  let interfaceAddress: Ipv4;
  let socket: Socket;
  try {
    interfaceAddress = options.interfaceAddress ?? requireIpv4(interfaceName, table());
    verifyPin(addon, fd, interfaceName);
    socket = adopt(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const opened = new OpenSocket(socket, fd, addon, interfaceName, interfaceAddress, socket.address().port);
  try {
    socket.setBroadcast(true);
    opened.sizeBuffers(
      options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
      options.sendBufferBytes ?? DEFAULT_SEND_BUFFER_BYTES,
    );
  } catch (error) {
    await opened.close();
    throw error;
  }
  logBuffers(opened, logger);
  return opened;
}

class OpenSocket implements InterfaceSocket {
  receiveBuffer: SocketBufferSize = { requested: 0, granted: 0 };
  sendBuffer: SocketBufferSize = { requested: 0, granted: 0 };
  private closing: Promise<void> | undefined;

  constructor(
    readonly socket: Socket,
    private readonly fd: number,
    private readonly addon: NetDeviceAddon,
    readonly interfaceName: string,
    readonly interfaceAddress: Ipv4,
    readonly port: number,
  ) {}

  // socket(7) NOTES: Linux doubles the value set (half is bookkeeping), and getsockopt reports the doubled value.
  sizeBuffers(receive: number, send: number): void {
    this.socket.setRecvBufferSize(receive);
    this.receiveBuffer = { requested: receive, granted: this.socket.getRecvBufferSize() / 2 };
    this.socket.setSendBufferSize(send);
    this.sendBuffer = { requested: send, granted: this.socket.getSendBufferSize() / 2 };
  }

  boundDevice(): string {
    // After close the descriptor number may already belong to another file.
    if (this.closing !== undefined) throw new Error(`the socket of ${this.interfaceName} is closed`);
    return this.addon.boundDevice(this.fd);
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      try {
        this.socket.close(() => {
          resolve();
        });
      } catch {
        resolve(); // already closed (ERR_SOCKET_DGRAM_NOT_RUNNING)
      }
    });
    return this.closing;
  }
}

/** Sends one datagram; resolves once the kernel took it, rejects with the send error (never throws). */
export function sendDatagram(
  socket: InterfaceSocket,
  bytes: Uint8Array,
  destination: { readonly address: string; readonly port: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      socket.socket.send(bytes, destination.port, destination.address, (error) => {
        if (error) reject(error);
        else resolve();
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/**
 * dgram adopts the descriptor with the documented `bind({ fd })` (nodejs/node#21745), which starts receiving at
 * once and emits 'listening' synchronously. If it refuses the descriptor, the caller still owns and closes it.
 */
function adopt(fd: number): Socket {
  // Replies go to literals (a client, a relay, the broadcast address): no deferred dns.lookup per datagram.
  const socket = createSocket({ type: 'udp4', lookup: literalLookup('udp4') });
  try {
    socket.bind({ fd });
  } catch (error) {
    socket.close();
    throw error;
  }
  return socket;
}

function verifyPin(addon: NetDeviceAddon, fd: number, interfaceName: string): void {
  const bound = addon.boundDevice(fd);
  if (bound !== interfaceName) {
    throw new InterfaceSocketError(
      `the socket for ${interfaceName} is pinned to "${bound}" instead (getsockopt SO_BINDTODEVICE)`,
      'EPIN',
    );
  }
}

function requireIpv4(interfaceName: string, table: InterfaceTable | undefined): Ipv4 {
  const address = interfaceIpv4(interfaceName, table);
  if (address !== undefined) return address;
  throw new InterfaceSocketError(
    `interface ${interfaceName} has no IPv4 address: fleetboot answers DHCP from its address on the interface ` +
      '(the server identifier, option 54, RFC 2131 §4.1); give it one, or name another interface in dhcp.interfaces',
    'ENOADDR',
  );
}

function explainOpenError(
  error: unknown,
  interfaceName: string,
  port: number,
  table: InterfaceTable | undefined,
): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const code = (error as { code?: unknown }).code;
  const withCause = { cause: error };
  switch (code) {
    case 'ENODEV':
      return new InterfaceSocketError(
        `interface ${interfaceName} does not exist here (interfaces with IPv4: ` +
          `${ipv4InterfaceNames(table).join(', ') || 'none'}); check dhcp.interfaces`,
        code,
        withCause,
      );
    case 'EACCES':
      return new InterfaceSocketError(
        `binding UDP port ${port} needs root or CAP_NET_BIND_SERVICE (ip(7): ports below 1024)`,
        code,
        withCause,
      );
    case 'EPERM':
      return new InterfaceSocketError(
        `pinning a socket to ${interfaceName} (SO_BINDTODEVICE) was refused: Linux before 5.7 needs CAP_NET_RAW`,
        code,
        withCause,
      );
    case 'EADDRINUSE':
      return new InterfaceSocketError(
        port === DHCP_CLIENT_PORT
          ? `UDP port ${port} is already taken on ${interfaceName} by a program that does not share it ` +
              '(SO_REUSEADDR), such as a DHCP client other than ISC dhclient: the DHCP probe cannot listen'
          : `UDP port ${port} is already taken on ${interfaceName}: another DHCP server (another fleetboot, ` +
              'dnsmasq, dhcpd, Kea) listens on this interface or on all of them',
        code,
        withCause,
      );
    default:
      return error;
  }
}

function logBuffers(opened: InterfaceSocket, logger: Logger): void {
  const { interfaceName, port, interfaceAddress, receiveBuffer, sendBuffer } = opened;
  logger.info(
    { interface: interfaceName, port, address: interfaceAddress, receiveBuffer, sendBuffer },
    `UDP socket on ${interfaceName} port ${port} pinned to the interface`,
  );
  const capped = [
    { what: 'receive', size: receiveBuffer, sysctl: 'net.core.rmem_max' },
    { what: 'send', size: sendBuffer, sysctl: 'net.core.wmem_max' },
  ].filter((b) => b.size.granted < b.size.requested);
  for (const { what, size, sysctl } of capped) {
    logger.warn(
      { interface: interfaceName, port, requested: size.requested, granted: size.granted },
      `the kernel capped the ${what} buffer of ${interfaceName} port ${port} at ${size.granted} bytes ` +
        `(asked ${size.requested}); a burst of DHCP packets may be dropped: raise it with ` +
        `\`sysctl -w ${sysctl}=${size.requested}\` (and in /etc/sysctl.d/ to keep it)`,
    );
  }
}
