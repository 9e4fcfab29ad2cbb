import { readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { type Ipv4, MAX_USABLE_PREFIX_LENGTH, parseIpv4Interface } from '../values/ipv4.js';
import { type Mac, parseMac } from '../values/mac.js';

// `fleetboot init` picks the interface that faces the machines to install. The one mistake it must not make
// silently is the interface carrying the default route: that is usually the site's main network, and a boot
// server answering PXE there can send any machine that network-boots into an installer (issue 2, item 4).

export interface InterfaceCandidate {
  readonly name: string;
  /** Its first IPv4 address, if it has one. */
  readonly ipv4?: { readonly address: Ipv4; readonly prefixLength: number };
  readonly mac?: Mac;
  readonly loopback: boolean;
  /** Carries an IPv4 default route (per /proc/net/route). */
  readonly defaultRoute: boolean;
}

/** What the starter config is written for. */
export interface InitInterface {
  readonly name: string;
  readonly address: Ipv4;
  readonly prefixLength: number;
}

export type InitInterfaceChoice =
  { readonly ok: true; readonly interface: InitInterface } | { readonly ok: false; readonly reason: string };

const RTF_UP = 0x1;

/**
 * Interfaces with a default route, from the text of /proc/net/route: rows whose Destination and Mask are both
 * 0.0.0.0 (written as 8 hex digits) and whose route is up.
 */
export function parseDefaultRouteInterfaces(procNetRoute: string): Set<string> {
  const result = new Set<string>();
  const [header, ...rows] = procNetRoute.split('\n').map((line) => line.trim().split(/\s+/));
  const column = (name: string): number => header?.findIndex((h) => h.toLowerCase() === name) ?? -1;
  const [iface, destination, flags, mask] = ['iface', 'destination', 'flags', 'mask'].map(column);
  if ([iface, destination, flags, mask].some((i) => i === undefined || i < 0)) return result;
  for (const row of rows) {
    const at = (i: number | undefined): string => (i === undefined ? '' : (row[i] ?? ''));
    const up = (Number.parseInt(at(flags), 16) & RTF_UP) !== 0;
    if (up && Number.parseInt(at(destination), 16) === 0 && Number.parseInt(at(mask), 16) === 0) {
      result.add(at(iface));
    }
  }
  return result;
}

/** The candidates, sorted by name, from what os.networkInterfaces() returned. */
export function interfacesFromOs(
  info: NodeJS.Dict<NetworkInterfaceInfo[]>,
  defaultRoute: ReadonlySet<string>,
): InterfaceCandidate[] {
  return Object.entries(info)
    .map(([name, addresses = []]): InterfaceCandidate => {
      const v4 = addresses.find((a) => a.family === 'IPv4');
      const assigned = v4?.cidr ? parseIpv4Interface(v4.cidr) : undefined;
      const withMac = addresses.find((a) => a.mac !== '00:00:00:00:00:00');
      return {
        name,
        ...(assigned
          ? { ipv4: { address: assigned.address, prefixLength: assigned.subnet.prefixLength } }
          : {}),
        ...(withMac ? { mac: parseMac(withMac.mac) } : {}),
        loopback: addresses.some((a) => a.internal),
        defaultRoute: defaultRoute.has(name),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The interfaces of this machine. Reads /proc/net/route: fleetboot runs on Linux. */
export function detectInterfaces(): InterfaceCandidate[] {
  let routes: string;
  try {
    routes = readFileSync('/proc/net/route', 'utf8');
  } catch (error) {
    // Without the routing table the default-route interface cannot be told apart, and guessing is not safe.
    throw new Error(`cannot read /proc/net/route to find the default-route interface: ${String(error)}`);
  }
  return interfacesFromOs(networkInterfaces(), parseDefaultRouteInterfaces(routes));
}

/**
 * The interface to write the starter config for: `requested` when given and usable, else the only IPv4,
 * non-loopback interface without the default route. The default-route interface is refused unless
 * `allowDefaultRoute`, and only ever when named explicitly.
 */
export function chooseInitInterface(
  candidates: readonly InterfaceCandidate[],
  requested: string | undefined,
  allowDefaultRoute: boolean,
): InitInterfaceChoice {
  const listing = `interfaces here: ${candidates.map(describeCandidate).join('; ') || 'none'}`;
  if (requested !== undefined) {
    const found = candidates.find((c) => c.name === requested);
    if (found === undefined) return fail(`there is no interface named "${requested}"; ${listing}`);
    const problem = unusable(found);
    if (problem !== undefined) return fail(`${requested} ${problem}; ${listing}`);
    if (found.defaultRoute && !allowDefaultRoute) {
      return fail(
        `${requested} carries the default route, so it is most likely the site's main network: answering PXE ` +
          'there can send any machine on it that network-boots into an installer. Name the interface that ' +
          `faces only the machines to install, or pass --allow-default-route if ${requested} really is one.`,
      );
    }
    return choose(found);
  }
  const eligible = candidates.filter((c) => unusable(c) === undefined && !c.defaultRoute);
  const [only] = eligible;
  if (eligible.length === 1 && only) return choose(only);
  if (eligible.length === 0) {
    return fail(
      'found no interface to use: each one is loopback, has no IPv4 address, or carries the default route ' +
        `(the site's main network, never chosen silently); ${listing}. Name one with --interface NAME.`,
    );
  }
  return fail(
    `several interfaces could face the machines to install (${eligible.map((c) => c.name).join(', ')}); ` +
      `choose one with --interface NAME. ${capitalize(listing)}.`,
  );
}

/** Why an interface cannot serve PXE at all, whatever the operator says. */
function unusable(c: InterfaceCandidate): string | undefined {
  if (c.loopback) return 'is the loopback interface, which no machine can boot from';
  if (c.ipv4 === undefined) return 'has no IPv4 address (PXE runs over IPv4): give it one first';
  if (c.ipv4.prefixLength > MAX_USABLE_PREFIX_LENGTH) {
    return `has a /${c.ipv4.prefixLength} address, which leaves no room for the machines to install`;
  }
  return undefined;
}

function choose(c: InterfaceCandidate): InitInterfaceChoice {
  if (c.ipv4 === undefined) return fail(`${c.name} has no IPv4 address`);
  return {
    ok: true,
    interface: { name: c.name, address: c.ipv4.address, prefixLength: c.ipv4.prefixLength },
  };
}

function fail(reason: string): InitInterfaceChoice {
  return { ok: false, reason };
}

function describeCandidate(c: InterfaceCandidate): string {
  const facts = [
    c.ipv4 ? `${c.ipv4.address}/${c.ipv4.prefixLength}` : 'no IPv4',
    ...(c.loopback ? ['loopback'] : []),
    ...(c.defaultRoute ? ['default route'] : []),
  ];
  return `${c.name} (${facts.join(', ')})`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
