// An in-process TFTP server on 127.0.0.1 (port 0) with a FakeClock, and a raw UDP peer that sends what a test
// says and records every datagram it gets back. Every wait is bounded in real time.
import { createSocket, type Socket } from 'node:dgram';
import type { TftpTap } from '../../../src/net/capture-tap.js';
import type { Clock } from '../../../src/net/clock.js';
import { createTftpFileSource, type VirtualFiles } from '../../../src/net/tftp-files.js';
import { HotFileCache } from '../../../src/net/tftp-hot-cache.js';
import type { TransferRecord } from '../../../src/net/tftp-record.js';
import {
  createTftpServer,
  type TftpServer,
  type TftpServerSettings,
  type TftpTuning,
} from '../../../src/net/tftp-server.js';
import type { Logger } from '../../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import type { FakeClock } from '../../support/fake-clock.js';
import { memoryLogger } from '../../support/logger.js';

export const SETTINGS: TftpServerSettings = {
  listen: { host: '127.0.0.1', port: 0 },
  blocksize: 1468,
  windowsize: 16,
  timeout: 1,
  retries: 5,
  maxTransfers: 1000,
  maxPerClient: 8,
  busyPoll: 200,
};

export interface Harness {
  readonly server: TftpServer;
  readonly port: number;
  readonly records: TransferRecord[];
  readonly metrics: Metrics;
  readonly logs: () => Record<string, unknown>[];
  /** The next record not yet handed out, waiting up to `ms` of real time for it. */
  nextRecord(ms?: number): Promise<TransferRecord>;
  /** A metric's value as Prometheus text shows it (0 when absent). */
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly clock: Clock;
  readonly roots?: readonly string[];
  readonly virtualFiles?: VirtualFiles;
  readonly settings?: Partial<TftpServerSettings>;
  readonly tuning?: TftpTuning;
  readonly mtu?: number;
  readonly logger?: Logger;
  readonly onTransfer?: (record: TransferRecord) => void;
  readonly cacheBytes?: number;
  readonly capture?: TftpTap;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const log = memoryLogger('debug');
  const metrics = createMetrics({ processMetrics: false });
  const records: TransferRecord[] = [];
  const waiters: ((record: TransferRecord) => void)[] = [];
  /** Records handed out by nextRecord. */
  let taken = 0;
  const server = createTftpServer({
    config: { ...SETTINGS, ...options.settings },
    files: createTftpFileSource({
      roots: options.roots ?? [],
      cache: new HotFileCache({ capacityBytes: options.cacheBytes ?? 64 * 1024 * 1024 }),
      ...(options.virtualFiles === undefined ? {} : { virtualFiles: options.virtualFiles }),
    }),
    clock: options.clock,
    logger: options.logger ?? log.logger,
    metrics,
    ...(options.mtu === undefined ? {} : { mtu: options.mtu }),
    tuning: { drainMs: 2_000, ...options.tuning },
    ...(options.capture === undefined ? {} : { capture: options.capture }),
    onTransfer: (record) => {
      records.push(record);
      const waiter = waiters.shift();
      if (waiter !== undefined) {
        taken += 1;
        waiter(record);
      }
      options.onTransfer?.(record);
    },
  });
  await server.start((error) => {
    throw error;
  });
  const port = server.address()?.port ?? 0;
  return {
    server,
    port,
    records,
    metrics,
    logs: log.lines,
    nextRecord: (ms = 5_000) => {
      const ready = records[taken];
      if (ready !== undefined) {
        taken += 1;
        return Promise.resolve(ready);
      }
      return withTimeout(
        new Promise<TransferRecord>((resolve) => waiters.push(resolve)),
        ms,
        'no transfer record',
      );
    },
    metric: async (name, labels = {}) => metricValue(await metrics.metrics(), name, labels),
    stop: () => server.stop(),
  };
}

export function metricValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = new Map<string, string>();
    for (const m of (match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)) found.set(m[1] ?? '', m[2] ?? '');
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) total += Number(match[3]);
  }
  return total;
}

export interface Datagram {
  readonly bytes: Buffer;
  readonly port: number;
  readonly address: string;
}

/** A UDP socket the test drives by hand: the client, an intruder, a spoofed source. */
export class RawPeer {
  readonly received: Datagram[] = [];
  private waiter: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('message', (bytes, remote) => {
      this.received.push({ bytes, port: remote.port, address: remote.address });
      this.waiter?.();
    });
  }

  static async open(address = '127.0.0.1'): Promise<RawPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address, port: 0 }, () => {
        resolve();
      });
    });
    return new RawPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(bytes: Uint8Array, port: number, address = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(bytes, port, address, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }

  /** The next datagram not yet taken, within `ms` of real time; throws when none comes. */
  async next(ms = 2_000): Promise<Datagram> {
    const got = await this.maybeNext(ms);
    if (got === undefined) throw new Error(`no datagram within ${ms} ms`);
    return got;
  }

  /** The next datagram, or undefined when none comes within `ms` (to assert that nothing is sent). */
  async maybeNext(ms: number): Promise<Datagram | undefined> {
    if (this.taken < this.received.length) return this.received[this.taken++];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.waiter = undefined;
    return this.taken < this.received.length ? this.received[this.taken++] : undefined;
  }

  private taken = 0;

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.close(() => {
        resolve();
      });
    });
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${what} within ${ms} ms`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Lets real I/O happen (socket callbacks) for `ms` of real time. */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `stop` drains on the fake clock: move the clock until it returns (bounded in steps and real time). */
export async function stopAdvancing(harness: Harness, clock: FakeClock): Promise<void> {
  const state = { stopped: false };
  const stopping = harness.stop().then(() => {
    state.stopped = true;
  });
  for (let i = 0; i < 100 && !state.stopped; i++) {
    await clock.advance(1000);
    await settle(5);
  }
  await withTimeout(stopping, 5_000, 'the server did not stop');
}
