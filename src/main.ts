import { mkdir } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { defaultBootFileTable, layerBootFileTables, NEXT_SERVER_TOKEN } from './boot/boot-file.js';
import { createApiAuth, registerApi } from './api/index.js';
import { readAptSources } from './cache/apt-sources-read.js';
import { createCacheListener } from './cache/cache-listener.js';
import { createCacheMetrics, type CacheMetrics } from './cache/cache-metrics.js';
import { CaptureRecorder } from './capture/recorder.js';
import { defaultClientNetworks } from './cache/client-access.js';
import { PackageCache } from './cache/package-cache.js';
import { repositoriesFromSources, type Repository } from './cache/repositories.js';
import { createUpstreamClient } from './cache/upstream.js';
import type { FleetbootConfig } from './config/schema.js';
import { createDhcpEngine } from './dhcp/engine.js';
import { warmUpOnScratch } from './dhcp/warm-up.js';
import { decideAutoMode } from './dhcp/probe/auto-mode.js';
import { RogueWatch } from './dhcp/probe/rogue-watch.js';
import { probeSegment, type SegmentProbe } from './dhcp/probe/segment.js';
import { createDhcpListeners } from './net/dhcp-listener.js';
import { HotFileCache } from './net/tftp-hot-cache.js';
import { createTftpFileSource } from './net/tftp-files.js';
import { createTftpServer, type TftpServer } from './net/tftp-server.js';
import { tftpTimelineRecorder } from './tftp-timeline.js';
import type { BootAddressSink } from './dhcp/boot-address-book.js';
import {
  createProvisioning,
  type Provisioning,
  provisioningServices,
  registerProvisioningHttp,
  tftpBootConfigs,
} from './provisioning.js';
import type { ServedDhcpMode } from './provision/boot-clients.js';
import { buildHttpApp, type HealthReport, type HttpApp } from './net/http-app.js';
import { systemClock, type Clock } from './net/clock.js';
import { StartupError, Supervisor, type Service } from './net/supervisor.js';
import { createLogger, subsystemLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';
import { parseIpv4Interface, type Ipv4Subnet } from './values/ipv4.js';
import { VERSION } from './version.js';
import { registerDashboard } from './web/index.js';

/** A running fleetboot: what `serve` holds until a signal arrives, and what tests start and stop. */
export interface RunningServer {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly store: Store;
  /** `host:port` the HTTP server listens on (the real port when the config asked for port 0). */
  readonly httpAddress: string;
  /** The boot capture's taps, for a transport a test drives itself, and `flush` to wait for their writes. */
  readonly capture: Pick<CaptureRecorder, 'dhcp' | 'tftp' | 'flush'>;
  /** `host:port` TFTP listens on, when it is enabled (the real port when the config asked for port 0). */
  readonly tftpAddress: string | undefined;
  health(): HealthReport;
  /** Drains listeners in reverse start order, then closes the store. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly config: FleetbootConfig;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/**
 * Raised when the store cannot be opened or migrated (its cause is the store's own coded error); `serve` maps it
 * to its own exit code. Not the store's StoreUnavailableError, which also means "lost the database later".
 */
export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
  constructor(override readonly cause: unknown) {
    super(`the store could not be opened: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * The composition root (design.md §2): config → store → listeners → HTTP. Everything concrete is wired here and
 * nowhere below, so every other module receives its collaborators as parameters.
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const clock = options.clock ?? systemClock;
  const metrics = createMetrics();
  const dhcpMode = await resolveDhcpMode(config, clock, subsystemLogger(logger, 'dhcp'));

  // 0750: the data directory holds the database, whose rows include install tokens (catalogue S14).
  await mkdir(config.dataDir, { recursive: true, mode: 0o750 });
  const store = await openMigratedStore(config, subsystemLogger(logger, 'store'));

  const supervisor = new Supervisor({ logger: subsystemLogger(logger, 'supervisor'), clock });
  const health = (): HealthReport => healthOf({ ...supervisor.states(), store: store.health() });
  supervisor.add(storeHealthService(store, clock));
  const provisionLogger = subsystemLogger(logger, 'provision');
  const provisioning = await createProvisioning({
    config,
    store,
    clock,
    logger: provisionLogger,
    dhcpMode,
  }).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const app = buildHttpApp({ logger: subsystemLogger(logger, 'http'), metrics, health, version: VERSION });
  await registerProvisioningHttp(app, provisioning, {
    config,
    store,
    logger: subsystemLogger(logger, 'http'),
  });
  // Created before the listeners so the API and the dashboard can show the cache's saving (issue 7 item 5).
  const cacheMetrics = config.cache.enabled ? createCacheMetrics(metrics) : undefined;
  const apiLogger = subsystemLogger(logger, 'api');
  const now = () => clock.now();
  // One authentication for the API and the dashboard: one failure limit and one audit trail for both doors.
  const auth = createApiAuth({ store, logger: apiLogger, metrics, now });
  const apiRoutes = registerApi(app, {
    store,
    config,
    logger: apiLogger,
    metrics,
    health,
    version: VERSION,
    now,
    lifecycle: provisioning.lifecycle,
    catalog: provisioning.catalog,
    auth,
    ...(cacheMetrics === undefined ? {} : { cacheSavings: () => cacheMetrics.savings() }),
  });
  registerDashboard(app, {
    store,
    config,
    lifecycle: provisioning.lifecycle,
    catalog: provisioning.catalog,
    auth,
    apiRoutes,
    logger: subsystemLogger(logger, 'web'),
    version: VERSION,
    now,
    ...(cacheMetrics === undefined ? {} : { cacheSavings: () => cacheMetrics.savings() }),
  });
  const http = httpService(app, config.http.listen);
  supervisor.add(http);
  for (const service of provisioningServices(provisioning, { clock, logger: provisionLogger })) {
    supervisor.add(service);
  }
  // Before the listeners, so it stops after them and writes their last packets (capture/recorder.ts).
  const capture = bootCapture({
    store,
    clock,
    logger: subsystemLogger(logger, 'capture'),
    metrics,
    provisioning,
  });
  supervisor.add(capture);
  const tftp = addTftp(supervisor, {
    config,
    store,
    clock,
    logger: subsystemLogger(logger, 'tftp'),
    metrics,
    provisioning,
    capture,
    // Port 0 asks for a free port: the URLs in generated configs must name the one the server got.
    httpPort: () => Number(http.address().split(':').at(-1)),
  });
  addDhcp(supervisor, {
    config,
    mode: dhcpMode,
    store,
    clock,
    logger: subsystemLogger(logger, 'dhcp'),
    metrics,
    onBootAddress: provisioning.book.record,
    capture,
  });
  if (cacheMetrics !== undefined) {
    await addCache(supervisor, {
      config,
      clock,
      logger: subsystemLogger(logger, 'cache'),
      metrics: cacheMetrics,
    });
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await supervisor.stopAll();
      await store.close();
      logger.info('stopped');
    })());

  try {
    await supervisor.startAll();
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info(
    { version: VERSION, http: http.address(), store: store.dialect, dataDir: config.dataDir },
    'fleetboot up',
  );
  const tftpBound = tftp?.address();
  const tftpAddress = tftpBound === undefined ? undefined : `${tftpBound.address}:${String(tftpBound.port)}`;
  return { logger, metrics, store, httpAddress: http.address(), capture, tftpAddress, health, stop };
}

async function openMigratedStore(config: FleetbootConfig, logger: Logger): Promise<Store> {
  let store: Store | undefined;
  try {
    // The writer thread keeps SQLite's fsyncs off the thread that answers DHCP (store/sqlite-writer.ts).
    store = await openStore(config.store, { dataDir: config.dataDir, logger, writerThread: true });
    await store.migrate();
    return store;
  } catch (error) {
    await store?.close().catch(() => undefined);
    throw new StoreOpenError(error);
  }
}

/** The HTTP server as a supervised service. `stop` lets in-flight requests finish (fastify `close`). */
function httpService(app: HttpApp, listen: { host: string; port: number }): Service & { address(): string } {
  let bound = `${listen.host}:${listen.port}`;
  return {
    name: 'http',
    async start(fail) {
      await app.listen({ host: listen.host, port: listen.port });
      const address = app.server.address();
      if (address !== null && typeof address === 'object') bound = `${address.address}:${address.port}`;
      // After listen, the server emits 'error' only for faults that stop it serving.
      app.server.once('error', fail);
    },
    async stop() {
      await app.close();
    },
    address: () => bound,
  };
}

/**
 * The store reports itself down when a query fails for want of the database (catalogue P3) and up when one
 * succeeds, but it never retries by itself: while it is down, this pings it so /healthz and the DHCP server see
 * it come back without waiting for the next client.
 */
function storeHealthService(store: Store, clock: Clock, intervalMs = 5000): Service {
  let cancelTimer: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;
  const schedule = (): void => {
    cancelTimer = clock.setTimer(() => {
      void store.ping().then(
        () => undefined,
        () => {
          if (store.health() === 'down') schedule();
        },
      );
    }, intervalMs);
  };
  return {
    name: 'store-watch',
    start() {
      unsubscribe = store.onHealthChange((health) => {
        cancelTimer?.();
        if (health === 'down') schedule();
      });
      return Promise.resolve();
    },
    stop() {
      unsubscribe?.();
      cancelTimer?.();
      return Promise.resolve();
    },
  };
}

export function healthOf(states: Readonly<Record<string, string>>): HealthReport {
  const components = Object.fromEntries(
    Object.entries(states).map(([name, state]) => [name, state === 'up' ? 'up' : 'down'] as const),
  );
  const status = Object.values(components).every((s) => s === 'up') ? 'ok' : 'degraded';
  return { status, components };
}

/**
 * `dhcp.mode: auto` (issue 3 item 3): before anything listens, probe each named interface's segment for another
 * DHCP server (dhcp/probe/), choose proxy if one answers and full otherwise, and say which and why. A probe that
 * cannot run (no such interface, port 68 taken by a DHCP client on it) fails the start: guessing "full" could put
 * a second address server on the site's network.
 */
async function resolveDhcpMode(
  config: FleetbootConfig,
  clock: Clock,
  logger: Logger,
): Promise<ServedDhcpMode> {
  const { mode, interfaces } = config.dhcp;
  if (mode !== 'auto' || interfaces.length === 0) return mode === 'auto' ? 'off' : mode;
  logger.info({ interfaces }, 'dhcp.mode auto: probing for another DHCP server before serving');
  let probes: SegmentProbe[];
  try {
    probes = await Promise.all(
      interfaces.map((interfaceName) => probeSegment({ interfaceName, clock, logger, stopAtFirst: true })),
    );
  } catch (error) {
    throw new StartupError('dhcp-probe', error);
  }
  const decision = decideAutoMode(probes);
  const servers = probes.flatMap((p) => p.servers.map((s) => ({ interface: p.interfaceName, ...s })));
  logger.info({ mode: decision.mode, servers }, `dhcp.mode auto chose ${decision.mode}: ${decision.reason}`);
  return decision.mode;
}

/**
 * Each machine's DHCP and TFTP packets, for its pcap download (issue 6 item 5). A TFTP client is placed by its
 * address as TFTP's boot configs place it (provisioning.clients: the lease in full mode, the boot address book in
 * proxy mode).
 */
function bootCapture(deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  provisioning: Provisioning;
}): CaptureRecorder {
  const { store, clock, logger, metrics, provisioning } = deps;
  return new CaptureRecorder({
    store: store.captures,
    clock,
    logger,
    metrics,
    identify: async (address) => {
      const { client } = (await provisioning.clients.identify(address)) ?? {};
      if (client?.mac === undefined) return undefined;
      return {
        mac: client.mac,
        ...(client.serverAddress === undefined ? {} : { serverAddress: client.serverAddress }),
      };
    },
  });
}

/**
 * TFTP over the configured roots and then the boot root, with the per-machine pxelinux and GRUB config files
 * generated first (provisioning.ts tftpBootConfigs).
 */
function addTftp(
  supervisor: Supervisor,
  deps: {
    config: FleetbootConfig;
    store: Store;
    clock: Clock;
    logger: Logger;
    metrics: Metrics;
    provisioning: Provisioning;
    httpPort: () => number;
    capture: CaptureRecorder;
  },
): TftpServer | undefined {
  const { config, store, clock, logger, metrics, provisioning, capture } = deps;
  if (!config.tftp.enabled) return undefined;
  const virtualFiles = tftpBootConfigs(provisioning, { config, logger, httpPort: deps.httpPort });
  const files = createTftpFileSource({
    roots: provisioning.roots,
    cache: new HotFileCache({ metrics }),
    ...(virtualFiles === undefined ? {} : { virtualFiles }),
  });
  const onTransfer = tftpTimelineRecorder({ leases: store.leases, events: store.events, logger });
  const server = createTftpServer({
    config: config.tftp,
    files,
    clock,
    logger,
    metrics,
    onTransfer,
    capture: capture.tftp,
  });
  supervisor.add(server);
  return server;
}

/**
 * DHCP, only where the operator asked for it (issue "Foundation", item 8): the engine first, so that it stops
 * after the listeners feeding it and writes its queued events, then one listener per named interface.
 */
function addDhcp(
  supervisor: Supervisor,
  deps: {
    config: FleetbootConfig;
    mode: ServedDhcpMode;
    store: Store;
    clock: Clock;
    logger: Logger;
    metrics: Metrics;
    onBootAddress: BootAddressSink;
    capture: CaptureRecorder;
  },
): void {
  const { config, mode, store, clock, logger, metrics, onBootAddress, capture } = deps;
  const { interfaces } = config.dhcp;
  if (mode === 'off' || interfaces.length === 0) {
    logger.info({ mode, interfaces }, 'DHCP off: no interface is named in dhcp.interfaces (safe default)');
    return;
  }
  if (config.http.publicUrl === undefined && config.http.listen.port === 0) {
    logger.warn('http.listen has port 0 and no http.publicUrl: boot URLs handed to clients will not resolve');
  }
  const httpBase = config.http.publicUrl ?? `http://${NEXT_SERVER_TOKEN}:${config.http.listen.port}`;
  const engineConfig = { ...config.dhcp, mode };
  // Defaults, then dhcp.bootFiles entry by entry (a machine's profile will be the next layer, issue 5).
  const bootFiles = layerBootFileTables(defaultBootFileTable(httpBase), config.dhcp.bootFiles);
  const engine = createDhcpEngine({
    config: engineConfig,
    leases: store.leases,
    inventory: store.inventory,
    events: store.events,
    clock,
    logger,
    metrics,
    bootFiles,
    onBootAddress,
  });
  // The warm-up first (dhcp/warm-up.ts): the listeners start after the engine, so a rack powering on soon after
  // meets compiled code. Once: a restarted engine finds the code as warm as it left it.
  let warmed = false;
  const warmUp = async (): Promise<void> => {
    if (warmed) return;
    warmed = true;
    await warmUpOnScratch({
      config: engineConfig,
      bootFiles,
      clock,
      logger,
      store: config.store,
      dataDir: config.dataDir,
    });
  };
  supervisor.add({
    name: 'dhcp-engine',
    start: async () => {
      await warmUp();
      await engine.start();
    },
    stop: () => engine.stop(),
  });
  // As the DHCP server of a segment, watch for another one there (catalogue D05, S10). Beside the site's server
  // (proxy) another server is the expected state.
  const rogueWatch =
    mode === 'full'
      ? new RogueWatch({
          interfaces,
          intervalMs: config.dhcp.rogueCheckInterval * 1000,
          clock,
          logger,
          metrics,
        })
      : undefined;
  // Full mode answers on 67 only. proxyDHCP also answers port 4011, where PXE clients send their boot-server
  // REQUEST once the site's server gave them an address (protocol-digest §2.5 step 4); its replies leave from 4011.
  for (const listener of createDhcpListeners(interfaces, {
    ports: mode === 'proxy' ? [67, 4011] : [67],
    handler: engine,
    logger,
    metrics,
    clock,
    capture: capture.dhcp,
    ...(rogueWatch === undefined ? {} : { onServerReply: rogueWatch.sawServerReply.bind(rogueWatch) }),
  })) {
    supervisor.add(listener);
  }
  // After the listeners: they drop the probe's own DISCOVER (looped back to them) as `own-probe`.
  if (rogueWatch !== undefined) supervisor.add(rogueWatch);
  logger.info({ mode, interfaces }, 'DHCP enabled');
}

/**
 * The package cache (issue 7), on its own listener, when enabled. Repositories come from cache.repositories or,
 * when none are named, from this server's own apt sources; clients from cache.allow or, when none are named,
 * from the networks fleetboot serves.
 */
async function addCache(
  supervisor: Supervisor,
  deps: { config: FleetbootConfig; clock: Clock; logger: Logger; metrics: CacheMetrics },
): Promise<void> {
  const { config, clock, logger, metrics } = deps;
  const repositories = await cacheRepositories(config, logger);
  const allow =
    config.cache.allow.length > 0
      ? config.cache.allow
      : defaultClientNetworks(
          config.dhcp.subnets.map((s) => s.subnet),
          interfaceSubnets(config.dhcp.mode === 'off' ? [] : config.dhcp.interfaces),
        );
  const cache = new PackageCache({
    repositories,
    allow,
    root: path.join(config.dataDir, 'cache'),
    quotaBytes: config.cache.maxSizeBytes,
    indexMaxAgeMs: config.cache.indexMaxAgeSeconds * 1000,
    upstream: createUpstreamClient({ userAgent: `fleetboot/${VERSION} (package cache)`, timeoutMs: 30_000 }),
    logger,
    metrics,
    now: () => clock.now(),
  });
  supervisor.add(createCacheListener({ listen: config.cache.listen, cache, logger }));
  logger.info(
    { proxyUrl: config.cache.proxyUrl, allow: allow.map((n) => `${n.network}/${n.prefixLength}`) },
    'package cache enabled',
  );
}

async function cacheRepositories(config: FleetbootConfig, logger: Logger): Promise<Repository[]> {
  if (config.cache.repositories.length > 0) return [...config.cache.repositories];
  const { sources, problems } = await readAptSources(config.cache.aptSources);
  for (const problem of problems) logger.warn(problem, 'apt sources: line skipped');
  const repositories = repositoriesFromSources(sources);
  if (repositories.length === 0) {
    logger.warn(
      { aptSources: config.cache.aptSources },
      'no http(s) repository in the apt sources and none in cache.repositories: the cache refuses every request',
    );
  }
  return repositories;
}

/** The IPv4 subnets of the named interfaces, as the kernel has them now. */
function interfaceSubnets(names: readonly string[]): Ipv4Subnet[] {
  const all = networkInterfaces();
  return names.flatMap((name) =>
    (all[name] ?? [])
      .filter((a) => a.family === 'IPv4' && a.cidr !== null)
      .map((a) => parseIpv4Interface(a.cidr ?? '').subnet),
  );
}
