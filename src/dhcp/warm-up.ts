// The DHCP path run before the server answers anyone, so that a rack powering on soon after the start meets
// compiled code on the main thread. V8 runs a function in its interpreter until it has run many times, then
// optimizes it; a server that has just started answers its first burst with code several times slower than a
// warm one's. Measured in process (bench/README.md, "Eighth round"): four bursts of 500 new clients into one
// server, p99 276, 176, 139, 123 ms. Within one isolate V8 shares a function's compiled code and type feedback
// between the instances that run it (class methods, closures made from one function literal), so a throwaway
// engine's exchanges warm the server's own engine. Not warmed: the writer thread's code (its own isolate), the
// sockets, and the boot capture (the throwaway intake has no capture tap).
//
// The throwaway engine is the real one (createDhcpEngine, DhcpIntake, the codec) on a scratch store of the same
// kind as the server's (the caller opens it: SQLite with its writer thread, under the data directory), with its own
// metrics registry and a silent logger: nothing of the warm-up reaches the network, the server's store, its
// metrics or its logs. Same kind, because V8 specializes the code on the objects it saw: warmed on another store
// class, the engine's calls into the store ran slower once the real one came (a 10 000-client run 7 % slower with
// an in-memory store, bench/README.md). Its clients are made up here, bounded in number and in time.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BootFileTable } from '../boot/boot-file.js';
import type { Clock } from '../net/clock.js';
import { DhcpIntake } from '../net/dhcp-intake.js';
import { dhcpTransportMetrics } from '../net/dhcp-metrics.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import {
  broadcastClientRequest,
  decodeDhcpMessage,
  type DhcpMessage,
  type DhcpMessageType,
  type DhcpOptions,
  encodeDhcpMessage,
  userClassFromList,
} from '../protocol/dhcp4/index.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { SQLITE_MEMORY, type StoreLocation } from '../values/store-location.js';
import { type Ipv4, IPV4_ANY, ipv4FromInt, ipv4ToInt } from '../values/ipv4.js';
import { uuidFromBytes } from '../values/uuid.js';
import type { EngineConfig } from './config.js';
import { createDhcpEngine } from './engine.js';

export interface DhcpWarmUpOptions {
  readonly config: EngineConfig;
  /** A migrated scratch store of the kind the server uses, for the warm-up to fill; the caller disposes of it. */
  readonly scratchStore: Store;
  readonly bootFiles: BootFileTable;
  readonly clock: Clock;
  /** Exchanges (DISCOVER/OFFER/REQUEST/ACK) to run, at most the first subnet's pool addresses; default 600. */
  readonly exchanges?: number;
  /** Exchanges in flight at once; default 64, as a rack's worth of clients would have. */
  readonly concurrency?: number;
  /** The warm-up ends after this long whatever is left (a store that fails, and so no ACKs); default 3000 ms. */
  readonly timeLimitMs?: number;
}

/**
 * Whether the warm-up applies: full mode (proxyDHCP leases nothing, and its clients finish on port 4011) with a
 * pool in the first subnet. Decided before the caller opens anything.
 */
export function dhcpWarmUpApplies(config: EngineConfig): boolean {
  return config.mode === 'full' && poolCapacity(config) > 0;
}

export interface DhcpWarmUpResult {
  /** Exchanges that reached their ACK. */
  readonly completed: number;
  readonly elapsedMs: number;
  /** It ended at the time limit with exchanges left. */
  readonly endedEarly?: 'time-limit';
  /** Why it did not run: only full mode with a subnet and a pool has the path to warm. */
  readonly skipped?: string;
}

/**
 * Firmware the made-up clients claim, in turn (option 93, RFC 4578 §2.1; 77 "iPXE"): every boot-file branch runs.
 * BIOS, UEFI x64, UEFI arm64, UEFI HTTP boot, and iPXE on BIOS.
 */
const FIRMWARE: readonly { readonly arch: number; readonly ipxe: boolean; readonly vendor: string }[] = [
  { arch: 0, ipxe: false, vendor: 'PXEClient:Arch:00000:UNDI:002001' },
  { arch: 7, ipxe: false, vendor: 'PXEClient:Arch:00007:UNDI:003016' },
  { arch: 11, ipxe: false, vendor: 'PXEClient:Arch:00011:UNDI:003001' },
  { arch: 16, ipxe: false, vendor: 'HTTPClient:Arch:00016:UNDI:003001' },
  { arch: 0, ipxe: true, vendor: 'PXEClient:Arch:00000:UNDI:002001' },
];

/** What PXE ROMs and the kit's load generator ask for (option 55). */
const PARAMETERS: readonly number[] = [1, 3, 6, 12, 15, 17, 28, 43, 54, 60, 66, 67, 93, 94, 97];

/**
 * Runs made-up clients through a throwaway engine on `scratchStore` until `exchanges` have their ACK or the time
 * limit passes. A store that fails rejects; the caller serves without the warm-up then.
 */
