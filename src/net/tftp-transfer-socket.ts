import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { isIPv6 } from 'node:net';
import {
  BLOCK_NUMBER_MODULUS,
  blockLength,
  blockNumber,
  blockOffset,
  Opcode,
} from '../protocol/tftp/index.js';
import type { TftpClient } from './tftp-file.js';
import { literalLookup } from './udp-literal-lookup.js';
import { loadNativeAddon } from './udp-netdev-addon.js';

/**
 * What a transfer's socket hands to the transfer. Split the way the transfer needs it: an ACK of the transfer's
 * own peer is the one datagram of the hot path (one per block in lock-step), so it arrives as its block number
 * alone; everything else — a stranger's datagram (RFC 1350 §4), an ERROR, a short or unknown packet — whole.
 */
export interface TransferSocketHandlers {
  /** An ACK (opcode 4, 4 octets or more) from the peer: the u16 block number from the wire. */
  ack(block: number): void;
  /**
   * `count` ACKs of a whole window that the autopilot has carried out (it sent each next window), in order, before
   * anything else is delivered, the last of them `ageMs` ago: the transfer replays them through its window.
   */
  acks(count: number, ageMs: number): void;
  /** Any other datagram, and who sent it. */
  datagram(bytes: Buffer, from: TftpClient): void;
  /** The socket failed; nothing more arrives. */
  error(error: Error): void;
}

/**
 * One read transfer's socket: bound to an ephemeral port (the server's TID, RFC 1350 §4), talking to one peer
 * (the client's TID). Sends are fire-and-forget: a datagram the kernel refuses is a lost datagram, and the
 * transfer's retransmission timer recovers it.
 */
export interface TransferSocket {
  /** The address the socket is bound to, and its ephemeral port. */
  readonly local: TftpClient;
  /** Where datagrams go from now on; until called they are dropped (the transfer is not set up yet). */
  listen(handlers: TransferSocketHandlers): void;
  /**
   * The transfer's bytes when they are in memory and sent as is (octet mode): `sendBlocks` then sends DATA block i
   * as bytes[(i − 1) × blockSize …] (RFC 1350 §6). Held until the socket is closed.
   */
  setData(bytes: Uint8Array, blockSize: number): void;
  /** DATA blocks `first` … `first + count − 1` of the data set with `setData`, in order, to the peer. */
  sendBlocks(first: number, count: number): void;
  /**
   * The autopilot, for a transfer whose data is set: blocks up to `sent` of `total` have been sent, `window` at a
   * time. While it is on, an ACK of the whole window sent makes the socket send the next window itself — the rule
   * of tftp-window.ts `nextOnFullAck` — without calling the transfer per block; it reports the ACKs (`acks`) before
   * anything else it delivers (and is then off until switched on again), and at least every 256 (staying on).
   * Window 0: off.
   * Lock-step TFTP is one round trip per block; this keeps JavaScript out of that round trip.
   */
  autopilot(sent: number, total: number, window: number): void;
  /** The ACKs the autopilot carried out and has not reported yet, reported now: how many, and how long ago the last. */
  takeAcks(): PilotReport;
  /**
   * The transfer moves one block per round trip (windowsize 1): from now on its peer's datagrams keep the event
   * loop polling for the busy-poll window (native/busy_poll.c). A windowed transfer shares one wake-up among a
   * window's blocks and does not call this. Called once, before the transfer sends anything.
   */
  lockStep(): void;
  /** One DATA block with the payload given (a streamed or converted file). */
  sendBlock(index: number, payload: Uint8Array): void;
  /** One datagram (an OACK, an ERROR) to the peer or to another address. */
  send(bytes: Uint8Array, to: TftpClient): void;
  /** Sends `farewell` (an ERROR) if given, then closes; resolves once the socket is closed. Closing twice is harmless. */
  close(farewell?: Uint8Array): Promise<void>;
}

/** A native socket's segmented sends: how many it made, and whether it has stopped (the kernel cannot or would not). */
export interface Segmentation {
  readonly sends: number;
  readonly declined: boolean;
}

/** What the autopilot did since its last report. */
export interface PilotReport {
  readonly count: number;
  readonly ageMs: number;
}

/** Opens a transfer's socket on `host` (an address literal), port 0, for the peer `peer`. */
export type TransferSocketFactory = (host: string, peer: TftpClient) => Promise<TransferSocket>;

