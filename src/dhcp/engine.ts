import type { BootFileTable } from '../boot/boot-file.js';
import { classifyClient } from '../boot/classify.js';
import { type Lease, LEASE_STATES } from '../inventory/lease.js';
import type { Clock } from '../net/clock.js';
import type { DhcpExchange, DhcpHandler, DhcpOutcome } from '../net/dhcp-handler.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { isClientMessageType } from '../protocol/dhcp4/index.js';
import { EncodeError } from '../protocol/errors.js';
import type { EventLog, InventoryStore, LeaseStore } from '../store/types.js';
import { formatSubnet, type Ipv4, ipv4OrAny } from '../values/ipv4.js';
import { SubnetLeases } from './address-index.js';
import type { BootAddressSink } from './boot-address-book.js';
import { excludedAddresses } from './allocate.js';
import { compileSubnet, type CompiledSubnet, type EngineConfig, selectSubnet } from './config.js';
import {
  type Decision,
  dropDecision,
  type EngineDeps,
  type ExchangeContext,
  type LeasePolicy,
} from './context.js';
import { EventRecorder } from './events.js';
import { handleDecline } from './full/decline.js';
import { handleDiscover } from './full/discover.js';
import { handleInform } from './full/inform.js';
import { handleRelease } from './full/release.js';
import { handleRequest } from './full/request.js';
import { clientIdentity, type ClientIdentity } from './identity.js';
import { GroupCommit } from './group-commit.js';
import { dhcpEngineMetrics } from './metrics.js';
import { drop, type DropReason, isBadInput } from './outcome.js';
import { ProxyServer } from './proxy/server.js';
import { dropBadInput, recordDecision } from './record.js';
import { ClientSerializer } from './serialize.js';
import { WarningLimiter } from './warnings.js';

export interface DhcpEngineOptions {
  /** config's `dhcp` section (DhcpConfig is assignable); modes `full` and `proxy` (auto resolved first, main.ts). */
  readonly config: EngineConfig;
  readonly leases: LeaseStore;
  readonly inventory: InventoryStore;
  readonly events: EventLog;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** The first boot file per firmware (boot/boot-file.ts; `defaultBootFileTable()` until config has a section). */
  readonly bootFiles: BootFileTable;
  /**
   * Our address as clients on an interface see it: the server identifier (option 54) and, with a boot file, siaddr.
   * Default: the interface's own address, which RFC 2131 §4.1 requires for option 54 ("an address reachable by the
   * client"), for relayed traffic too (the interface the relay's datagram arrived on).
   */
  readonly serverAddressFor?: (interfaceName: string, interfaceAddress: Ipv4) => Ipv4;
  /** Default 60 s (protocol-digest §9.1: "hold offers ~60 s"). */
  readonly offerHoldMs?: number;
  /** Default 10 minutes: short, because a PXE rack must not lose addresses for a day (Kea's default is 24 h). */
  readonly probationMs?: number;
  /** Default 3. */
  readonly maxDeclinedPerClient?: number;
  /** How often expired leases and probations are marked expired in the store, and stale offers dropped. 60 s. */
  readonly sweepIntervalMs?: number;
  /** Events waiting to be written beyond this are dropped and counted. Default 10 000. */
  readonly maxQueuedEvents?: number;
  /** Lease commits per store transaction at most (group-commit.ts). Default 256. */
  readonly maxCommitBatch?: number;
  /** proxyDHCP: told the address each client boots from (boot-address-book.ts); full mode has its leases. */
  readonly onBootAddress?: BootAddressSink;
}

/**
 * The DHCP engine: a DhcpHandler for the transport, plus its lifecycle. `start()` loads the lease index and starts
 * the expiry sweep (the handler also loads the index on first use); `stop()` ends the sweep and writes the queued
 * events.
 */
export interface DhcpEngine extends DhcpHandler {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Marks expired leases and ended probations in the store, drops stale offers; returns the leases expired. */
  sweep(): Promise<number>;
  /** Resolves when every event queued so far is written. */
  flushEvents(): Promise<void>;
}

const DEFAULT_POLICY: LeasePolicy = {
  offerHoldMs: 60_000,
  probationMs: 10 * 60_000,
  maxDeclinedPerClient: 3,
};
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

export function createDhcpEngine(options: DhcpEngineOptions): DhcpEngine {
  if (options.config.mode !== 'full' && options.config.mode !== 'proxy') {
    // main.ts turns `auto` into one of them with the start-up probe (dhcp/probe/) before building the engine.
    throw new Error(
      `the DHCP engine serves modes "full" and "proxy"; mode "${options.config.mode}" is resolved by the ` +
        'start-up probe before the engine is built',
    );
  }
  return new Engine(options).handler();
}

