import {
  type ActiveLeaseState,
  type ClientId,
  isActiveLeaseState,
  type Lease,
  type LeaseState,
} from '../inventory/lease.js';
import type { EpochMs } from '../inventory/time.js';
import { ipv4ToInt } from '../values/ipv4.js';
import { type CompiledSubnet, inPools } from './config.js';

/** What the store says about one address (the last lease row we saw for it). */
export interface AddressEntry {
  readonly clientId: ClientId;
  readonly state: LeaseState;
  readonly expiresAt: EpochMs;
}

/** An address on offer: held in memory only, by monotonic time (RFC 2131 §4.3.1 "SHOULD NOT reuse"). */
interface Hold {
  readonly clientId: ClientId;
  readonly until: number;
}

/**
 * The in-memory index of one subnet's addresses: loaded from the store at start and kept in step with every lease
 * the store returns, so allocation never queries the database. It is a cache: the store's constraints stay the
 * safety net (a commit that conflicts updates the index from the error and is never ACKed). Times: `now` is the
 * wall clock (lease expiry), `mono` the monotonic clock (offer holds).
 */
export class SubnetLeases {
  private readonly byAddress = new Map<number, AddressEntry>();
  private readonly activeByClient = new Map<ClientId, number>();
  private readonly previousByClient = new Map<ClientId, number>();
  private readonly declinedByClient = new Map<ClientId, Set<number>>();
  private readonly holds = new Map<number, Hold>();
  private readonly holdByClient = new Map<ClientId, number>();
  /** Pool addresses that have a row: when it equals the pool size, no address is untouched. */
  private touchedInPools = 0;
  private cursor = 0;

  constructor(readonly subnet: CompiledSubnet) {}

  /** Records a lease as the store returned it. */
  apply(lease: Lease): void {
    const address = ipv4ToInt(lease.address);
    const prior = this.byAddress.get(address);
    if (prior === undefined && inPools(this.subnet, address)) this.touchedInPools += 1;
    if (prior !== undefined) this.forget(address, prior.clientId);
    this.byAddress.set(address, {
      clientId: lease.clientId,
      state: lease.state,
      expiresAt: lease.expiresAt,
    });
    switch (lease.state) {
      case 'offered':
      case 'bound':
        this.activeByClient.set(lease.clientId, address);
        break;
      case 'released':
      case 'expired':
        this.rememberPrevious(lease.clientId, address, lease.expiresAt);
        break;
      case 'declined': {
        const set = this.declinedByClient.get(lease.clientId) ?? new Set<number>();
        set.add(address);
        this.declinedByClient.set(lease.clientId, set);
        break;
      }
    }
  }

  private forget(address: number, clientId: ClientId): void {
    if (this.activeByClient.get(clientId) === address) this.activeByClient.delete(clientId);
    if (this.previousByClient.get(clientId) === address) this.previousByClient.delete(clientId);
    const declined = this.declinedByClient.get(clientId);
    if (declined?.delete(address) === true && declined.size === 0) this.declinedByClient.delete(clientId);
  }

  // The store's findByClient returns the most recently changed released/expired lease; release and expiry set
  // expiresAt to the time of the change, so the latest expiry is the latest change.
  private rememberPrevious(clientId: ClientId, address: number, expiresAt: EpochMs): void {
    const current = this.previousByClient.get(clientId);
    const currentEntry = current === undefined ? undefined : this.byAddress.get(current);
    if (
      currentEntry === undefined ||
      currentEntry.clientId !== clientId ||
      currentEntry.expiresAt <= expiresAt
    ) {
      this.previousByClient.set(clientId, address);
    }
  }

  entry(address: number): AddressEntry | undefined {
    return this.byAddress.get(address);
  }

  /** The client's offered or bound address, and its state, if the store gave it one. */
  activeOf(clientId: ClientId): { address: number; state: ActiveLeaseState; expiresAt: EpochMs } | undefined {
    const address = this.activeByClient.get(clientId);
    if (address === undefined) return undefined;
    const entry = this.byAddress.get(address);
    if (entry?.clientId !== clientId || !isActiveLeaseState(entry.state)) return undefined;
    return { address, state: entry.state, expiresAt: entry.expiresAt };
  }

  /** The address of the client's last released or expired lease (RFC 2131 §4.3.1 "previous"). */
  previousOf(clientId: ClientId): number | undefined {
    return this.previousByClient.get(clientId);
  }