/**
 * Which implementation carries the transfers: `native` (native/transfer_socket.c, polled by Node's own event loop:
 * an ACK costs one integer handed to JavaScript, a window one segmented send or one sendmmsg) or `dgram` (Node's
 * dgram, which allocates per datagram received and sent). Both deliver the same things to the transfer; the native one cost 12–47 % less
 * server CPU in every case measured (bench/README.md "Native transfer sockets"); dgram is what remains where the
 * addon is not built. One difference: a datagram the kernel refuses at once (EAGAIN when the send buffer is full
 * behind a slow interface) is dropped by the native socket, where libuv would queue it; the retransmission timer
 * recovers it either way.
 */
export type TransferSocketKind = 'native' | 'dgram';

/** The opaque handle the addon returns for one socket. */
declare const nativeSocket: unique symbol;
type NativeSocketHandle = { readonly [nativeSocket]: true };

/** native/transfer_socket.c, as JavaScript sees it (each function is documented there). */
export interface TftpSocketAddon {
  open(
    host: string,
    onAck: (block: number) => void,
    onAcks: (count: number, ageMs: number) => void,
    onDatagram: (bytes: Buffer, address: string, port: number) => void,
    onError: (message: string) => void,
  ): NativeSocketHandle;
  local(socket: NativeSocketHandle): TftpClient;
  setPeer(socket: NativeSocketHandle, address: string, port: number): void;
  setData(socket: NativeSocketHandle, bytes: Uint8Array, blockSize: number): void;
  /** Returns how many DATA datagrams the kernel took. */
  sendBlocks(socket: NativeSocketHandle, first: number, count: number): number;
  autopilot(socket: NativeSocketHandle, sent: number, total: number, window: number): void;
  takeAcks(socket: NativeSocketHandle): PilotReport;
  lockStep(socket: NativeSocketHandle): void;
  /** The segmented sends (UDP GSO) the socket made, and whether it has stopped making them (docs/tftp.md). */
  segmentation(socket: NativeSocketHandle): Segmentation;
  sendBlock(socket: NativeSocketHandle, index: number, payload: Uint8Array): number;
  /** Returns 0, or the errno of a datagram the kernel refused. */
  send(socket: NativeSocketHandle, bytes: Uint8Array, address: string, port: number): number;
  close(socket: NativeSocketHandle): void;
  /** The largest busy-poll window of this thread's event loop, in µs (0 to BUSY_POLL_MAX_MICROS; 0: off). */
  busyPoll(micros: number): void;
  /** Whether this thread's loop is inside a busy-poll window now. */
  busyPolling(): boolean;
  /** This thread's busy-poll window now, in µs: it adapts between 0 and the largest (native/busy_poll.c). */
  busyPollWindow(): number;
}

/** The largest busy-poll window the addon takes, in µs. */
export const BUSY_POLL_MAX_MICROS = 1_000_000;

/** Throws a RangeError for a busy-poll window the addon would refuse. */
export function checkBusyPoll(micros: number): void {
  if (!Number.isInteger(micros) || micros < 0 || micros > BUSY_POLL_MAX_MICROS) {
    throw new RangeError(
      `the busy-poll window must be an integer from 0 to ${String(BUSY_POLL_MAX_MICROS)} µs, not ${String(micros)}`,
    );
  }
}

/** Where node-gyp puts the addon: native/build/Release, from src/net/ and from dist/net/ alike. */
export const TFTP_SOCKET_ADDON_PATH = fileURLToPath(
  new URL('../../native/build/Release/fleetboot_tftp_socket.node', import.meta.url),
);

export function loadTftpSocketAddon(path: string = TFTP_SOCKET_ADDON_PATH): TftpSocketAddon {
  const names: readonly (keyof TftpSocketAddon)[] = [
    'open',
    'local',
    'setPeer',
    'setData',
    'sendBlocks',
    'autopilot',
    'takeAcks',
    'lockStep',
    'segmentation',
    'sendBlock',
    'send',
    'close',
    'busyPoll',
    'busyPolling',
    'busyPollWindow',
  ];
  // The functions were checked by name, and their C signatures are the ones the interface documents.
  const loaded = loadNativeAddon(
    path,
    'the native TFTP transfer socket',
    "fleetboot's TFTP socket addon",
    names,
  );
  return loaded as TftpSocketAddon;
}

/**
 * The factory for `kind`; throws (NativeAddonError) when the native one cannot be loaded. `busyPollMicros` sets
 * the longest the event loop keeps polling, rather than sleeping, after a datagram of a native lock-step transfer
 * socket (native/busy_poll.c): per thread, so the last factory made on a thread decides for all its sockets.
 * Node's dgram sockets have no such window. A value the addon would refuse throws a RangeError before anything is
 * loaded.
 */
