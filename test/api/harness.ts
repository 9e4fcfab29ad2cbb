// An API on a fresh in-memory store, mounted on the real HTTP app (net/http-app.ts) as main.ts mounts it, with one
// token per role. Requests go through fastify's inject, or a real loopback socket where a test needs one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import type { ApiAuth } from '../../src/api/auth.js';
import { createApiAuth, registerApi, type ApiDeps } from '../../src/api/index.js';
import type { AnyRoute } from '../../src/api/route.js';
import type { HealthReport } from '../../src/api/routes/system.js';
import { createApiToken } from '../../src/api/tokens.js';
import type { ApiRole } from '../../src/inventory/api-token.js';
import { Catalog } from '../../src/catalog/catalog.js';
import { Lifecycle } from '../../src/provision/lifecycle.js';
import { buildHttpApp, type HttpApp } from '../../src/net/http-app.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import type { MachineId } from '../../src/inventory/machine.js';
import type { Mac } from '../../src/values/mac.js';
import { writeTree } from '../catalog/support.js';
import { loadConfigText } from '../support/config-text.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';

export const SUBNET = '192.0.2.0/24';
/** A canary secret (catalogue I7): a password hash in a profile's variables, which no response may carry. */
export const CANARY_HASH = '$6$canarysalt$Zm9vYmFyY2FuYXJ5aGFzaHZhbHVlMTIzNDU2Nzg5';
export const CANARY_KEY = 'canary-api-key-value-0451';

const CONFIG = `
dhcp:
  subnets:
    - subnet: ${SUBNET}
      pools: [{start: 192.0.2.10, end: 192.0.2.20}]
profiles:
  - name: debian12
    os: debian-12-amd64
    template: debian-preseed
    variables:
      users: [{name: root, hash: '${CANARY_HASH}'}]
      mirrorApiKey: ${CANARY_KEY}
      locale: en_US.UTF-8
rules:
  - name: rack-r1
    match: {labels: {rack: r1}, subnet: ${SUBNET}}
    profile: debian12
`;

/** What a test mounts beside the API on the same app (the dashboard), before the app is ready. */
export interface HarnessParts {
  readonly app: HttpApp;
  readonly store: Store;
  readonly config: ApiDeps['config'];
  readonly lifecycle: Lifecycle;
  readonly catalog: Catalog;
  readonly routes: readonly AnyRoute[];
  readonly auth: ApiAuth;
  readonly clock: FakeClock;
  readonly logger: ReturnType<typeof memoryLogger>['logger'];
}

export interface ApiHarness {
  readonly app: HttpApp;
  /** The authentication the API uses (shared with what `mount` added). */
  readonly apiAuth: ApiAuth;
  /** The route table the API serves. */
  readonly routes: readonly AnyRoute[];
  readonly store: Store;
  readonly metrics: Metrics;
  readonly clock: FakeClock;
  readonly catalog: Catalog;
  readonly lifecycle: Lifecycle;
  readonly bootRoot: string;
  readonly logLines: () => Record<string, unknown>[];
  /** A working token per role, and the token named `revoked` (a viewer's, revoked). */
  readonly tokens: Readonly<Record<ApiRole | 'revoked', string>>;
  /** `Authorization` header for a token. */
  auth(token: string): { authorization: string };
}

