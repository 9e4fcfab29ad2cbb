import {
  blockNumber,
  blockOffset,
  decodeTftpPacket,
  encodeBoundedError,
  encodeTftpPacket,
  packetKindOf,
  TftpErrorCode,
  type TftpOption,
} from '../protocol/tftp/index.js';
import type { Clock } from './clock.js';
import type { BlockSource } from './tftp-block-source.js';
import type { TftpClient } from './tftp-file.js';
import { escapeControl } from './log-limiter.js';
import type { TransferCapture } from './tftp-capture.js';
import type { TftpPacketLog } from './tftp-log.js';
import type { TftpMetrics } from './tftp-metrics.js';
import type { TftpAbortReason, TransferResult } from './tftp-record.js';
import type { PilotReport, TransferSocket } from './tftp-transfer-socket.js';
import {
  type WindowAction,
  type WindowCounters,
  type WindowEvent,
  TransferWindow,
  type WindowPlan,
} from './tftp-window.js';

export interface TransferSetup {
  /** Bound to an ephemeral port: the server's TID for this transfer (RFC 1350 §4). The transfer closes it. */
  readonly socket: TransferSocket;
  readonly client: TftpClient;
  /** Octets of the RRQ: no ERROR we send to a client not yet confirmed is larger (catalogue T21). */
  readonly requestLength: number;
  /** The OACK's options; empty: the transfer starts with DATA 1. */
  readonly oack: readonly TftpOption[];
  readonly blocks: BlockSource;
  readonly plan: WindowPlan;
  readonly clock: Clock;
  readonly metrics: TftpMetrics;
  readonly log: TftpPacketLog;
  /** What the transfer shows of itself in the machine's boot capture (tftp-capture.ts); none when not captured. */
  readonly capture?: TransferCapture;
}

export interface TransferEnd {
  readonly result: TransferResult;
  readonly counters: WindowCounters;
  /** Octets the client acknowledged. */
  readonly bytes: number;
}

const SHUTDOWN_MESSAGE = 'Server shutting down';

/** DATA octets counted locally before they are added to `fleetboot_tftp_bytes_total` (and at the end). */
const BYTES_FLUSH = 1024 * 1024;

/**
 * The socket side of one read transfer: datagrams and timer expiries become `TransferWindow` events, its actions
 * become datagrams and one retransmission timer. Resolves once the transfer ended and its socket is closed.
 */
export class Transfer {
  private readonly window: TransferWindow;
  private readonly oackBytes: Uint8Array | undefined;
  private cancelTimer: (() => void) | undefined;
  /** Reads for a streamed or netascii file, in the order the window asked for them. */
  private queue: Promise<void> = Promise.resolve();
  private ending: TransferResult | undefined;
  private resolveDone: ((end: TransferEnd) => void) | undefined;
  /**
   * The retransmission timer is re-armed lazily: an ACK that makes progress only moves `deadline`, and the one
   * clock timer, when it fires early, sleeps again for what is left. A timer cancelled and created per ACK cost
   * more than the rest of the ACK's handling (profiled under the bench kit's load, bench/README.md).
   */
  private deadline = 0;
  /** When the pending clock timer fires (monotonic ms); meaningful while `cancelTimer` is set. */
  private timerDue = 0;
  private readonly onTimer = (): void => {
    // Progress the autopilot made since it last reported moves the deadline first. Replayed while this timer still
    // counts as pending: an `arm` it causes then keeps this one (due no later) instead of starting a second timer.
    this.replay(this.setup.socket.takeAcks());
    this.cancelTimer = undefined;
    if (this.ending !== undefined) return;
    const now = this.setup.clock.monotonic();
    if (now < this.deadline) {
      this.startTimer(now, this.deadline - now);
      return;
    }
    this.apply({ kind: 'timeout', at: now });
  };
  /** DATA octets sent and not yet added to the bytes counter. */
  private unflushedBytes = 0;
  /** The window the socket's autopilot already sent for the ACK being replayed (`replay`). */
  private sentByPilot: { readonly first: number; readonly count: number } | undefined;
  private replaying = false;

  constructor(private readonly setup: TransferSetup) {
    this.window = new TransferWindow(setup.plan);
    this.oackBytes =
      setup.oack.length > 0 ? encodeTftpPacket({ kind: 'oack', options: setup.oack }) : undefined;
  }

