import type { BootClient } from '../boot/boot-plan.js';
import type { DHCP_MODES } from '../config/enums.js';
import type { Machine } from '../inventory/machine.js';
import type { InventoryStore, LeaseStore } from '../store/types.js';
import { type Ipv4, type Ipv4Subnet, peerIpv4 } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';

/** Where proxyDHCP saw clients boot from (dhcp/boot-address-book.ts, given by main.ts). */
export interface BootAddressLookup {
  byAddress(
    address: Ipv4,
  ):
    | { readonly mac: Mac; readonly serverAddress: Ipv4; readonly at: number; readonly contested?: boolean }
    | undefined;
}

/**
 * How long a book entry says who is at an address for a machine that is not marked: a whole install, PXE to
 * callback. A marked machine's entry holds until its mark expires (install.markTtl, up to 7 days), so a long
 * install, or one with no DHCP exchange for hours, still reaches its done callback (review finding 8).
 */
export const BOOK_FRESH_MS = 2 * 3600_000;

/** The DHCP mode being served: `auto` resolved at start (main.ts resolveDhcpMode). */
export type ServedDhcpMode = Exclude<(typeof DHCP_MODES)[number], 'auto'>;

/** A client as fleetboot knows it from the address it asks from, and its machine when the MAC is enrolled. */
export interface IdentifiedClient {
  readonly client: BootClient;
  readonly machine: Machine | undefined;
  /** The subnet of its lease (full mode), a fact for rule selectors. */
  readonly subnet?: Ipv4Subnet;
}

/**
 * Who is at an address, for the transports that carry no identity (TFTP) or a claimed one (a MAC in a URL): the
 * holder of the address's bound, unexpired lease in full mode, or the MAC proxyDHCP last saw booting from it
 * (issue 5 item 6). Both TFTP configs and HTTP boot scripts and answer files ask this one place, so "the
 * machine's boot address" means the same everywhere.
 *
 * Only the authority of the mode being served counts. The lease store outlives a change of mode: leases granted
 * in an earlier full-mode run stay bound until they expire, while the site's server may since have given the
 * address to another machine, which would then get the install token and answer file of the lease's holder.
 * So in proxy mode only the book answers; in full mode only a lease granted by this host (its server id is one
 * of this host's addresses: not one imported, nor one of another fleetboot sharing the database). With DHCP off
 * (no interface named, or a fleetboot whose interfaces are leased by a peer) the own leases still count until
 * they expire: the residual trust of that mode.
 */
export class BootClients {
  constructor(
    private readonly deps: {
      readonly leases: LeaseStore;
      readonly inventory: InventoryStore;
      readonly dhcpMode: ServedDhcpMode;
      /** proxy mode: where clients were seen booting from. */
      readonly book?: BootAddressLookup;
      /** full mode: whether a lease's server id is an address of this host. */
      readonly isOwnAddress?: (address: Ipv4) => boolean;
      readonly now: () => number;
    },
  ) {}

  /** The client at `text` (an IPv4 address, or IPv4-mapped IPv6 as Node reports it); undefined for IPv6. */
  async identify(text: string): Promise<IdentifiedClient | undefined> {
    const address = peerIpv4(text);
    if (address === undefined) return undefined;
    const holder = await this.holderOf(address);
    if (holder === undefined) return { client: { address }, machine: undefined };
    const machine = await this.deps.inventory.getByMac(holder.mac);
    const client: BootClient = {
      address,
      mac: holder.mac,
      serverAddress: holder.serverAddress,
      ...(machine?.uuid ? { uuid: machine.uuid } : {}),
      ...(machine === undefined || machine.arch === null ? {} : { arch: machine.arch }),
    };
    return { client, machine, ...(holder.subnet === undefined ? {} : { subnet: holder.subnet }) };
  }

  /** Whether `text` is the address `machine` boots from (catalogue S04: no MAC or UUID from the request counts). */
  async isBootAddress(machine: Machine, text: string): Promise<boolean> {
    const address = peerIpv4(text);
    if (address === undefined) return false;
    const holder = await this.holderOf(address);
    return holder !== undefined && machine.macs.includes(holder.mac);
  }

  private async holderOf(
    address: Ipv4,
  ): Promise<{ mac: Mac; serverAddress: Ipv4; subnet?: Ipv4Subnet } | undefined> {
    switch (this.deps.dhcpMode) {
      case 'proxy':
        return this.fromBook(address);
      case 'full':
      case 'off': {
        const lease = await this.deps.leases.findByAddress(address);
        const live = lease !== undefined && lease.state === 'bound' && lease.expiresAt > this.deps.now();
        if (!live || this.deps.isOwnAddress?.(lease.serverId) !== true) return undefined;
        return { mac: lease.mac, serverAddress: lease.serverId, subnet: lease.subnet };
      }
    }
  }

  /** The book's entry for `address` while fresh, or while its machine's mark lasts. */
  private async fromBook(address: Ipv4): Promise<{ mac: Mac; serverAddress: Ipv4 } | undefined> {
    const seen = this.deps.book?.byAddress(address);
    // Contested (two MACs, or a MAC that moved): known by its address only, so no token-carrying plan or answer.
    if (seen === undefined || seen.contested === true) return undefined;
    const now = this.deps.now();
    if (now - seen.at < BOOK_FRESH_MS) return seen;
    const expiresAt = (await this.deps.inventory.getByMac(seen.mac))?.installMark?.expiresAt;
    return expiresAt !== undefined && now < expiresAt ? seen : undefined;
  }
}
