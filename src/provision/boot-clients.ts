import type { BootClient } from '../boot/boot-plan.js';
import type { Machine } from '../inventory/machine.js';
import type { InventoryStore, LeaseStore } from '../store/types.js';
import { type Ipv4, type Ipv4Subnet, parseIpv4 } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';

/** Where proxyDHCP saw clients boot from (dhcp/boot-address-book.ts, given by main.ts). */
export interface BootAddressLookup {
  byAddress(address: Ipv4): { readonly mac: Mac; readonly serverAddress: Ipv4 } | undefined;
}

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
 */
export class BootClients {
  constructor(
    private readonly deps: {
      readonly leases: LeaseStore;
      readonly inventory: InventoryStore;
      readonly book?: BootAddressLookup;
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
    const lease = await this.deps.leases.findByAddress(address);
    if (lease !== undefined && lease.state === 'bound' && lease.expiresAt > this.deps.now()) {
      return { mac: lease.mac, serverAddress: lease.serverId, subnet: lease.subnet };
    }
    return this.deps.book?.byAddress(address);
  }
}

/** A peer address as IPv4: dotted quads, and IPv4-mapped IPv6 (`::ffff:192.0.2.7`) from a dual-stack socket. */
export function peerIpv4(text: string): Ipv4 | undefined {
  try {
    return parseIpv4(text.startsWith('::ffff:') ? text.slice('::ffff:'.length) : text);
  } catch {
    return undefined;
  }
}
