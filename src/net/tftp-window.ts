import { ackedIndex } from '../protocol/tftp/index.js';

/**
 * The sending side of one TFTP read transfer as a pure state machine: events in (start, ACK, timeout, the peer's
 * ERROR), actions out (send the OACK, send blocks, arm the retransmission timer, end). No sockets, no timers, no
 * file: the glue in tftp-transfer.ts turns actions into datagrams and clock timers, so every rule below is tested
 * with a fake clock at the speed of function calls.
 *
 * Blocks are counted by *index* (1, 2, 3 … without limit; index 0 is the OACK); the u16 on the wire is the index
 * modulo 65536 (protocol/tftp/blocks.ts), so the machine never sees a rollover.
 */
export interface WindowPlan {
  /** DATA blocks in the transfer, the final short (possibly empty) one included: `blockCount(size, blockSize)`. */
  readonly totalBlocks: number;
  /** Blocks sent per window: 1 is RFC 1350 lock-step; more is RFC 7440. */
  readonly windowSize: number;
  /** The transfer opens with an OACK that the client confirms with ACK 0 (RFC 2347). */
  readonly oack: boolean;
  /** Wait before the first retransmission, in ms: the RFC 2349 timeout when negotiated, else the server's own. */
  readonly timeoutMs: number;
  /** The backoff doubles the wait per retransmission up to this. */
  readonly maxTimeoutMs: number;
  /** Retransmissions of the same unit (OACK or window) before the transfer is abandoned. */
  readonly retries: number;
  /** Longest time without progress before the transfer is abandoned, whatever `retries` still allows. */
  readonly stallLimitMs: number;
}

/** `at` is monotonic ms (Clock.monotonic). */
export type WindowEvent =
  | { readonly kind: 'start'; readonly at: number }
  /** `block` is the u16 from the wire. */
  | { readonly kind: 'ack'; readonly block: number; readonly at: number }
  | { readonly kind: 'timeout'; readonly at: number }
  /** `code` is undefined for an ERROR too short to carry one (catalogue T17, CVE-2019-11365). */
  | { readonly kind: 'error'; readonly code: number | undefined; readonly at: number };

export type WindowEnd =
  /** The client acknowledged the final block. */
  | { readonly kind: 'complete' }
  /** ERROR 8 in answer to the OACK: EDK2's tsize probe, a normal end (protocol-digest §4.4). */
  | { readonly kind: 'probe' }
  | { readonly kind: 'peer-error'; readonly code: number | undefined }
  | { readonly kind: 'timeout' };

export type WindowAction =
  | { readonly kind: 'send-oack'; readonly retransmit: boolean }
  /** Send blocks `first` … `first + count - 1`; `resent` of them were sent before. */
  | { readonly kind: 'send'; readonly first: number; readonly count: number; readonly resent: number }
  /** (Re)arm the one retransmission timer; a later `arm` replaces it. */
  | { readonly kind: 'arm'; readonly ms: number }
  | { readonly kind: 'end'; readonly end: WindowEnd };

export interface WindowCounters {
  /** Highest block index the client acknowledged (0: none). */
  readonly acknowledged: number;
  /** OACKs and DATA blocks sent again. */
  readonly retransmits: number;
  /** ACKs that acknowledged nothing new: duplicates, stale or for blocks not yet sent (T15, T16). */
  readonly duplicateAcks: number;
}

export class TransferWindow {
  /** Highest index acknowledged; -1 while an OACK awaits its ACK 0. */
  private acked = 0;
  /** Highest index sent; 0 when only the OACK has been sent. */
  private sent = 0;
  private tries = 0;
  private lastProgressAt = 0;
  private started = false;
  private ended = false;
  private retransmits = 0;
  private duplicateAcks = 0;

  constructor(private readonly plan: WindowPlan) {
    checkPlan(plan);
  }

  get counters(): WindowCounters {
    return {
      acknowledged: Math.max(0, this.acked),
      retransmits: this.retransmits,
      duplicateAcks: this.duplicateAcks,
    };
  }

  /** `counters.acknowledged` without building the object (read twice per event by the transfer). */
  get acknowledged(): number {
    return Math.max(0, this.acked);
  }

  /** `counters.duplicateAcks`, likewise. */
  get duplicateAckCount(): number {
    return this.duplicateAcks;
  }

  /** A retransmission is outstanding: the last timeout resent, and nothing has progressed since. */
  get retrying(): boolean {
    return this.tries > 0;
  }

  get finished(): boolean {
    return this.ended;
  }

  /** Whether the client has acknowledged anything yet (ACK 0 of an OACK, or a DATA block). */
  get confirmed(): boolean {
    return this.started && (this.plan.oack ? this.acked >= 0 : this.acked >= 1);
  }

  handle(event: WindowEvent): readonly WindowAction[] {
    if (this.ended) return [];
    switch (event.kind) {
      case 'start':
        return this.start(event.at);
      case 'ack':
        return this.started ? this.ack(event.block, event.at) : [];
      case 'timeout':
        return this.started ? this.timeout(event.at) : [];
      case 'error':
        return this.started ? this.peerError(event.code) : [];
    }
  }

  // RFC 2347: with options the server's first packet is the OACK, confirmed by ACK 0; without, it is DATA 1
  // (RFC 1350 §2). Catalogue T21: nothing more leaves before the client's first ACK, whatever the windowsize, so
  // a spoofed request costs one packet plus its retransmissions.
  private start(at: number): readonly WindowAction[] {
    if (this.started) return [];
    this.started = true;
    this.lastProgressAt = at;
    if (this.plan.oack) {
      this.acked = -1;
      this.sent = 0;
      return [{ kind: 'send-oack', retransmit: false }, this.arm(0, at)];
    }
    this.sent = 1;
    return [{ kind: 'send', first: 1, count: 1, resent: 0 }, this.arm(0, at)];
  }

