import type { EpochMs } from '../inventory/time.js';
import type { Ipv4 } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';

/** A client's address as seen in its DHCP traffic, and the address of fleetboot it talked to. */
export interface BootAddress {
  readonly mac: Mac;
  readonly address: Ipv4;
  /** Option 54 / siaddr of fleetboot's answer: where the client reaches fleetboot. */
  readonly serverAddress: Ipv4;
  readonly at: EpochMs;
  /**
   * Two MACs claimed this address, or this MAC moved here from another address, within the conflict window:
   * one of the claims may be forged, so nothing that carries an install token goes to it (review finding 3).
   */
  readonly contested?: boolean;
}

/** Two claims that cannot both be true: told to provisioning.ts, which audits and logs it. */
export interface BootAddressConflict {
  readonly address: Ipv4;
  readonly mac: Mac;
  /** The MAC that claimed the address before (`address-claimed`), or the address the MAC had (`mac-moved`). */
  readonly kind: 'address-claimed' | 'mac-moved';
  readonly previous: Mac | Ipv4;
}

/** What the DHCP engine tells the book: the seam between dhcp/ and whoever keeps addresses (main.ts wires it). */
export type BootAddressSink = (seen: Omit<BootAddress, 'at'>) => void;

export interface BootAddressBookOptions {
  readonly now: () => number;
  /**
   * How long an entry is kept after it was last seen. Default 2 hours: a whole install, from PXE to callback.
   * provisioning.ts keeps entries as long as the longest install mark, and decides itself how old an entry may
   * be for a machine that is not marked (provision/boot-clients.ts).
   */
  readonly ttlMs?: number;
  /** Entries kept at most; the least recently seen goes first. Default 16 384. */
  readonly maxEntries?: number;
  /** How long after two conflicting claims the address stays contested. Default 2 hours: one install. */
  readonly conflictWindowMs?: number;
  readonly onConflict?: (conflict: BootAddressConflict) => void;
}

/**
 * In proxyDHCP mode fleetboot holds no lease, yet it must know which address a machine boots from: a config or
 * answer file that carries an install token is served only there (issue 5 item 6, catalogue S04). The book keeps,
 * per MAC, the last address DHCP showed: the `ciaddr` (or source) of its port-4011 REQUEST, or the address it
 * asked the site's server for in a broadcast REQUEST on port 67 (RFC 2131 §4.3.2, option 50) — iPXE and BIOS PXE
 * ROMs take the proxy offer as it is and never come to 4011 (protocol-digest §2.5). Like everything in proxy mode
 * it rests on what clients say; in full mode the lease store is the authority and the book is not consulted.
 *
 * In memory, bounded in size and age: a restart forgets it, and the next DHCP exchange fills it again.
 */
export class BootAddressBook {
  private readonly byMacs = new Map<Mac, BootAddress>();
  /** The MAC that last claimed each address. */
  private readonly byAddresses = new Map<Ipv4, Mac>();
  /** When each contested address was last contested. */
  private readonly contestedAt = new Map<Ipv4, EpochMs>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly conflictWindowMs: number;

  constructor(private readonly options: BootAddressBookOptions) {
    this.ttlMs = options.ttlMs ?? 2 * 3600_000;
    this.maxEntries = options.maxEntries ?? 16_384;
    this.conflictWindowMs = options.conflictWindowMs ?? 2 * 3600_000;
  }

  /** The sink to give the DHCP engine. */
  readonly record: BootAddressSink = (seen) => {
    const now = this.options.now();
    const recent = (entry: BootAddress | undefined) =>
      entry !== undefined && now - entry.at < this.conflictWindowMs;
    const claimant = this.byAddresses.get(seen.address);
    const before = this.byMacs.get(seen.mac);
    if (claimant !== undefined && claimant !== seen.mac && recent(this.byMacs.get(claimant))) {
      this.contest(seen.address, now, {
        address: seen.address,
        mac: seen.mac,
        kind: 'address-claimed',
        previous: claimant,
      });
    } else if (before !== undefined && before.address !== seen.address && recent(before)) {
      this.contest(seen.address, now, {
        address: seen.address,
        mac: seen.mac,
        kind: 'mac-moved',
        previous: before.address,
      });
    }
    this.byMacs.delete(seen.mac); // re-inserted last: Map order is the eviction order
    this.byMacs.set(seen.mac, { ...seen, at: now });
    this.byAddresses.set(seen.address, seen.mac);
    for (const [oldest, entry] of this.byMacs) {
      if (this.byMacs.size <= this.maxEntries) break;
      this.forget(oldest, entry);
    }
  };

  /** The address the MAC last booted from, while it is fresh. */
  byMac(mac: Mac): BootAddress | undefined {
    const entry = this.byMacs.get(mac);
    if (entry === undefined) return undefined;
    if (this.options.now() - entry.at >= this.ttlMs) {
      this.forget(mac, entry);
      return undefined;
    }
    return entry;
  }

  /**
   * The client last seen at `address` (the most recent claim, when several MACs made one), while fresh;
   * `contested` while a conflicting claim is recent.
   */
  byAddress(address: Ipv4): BootAddress | undefined {
    const mac = this.byAddresses.get(address);
    if (mac === undefined) return undefined;
    const entry = this.byMac(mac);
    if (entry?.address !== address) return undefined;
    const contested = this.contestedAt.get(address);
    if (contested === undefined) return entry;
    if (this.options.now() - contested < this.conflictWindowMs) return { ...entry, contested: true };
    this.contestedAt.delete(address);
    return entry;
  }

  private contest(address: Ipv4, now: EpochMs, conflict: BootAddressConflict): void {
    this.contestedAt.delete(address); // bounded like the entries: the oldest contest goes first
    this.contestedAt.set(address, now);
    for (const oldest of this.contestedAt.keys()) {
      if (this.contestedAt.size <= this.maxEntries) break;
      this.contestedAt.delete(oldest);
    }
    this.options.onConflict?.(conflict);
  }

  private forget(mac: Mac, entry: BootAddress): void {
    this.byMacs.delete(mac);
    if (this.byAddresses.get(entry.address) === mac) this.byAddresses.delete(entry.address);
  }
}