export async function warmUpDhcp(options: DhcpWarmUpOptions): Promise<DhcpWarmUpResult> {
  const started = performance.now();
  const { config } = options;
  const { address, capacity } = placement(config);
  // Never more clients than addresses: an exhausted pool would leave the rest waiting for offers that never come.
  const exchanges = Math.min(options.exchanges ?? 600, capacity);
  if (!dhcpWarmUpApplies(config) || exchanges < 1) {
    return { completed: 0, elapsedMs: 0, skipped: 'only full mode with a subnet and a pool is warmed up' };
  }
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 64, exchanges));
  const timeLimitMs = options.timeLimitMs ?? 3000;
  const logger = createLogger({ level: 'silent' });
  const metrics = createMetrics({ processMetrics: false });
  const store = options.scratchStore;
  const engine = createDhcpEngine({
    config: options.config,
    leases: store.leases,
    inventory: store.inventory,
    events: store.events,
    clock: options.clock,
    logger,
    metrics,
    bootFiles: options.bootFiles,
  });
  await engine.start();
  try {
    const run = await runClients(engine, address, exchanges, concurrency, timeLimitMs, options.clock);
    await engine.flushEvents();
    const elapsedMs = Math.round(performance.now() - started);
    return run.endedEarly === undefined
      ? { completed: run.completed, elapsedMs }
      : { completed: run.completed, elapsedMs, endedEarly: run.endedEarly };
  } finally {
    await engine.stop();
  }
}

/** The made-up clients: DORA each, `concurrency` at a time, until `exchanges` are done or time is up. */
function runClients(
  engine: ReturnType<typeof createDhcpEngine>,
  interfaceAddress: Ipv4,
  exchanges: number,
  concurrency: number,
  timeLimitMs: number,
  clock: Clock,
): Promise<{ readonly completed: number; readonly endedEarly?: 'time-limit' }> {
  // A locally administered unicast prefix (02:…) and a random middle: no real NIC's MAC, and none reused.
  const prefix = randomBytes(2);
  const clients = new Map<number, { readonly index: number; readonly mac: Uint8Array }>();
  return new Promise((resolve) => {
    let started = 0;
    let completed = 0;
    let finished = false;
    const finish = (endedEarly?: 'time-limit'): void => {
      if (finished) return;
      finished = true;
      cancelTimer();
      resolve(endedEarly === undefined ? { completed } : { completed, endedEarly });
    };
    const cancelTimer = clock.setTimer(() => {
      finish('time-limit');
    }, timeLimitMs);
    const intake = new DhcpIntake({
      interfaceName: 'warm-up',
      interfaceAddress,
      handler: engine,
      // The reply reaches its client in a later turn, as a datagram would; never the network.
      send: (_port, bytes) => {
        const reply = Uint8Array.from(bytes);
        setImmediate(() => {
          receive(reply);
        });
        return Promise.resolve();
      },
      metrics: dhcpTransportMetrics(createMetrics({ processMetrics: false })),
      logger: createLogger({ level: 'silent' }),
      clock,
    });
    const deliver = (message: DhcpMessage): void => {
      const bytes = encodeDhcpMessage(message);
      setImmediate(() => {
        if (!finished) intake.accept(bytes, 67, { address: IPV4_ANY, port: 68 });
      });
    };
    const start = (): void => {
      if (finished || started >= exchanges) return;
      const index = started++;
      const mac = Uint8Array.of(
        0x02,
        prefix[0] ?? 0,
        prefix[1] ?? 0,
        (index >> 16) & 0xff,
        (index >> 8) & 0xff,
        index & 0xff,
      );
      const xid = (0x5f000000 + index) >>> 0;
      clients.set(xid, { index, mac });
      deliver(madeUpPxeRequest('discover', xid, mac, index, {}));
    };
    const receive = (bytes: Uint8Array): void => {
      if (finished) return;
      let reply: DhcpMessage;
      try {
        reply = decodeDhcpMessage(bytes);
      } catch {
        return;
      }
      const client = clients.get(reply.transactionId);
      if (client === undefined) return;
      if (reply.messageType === 'offer') {
        const chosen: DhcpOptions = {
          requestedIpAddress: reply.yourAddress,
          ...(reply.options.serverIdentifier === undefined
            ? {}
            : { serverIdentifier: reply.options.serverIdentifier }),
        };
        deliver(madeUpPxeRequest('request', reply.transactionId, client.mac, client.index, chosen));
        return;
      }
      clients.delete(reply.transactionId);
      if (reply.messageType === 'ack') completed += 1;
      if (clients.size === 0 && started >= exchanges) finish();
      else start();
    };
    for (let i = 0; i < concurrency; i++) start();
  });
}

/**
 * A PXE client's DISCOVER or REQUEST, as the FIRMWARE entry for its index would send it. Also what the bench's codec
 * floor warms itself up with (bench/dhcp-floor.js), so that both meet the same made-up clients.
 */
