import { Counter } from 'prom-client';
import {
  type CaptureBound,
  type CaptureProtocol,
  DEFAULT_CAPTURE_BOUND,
  type NewCapturedPacket,
} from '../inventory/capture.js';
import type { Clock } from '../net/clock.js';
import type { DhcpTap, TappedDatagram, TftpTap } from '../net/capture-tap.js';
import type { Service } from '../net/supervisor.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { CaptureStore } from '../store/types.js';
import { type Ipv4, IPV4_ANY, peerIpv4 } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';

/** Who fleetboot says is at a TFTP client's address (provision/boot-clients.ts), and our address as it knows us. */
export type IdentifyClient = (
  address: Ipv4,
) => Promise<{ readonly mac: Mac; readonly serverAddress?: Ipv4 } | undefined>;

export interface CaptureRecorderOptions {
  readonly store: CaptureStore;
  readonly identify: IdentifyClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly bound?: CaptureBound;
  /** Datagrams waiting beyond this are dropped and counted: a capture never holds memory without bound. */
  readonly maxQueued?: number;
  /** How long a DHCP packet of a MAC not yet enrolled waits before it is tried again; default 1 s. */
  readonly retryDelayMs?: number;
  /** How often it is tried again before it is dropped as `unattributed`; default 3. */
  readonly retries?: number;
  /** How long packets gather before they are written, in one batch; default 200 ms. */
  readonly batchDelayMs?: number;
}

/** Why a datagram did not make it into a capture: the `reason` of fleetboot_capture_dropped_total. */
export type CaptureDropReason = 'queue-full' | 'unattributed' | 'store-error' | 'stopping';

const DEFAULT_MAX_QUEUED = 10_000;
/**
 * Nobody waits for a capture, so packets gather a moment before a write: a rack's boot storm is written in a few
 * large transactions rather than one per turn of the event loop, and by then the DHCP engine has mostly enrolled
 * the machines of first DISCOVERs (their contacts are written on the next turn), so few packets need a retry.
 */
const DEFAULT_BATCH_DELAY_MS = 200;
/** Packets per store append at most: bounds one transaction, and what one failed write loses. */
const MAX_BATCH = 500;
/**
 * Octets of a payload kept at most (like tcpdump's -s): every DHCP message a PXE client or fleetboot sends fits
 * (576 by default, at most an Ethernet MTU in practice), and a stray 16 KiB datagram cannot eat a machine's bound.
 */
export const MAX_KEPT_PAYLOAD = 2048;

interface Item {
  readonly protocol: CaptureProtocol;
  /** Its payload already cut to MAX_KEPT_PAYLOAD octets, in a buffer of its own (`keptOf`). */
  readonly datagram: TappedDatagram;
  /** DHCP: the client's MAC; TFTP: found from the client's address when written. */
  readonly mac: Mac | undefined;
  /** Appends that found no machine for its MAC so far. */
  readonly tries: number;
}

/**
 * Keeps each machine's boot signalling (issue 6 item 5) from the transports' taps, behind the traffic: a tap only
 * queues, and a drain started `batchDelayMs` after the first packet of a batch writes what queued up, one store
 * transaction per 500 packets (CaptureStore.append; on SQLite the writer thread takes it), as the DHCP events are
 * written (dhcp/events.ts). Captures are not the truth: when the queue is full or the
 * store fails, packets are dropped and counted (fleetboot_capture_dropped_total), never retried from memory.
 *
 * Attribution. A DHCP packet joins the capture of the machine with its client's MAC. A first DISCOVER is queued
 * before the DHCP engine has enrolled its machine (that contact is written behind the reply too, on another
 * queue), so a packet whose MAC is no machine's yet is tried again after `retryDelayMs`, a few times. A TFTP packet
 * joins the capture of the machine fleetboot places at the client's address (its lease, or proxyDHCP's boot
 * address book): the same answer the TFTP boot configs and the timeline get; a client it cannot place is not
 * captured (counted `unattributed`). A TFTP server listening on 0.0.0.0 does not know which of its addresses the
 * client used: the capture shows the address fleetboot gave the client over DHCP.
 */
