import type { BootFileTable } from '../boot/boot-file.js';
import type { ClientClass } from '../boot/classify.js';
import type { JsonObject } from '../inventory/json.js';
import type { Lease } from '../inventory/lease.js';
import type { EpochMs } from '../inventory/time.js';
import type { Clock } from '../net/clock.js';
import type { DhcpExchange } from '../net/dhcp-handler.js';
import type { Logger } from '../observability/logger.js';
import type { DhcpMessage } from '../protocol/dhcp4/index.js';
import type { LeaseStore } from '../store/types.js';
import { formatSubnet, type Ipv4 } from '../values/ipv4.js';
import type { SubnetLeases } from './address-index.js';
import type { AllocationContext, NakReason } from './allocate.js';
import type { CompiledSubnet } from './config.js';
import type { ClientIdentity } from './identity.js';
import type { DhcpEngineMetrics } from './metrics.js';
import type { DropReason } from './outcome.js';
import type { EncodedOutcome } from './reply.js';

/** Tunables of the full server; defaults in engine.ts. */
export interface LeasePolicy {
  /** How long an offered address stays reserved for its client without a commit (RFC 2131 §4.3.1). */
  readonly offerHoldMs: number;
  /** How long a declined address stays out of the pool (catalogue P5). */
  readonly probationMs: number;
  /** Addresses one client may have in probation before it is offered no more (catalogue S11). */
  readonly maxDeclinedPerClient: number;
}

/** Whether the last store call worked (catalogue P3: a failing store means no answers from the cache). */
export interface StoreHealth {
  ok: boolean;
}

/** What every handler of the engine shares. */
export interface EngineDeps {
  readonly store: LeaseStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: DhcpEngineMetrics | undefined;
  readonly bootFiles: BootFileTable;
  readonly policy: LeasePolicy;
  readonly health: StoreHealth;
  /**
   * LeaseStore.commit through the engine's group commit (group-commit.ts): same result and errors, but REQUESTs
   * that arrive together share one transaction.
   */
  readonly commit: (lease: Lease) => Promise<Lease>;
  /** Records a lease the store returned in the index of its subnet (a no-op for unconfigured subnets). */
  readonly applyLease: (lease: Lease) => void;
  /** Logs a warning at most once per interval per key (pool exhaustion, declines, foreign servers). */
  readonly warnEvery: (key: string, fields: object, message: string) => void;
}

/** One validated exchange: a client with an identity, on a subnet we serve. */
export interface ExchangeContext {
  readonly exchange: DhcpExchange;
  readonly request: DhcpMessage;
  readonly identity: ClientIdentity;
  readonly client: ClientClass;
  readonly subnet: CompiledSubnet;
  readonly leases: SubnetLeases;
  /** Our address as this client sees it: option 54, and siaddr when there is a boot file. */
  readonly serverAddress: Ipv4;
  /** The datagram's IP source, 0.0.0.0 when the client has no address yet. */
  readonly sourceAddress: Ipv4;
  readonly now: EpochMs;
  readonly mono: number;
  readonly alloc: AllocationContext;
}

/** What a handler decided: a reply, or nothing (with a reason), and what to add to the events. */
export type Decision =
  | { readonly kind: 'reply'; readonly reply: EncodedOutcome; readonly details: JsonObject }
  | { readonly kind: 'drop'; readonly reason: DropReason; readonly details: JsonObject };

export function dropDecision(reason: DropReason, details: JsonObject = {}): Decision {
  return { kind: 'drop', reason, details };
}

export function replyDecision(reply: EncodedOutcome, details: JsonObject): Decision {
  return { kind: 'reply', reply, details };
}

/** The NAK reason as a sentence for option 56 (RFC 2131 §4.3.2: "SHOULD" say why) and logs. */
export function nakMessage(reason: NakReason, subnet: CompiledSubnet): string {
  switch (reason) {
    case 'wrong-subnet':
      return `requested address is not on ${formatSubnet(subnet.subnet)}`;
    case 'reserved-elsewhere':
      return 'this client has a reserved address';
    case 'not-leasable':
      return 'requested address is not in a pool';
    case 'address-taken':
      return 'requested address is in use';
    case 'not-your-address':
      return 'requested address is not the lease of this client';
    case 'unknown-client':
      return 'no lease for this client';
    case 'no-requested-address':
      return 'no requested address';
    case 'address-conflict':
      return 'requested address was just taken';
  }
}
