import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';

/**
 * The TFTP server's counters. Every datagram that reaches the listening port ends in exactly one of
 * `dropped{reason}` or a transfer that ends in `transfers{result}` (reliability-catalogue I5), so
 * `requests = dropped + transfers + in flight`.
 */
export interface TftpMetrics {
  readonly requests: Counter;
  /** Reasons: the `classifyRequest` ones (`parse:*`, `wrong-direction`, `write-request`), `busy`, `busy-client`, `duplicate-request`, `stopping`, `socket-error`. */
  readonly dropped: Counter<'reason'>;
  /** Results: ok, probe, error, timeout, aborted. */
  readonly transfers: Counter<'result'>;
  readonly inFlight: Gauge;
  /** DATA blocks and OACKs sent again (timeouts, and blocks after a gap in a window). */
  readonly retransmits: Counter;
  /** ACKs that acknowledged nothing new (catalogue T15 `tftp_dup_ack`): never answered. */
  readonly duplicateAcks: Counter;
  /** ERROR packets by code; `direction` sent (by us) or received (from a client). */
  readonly errors: Counter<'code' | 'direction'>;
  /** DATA payload octets sent, retransmissions included. */
  readonly bytes: Counter;
  /** Datagrams on a transfer's port that were not its client's ACK or ERROR, by reason. */
  readonly ignored: Counter<'reason'>;
}

const byRegistry = new WeakMap<Metrics, TftpMetrics>();

/** The metrics of a registry, registered once however many servers share it. */
export function tftpMetrics(registry: Metrics): TftpMetrics {
  const existing = byRegistry.get(registry);
  if (existing !== undefined) return existing;
  const registers = [registry];
  const created: TftpMetrics = {
    requests: new Counter({
      name: 'fleetboot_tftp_requests_total',
      help: 'Datagrams received on the TFTP listening port.',
      registers,
    }),
    dropped: new Counter({
      name: 'fleetboot_tftp_dropped_total',
      help: 'Datagrams on the TFTP listening port that started no transfer, by reason (some get an ERROR).',
      labelNames: ['reason'],
      registers,
    }),
    transfers: new Counter({
      name: 'fleetboot_tftp_transfers_total',
      help: 'TFTP read requests served, by result: ok, probe (EDK2 tsize probe), error, timeout, aborted.',
      labelNames: ['result'],
      registers,
    }),
    inFlight: new Gauge({
      name: 'fleetboot_tftp_transfers_in_flight',
      help: 'TFTP transfers in flight (bounded by tftp.maxTransfers).',
      registers,
    }),
    retransmits: new Counter({
      name: 'fleetboot_tftp_retransmits_total',
      help: 'TFTP DATA blocks and OACKs sent again.',
      registers,
    }),
    duplicateAcks: new Counter({
      name: 'fleetboot_tftp_duplicate_acks_total',
      help: 'TFTP ACKs that acknowledged nothing new; never answered (Sorcerer’s Apprentice, RFC 1123 §4.2.3.1).',
      registers,
    }),
    errors: new Counter({
      name: 'fleetboot_tftp_errors_total',
      help: 'TFTP ERROR packets by code, sent by fleetboot or received from clients.',
      labelNames: ['code', 'direction'],
      registers,
    }),
    bytes: new Counter({
      name: 'fleetboot_tftp_bytes_total',
      help: 'TFTP DATA payload octets sent, retransmissions included.',
      registers,
    }),
    ignored: new Counter({
      name: 'fleetboot_tftp_ignored_total',
      help: 'Datagrams on a TFTP transfer port that were not its client’s ACK or ERROR, by reason.',
      labelNames: ['reason'],
      registers,
    }),
  };
  byRegistry.set(registry, created);
  return created;
}