export function transferSocketFactory(kind: TransferSocketKind, busyPollMicros = 0): TransferSocketFactory {
  checkBusyPoll(busyPollMicros);
  if (kind === 'dgram') return openDgramTransferSocket;
  const addon = loadTftpSocketAddon();
  addon.busyPoll(busyPollMicros);
  // Opened in the executor: a bind error rejects the promise, as dgram's does.
  return (host, peer) =>
    new Promise((resolve) => {
      resolve(new NativeTransferSocket(addon, host, peer));
    });
}

/** The autopilot reports the ACKs it carried out at least this often (native/transfer_socket.c). */
const AUTOPILOT_REPORT_EVERY = 256;

const IGNORE: TransferSocketHandlers = {
  ack: () => undefined,
  acks: () => undefined,
  datagram: () => undefined,
  error: () => undefined,
};

class NativeTransferSocket implements TransferSocket {
  readonly local: TftpClient;
  private handlers = IGNORE;
  private readonly handle: NativeSocketHandle;
  private closed = false;

  constructor(
    private readonly addon: TftpSocketAddon,
    host: string,
    private readonly peer: TftpClient,
  ) {
    this.handle = addon.open(
      host,
      (block) => {
        this.handlers.ack(block);
      },
      (count, ageMs) => {
        this.handlers.acks(count, ageMs);
      },
      (bytes, address, port) => {
        this.handlers.datagram(bytes, { address, port });
      },
      (message) => {
        this.handlers.error(new Error(`TFTP transfer socket: ${message}`));
      },
    );
    try {
      addon.setPeer(this.handle, peer.address, peer.port);
      this.local = addon.local(this.handle);
    } catch (error) {
      addon.close(this.handle);
      throw error;
    }
  }

  listen(handlers: TransferSocketHandlers): void {
    this.handlers = handlers;
  }

  setData(bytes: Uint8Array, blockSize: number): void {
    this.addon.setData(this.handle, bytes, blockSize);
  }

  sendBlocks(first: number, count: number): void {
    this.addon.sendBlocks(this.handle, first, count);
  }

  autopilot(sent: number, total: number, window: number): void {
    this.addon.autopilot(this.handle, sent, total, window);
  }

  takeAcks(): PilotReport {
    return this.addon.takeAcks(this.handle);
  }

  lockStep(): void {
    this.addon.lockStep(this.handle);
  }

  sendBlock(index: number, payload: Uint8Array): void {
    this.addon.sendBlock(this.handle, index, payload);
  }

  send(bytes: Uint8Array, to: TftpClient): void {
    this.addon.send(this.handle, bytes, to.address, to.port);
  }

  // sendto(2) has handed the farewell to the kernel when `send` returns: nothing is pending when the fd closes.
  close(farewell?: Uint8Array): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.handlers = IGNORE;
      if (farewell !== undefined) this.send(farewell, this.peer);
      this.addon.close(this.handle);
    }
    return Promise.resolve();
  }
}

/**
 * Every DATA header there is (RFC 1350 §5: opcode 3, then the u16 block number), 65536 × 4 octets built once and
 * never written again, so a block is sent as two views — its header here and its payload in the file's buffer —
 * with nothing allocated or copied per block. Immutable matters: a send the kernel cannot take at once is queued
 * by libuv with these very buffers.
 */
let headerTable: Uint8Array | undefined;
function headerOf(index: number): Uint8Array {
  if (headerTable === undefined) {
    headerTable = new Uint8Array(BLOCK_NUMBER_MODULUS * 4);
    for (let n = 0; n < BLOCK_NUMBER_MODULUS; n++) {
      headerTable[n * 4 + 1] = Opcode.data;
      headerTable[n * 4 + 2] = n >>> 8;
      headerTable[n * 4 + 3] = n & 0xff;
    }
  }
  // The wire number is the index modulo 65536 (protocol/tftp/blocks.ts blockNumber; protocol-digest §4.3).
  const at = (index % BLOCK_NUMBER_MODULUS) * 4;
  return headerTable.subarray(at, at + 4);
}

async function openDgramTransferSocket(host: string, peer: TftpClient): Promise<TransferSocket> {
  const family: SocketType = isIPv6(host) ? 'udp6' : 'udp4';
  const socket = await bindDgramSocket(family, host, 0);
  return new DgramTransferSocket(socket, peer);
}