class Engine {
  private readonly subnets: readonly CompiledSubnet[];
  private readonly indexes = new Map<string, SubnetLeases>();
  private readonly serializer = new ClientSerializer();
  private readonly recorder: EventRecorder;
  private readonly deps: EngineDeps;
  private readonly logger: Logger;
  private loading: Promise<void> | undefined;
  private loaded = false;
  private cancelSweep: (() => void) | undefined;
  private stopped = false;
  /** proxyDHCP (protocol-digest §2.5), when that is the mode: boot information only (proxy/server.ts). */
  private readonly proxy: ProxyServer | undefined;

  constructor(private readonly options: DhcpEngineOptions) {
    const proxy = options.config.mode === 'proxy';
    this.subnets = proxy ? [] : options.config.subnets.map(compileSubnet);
    for (const subnet of this.subnets) this.indexes.set(subnet.key, new SubnetLeases(subnet));
    this.logger = options.logger;
    const metrics = options.metrics === undefined ? undefined : dhcpEngineMetrics(options.metrics);
    const warnings = new WarningLimiter(options.clock, options.logger);
    this.recorder = new EventRecorder({
      events: options.events,
      inventory: options.inventory,
      logger: options.logger,
      ...(options.maxQueuedEvents === undefined ? {} : { maxQueued: options.maxQueuedEvents }),
      onLost: (n) => metrics?.eventsLost.inc(n),
    });
    const group = new GroupCommit(options.leases, options.maxCommitBatch);
    this.deps = {
      store: options.leases,
      commit: (lease) => group.commit(lease),
      clock: options.clock,
      logger: options.logger,
      metrics,
      bootFiles: options.bootFiles,
      policy: {
        offerHoldMs: options.offerHoldMs ?? DEFAULT_POLICY.offerHoldMs,
        probationMs: options.probationMs ?? DEFAULT_POLICY.probationMs,
        maxDeclinedPerClient: options.maxDeclinedPerClient ?? DEFAULT_POLICY.maxDeclinedPerClient,
      },
      health: { ok: true },
      applyLease: (lease) => {
        this.applyLease(lease);
      },
      warnEvery: (key, fields, message) => {
        warnings.warn(key, fields, message);
      },
    };
    this.proxy = proxy
      ? new ProxyServer({
          clock: options.clock,
          logger: options.logger,
          recorder: this.recorder,
          bootFiles: options.bootFiles,
          serverAddress: (exchange) => this.serverAddress(exchange),
          ...(options.onBootAddress === undefined ? {} : { onBootAddress: options.onBootAddress }),
        })
      : undefined;
  }

  handler(): DhcpEngine {
    const handle = (exchange: DhcpExchange) => this.handle(exchange);
    return Object.assign(handle, {
      start: () => this.start(),
      stop: () => this.stop(),
      sweep: () => this.sweep(),
      flushEvents: () => this.recorder.flush(),
    });
  }

  private async start(): Promise<void> {
    this.stopped = false;
    if (this.proxy !== undefined) return; // no leases to load or expire
    await this.ready();
    this.scheduleSweep();
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    this.cancelSweep?.();
    this.cancelSweep = undefined;
    await this.recorder.flush();
  }

