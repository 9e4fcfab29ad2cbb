import type { RemoteInfo, Socket, SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import {
  encodeBoundedError,
  type Negotiation,
  negotiateOptions,
  type ReadRequest,
} from '../protocol/tftp/index.js';
import { type TapAddress, type TftpTap, tapSafely } from './capture-tap.js';
import type { Clock } from './clock.js';
import type { Service } from './supervisor.js';
import { type BlockSource, createBlockSource } from './tftp-block-source.js';
import {
  errorCodeForRefusal,
  errorMessageForRefusal,
  type TftpClient,
  type TftpFileSource,
  type TftpOpenResult,
} from './tftp-file.js';
import { escapeControl } from './log-limiter.js';
import { TransferCapture } from './tftp-capture.js';
import { TftpPacketLog } from './tftp-log.js';
import { type TftpMetrics, tftpMetrics } from './tftp-metrics.js';
import type { TransferRecord, TransferResult } from './tftp-record.js';
import { classifyRequest } from './tftp-request.js';
import { Transfer } from './tftp-transfer.js';
import {
  bindDgramSocket,
  checkBusyPoll,
  closeDgramSocket,
  type TransferSocket,
  type TransferSocketFactory,
  transferSocketFactory,
  type TransferSocketKind,
} from './tftp-transfer-socket.js';
import type { WindowPlan } from './tftp-window.js';

/**
 * The settings the server reads: the shape of `config.tftp` (src/config/types.ts TftpConfig), restated here
 * because net/ does not import config/ (eslint/layers.js). The composition root passes `config.tftp` as is.
 */
export interface TftpServerSettings {
  readonly listen: { readonly host: string; readonly port: number };
  /** Largest RFC 2348 blksize granted. */
  readonly blocksize: number;
  /** Largest RFC 7440 windowsize granted. */
  readonly windowsize: number;
  /** Seconds before the first retransmission, unless the client negotiated RFC 2349 `timeout`. */
  readonly timeout: number;
  /** Retransmissions of one packet or window before a transfer is abandoned. */
  readonly retries: number;
  readonly maxTransfers: number;
  readonly maxPerClient: number;
  /** What carries the transfers; `native` falls back to `dgram` with a warning where the addon cannot load. */
  readonly transport?: TransferSocketKind;
  /** Longest the event loop polls without sleeping after a datagram of a native lock-step transfer socket, in µs (0: off). */
  readonly busyPoll: number;
}

/** Engine knobs that are not configuration (tests and benchmarks set them). */
export interface TftpTuning {
  /** The server's own retransmission timeout in ms; default `timeout` seconds. */
  readonly timeoutMs?: number;
  /** Longest time without progress before a transfer is abandoned; default max(30 s, 3 × the timeout). */
  readonly stallLimitMs?: number;
  /** How long `stop` lets transfers finish before it aborts them with ERROR 0; default 10 s (catalogue F03). */
  readonly drainMs?: number;
  /** How long finding a file may take (a virtual-file policy that hangs); default 5 s. */
  readonly openTimeoutMs?: number;
  /** Octets of DATA one window may carry; the windowsize granted shrinks to fit; default 64 KiB. */
  readonly maxBytesInFlight?: number;
  /** SO_RCVBUF of the listening socket; default 4 MiB (a rack powering on sends its RRQs at once). */
  readonly receiveBufferBytes?: number;
  /**
   * What carries the transfers, over `config.transport`, strictly: here `native` makes a missing addon an error
   * at creation instead of a fallback (tests run the server suite over both).
   */
  readonly transport?: TransferSocketKind;
}

export interface TftpServerOptions {
  readonly config: TftpServerSettings;
  readonly files: TftpFileSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Called once per read request, when it has ended; must not throw (a throw is logged and ignored). */
  readonly onTransfer?: (record: TransferRecord) => void;
  /**
   * Shown the requests, the control packets and a summary of the DATA of every transfer (tftp-capture.ts), for
   * the machine's boot capture (issue 6 item 5). Called after the fact, never awaited.
   */
  readonly capture?: TftpTap;
  /** MTU of the path to the clients; blksize is capped to what fits in one datagram (default 1500). */
  readonly mtu?: number;
  readonly tuning?: TftpTuning;
}

export interface TftpServer extends Service {
  /** The bound address and port once started (port 0 in the config asks for a free one). */
  address(): TftpClient | undefined;
  /** Requests being served (opening their file or transferring). */
  inFlight(): number;
}

const DEFAULT_MTU = 1500;
const DEFAULT_RECEIVE_BUFFER = 4 * 1024 * 1024;
const DEFAULT_BYTES_IN_FLIGHT = 64 * 1024;

/** What a transfer adds to its record. */
type Outcome = Partial<TransferRecord> & { readonly result: TransferResult };

/** One admitted request: its slot counts against the caps until it ends. */
interface Slot {
  readonly key: string;
  readonly client: TftpClient;
  readonly request: ReadRequest;
  transfer: Transfer | undefined;
  done: Promise<void>;
}

/**
 * The TFTP server (RFC 1350, options of RFC 2347/2348/2349/7440), read-only. One socket on `config.listen`
 * receives requests; each admitted RRQ gets its own ephemeral socket, its transfer ID (RFC 1350 §4), and ends in
 * exactly one `TransferRecord` handed to `onTransfer`.
 */
export function createTftpServer(options: TftpServerOptions): TftpServer {
  return new TftpServerImpl(options);
}

class TftpServerImpl implements TftpServer {
  readonly name = 'tftp';
  private listener: Socket | undefined;
  private bound: TftpClient | undefined;
  private stopping = false;
  private readonly slots = new Set<Slot>();
  /** The slots by client TID (`address|port`), so a request is checked against its own TID's only, not all. */
  private readonly slotsByKey = new Map<string, Slot[]>();
  private readonly perClient = new Map<string, number>();
  private idleWaiters: (() => void)[] = [];
  private readonly metrics: TftpMetrics;
  private readonly packets: TftpPacketLog;
  private readonly family: SocketType;
  private readonly mtu: number;
  private readonly openTransferSocket: TransferSocketFactory;
  private readonly transport: TransferSocketKind;

  constructor(private readonly options: TftpServerOptions) {
    this.metrics = tftpMetrics(options.metrics);
    this.packets = new TftpPacketLog(options.logger, options.clock);
    this.family = isIPv6(options.config.listen.host) ? 'udp6' : 'udp4';
    // protocol/tftp caps blksize at mtu − 32 (IPv4 20 + UDP 8 + TFTP 4); an IPv6 header is 20 octets longer.
    this.mtu = (options.mtu ?? DEFAULT_MTU) - (this.family === 'udp6' ? 20 : 0);
    const chosen = chooseTransport(
      options.tuning?.transport,
      options.config.transport,
      options.config.busyPoll,
      options.logger,
    );
    this.openTransferSocket = chosen.open;
    this.transport = chosen.kind;
    // A configuration the codec would refuse fails here, at creation, not on the first request.
    negotiateOptions(
      { mode: 'octet', options: [] },
      {
        maxBlockSize: options.config.blocksize,
        mtu: this.mtu,
        maxWindowSize: options.config.windowsize,
        fileSize: 0,
      },
    );
  }

  address(): TftpClient | undefined {
    return this.bound;
  }

  inFlight(): number {
    return this.slots.size;
  }

  async start(fail: (error: unknown) => void): Promise<void> {
    this.stopping = false;
    const { host, port } = this.options.config.listen;
    const socket = await bindDgramSocket(this.family, host, port);
    try {
      socket.setRecvBufferSize(this.options.tuning?.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER);
    } catch {
      // The kernel caps SO_RCVBUF at net.core.rmem_max; a smaller buffer still works.
    }
    socket.on('message', (datagram, remote) => {
      this.receive(datagram, remote);
    });
    socket.on('error', (error) => {
      fail(error);
    });
    this.listener = socket;
    const local = socket.address();
    this.bound = { address: local.address, port: local.port };
    this.options.logger.info({ listen: this.bound, transport: this.transport }, 'TFTP listening');
  }

  /**
   * Stops accepting requests, lets transfers in flight finish for `drainMs`, then ends the rest with ERROR 0 and
   * closes every socket (catalogue F03).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const listener = this.listener;
    this.listener = undefined;
    if (listener !== undefined) await closeDgramSocket(listener);
    const tuning = this.options.tuning;
    await this.waitForIdle(tuning?.drainMs ?? 10_000);
    for (const slot of this.slots) slot.transfer?.abort('stopping');
    // What is left is still opening its file; it sees `stopping` once the open returns (bounded by its timeout).
    await this.waitForIdle((tuning?.openTimeoutMs ?? 5_000) + 1_000);
    this.bound = undefined;
  }

  private receive(datagram: Buffer, remote: RemoteInfo): void {
    this.metrics.requests.inc();
    // A datagram from UDP port 0 can be neither answered nor served (no datagram can be sent to port 0): dropped
    // before anything would try to.
    if (remote.port === 0) {
      this.drop('source-port-zero', remote);
      return;
    }
    const verdict = classifyRequest(datagram);
    const client = { address: remote.address, port: remote.port };
    if (verdict.kind !== 'drop') this.capture('in', client, datagram);
    switch (verdict.kind) {
      case 'drop':
        this.drop(verdict.reason, remote);
        return;
      case 'refuse': {
        this.drop(verdict.reason, remote);
        const refusal = encodeBoundedError(verdict.code, verdict.message, datagram.length);
        this.listener?.send(refusal, remote.port, remote.address);
        this.capture('out', client, refusal);
        this.metrics.errors.inc({ code: String(verdict.code), direction: 'sent' });
        return;
      }
      case 'read':
        this.admit(verdict.request, datagram.length, client);
        return;
    }
  }

  /** A request or a refusal of the listening socket, whole, for the capture. */
  private capture(direction: 'in' | 'out', client: TapAddress, payload: Uint8Array): void {
    const tap = this.options.capture;
    const server = this.bound;
    if (tap === undefined || server === undefined) return;
    const [source, destination] = direction === 'in' ? [client, server] : [server, client];
    tapSafely(tap, {
      at: this.options.clock.now(),
      direction,
      source,
      destination,
      payload,
      payloadLength: payload.length,
    });
  }

  private drop(reason: string, remote: TftpClient): void {
    this.metrics.dropped.inc({ reason });
    this.packets.debug(
      { reason, client: { address: remote.address, port: remote.port } },
      'TFTP request dropped',
    );
  }

  // Catalogue L05 and T21: over a cap the request is dropped, not answered. A PXE ROM retransmits its RRQ and is
  // served once a slot is free, where an ERROR would end its boot; a spoofed storm gets nothing reflected.
  private admit(request: ReadRequest, requestLength: number, client: TftpClient): void {
    const key = `${client.address}|${client.port}`;
    const refusal = this.admission(key, request, client);
    if (refusal !== undefined) {
      this.drop(refusal, client);
      return;
    }
    const fromClient = this.perClient.get(client.address) ?? 0;
    const slot: Slot = { key, client, request, transfer: undefined, done: Promise.resolve() };
    this.slots.add(slot);
    const sameKey = this.slotsByKey.get(key);
    if (sameKey === undefined) this.slotsByKey.set(key, [slot]);
    else sameKey.push(slot);
    this.perClient.set(client.address, fromClient + 1);
    this.metrics.inFlight.set(this.slots.size);
    this.packets.debug(
      { file: escapeControl(request.filename, 128), mode: request.mode, options: request.options, client },
      'TFTP RRQ',
    );
    slot.done = this.serve(slot, requestLength)
      .catch((error: unknown) => {
        this.options.logger.error({ err: error, client }, 'TFTP transfer failed unexpectedly');
      })
      .finally(() => {
        this.release(slot);
      });
  }

  private admission(key: string, request: ReadRequest, client: TftpClient): string | undefined {
    const { config } = this.options;
    if (this.stopping) return 'stopping';
    // RFC 1350 says nothing of a repeated request. A client that repeats its RRQ (same port, same request)
    // before it has acknowledged anything already has a transfer that retransmits on its own timer; a second
    // transfer would double what is sent, and the client would refuse one of the two with ERROR 5.
    if (this.isRepeat(key, request)) return 'duplicate-request';
    if (this.slots.size >= config.maxTransfers) return 'busy';
    if ((this.perClient.get(client.address) ?? 0) >= config.maxPerClient) return 'busy-client';
    return undefined;
  }

  private isRepeat(key: string, request: ReadRequest): boolean {
    for (const slot of this.slotsByKey.get(key) ?? []) {
      if (slot.transfer?.confirmed === true) continue;
      if (sameRequest(slot.request, request)) return true;
    }
    return false;
  }

  private release(slot: Slot): void {
    if (!this.slots.delete(slot)) return;
    const sameKey = this.slotsByKey.get(slot.key) ?? [];
    const others = sameKey.filter((other) => other !== slot);
    if (others.length > 0) this.slotsByKey.set(slot.key, others);
    else this.slotsByKey.delete(slot.key);
    const left = (this.perClient.get(slot.client.address) ?? 1) - 1;
    if (left > 0) this.perClient.set(slot.client.address, left);
    else this.perClient.delete(slot.client.address);
    this.metrics.inFlight.set(this.slots.size);
    if (this.slots.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private async serve(slot: Slot, requestLength: number): Promise<void> {
    const { clock, config } = this.options;
    const { client, request } = slot;
    const startedAt = clock.now();
    const t0 = clock.monotonic();
    const outcome = await this.transfer(slot, requestLength);
    this.emit({
      file: request.filename,
      path: undefined,
      origin: undefined,
      client,
      server: this.bound ?? { address: config.listen.host, port: config.listen.port },
      mode: request.mode,
      options: { requested: request.options, accepted: [], ignored: [], effective: undefined },
      size: undefined,
      bytes: 0,
      blocks: 0,
      retransmits: 0,
      duplicateAcks: 0,
      startedAt,
      durationMs: clock.monotonic() - t0,
      ...outcome,
    });
  }

  /** Finds the file, opens the transfer's socket, and runs the transfer: what the record says of it. */
  private async transfer(slot: Slot, requestLength: number): Promise<Outcome> {
    const { client, request } = slot;
    const opened = await this.open(request.filename, client);
    if (opened === 'timeout') return { result: { kind: 'aborted', reason: 'open-timeout' } };
    let socket: TransferSocket;
    try {
      socket = await this.openTransferSocket(this.options.config.listen.host, client);
    } catch (error) {
      if (opened.kind === 'file') await opened.file.close();
      this.options.logger.warn({ err: error, client }, 'TFTP could not open a transfer socket');
      return { result: { kind: 'aborted', reason: 'socket-error' } };
    }
    const server = socket.local;
    // RFC 1350 §4: the answer to a request, an ERROR included, comes from the transfer's own port (tftpd-hpa and
    // dnsmasq do the same), and is no larger than the request (catalogue T21).
    const refuse = async (code: number, message: string): Promise<void> => {
      this.metrics.errors.inc({ code: String(code), direction: 'sent' });
      const refusal = encodeBoundedError(code, message, requestLength);
      await socket.close(refusal);
      const tap = this.options.capture;
      if (tap !== undefined) {
        tapSafely(tap, {
          at: this.options.clock.now(),
          direction: 'out',
          source: server,
          destination: client,
          payload: refusal,
          payloadLength: refusal.length,
        });
      }
    };
    if (opened.kind === 'refused') {
      const code = errorCodeForRefusal(opened.reason);
      await refuse(code, errorMessageForRefusal(opened.reason));
      return { result: { kind: 'error', from: 'server', code, reason: opened.reason } };
    }
    const file = opened.file;
    const described = { path: file.path, origin: file.origin };
    try {
      if (this.stopping) {
        await refuse(0, 'Server shutting down');
        return { ...described, result: { kind: 'aborted', reason: 'stopping' } };
      }
      const negotiation = this.negotiate(request, file.size);
      const effective = negotiation.effective;
      let blocks: BlockSource;
      try {
        blocks = await createBlockSource(file, request.mode, effective.blockSize);
      } catch {
        await refuse(0, 'Server error');
        return { ...described, result: { kind: 'aborted', reason: 'read-error' } };
      }
      const oack = negotiation.accepted;
      const transfer = new Transfer({
        socket,
        client,
        requestLength,
        oack,
        blocks,
        plan: this.plan(blocks.totalBlocks, effective.windowSize, oack.length > 0, effective.timeoutSeconds),
        clock: this.options.clock,
        metrics: this.metrics,
        log: this.packets,
        ...this.transferCapture(client, server, blocks),
      });
      slot.transfer = transfer;
      const end = await transfer.run().finally(() => socket.close());
      return {
        ...described,
        options: { requested: request.options, accepted: oack, ignored: negotiation.ignored, effective },
        size: blocks.streamSize,
        bytes: end.bytes,
        blocks: end.counters.acknowledged,
        retransmits: end.counters.retransmits,
        duplicateAcks: end.counters.duplicateAcks,
        result: end.result,
      };
    } finally {
      await file.close();
    }
  }

  private transferCapture(
    client: TftpClient,
    server: TapAddress,
    blocks: BlockSource,
  ): { capture?: TransferCapture } {
    const tap = this.options.capture;
    if (tap === undefined) return {};
    const { blockSize, streamSize, totalBlocks } = blocks;
    const setup = { clock: this.options.clock, client, server, blockSize, streamSize, totalBlocks };
    const safe: TftpTap = (datagram) => {
      tapSafely(tap, datagram);
    };
    return { capture: new TransferCapture({ ...setup, tap: safe }) };
  }

  /**
   * RFC 2347 negotiation, with the window also bounded in octets: a window is sent back to back, and one of
   * 16 × 8192 octets (fragmented on Ethernet) overflows a client's default socket buffer, so its tail is lost on
   * every window (measured with atftp 0.8 in the lab: 295 retransmissions for 3 MiB). Catalogue T12 asks for the
   * octets in flight to be bounded; RFC 7440 §3 lets the OACK carry a smaller windowsize than asked.
   */
  private negotiate(request: ReadRequest, fileSize: number): Negotiation {
    const { config, tuning } = this.options;
    const limits = {
      maxBlockSize: config.blocksize,
      mtu: this.mtu,
      maxWindowSize: config.windowsize,
      fileSize: request.mode === 'octet' ? fileSize : undefined,
    };
    const first = negotiateOptions(request, limits);
    const { blockSize, windowSize } = first.effective;
    const fits = Math.max(1, Math.floor((tuning?.maxBytesInFlight ?? DEFAULT_BYTES_IN_FLIGHT) / blockSize));
    if (windowSize <= fits) return first;
    return negotiateOptions(request, { ...limits, maxWindowSize: Math.min(config.windowsize, fits) });
  }

  private plan(
    totalBlocks: number,
    windowSize: number,
    oack: boolean,
    timeoutSeconds: number | undefined,
  ): WindowPlan {
    const { config, tuning } = this.options;
    // RFC 2349: a negotiated timeout is the sender's retransmission interval; else the server's own.
    const timeoutMs =
      timeoutSeconds !== undefined ? timeoutSeconds * 1000 : (tuning?.timeoutMs ?? config.timeout * 1000);
    return {
      totalBlocks,
      windowSize,
      oack,
      timeoutMs,
      // RFC 1123 §4.2.3.2: exponential backoff; three doublings (1 s → 8 s with the default timeout).
      maxTimeoutMs: timeoutMs * 8,
      retries: config.retries,
      stallLimitMs: tuning?.stallLimitMs ?? Math.max(30_000, 3 * timeoutMs),
    };
  }

  /** The file source's answer, or `timeout` when it takes longer than `openTimeoutMs` (its file is then closed). */
  private open(requested: string, client: TftpClient): Promise<TftpOpenResult | 'timeout'> {
    const { clock, files, tuning } = this.options;
    return new Promise((resolve) => {
      let late = false;
      const cancel = clock.setTimer(() => {
        late = true;
        resolve('timeout');
      }, tuning?.openTimeoutMs ?? 5_000);
      void files.open(requested, client).then(
        (result) => {
          cancel();
          if (!late) resolve(result);
          else if (result.kind === 'file') void result.file.close();
        },
        () => {
          cancel();
          resolve({ kind: 'refused', reason: 'read-error' });
        },
      );
    });
  }

  private emit(record: TransferRecord): void {
    this.metrics.transfers.inc({ result: record.result.kind });
    this.packets.debug(
      {
        file: escapeControl(record.file, 128),
        client: record.client,
        result: record.result,
        bytes: record.bytes,
        retransmits: record.retransmits,
        ms: Math.round(record.durationMs),
      },
      'TFTP transfer ended',
    );
    try {
      this.options.onTransfer?.(record);
    } catch (error) {
      this.options.logger.error({ err: error }, 'TFTP onTransfer failed');
    }
  }

  private waitForIdle(ms: number): Promise<void> {
    if (this.slots.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.options.clock.setTimer(resolve, ms);
      this.idleWaiters.push(() => {
        cancel();
        resolve();
      });
    });
  }
}

function sameRequest(a: ReadRequest, b: ReadRequest): boolean {
  if (a.filename !== b.filename || a.mode !== b.mode || a.options.length !== b.options.length) return false;
  return a.options.every((option, i) => {
    const other = b.options[i];
    return other !== undefined && option.name === other.name && option.value === other.value;
  });
}

/**
 * The transfers' sockets: `strict` when a test or a benchmark names them, else the configured kind (native by
 * default). Where the addon is missing (not built, not Linux), dgram carries them, and the operator is told once,
 * at start, what that costs.
 */
function chooseTransport(
  strict: TransferSocketKind | undefined,
  configured: TransferSocketKind | undefined,
  busyPollMicros: number,
  logger: Logger,
): { readonly open: TransferSocketFactory; readonly kind: TransferSocketKind } {
  const kind = strict ?? configured ?? 'native';
  // A window out of range is a caller's error, thrown here, not a reason to fall back to dgram below.
  checkBusyPoll(busyPollMicros);
  if (strict !== undefined || kind === 'dgram') {
    return { open: transferSocketFactory(kind, busyPollMicros), kind };
  }
  try {
    return { open: transferSocketFactory('native', busyPollMicros), kind: 'native' };
  } catch (error) {
    logger.warn(
      { err: error },
      'TFTP transfers use Node dgram sockets: the native transfer socket is not available (slower per block)',
    );
    return { open: transferSocketFactory('dgram'), kind: 'dgram' };
  }
}
