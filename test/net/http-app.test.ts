import { afterEach, describe, expect, it } from 'vitest';
import { buildHttpApp, HTTP_LIMITS, type HealthReport, type HttpApp } from '../../src/net/http-app.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { memoryLogger } from '../support/logger.js';

let app: HttpApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function build(health: HealthReport = { status: 'ok', components: { http: 'up' } }) {
  const log = memoryLogger('info');
  app = buildHttpApp({
    logger: log.logger,
    metrics: createMetrics({ processMetrics: false }),
    health: () => health,
    version: '9.9.9',
  });
  return { app, log };
}

describe('HTTP app', () => {
  it('answers /healthz 200 with the components when all are up', async () => {
    const { app } = build();
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', components: { http: 'up' } });
  });

  it('answers /healthz 503 when degraded, so a load balancer stops sending', async () => {
    const { app } = build({ status: 'degraded', components: { http: 'up', store: 'down' } });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ components: { store: 'down' } });
  });

  it('exposes request metrics labelled by route pattern, never by raw URL', async () => {
    const { app } = build();
    app.get('/boot/:token/preseed.cfg', (_request, reply) =>
      reply.send('d-i debian-installer/locale string en_US'),
    );
    await app.ready();
    await app.inject({ method: 'GET', url: '/boot/s3cr3t-token-value/preseed.cfg' });
    await app.inject({ method: 'GET', url: '/no/such/path' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain(
      'fleetboot_http_requests_total{route="/boot/:token/preseed.cfg",method="GET",status="200"} 1',
    );
    expect(res.body).toContain('route="unmatched",method="GET",status="404"');
    expect(res.body).not.toContain('s3cr3t-token-value');
  });

  it('does not log one line per request at info level', async () => {
    const { app, log } = build();
    for (let i = 0; i < 20; i += 1) await app.inject({ method: 'GET', url: '/healthz' });
    expect(log.lines()).toHaveLength(0);
  });

  it('applies the slow-client limits to the Node server (catalogue H04)', () => {
    const { app } = build();
    expect(app.server.headersTimeout).toBe(HTTP_LIMITS.headersTimeoutMs);
    expect(app.server.requestTimeout).toBe(HTTP_LIMITS.requestTimeoutMs);
    expect(app.server.keepAliveTimeout).toBe(HTTP_LIMITS.keepAliveTimeoutMs);
    expect(app.server.maxConnections).toBe(HTTP_LIMITS.maxConnections);
    expect(HTTP_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(10_000);
  });

  it('reports its version', async () => {
    const { app } = build();
    const res = await app.inject({ method: 'GET', url: '/version' });
    expect(res.json()).toEqual({ name: 'fleetboot', version: '9.9.9' });
  });
});
