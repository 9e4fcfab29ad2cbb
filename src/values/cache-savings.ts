/**
 * What the package cache saved (issue 7 item 5), in the one shape the API, the dashboard and `fleetboot status`
 * show: "1 upstream copy, 480 served". Counted since the server started, like the Prometheus counters beside it.
 */
export interface CacheSavings {
  /** Files fetched from an upstream mirror (cache misses): the copies that crossed the uplink. */
  readonly upstreamCopies: number;
  /** Requests answered with content: hits, revalidated indexes, misses, and requests that joined a fetch. */
  readonly served: number;
  readonly upstreamBytes: number;
  readonly servedBytes: number;
  /** Files and bytes the cache holds on disk now. */
  readonly storedFiles: number;
  readonly storedBytes: number;
}

/** "12 upstream copies, 5760 served (1.2 GiB in, 540.3 GiB out)" — plain ASCII, for a terminal or a page. */
export function describeCacheSavings(savings: CacheSavings): string {
  const copies = `${String(savings.upstreamCopies)} upstream ${savings.upstreamCopies === 1 ? 'copy' : 'copies'}`;
  const bytes = `${formatBytes(savings.upstreamBytes)} in, ${formatBytes(savings.servedBytes)} out`;
  return `${copies}, ${String(savings.served)} served (${bytes})`;
}

/** Binary units with one decimal above a KiB: "0 B", "512 B", "1.5 KiB", "40.2 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${String(value)} B` : `${value.toFixed(1)} ${units[unit] ?? 'TiB'}`;
}
