import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { fastify, LogController, type FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/** What `/healthz` reports: each component's state. Any `down` makes the answer 503 (for load balancers). */
export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly components: Readonly<Record<string, 'up' | 'down' | 'off'>>;
}

/** The fastify instance every HTTP-facing module registers its routes on. */
export type HttpApp = FastifyInstance<Server, IncomingMessage, ServerResponse>;

export interface HttpAppOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: () => HealthReport;
  readonly version: string;
}

/**
 * Timeouts against slow or idle clients (reliability-catalogue H04, L07; CVE-2018-12122). Node 20's defaults
 * (headersTimeout 60 s, requestTimeout 300 s) let a few hundred slowloris sockets hold the server; a booting
 * machine sends its whole request at once, so 10 s for headers and 30 s for a request are generous.
 */
export const HTTP_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 10_000,
  bodyLimitBytes: 1024 * 1024,
} as const;

/**
 * The one HTTP server of fleetboot: boot files, answer files, the API and the dashboard all mount on it (later
 * issues register their routes as plugins). This module owns only the transport: limits, health, metrics.
 */
export function buildHttpApp(options: HttpAppOptions): HttpApp {
  const app = fastify<Server, IncomingMessage, ServerResponse>({
    loggerInstance: options.logger,
    // One log line per request at info would drown the log during a rack power-on; onResponse logs at debug.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    bodyLimit: HTTP_LIMITS.bodyLimitBytes,
    // While draining on SIGTERM, new requests get 503 and idle keep-alive sockets are closed at once.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.server.headersTimeout = HTTP_LIMITS.headersTimeoutMs;
  app.server.maxConnections = HTTP_LIMITS.maxConnections;

  registerRequestMetrics(app, options.metrics);

  app.get('/healthz', (_request, reply) => {
    const report = options.health();
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.metrics();
    return reply.type(options.metrics.contentType).send(body);
  });

  app.get('/version', (_request, reply) => reply.send({ name: 'fleetboot', version: options.version }));

  return app;
}

function registerRequestMetrics(app: HttpApp, metrics: Metrics): void {
  const requests = new Counter({
    name: 'fleetboot_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status code.',
    labelNames: ['route', 'method', 'status'],
    registers: [metrics],
  });
  const duration = new Histogram({
    name: 'fleetboot_http_request_duration_seconds',
    help: 'Time from request start to response end, by route pattern.',
    labelNames: ['route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [metrics],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: token URLs must not become label values (catalogue S06).
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ route, method: request.method, status: String(reply.statusCode) });
    duration.observe({ route }, reply.elapsedTime / 1000);
    request.log.debug(
      { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'http request',
    );
  });
}
