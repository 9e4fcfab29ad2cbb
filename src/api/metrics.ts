// The API's metrics, and the gauge of machines per state (issue 6, item 6). TFTP transfers in flight and the
// DHCP and TFTP drops by reason are counted where they happen (net/tftp-metrics.ts, net/dhcp-metrics.ts).
import { Counter, Gauge } from 'prom-client';
import { MACHINE_STATES } from '../inventory/machine.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { InventoryStore } from '../store/types.js';

export interface ApiMetrics {
  /** Reasons: missing, malformed, unknown (no such token, or revoked), forbidden (role too low), rate-limited. */
  readonly authFailures: Counter<'reason'>;
}

const byRegistry = new WeakMap<Metrics, ApiMetrics>();

/** Registered once per registry, however many times the API is mounted on it. */
export function apiMetrics(registry: Metrics, inventory: InventoryStore, logger: Logger): ApiMetrics {
  const existing = byRegistry.get(registry);
  if (existing !== undefined) return existing;
  const created: ApiMetrics = {
    authFailures: new Counter({
      name: 'fleetboot_api_auth_failures_total',
      help: 'API requests refused for their credentials, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
  new Gauge({
    name: 'fleetboot_machines',
    help: 'Machines in the inventory by install state, counted from the store on each scrape.',
    labelNames: ['state'],
    registers: [registry],
    // Counted on scrape rather than tracked on each change: the store is the truth (several servers may share
    // it), and one indexed count per scrape interval costs nothing.
    async collect() {
      try {
        const counts = await inventory.countByState();
        for (const state of MACHINE_STATES) this.set({ state }, counts[state]);
      } catch (error) {
        // A scrape while the database is away shows no machine counts rather than stale ones or a failed scrape.
        this.reset();
        logger.debug({ err: error }, 'machine counts unavailable for this scrape');
      }
    },
  });
  byRegistry.set(registry, created);
  return created;
}
