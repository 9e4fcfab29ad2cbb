import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';

/**
 * The DHCP transport's counters. Every datagram received ends in exactly one of `dropped{reason}` or
 * `replies{type}` (reliability-catalogue I5, after Kea's pkt4-receive-drop and pkt4-parse-failed), so
 * `received = dropped + replies` per interface once nothing is in flight.
 */
export interface DhcpTransportMetrics {
  readonly received: Counter<'interface' | 'port'>;
  /** Reasons: `parse:<DecodeError reason>`, `op`, `own-probe`, `peer-probe`, `too-big`, `overload`, `stopping`, `handler-error`, `send-error`, and the engine's own. */
  readonly dropped: Counter<'interface' | 'reason'>;
  /** Replies the kernel accepted, by type as the engine labels them (`DHCPOFFER`, `DHCPACK`, `DHCPNAK`). */
  readonly replies: Counter<'interface' | 'type'>;
  /** From receipt to the reply handed to the kernel (or to the engine's drop), for datagrams the engine saw. */
  readonly handlingSeconds: Histogram<'interface' | 'outcome'>;
  readonly inFlight: Gauge<'interface'>;
}

const byRegistry = new WeakMap<Metrics, DhcpTransportMetrics>();

/** The transport metrics of a registry, registered once however many listeners (one per interface) share it. */
export function dhcpTransportMetrics(registry: Metrics): DhcpTransportMetrics {
  const existing = byRegistry.get(registry);
  if (existing !== undefined) return existing;
  const registers = [registry];
  const created: DhcpTransportMetrics = {
    received: new Counter({
      name: 'fleetboot_dhcp_received_total',
      help: 'DHCP datagrams received, by interface and UDP port (67, 4011).',
      labelNames: ['interface', 'port'],
      registers,
    }),
    dropped: new Counter({
      name: 'fleetboot_dhcp_dropped_total',
      help: 'DHCP datagrams answered with nothing, by interface and reason (parse:* = refused by the decoder).',
      labelNames: ['interface', 'reason'],
      registers,
    }),
    replies: new Counter({
      name: 'fleetboot_dhcp_replies_total',
      help: 'DHCP replies sent, by interface and message type.',
      labelNames: ['interface', 'type'],
      registers,
    }),
    handlingSeconds: new Histogram({
      name: 'fleetboot_dhcp_handling_seconds',
      help: 'Time from receipt of a decoded request to its reply leaving (or its drop), by outcome.',
      labelNames: ['interface', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    inFlight: new Gauge({
      name: 'fleetboot_dhcp_in_flight',
      help: 'Decoded DHCP requests being handled, by interface (bounded by the listener; beyond: drop overload).',
      labelNames: ['interface'],
      registers,
    }),
  };
  byRegistry.set(registry, created);
  return created;
}
