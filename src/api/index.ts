// The one entry point main.ts calls: builds the route table from what the server has and mounts it at /api/v1.
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../catalog/catalog.js';
import type { FleetbootConfig } from '../config/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Lifecycle } from '../provision/lifecycle.js';
import type { Store } from '../store/types.js';
import type { CacheSavings } from '../values/cache-savings.js';
import { ApiAuth } from './auth.js';
import type { FailureLimiterOptions } from './failure-limiter.js';
import { mountApi } from './plugin.js';
import type { AnyRoute } from './route.js';
import {
  DEFAULT_EVENT_STREAM,
  EventStreams,
  eventStreamRoutes,
  type EventStreamOptions,
} from './routes/event-stream.js';
import { captureRoutes } from './routes/capture.js';
import { configRoutes } from './routes/config.js';
import { imageRoutes } from './routes/images.js';
import { leaseRoutes } from './routes/leases.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import { logRoutes } from './routes/logs.js';
import { machineRoutes } from './routes/machines.js';
import { statusRoutes } from './routes/status.js';
import { systemRoutes, type HealthReport } from './routes/system.js';
import { tokenRoutes } from './routes/tokens.js';

export interface ApiDeps {
  readonly store: Store;
  readonly config: FleetbootConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: () => HealthReport;
  readonly version: string;
  /** The install lifecycle every machine command goes through (shared with the installer callbacks). */
  readonly lifecycle: Lifecycle;
  readonly catalog: Catalog;
  /** What the package cache saved since start; absent when the cache is off (GET /status says null). */
  readonly cacheSavings?: () => CacheSavings;
  /** Wall-clock ms: the authentication rate limit's windows. */
  readonly now: () => number;
  readonly authLimits?: Partial<Omit<FailureLimiterOptions, 'now'>>;
  /**
   * Authentication, when it is shared with the dashboard (one failure limit for both doors); made from the
   * options above otherwise.
   */
  readonly auth?: ApiAuth;
  readonly eventStream?: Partial<EventStreamOptions>;
}

/** Every route of /api/v1, in the order the docs list them. */
export function apiRoutes(deps: ApiDeps, streams: EventStreams): readonly AnyRoute[] {
  const table: AnyRoute[] = [];
  table.push(
    ...machineRoutes(deps.store, () => deps.now()),
    ...statusRoutes(deps.store, deps.cacheSavings),
    ...lifecycleRoutes(deps.lifecycle),
    ...logRoutes(deps.store),
    ...captureRoutes(deps.store),
    ...eventStreamRoutes(deps.store, streams, { ...DEFAULT_EVENT_STREAM, ...deps.eventStream }, deps.logger),
    ...leaseRoutes(deps.store, deps.config.dhcp),
    ...configRoutes(deps.config.profiles, deps.config.rules),
    ...imageRoutes(deps.catalog),
    ...tokenRoutes(deps.store),
    ...systemRoutes({ health: deps.health, version: deps.version, table: () => table }),
  );
  return table;
}

/** Mounts /api/v1 on the server's fastify instance (before it listens); returns the route table it serves. */
export function registerApi(app: FastifyInstance, deps: ApiDeps): readonly AnyRoute[] {
  const streams = new EventStreams();
  const routes = apiRoutes(deps, streams);
  mountApi(app, {
    routes,
    store: deps.store,
    logger: deps.logger,
    auth: deps.auth ?? createApiAuth(deps),
    onClose: () => {
      streams.closeAll();
    },
  });
  return routes;
}

/** The API's authentication, to share with the dashboard (main.ts passes it to both). */
export function createApiAuth(
  deps: Pick<ApiDeps, 'store' | 'logger' | 'metrics' | 'now' | 'authLimits'>,
): ApiAuth {
  return new ApiAuth({
    store: deps.store,
    logger: deps.logger,
    metrics: deps.metrics,
    now: deps.now,
    ...(deps.authLimits === undefined ? {} : { limits: deps.authLimits }),
  });
}