  /** Loads every subnet's leases into the index, once; a failure is retried on the next call. */
  private ready(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.loading ??= this.load().then(
      () => {
        this.loaded = true;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  private async load(): Promise<void> {
    for (const subnet of this.subnets) {
      const leases = await this.options.leases.listBySubnet(subnet.subnet, LEASE_STATES);
      const index = this.indexes.get(subnet.key);
      for (const lease of leases) index?.apply(lease);
    }
    this.logger.info(
      { subnets: this.subnets.map((s) => s.key) },
      'DHCP engine loaded the lease index (mode full)',
    );
  }

  private scheduleSweep(): void {
    if (this.stopped) return;
    this.cancelSweep?.();
    this.cancelSweep = this.options.clock.setTimer(() => {
      void this.sweep().finally(() => {
        this.scheduleSweep();
      });
    }, this.options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
  }

  private async sweep(): Promise<number> {
    if (this.proxy !== undefined) return 0;
    const mono = this.options.clock.monotonic();
    for (const index of this.indexes.values()) index.pruneHolds(mono);
    try {
      const expired = await this.options.leases.expire(this.options.clock.now());
      this.deps.health.ok = true;
      for (const lease of expired) this.applyLease(lease);
      return expired.length;
    } catch (error) {
      this.deps.health.ok = false;
      this.deps.warnEvery('store-failed', { err: error }, 'lease store failed: expiry sweep skipped');
      return 0;
    }
  }

  private applyLease(lease: Lease): void {
    this.indexes.get(formatSubnet(lease.subnet))?.apply(lease);
  }

  private async handle(exchange: DhcpExchange): Promise<DhcpOutcome> {
    try {
      return await this.dispatch(exchange);
    } catch (error) {
      this.logger.error({ err: error }, 'DHCP engine failed on an exchange');
      return drop('internal-error');
    }
  }

  private async dispatch(exchange: DhcpExchange): Promise<DhcpOutcome> {
    const { request } = exchange;
    // Only proxyDHCP answers on port 4011 (protocol-digest §2.5); a full server never sends EDK2 there (§2.4).
    if (this.proxy === undefined && exchange.localPort !== 67) return this.badInput(exchange, 'port');
    // Catalogue D05: the transport drops BOOTREPLYs before they get here and shows them to the rogue watch
    // (probe/rogue-watch.ts); this is for callers that hand the engine anything.
    if (request.op !== 'request') return this.badInput(exchange, 'op');
    if (!isClientMessageType(request.messageType)) return this.badInput(exchange, 'msgtype'); // D10
    const identity = clientIdentity(request);
    if (typeof identity === 'string') return this.badInput(exchange, identity); // D06, D30
    if (this.proxy !== undefined) return this.proxy.handle(exchange, identity);
    const subnet = selectSubnet(this.subnets, request, exchange.interfaceAddress);
    if (subnet === undefined) return this.badInput(exchange, 'no-subnet'); // D25
    try {
      await this.ready();
    } catch (error) {
      this.deps.health.ok = false;
      this.deps.warnEvery('store-failed', { err: error }, 'lease store failed: cannot load the lease index');
      return drop('store-unavailable');
    }
    const signature = `${request.transactionId}:${request.messageType}`;
    const refusal = this.serializer.refusal(identity.clientId, signature);
    if (refusal !== undefined) return this.badInput(exchange, refusal);
    return this.serializer.run(identity.clientId, signature, () => this.serve(exchange, identity, subnet));
  }

  private async serve(
    exchange: DhcpExchange,
    identity: ClientIdentity,
    subnet: CompiledSubnet,
  ): Promise<DhcpOutcome> {
    const ctx = this.context(exchange, identity, subnet);
    const decision = await this.decide(ctx).catch((error: unknown) => {
      if (!(error instanceof EncodeError)) throw error;
      return dropDecision('reply-too-big', { detail: error.message });
    });
    const outcome: DhcpOutcome = decision.kind === 'reply' ? decision.reply : drop(decision.reason);
    if (decision.kind === 'drop' && isBadInput(decision.reason)) {
      this.logger.debug({ mac: identity.mac, reason: decision.reason }, 'DHCP message dropped');
      return outcome;
    }
    recordDecision(this.recorder, this.logger, ctx, decision);
    return outcome;
  }

  private context(exchange: DhcpExchange, identity: ClientIdentity, subnet: CompiledSubnet): ExchangeContext {
    const { request } = exchange;
    const leases = this.indexes.get(subnet.key);
    if (leases === undefined) throw new Error(`no lease index for ${subnet.key}`);
    const serverAddress = this.serverAddress(exchange);
    const now = this.options.clock.now();
    const mono = this.options.clock.monotonic();
    return {
      exchange,
      request,
      identity,
      client: classifyClient(request),
      subnet,
      leases,
      serverAddress,
      sourceAddress: ipv4OrAny(exchange.source.address),
      now,
      mono,
      alloc: {
        subnet,
        leases,
        identity,
        excluded: excludedAddresses(subnet, serverAddress, request.relayAgentAddress),
        now,
        mono,
      },
    };
  }

  private serverAddress(exchange: DhcpExchange): Ipv4 {
    return (
      this.options.serverAddressFor?.(exchange.interfaceName, exchange.interfaceAddress) ??
      exchange.interfaceAddress
    );
  }

  private async decide(ctx: ExchangeContext): Promise<Decision> {
    const type = ctx.request.messageType;
    switch (type) {
      case 'discover':
        return handleDiscover(ctx, this.deps);
      case 'request':
        return handleRequest(ctx, this.deps);
      case 'decline':
        return handleDecline(ctx, this.deps);
      case 'release':
        return handleRelease(ctx, this.deps);
      case 'inform':
        return handleInform(ctx);
      case 'offer':
      case 'ack':
      case 'nak':
        return { kind: 'drop', reason: 'msgtype', details: {} }; // filtered in dispatch already
    }
  }

  private badInput(exchange: DhcpExchange, reason: DropReason): DhcpOutcome {
    return dropBadInput(this.logger, exchange, reason);
  }
}