  /** Starts sending; resolves when the transfer has ended, whatever the reason. Call once. */
  run(): Promise<TransferEnd> {
    const done = new Promise<TransferEnd>((resolve) => {
      this.resolveDone = resolve;
    });
    const { socket, blocks, plan } = this.setup;
    if (blocks.memory !== undefined) socket.setData(blocks.memory, blocks.blockSize);
    if (plan.windowSize === 1) socket.lockStep();
    socket.listen({
      ack: (block) => {
        this.receiveAck(block);
      },
      acks: (count, ageMs) => {
        this.replay({ count, ageMs });
      },
      datagram: (message, remote) => {
        this.receive(message, remote);
        // The socket switched its autopilot off to deliver this; a stranger's packet must not keep it off.
        this.placeAutopilot();
      },
      error: () => {
        this.abort('socket-error');
      },
    });
    this.apply({ kind: 'start', at: this.setup.clock.monotonic() });
    return done;
  }

  /** Whether the client has acknowledged anything (ACK 0 of the OACK, or a block). */
  get confirmed(): boolean {
    return this.window.confirmed;
  }

  /** Ends the transfer from our side: ERROR 0 to the client (RFC 1350 §7 "Not defined"), then close. */
  abort(reason: TftpAbortReason): void {
    if (this.ending !== undefined) return;
    this.replay(this.setup.socket.takeAcks());
    const message = reason === 'stopping' ? SHUTDOWN_MESSAGE : 'Server error';
    this.setup.metrics.errors.inc({ code: String(TftpErrorCode.notDefined), direction: 'sent' });
    const farewell =
      reason === 'socket-error' ? undefined : encodeBoundedError(0, message, this.setup.requestLength);
    this.finish({ kind: 'aborted', reason }, farewell);
  }

  /**
   * An ACK from the client's TID (the socket's fast path): `block` is the u16 from the wire; `at` when it arrived
   * (monotonic ms), now unless the autopilot reports it later.
   */
  private receiveAck(block: number, at = this.setup.clock.monotonic()): void {
    if (this.ending !== undefined) return;
    // Captured before it is handled, so that it precedes the window it releases.
    const capture = this.setup.capture;
    if (capture !== undefined) {
      const advancesTo = this.window.newlyAcknowledged(block);
      capture.receivedAck(block, advancesTo ?? this.window.acknowledged, advancesTo === undefined, at);
    }
    this.apply({ kind: 'ack', block, at });
  }

  /**
   * `count` ACKs of a whole window that the socket's autopilot carried out, each answered by the next window it
   * sent: handed to the window in order, as they came, so that its state, the counters and the capture see them.
   * The windows they release were sent already (`sentByPilot`); the window's answer must be exactly that. It never
   * ends the transfer: the final ACK is never the autopilot's (nextOnFullAck has nothing after the last block).
   */
  private replay({ count, ageMs }: PilotReport): void {
    if (count === 0) return;
    // All at the time the last one arrived: the retransmission timer and the stall limit count from the client's
    // last ACK, not from this report, which can come a timeout period later.
    const at = this.setup.clock.monotonic() - ageMs;
    this.replaying = true;
    try {
      for (let i = 0; i < count && this.ending === undefined; i++) {
        const next = this.window.nextOnFullAck();
        if (next === undefined) {
          this.setup.log.debug(
            { client: this.setup.client, left: count - i },
            'TFTP autopilot reported more ACKs than windows',
          );
          break;
        }
        this.sentByPilot = { first: next.first, count: next.count };
        this.receiveAck(blockNumber(next.ack), at);
      }
    } finally {
      this.sentByPilot = undefined;
      this.replaying = false;
    }
    this.placeAutopilot();
  }

  /**
   * Switches the socket's autopilot on for what comes next, once the client has acknowledged a block (the first
   * ACK of every transfer goes through the window itself: the capture keeps it with its own time). Only for a file
   * in memory, which the socket sends from.
   */
  private placeAutopilot(): void {
    const { blocks, plan } = this.setup;
    // After a timeout the first ACK goes through the window again: it re-arms the timer at the base wait, where the
    // backed-off one would otherwise stand while the autopilot carries on.
    if (blocks.memory === undefined || this.ending !== undefined || this.window.acknowledged < 1) return;
    const next = this.window.retrying ? undefined : this.window.nextOnFullAck();
    if (next === undefined) this.setup.socket.autopilot(0, plan.totalBlocks, 0);
    else this.setup.socket.autopilot(next.ack, plan.totalBlocks, plan.windowSize);
  }