export function madeUpPxeRequest(
  type: Extract<DhcpMessageType, 'discover' | 'request'>,
  xid: number,
  mac: Uint8Array,
  index: number,
  extra: DhcpOptions,
): DhcpMessage {
  const firmware = FIRMWARE[index % FIRMWARE.length] ?? { arch: 0, ipxe: false, vendor: 'PXEClient' };
  const uuid = new Uint8Array(16);
  uuid.set(mac, 10);
  return broadcastClientRequest(type, mac, xid, {
    clientIdentifier: Uint8Array.of(1, ...mac),
    maximumMessageSize: 1472,
    parameterRequestList: PARAMETERS,
    vendorClassIdentifier: firmware.vendor,
    clientSystemArchitectures: [firmware.arch],
    clientNetworkInterface: { type: 1, major: 3, minor: 16 },
    clientMachineId: uuidFromBytes(uuid, 'smbios'),
    ...(firmware.ipxe ? { userClass: userClassFromList(['iPXE']) } : {}),
    ...extra,
  });
}

/**
 * The address the throwaway engine is "on", and how many of the first subnet's pool addresses its clients can
 * have. The address is the subnet's lowest host address outside every pool, so that its clients are on that
 * subnet as a directly connected rack is (RFC 2131 §4.3.1: the subnet of the receiving interface) and the engine,
 * which never leases its own address, can lease every pool address; a subnet whose pools cover every host leaves
 * the engine one address short. With no subnet (proxyDHCP), no address is needed and none can be leased.
 */
function placement(config: EngineConfig): { readonly address: Ipv4; readonly capacity: number } {
  const subnet = config.subnets[0];
  if (subnet === undefined) return { address: ipv4FromInt(0x0a000001), capacity: 0 };
  const network = ipv4ToInt(subnet.subnet.network);
  const broadcast = network + 2 ** (32 - subnet.subnet.prefixLength) - 1;
  const pools = subnet.pools
    .map((pool) => [ipv4ToInt(pool.start), ipv4ToInt(pool.end)] as const)
    .sort(([a], [b]) => a - b);
  let candidate = network + 1;
  for (const [start, end] of pools) if (candidate >= start && candidate <= end) candidate = end + 1;
  const capacity = poolCapacity(config);
  return candidate < broadcast
    ? { address: ipv4FromInt(candidate), capacity }
    : { address: ipv4FromInt(network + 1), capacity: capacity - 1 };
}

/** Addresses in the first subnet's pools (reservations lie outside them). */
function poolCapacity(config: EngineConfig): number {
  const pools = config.subnets[0]?.pools ?? [];
  return pools.reduce((sum, pool) => sum + ipv4ToInt(pool.end) - ipv4ToInt(pool.start) + 1, 0);
}

/** Everything the warm-up may take, store and clean-up included, before the server starts without it. */
export const WARM_UP_DEADLINE_MS = 10_000;

/**
 * warmUpDhcp on a scratch store of the server's own kind: a SQLite file with its writer
 * thread, in `<dataDir>/dhcp-warm-up` (removed before and after, so a start killed midway leaves nothing behind
 * for long). Only where it applies and where the server's store is such a file: warmed on another store class,
 * V8's code for the engine's store calls ran slower once the real one came (bench/README.md, "Eighth round").
 * Never fails the start and never holds it beyond WARM_UP_DEADLINE_MS; the outcome is one log line.
 */
export async function warmUpOnScratch(deps: {
  config: EngineConfig;
  bootFiles: BootFileTable;
  clock: Clock;
  logger: Logger;
  /** The server's store, which serve opens with the writer thread when it is a SQLite file. */
  store: StoreLocation;
  dataDir: string;
}): Promise<void> {
  const { config, logger, store } = deps;
  if (!dhcpWarmUpApplies(config) || store.dialect !== 'sqlite' || store.file === SQLITE_MEMORY) {
    logger.debug('DHCP warm-up skipped: full mode with a pool and a SQLite file store only');
    return;
  }
  const dir = path.join(deps.dataDir, 'dhcp-warm-up');
  const run = async (): Promise<void> => {
    rmSync(dir, { recursive: true, force: true });
    const scratchStore = await openStore('sqlite:warm-up.db', { dataDir: dir, writerThread: true });
    try {
      await scratchStore.migrate();
      const result = await warmUpDhcp({ config, bootFiles: deps.bootFiles, clock: deps.clock, scratchStore });
      logger.info(
        result,
        'DHCP warm-up: made-up clients through a throwaway engine before the listeners open',
      );
    } finally {
      await scratchStore.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  let cancelDeadline: (() => void) | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    cancelDeadline = deps.clock.setTimer(() => {
      resolve('deadline');
    }, WARM_UP_DEADLINE_MS);
  });
  const running = run().then(
    () => 'done' as const,
    (error: unknown) => {
      logger.warn({ err: error }, 'DHCP warm-up failed; serving without it');
      return 'done' as const;
    },
  );
  const outcome = await Promise.race([running, deadline]);
  cancelDeadline?.();
  if (outcome === 'deadline') {
    logger.warn(
      { deadlineMs: WARM_UP_DEADLINE_MS },
      'DHCP warm-up still running at its deadline; serving without waiting',
    );
  }
}