  /** Whether this client ever had a lease on the address (active, released or expired; not declined). */
  hadAddress(clientId: ClientId, address: number): boolean {
    const entry = this.byAddress.get(address);
    return entry?.clientId === clientId && entry.state !== 'declined';
  }

  /** Addresses this client declined that are still in probation (catalogue S11). */
  declinedCount(clientId: ClientId, now: EpochMs): number {
    let n = 0;
    for (const address of this.declinedByClient.get(clientId) ?? []) {
      const entry = this.byAddress.get(address);
      if (entry?.state === 'declined' && entry.expiresAt > now) n += 1;
    }
    return n;
  }

  /**
   * True if `clientId` may be given the address as far as leases and offers go: nobody else holds it (an active
   * lease or a probation that has not ended, or an offer still on hold), and it is not the client's own declined
   * address in probation. An active lease past its expiry counts as free (RFC 2131 §4.3.1: expired leases are
   * reused), even before the store has marked it expired.
   */
  isAvailable(address: number, clientId: ClientId, now: EpochMs, mono: number): boolean {
    const entry = this.byAddress.get(address);
    if (entry !== undefined && entry.expiresAt > now) {
      if (entry.state === 'declined') return false;
      if (isActiveLeaseState(entry.state) && entry.clientId !== clientId) return false;
    }
    const hold = this.holds.get(address);
    return hold === undefined || hold.clientId === clientId || hold.until <= mono;
  }

  /**
   * True when the store still has the address as someone's active lease, or as a declined one, past its expiry:
   * it must run `expire` before a commit can take the address over.
   */
  needsExpiry(address: number, clientId: ClientId, now: EpochMs): boolean {
    const entry = this.byAddress.get(address);
    if (entry === undefined || entry.expiresAt > now) return false;
    if (entry.state === 'declined') return true;
    return isActiveLeaseState(entry.state) && entry.clientId !== clientId;
  }

  /** Puts the address on offer to the client until `until` (monotonic), replacing the client's earlier hold. */
  hold(clientId: ClientId, address: number, until: number): void {
    this.endHold(clientId);
    this.holds.set(address, { clientId, until });
    this.holdByClient.set(clientId, address);
  }

  /** The address on offer to the client, if the hold has not run out. */
  holdOf(clientId: ClientId, mono: number): number | undefined {
    const address = this.holdByClient.get(clientId);
    if (address === undefined) return undefined;
    const hold = this.holds.get(address);
    if (hold?.clientId !== clientId || hold.until <= mono) {
      this.endHold(clientId);
      return undefined;
    }
    return address;
  }

  /** Ends the client's hold (it took the offer, took another server's, or declined). */
  endHold(clientId: ClientId): void {
    const address = this.holdByClient.get(clientId);
    if (address === undefined) return;
    this.holdByClient.delete(clientId);
    if (this.holds.get(address)?.clientId === clientId) this.holds.delete(address);
  }

  /** Drops holds that ran out; returns how many. */
  pruneHolds(mono: number): number {
    let n = 0;
    for (const [address, hold] of this.holds) {
      if (hold.until > mono) continue;
      this.holds.delete(address);
      if (this.holdByClient.get(hold.clientId) === address) this.holdByClient.delete(hold.clientId);
      n += 1;
    }
    return n;
  }

  /**
   * The next pool address `accept` takes, scanning from where the last search stopped (next fit: addresses are
   * not handed out again right after they are freed). Addresses that never had a lease come first, so a returning
   * client is likely to find its previous address still free (RFC 2131 §4.3.1 prefers it).
   */
  nextFree(accept: (address: number) => boolean): number | undefined {
    const size = this.subnet.poolSize;
    if (size === 0) return undefined;
    const untouchedLeft = this.touchedInPools < size;
    for (const fresh of untouchedLeft ? [true, false] : [false]) {
      for (let step = 0; step < size; step++) {
        const index = (this.cursor + step) % size;
        const address = this.addressAt(index);
        if (fresh && this.byAddress.has(address)) continue;
        if (!accept(address)) continue;
        this.cursor = (index + 1) % size;
        return address;
      }
    }
    return undefined;
  }

  private addressAt(index: number): number {
    let rest = index;
    for (const [start, end] of this.subnet.pools) {
      const length = end - start + 1;
      if (rest < length) return start + rest;
      rest -= length;
    }
    throw new Error(`pool index ${index} beyond ${this.subnet.poolSize} addresses`);
  }
}
