import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';

/**
 * 512 MiB: a Debian netboot tree's loaders, kernel and 41 MB initrd several times over (protocol-digest §5.4),
 * well under the memory of any machine that boots a rack.
 */
export const DEFAULT_HOT_CACHE_BYTES = 512 * 1024 * 1024;

/** A file held in memory for one transfer; `release` (idempotent) lets the cache evict it again. */
export interface CacheLease {
  readonly bytes: Uint8Array;
  release(): void;
}

export interface HotFileCacheOptions {
  /** Bytes of file content held at most, pinned entries included. */
  readonly capacityBytes?: number;
  /** Registers `fleetboot_tftp_cache_*` on this registry when given. */
  readonly metrics?: Metrics;
}

export interface HotFileCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
  /** Requests the cache declined (larger than the cap, or no room among pinned entries): streamed instead. */
  readonly bypasses: number;
  readonly evictions: number;
}

interface Entry {
  readonly key: string;
  readonly size: number;
  refs: number;
  bytes: Uint8Array | undefined;
  readonly loaded: Promise<Uint8Array>;
}

/**
 * Files many clients read at once (loaders, kernels, initrds: protocol-digest §4.5 "hundreds of clients fetch the
 * same 40–100 MB") read from disk once and shared. The caller keys an entry by what identifies one version of a
 * file (real path, device, inode, size, mtime), so a changed file is a new entry and the old one ages out.
 *
 * - Loads are shared: 300 clients asking at once cause one read.
 * - Bytes are bounded: entries in use are pinned; to make room, unpinned entries go in least-recently-used order.
 *   A file that does not fit (larger than the cap, or the rest is pinned) is declined with `undefined`, and the
 *   caller streams it with positional reads instead of buffering it per client.
 */
export class HotFileCache {
  private readonly capacity: number;
  /** In least- to most-recently-used order (Map keeps insertion order; a hit moves its entry to the end). */
  private readonly entries = new Map<string, Entry>();
  private used = 0;
  private counts = { hits: 0, misses: 0, bypasses: 0, evictions: 0 };
  private readonly requests: Counter<'outcome'> | undefined;

  constructor(options: HotFileCacheOptions = {}) {
    this.capacity = options.capacityBytes ?? DEFAULT_HOT_CACHE_BYTES;
    if (!Number.isSafeInteger(this.capacity) || this.capacity < 0) {
      throw new RangeError(`cache capacity ${this.capacity} is not a non-negative integer`);
    }
    this.requests = options.metrics === undefined ? undefined : this.register(options.metrics);
  }

  /**
   * The file `key` of `size` octets, loaded with `load` unless it is held already; `undefined` when the cache
   * declines it. A failed load fails every caller waiting for it and leaves nothing behind.
   */
  async acquire(key: string, size: number, load: () => Promise<Uint8Array>): Promise<CacheLease | undefined> {
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      this.count('hits', 'hit');
      this.entries.delete(key);
      this.entries.set(key, existing);
      return this.lease(existing);
    }
    if (size > this.capacity || !this.makeRoom(size)) {
      this.count('bypasses', 'bypass');
      return undefined;
    }
    this.count('misses', 'miss');
    const entry: Entry = {
      key,
      size,
      refs: 0,
      bytes: undefined,
      loaded: load().then((bytes) => {
        if (bytes.length !== size) throw new Error(`${key}: read ${bytes.length} octets, expected ${size}`);
        entry.bytes = bytes;
        return bytes;
      }),
    };
    this.entries.set(key, entry);
    this.used += size;
    entry.loaded.catch(() => {
      this.remove(entry);
    });
    return this.lease(entry);
  }

  stats(): HotFileCacheStats {
    return { entries: this.entries.size, bytes: this.used, ...this.counts };
  }

  private async lease(entry: Entry): Promise<CacheLease> {
    entry.refs += 1;
    let bytes: Uint8Array;
    try {
      bytes = await entry.loaded;
    } catch (error) {
      entry.refs -= 1;
      throw error;
    }
    let released = false;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        entry.refs -= 1;
      },
    };
  }

  /** Evicts unpinned, loaded entries, least recently used first, until `size` more octets fit. */
  private makeRoom(size: number): boolean {
    if (this.used + size <= this.capacity) return true;
    for (const entry of [...this.entries.values()]) {
      if (entry.refs > 0 || entry.bytes === undefined) continue;
      this.remove(entry);
      this.counts.evictions += 1;
      if (this.used + size <= this.capacity) return true;
    }
    return false;
  }

  private remove(entry: Entry): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.used -= entry.size;
  }

  private count(which: 'hits' | 'misses' | 'bypasses', outcome: string): void {
    this.counts[which] += 1;
    this.requests?.inc({ outcome });
  }

  private register(metrics: Metrics): Counter<'outcome'> {
    const stats = (): HotFileCacheStats => this.stats();
    new Gauge({
      name: 'fleetboot_tftp_cache_bytes',
      help: 'Octets of file content held by the TFTP hot-file cache (pinned entries included).',
      registers: [metrics],
      collect() {
        this.set(stats().bytes);
      },
    });
    return new Counter({
      name: 'fleetboot_tftp_cache_requests_total',
      help: 'TFTP file reads by cache outcome: hit, miss (loaded once, then shared), bypass (streamed from disk).',
      labelNames: ['outcome'],
      registers: [metrics],
    });
  }
}