export class CaptureRecorder implements Service {
  readonly name = 'capture';
  private queue: Item[] = [];
  private waiting: Item[] = [];
  private draining: Promise<void> | undefined;
  private cancelBatchTimer: (() => void) | undefined;
  private cancelRetry: (() => void) | undefined;
  private stopping = false;
  /** Set by stop: a packet whose machine is still unknown gets no further try. */
  private lastPass = false;
  private failing = false;
  private readonly bound: CaptureBound;
  private readonly maxQueued: number;
  private readonly written: Counter;
  private readonly dropped: Counter<'reason'>;

  constructor(private readonly options: CaptureRecorderOptions) {
    this.bound = options.bound ?? DEFAULT_CAPTURE_BOUND;
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    const registers = [options.metrics];
    this.written = new Counter({
      name: 'fleetboot_capture_packets_total',
      help: 'DHCP and TFTP packets written to machines\u2019 boot captures.',
      registers,
    });
    this.dropped = new Counter({
      name: 'fleetboot_capture_dropped_total',
      help: 'Packets left out of boot captures, by reason (queue-full, unattributed, store-error, stopping).',
      labelNames: ['reason'],
      registers,
    });
  }

  /** The DHCP transport's tap (DhcpIntakeOptions.capture). */
  readonly dhcp: DhcpTap = (datagram) => {
    this.enqueue({ protocol: 'dhcp', datagram: keptOf(datagram), mac: datagram.mac, tries: 0 });
  };

  /** The TFTP server's tap (TftpServerOptions.capture). */
  readonly tftp: TftpTap = (datagram) => {
    this.enqueue({ protocol: 'tftp', datagram: keptOf(datagram), mac: undefined, tries: 0 });
  };

  start(): Promise<void> {
    this.stopping = false;
    this.lastPass = false;
    return Promise.resolve();
  }

  /**
   * Writes what is queued, and gives the packets waiting for their machine one last try. Stopped after the
   * listeners (main.ts adds it before them), so their last packets are in.
   */
  async stop(): Promise<void> {
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    this.lastPass = true;
    this.requeueWaiting();
    await this.flush();
    this.stopping = true;
  }

  /**
   * Writes what is queued now, without waiting for the batch delay; resolves when it is written or dropped
   * (packets waiting for a retry stay waiting).
   */
  async flush(): Promise<void> {
    this.cancelBatchTimer?.();
    this.cancelBatchTimer = undefined;
    if (this.queue.length > 0) this.startDrain();
    while (this.draining !== undefined) await this.draining;
  }

  private enqueue(item: Item): void {
    if (this.stopping) {
      this.drop('stopping', 1);
      return;
    }
    if (this.queue.length >= this.maxQueued) {
      this.drop('queue-full', 1);
      return;
    }
    this.queue.push(item);
    // A drain under way takes it too; otherwise the next batch starts after the delay.
    if (this.draining !== undefined || this.cancelBatchTimer !== undefined) return;
    this.cancelBatchTimer = this.options.clock.setTimer(() => {
      this.cancelBatchTimer = undefined;
      this.startDrain();
    }, this.options.batchDelayMs ?? DEFAULT_BATCH_DELAY_MS);
  }

