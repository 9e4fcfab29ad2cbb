import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';

/**
 * The engine's own metrics. Drops and replies are counted by the transport from the outcomes the engine returns
 * (net/dhcp-metrics.ts), so they are not counted again here.
 */
export interface DhcpEngineMetrics {
  /**
   * Lease commits by result: `committed`, `conflict` (LeaseConflictError: the store's constraint held), `busy`
   * (another writer held the database), `failed`.
   */
  readonly commits: Counter<'result'>;
  readonly commitSeconds: Histogram;
  /**
   * Another DHCP server's OFFERs and ACKs seen while we are the DHCP server (catalogue D05 `rogue_dhcp_seen`, S10),
   * by interface and how: `probe` (the periodic probe, dhcp/probe/rogue-watch.ts) or `server-port` (a BOOTREPLY
   * sent to our port 67).
   */
  readonly rogueSeen: Counter<'interface' | 'via'>;
  /** Other DHCP servers the last probe of the interface found: alert while it is above 0. */
  readonly rogueServers: Gauge<'interface'>;
  /** Addresses put in probation after a DHCPDECLINE (catalogue P5). */
  readonly declines: Counter;
  /** Events and contacts not written: the queue was full or the store failed. */
  readonly eventsLost: Counter;
}

const byRegistry = new WeakMap<Metrics, DhcpEngineMetrics>();

/** Registered once per registry, however many engines share it. */
export function dhcpEngineMetrics(registry: Metrics): DhcpEngineMetrics {
  const existing = byRegistry.get(registry);
  if (existing !== undefined) return existing;
  const registers = [registry];
  const created: DhcpEngineMetrics = {
    commits: new Counter({
      name: 'fleetboot_dhcp_lease_commits_total',
      help: 'Lease commits before a DHCPACK, by result (committed, conflict, busy, failed).',
      labelNames: ['result'],
      registers,
    }),
    commitSeconds: new Histogram({
      name: 'fleetboot_dhcp_lease_commit_seconds',
      help: 'Time to commit a lease durably, the only store write before a DHCPACK.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    rogueSeen: new Counter({
      name: 'fleetboot_dhcp_rogue_dhcp_seen_total',
      help:
        'Another DHCP server seen leasing on a segment fleetboot serves in mode full, by interface and via ' +
        '(probe: found by the periodic probe; server-port: its BOOTREPLY reached port 67).',
      labelNames: ['interface', 'via'],
      registers,
    }),
    rogueServers: new Gauge({
      name: 'fleetboot_dhcp_rogue_servers',
      help: 'Other DHCP servers the last probe of the interface found leasing there (mode full); 0 is healthy.',
      labelNames: ['interface'],
      registers,
    }),
    declines: new Counter({
      name: 'fleetboot_dhcp_declines_total',
      help: 'Addresses put in probation because a client declined them (address in use).',
      registers,
    }),
    eventsLost: new Counter({
      name: 'fleetboot_dhcp_events_lost_total',
      help: 'DHCP events and inventory contacts not written (queue full or store failure).',
      registers,
    }),
  };
  byRegistry.set(registry, created);
  return created;
}
