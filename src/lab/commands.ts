// Argument arrays for every `ip` and `nft` invocation of the lab, built here and nowhere else so the whole
// vocabulary is readable (and unit-tested) in one place. Everything is an argv array: no shell ever parses it.
// Every command that touches a link names the namespace it runs in (`ip -n NS …`): the lab never creates,
// changes or deletes a link in the namespace it was started from.

export const ipArgs = {
  addNamespace: (ns: string): string[] => ['netns', 'add', ns],
  deleteNamespace: (ns: string): string[] => ['netns', 'delete', ns],
  listNamespaces: (): string[] => ['-json', 'netns', 'list'],
  namespacePids: (ns: string): string[] => ['netns', 'pids', ns],
  /** `ip netns exec` execs the command in place, so the PID we spawn is the command's own PID. */
  exec: (ns: string, command: string, args: readonly string[]): string[] => [
    'netns',
    'exec',
    ns,
    command,
    ...args,
  ],
  addBridge: (ns: string, bridge: string): string[] => [
    '-n',
    ns,
    'link',
    'add',
    bridge,
    'type',
    'bridge',
    // No STP: ports forward at once instead of after 30 s of listening/learning. The lab has no loops.
    'stp_state',
    '0',
  ],
  /** Creates the pair with one end in `ns` and the other directly in `peerNs`; neither ever exists elsewhere. */
  addVethPair: (ns: string, name: string, peerName: string, peerNs: string): string[] => [
    '-n',
    ns,
    'link',
    'add',
    name,
    'type',
    'veth',
    'peer',
    'name',
    peerName,
    'netns',
    peerNs,
  ],
  addTap: (ns: string, name: string): string[] => ['-n', ns, 'tuntap', 'add', 'dev', name, 'mode', 'tap'],
  setMaster: (ns: string, link: string, bridge: string): string[] => [
    '-n',
    ns,
    'link',
    'set',
    'dev',
    link,
    'master',
    bridge,
  ],
  /**
   * The switch's own links (bridge, ports, taps) are the wire: without an IPv6 link-local address they send no
   * router solicitations or MLD reports of their own, so a capture on the segment shows only the hosts' traffic.
   */
  silence: (ns: string, link: string): string[] => [
    '-n',
    ns,
    'link',
    'set',
    'dev',
    link,
    'addrgenmode',
    'none',
  ],
  setMac: (ns: string, link: string, mac: string): string[] => [
    '-n',
    ns,
    'link',
    'set',
    'dev',
    link,
    'address',
    mac,
  ],
  setUp: (ns: string, link: string): string[] => ['-n', ns, 'link', 'set', 'dev', link, 'up'],
  addAddress: (ns: string, link: string, cidr: string): string[] => [
    '-n',
    ns,
    'address',
    'add',
    cidr,
    'dev',
    link,
  ],
  /** The link list of a namespace, or of the namespace the caller is in when `ns` is undefined. */
  listLinks: (ns?: string): string[] => [...(ns === undefined ? [] : ['-n', ns]), '-json', 'link', 'show'],
};

/** The nftables table the lab owns inside a host namespace (nft identifiers cannot contain `-`). */
export const NFT_TABLE = 'fblab';

/**
 * An nft script (read by `nft -f -`) that makes the namespace drop `percent` % of incoming IP packets at random,
 * or removes the rule at 0. The kernel here has no netem, and nftables' `numgen random` gives independent losses.
 * Declaring the table before deleting it makes the delete succeed whether or not it existed, and `nft -f` applies
 * the file as one transaction, so there is never a moment with a half-built table.
 *
 * The input hook sees packets for the host's sockets (UDP, TCP). Packet sockets (dhclient's, tcpdump's) tap the
 * wire before netfilter and still see dropped packets.
 */
export function dropIncomingScript(percent: number): string {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new RangeError(`drop percentage ${percent} is not an integer from 0 to 100`);
  }
  const reset = [`table inet ${NFT_TABLE}`, `delete table inet ${NFT_TABLE}`];
  if (percent === 0) return `${reset.join('\n')}\n`;
  return [
    ...reset,
    `table inet ${NFT_TABLE} {`,
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    // nft refuses `< 100` (the value is 0–99), and dropping everything needs no random number anyway.
    `    ${percent === 100 ? '' : `numgen random mod 100 < ${percent} `}counter drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export const nftArgs = {
  applyScript: (): string[] => ['-f', '-'],
  listTable: (): string[] => ['list', 'table', 'inet', NFT_TABLE],
};

/**
 * Reads the drop counter out of `nft list table inet fblab`. The text form, because nft 1.0.6 (Debian 12) prints
 * anonymous counters as `"counter": null` in its JSON output.
 */
export function parseDroppedPackets(text: string): number {
  const m = /\bcounter packets (\d+) bytes \d+ drop\b/.exec(text);
  if (m?.[1] === undefined) throw new Error(`no drop counter in nft output: ${text.slice(0, 200)}`);
  return Number(m[1]);
}

/** Interface names out of `ip -json link show`. */
export function parseLinkNames(json: string): string[] {
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed)) throw new Error(`ip -json link: expected an array, got ${json.slice(0, 200)}`);
  return parsed.flatMap((link: unknown) =>
    isObject(link) && typeof link['ifname'] === 'string' ? [link['ifname']] : [],
  );
}

/** Namespace names out of `ip -json netns list` (which prints nothing at all when there are none). */
export function parseNamespaceNames(json: string): string[] {
  if (json.trim() === '') return [];
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed))
    throw new Error(`ip -json netns list: expected an array, got ${json.slice(0, 200)}`);
  return parsed.flatMap((ns: unknown) =>
    isObject(ns) && typeof ns['name'] === 'string' ? [ns['name']] : [],
  );
}

/** PIDs out of `ip netns pids`, one per line. */
export function parsePids(text: string): number[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