export async function apiHarness(
  options: Partial<Pick<ApiDeps, 'authLimits' | 'eventStream' | 'cacheSavings'>> & {
    /** What the API sees of the store, e.g. a FailingStore over the real one. */
    readonly apiStore?: (real: Store) => Store;
    /** Mounts more on the app before it is ready (the dashboard, sharing the API's authentication). */
    readonly mount?: (parts: HarnessParts) => void;
    /** The configuration text; default CONFIG. */
    readonly config?: string;
  } = {},
): Promise<ApiHarness> {
  const log = memoryLogger('debug');
  const { config } = loadConfigText(options.config ?? CONFIG);
  const clock = new FakeClock();
  const store = await openStore('sqlite::memory:', { dataDir: config.dataDir, logger: log.logger });
  await store.migrate();
  const metrics = createMetrics({ processMetrics: false });
  const now = () => clock.now();
  const lifecycle = new Lifecycle({
    store,
    secret: randomBytes(32),
    now,
    markTtlMs: config.install.markTtlMs,
    profiles: config.profiles,
    rules: config.rules,
    logger: log.logger,
  });
  const bootRoot = mkdtempSync(path.join(tmpdir(), 'fleetboot-api-boot-'));
  const catalog = new Catalog({ bootRoot, logger: log.logger, now });
  const health = (): HealthReport => ({ status: 'ok', components: { http: 'up', store: store.health() } });
  const app = buildHttpApp({ logger: log.logger, metrics, health, version: '9.9.9' });
  const { apiStore, mount, config: _text, ...apiOptions } = options;
  const apiSees = apiStore === undefined ? store : apiStore(store);
  const auth = createApiAuth({
    store: apiSees,
    logger: log.logger,
    metrics,
    now,
    ...(apiOptions.authLimits === undefined ? {} : { authLimits: apiOptions.authLimits }),
  });
  const routes = registerApi(app, {
    store: apiSees,
    auth,
    config,
    logger: log.logger,
    metrics,
    health,
    version: '9.9.9',
    now,
    lifecycle,
    catalog,
    ...apiOptions,
  });
  mount?.({ app, store, config, lifecycle, catalog, routes, auth, clock, logger: log.logger });
  onTestFinished(async () => {
    await app.close();
    await store.close();
    rmSync(bootRoot, { recursive: true, force: true });
  });
  await app.ready();
  const tokens = {
    viewer: (await createApiToken(store.tokens, { name: 'viewer', role: 'viewer', createdBy: 'test' }))
      .secret,
    operator: (await createApiToken(store.tokens, { name: 'operator', role: 'operator', createdBy: 'test' }))
      .secret,
    admin: (await createApiToken(store.tokens, { name: 'admin', role: 'admin', createdBy: 'test' })).secret,
    revoked: (await createApiToken(store.tokens, { name: 'revoked', role: 'admin', createdBy: 'test' }))
      .secret,
  };
  await store.tokens.revoke('revoked');
  return {
    app,
    apiAuth: auth,
    routes,
    store,
    metrics,
    clock,
    catalog,
    lifecycle,
    bootRoot,
    logLines: log.lines,
    tokens,
    auth: (token) => ({ authorization: `Bearer ${token}` }),
  };
}

/** A machine as a booting client would enrol it, with the labels given. */
export async function machine(h: ApiHarness, n = 1, labels: Record<string, string> = {}): Promise<MachineId> {
  const mac = `52:54:00:00:00:${n.toString(16).padStart(2, '0')}` as Mac;
  const { machine: enrolled } = await h.store.inventory.recordContact({ mac });
  if (Object.keys(labels).length > 0) await h.store.inventory.setLabels(enrolled.id, labels);
  return enrolled.id;
}

/** A machine taken through the lifecycle to `state`, as the installer's callbacks would. */
export async function machineIn(
  h: ApiHarness,
  state: 'ready' | 'queued' | 'installed',
  n = 1,
): Promise<MachineId> {
  const id = await machine(h, n);
  await h.lifecycle.assign(id, 'debian12', 'test');
  if (state === 'ready') return id;
  const { token, machine: marked } = await h.lifecycle.markInstall(id, { actor: 'test' });
  if (state === 'queued') return id;
  await h.lifecycle.answerServed(marked, { address: '192.0.2.10', file: 'preseed.cfg', token });
  await h.lifecycle.installDone(token, { address: '192.0.2.10' });
  return id;
}

/** Imports a small Debian netboot tree as the image `debian-12-amd64`. */
export async function importImage(h: ApiHarness): Promise<void> {
  const tree = writeTree(path.join(h.bootRoot, '..', `${path.basename(h.bootRoot)}-tree`), {
    'version.info': 'Debian version:  12 (bookworm)\nInstaller build: 20230607+deb12u15\n',
    'debian-installer/amd64/linux': 'kernel bytes',
    'debian-installer/amd64/initrd.gz': 'initrd bytes',
  });
  await h.catalog.import({ source: tree, replace: true });
  rmSync(tree, { recursive: true, force: true });
}