class DgramTransferSocket implements TransferSocket {
  readonly local: TftpClient;
  private handlers = IGNORE;
  private data: { readonly bytes: Uint8Array; readonly blockSize: number } | undefined;
  /** The autopilot, as in native/transfer_socket.c: on while `pilot` is set. */
  private pilot: { sent: number; readonly total: number; readonly window: number } | undefined;
  private pilotPending = 0;
  private pilotLastAt = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly peer: TftpClient,
  ) {
    const bound = socket.address();
    this.local = { address: bound.address, port: bound.port };
    socket.on('message', (message, remote) => {
      // The same split as the native socket's (native/transfer_socket.c on_readable).
      if (
        message.length >= 4 &&
        message[0] === 0 &&
        message[1] === Opcode.ack &&
        remote.port === peer.port &&
        remote.address === peer.address
      ) {
        const block = message.readUInt16BE(2);
        const pilot = this.pilot;
        if (pilot !== undefined && block === blockNumber(pilot.sent) && pilot.sent < pilot.total) {
          const first = pilot.sent + 1;
          const count = Math.min(pilot.window, pilot.total - pilot.sent);
          this.sendBlocks(first, count);
          pilot.sent = first + count - 1;
          this.pilotPending += 1;
          this.pilotLastAt = performance.now();
          if (this.pilotPending >= AUTOPILOT_REPORT_EVERY) this.report();
          return;
        }
        this.handOver();
        this.handlers.ack(block);
        return;
      }
      this.handOver();
      this.handlers.datagram(message, { address: remote.address, port: remote.port });
    });
    socket.on('error', (error) => {
      this.handOver();
      this.handlers.error(error);
    });
  }

  listen(handlers: TransferSocketHandlers): void {
    this.handlers = handlers;
  }

  setData(bytes: Uint8Array, blockSize: number): void {
    this.data = { bytes, blockSize };
  }

  sendBlocks(first: number, count: number): void {
    const data = this.data;
    if (data === undefined) throw new Error('sendBlocks needs setData first');
    const { bytes, blockSize } = data;
    for (let index = first; index < first + count; index++) {
      const offset = blockOffset(index, blockSize);
      this.sendBlock(index, bytes.subarray(offset, offset + blockLength(index, bytes.length, blockSize)));
    }
  }

  autopilot(sent: number, total: number, window: number): void {
    this.pilot = undefined;
    if (window === 0) return;
    const data = this.data;
    if (data === undefined) throw new Error('autopilot needs setData first');
    if (sent > total || blockOffset(total, data.blockSize) > data.bytes.length) {
      throw new RangeError("the transfer's blocks lie past the end of the data");
    }
    this.pilot = { sent, total, window };
  }

  takeAcks(): PilotReport {
    const count = this.pilotPending;
    this.pilotPending = 0;
    return { count, ageMs: count === 0 ? 0 : performance.now() - this.pilotLastAt };
  }

  lockStep(): void {
    // Node's dgram sockets are not busy-polled: a lock-step transfer is served as any other.
  }

  private report(): void {
    const { count, ageMs } = this.takeAcks();
    if (count > 0) this.handlers.acks(count, ageMs);
  }

  private handOver(): void {
    this.pilot = undefined;
    this.report();
  }

  // RFC 1350 §5: DATA = opcode 3 | block | payload. No send callback: a callback per datagram costs a deferred
  // call per block.
  sendBlock(index: number, payload: Uint8Array): void {
    this.socket.send([headerOf(index), payload], this.peer.port, this.peer.address);
  }

  send(bytes: Uint8Array, to: TftpClient): void {
    this.socket.send(bytes, to.port, to.address);
  }

  // dgram resolves the destination before it sends, even for an address literal, and a close in between drops
  // the datagram: close only once the farewell has left.
  close(farewell?: Uint8Array): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.handlers = IGNORE;
      this.socket.removeAllListeners('message');
      const close = (): void => {
        closeDgramSocket(this.socket).then(resolve, resolve);
      };
      if (farewell === undefined) {
        close();
        return;
      }
      try {
        this.socket.send(farewell, this.peer.port, this.peer.address, close);
      } catch {
        close();
      }
    });
    return this.closing;
  }
}

/** A dgram socket bound exclusively to address:port, its literal destinations never looked up (udp-literal-lookup). */
export function bindDgramSocket(type: SocketType, address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type, reuseAddr: false, lookup: literalLookup(type) });
    const onError = (error: Error): void => {
      void closeDgramSocket(socket);
      reject(error);
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** Closes a dgram socket; resolves once closed, or at once when it already was. */
export function closeDgramSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => {
        resolve();
      });
    } catch {
      resolve();
    }
  });
}