  /**
   * What `handle` would answer to an ACK of everything sent so far: that ACK's block index and the window it
   * releases (sent fresh: nothing in it was sent before). Undefined when that ACK would end the transfer, or the
   * transfer has ended. Changes nothing. The socket's autopilot applies this very rule on its own
   * (tftp-transfer-socket.ts `autopilot`), and the transfer replays the ACKs it carried out through `handle`.
   */
  nextOnFullAck(): { readonly ack: number; readonly first: number; readonly count: number } | undefined {
    if (!this.started || this.ended || this.sent >= this.plan.totalBlocks) return undefined;
    const first = this.sent + 1;
    return {
      ack: this.sent,
      first,
      count: Math.min(this.plan.windowSize, this.plan.totalBlocks - this.sent),
    };
  }

  /**
   * The block index an ACK with this u16 number would acknowledge, or undefined when it acknowledges nothing new
   * (what `handle` counts as a duplicate). Changes nothing: the transfer's capture asks before handing the ACK in.
   */
  newlyAcknowledged(block: number): number | undefined {
    const index = ackedIndex(block, this.sent);
    return index === undefined || index <= this.acked ? undefined : index;
  }

  private ack(block: number, at: number): readonly WindowAction[] {
    const index = this.newlyAcknowledged(block);
    // RFC 1123 §4.2.3.1 (the Sorcerer's Apprentice): "the sender … must never resend the current DATA packet on
    // receipt of a duplicate ACK". An ACK that acknowledges nothing new (duplicate, stale, ACK 0 after DATA began,
    // or a block not yet sent, which maps ~65536 blocks back: catalogue T15, T16) changes nothing, not even the
    // timer; only the timeout retransmits.
    if (index === undefined) {
      this.duplicateAcks += 1;
      return [];
    }
    this.acked = index;
    this.tries = 0;
    this.lastProgressAt = at;
    if (index >= this.plan.totalBlocks) {
      this.ended = true;
      return [{ kind: 'end', end: { kind: 'complete' } }];
    }
    // RFC 7440 §4: the receiver acknowledges the last block of a window, or the last block it received in order
    // when a block went missing; either way the next window starts right after the acknowledged block, so the
    // blocks of the old window after a gap are sent again.
    const first = index + 1;
    const count = Math.min(this.plan.windowSize, this.plan.totalBlocks - index);
    const last = first + count - 1;
    const resent = Math.max(0, Math.min(this.sent, last) - first + 1);
    this.retransmits += resent;
    this.sent = Math.max(this.sent, last);
    return [{ kind: 'send', first, count, resent }, this.arm(0, at)];
  }

  // RFC 1350 §2 and RFC 7440 §4: on timeout the sender retransmits what is outstanding, the whole window from the
  // first unacknowledged block. RFC 1123 §4.2.3.2: back off exponentially. The retries and the stall limit bound
  // both the packets and the time a silent peer costs (catalogue T19, T21).
  private timeout(at: number): readonly WindowAction[] {
    if (this.tries >= this.plan.retries || at - this.lastProgressAt >= this.plan.stallLimitMs) {
      this.ended = true;
      return [{ kind: 'end', end: { kind: 'timeout' } }];
    }
    this.tries += 1;
    if (this.acked < 0) {
      this.retransmits += 1;
      return [{ kind: 'send-oack', retransmit: true }, this.arm(this.tries, at)];
    }
    const first = this.acked + 1;
    const count = this.sent - this.acked;
    this.retransmits += count;
    return [{ kind: 'send', first, count, resent: count }, this.arm(this.tries, at)];
  }

  // RFC 1350 §7: an ERROR ends the transfer and is not acknowledged. RFC 2347: a client that does not accept the
  // OACK answers it with ERROR 8, which EDK2 does on purpose after learning tsize (protocol-digest §4.4).
  private peerError(code: number | undefined): readonly WindowAction[] {
    this.ended = true;
    const probe = code === 8 && this.plan.oack && this.acked < 0;
    return [{ kind: 'end', end: probe ? { kind: 'probe' } : { kind: 'peer-error', code } }];
  }

  // The last wait is cut to what the stall limit leaves, so a silent client is given up on at the limit.
  private arm(retransmissions: number, at: number): WindowAction {
    const left = this.plan.stallLimitMs - (at - this.lastProgressAt);
    const wait = backoffMs(this.plan.timeoutMs, this.plan.maxTimeoutMs, retransmissions);
    return { kind: 'arm', ms: Math.max(1, Math.min(wait, left)) };
  }
}

/** The wait after the `retransmissions`-th retransmission: the base, doubled each time, capped. */
export function backoffMs(baseMs: number, maxMs: number, retransmissions: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(retransmissions, 30));
}

function checkPlan(plan: WindowPlan): void {
  const positive = (what: string, value: number, min: number): void => {
    if (!Number.isFinite(value) || value < min) throw new RangeError(`${what} ${value} is below ${min}`);
  };
  positive('totalBlocks', plan.totalBlocks, 1);
  positive('windowSize', plan.windowSize, 1);
  positive('timeoutMs', plan.timeoutMs, 1);
  positive('maxTimeoutMs', plan.maxTimeoutMs, plan.timeoutMs);
  positive('retries', plan.retries, 0);
  positive('stallLimitMs', plan.stallLimitMs, 1);
  if (!Number.isSafeInteger(plan.totalBlocks) || !Number.isInteger(plan.windowSize)) {
    throw new RangeError('totalBlocks and windowSize must be integers');
  }
}
