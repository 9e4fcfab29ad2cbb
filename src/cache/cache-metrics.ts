import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';
import type { CacheSavings } from '../values/cache-savings.js';

/** How one request was answered; the label of fleetboot_cache_requests_total. */
export type CacheOutcome =
  /** From a kept file, no upstream traffic. */
  | 'hit'
  /** A kept index file, after upstream answered 304 Not Modified. */
  | 'revalidated'
  /** Started an upstream fetch. */
  | 'miss'
  /** Joined an upstream fetch another request started (the bytes cross the uplink once). */
  | 'coalesced'
  | 'refused'
  | 'upstream-error';

export interface CacheMetrics {
  request(outcome: CacheOutcome): void;
  upstreamBytes(bytes: number): void;
  servedBytes(bytes: number): void;
  rejected(reason: string): void;
  evicted(bytes: number): void;
  stored(bytes: number, files: number): void;
  /** The same counts as the Prometheus series, for the API, the dashboard and `fleetboot status`. */
  savings(): CacheSavings;
}

/**
 * The saving in numbers (issue 7 item 5): upstream bytes against served bytes, and requests by outcome, so
 * "1 upstream copy, 480 served" is `coalesced + hit` against `miss`.
 */
export function createCacheMetrics(registry: Metrics): CacheMetrics {
  const requests = new Counter({
    name: 'fleetboot_cache_requests_total',
    help: 'Package cache requests by outcome: hit, revalidated, miss, coalesced, refused, upstream-error.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const upstream = new Counter({
    name: 'fleetboot_cache_upstream_bytes_total',
    help: 'Bytes received from upstream mirrors.',
    registers: [registry],
  });
  const served = new Counter({
    name: 'fleetboot_cache_served_bytes_total',
    help: 'Bytes of file content sent to clients (hits and misses).',
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'fleetboot_cache_rejected_downloads_total',
    help:
      'Upstream downloads not kept because they failed a check (size and sha256: against the listing or index ' +
      'that names the file): truncated, oversize, size, sha256, upstream, disk.',
    labelNames: ['reason'],
    registers: [registry],
  });
  const evictions = new Counter({
    name: 'fleetboot_cache_evicted_bytes_total',
    help: 'Bytes evicted to keep the cache under its quota (least recently used first).',
    registers: [registry],
  });
  const storedBytes = new Gauge({
    name: 'fleetboot_cache_stored_bytes',
    help: 'Bytes of files the cache holds.',
    registers: [registry],
  });
  const storedFiles = new Gauge({
    name: 'fleetboot_cache_stored_files',
    help: 'Files the cache holds.',
    registers: [registry],
  });
  // Plain numbers beside the prom-client series: reading a Counter back is async and registry-wide.
  const totals = {
    upstreamCopies: 0,
    served: 0,
    upstreamBytes: 0,
    servedBytes: 0,
    storedFiles: 0,
    storedBytes: 0,
  };
  return {
    request: (outcome) => {
      requests.inc({ outcome });
      if (outcome === 'miss') totals.upstreamCopies += 1;
      if (outcome === 'hit' || outcome === 'revalidated' || outcome === 'miss' || outcome === 'coalesced') {
        totals.served += 1;
      }
    },
    upstreamBytes: (bytes) => {
      upstream.inc(bytes);
      totals.upstreamBytes += bytes;
    },
    servedBytes: (bytes) => {
      served.inc(bytes);
      totals.servedBytes += bytes;
    },
    rejected: (reason) => {
      rejected.inc({ reason });
    },
    evicted: (bytes) => {
      evictions.inc(bytes);
    },
    stored: (bytes, files) => {
      storedBytes.set(bytes);
      storedFiles.set(files);
      totals.storedBytes = bytes;
      totals.storedFiles = files;
    },
    savings: () => ({ ...totals }),
  };
}
