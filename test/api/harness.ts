// An API on a fresh in-memory store, mounted on the real HTTP app (net/http-app.ts) as main.ts mounts it, with one
// token per role. Requests go through fastify's inject, or a real loopback socket where a test needs one.
import { onTestFinished } from 'vitest';
import { registerApi, type ApiDeps } from '../../src/api/index.js';
import type { AnyRoute } from '../../src/api/route.js';
import type { HealthReport } from '../../src/api/routes/system.js';
import { createApiToken } from '../../src/api/tokens.js';
import type { ApiRole } from '../../src/inventory/api-token.js';
import { buildHttpApp, type HttpApp } from '../../src/net/http-app.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { loadConfigText } from '../support/config-text.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';

export const SUBNET = '192.0.2.0/24';

export interface ApiHarness {
  readonly app: HttpApp;
  /** The route table the API serves. */
  readonly routes: readonly AnyRoute[];
  readonly store: Store;
  readonly metrics: Metrics;
  readonly clock: FakeClock;
  readonly logLines: () => Record<string, unknown>[];
  /** A working token per role, and the token named `revoked` (a viewer's, revoked). */
  readonly tokens: Readonly<Record<ApiRole | 'revoked', string>>;
  /** `Authorization` header for a token. */
  auth(token: string): { authorization: string };
}

export async function apiHarness(
  options: Partial<Pick<ApiDeps, 'authLimits' | 'eventStream'>> = {},
): Promise<ApiHarness> {
  const log = memoryLogger('debug');
  const { config } = loadConfigText(
    `dhcp:\n  subnets:\n    - subnet: ${SUBNET}\n      pools: [{start: 192.0.2.10, end: 192.0.2.20}]\n`,
  );
  const clock = new FakeClock();
  const store = await openStore('sqlite::memory:', { dataDir: config.dataDir, logger: log.logger });
  await store.migrate();
  const metrics = createMetrics({ processMetrics: false });
  const health = (): HealthReport => ({ status: 'ok', components: { http: 'up', store: store.health() } });
  const app = buildHttpApp({ logger: log.logger, metrics, health, version: '9.9.9' });
  const routes = registerApi(app, {
    store,
    config,
    logger: log.logger,
    metrics,
    health,
    version: '9.9.9',
    now: () => clock.now(),
    ...options,
  });
  onTestFinished(async () => {
    await app.close();
    await store.close();
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
    routes,
    store,
    metrics,
    clock,
    logLines: log.lines,
    tokens,
    auth: (token) => ({ authorization: `Bearer ${token}` }),
  };
}
