import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { type Ipv4, parseIpv4 } from '../values/ipv4.js';

/** What os.networkInterfaces() returns: interface name → its addresses (only interfaces with an address). */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * The interface's IPv4 address: the first one listed, which is the primary address getifaddrs(3) reports first.
 * Undefined when the interface has none (or does not exist: os.networkInterfaces() lists only interfaces with an
 * address, so the kernel, through SO_BINDTODEVICE, is the one to say whether it exists).
 */
export function interfaceIpv4(name: string, table: InterfaceTable = networkInterfaces()): Ipv4 | undefined {
  const found = table[name]?.find((info) => info.family === 'IPv4');
  return found === undefined ? undefined : parseIpv4(found.address);
}

/** The names of the interfaces that have an IPv4 address, for error messages that say what would work. */
export function ipv4InterfaceNames(table: InterfaceTable = networkInterfaces()): string[] {
  return Object.entries(table)
    .filter(([, infos]) => infos?.some((info) => info.family === 'IPv4') === true)
    .map(([name]) => name)
    .sort();
}

/** The interface's MAC (as os.networkInterfaces() reports it), or undefined when it has no address listed. */
export function interfaceMac(name: string, table: InterfaceTable = networkInterfaces()): string | undefined {
  return table[name]?.find((info) => info.family === 'IPv4')?.mac;
}

/** Every IPv4 address of this host, on any interface: what "sent by us" means for a datagram's source. */
export function hostIpv4Addresses(table: InterfaceTable = networkInterfaces()): Set<Ipv4> {
  const out = new Set<Ipv4>();
  for (const infos of Object.values(table)) {
    for (const info of infos ?? []) if (info.family === 'IPv4') out.add(parseIpv4(info.address));
  }
  return out;
}