  /** Every other datagram: a stranger's, an ERROR, a short ACK, anything unexpected. */
  private receive(message: Buffer, remote: TftpClient): void {
    if (this.ending !== undefined) return;
    const { client, metrics } = this.setup;
    // UDP port 0 is no port (RFC 768 makes the source port optional; nothing can be sent to 0): no answer.
    if (remote.port === 0) {
      metrics.ignored.inc({ reason: 'source-port-zero' });
      return;
    }
    const kind = packetKindOf(message);
    if (remote.address !== client.address || remote.port !== client.port) {
      // RFC 1350 §4: a packet from another TID gets ERROR 5 "Unknown transfer ID" and the transfer goes on
      // (catalogue T14). Never an ERROR for an ERROR: two servers could answer each other forever.
      if (kind === 'error') {
        metrics.ignored.inc({ reason: 'wrong-tid-error' });
        return;
      }
      metrics.ignored.inc({ reason: 'wrong-tid' });
      this.sendError(TftpErrorCode.unknownTransferId, 'Unknown transfer ID', message.length, remote);
      return;
    }
    const at = this.setup.clock.monotonic();
    switch (kind) {
      case 'ack':
        // The socket hands ACKs of 4 octets or more over as `receiveAck`; this one is too short for a block.
        if (message.length < 4) metrics.ignored.inc({ reason: 'short-ack' });
        else this.receiveAck(message.readUInt16BE(2));
        return;
      case 'error':
        this.receiveError(message, at);
        // After it is handled: the end it causes adds the transfer's last DATA and ACK, which came before it.
        this.setup.capture?.receivedError(message);
        return;
      case 'rrq':
      case 'wrq':
      case 'data':
      case 'oack':
      case undefined:
        metrics.ignored.inc({ reason: `unexpected-${kind ?? 'opcode'}` });
        return;
    }
  }

  // RFC 1350 §7: an ERROR from the client ends the transfer. Catalogue T17: a 3-byte ERROR has no code, and the
  // message is the peer's text, cut by the codec and escaped here before it reaches a log or a record.
  private receiveError(message: Buffer, at: number): void {
    const code = message.length >= 4 ? message.readUInt16BE(2) : undefined;
    let text = '';
    if (code !== undefined) {
      const packet = decodeTftpPacket(message);
      if (packet.kind === 'error') text = packet.message;
    }
    this.peerMessage = escapeControl(text, 128);
    this.setup.metrics.errors.inc({
      code: code === undefined ? 'none' : String(code),
      direction: 'received',
    });
    this.apply({ kind: 'error', code, at });
  }

  private peerMessage = '';

  private apply(event: WindowEvent): void {
    const window = this.window;
    const duplicatesBefore = window.duplicateAckCount;
    const acknowledgedBefore = window.acknowledged;
    const actions = window.handle(event);
    const duplicates = window.duplicateAckCount - duplicatesBefore;
    if (duplicates > 0) this.setup.metrics.duplicateAcks.inc(duplicates);
    const acknowledged = window.acknowledged;
    if (acknowledged > acknowledgedBefore && this.setup.blocks.memory === undefined) {
      this.enqueue(() => {
        this.setup.blocks.acknowledge(acknowledged);
      });
    }
    for (const action of actions) this.execute(action, event.at);
    if (!this.replaying) this.placeAutopilot();
  }

