import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per server instance (never prom-client's global one), so tests can start several servers in one
 * process and read each one's counters. Subsystems register their own metrics on it with the `fleetboot_` prefix.
 */
export type Metrics = Registry;

export function createMetrics({ processMetrics = true }: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'fleetboot_process_' });
  return registry;
}
