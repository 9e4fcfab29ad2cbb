import { blockLength, blockNumber, dataHeader, encodeTftpPacket } from '../protocol/tftp/index.js';
import type { TapAddress, TftpTap } from './capture-tap.js';
import type { Clock } from './clock.js';

/**
 * Retransmitted DATA and duplicate ACKs kept per transfer, each. Enough to show where a transfer lost packets and
 * how often it retried; bounded so that a lossy multi-megabyte kernel transfer cannot push the machine's DHCP
 * exchange out of its capture (DEFAULT_CAPTURE_BOUND).
 */
export const MAX_SAMPLED_REPEATS = 16;

export interface TransferCaptureSetup {
  readonly tap: TftpTap;
  readonly clock: Clock;
  readonly client: TapAddress;
  /** The transfer's own socket: the listening address and the ephemeral port (the server's TID). */
  readonly server: TapAddress;
  readonly blockSize: number;
  /** Octets the transfer sends (after netascii conversion). */
  readonly streamSize: number;
  readonly totalBlocks: number;
}

/**
 * What one transfer shows of itself in the machine's boot capture (issue 6 item 5). Control packets whole: the
 * OACK (every send), ERRORs either way. DATA summarised: a 4-octet header (opcode and block number) with the
 * block's real length, and only the blocks that tell the story:
 * - block 1, the transfer starting;
 * - the final block (every send of it), the transfer ending;
 * - retransmitted blocks, up to MAX_SAMPLED_REPEATS: where it lost packets;
 * - on a timeout or an error, the last block sent: where it stopped ("TFTP timeout at block N").
 * ACKs are 4 octets and kept whole, but sampled the same way: the OACK's ACK 0, the first ACK of a block, the ACK
 * of the final block, duplicates up to MAX_SAMPLED_REPEATS, and on a timeout or an error the last one received.
 * Wireshark then shows the transfer's shape and sizes; the gaps in block numbers are the blocks summarised away.
 *
 * Cost on the transfer's hot path: a few comparisons per window sent and per ACK received; a packet is built
 * only when it is kept.
 */
export class TransferCapture {
  private firstDataKept = false;
  private ackZeroKept = false;
  private firstBlockAckKept = false;
  private retransmitsKept = 0;
  private duplicatesKept = 0;
  // The last DATA sent and ACK received (monotonic times), in fields rather than objects: set once per window and
  // per ACK.
  private lastDataIndex = 0;
  private lastDataAt = 0;
  private lastDataKept = true;
  private lastAckBlock = -1;
  private lastAckAt = 0;
  private lastAckKept = true;

  /**
   * Wall-clock minus monotonic ms, read once: converting each instant with a fresh pair of clock readings let
   * two packets of one instant (ACK 0 and the DATA 1 it releases) land a millisecond apart in the wrong order.
   */
  private readonly wallOffset: number;

  constructor(private readonly setup: TransferCaptureSetup) {
    this.wallOffset = setup.clock.now() - setup.clock.monotonic();
  }

  /** An OACK sent (RFC 2347), the first time or again; `at` is monotonic (Clock.monotonic), as below. */
  sentOack(bytes: Uint8Array, at: number): void {
    this.out(bytes, bytes.length, this.wall(at));
  }

  /** A window sent: blocks `first` … `first + count − 1`, of which the first `resent` were sent before. */
  sentData(first: number, count: number, resent: number, monotonic: number): void {
    const last = first + count - 1;
    // Kept in block order: the retransmitted ones (the window's first `resent`), block 1 on its first send (never
    // a retransmission), the final block.
    const repeatsEnd = first + Math.min(resent, MAX_SAMPLED_REPEATS - this.retransmitsKept);
    // The wall clock is read only when something is kept; the last window's time is kept as it came.
    const kept =
      repeatsEnd > first || (first === 1 && !this.firstDataKept) || last === this.setup.totalBlocks;
    const at = kept ? this.wall(monotonic) : 0;
    for (let index = first; index < repeatsEnd; index++) this.data(index, at);
    this.retransmitsKept += repeatsEnd - first;
    let lastKept = last < repeatsEnd;
    if (first === 1 && !this.firstDataKept) {
      this.data(1, at);
      lastKept ||= last === 1;
    }
    this.firstDataKept = true;
    if (last === this.setup.totalBlocks && !lastKept) {
      this.data(last, at);
      lastKept = true;
    }
    this.lastDataIndex = last;
    this.lastDataAt = monotonic;
    this.lastDataKept = lastKept;
  }