  private execute(action: WindowAction, at: number): void {
    switch (action.kind) {
      case 'send-oack':
        if (this.oackBytes !== undefined) {
          this.send(this.oackBytes);
          this.setup.capture?.sentOack(this.oackBytes, at);
        }
        if (action.retransmit) this.setup.metrics.retransmits.inc();
        return;
      case 'send':
        if (action.resent > 0) this.setup.metrics.retransmits.inc(action.resent);
        this.sendBlocks(action.first, action.count);
        this.setup.capture?.sentData(action.first, action.count, action.resent, at);
        return;
      case 'arm':
        this.arm(at, action.ms);
        return;
      case 'end':
        switch (action.end.kind) {
          case 'complete':
            this.finish({ kind: 'ok' });
            return;
          case 'probe':
            this.finish({ kind: 'probe' });
            return;
          case 'peer-error':
            this.finish({ kind: 'error', from: 'client', code: action.end.code, message: this.peerMessage });
            return;
          case 'timeout':
            this.finish({ kind: 'timeout' });
            return;
        }
    }
  }

  private sendBlocks(first: number, count: number): void {
    const { blocks, socket } = this.setup;
    if (blocks.memory === undefined) {
      this.enqueue(async () => {
        const data = await blocks.blocks(first, count);
        this.emit(first, data);
      });
      return;
    }
    // The hot path (a file in memory, octet mode): the socket sends the blocks from the file's buffer, unless its
    // autopilot already has (replay).
    const sentByPilot = this.sentByPilot;
    this.sentByPilot = undefined;
    if (sentByPilot?.first !== first || sentByPilot.count !== count) socket.sendBlocks(first, count);
    const end = Math.min(blocks.streamSize, blockOffset(first + count, blocks.blockSize));
    this.countBytes(end - blockOffset(first, blocks.blockSize));
  }

  private emit(first: number, data: readonly Uint8Array[]): void {
    if (this.ending !== undefined) return;
    let octets = 0;
    for (let i = 0; i < data.length; i++) {
      const payload = data[i] ?? new Uint8Array(0);
      octets += payload.length;
      this.setup.socket.sendBlock(first + i, payload);
    }
    this.countBytes(octets);
  }

  private countBytes(octets: number): void {
    this.unflushedBytes += octets;
    if (this.unflushedBytes >= BYTES_FLUSH) this.flushBytes();
  }

  private flushBytes(): void {
    if (this.unflushedBytes === 0) return;
    this.setup.metrics.bytes.inc(this.unflushedBytes);
    this.unflushedBytes = 0;
  }

  private enqueue(operation: () => void | Promise<void>): void {
    this.queue = this.queue
      .then(async () => {
        if (this.ending === undefined) await operation();
      })
      .catch((error: unknown) => {
        this.setup.log.debug({ err: String(error), client: this.setup.client }, 'TFTP read failed');
        this.abort('read-error');
      });
  }

  private send(bytes: Uint8Array, to: TftpClient = this.setup.client): void {
    this.setup.socket.send(bytes, to);
  }

  private sendError(code: number, message: string, triggerLength: number, to?: TftpClient): void {
    const bytes = encodeBoundedError(code, message, triggerLength);
    this.send(bytes, to);
    this.setup.capture?.sentError(bytes, to);
    this.setup.metrics.errors.inc({ code: String(code), direction: 'sent' });
  }

  /** The window's `arm`: a timeout `ms` after `at`, replacing the one before. */
  private arm(at: number, ms: number): void {
    this.deadline = at + ms;
    // A pending timer due no later than the new deadline stays: when it fires it sleeps again for the rest.
    if (this.cancelTimer !== undefined && this.timerDue <= this.deadline) return;
    this.cancelTimer?.();
    this.startTimer(at, ms);
  }

  private startTimer(at: number, ms: number): void {
    this.timerDue = at + ms;
    this.cancelTimer = this.setup.clock.setTimer(this.onTimer, ms);
  }

  /** Ends the transfer; `farewell` (an ERROR) is sent before the socket closes. */
  private finish(result: TransferResult, farewell?: Uint8Array): void {
    if (this.ending !== undefined) return;
    this.ending = result;
    this.setup.capture?.ended(result.kind === 'ok' || result.kind === 'probe');
    if (farewell !== undefined) this.setup.capture?.sentError(farewell);
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.flushBytes();
    const counters = this.window.counters;
    const { blocks, socket } = this.setup;
    const bytes =
      counters.acknowledged >= blocks.totalBlocks
        ? blocks.streamSize
        : Math.min(blocks.streamSize, counters.acknowledged * blocks.blockSize);
    const end: TransferEnd = { result, counters, bytes };
    void socket.close(farewell).then(() => {
      this.resolveDone?.(end);
    });
  }
}