  private startDrain(): void {
    this.draining ??= this.drain()
      .catch((error: unknown) => {
        // write() handles the store's failures; anything else is a bug, never a reason to stop the server.
        this.options.logger.error({ err: error }, 'the boot capture writer failed');
      })
      .finally(() => {
        this.draining = undefined;
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      await this.write(this.queue.splice(0, MAX_BATCH));
      // better-sqlite3 without the writer thread commits synchronously: let datagrams in between batches.
      await nextTurn();
    }
  }

  private async write(batch: readonly Item[]): Promise<void> {
    const placed = await this.place(batch);
    if (placed.length === 0) return;
    let unowned: readonly number[];
    try {
      unowned = await this.options.store.append(
        placed.map((p) => p.packet),
        this.bound,
      );
      this.failing = false;
    } catch (error) {
      this.drop('store-error', placed.length);
      // One line per outage, not one per batch.
      if (!this.failing) this.options.logger.warn({ err: error }, 'could not write boot captures');
      this.failing = true;
      return;
    }
    this.written.inc(placed.length - unowned.length);
    for (const index of unowned) {
      const item = placed[index]?.item;
      if (item === undefined) continue;
      const retry = item.protocol === 'dhcp' && item.tries < (this.options.retries ?? 3) && !this.lastPass;
      if (retry) this.retryLater(item);
      else this.drop('unattributed', 1);
    }
  }

  /** Each item as the packet to append, with its MAC; TFTP clients are placed once per address and batch. */
  private async place(batch: readonly Item[]): Promise<{ item: Item; packet: NewCapturedPacket }[]> {
    const placements = new Map<string, Promise<Placement | undefined>>();
    const placed: { item: Item; packet: NewCapturedPacket }[] = [];
    for (const item of batch) {
      const packet = item.protocol === 'dhcp' ? dhcpPacket(item) : await this.tftpPacket(item, placements);
      if (packet === undefined) this.drop('unattributed', 1);
      else placed.push({ item, packet });
    }
    return placed;
  }

  private async tftpPacket(
    item: Item,
    placements: Map<string, Promise<Placement | undefined>>,
  ): Promise<NewCapturedPacket | undefined> {
    const { datagram } = item;
    const far = datagram.direction === 'in' ? datagram.source : datagram.destination;
    const near = datagram.direction === 'in' ? datagram.destination : datagram.source;
    const client = peerIpv4(far.address);
    if (client === undefined) return undefined; // IPv6: no DHCPv4 machine to belong to
    let placement = placements.get(client);
    if (placement === undefined) {
      placement = this.options.identify(client).catch(() => undefined);
      placements.set(client, placement);
    }
    const found = await placement;
    if (found === undefined) return undefined;
    let server = peerIpv4(near.address);
    if (server === undefined || server === IPV4_ANY) server = found.serverAddress ?? IPV4_ANY;
    const farEnd = { address: client, port: far.port };
    const nearEnd = { address: server, port: near.port };
    return packetOf(item, found.mac, datagram.direction === 'in' ? [farEnd, nearEnd] : [nearEnd, farEnd]);
  }

  private retryLater(item: Item): void {
    // Bounded like the queue: a flood of clients that never become machines cannot hold memory.
    if (this.waiting.length >= this.maxQueued) {
      this.drop('unattributed', 1);
      return;
    }
    this.waiting.push({ ...item, tries: item.tries + 1 });
    this.cancelRetry ??= this.options.clock.setTimer(() => {
      this.cancelRetry = undefined;
      this.requeueWaiting();
    }, this.options.retryDelayMs ?? 1000);
  }

  private requeueWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const item of waiting) this.enqueue(item);
  }

  private drop(reason: CaptureDropReason, count: number): void {
    if (count > 0) this.dropped.inc({ reason }, count);
  }
}

interface Placement {
  readonly mac: Mac;
  readonly serverAddress?: Ipv4;
}

function dhcpPacket(item: Item): NewCapturedPacket | undefined {
  const { datagram, mac } = item;
  const source = peerIpv4(datagram.source.address);
  const destination = peerIpv4(datagram.destination.address);
  if (mac === undefined || source === undefined || destination === undefined) return undefined;
  return packetOf(item, mac, [
    { address: source, port: datagram.source.port },
    { address: destination, port: datagram.destination.port },
  ]);
}

function packetOf(
  item: Item,
  mac: Mac,
  [source, destination]: readonly [NewCapturedPacket['source'], NewCapturedPacket['destination']],
): NewCapturedPacket {
  const { datagram } = item;
  return {
    at: datagram.at,
    mac,
    protocol: item.protocol,
    direction: datagram.direction,
    source,
    destination,
    payload: datagram.payload,
    payloadLength: datagram.payloadLength,
  };
}

/**
 * The datagram as the queue holds it: only the octets a capture keeps, copied. The count bounds of the queue and
 * the retry list hold only so: a view would pin the whole receive buffer (a 64 KiB TFTP RRQ from anyone, a 16 KiB
 * DHCP datagram) until the write, and a summarised TFTP DATA may be a view into a larger block. The length on
 * the wire stays in payloadLength.
 */
function keptOf<D extends TappedDatagram>(datagram: D): D {
  return { ...datagram, payload: new Uint8Array(datagram.payload.subarray(0, MAX_KEPT_PAYLOAD)) };
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}
