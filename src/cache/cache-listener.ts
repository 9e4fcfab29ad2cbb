import { createServer, type Server } from 'node:http';
import type { Logger } from '../observability/logger.js';
import type { Service } from '../net/supervisor.js';
import type { PackageCache } from './package-cache.js';

export interface CacheListenerOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly cache: PackageCache;
  readonly logger: Logger;
}

/**
 * Limits for the cache's own listener. Headers must arrive quickly (slowloris, catalogue H04), but a response
 * may take as long as the file does: a 300 MB installer image to a busy rack is minutes, so there is no
 * overall request or socket timeout, only the idle keep-alive one.
 */
export const CACHE_HTTP_LIMITS = {
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 15_000,
  maxConnections: 10_000,
  /** A connection on which nothing moves this long is closed (a client that stopped reading holds nothing). */
  idleTimeoutMs: 120_000,
  /** Under the supervisor's 10 s stop limit. */
  drainMs: 7_000,
} as const;

/**
 * The package cache on a listener of its own (port 3142 by default, the port apt-cacher-ng made the
 * convention): clients configure it as an HTTP proxy (`Acquire::http::Proxy`, d-i `mirror/http/proxy`), and a
 * proxy wants absolute-URI requests and long downloads, which do not belong in the API server's limits.
 */
export function createCacheListener(options: CacheListenerOptions): Service & { address(): string } {
  const { cache, logger } = options;
  let server: Server | undefined;
  let bound = `${options.listen.host}:${options.listen.port}`;
  return {
    name: 'cache',
    async start(fail) {
      await cache.open();
      const s = createServer(
        { requestTimeout: 0, keepAliveTimeout: CACHE_HTTP_LIMITS.keepAliveTimeoutMs },
        (req, res) => {
          cache.handle(req, res);
        },
      );
      s.headersTimeout = CACHE_HTTP_LIMITS.headersTimeoutMs;
      s.maxConnections = CACHE_HTTP_LIMITS.maxConnections;
      s.setTimeout(CACHE_HTTP_LIMITS.idleTimeoutMs);
      // CONNECT would tunnel anywhere: fleetboot is not an open proxy, and https cannot be cached anyway.
      s.on('connect', (_req, socket) => {
        socket.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(options.listen.port, options.listen.host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      const address = s.address();
      if (address !== null && typeof address === 'object') bound = `${address.address}:${address.port}`;
      s.once('error', fail);
      server = s;
      logger.info({ listen: bound }, 'package cache listening');
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      // Drain (catalogue F03): no new connections, idle ones closed, downloads in flight get a grace period;
      // then running upstream fetches are aborted (their temp files removed) and the rest cut.
      const closed = new Promise<void>((resolve) =>
        s.close(() => {
          resolve();
        }),
      );
      s.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        closed,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CACHE_HTTP_LIMITS.drainMs))),
      ]);
      clearTimeout(timer);
      await cache.close();
      s.closeAllConnections();
      await closed;
    },
    address: () => bound,
  };
}
