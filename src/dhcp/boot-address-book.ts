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
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(private readonly options: BootAddressBookOptions) {
    this.ttlMs = options.ttlMs ?? 2 * 3600_000;
    this.maxEntries = options.maxEntries ?? 16_384;
  }

  /** The sink to give the DHCP engine. */
  readonly record: BootAddressSink = (seen) => {
    this.byMacs.delete(seen.mac); // re-inserted last: Map order is the eviction order
    this.byMacs.set(seen.mac, { ...seen, at: this.options.now() });
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

  /** The client last seen at `address` (the most recent claim, when several MACs made one), while fresh. */
  byAddress(address: Ipv4): BootAddress | undefined {
    const mac = this.byAddresses.get(address);
    if (mac === undefined) return undefined;
    const entry = this.byMac(mac);
    return entry?.address === address ? entry : undefined;
  }

  private forget(mac: Mac, entry: BootAddress): void {
    this.byMacs.delete(mac);
    if (this.byAddresses.get(entry.address) === mac) this.byAddresses.delete(entry.address);
  }
}