  /**
   * An ACK received from the client's TID. `acknowledged` is the highest block index acknowledged once it was
   * taken (0 before any block); `duplicate`: it acknowledged nothing new.
   */
  receivedAck(block: number, acknowledged: number, duplicate: boolean, monotonic: number): void {
    let keep = false;
    if (duplicate) {
      keep = this.duplicatesKept < MAX_SAMPLED_REPEATS;
      if (keep) this.duplicatesKept += 1;
    } else if (acknowledged === 0) {
      keep = !this.ackZeroKept;
      this.ackZeroKept = true;
    } else {
      keep = !this.firstBlockAckKept || acknowledged >= this.setup.totalBlocks;
      this.firstBlockAckKept = true;
    }
    if (keep) this.in(ack(block), this.wall(monotonic));
    this.lastAckBlock = block;
    this.lastAckAt = monotonic;
    this.lastAckKept = keep;
  }

  /** An ERROR from the client ends the transfer (RFC 1350 §7). */
  receivedError(bytes: Uint8Array): void {
    this.in(bytes, this.wall(this.setup.clock.monotonic()));
  }

  /** An ERROR we sent: to the client, or ERROR 5 to a stranger's TID (RFC 1350 §4). */
  sentError(bytes: Uint8Array, to: TapAddress = this.setup.client): void {
    this.out(bytes, bytes.length, this.wall(this.setup.clock.monotonic()), to);
  }

  /** The transfer ended: unless it completed, the last DATA sent and the last ACK received show where. */
  ended(complete: boolean): void {
    if (complete) return;
    const data = !this.lastDataKept;
    const acknowledgement = !this.lastAckKept;
    // In the order they happened; an ACK releases the window after it, so at the same instant it came first.
    const ackFirst = acknowledgement && (!data || this.lastAckAt <= this.lastDataAt);
    if (ackFirst) this.in(ack(this.lastAckBlock), this.wall(this.lastAckAt));
    if (data) this.data(this.lastDataIndex, this.wall(this.lastDataAt));
    if (acknowledgement && !ackFirst) this.in(ack(this.lastAckBlock), this.wall(this.lastAckAt));
  }

  /** Wall-clock ms of a monotonic instant: the transfer's times are monotonic, a capture's are wall-clock. */
  private wall(monotonic: number): number {
    return Math.round(this.wallOffset + monotonic);
  }

  private data(index: number, at: number): void {
    const { blockSize, streamSize } = this.setup;
    // RFC 1350 §5: opcode 3 | block | payload; the header is kept, the payload counted.
    this.out(dataHeader(blockNumber(index)), 4 + blockLength(index, streamSize, blockSize), at);
  }

  private in(payload: Uint8Array, at: number): void {
    const { tap, client, server } = this.setup;
    tap({ at, direction: 'in', source: client, destination: server, payload, payloadLength: payload.length });
  }

  private out(
    payload: Uint8Array,
    payloadLength: number,
    at: number,
    to: TapAddress = this.setup.client,
  ): void {
    this.setup.tap({
      at,
      direction: 'out',
      source: this.setup.server,
      destination: to,
      payload,
      payloadLength,
    });
  }
}

function ack(block: number): Uint8Array {
  return encodeTftpPacket({ kind: 'ack', block });
}
